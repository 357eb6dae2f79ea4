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
import pickle
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Mapping, Optional, Sequence

from crawler.extractors.dates import FUTURE_TOLERANCE, MIN_DATE
from crawler.items import ArticleItem, RemovalRecord
from pipelines.normalize import normalize_record, normalize_text, remember_joined_key, to_simplified
from pipelines.spam import (
    LexiconCut,
    EvidenceArrays,
    ParagraphEvidence,
    ParagraphFrequency,
    SpamVerdict,
    TermHit,
    VerdictRow,
    adopt_normalized,
    assemble_spam_cuts,
    lexicon_cuts,
    normalized_paragraphs,
    paragraph_evidence,
    paragraph_keys,
    remember_body_key,
    strip_injected_title,
    strip_repeated_body,
    title_hits,
    verdict_of,
    verdict_row,
)


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


@dataclass(frozen=True)
class PreparedItem:
    """A page cleaned as far as it can be without the site's paragraph counts.

    Everything here is a pure function of the page, so a worker process computes it; the
    counts live in one process (`finish_item`). `cleaned` is the result when the counts cut
    nothing, which is the case for almost every page; the other fields let `finish_item`
    redo the last steps without the original item when they do cut.
    """

    cleaned: Cleaned
    title: Optional[str]  # before `storable_item`'s cut to TITLE_MAX_CHARS
    paragraphs: tuple[str, ...]  # normalised, before the spam cuts
    #: What the paragraph counter needs of each paragraph; () once handed over by a worker
    #: process, which sends only `evidence_arrays` (all the counter reads).
    evidence: tuple[ParagraphEvidence, ...]
    evidence_arrays: EvidenceArrays  # the same, as the counter reads it
    lexicon: tuple[LexiconCut, ...]
    early_cuts: tuple[RemovalRecord, ...]  # repeated body and injected title
    #: What the page verdict reads of each of `paragraphs` (`spam.verdict_row`) and of the
    #: title: `cut_paragraphs` judges the page again from them, in whatever process it runs.
    verdict_rows: tuple[Optional[VerdictRow], ...] = ()
    title_hits: tuple[TermHit, ...] = ()
    #: The comparison key of each of `paragraphs`: the body key of the page cut again is
    #: theirs joined (`normalize.remember_joined_key`), not the whole body normalised again.
    keys: tuple[str, ...] = ()
    #: The page cut ahead as the counter is expected to judge it: (kinds, result), see `guess_cuts`.
    guess: Optional[tuple[tuple[Optional[str], ...], Cleaned]] = None
    #: `REDO_FIELDS`, pickled, while they are deferred (`deferred`, `restored`).
    redo: Optional[bytes] = None

    def deferred(self) -> PreparedItem:
        """This item with `REDO_FIELDS`, which only `cut_paragraphs` reads, as one pickled
        blob: what a worker process hands over. The process every page waits on then decodes
        them only for the pages the counter cuts (almost none of the benchmark corpus since the
        addressee line is kept; 4 % before): ~40 us a page less to unpickle there, ~41 us more
        in the worker (session 9: the blob 45 us, the rest of the pickle 4 us less)."""
        if self.redo is not None:
            return self
        blob = pickle.dumps(tuple(getattr(self, name) for name in REDO_FIELDS), pickle.HIGHEST_PROTOCOL)
        return replace(self, redo=blob, **{name: () for name in REDO_FIELDS})

    def restored(self) -> PreparedItem:
        """This item with `REDO_FIELDS` back (itself when they are not deferred)."""
        if self.redo is None:
            return self
        return replace(self, redo=None, **dict(zip(REDO_FIELDS, pickle.loads(self.redo))))


#: The fields of `PreparedItem` that only `cut_paragraphs` reads.
REDO_FIELDS = ("paragraphs", "lexicon", "early_cuts", "verdict_rows", "title_hits", "keys")


