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
* **Traditional → Simplified** with opencc's `t2s` dictionaries and algorithm, reproduced
  without its parse trees (`_FastT2S`, ~13x faster, same output: tested on the benchmark
  corpus); a text with no character from the dictionaries is returned untouched, so most
  Simplified pages cost one set test.
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
from typing import Iterable, Literal, Optional, Sequence

import numpy as np


__all__ = [
    "NormalizedText",
    "Script",
    "comparison_key",
    "detect_script",
    "key_of_normalized",
    "normalize_record",
    "normalize_text",
    "joined_key",
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
# Quick tests that let normalize_text skip a step that would change nothing (most paragraphs
# reach it already clean): a character of the drop table; whitespace other than single spaces
# (two spaces in a row, or any other whitespace character).
_NEEDS_DROP = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_DROP_TABLE)) + "]")
_OTHER_SPACE = re.compile(r"[^\S ]")
# Characters that count as "CJK" for the punctuation rule: Han, kana, CJK punctuation and
# full-width forms (so `”,` and `）,` convert too).
_CJK_CLASS = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2018\u2019"
_ASCII_PUNCT_NEAR_CJK = re.compile(
    rf"(?<=[{_CJK_CLASS}])\s*([,:;()!?])|([,:;()!?])\s*(?=[{_CJK_CLASS}])"
)
# The same replacements, found faster where the rule is applied (in `normalize_text`, after
# whitespace has collapsed: the only whitespace left is single ASCII spaces, none at either end).
# Every match of the pattern above then starts with a space or one of the punctuation marks, so
# the pattern can start with that character class and the regex engine skips to such positions
# (~4x faster); its three branches are, in order, the first branch with one space, the first
# branch without, the second branch (`\s*` backtracking to "" only where `(?=[CJK])` fails on a
# space). Tested equal on such text (tests/pipelines/test_normalize_fast.py).
_PUNCT_NEAR_CJK = re.compile(
    rf"[ ,:;()!?](?:(?<=[{_CJK_CLASS}] )[,:;()!?]|(?<=[{_CJK_CLASS}][,:;()!?])"
    rf"|(?<=[,:;()!?]) ?(?=[{_CJK_CLASS}]))"
)
_ASCII_PUNCT = re.compile(r"[,:;()!?]")
_NON_KEY = re.compile(r"[\W_]+")
_KEY_RUN = re.compile(r"[^\W_]+")  # "".join(_KEY_RUN.findall(t)) == _NON_KEY.sub("", t), faster


