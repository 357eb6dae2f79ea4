"""The fast paths of the spam stages give what the plain definitions give."""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.minhash import MinHasher
from pipelines.normalize import comparison_key, normalize_text, t2s_is_piecewise
from pipelines.spam.counter import _NEAR_BANDS, _NEAR_ROWS, _NEAR_SCHEME, _SKELETON_DROP, _entries_of, _fingerprint
from pipelines.spam.lexicon import related_categories
from pipelines.spam.repeated import _similar_earlier, _similar_keys, strip_repeated_body
from pipelines.spam.vocabulary import _MAY_BE_LATIN, TERM_PATTERN, TOPIC_WORDS, spam_term_hits, topics_outside_hits
from pipelines.text import paragraphs_of
from tests.pipelines.policy_texts import DIGITAL_POLICY, LOTTERY_POLICY, SEED_ARTICLE

_CLAUSES = [
    clause
    for paragraph in (*SEED_ARTICLE, *DIGITAL_POLICY, *LOTTERY_POLICY)
    for clause in re.split(r"[，。；]", paragraph)
    if len(clause) >= 4
]


def _paragraph(rng: random.Random) -> str:
    """~135 characters of policy prose: clauses recombined, with figures of their own."""
    parts: list[str] = []
    while sum(map(len, parts)) < 120:
        parts.append(rng.choice(_CLAUSES) + f"{rng.randrange(10, 10_000)}项")
    return "，".join(parts) + "。"


def _body(chars: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    paragraphs: list[str] = []
    while sum(map(len, paragraphs)) < chars:
        paragraphs.append(_paragraph(rng))
    return paragraphs


# --- strip_repeated_body on very long pages ----------------------------------------------------------


def test_repeated_body_of_a_very_long_page() -> None:
    # A 150,000-character page: nothing repeated is nothing cut; the same page printed twice, a
    # third of its paragraphs edited in the second copy, loses the second copy whole. (Its cost,
    # near-linear through the prefix filter, is measured by `python -m benchmarks run`.)
    body = _body(150_000)
    assert sum(map(len, body)) >= 150_000
    assert strip_repeated_body(body) == (body, [])

    half = _body(75_000, seed=8)
    doubled = [*half, *(p.replace("。", "；", 1) if i % 3 == 0 else p for i, p in enumerate(half))]
    kept, removed = strip_repeated_body(doubled)
    assert kept == half
    assert len(removed) == len(half)


# --- the similar-paragraph search equals the pairwise definition ----------------------------------


def _pairwise(keys: list[str]) -> dict[int, int]:
    found: dict[int, int] = {}
    for i, key in enumerate(keys):
        for j in range(i):
            if _similar_keys(key, keys[j]):
                found[i] = j
                break
    return found


def _mutated(rng: random.Random, key: str, rate: float, alphabet: str) -> str:
    chars = list(key)
    for _ in range(int(len(chars) * rate)):
        position = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.4:
            chars[position] = rng.choice(alphabet)
        elif roll < 0.7:
            del chars[position]
        else:
            chars.insert(position, rng.choice(alphabet))
    return "".join(chars)


def test_similar_earlier_equals_pairwise_comparison() -> None:
    rng = random.Random(3)
    matches = 0
    for case in range(150):
        alphabet = ("ab", "abcdefg", "的一是在不了有和人中大发展创新123")[case % 3]
        keys: list[str] = []
        for _ in range(rng.randrange(2, 40)):
            if keys and rng.random() < 0.5:
                keys.append(_mutated(rng, rng.choice(keys), rng.choice([0.02, 0.05, 0.1, 0.2]), alphabet))
            elif case % 2:
                keys.append(comparison_key(_paragraph(rng))[: rng.randrange(20, 140)])
            else:
                keys.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(20, 80))))
        keys = list(dict.fromkeys(k for k in keys if len(k) >= 20))
        expected = _pairwise(keys)
        assert _similar_earlier(keys) == expected
        matches += len(expected)
    assert matches > 100  # the cases do exercise matches