def prepare_item(item: ArticleItem) -> PreparedItem:
    """The pure part of `clean_item` (everything but the site's paragraph counts)."""
    cuts: list[RemovalRecord] = []

    kept, repeated = strip_repeated_body(item.paragraphs)
    if repeated:
        cuts.append(RemovalRecord("repeated_body", "\n".join(repeated),
                                  f"{len(repeated)} paragraphs printed twice"))

    # The raw paragraphs were normalised for their keys by strip_repeated_body: not again here,
    # and the normalised paragraphs the next stages see inherit those keys (adopt_normalized).
    normal = normalized_paragraphs(kept)
    normalized = normalize_record(item.title, kept, normal)
    adopt_normalized([r for r, n in zip(kept, normal) if n], normalized.paragraphs)
    paragraphs = list(normalized.paragraphs)
    title = normalized.title or None
    if not title and item.title_raw:
        # No heading on the page: cut the injected segments and the site suffix from <title>.
        raw = _field(item.title_raw, normalized.original_script) or ""
        title, injected = strip_injected_title(raw, None, "\n".join(paragraphs))
        cuts.extend(RemovalRecord("injected_title", segment) for segment in injected)
        title = title or None

    lexicon = lexicon_cuts(paragraphs)
    no_kinds = [None] * len(paragraphs)
    kept_paragraphs, spam_cuts = assemble_spam_cuts(paragraphs, no_kinds, lexicon)
    all_cuts = [*cuts, *(RemovalRecord(r.kind, r.content) for r in spam_cuts)]
    # What the verdict reads of each paragraph, and its key: kept with the page, for the
    # counter's cuts to be judged and keyed again without the texts' memos (`cut_paragraphs`).
    rows = tuple(map(verdict_row, paragraphs))
    keys = tuple(paragraph_keys(paragraphs))
    found_in_title = title_hits(title or "")
    kept_rows, kept_keys = _kept_rows_and_keys(no_kinds, rows, keys, lexicon)
    verdict = verdict_of(found_in_title, kept_paragraphs, kept_rows, item.signals)

    body_html = item.body_html
    if repeated or spam_cuts or not body_html:
        body_html = paragraphs_html(kept_paragraphs)
    elif normalized.original_script != "simplified":
        body_html = to_simplified(body_html)

    script = normalized.original_script
    cleaned = replace(
        item,
        title=title,
        paragraphs=kept_paragraphs,
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
            *all_cuts,
        ],
        original_script=script,
    )
    stored = storable_item(cleaned)
    if stored.paragraphs and not verdict.is_spam_page:
        _remember_body_key(stored, cleaned, kept_keys)
    evidence = tuple(paragraph_evidence(paragraphs))
    return PreparedItem(
        cleaned=Cleaned(stored, verdict, tuple(all_cuts)),
        title=title,
        paragraphs=tuple(paragraphs),
        evidence=evidence,
        evidence_arrays=EvidenceArrays.of(evidence),
        lexicon=tuple(lexicon),
        early_cuts=tuple(cuts),
        verdict_rows=rows,
        title_hits=found_in_title,
        keys=keys,
    )


def finish_item(prepared: PreparedItem, frequencies: Optional[ParagraphFrequency]) -> Cleaned:
    """`prepared` with the site's paragraph counts applied: this page is counted first, then
    paragraphs planted on many unrelated pages of the site are cut."""
    if frequencies is None:
        return prepared.cleaned
    item = prepared.cleaned.item
    frequencies.observe_evidence(item.site, item.url, prepared.evidence, prepared.evidence_arrays)
    kinds = tuple(frequencies.kinds_of(item.site, prepared.evidence, prepared.evidence_arrays))
    if not any(kinds):
        return prepared.cleaned
    if prepared.guess is not None and prepared.guess[0] == kinds:
        return prepared.guess[1]  # cut ahead, in a worker, exactly as below
    return cut_paragraphs(prepared, kinds)


