"""Spam cut by the vocabulary: a paragraph that is spam through and through goes whole, a term
spliced into a sentence goes with the words spammers attach to it, and a term of a subject the
page is about stays (an anti-gambling notice quoting 百家乐, 六合彩).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from pipelines.items import RemovalRecord
from pipelines.normalize import normalize_text
from pipelines.spam.vocabulary import (
    KIND_INJECTED_PARAGRAPH,
    KIND_SPLICED_SPAM,
    SPLICE_PATTERN,
    TERM_PATTERN,
    TermHit,
    category_of,
)
from pipelines.text import Paragraph, paragraphs_of

__all__ = [
    "LexiconCut", "assemble_spam_cuts", "is_spam_paragraph", "lexicon_cuts", "related_categories",
    "strip_spam_paragraphs",
]


@dataclass(frozen=True)
class LexiconCut:
    """One paragraph after the vocabulary's cuts: the text kept (None: cut whole) and the cuts."""

    kept: Optional[Paragraph]
    cuts: tuple[RemovalRecord, ...] = ()


def related_categories(paragraphs: Sequence[Paragraph]) -> set[str]:
    """Categories the page is about: a topic word appears outside the term hits. Neither a term
    nor a topic word spans a line break, so the paragraphs are searched one by one."""
    related: set[str] = set()
    for paragraph in paragraphs:
        related.update(paragraph.topics)
    return related


def is_spam_paragraph(key_length: int, hits: Sequence[TermHit]) -> bool:
    """A paragraph (its comparison key `key_length` long) that is spam as a whole rather than an
    article sentence with a splice: terms cover ≥ 20 % of it, or several distinct terms."""
    if not hits:
        return False
    key_len = key_length or 1
    covered = sum(h.end - h.start for h in hits)
    distinct = len({h.term.lower() for h in hits})
    return covered / key_len >= 0.2 or (distinct >= 2 and key_len < 200) or distinct >= 4


def lexicon_cuts(paragraphs: Sequence[str]) -> list[LexiconCut]:
    """What the vocabulary cuts of each paragraph (normalised text).

    Pure of the site counter (the page's subjects are those of all its paragraphs), so a worker
    process computes it and the counter's verdicts are applied afterwards (`assemble_spam_cuts`).
    """
    texts = paragraphs_of(paragraphs)
    related = related_categories(texts)
    out: list[LexiconCut] = []
    for paragraph in texts:
        hits = [h for h in paragraph.hits if h.category not in related]
        if not hits:
            out.append(LexiconCut(paragraph))
            continue
        if is_spam_paragraph(len(paragraph.key), hits):
            out.append(LexiconCut(None, (RemovalRecord(KIND_INJECTED_PARAGRAPH, str(paragraph)),)))
            continue
        lowered = paragraph.lower()
        pieces: list[str] = []
        cuts: list[RemovalRecord] = []
        position = 0
        for match in SPLICE_PATTERN.finditer(lowered):
            term = TERM_PATTERN.match(match.group(0))
            if term is not None and category_of(term.group(0)) in related:
                continue
            pieces.append(paragraph[position : match.start()])
            cuts.append(RemovalRecord(KIND_SPLICED_SPAM, paragraph[match.start() : match.end()]))
            position = match.end()
        pieces.append(paragraph[position:])
        kept = normalize_text("".join(pieces))
        out.append(LexiconCut(Paragraph(kept) if kept else None, tuple(cuts)))
    return out


def assemble_spam_cuts(
    paragraphs: Sequence[str], kinds: Sequence[Optional[str]], lexicon: Sequence[LexiconCut]
) -> tuple[list[Paragraph], list[RemovalRecord]]:
    """Kept paragraphs and cuts, in page order: a paragraph the site counter judged (`kinds`)
    is cut whole, the others as the vocabulary decided (`lexicon`)."""
    kept: list[Paragraph] = []
    cuts: list[RemovalRecord] = []
    for paragraph, kind, cut in zip(paragraphs, kinds, lexicon):
        if kind is not None:
            cuts.append(RemovalRecord(kind, str(paragraph)))
            continue
        cuts.extend(cut.cuts)
        if cut.kept is not None:
            kept.append(cut.kept)
    return kept, cuts


def strip_spam_paragraphs(
    paragraphs: Sequence[str], kinds: Optional[Sequence[Optional[str]]] = None
) -> tuple[list[Paragraph], list[RemovalRecord]]:
    """The spam cuts of a page in one call: paragraphs the site counter judged (`kinds`, from
    `ParagraphFrequency.kinds`) go whole, the rest as the vocabulary decides."""
    texts = paragraphs_of(paragraphs)
    return assemble_spam_cuts(texts, kinds or [None] * len(texts), lexicon_cuts(texts))
