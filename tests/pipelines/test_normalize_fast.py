"""The fast paths of pipelines.normalize give, character for character, what the plain
definitions give: the plain-character shortcut and the faster punctuation pattern of
`normalize_text`, the one-scan prefilter and the lookup-array translation of `to_simplified`,
the early decision of `detect_script`, and the comparison key of joined lines built from the
keys of the lines (`joined_key`)."""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import normalize as N
from pipelines.normalize import (
    comparison_key,
    detect_script,
    key_of_normalized,
    normalize_record,
    normalize_text,
    joined_key,
    script_shares,
    t2s_is_piecewise,
    to_simplified,
)

# --- the plain definitions (the code before the fast paths) -----------------------------------


def reference_normalize_text(text: Optional[str]) -> str:
    if not text:
        return ""
    if "&" in text:
        text = N._NBSP_ENTITY.sub(" ", text)
    if N._NEEDS_DROP.search(text) is not None:
        text = text.translate(N._DROP_TABLE)
    text = N._nfkc_keep_cjk_punct(text)
    if "  " in text or N._OTHER_SPACE.search(text) is not None:
        text = N._SPACES.sub(" ", text)
    text = text.strip()
    if not text.isascii() and N._ASCII_PUNCT.search(text) is not None:
        text = N._ASCII_PUNCT_NEAR_CJK.sub(N._punct_to_fullwidth, text)
    return text


def reference_to_simplified(text: str) -> str:
    if not text:
        return text
    tables = N._get_tables()
    hidden = tables.t2s_hidden_phrases
    if not tables.has_trigger(text) and (hidden is None or hidden.search(text) is None):
        return text
    fast = N._get_fast()
    return fast.convert.__func__(_DictOnly(fast), text)  # type: ignore[attr-defined]


class _DictOnly:
    """A `_FastT2S` without the shortcuts: `str.translate` with the dict, no two-character
    prefilter of the phrase positions."""

    def __init__(self, fast: N._FastT2S) -> None:
        self.phrases, self.lengths, self.starts, self.table = (
            fast.phrases, fast.lengths, fast.starts, fast.table
        )
        self.heads = None  # every start position of a phrase's first character is tried

    def translate(self, text: str) -> str:
        return text.translate(self.table)


def reference_key(text: str) -> str:
    if not text:
        return ""
    return N._NON_KEY.sub("", reference_to_simplified(reference_normalize_text(text))).lower()


def reference_detect_script(text: str) -> str:
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


# --- text strategies -------------------------------------------------------------------------

_PIECES = [
    "发展", "發展", "数字经济", "後", "乾", "反覆", "沈默", "覆盖", "藉此", "瞭解", "衹得", "颠覆",
    "，", "。", "、", "：", "；", "（", "）", "！", "？", "“", "”", "《", "》", "……", "—",
    ",", ":", ";", "(", ")", "!", "?", ".", "%", "-", "_", "&", "&nbsp;", "&#160", "&ensp;",
    " ", "  ", "\u3000", "\xa0", "\t", "\n", "\r\n", "\x0b", "\x1c", "\x85", "\u2028",
    "\u200b", "\u200e", "\u202e", "\ufeff", "\u00ad", "\x00", "\x7f", "\u180e", "\u2061",
    "Ａ", "１", "①", "㈠", "ﬁ", "²", "㎡", "Ⅻ", "ｱ", "ﾞ", "\ufe50", "\ufe55", "﹖", "！", "？",
    "e\u0301", "\u0301", "\u0308", "\u3099", "か", "\u1100", "\u1161", "\u11a8", "가",
    "=", "\u0338", "<", "\u212a", "\u017f", "\u0130", "ς", "Σ", "ΑΣ", "σ", "ΣΑ",
    "AV", "PK10", "bet365", "GDP", "ABC", "x.com", "2025", "1,000", "3.5",
    "\U00020000", "\U0002f800", "𠀀", "\ud800", "\udc00", "\ufdd0", "\uffff", "\uf900",
]
_texts = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=14
).map("".join)
_SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@_SETTINGS
@given(_texts)
def test_normalize_text_equals_the_plain_definition(text: str) -> None:
    assert normalize_text(text) == reference_normalize_text(text)


@_SETTINGS
@given(st.text(max_size=40))
def test_normalize_text_equals_the_plain_definition_on_any_text(text: str) -> None:
    assert normalize_text(text) == reference_normalize_text(text)


@pytest.mark.slow
@_SETTINGS
@given(st.lists(st.sampled_from([" ", ",", ":", ";", "(", ")", "!", "?", "中", "a", "，", "。",
                                 "”", "\u3000", "1", "ｱ", "　"]), max_size=16).map("".join))
def test_fast_punctuation_pattern_where_whitespace_is_single_spaces(raw: str) -> None:
    # What the punctuation step sees: whitespace collapsed to single spaces, none at the ends.
    text = N._SPACES.sub(" ", raw).strip()
    expected = N._ASCII_PUNCT_NEAR_CJK.sub(N._punct_to_fullwidth, text)
    assert N._PUNCT_NEAR_CJK.sub(N._punct_match_to_fullwidth, text) == expected


def _composition_seconds() -> set[int]:
    seconds: set[int] = set()
    for cp in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    # Hangul: vowel and trailing jamo compose algorithmically (no decomposition entry).
    seconds.update(range(0x1161, 0x1176))
    seconds.update(range(0x11A8, 0x11C3))
    return seconds


