"""Cleaning one extracted article, the stages in their order. Pure: no Scrapy, no database.

    repeated body -> normalise + Traditional->Simplified -> injected title -> planted and
    spliced spam -> spam-page verdict

The crawl (through `pipelines.ingest.Ingestor`), `policy-ingest extract` and
`policy-ingest reprocess` all call `clean_item`, so a page is cleaned the same way everywhere.

The last step makes every value storable on both backends, whatever the page held (see
`storable_item`): no NUL or other control character (PostgreSQL refuses NUL in text), no lone
surrogate (no driver can encode one), no noncharacter; a title cut to `TITLE_MAX_CHARS`, the
short metadata fields to their column size, and a publication date outside 1949-10-01 .. the
fetch time dropped. What was changed is written to the item's signals.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Optional, Sequence

from pipelines.items import FUTURE_TOLERANCE, MIN_DATE, ArticleItem, RemovalRecord
from pipelines.normalize import normalize_record, normalize_text, to_simplified
from pipelines.spam.counter import PageEvidence, ParagraphFrequency, page_evidence
from pipelines.spam.lexicon import LexiconCut, assemble_spam_cuts, lexicon_cuts
from pipelines.spam.repeated import repeated_copy
from pipelines.spam.title import injected_title_segments
from pipelines.spam.verdict import SpamVerdict, classify_page
from pipelines.text import Paragraph, as_paragraph, body_key, paragraphs_of


# Titles longer than this are not titles (a paragraph or a keyword list taken for one); they are
# cut here and the original length is kept in signals["title_truncated_from"].
TITLE_MAX_CHARS = 500
# Short metadata fields and the size of their store columns (String(255)).
SHORT_FIELDS_MAX_CHARS = 255

# Characters no store column may hold: C0/C1 controls except tab/newline/CR (NUL above all:
# PostgreSQL rejects it), lone surrogates (unencodable), noncharacters.
_UNSTORABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


# Bidi embeddings, overrides and marks: normalize_text drops them from text; the body HTML loses
# them here, so that no stored field can reorder what a reader sees (RLO spoofing).
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def storable_text(text: Optional[str]) -> Optional[str]:
    """`text` without the characters no store accepts (None stays None)."""
    if not text or _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub("", text)


@dataclass(frozen=True)
class Cleaned:
    """A page after every cleaning stage: the item as it is stored, the verdict on the page,
    and the comparison key of its body (what dedup signs)."""

    item: ArticleItem
    verdict: SpamVerdict
    #: Cuts made by cleaning (the extractor's own HTML-level cuts are already on the item).
    cuts: tuple[RemovalRecord, ...]
    body_key: str = ""


def _field(value: Optional[str], script: str) -> Optional[str]:
    """A metadata field normalised like the body (converted only on a non-Simplified page)."""
    text = normalize_text(value) if value else ""
    if text and script != "simplified":
        text = to_simplified(text)
    return text or None


def paragraphs_html(paragraphs: Sequence[str]) -> str:
    """Body HTML rebuilt from kept paragraphs (used when cleaning cut something from the body)."""
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


@dataclass(frozen=True)
class PreparedItem:
    """A page cleaned as far as it can be without the site's paragraph counts (`prepare_item`),
    with what `finish_item` needs to apply them: a pure function of the page, so a worker
    process computes it and the one process that holds the counts finishes it.
    """

    #: The result when the counts cut nothing (almost every page).
    cleaned: Cleaned
    #: The page's normalised paragraphs before the spam cuts, and the vocabulary's cuts of each:
    #: the counter's cuts are applied to these.
    paragraphs: tuple[str, ...]
    lexicon: tuple[LexiconCut, ...]
    #: Cleaning's cuts before the spam cuts (repeated body, injected title).
    early_cuts: tuple[RemovalRecord, ...]
    #: What the site counter reads of the paragraphs.
    evidence: PageEvidence


def prepare_item(item: ArticleItem) -> PreparedItem:
    """The stages of `clean_item` that need no site counts: repeated body, normalisation and
    Traditional → Simplified, injected title, the vocabulary's cuts, the page verdict."""
    cuts: list[RemovalRecord] = []
    texts = paragraphs_of(item.paragraphs)
    repeated, blank = repeated_copy([p.key for p in texts])
    if repeated:
        second_copy = "\n".join(item.paragraphs[i] for i in sorted(repeated))
        why = f"{len(repeated)} paragraphs printed twice"
        cuts.append(RemovalRecord("repeated_body", second_copy, why))
    kept = [p for i, p in enumerate(texts) if i not in repeated and i not in blank]
    normalized = normalize_record(item.title, kept, kept)
    paragraphs = [as_paragraph(p) for p in normalized.paragraphs]
    script = normalized.original_script
    title = normalized.title or None
    for segment in injected_title_segments(item.title_raw, item.title, "\n".join(item.paragraphs)):
        cuts.append(RemovalRecord("injected_title", _field(segment, script) or segment,
                                  "segment of <title> unrelated to the heading and body"))

    lexicon = lexicon_cuts(paragraphs)
    kept_paragraphs, spam_cuts = assemble_spam_cuts(paragraphs, [None] * len(paragraphs), lexicon)
    body_html = item.body_html
    if repeated or spam_cuts or not body_html:
        body_html = paragraphs_html(kept_paragraphs)
    elif script != "simplified":
        body_html = to_simplified(body_html)
    cleaned = replace(
        item,
        title=title,
        source=_field(item.source, script),
        site_name=_field(item.site_name, script),
        author=_field(item.author, script),
        author_unit=_field(item.author_unit, script),
        editor=_field(item.editor, script),
        column_path=_field(item.column_path, script),
        issuer=_field(item.issuer, script),
        topic=_field(item.topic, script),
        keywords=_field(item.keywords, script),
        column_name=_field(item.column_name, script),
        body_html=body_html,
        attachments=[
            {"url": a["url"], "title": _field(a.get("title"), script) or ""}
            for a in item.attachments
        ],
        removals=[
            *(RemovalRecord(r.kind, _field(r.content, script) or r.content, r.detail)
              for r in item.removals),
            *cuts, *spam_cuts,
        ],
        original_script=script,
    )
    return PreparedItem(
        cleaned=_finished(cleaned, kept_paragraphs, (*cuts, *spam_cuts)),
        paragraphs=tuple(paragraphs),
        lexicon=tuple(lexicon),
        early_cuts=tuple(cuts),
        evidence=page_evidence(paragraphs),
    )


