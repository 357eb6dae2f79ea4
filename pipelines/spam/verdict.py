"""The page verdict: spam as a whole (the page is rejected) or an article that may carry spam
(it is cleaned and kept), from the page's vocabulary, its shape and the extractor's signals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pipelines.normalize import comparison_key, t2s_is_piecewise
from pipelines.spam.lexicon import is_spam_paragraph, related_categories
from pipelines.spam.structure import page_structure
from pipelines.text import Paragraph, paragraphs_of

__all__ = ["PageSignals", "SpamVerdict", "classify_page"]

# Weights of the signals (the score is capped at 1; a page is spam from 0.6).
DENSE_TERMS = 0.45  # ≥ 5 vocabulary hits per 1,000 characters of the body
MANY_TERMS = 0.25  # else ≥ 3 distinct terms
TITLE_TERMS = 0.15  # terms in the title
STUFFING = 0.2  # one term ≥ 4 times
NO_RUNNING_TEXT = 0.25  # < 100 Han characters in paragraphs of ≥ 30
LINK_FARM = 0.25  # offsite links ≥ 50 % and link text ≥ 30 %
CLOAKING = 0.3  # a cloaking redirect
HIDDEN_SPAM = 0.15  # hidden blocks carrying terms
# The page's shape (`structure`): evidence that needs no vocabulary.
KEYWORD_TITLE = 0.2  # a title of ≥ 3 short keyword segments
KEYWORD_LIST = 0.25  # ≥ 40 % of the text in lists of short keywords
REPEATED_PHRASE = 0.25  # a phrase said ≥ 3 times, a stem through a list, a run said thrice
CONTACT_SPAM = 0.25  # ≥ 3 mobile, QQ or WeChat mentions
NO_SENTENCES = 0.15  # < 20 % of the text in sentences
LIST_SHARE = 0.4  # share of the Han characters in keyword lists from which a page is a list
CONTACT_MIN = 3  # contact mentions from which a page advertises them
SENTENCE_SHARE = 0.2  # share of the Han characters in sentences below which a page has none
# A page reads as an article (its topic words then clear its terms of that subject) with this
# many Han characters in sentences, or with the title of a document.
ARTICLE_SENTENCE_HAN = 100
SPAM_SCORE = 0.6
RUNNING_TEXT_HAN = 30  # Han characters from which a paragraph is running text
# Substantial clean running text keeps a page whatever its score (a hijacked mirror of a real
# article scores high, and its article is kept, cleaned, and found to be a mirror by dedup).
SUBSTANTIAL_CHARS = 400
SUBSTANTIAL_SHARE = 0.7


@dataclass(frozen=True)
class PageSignals:
    """The extractor's page-level signals that bear on spam (names as in `ExtractedPage.signals`).

    `link_text_ratio`: characters inside links / all visible characters. `hidden_spam_terms`:
    vocabulary hits in the hidden blocks the extractor removed.
    """

    cloaking_redirect: bool = False
    offsite_link_ratio: float = 0.0
    link_text_ratio: float = 0.0
    hidden_blocks: int = 0
    hidden_spam_terms: int = 0

    @classmethod
    def from_mapping(cls, signals: Mapping[str, Any]) -> PageSignals:
        def number(*names: str) -> float:
            for name in names:
                value = signals.get(name)
                if isinstance(value, (int, float)):
                    return float(value)
                if isinstance(value, (list, tuple)):
                    return float(len(value))
            return 0.0

        return cls(
            cloaking_redirect=bool(signals.get("cloaking_redirect")),
            offsite_link_ratio=number("offsite_link_ratio"),
            link_text_ratio=number("link_text_ratio", "link_density"),
            hidden_blocks=int(number("hidden_blocks")),
            hidden_spam_terms=int(number("hidden_spam_terms")),
        )


@dataclass(frozen=True)
class SpamVerdict:
    is_spam_page: bool
    score: float
    reasons: tuple[str, ...]
    clean_chars: int  # Han characters of running text free of spam terms


def classify_page(
    title: Optional[str],
    paragraphs: Sequence[str],
    signals: Optional[PageSignals | Mapping[str, Any]] = None,
) -> SpamVerdict:
    """Is this page spam as a whole (reject it) or an article that may carry spam (clean it)?

    The signals and their weights are the constants above. A page is rejected only with a
    score ≥ `SPAM_SCORE` *and* without substantial clean running text (≥ 400 Han characters
    outside spam paragraphs and keyword lists, ≥ 70 % of the body). The page's shape
    (`structure`) counts beside its vocabulary, so spam in unknown words is known by its lists,
    repeated phrases, contact numbers and keyword title. Terms of a subject the page is about (a
    彩票 policy, an anti-gambling notice) do not count when the page reads as an article: it has
    sentences, or the title of a document.
    """
    if signals is None:
        page_signals = PageSignals()
    elif isinstance(signals, PageSignals):
        page_signals = signals
    else:
        page_signals = PageSignals.from_mapping(signals)
    texts = [p for p in paragraphs_of(paragraphs) if p]
    title_text = paragraphs_of([title])[0] if title else None
    structure = page_structure(title_text, texts)
    reads_as_article = (
        structure.sentence_han >= ARTICLE_SENTENCE_HAN or structure.document_title
    )
    related = related_categories(texts) if reads_as_article else set()
    # The hits of the lower-cased body are those of its lines one after the other (no term
    # spans a line break), and so is its comparison key when t2s is piecewise.
    foreign = [[h for h in p.hits if h.category not in related] for p in texts]
    body_hits = [h for hits in foreign for h in hits]

    score = 0.0
    reasons: list[str] = []
    if t2s_is_piecewise():
        body_chars = max(sum(p.lowered_key_length for p in texts), 1)
    else:
        body_chars = max(len(comparison_key("\n".join(texts).lower())), 1)
    per_thousand = 1000 * len(body_hits) / body_chars
    distinct = {h.term.lower() for h in body_hits}
    if body_hits and per_thousand >= 5:
        score += DENSE_TERMS
        reasons.append(f"spam_terms:{len(body_hits)}/{body_chars}chars")
    elif len(distinct) >= 3:
        score += MANY_TERMS
        reasons.append(f"spam_terms:{len(distinct)}distinct")
    if title_text is not None and title_text.hits:
        score += TITLE_TERMS
        reasons.append("spam_title")
    if body_hits:
        term, count = Counter(h.term.lower() for h in body_hits).most_common(1)[0]
        if count >= 4:
            score += STUFFING
            reasons.append(f"keyword_stuffing:{term}x{count}")
    # Lists and copies of an earlier paragraph are not running text, however long.
    running: list[Paragraph] = [
        p for i, p in enumerate(texts)
        if p.han >= RUNNING_TEXT_HAN and i not in structure.stuffed
    ]
    if sum(p.han for p in running) < 100:
        score += NO_RUNNING_TEXT
        reasons.append("no_running_text")
    if structure.keyword_title:
        score += KEYWORD_TITLE
        reasons.append("keyword_title")
    # A document's lists and repeated lines are its content (a 名单, an agenda, a table).
    if not structure.document_title:
        if structure.list_share >= LIST_SHARE:
            score += KEYWORD_LIST
            reasons.append(f"keyword_list:{round(100 * structure.list_share)}%")
        if structure.repeated_phrase is not None:
            score += REPEATED_PHRASE
            reasons.append(
                f"repeated_phrase:{structure.repeated_phrase}x{structure.repeated_count}"
            )
        if structure.han and structure.sentence_share < SENTENCE_SHARE:
            score += NO_SENTENCES
            reasons.append("no_sentences")
    if structure.contacts >= CONTACT_MIN:
        score += CONTACT_SPAM
        reasons.append(f"contact_spam:{structure.contacts}")
    if page_signals.offsite_link_ratio >= 0.5 and page_signals.link_text_ratio >= 0.3:
        score += LINK_FARM
        reasons.append("link_farm")
    if page_signals.cloaking_redirect:
        score += CLOAKING
        reasons.append("cloaking_redirect")
    if page_signals.hidden_blocks and page_signals.hidden_spam_terms:
        score += HIDDEN_SPAM
        reasons.append("hidden_spam_blocks")
    score = min(score, 1.0)

    clean_chars = sum(
        p.han for i, (p, hits) in enumerate(zip(texts, foreign))
        if p.han >= RUNNING_TEXT_HAN and i not in structure.stuffed
        and not is_spam_paragraph(len(p.key), hits)
    )
    all_han = sum(p.han for p in texts) or 1
    substantial = clean_chars >= SUBSTANTIAL_CHARS and clean_chars >= SUBSTANTIAL_SHARE * all_han
    is_spam = score >= SPAM_SCORE and not substantial
    return SpamVerdict(is_spam, round(score, 3), tuple(reasons), clean_chars)
