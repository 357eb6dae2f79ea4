"""Text normalisation: one clean Simplified-Chinese form for stored text and a key for hashing.

Decisions (tested in tests/pipelines/test_normalize.py):

* **NFKC, except Chinese punctuation.** NFKC is right for compatibility characters (full-width
  Latin letters and digits `ＡＢＣ１２３`, circled/ideographic variants, `\\u3000`, NBSP) but it
  also turns the full-width punctuation of Chinese prose `，：；（）！？` into ASCII, which readers
  of a Chinese article do not expect. Those six stay full-width. Conversely, ASCII `, ; : ( ) ! ?`
  touching a CJK character (what mirrors and some CMS exports print: `来源:高新院`, `(一)`) become
  full-width, so that a page and its mirror store the same characters. `.` is never converted
  (decimals, `1.` list numbers), nor is punctuation between Latin letters or digits (`1,000`).
* **Invisible characters go**: zero-width space/joiners, BOM, word joiner, soft hyphen, bidi
  marks and embeddings (LRM/RLM/LRE/…/isolates), NUL and other C0/C1 controls.
* **Whitespace collapses** to one ASCII space inside a paragraph (`\\u3000`, NBSP, tabs, newlines,
  a literal `&nbsp;` left by a careless CMS) and is trimmed at both ends.
* **Traditional → Simplified** with opencc's `t2s`, one converter per process, and only on the
  pieces of text that contain a character from its dictionaries: the output is identical to
  converting everything (opencc converts each separator-delimited piece independently, and a
  piece with none of those characters can only match no-op entries), and most Simplified pages
  skip opencc entirely.
* **comparison_key**: the Simplified text with everything but letters and digits removed and
  Latin lower-cased: punctuation, spacing and script no longer make copies differ; digits stay
  because a changed figure is a real (if small) difference.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Literal, Optional, Sequence

__all__ = [
    "NormalizedText",
    "Script",
    "comparison_key",
    "detect_script",
    "normalize_record",
    "normalize_text",
    "script_shares",
    "to_simplified",
]

Script = Literal["simplified", "traditional", "mixed"]

# Full-width punctuation kept as it is (NFKC would make it ASCII).
_KEEP_FULLWIDTH = "，：；（）！？"
_KEEP_SPLIT = re.compile(f"([{_KEEP_FULLWIDTH}])")
# ASCII punctuation made full-width when it touches a CJK character.
_TO_FULLWIDTH = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}

# Removed outright: zero-width characters, BOM, soft hyphen, bidi controls, interlinear marks.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\ufeff\ufff9\ufffa\ufffb"
)
_DROP_TABLE = {ord(c): None for c in _INVISIBLE}
# C0/C1 controls: whitespace-like ones become a space (they separated words), others vanish.
for _cp in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
    _DROP_TABLE[_cp] = " " if chr(_cp) in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85" else None

_NBSP_ENTITY = re.compile(r"&(?:nbsp|#160|#xa0|ensp|emsp|thinsp);?", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Characters that count as "CJK" for the punctuation rule: Han, kana, CJK punctuation and
# full-width forms (so `”,` and `）,` convert too).
_CJK_CLASS = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2018\u2019"
_ASCII_PUNCT_NEAR_CJK = re.compile(
    rf"(?<=[{_CJK_CLASS}])\s*([,:;()!?])|([,:;()!?])\s*(?=[{_CJK_CLASS}])"
)
_NON_KEY = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _nfkc_keep_cjk_punct(text: str) -> str:
    if text.isascii():
        return text
    pieces = _KEEP_SPLIT.split(text)
    for i in range(0, len(pieces), 2):  # odd indices are the kept punctuation
        pieces[i] = unicodedata.normalize("NFKC", pieces[i])
    return "".join(pieces)


def _punct_to_fullwidth(match: re.Match[str]) -> str:
    return _TO_FULLWIDTH[match.group(1) or match.group(2)]


def normalize_text(text: Optional[str]) -> str:
    """Clean one paragraph or title: NFKC (CJK punctuation kept), invisibles out, spaces collapsed.

    Does not convert script (see `to_simplified`): callers that need the script of the original
    detect it on this output first.
    """
    if not text:
        return ""
    text = _NBSP_ENTITY.sub(" ", text)
    text = text.translate(_DROP_TABLE)
    text = _nfkc_keep_cjk_punct(text)
    # NFKC can produce new controls/invisibles only in pathological cases; spaces it produces
    # (from \u3000, NBSP) are collapsed here.
    text = _SPACES.sub(" ", text).strip()
    if not text.isascii():
        text = _ASCII_PUNCT_NEAR_CJK.sub(_punct_to_fullwidth, text)
    return text


# --- script detection and conversion ----------------------------------------------------------


class _OpenccTables:
    """opencc's own dictionaries, read once: which characters trigger t2s, which are script-only."""

    def __init__(self) -> None:
        import opencc  # the reimplementation ships its dictionaries as text files

        base = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
        ts_chars = _read_dict(os.path.join(base, "TSCharacters.txt"))
        ts_phrases = _read_dict(os.path.join(base, "TSPhrases.txt"))
        st_chars = _read_dict(os.path.join(base, "STCharacters.txt"))
        # opencc replaces a match by the first of its values: entries whose first value is the
        # key itself (覆 -> "覆 复", common in Simplified text: 颠覆) change nothing. Every other
        # character key triggers a conversion.
        trigger = {k for k, v in ts_chars.items() if v.split(" ")[0] != k}
        # Phrases that change text although none of their characters is a trigger (反覆 -> 反复,
        # 沈默 -> 沉默): looked for as substrings.
        hidden = sorted(
            (p for p, v in ts_phrases.items() if v.split(" ")[0] != p and trigger.isdisjoint(p)),
            key=len,
            reverse=True,
        )
        self.t2s_hidden_phrases: Optional[re.Pattern[str]] = (
            re.compile("|".join(map(re.escape, hidden))) if hidden else None
        )
        self.t2s_trigger: frozenset[str] = frozenset(trigger)
        # Characters that exist only in Traditional text: t2s changes them and they are not
        # themselves a Simplified character (s2t has no entry for them).
        self.traditional_only: frozenset[str] = frozenset(
            k for k, v in ts_chars.items() if len(k) == 1 and k not in v.split(" ") and k not in st_chars
        )
        self.simplified_only: frozenset[str] = frozenset(
            k for k, v in st_chars.items() if len(k) == 1 and k not in v.split(" ") and k not in ts_chars
        )