def cut_paragraphs(prepared: PreparedItem, kinds: Sequence[Optional[str]]) -> Cleaned:
    """`prepared.cleaned` with the paragraphs the counter judged (`kinds`) cut as well."""
    prepared = prepared.restored()
    item = prepared.cleaned.item
    paragraphs, spam_cuts = assemble_spam_cuts(prepared.paragraphs, kinds, prepared.lexicon)
    cuts = [*prepared.early_cuts, *(RemovalRecord(r.kind, r.content) for r in spam_cuts)]
    extractor_removals = item.removals[: len(item.removals) - len(prepared.cleaned.cuts)]
    rows, keys = _kept_rows_and_keys(kinds, prepared.verdict_rows, prepared.keys, prepared.lexicon)
    verdict = verdict_of(prepared.title_hits, paragraphs, rows, item.signals)
    recut = replace(
        item, paragraphs=paragraphs, body_html=paragraphs_html(paragraphs),
        removals=[*extractor_removals, *cuts],
    )
    stored = storable_item(recut)
    if stored.paragraphs and not verdict.is_spam_page:
        _remember_body_key(stored, recut, keys)
    return Cleaned(stored, verdict, tuple(cuts))


def _kept_rows_and_keys(
    kinds: Sequence[Optional[str]], verdict_rows: Sequence[Optional[VerdictRow]],
    keys: Sequence[str], lexicon: Sequence[LexiconCut],
) -> tuple[list[VerdictRow], list[str]]:
    """The verdict rows (what `classify_page` reads) and the comparison keys of the paragraphs
    `assemble_spam_cuts(paragraphs, kinds, lexicon)` keeps, from those of `paragraphs`
    (`verdict_rows`, `keys`): a paragraph kept whole has its own, a spliced one's are computed
    here."""
    kept_rows, kept_keys = [], []
    for kind, row, key, (text, cuts) in zip(kinds, verdict_rows, keys, lexicon):
        if kind is not None or text is None:
            continue
        if cuts:  # the text left by the lexicon's splice cuts
            row, key = verdict_row(text), paragraph_keys([text])[0]
        kept_keys.append(key)
        if row is not None:
            kept_rows.append(row)
    return kept_rows, kept_keys


def _remember_body_key(stored: ArticleItem, built: ArticleItem, keys: Sequence[str]) -> None:
    """Remember the dedup key of `stored`'s body: joined from `keys`, those of `built`'s
    paragraphs, when storing changed nothing (`stored is built`), else from its own."""
    if stored is built:
        remember_joined_key(built.paragraphs, keys)
    else:
        remember_body_key(stored.paragraphs)


def guess_cuts(prepared: PreparedItem, judged: Mapping[int, str]) -> PreparedItem:
    """`prepared` with its paragraphs cut ahead as `judged` suggests (the counter's verdicts on
    the site so far, `ParagraphFrequency.judged`). `finish_item` uses the guess only when the
    counter's verdicts on this page turn out the same, so a wrong guess costs time, not output."""
    kinds = tuple(judged.get(e.entry[0]) if e.entry else None for e in prepared.evidence)
    if not any(kinds):
        return prepared
    return replace(prepared, guess=(kinds, cut_paragraphs(prepared, kinds)))


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
    if any(value and len(value) > SHORT_FIELDS_MAX_CHARS for value in (item.source, item.author, item.editor)):
        return False
    if item.published_at is not None and not _plausible_date(item.published_at, item.fetched_at):
        return False
    if not all(item.paragraphs):
        return False
    texts = [item.title, item.title_raw, item.source, item.author, item.editor, item.author_unit,
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
        source=short("source"),
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
    """The extractor's rule (crawler.extractors.dates): no earlier than 1949-10-01, no later than
    the fetch plus FUTURE_TOLERANCE, for values that reach the stage by another way."""
    day = value.date() if isinstance(value, datetime) else value
    if day < MIN_DATE:
        return False
    if fetched_at is None:
        return True
    latest = (fetched_at + FUTURE_TOLERANCE + timedelta(days=1)).date()
    return day <= latest
