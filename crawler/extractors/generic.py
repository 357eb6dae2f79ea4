"""The generic extractor for Chinese article pages: the steps of the other modules, in order.

One lxml parse (``tree``), the body chosen by density (``candidates``), then the title
(``title``), the metadata in layers (``metadata``), the attachments and later pages (``links``),
the clean body with the evidence of what was cut (``cleanup``) and the policy metadata, with the
information table left out of the body (``policy``).

Per-site parsers (``sites.py``) subclass :class:`GenericParser` and only set ``selectors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pipelines.spam.vocabulary import count_terms

from .candidates import (
    ScoredPage,
    choose_body,
    count_against,
    page_kind,
    score_elements,
    teaser_lines,
    thread_lines,
)
from .cleanup import body_html, body_text, judge_hidden, link_farms, repeated_copies, scan_scripts
from .links import attachments, next_pages
from .metadata import column_path, read_head, read_metadata, site_name
from .page import POLICY_FIELDS, ExtractedPage
from .policy import find_info_table, read_policy
from .title import choose_title
from .tree import Selectors, parse_html, read_tree
from .urls import usable_url


class GenericParser:
    """Extract one page; subclasses override ``selectors`` (field -> CSS or XPath) only."""

    name: ClassVar[str] = "generic"
    version: ClassVar[str] = "1"
    selectors: ClassVar[Mapping[str, str]] = {}

    def __init__(self, selectors: Mapping[str, str] | None = None) -> None:
        merged = dict(type(self).selectors)
        if selectors:
            merged.update({k: v for k, v in selectors.items() if isinstance(v, str) and v.strip()})
        self._selectors = Selectors(merged)

    @classmethod
    def matches(cls, root: Any, url: str) -> bool:
        """Does the page use this parser's layout? Site parsers with several versions say."""
        return True

    @property
    def label(self) -> str:
        return f"{self.name}/v{self.version}"

    def parse(self, html: str, url: str) -> ExtractedPage:
        """Never raises: an unexpected error leaves the fields found so far and a signal."""
        try:
            root, problem = parse_html(html if isinstance(html, str) else str(html))
        except Exception as exc:  # noqa: BLE001 - a crawl must survive any page
            page = ExtractedPage(url=url, parser=self.label)
            page.signals["extract_error"] = f"{type(exc).__name__}: {exc}"
            return page
        return self.parse_tree(root, url, parse_limit=problem)

    def parse_tree(self, root: Any, url: str, parse_limit: str | None = None) -> ExtractedPage:
        """Like :meth:`parse` for a tree from :func:`parse_html`, which it consumes (the body is
        edited): whatever else reads the tree, such as link discovery, reads it first.

        `parse_limit` is the parser's complaint when it dropped part of the page; it is kept in
        ``signals["parse_limit"]``.
        """
        page = ExtractedPage(url=url, parser=self.label)
        if parse_limit:
            page.signals["parse_limit"] = parse_limit
        try:
            self._extract(page, root, usable_url(url or ""))
        except Exception as exc:  # noqa: BLE001 - a crawl must survive any page
            page.signals["extract_error"] = f"{type(exc).__name__}: {exc}"
        return page

    def _extract(self, page: ExtractedPage, root: Any, url: str) -> None:
        selectors = self._selectors
        tree = read_tree(root, url)
        head = read_head(root, url, tree.host_domain)
        removals, written = scan_scripts(root, url, tree.host_domain)
        signals: dict[str, Any] = {**head.signals, **written}
        if head.script_title:
            signals["script_title"] = head.script_title
        hidden = judge_hidden(tree)
        removals += hidden.removals
        if tree.hidden:
            signals["hidden_spam_terms"] = signals.get("hidden_spam_terms", 0) + hidden.spam_terms
            signals["hidden_elements"] = len(tree.hidden)
            signals["hidden_blocks"] = signals.get("hidden_blocks", 0) + len(hidden.removals)
        else:
            signals["hidden_elements"] = 0
            signals.setdefault("hidden_blocks", 0)
            signals.setdefault("hidden_spam_terms", 0)

        totals = score_elements(tree)
        # Lines that are not the article's wherever they sit: replies and teaser lists.
        threads = thread_lines(tree, totals) | teaser_lines(tree, totals)
        count_against(tree, totals, threads)
        chosen = choose_body(tree, totals, selectors.select(root, "body"), threads)
        scored = ScoredPage(tree, totals, chosen.element, threads, chosen.continuations)
        title = choose_title(scored, head, selectors.text(root, "title"))
        page.title_raw = head.title_raw
        page.meta = head.meta

        info = find_info_table(scored)
        body = body_text(scored, title.text, info.lines)
        page.paragraphs = body.paragraphs
        page.body_text = "\n".join(body.paragraphs)

        page.title = title.text
        meta = read_metadata(
            scored, head, selectors, title.heading, title.last_line, body.edge, title.text
        )
        page.published_at = meta.published_at
        page.published_at_source = meta.published_at_source
        page.source = meta.source
        page.site_name = site_name(head)
        page.author = meta.author
        page.editor = meta.editor
        page.author_unit = meta.author_unit
        page.column_path = column_path(scored, selectors, head.meta, title.text)
        page.attachments = attachments(scored, title.heading)
        page.next_pages = next_pages(root, url)
        policy = read_policy(info, head.meta, title.text, body.paragraphs, page.site_name,
                             page.published_at)
        for name in POLICY_FIELDS:
            setattr(page, name, getattr(policy, name))
        removals += info.removals

        farms, farm_count = link_farms(scored)
        removals += farms
        signals["link_farms"] = farm_count
        copies = repeated_copies(scored, body.paragraphs, hidden.legit)
        if copies:
            removals += copies
            signals["repeated_body"] = True

        body_chars = len(page.body_text.replace("\n", ""))
        kind, score, layout = page_kind(scored, body_chars, bool(page.title))
        page.page_kind = kind  # type: ignore[assignment]
        page.article_score = score
        signals.update(layout)
        title_terms = count_terms(head.title_raw or "")
        signals["spam_terms"] = title_terms + sum(ln.spam for ln in tree.lines)
        signals["spam_terms_title"] = title_terms
        meta_texts = [head.meta.get("keywords", ""), head.meta.get("description", "")]
        signals["spam_terms_meta"] = count_terms(meta_texts)
        signals.setdefault("repeated_body", False)

        page.body_html = body_html(scored, [*info.drops, *body.drops])
        page.removals = removals
        page.signals.update(signals)
