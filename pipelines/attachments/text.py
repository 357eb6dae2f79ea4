"""Text cleanup shared by the readers: line structure kept, wrapped lines joined, junk dropped.

A reader hands over lines (a paragraph, a table row with tab-separated cells, a header line);
`clean_text` drops NULs and control characters, collapses spaces, trims each line and leaves
out empty ones, so every format comes out as one paragraph or row per line.

Fixed-layout formats (PDF, OFD) break a paragraph into the lines it was printed on, which would
cut Chinese sentences mid-word. `join_wrapped` joins a line to the next when it reaches the
right edge of the text on its page (it was wrapped, not ended) and the next line does not
start a new item (一、 （二） 3. 第五条 附件…); the join adds no space between Chinese
characters. A run of one-character lines (text set vertically, or a PDF that places each
glyph on its own line) is joined whatever the geometry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

# Controls other than tab and line ends vanish; vertical tab, form feed and the Unicode line
# and paragraph separators end a line (Word writes \x0b for a manual line break).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_AROUND_TAB = re.compile(r" *\t[ \t]*")
_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
                  r"\u201c\u201d\u2018\u2019\u2014\u2026]")
#: A line that starts a new item: 一、 （一） (1) 1. 1、 第三条 附件 ① …
ITEM_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、](?!\d)"
    r"|第[一二三四五六七八九十百零〇\d]+[条章节款部分]|附件|附表|[①-⑳])"
)
#: A cell gap inside a line: a table row, never joined.
_CELL_GAP = re.compile(r"\S(?: {2,}|\t)\S|[\u3400-\u9fff] [\u3400-\u9fff]")


#: Where a page's text column may end: in its right quarter.
RIGHT_QUARTER = 0.75


@dataclass(frozen=True)
class PrintedLine:
    """One line as a fixed-layout page printed it: text, right edge and font size (page units);
    `right` is None when the reader has no geometry for it."""

    text: str
    right: Optional[float] = None
    size: float = 0.0


def clean_text(text: str) -> str:
    """Lines kept, control characters and empty lines dropped, spaces collapsed and trimmed."""
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", text))
    lines = (_AROUND_TAB.sub("\t", _SPACES.sub(" ", line)).strip(" \t") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def join_wrapped(lines: Sequence[PrintedLine], page_width: Optional[float] = None) -> list[str]:
    """The page's paragraphs: lines that wrapped joined to the next one (see the module doc).

    The right edge of the text is the rightmost line's; it counts only when two lines reach it
    or it lies in the right quarter of the page (`page_width`), so that on a page of short
    lines the longest is not taken for a wrapped one.
    """
    lines = [PrintedLine(line.text.strip(), line.right, line.size) for line in lines if line.text.strip()]
    rights = [line.right for line in lines if line.right is not None]
    margin = max(rights) if rights else None
    if margin is not None:
        reaching = sum(1 for line in lines if line.right is not None and _reaches(line, margin))
        if reaching < 2 and not (page_width and margin >= RIGHT_QUARTER * page_width):
            margin = None
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current = line.text if not current else joined(current, line.text)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if following is None or not _continues(line, following, margin):
            paragraphs.append(current)
            current = ""
    return paragraphs


def joined(left: str, right: str) -> str:
    """Two parts of one paragraph: no space between Chinese text, one between Latin words."""
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def _continues(line: PrintedLine, following: PrintedLine, margin: Optional[float]) -> bool:
    if len(line.text) == 1 and len(following.text) == 1:
        return True  # a run of one-character lines is one line set glyph by glyph
    if margin is None or line.right is None:
        return False
    if ITEM_START.match(following.text) or _CELL_GAP.search(line.text) or _CELL_GAP.search(following.text):
        return False
    return _reaches(line, margin)


def _reaches(line: PrintedLine, margin: float) -> bool:
    # Within two characters: a line may end one character short where the next character is
    # punctuation that may not start a line.
    return line.right is not None and line.right >= margin - 2.0 * max(line.size, 1.0)


def cut(text: str, max_chars: int) -> tuple[str, Optional[str]]:
    """`text` cut to `max_chars` characters, with the sentence that says so (None when whole)."""
    if len(text) <= max_chars:
        return text, None
    return text[:max_chars], f"text cut at {max_chars:,} characters of {len(text):,}"