def _plain_ranges() -> str:
    """Characters on which `normalize_text`'s drop, NFKC and whitespace steps change nothing.

    A character here is not in the drop table, is no whitespace but the ASCII space, is its own
    NFKC form with canonical combining class 0, and is not the second character of a canonical
    composition (checked in tests): a string of them (cut anywhere into pieces) is NFKC-normalised
    (the quick-check answer YES). The candidates are the blocks of Chinese prose: ASCII, Latin-1,
    general punctuation, CJK punctuation, kana, CJK ideographs.
    """
    candidates = (
        (0x20, 0x7E), (0xA1, 0xFF), (0x2010, 0x205E), (0x3001, 0x303F), (0x3041, 0x30FF),
        (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    )
    ranges: list[list[int]] = []
    for low, high in candidates:
        for cp in range(low, high + 1):
            ch = chr(cp)
            if (
                cp in _DROP_TABLE
                or (ch.isspace() and ch != " ")
                or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
                or unicodedata.combining(ch)
                or unicodedata.normalize("NFKC", ch) != ch
            ):
                continue
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_PLAIN_CHARS = _plain_ranges()
# A character that is neither plain nor one of the kept full-width marks (which split the text
# into the pieces NFKC is applied to): where there is none, only the spaces step can change text.
_NOT_PLAIN = re.compile(f"[^{_PLAIN_CHARS}{_KEEP_FULLWIDTH}]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_HAN = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _nfkc_keep_cjk_punct(text: str) -> str:
    if text.isascii():
        return text
    pieces = _KEEP_SPLIT.split(text)
    for i in range(0, len(pieces), 2):  # odd indices are the kept punctuation
        pieces[i] = unicodedata.normalize("NFKC", pieces[i])
    return "".join(pieces)


def _punct_to_fullwidth(match: re.Match[str]) -> str:
    return _TO_FULLWIDTH[match.group(1) or match.group(2)]


def _punct_match_to_fullwidth(match: re.Match[str]) -> str:
    # A match of _PUNCT_NEAR_CJK: one punctuation mark and at most one space.
    return _TO_FULLWIDTH[match.group().strip(" ")]


def normalize_text(text: Optional[str]) -> str:
    """Clean one paragraph or title: NFKC (CJK punctuation kept), invisibles out, spaces collapsed.

    Does not convert script (see `to_simplified`): callers that need the script of the original
    detect it on this output first.
    """
    if not text:
        return ""
    # Each step is skipped when a quick search shows it would change nothing.
    if "&" in text:
        text = _NBSP_ENTITY.sub(" ", text)
    if _NOT_PLAIN.search(text) is None:
        # Plain characters only (most paragraphs): nothing to drop, every NFKC piece is already
        # normalised, the only whitespace is the ASCII space.
        if "  " in text:
            text = _SPACES.sub(" ", text)
    else:
        if _NEEDS_DROP.search(text) is not None:
            text = text.translate(_DROP_TABLE)
        text = _nfkc_keep_cjk_punct(text)
        # NFKC can produce new controls/invisibles only in pathological cases; spaces it produces
        # (from \u3000, NBSP) are collapsed here.
        if "  " in text or _OTHER_SPACE.search(text) is not None:
            text = _SPACES.sub(" ", text)
    text = text.strip()
    if text.isascii():
        return text
    if _ASCII_PUNCT.search(text) is not None:
        # = _ASCII_PUNCT_NEAR_CJK.sub(_punct_to_fullwidth, text): whitespace is single spaces now
        text = _PUNCT_NEAR_CJK.sub(_punct_match_to_fullwidth, text)
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
        # Characters every hidden phrase holds one of (a greedy cover: 覆, 藉, 瞭, …): text
        # without a trigger and without these has no hidden phrase either, found in one scan.
        anchors: set[str] = set()
        uncovered = list(hidden)
        while uncovered:
            counts: dict[str, int] = {}
            for phrase in uncovered:
                for ch in set(phrase):
                    counts[ch] = counts.get(ch, 0) + 1
            # Ties go to a character of TSCharacters (衹 rather than 得: rarer in Simplified text).
            best = max(sorted(counts), key=lambda ch: (counts[ch], ch in ts_chars))
            anchors.add(best)
            uncovered = [phrase for phrase in uncovered if best not in phrase]
        # Any trigger, any anchor, any astral character (where the exact tests are needed).
        self.t2s_maybe: re.Pattern[str] = re.compile(
            "[" + "".join(re.escape(c) for c in sorted(trigger | anchors) if ord(c) <= 0xFFFF)
            + "\U00010000-\U0010ffff]"
        )
        # The same test as one regex search (a set test iterates the text in Python): a character
        # class of the BMP triggers, and the set itself only for text with astral characters.
        self.t2s_trigger_bmp: re.Pattern[str] = re.compile(
            "[" + "".join(re.escape(c) for c in sorted(trigger) if ord(c) <= 0xFFFF) + "]"
            if any(ord(c) <= 0xFFFF for c in trigger)
            else "(?!)"
        )
        self.has_astral_trigger = any(ord(c) > 0xFFFF for c in trigger)
        # Characters that exist only in Traditional text: t2s changes them and they are not
        # themselves a Simplified character (s2t has no entry for them).
        self.traditional_only: frozenset[str] = frozenset(
            k for k, v in ts_chars.items() if len(k) == 1 and k not in v.split(" ") and k not in st_chars
        )
        self.simplified_only: frozenset[str] = frozenset(
            k for k, v in st_chars.items() if len(k) == 1 and k not in v.split(" ") and k not in ts_chars
        )
        # The same sets as regex character classes (BMP part) for counting in one C-level scan.
        self.traditional_only_bmp = _char_class(c for c in self.traditional_only if ord(c) <= 0xFFFF)
        self.simplified_only_bmp = _char_class(c for c in self.simplified_only if ord(c) <= 0xFFFF)
        # Traditional-only characters of the BMP and every astral character, in one class.
        self.traditional_only_or_astral = re.compile(
            "["
            + "".join(re.escape(c) for c in sorted(self.traditional_only) if ord(c) <= 0xFFFF)
            + "\U00010000-\U0010ffff]"
        )

    def has_trigger(self, text: str) -> bool:
        """`not self.t2s_trigger.isdisjoint(text)`, fast."""
        if self.t2s_trigger_bmp.search(text) is not None:
            return True
        return (
            self.has_astral_trigger
            and _ASTRAL.search(text) is not None
            and not self.t2s_trigger.isdisjoint(text)
        )


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    chars = sorted(chars)
    return re.compile("[" + "".join(map(re.escape, chars)) + "]" if chars else "(?!)")


def _read_dict(path: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line:
                key, value = line.split("\t", 1)
                table[key] = value
    return table


class _FastT2S:
    """opencc-python-reimplemented's `t2s`, reproduced without its parse trees (~13x faster).

    What `OpenCC("t2s").convert` does, read from its source: split the text on its separator
    regex and, in every piece independently, apply the group (TSPhrases, TSCharacters) — the
    phrase dictionary first, taking the *longest* match anywhere in the piece (the leftmost
    among equally long ones) and recursing into what lies left and right of it; characters not
    inside a phrase match then go through TSCharacters (all of whose keys are one character),
    each replaced by the first of its values. Separators are never converted.

    Here the same result comes from: every phrase occurrence in the text (scanned from the
    phrase dictionary's first characters), accepted greedily in the order (longer first, then
    leftmost) unless it overlaps one accepted before — the order the recursion picks them in,
    since a match is chosen in the recursion exactly when no better-ranked match overlaps it —
    and one `str.translate` for the rest. Phrases holding a separator can never match inside a
    piece and are left out, so no match crosses a piece boundary. Tested against opencc on the
    benchmark corpus and the test texts.
    """

    def __init__(self, converter) -> None:  # type: ignore[no-untyped-def]
        separators = converter.split_chars_re
        chains = converter._dict_chain_data
        if len(chains) != 1 or len(chains[0]) != 2:
            raise RuntimeError("opencc's t2s config changed shape; update _FastT2S")
        (_, _, phrases), (char_max, _, chars) = chains[0]
        if char_max != 1:
            raise RuntimeError("opencc's TSCharacters has multi-character keys; update _FastT2S")
        self.phrases: dict[str, str] = {
            k: v.split(" ")[0] for k, v in phrases.items() if not separators.search(k)
        }
        self.table: dict[int, str] = {
            ord(k): v.split(" ")[0]
            for k, v in chars.items()
            if v.split(" ")[0] != k and not separators.fullmatch(k)
        }
        lengths: dict[str, set[int]] = {}
        for key in self.phrases:
            lengths.setdefault(key[0], set()).add(len(key))
        self.lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        self.starts = re.compile("[" + "".join(re.escape(c) for c in sorted(lengths)) + "]")
        # The first two characters of every phrase, when every phrase has two or more.
        self.heads: Optional[frozenset[str]] = (
            frozenset(key[:2] for key in self.phrases)
            if all(len(key) >= 2 for key in self.phrases)
            else None
        )
        # `table` as a lookup array over the BMP, for long texts: `str.translate` looks every
        # character up in a dict (~60 ns each), numpy takes ~3 ns (a 3,000-character body: 0.18
        # ms -> 0.01 ms). Only for one-character values (the case for opencc's), BMP text.
        self.lut: Optional[np.ndarray] = None
        if all(len(v) == 1 for v in self.table.values()):
            lut = np.arange(0x10000, dtype=np.uint32)
            for k, v in self.table.items():
                if k <= 0xFFFF:
                    lut[k] = ord(v)
            self.lut = lut

    def translate(self, text: str) -> str:
        """`text.translate(self.table)`, through the numpy lookup array for
        long ones (numpy)."""
        lut = self.lut
        if lut is None or len(text) < _LUT_MIN_CHARS:
            return text.translate(self.table)
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        if int(points.max()) > 0xFFFF:
            return text.translate(self.table)
        converted = lut.take(points).astype("<u4", copy=False).tobytes()
        return converted.decode("utf-32-le", "surrogatepass")

    def convert(self, text: str) -> str:
        phrases, lengths = self.phrases, self.lengths
        found: list[tuple[int, int, str]] = []
        size = len(text)
        heads = self.heads
        for match in self.starts.finditer(text):
            i = match.start()
            if heads is not None and text[i : i + 2] not in heads:
                continue  # no phrase starts with these two characters (most start positions)
            for length in lengths[match.group()]:
                if i + length > size:
                    continue
                value = phrases.get(text[i : i + length])
                if value is not None:
                    found.append((-length, i, value))
        if not found:
            return self.translate(text)
        found.sort()
        taken: list[tuple[int, int, str]] = []
        used = bytearray(size)
        for negative, i, value in found:
            end = i - negative
            if not any(used[i:end]):
                used[i:end] = b"\x01" * (end - i)
                taken.append((i, end, value))
        taken.sort()
        out: list[str] = []
        position = 0
        for i, end, value in taken:
            out.append(self.translate(text[position:i]))
            out.append(value)
            position = end
        out.append(self.translate(text[position:]))
        return "".join(out)


_LUT_MIN_CHARS = 64  # shorter texts translate faster through the dict

_lock = threading.Lock()
_tables: Optional[_OpenccTables] = None
_fast: Optional[_FastT2S] = None  # built once per process from opencc's own dictionaries


def _get_tables() -> _OpenccTables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _OpenccTables()
    return _tables


def _get_fast() -> _FastT2S:
    global _fast
    if _fast is None:
        with _lock:
            if _fast is None:
                import opencc

                converter = opencc.OpenCC("t2s")
                converter.convert("")  # loads the dictionaries
                _fast = _FastT2S(converter)
    return _fast


def to_simplified(text: str) -> str:
    """Traditional → Simplified, identical to `opencc.OpenCC('t2s').convert(text)`, but fast.

    Text without a character from the t2s dictionaries (nor a phrase that changes without one)
    is returned as it is; the rest goes through `_FastT2S`, opencc's algorithm without its
    per-piece parse trees (~0.3 ms instead of ~4 ms for a 3,000-character document).
    """
    if not text:
        return text
    tables = _get_tables()
    # The exact tests (no trigger, no hidden phrase) run only where the one-scan prefilter finds
    # a trigger, a character of a hidden phrase or an astral character.
    if not tables.t2s_maybe.search(text) is not None or (
        not tables.has_trigger(text)
        and (tables.t2s_hidden_phrases is None or tables.t2s_hidden_phrases.search(text) is None)
    ):
        return text
    converted = _CONVERTED.get(text)
    if converted is None:
        converted = _get_fast().convert(text)
        if len(text) <= _CONVERTED_MAX_CHARS:
            if len(_CONVERTED) >= _CONVERTED_LIMIT:
                _CONVERTED.clear()
            _CONVERTED[text] = converted
    return converted


# Conversions of the last paragraphs converted: a Traditional paragraph is converted for its
# comparison key and again for the stored text (and its key once more for dedup).
_CONVERTED: dict[str, str] = {}
_CONVERTED_LIMIT = 1024
_CONVERTED_MAX_CHARS = 4096


_piecewise: Optional[bool] = None


def t2s_is_piecewise() -> bool:
    """True when no t2s phrase holds anything but letters and digits (the case for opencc's).

    Then no conversion reaches across a space or a punctuation mark, and the comparison key of
    lines joined by newlines is, character for character, the keys of the lines one after the
    other: callers may add up per-line key lengths instead of normalising the joined text.
    """
    global _piecewise
    if _piecewise is None:
        _piecewise = not any(_NON_KEY.search(phrase) for phrase in _get_fast().phrases)
    return _piecewise


def script_shares(text: str) -> tuple[int, int, int]:
    """(Han characters, Traditional-only characters, Simplified-only characters) in `text`."""
    tables = _get_tables()
    # Counted by character class (BMP) and, for the rare astral characters, by set lookup.
    trad = len(tables.traditional_only_bmp.findall(text))
    simp = len(tables.simplified_only_bmp.findall(text))
    if _ASTRAL.search(text) is not None:
        for ch in _ASTRAL.findall(text):
            if ch in tables.traditional_only:
                trad += 1
            elif ch in tables.simplified_only:
                simp += 1
    han = len(_NOT_HAN.sub("", text))  # = len(_HAN.findall(text)), without a list of characters
    return han, trad, simp


def detect_script(text: str) -> Script:
    """Which script a text is written in, from the characters only one script has.

    About a third of the characters of running Chinese text differ between the scripts, so a
    page in one script has plenty of its own characters and almost none of the other's. A
    Traditional character or two on a Simplified page (a name, a quoted title) does not count:
    'traditional' needs ≥ 90 % of the script-specific characters to be Traditional, 'simplified'
    ≤ 10 %; anything between is 'mixed' (e.g. a Simplified page with a Traditional spam block).
    """
    # = script_shares(text)[1:], counting the Simplified-only characters (a third of a
    # Simplified text) only when the Traditional-only ones do not decide already.
    tables = _get_tables()
    found = tables.traditional_only_or_astral.findall(text)
    trad = len(found)
    astral = [ch for ch in found if ord(ch) > 0xFFFF] if max(found, default="") > "\uffff" else []
    trad -= sum(1 for ch in astral if ch not in tables.traditional_only)
    if trad <= 1:  # (also when there is no script-specific character at all)
        return "simplified"
    simp = len(tables.simplified_only_bmp.findall(text))
    simp += sum(
        1 for ch in astral if ch not in tables.traditional_only and ch in tables.simplified_only
    )
    return _script_of(trad, simp)


def _script_of(trad: int, simp: int) -> Script:
    """`detect_script`'s verdict from the counts of script-specific characters (trad > 1)."""
    share = trad / (trad + simp)
    if share >= 0.9:
        return "traditional"
    if share <= 0.1:
        return "simplified"
    return "mixed"


def comparison_key(text: str) -> str:
    """The form copies are compared on: Simplified, letters and digits only, Latin lower-case."""
    if not text:
        return ""
    return key_of_normalized(normalize_text(text))


_SIGMAS = ("\u03c3", "\u03c2")  # σ ς: what a capital sigma lower-cases to


def joined_key(keys: Sequence[str]) -> Optional[str]:
    """`comparison_key("\\n".join(lines))` from `keys[i] == comparison_key(lines[i])`, when it
    provably is the keys one after the other; None when it may not be.

    It is, when t2s is piecewise (`t2s_is_piecewise`) and no key holds a sigma: normalisation
    turns the newlines into spaces and changes nothing but spacing and punctuation across them
    (a space is a stable code point for NFKC, no step removes every character between two
    letters), no t2s phrase holds a space or a punctuation mark, and lower-casing is per
    character but for the capital sigma (final ς or σ, after its neighbours). Tested in
    tests/pipelines/test_normalize_fast.py.
    """
    if not keys or not t2s_is_piecewise():
        return None
    key = "".join(keys)
    if _SIGMAS[0] in key or _SIGMAS[1] in key:
        return None
    return key


def key_of_normalized(text: str) -> str:
    """`comparison_key` of text that is already the output of `normalize_text` (not re-normalised).

    `comparison_key(t) == key_of_normalized(normalize_text(t))` for every `t`: for callers that
    keep the normalised form of a paragraph and need its key too.
    """
    if not text:
        return ""
    return "".join(_KEY_RUN.findall(to_simplified(text))).lower()


@dataclass(frozen=True)
class NormalizedText:
    title: str
    paragraphs: tuple[str, ...]
    original_script: Script

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


def normalize_record(
    title: Optional[str],
    paragraphs: Sequence[str],
    normalized: Optional[Sequence[str]] = None,
) -> NormalizedText:
    """Normalise a page's title and paragraphs to Simplified; drop paragraphs left empty.

    `original_script` is detected on the body (the title of a hijacked page may be spam in
    another script); a page without body text falls back to the title. `normalized`, when
    given, is `[normalize_text(p) for p in paragraphs]` already computed by the caller.
    """
    clean_title = normalize_text(title)
    if normalized is None:
        normalized = [normalize_text(p) for p in paragraphs]
    elif len(normalized) != len(paragraphs):
        raise ValueError("normalized must hold one normalised text per paragraph")
    clean = [p for p in normalized if p]
    sample = "".join(clean) or clean_title
    script = detect_script(sample)
    if script == "simplified":
        # Left alone: characters such as 昇, 喆 or 堃 in a Simplified page are people's names,
        # which t2s would "simplify" (李昇 -> 李升). Dedup still compares copies in one script,
        # because comparison_key() always converts.
        return NormalizedText(clean_title, tuple(clean), script)
    return NormalizedText(to_simplified(clean_title), tuple(to_simplified(p) for p in clean), script)