# --- ParagraphFrequency entries: batched MinHash equals one signature per key ----------------------


def test_batched_entries_equal_per_key_signatures() -> None:
    hasher = MinHasher(_NEAR_SCHEME)
    rng = random.Random(5)
    keys = [comparison_key(_paragraph(rng))[: rng.randrange(5, 140)] for _ in range(60)]
    keys += ["abc123", "短句", "12345678901234567890abcdefgh本办法自印发之日起施行"]
    plain = _entries_of(keys, False)  # a paragraph without spam terms: no band keys
    for key, entry, unbanded in zip(keys, _entries_of(keys, True), plain):
        skeleton = _SKELETON_DROP.sub("", key)
        if len(skeleton) < 8:
            assert entry == unbanded == (_fingerprint(key),)
            continue
        assert unbanded == entry[:2]
        values = hasher.signature_of_key(skeleton).hashvalues
        bands = tuple(
            (b << 58) ^ (_fingerprint(values[b * _NEAR_ROWS : (b + 1) * _NEAR_ROWS].tobytes().hex()) >> 6)
            for b in range(_NEAR_BANDS)
        )
        assert entry == (_fingerprint(key), (1 << 63) | (_fingerprint(skeleton) >> 1), *bands)


# --- lexicon prefilters and per-paragraph shortcuts ---------------------------------------------------


def test_latin_prefilter_covers_every_character_that_matches_a_letter_ignoring_case() -> None:
    letter = re.compile("[a-z]", re.IGNORECASE)
    missed = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if letter.fullmatch(chr(cp)) and not _MAY_BE_LATIN.fullmatch(chr(cp))
    ]
    assert missed == []


_TEXT = st.lists(
    st.sampled_from(
        ["澳门新葡京", "百家乐", "PK10", "pk100", "Bet365", "bet365官网", "fc2", "AV在线", "彩票", "赌博",
         "色情", "发票", "的", "一", "\n", " ", "，", "。", "a", "K", "\u212a", "İ", "ſ", "Σ", "&nbsp;",
         "（", "(", "，", "發展", "沈默", "乾隆", "\u3000", "\u200b", "ｐｋ１０"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_TEXT)
def test_prefiltered_hits_equal_the_plain_regex(text: str) -> None:
    for candidate in (text, text.lower(), normalize_text(text).lower()):
        expected = [(m.group(0), m.start(), m.end()) for m in TERM_PATTERN.finditer(candidate)]
        assert [(h.term, h.start, h.end) for h in spam_term_hits(candidate)] == expected


_TOPIC_TEXT = st.lists(
    st.sampled_from(["彩票", "博彩", "赌博", "涉赌", "涉黄", "扫黄", "低俗", "发票", "伪造", "枪支", "体彩", "福彩",
                     "百家乐", "六合彩", "澳门新葡京", "代开发票", "的", "赌", "涉", "票", " ", "Σ", "İ"]),
    max_size=12,
).map("".join)


@pytest.mark.slow
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(_TOPIC_TEXT)
def test_topics_of_a_text_equal_one_search_per_category(text: str) -> None:
    # One findall over the text, not lower-cased, against the definition: each category's words
    # searched in the lower-cased text with its lexicon hits taken out.
    outside = TERM_PATTERN.sub(" ", text.lower())
    assert topics_outside_hits(text, spam_term_hits(text.lower())) == {
        c for c, words in TOPIC_WORDS.items() if any(w in outside for w in words)
    }


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_TEXT, max_size=8))
def test_per_paragraph_shortcuts_equal_the_joined_body(paragraphs: list[str]) -> None:
    clean = [p for p in map(normalize_text, paragraphs) if p]
    body = "\n".join(clean).lower()
    assert t2s_is_piecewise()
    assert sum(len(comparison_key(p.lower())) for p in clean) == len(comparison_key(body))
    outside = TERM_PATTERN.sub(" ", "\n".join(clean).lower())
    assert related_categories(paragraphs_of(clean)) == {
        c for c, words in TOPIC_WORDS.items() if any(w in outside for w in words)
    }