def _finished(
    item: ArticleItem, paragraphs: Sequence[Paragraph], cuts: Sequence[RemovalRecord]
) -> Cleaned:
    """`item` with `paragraphs` as its body, judged and made storable."""
    verdict = classify_page(item.title, paragraphs, item.signals)
    built = replace(item, paragraphs=list(paragraphs))
    stored = storable_item(built)
    key = ""
    if stored.paragraphs and not verdict.is_spam_page:
        # The paragraphs' own keys serve unless making the item storable changed them.
        key = body_key(paragraphs if stored.paragraphs == built.paragraphs else stored.paragraphs)
    return Cleaned(stored, verdict, tuple(cuts), key)


def finish_item(prepared: PreparedItem, frequencies: Optional[ParagraphFrequency]) -> Cleaned:
    """`prepared` with the site's paragraph counts applied: this page is counted first, then
    paragraphs planted on many unrelated pages of the site are cut."""
    if frequencies is None:
        return prepared.cleaned
    item = prepared.cleaned.item
    frequencies.observe(item.site, item.url, prepared.evidence)
    kinds = frequencies.kinds(item.site, prepared.evidence)
    return cut_paragraphs(prepared, kinds) if any(kinds) else prepared.cleaned


def cut_paragraphs(prepared: PreparedItem, kinds: Sequence[Optional[str]]) -> Cleaned:
    """`prepared` with the paragraphs the site counter judged (`kinds`) cut as well."""
    item = prepared.cleaned.item
    kept, spam_cuts = assemble_spam_cuts(prepared.paragraphs, kinds, prepared.lexicon)
    paragraphs = [as_paragraph(p) for p in kept]  # (plain str when handed over by a worker)
    cuts = (*prepared.early_cuts, *spam_cuts)
    extractor_removals = item.removals[: len(item.removals) - len(prepared.cleaned.cuts)]
    recut = replace(item, body_html=paragraphs_html(paragraphs),
                    removals=[*extractor_removals, *cuts])
    return _finished(recut, paragraphs, cuts)