def _read_dict(path: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line:
                key, value = line.split("\t", 1)
                table[key] = value
    return table


_lock = threading.Lock()
_tables: Optional[_OpenccTables] = None
_converter = None  # opencc.OpenCC("t2s"), built once per process


def _get_tables() -> _OpenccTables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _OpenccTables()
    return _tables


def _get_converter():  # type: ignore[no-untyped-def]
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                converter = opencc.OpenCC("t2s")
                converter.convert("")  # loads the dictionaries now, not on the first page
                _converter = converter
    return _converter


def to_simplified(text: str) -> str:
    """Traditional → Simplified, identical to `opencc.OpenCC('t2s').convert(text)`, but fast.

    Only separator-delimited pieces that contain a t2s dictionary character go through opencc
    (opencc itself converts those pieces independently, so the result cannot differ).
    """
    if not text:
        return text
    tables = _get_tables()
    trigger = tables.t2s_trigger
    hidden = tables.t2s_hidden_phrases
    if trigger.isdisjoint(text) and (hidden is None or hidden.search(text) is None):
        return text
    converter = _get_converter()
    pieces = converter.split_chars_re.split(text)
    convert_piece = converter._convert
    chain = converter._dict_chain_data
    for i in range(0, len(pieces), 2):  # even indices: text; odd: separators, kept
        piece = pieces[i]
        if piece and (
            not trigger.isdisjoint(piece) or (hidden is not None and hidden.search(piece))
        ):
            pieces[i] = convert_piece(piece, chain)
    return "".join(pieces)


def script_shares(text: str) -> tuple[int, int, int]:
    """(Han characters, Traditional-only characters, Simplified-only characters) in `text`."""
    tables = _get_tables()
    trad = simp = 0
    trad_only, simp_only = tables.traditional_only, tables.simplified_only
    for ch in text:
        if ch in trad_only:
            trad += 1
        elif ch in simp_only:
            simp += 1
    han = len(_HAN.findall(text))
    return han, trad, simp


def detect_script(text: str) -> Script:
    """Which script a text is written in, from the characters only one script has.

    About a third of the characters of running Chinese text differ between the scripts, so a
    page in one script has plenty of its own characters and almost none of the other's. A
    Traditional character or two on a Simplified page (a name, a quoted title) does not count:
    'traditional' needs ≥ 90 % of the script-specific characters to be Traditional, 'simplified'
    ≤ 10 %; anything between is 'mixed' (e.g. a Simplified page with a Traditional spam block).
    """
    _, trad, simp = script_shares(text)
    total = trad + simp
    if total == 0 or trad <= 1:
        return "simplified"
    share = trad / total
    if share >= 0.9:
        return "traditional"
    if share <= 0.1:
        return "simplified"
    return "mixed"


def comparison_key(text: str) -> str:
    """The form copies are compared on: Simplified, letters and digits only, Latin lower-case."""
    if not text:
        return ""
    return _NON_KEY.sub("", to_simplified(normalize_text(text))).lower()


@dataclass(frozen=True)
class NormalizedText:
    title: str
    paragraphs: tuple[str, ...]
    original_script: Script

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


def normalize_record(title: Optional[str], paragraphs: Sequence[str]) -> NormalizedText:
    """Normalise a page's title and paragraphs to Simplified; drop paragraphs left empty.

    `original_script` is detected on the body (the title of a hijacked page may be spam in
    another script); a page without body text falls back to the title.
    """
    clean_title = normalize_text(title)
    clean = [p for p in (normalize_text(p) for p in paragraphs) if p]
    sample = "".join(clean) or clean_title
    script = detect_script(sample)
    if script == "simplified":
        # Left alone: characters such as 昇, 喆 or 堃 in a Simplified page are people's names,
        # which t2s would "simplify" (李昇 -> 李升). Dedup still compares copies in one script,
        # because comparison_key() always converts.
        return NormalizedText(clean_title, tuple(clean), script)
    return NormalizedText(to_simplified(clean_title), tuple(to_simplified(p) for p in clean), script)