def test_plain_characters_are_nfkc_quick_check_yes() -> None:
    """The premise of the shortcut: a string of plain characters is NFKC-normalised (each is
    its own NFKC form, a starter, and never the second character of a composition) and holds no
    character the drop and whitespace steps would change."""
    plain = re.compile(f"[{N._PLAIN_CHARS}]")
    chars = [chr(cp) for cp in range(sys.maxunicode + 1) if plain.match(chr(cp))]
    assert len(chars) > 28_000  # ASCII, CJK punctuation, ideographs …
    seconds = _composition_seconds()
    for ch in chars:
        assert ord(ch) not in seconds, hex(ord(ch))
        assert unicodedata.normalize("NFKC", ch) == ch and unicodedata.combining(ch) == 0
        assert ord(ch) not in N._DROP_TABLE
        assert ch == " " or not ch.isspace()
        assert N._NEEDS_DROP.search(ch) is None and N._OTHER_SPACE.search(ch) is None
    for ch in N._KEEP_FULLWIDTH:  # the split points: plain once made ASCII
        assert plain.match(unicodedata.normalize("NFKC", ch))


def test_space_and_newline_are_stable_for_nfkc() -> None:
    """No canonical composition involves U+0020 or U+000A (what joining lines relies on)."""
    for cp in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = {int(p, 16) for p in decomposition.split()}
            assert 0x20 not in parts and 0x0A not in parts


# --- to_simplified ---------------------------------------------------------------------------


@pytest.mark.slow
@_SETTINGS
@given(_texts)
def test_to_simplified_equals_the_plain_definition(text: str) -> None:
    N._CONVERTED.clear()
    assert to_simplified(text) == reference_to_simplified(text)
    assert to_simplified(text) == reference_to_simplified(text)  # from the conversion memo


@pytest.mark.slow
@_SETTINGS
@given(st.lists(st.sampled_from(_PIECES), min_size=30, max_size=120).map("".join))
def test_lookup_array_translation_equals_str_translate(text: str) -> None:
    fast = N._get_fast()
    assert len(text) < N._LUT_MIN_CHARS or fast.lut is not None
    assert fast.translate(text) == text.translate(fast.table)


def test_lookup_array_translation_on_a_long_traditional_text() -> None:
    fast = N._get_fast()
    text = "中華人民共和國國務院關於發展數字經濟的通知，後續工作乾淨俐落。" * 40 + "\ud800𠀀"
    assert fast.translate(text) == text.translate(fast.table)
    assert fast.translate(text[:-2]) == text[:-2].translate(fast.table)


def test_every_hidden_phrase_holds_an_anchor() -> None:
    tables = N._get_tables()
    assert tables.t2s_hidden_phrases is not None
    for phrase in tables.t2s_hidden_phrases.pattern.split("|"):
        assert tables.t2s_maybe.search(phrase) is not None, phrase


# --- detect_script ---------------------------------------------------------------------------


@pytest.mark.slow
@_SETTINGS
@given(st.lists(st.sampled_from(["發展", "后", "後", "发展", "國", "国", "经济", "經濟", "a", "，",
                                 "𠀀", "\U0002f800", "乾", "干"]), max_size=40).map("".join))
def test_detect_script_equals_the_plain_definition(text: str) -> None:
    assert detect_script(text) == reference_detect_script(text)


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.slow
@_SETTINGS
@given(_texts)
def test_comparison_key_equals_the_plain_definition(text: str) -> None:
    N._CONVERTED.clear()
    assert comparison_key(text) == reference_key(text)
    assert key_of_normalized(normalize_text(text)) == reference_key(text)


@pytest.mark.slow
@_SETTINGS
@given(st.lists(_texts, min_size=1, max_size=6))
def test_key_of_joined_lines_is_the_keys_one_after_the_other(lines: list[str]) -> None:
    """What `joined_key` relies on, on any lines (raw or normalised)."""
    assert t2s_is_piecewise()
    keys = [reference_key(line) for line in lines]
    joined = "".join(keys)
    if "σ" in joined or "ς" in joined:
        return  # lower-casing a capital sigma looks at its neighbours: not remembered
    assert reference_key("\n".join(lines)) == joined


@pytest.mark.slow
@_SETTINGS
@given(st.lists(_texts, min_size=1, max_size=6))
def test_joined_keys_are_the_computed_ones(lines: list[str]) -> None:
    joined = joined_key([comparison_key(line) for line in lines])
    body = "\n".join(lines)
    expected = reference_key(body)
    if joined is not None:
        assert joined == expected
    assert comparison_key(body) == expected


def test_sigma_keys_are_not_joined() -> None:
    lines = ["ΑΣ", "Α"]
    assert joined_key([comparison_key(x) for x in lines]) is None
    assert comparison_key("\n".join(lines)) == reference_key("\n".join(lines)) == "ασα"


# --- normalize_record ------------------------------------------------------------------------


@pytest.mark.slow
@_SETTINGS
@given(st.one_of(st.none(), _texts), st.lists(_texts, max_size=6))
def test_normalize_record_with_normalised_paragraphs_given(
    title: Optional[str], paragraphs: list[str]
) -> None:
    given_forms = [normalize_text(p) for p in paragraphs]
    assert normalize_record(title, paragraphs, given_forms) == normalize_record(title, paragraphs)