def clean_item(item: ArticleItem, frequencies: Optional[ParagraphFrequency] = None) -> Cleaned:
    """The cleaned copy of `item` and the verdict on the page as a whole.

    `frequencies` is the crawl's paragraph counter: when given, this page's paragraphs are
    counted first, then paragraphs planted on many unrelated pages of the site are cut.
    """
    return finish_item(prepare_item(item), frequencies)


def storable_item(item: ArticleItem) -> ArticleItem:
    """`item` with every value in a shape both store backends accept; changes go to signals.
    `item` itself when it is storable as it is (almost every page)."""
    if _storable_as_is(item):
        return item
    return _storable_copy(item)


def _storable_as_is(item: ArticleItem) -> bool:
    """True when `_storable_copy` would change no value of `item`: no field over its size, a
    plausible date, no empty paragraph, no None among the attachments' values or the cuts'
    contents, and no unstorable character in all the text (one scan of it joined)."""
    if item.title and len(item.title) > TITLE_MAX_CHARS:
        return False
    short_fields = (item.source, item.site_name, item.author, item.editor)
    if any(value and len(value) > SHORT_FIELDS_MAX_CHARS for value in short_fields):
        return False
    if item.published_at is not None and not _plausible_date(item.published_at, item.fetched_at):
        return False
    if not all(item.paragraphs):
        return False
    texts = [item.title, item.title_raw, *short_fields, item.author_unit,
             item.column_path, item.body_html, *item.paragraphs]
    for attachment in item.attachments:
        values = attachment.values()
        if not all(isinstance(value, str) for value in values):
            return False
        texts.extend(values)
    for removal in item.removals:
        if removal.content is None:
            return False
        texts.append(removal.content)
        texts.append(removal.detail)
    if _UNSTORABLE.search("\n".join(filter(None, texts))) is not None:
        return False
    return not (item.body_html and _BIDI_CONTROLS.search(item.body_html) is not None)


def _storable_copy(item: ArticleItem) -> ArticleItem:
    signals: dict[str, Any] = dict(item.signals)
    title = storable_text(item.title)
    if title and len(title) > TITLE_MAX_CHARS:
        signals["title_truncated_from"] = len(title)
        title = title[:TITLE_MAX_CHARS].rstrip()

    def short(name: str) -> Optional[str]:
        value = storable_text(getattr(item, name))
        if value and len(value) > SHORT_FIELDS_MAX_CHARS:
            signals[f"{name}_truncated_from"] = len(value)
            value = value[:SHORT_FIELDS_MAX_CHARS].rstrip()
        return value

    published_at = item.published_at
    if published_at is not None and not _plausible_date(published_at, item.fetched_at):
        signals["published_at_dropped"] = str(published_at)[:40]
        published_at = None
    paragraphs = [p for p in (storable_text(p) for p in item.paragraphs) if p]
    return replace(
        item,
        title=title,
        title_raw=storable_text(item.title_raw),
        published_at=published_at,
        published_at_source=item.published_at_source if published_at is not None else None,
        source=short("source"),
        site_name=short("site_name"),
        author=short("author"),
        editor=short("editor"),
        author_unit=storable_text(item.author_unit),
        column_path=storable_text(item.column_path),
        paragraphs=paragraphs,
        body_html=_storable_html(item.body_html),
        attachments=[
            {key: storable_text(value) or "" for key, value in a.items()} for a in item.attachments
        ],
        removals=[
            RemovalRecord(r.kind, storable_text(r.content) or "", storable_text(r.detail))
            for r in item.removals
        ],
        signals=signals,
    )


def _storable_html(body_html: Optional[str]) -> Optional[str]:
    if not body_html:
        return body_html
    body_html = storable_text(body_html) or ""
    return _BIDI_CONTROLS.sub("", body_html)


def _plausible_date(value: datetime | date, fetched_at: Optional[datetime]) -> bool:
    """The extractor's rule (the bounds of pipelines.items): no earlier than 1949-10-01, no
    later than the fetch plus FUTURE_TOLERANCE, for values that reach the stage by another way."""
    day = value.date() if isinstance(value, datetime) else value
    if day < MIN_DATE:
        return False
    if fetched_at is None:
        return True
    latest = (fetched_at + FUTURE_TOLERANCE + timedelta(days=1)).date()
    return day <= latest
