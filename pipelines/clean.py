"""Cleaning one extracted article, the stages in their order. Pure: no Scrapy, no database.

    repeated body -> normalise + Traditional->Simplified -> injected title -> planted and
    spliced spam -> spam-page verdict

The Scrapy shell (`pipelines.item_pipelines.CleanPipeline`), `policy-ingest extract` and
`policy-ingest reprocess` all call `clean_item`, so a page is cleaned the same way everywhere.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Optional

from crawler.items import ArticleItem, RemovalRecord
from pipelines.normalize import normalize_record, normalize_text, to_simplified
from pipelines.spam import (
    ParagraphFrequency,
    SpamVerdict,
    classify_page,
    strip_injected_title,
    strip_repeated_body,
    strip_spam_paragraphs,
)


@dataclass(frozen=True)
class Cleaned:
    item: ArticleItem
    verdict: SpamVerdict
    #: Cuts made by cleaning (the extractor's own HTML-level cuts are already on the item).
    cuts: tuple[RemovalRecord, ...]


def _field(value: Optional[str], script: str) -> Optional[str]:
    """A metadata field normalised like the body (converted only on a non-Simplified page)."""
    text = normalize_text(value) if value else ""
    if text and script != "simplified":
        text = to_simplified(text)
    return text or None


def paragraphs_html(paragraphs: list[str]) -> str:
    """Body HTML rebuilt from kept paragraphs (used when cleaning cut something from the body)."""
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def clean_item(item: ArticleItem, frequencies: Optional[ParagraphFrequency] = None) -> Cleaned:
    """The cleaned copy of `item` and the verdict on the page as a whole.

    `frequencies` is the crawl's paragraph counter: when given, this page's paragraphs are
    counted first, then paragraphs planted on many unrelated pages of the site are cut.
    """
    cuts: list[RemovalRecord] = []

    kept, repeated = strip_repeated_body(item.paragraphs)
    if repeated:
        cuts.append(RemovalRecord("repeated_body", "\n".join(repeated),
                                  f"{len(repeated)} paragraphs printed twice"))

    normalized = normalize_record(item.title, kept)
    paragraphs = list(normalized.paragraphs)
    title = normalized.title or None
    if not title and item.title_raw:
        # No heading on the page: cut the injected segments and the site suffix from <title>.
        raw = _field(item.title_raw, normalized.original_script) or ""
        title, injected = strip_injected_title(raw, None, "\n".join(paragraphs))
        cuts.extend(RemovalRecord("injected_title", segment) for segment in injected)
        title = title or None

    if frequencies is not None:
        frequencies.observe(item.site, item.url, paragraphs)
    paragraphs, spam_cuts = strip_spam_paragraphs(paragraphs, frequencies, item.site)
    cuts.extend(RemovalRecord(r.kind, r.content) for r in spam_cuts)

    verdict = classify_page(title or "", paragraphs, item.signals)

    body_changed = bool(repeated or spam_cuts)
    body_html = item.body_html
    if body_changed or not body_html:
        body_html = paragraphs_html(paragraphs)
    elif normalized.original_script != "simplified":
        body_html = to_simplified(body_html)

    script = normalized.original_script
    cleaned = replace(
        item,
        title=title,
        paragraphs=paragraphs,
        source=_field(item.source, script),
        author=_field(item.author, script),
        author_unit=_field(item.author_unit, script),
        editor=_field(item.editor, script),
        column_path=_field(item.column_path, script),
        body_html=body_html,
        attachments=[
            {"url": a["url"], "title": _field(a.get("title"), script) or ""} for a in item.attachments
        ],
        removals=[
            *(RemovalRecord(r.kind, _field(r.content, script) or r.content, r.detail) for r in item.removals),
            *cuts,
        ],
        original_script=normalized.original_script,
    )
    return Cleaned(cleaned, verdict, tuple(cuts))
