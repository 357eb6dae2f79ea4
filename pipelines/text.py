"""The per-page text the cleaning stages share: each paragraph's normalised text, with what the
stages read of it (comparison key, vocabulary hits, topic words, Han characters) computed once,
on first use, and carried with it from stage to stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any, Optional

from pipelines.normalize import comparison_key, joined_key, key_of_normalized, normalize_text
from pipelines.spam.vocabulary import TermHit, spam_term_hits, topics_outside_hits

__all__ = ["Paragraph", "as_paragraph", "bigrams", "body_key", "containment", "paragraphs_of"]

_HAN_RUN = re.compile("[\u4e00-\u9fff]+")


class Paragraph(str):
    """A paragraph's normalised text (the string itself), and what the stages read of it.

    Made by `paragraphs_of` from extracted text, or by a stage from text it already normalised
    (a paragraph converted to Simplified, what a splice cut left). Crosses a process boundary
    as a plain `str`: what it computed is computed again where it is needed (`as_paragraph`).
    """

    @cached_property
    def key(self) -> str:
        """`comparison_key` of the text."""
        return key_of_normalized(self)

    @cached_property
    def hits(self) -> tuple[TermHit, ...]:
        """Vocabulary terms in the lower-cased text."""
        return tuple(spam_term_hits(self.lower()))

    @cached_property
    def topics(self) -> frozenset[str]:
        """Categories the paragraph is about: their topic words occur outside its hits."""
        return topics_outside_hits(self, self.hits)

    @cached_property
    def han(self) -> int:
        """Characters in U+4E00..U+9FFF."""
        return sum(map(len, _HAN_RUN.findall(self)))

    @cached_property
    def lowered_key_length(self) -> int:
        """Length of the comparison key of the lower-cased text (what the vocabulary sees)."""
        lowered = self.lower()
        return len(self.key) if lowered == self else len(comparison_key(lowered))

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str(self),))


def paragraphs_of(texts: Iterable[str]) -> list[Paragraph]:
    """Each text as a `Paragraph`: normalised (`normalize_text`), unless it is one already."""
    return [t if isinstance(t, Paragraph) else Paragraph(normalize_text(t)) for t in texts]


def as_paragraph(text: str) -> Paragraph:
    """`text`, already normalised, as a `Paragraph` (itself when it is one)."""
    return text if isinstance(text, Paragraph) else Paragraph(text)


def body_key(paragraphs: Sequence[str]) -> str:
    """`comparison_key("\\n".join(paragraphs))` of normalised paragraphs, from their own keys
    where that is provably the same (`normalize.joined_key`)."""
    keyed = [as_paragraph(p) for p in paragraphs]
    key: Optional[str] = joined_key([p.key for p in keyed])
    return key if key is not None else comparison_key("\n".join(paragraphs))


# Similarity of texts as served (punctuation and spaces aside), for titles and headings.
_NOT_COMPARED = {ord(c): None for c in "，。；！？、：“”‘’《》（）——…,.;!? \t\n\r\f\v\u00a0\u3000"}


def bigrams(text: str) -> set[str]:
    s = text.translate(_NOT_COMPARED)
    if len(s) < 2:
        return {s} if s else set()
    return {s[i:i + 2] for i in range(len(s) - 1)}


def containment(part: str, whole: str | set[str]) -> float:
    """Share of ``part``'s character bigrams found in ``whole`` (0.0 when part is empty)."""
    a = bigrams(part)
    if not a:
        return 0.0
    b = whole if isinstance(whole, set) else bigrams(whole)
    return len(a & b) / len(a)
