"""Spam cleaning on extracted text: doubled bodies, hijacked titles, planted paragraphs, spam pages.

Every function here takes text the extractor already produced (after its HTML-level cuts of
hidden blocks and link farms) and returns the cleaned text *and* what it cut, so that the store
can keep the cuts in `removals`. Nothing here imports Scrapy.

The guiding rule is the one in FIELD_NOTES: keywords alone flag legitimate pages (体育彩票公益金,
澳门, 娱乐, 成人教育), so a lexicon hit is one signal among several, the lexicon holds only terms
that are spam in themselves (百家乐, 六合彩, 一本道, 澳门新葡京 — not 彩票 or 澳门), and a term is
only cut from a sentence when the rest of the page is not about that subject.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections import Counter, deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np

from pipelines.minhash import MinHasher, SignatureScheme, _fmix32, _murmur_windows, sorted_distinct
from pipelines.normalize import (
    comparison_key,
    key_of_normalized,
    normalize_text,
    remember_joined_key,
    t2s_is_piecewise,
)

__all__ = [
    "KIND_BOILERPLATE",
    "KIND_INJECTED_PARAGRAPH",
    "KIND_SPLICED_SPAM",
    "CountedPage",
    "EvidenceArrays",
    "LexiconCut",
    "PageSignals",
    "ParagraphEvidence",
    "ParagraphFrequency",
    "Removal",
    "SPAM_TERMS",
    "SpamVerdict",
    "TermHit",
    "VerdictRow",
    "adopt_normalized",
    "assemble_spam_cuts",
    "classify_page",
    "paragraph_evidence",
    "paragraph_keys",
    "spam_term_hits",
    "strip_injected_title",
    "strip_repeated_body",
    "strip_spam_paragraphs",
    "lexicon_cuts",
    "normalized_paragraphs",
    "remember_body_key",
    "title_hits",
    "verdict_of",
    "verdict_row",
]

KIND_INJECTED_PARAGRAPH = "injected_paragraph"
KIND_BOILERPLATE = "boilerplate"
KIND_SPLICED_SPAM = "spliced_spam"


@dataclass(frozen=True)
class Removal:
    """A piece of content cut from a page: `kind` is the reason (stored in `removals.kind`)."""

    kind: str
    content: str


# --- lexicon ---------------------------------------------------------------------------------

# Terms that are spam wherever they occur on a policy site. Deliberately absent: 彩票, 澳门, 娱乐,
# 成人, 赌博, 视频, 国产, 不卡 (卡脖子!) — common in legitimate articles. Simplified forms only:
# match normalised text.
SPAM_TERMS: dict[str, tuple[str, ...]] = {
    "gambling": (
        "彩票投注", "澳门赌场", "澳门新葡京", "新葡京", "葡京", "百家乐", "真人娱乐", "真人视讯",
        "六合彩", "时时彩", "北京pk10", "pk10", "太阳城", "娱乐城", "老虎机", "博彩公司",
        "博彩网站", "网上赌场", "在线赌场", "赌场官网", "威尼斯人娱乐", "澳门威尼斯人", "金沙娱乐",
        "银河娱乐", "永利皇宫", "皇冠体育", "皇冠娱乐", "bet365", "开户送彩金", "注册送彩金",
        "棋牌游戏平台", "赌球", "网络赌博平台",
    ),
    "porn": (
        "成人视频", "成人电影", "成人网站", "一本道", "无码", "人妻", "中文字幕美丽",
        "中文字幕不卡", "中文字幕在线", "国产精品", "国产又大", "又大又长", "又粗又硬", "亚洲色图",
        "日韩av", "欧美av", "av在线", "毛片", "黄色网站", "黄色视频", "三级片", "自拍偷拍", "乱伦",
        "被公操", "在线不卡", "不卡高清", "不卡视频", "高清无码", "熟女", "巨乳", "fc2",
        "日本一二三",
    ),
    "fraud": ("代开发票", "代开增值税发票", "办假证", "刻章办证", "枪支出售"),
}
# Left out on purpose, each seen in legitimate policy text: 强奸/偷拍/代孕 (law), 彩金 (jewellery),
# 电子游艺 (venue rules), 体育投注/足球投注 (sports lottery), 一区二区 (zoning), 有码 (拥有码头), bare AV.

# Words that show a page is *about* the subject of a category (an anti-gambling notice, a lottery
# regulation): then its lexicon terms are part of the article, not spliced in.
_TOPIC_WORDS: dict[str, re.Pattern[str]] = {
    "gambling": re.compile(r"彩票|博彩|赌博|赌资|聚赌|涉赌|赌场|赌球|跨境赌|赛马|竞猜型|体彩|福彩"),
    "porn": re.compile(r"色情|淫秽|扫黄|涉黄|低俗"),
    "fraud": re.compile(r"发票|伪造|假证|诈骗|侦探|枪支|违禁"),
}
# Han words only: no case, so they occur in a text exactly where they occur in its lower-cased
# form, and `_topics` need not lower-case a text to look for them.
assert all(ch == "|" or "\u3400" <= ch <= "\u9fff" for words in _TOPIC_WORDS.values() for ch in words.pattern)

_ANY_TOPIC_WORD = re.compile("|".join(words.pattern for words in _TOPIC_WORDS.values()))
_TOPIC_OF = {word: category for category, words in _TOPIC_WORDS.items() for word in words.pattern.split("|")}


def _overlap(a: str, b: str) -> bool:
    """Whether occurrences of a and b can overlap in a text (one inside the other, or a suffix
    of one the prefix of the other)."""
    return a in b or b in a or any(a.endswith(b[:k]) or b.endswith(a[:k]) for k in range(1, min(len(a), len(b))))


# No word of one category overlaps a word of another: then the categories of the words
# `_ANY_TOPIC_WORD.findall` finds (leftmost, not overlapping) are all the categories with a word
# in the text, and `_topics` needs no search per category.
assert not any(
    _overlap(a, b) for a, ca in _TOPIC_OF.items() for b, cb in _TOPIC_OF.items() if ca != cb
)

# Suffixes that stay with a spliced brand ("澳门新葡京娱乐场官网手机版").
_SPAM_SUFFIX = r"(?:娱乐场|娱乐城|娱乐|官网|官方网站|网址|网站|平台|app|下载|注册|开户|登录|登陆|入口|首页|手机版|在线|[a-z0-9]{2,}(?:\.[a-z0-9]+)+)*"

_TERM_CATEGORY: dict[str, str] = {
    term: category for category, terms in SPAM_TERMS.items() for term in terms
}
# ASCII terms must stand alone ("av" not inside "avg", "pk10" not inside "pk100").
_TERM_PATTERN = re.compile(
    "|".join(
        (rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t))
        for t in sorted(_TERM_CATEGORY, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_SPLICE_PATTERN = re.compile(rf"(?:{_TERM_PATTERN.pattern}){_SPAM_SUFFIX}", re.IGNORECASE)


def _term_prefilter(terms: Iterable[str]) -> Optional[re.Pattern[str]]:
    terms = list(terms)
    return re.compile("|".join(map(re.escape, terms)), re.IGNORECASE) if terms else None


# Cheap searches that find something wherever `_TERM_PATTERN` would: its terms, unanchored (the
# lookarounds of ASCII terms only ever remove matches). `_TERM_PATTERN` tries every alternative
# at every position (~0.2 µs a character). The terms without a cased character (all but a few:
# Han) are found by one alternation of literals; every other term holds a Latin letter, so it can only match where the text has a character that matches one
# ignoring case: ASCII letters, İ, ı, ſ and K (KELVIN SIGN) -- tested over every code point.
# Chinese paragraphs mostly have none.
_UNCASED_TERMS = _term_prefilter(sorted(t for t in _TERM_CATEGORY if t.lower() == t.upper()))
_TERMS_WITH_LETTERS = _term_prefilter(t for t in _TERM_CATEGORY if t.lower() != t.upper())
_MAY_BE_LATIN = re.compile("[A-Za-z\u0130\u0131\u017f\u212a]")
assert all(c.isascii() for t in _TERM_CATEGORY for c in t if c.lower() != c.upper())


def _may_hold_terms(text: str) -> bool:
    if _UNCASED_TERMS is not None and _UNCASED_TERMS.search(text) is not None:
        return True
    return (
        _TERMS_WITH_LETTERS is not None
        and _MAY_BE_LATIN.search(text) is not None
        and _TERMS_WITH_LETTERS.search(text) is not None
    )


class _Memo(dict):  # type: ignore[type-arg]
    """Results of a pure function of one string, kept for the paragraphs seen last.

    A paragraph goes through several stages (repeated body, frequency counter, spliced terms,
    verdict) and each needs its normalised form, its comparison key, its lexicon hits: computed
    once here instead of once per stage. Bounded: emptied when `limit` entries are held.
    """

    __slots__ = ("_function", "_limit")

    def __init__(self, function: Callable[[Any], Any], limit: int = 4096) -> None:
        super().__init__()
        self._function = function
        self._limit = limit

    def __missing__(self, text: Any) -> Any:
        value = self._function(text)
        self.store(text, value)
        return value

    def store(self, text: Any, value: Any) -> None:
        if len(self) >= self._limit:
            self.clear()
        self[text] = value


@dataclass(frozen=True)
class TermHit:
    term: str
    category: str
    start: int
    end: int


def spam_term_hits(text: str) -> list[TermHit]:
    """Lexicon terms in `text` (normalised Simplified text), leftmost-longest, non-overlapping."""
    hits: list[TermHit] = []
    if not _may_hold_terms(text):
        return hits
    for match in _TERM_PATTERN.finditer(text):
        term = match.group(0)
        hits.append(TermHit(term, _TERM_CATEGORY[term.lower()], match.start(), match.end()))
    return hits


_HAN_RUN = re.compile("[\u4e00-\u9fff]+")


def _han_count(text: str) -> int:
    """Characters in U+4E00..U+9FFF."""
    # The lengths of the runs added up (fewer, shorter strings than what is left once every
    # other character is removed).
    return sum(map(len, _HAN_RUN.findall(text)))


def _normalized(text: str) -> str:
    value = normalize_text(text)
    return text if value == text else value  # keep one string when normalising changed nothing


def _topics(text: str) -> frozenset[str]:
    """Categories whose topic words occur in `text.lower()` outside its lexicon hits."""
    words = _ANY_TOPIC_WORD.findall(text)  # (Han words: as in text.lower())
    if not words:
        return _NO_TOPICS
    if _HITS[text]:
        words = _ANY_TOPIC_WORD.findall(_TERM_PATTERN.sub(" ", text.lower()))
    return frozenset(map(_TOPIC_OF.__getitem__, words))


_NO_TOPICS: frozenset[str] = frozenset()


def _lowered_key_length(text: str) -> int:
    lowered = text.lower()
    return len(_KEY[text]) if lowered == text else len(comparison_key(lowered))


# Per string: normalize_text(s); comparison_key(s); spam_term_hits(s.lower()); topic categories of
# s.lower() outside its hits; Han characters; len(comparison_key(s.lower())).
_NORM: _Memo = _Memo(_normalized)
_KEY: _Memo = _Memo(lambda text: key_of_normalized(_NORM[text]))
_HITS: _Memo = _Memo(lambda text: tuple(spam_term_hits(text.lower())))
_TOPICS: _Memo = _Memo(_topics)
_HAN: _Memo = _Memo(_han_count)
_LOWERED_KEY_LENGTH: _Memo = _Memo(_lowered_key_length)


def normalized_paragraphs(paragraphs: Sequence[str]) -> list[str]:
    """`[normalize_text(p) for p in paragraphs]` through the memo the stages share (the raw
    paragraphs were normalised for their keys already, by `strip_repeated_body`)."""
    return [_NORM[p] for p in paragraphs]


def adopt_normalized(raw: Sequence[str], normalized: Sequence[str]) -> None:
    """Give each normalised paragraph the comparison key of its raw paragraph, where equal.

    The later stages see the normalised paragraphs, new strings for the memos, and would key
    them again. `normalized[i]` has the key of `raw[i]` when it is `normalize_text(raw[i])`
    and normalising it again changes nothing (both checked here, through the memos):
    `comparison_key(n) = key_of_normalized(normalize_text(n)) = key_of_normalized(n)
    = key_of_normalized(normalize_text(r)) = comparison_key(r)`. Anything else (a converted
    Traditional paragraph, the rare text that normalising twice changes) is keyed on its own.
    """
    for r, n in zip(raw, normalized):
        if n in _KEY or _NORM[n] != n or _NORM[r] != n:
            continue
        _KEY.store(n, _KEY[r])


def remember_body_key(paragraphs: Sequence[str]) -> None:
    """Remember `comparison_key("\\n".join(paragraphs))` from the paragraphs' keys, for the
    dedup document of the body (`normalize.remember_joined_key` says when it may)."""
    remember_joined_key(paragraphs, paragraph_keys(paragraphs))


def paragraph_keys(paragraphs: Sequence[str]) -> list[str]:
    """`comparison_key` of each paragraph, through the memo the stages share."""
    return [_KEY[p] for p in paragraphs]


# --- repeated body -----------------------------------------------------------------------------

_SHORT_LINE = 80  # characters of comparison key: meta lines, breadcrumbs, headings
_MIN_REPEATED_CHARS = 200


@lru_cache(maxsize=4096)
def _trigrams(key: str) -> frozenset[str]:
    # Cached: strip_repeated_body compares every paragraph with every earlier one.
    return frozenset(key[i : i + 3] for i in range(max(1, len(key) - 2)))


def _similar_keys(a: str, b: str, threshold: float = 0.8) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 20 or min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    ta, tb = _trigrams(a), _trigrams(b)
    common = len(ta & tb)
    return common / (len(ta) + len(tb) - common) >= threshold  # |A ∩ B| / |A ∪ B|


def _trigram_tokens(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every trigram of every key as one int64 (equal integers <=> equal trigrams), and the
    position of the key it comes from: (tokens, owner), key after key."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    points = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    points = points.astype(np.int64)  # code points < 2**21
    codes = (points[:-2] << 42) | (points[1:-1] << 21) | points[2:]
    # Windows starting in the last two characters of a key straddle two keys: dropped.
    ends = np.cumsum(lengths)
    valid = np.ones(codes.size, dtype=bool)
    valid[ends[:-1] - 2] = False
    valid[ends[:-1] - 1] = False
    return codes[valid], np.repeat(np.arange(len(keys), dtype=np.int64), lengths - 2)


_BUCKET_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _similar_earlier(keys: Sequence[str]) -> dict[int, int]:
    """For each key, the first earlier one `_similar_keys` accepts: {position: earlier position}.

    `keys` are distinct and have ≥ 20 characters. Two keys at trigram Jaccard ≥ 0.8 share
    ≥ 0.8·|A| of the distinct trigrams A of either, so at most 0.2·|A| of A occur nowhere else
    in the body. First, cheaply, every key whose trigrams are mostly found only once in the
    whole body is set aside (it has no similar key, earlier or later): with U its windows whose
    trigram is alone in its hash bucket (so occurs once: distinct, and in no other key) and S
    the others, |A| ≤ U + S and U ≤ 0.2·|A| give 4·U ≤ S (+1 of slack). In a body that is
    not printed twice that is nearly every key. The rest go through `_prefix_filter_matches`.
    """
    if len(keys) < 2:
        return {}
    possible = _trigram_screen(keys)
    if len(possible) < 2:
        return {}
    found = _prefix_filter_matches([keys[i] for i in possible])
    return {possible[x]: possible[y] for x, y in found.items()}


def _trigram_screen(keys: Sequence[str]) -> list[int]:
    """The positions `_similar_earlier` keeps after its screen."""
    n = len(keys)
    tokens, owner = _trigram_tokens(keys)
    buckets = ((tokens.view(np.uint64) * _BUCKET_MULTIPLIER) >> np.uint64(48)).astype(np.intp)
    alone = np.bincount(buckets, minlength=1 << 16)[buckets] == 1
    windows = np.bincount(owner, minlength=n)
    unique = np.bincount(owner, weights=alone, minlength=n).astype(np.int64)
    return np.flatnonzero(4 * unique <= windows - unique + 1).tolist()  # type: ignore[no-any-return]


def _prefix_filter_matches(keys: Sequence[str]) -> dict[int, int]:
    """`_similar_earlier` on `keys` through a *prefix filter* instead of comparing every pair.

    With the trigrams of all keys in one global order, two sets with Jaccard ≥ t share an
    element among the first |A| - ⌈t·|A|⌉ + 1 of each (the overlap they need cannot fit after
    them). The order puts rare trigrams first (fewest occurrences in these keys), so unrelated
    paragraphs seldom share a prefix element; trigrams occurring once are dropped from the
    prefixes (nobody shares them). The candidates are then checked with `_similar_keys`
    itself, earliest first.
    """
    n = len(keys)
    tokens, owner = _trigram_tokens(keys)
    # Global order: fewest occurrences first, ties by value (a total order on trigrams).
    ordered = np.sort(tokens)
    fresh = np.empty(ordered.size, dtype=bool)
    fresh[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=fresh[1:])
    heads = np.flatnonzero(fresh)
    distinct = ordered[heads]
    occurrences = np.diff(heads, append=ordered.size)
    by_rank = np.argsort(occurrences, kind="stable")  # `distinct` is ascending already
    rank_of = np.empty(by_rank.size, dtype=np.int64)
    rank_of[by_rank] = np.arange(by_rank.size)
    width = by_rank.size
    # Each key's distinct trigrams as ranks, ascending: sorted distinct (key, rank) pairs.
    pairs = np.sort(owner * width + rank_of[np.searchsorted(distinct, tokens)])
    fresh = np.empty(pairs.size, dtype=bool)
    fresh[0] = True
    np.not_equal(pairs[1:], pairs[:-1], out=fresh[1:])
    pairs = pairs[fresh]
    pair_key, pair_rank = np.divmod(pairs, width)
    sizes = np.bincount(pair_key, minlength=n)
    first = np.cumsum(sizes) - sizes
    # Overlap needed for Jaccard ≥ 0.8 is ≥ 0.8·|A|; use floor(0.8·|A|) - 1 (≥ 1), a safe bound.
    prefix = sizes - np.maximum((4 * sizes) // 5 - 1, 1) + 1
    keep = np.arange(pairs.size) < (first + prefix)[pair_key]
    keep &= (occurrences[by_rank] >= 2)[pair_rank]  # a trigram occurring once is nobody's to share
    if not keep.any():
        return {}
    kept_key = pair_key[keep].tolist()
    kept_rank = pair_rank[keep].tolist()

    postings: dict[int, list[int]] = {}
    result: dict[int, int] = {}
    index = 0
    total = len(kept_key)
    while index < total:
        x = kept_key[index]
        candidates: set[int] = set()
        while index < total and kept_key[index] == x:
            rank = kept_rank[index]
            index += 1
            posting = postings.get(rank)
            if posting is None:
                postings[rank] = [x]
            else:
                candidates.update(posting)
                posting.append(x)
        for y in sorted(candidates):
            if _similar_keys(keys[x], keys[y]):
                result[x] = y
                break
    return result


def _bigram_cover(key: str, reference: set[str]) -> float:
    grams = {key[i : i + 2] for i in range(len(key) - 1)} or {key}
    return len(grams & reference) / len(grams)


def strip_repeated_body(paragraphs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Keep a body printed twice (PC + mobile template) once; return (paragraphs, removed).

    The repeat is recognised as a *block*: a later run of paragraphs that match, in order, the
    paragraphs before it (exactly on the comparison key, or ≥ 0.8 trigram Jaccard for small
    variations), with ≥ 200 characters matched. The first copy is kept; from the second copy
    go the matched paragraphs, the blank lines, its own short template lines (breadcrumb, meta
    line in another order) — the short unmatched lines just before the first matched paragraph
    when they resemble the first copy, and those between matched paragraphs. A long paragraph
    found only in the second copy is kept.

    Short lines that merely repeat (a heading like "（一）发展现状" under two chapters, "附件")
    are never dropped outside such a block: a repeated heading is normal in a long policy text.
    """
    keys = [_KEY[p] for p in paragraphs]
    present = [i for i, k in enumerate(keys) if k]
    if len(present) < 4:
        return list(paragraphs), []

    # Earliest earlier paragraph that each paragraph repeats: the first with the same key, else
    # the first similar one. Only first occurrences of keys of ≥ 20 characters can be similar
    # to something (a repeated key is never earlier than its first occurrence).
    match_of: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    long_keys: list[int] = []
    for i in present:
        k = keys[i]
        j = first_seen.get(k)
        if j is not None:
            match_of[i] = j
            continue
        first_seen[k] = i
        if len(k) >= 20:
            long_keys.append(i)
    for x, y in _similar_earlier([keys[i] for i in long_keys]).items():
        match_of[long_keys[x]] = long_keys[y]

    # The second copy starts where "matched minus unmatched" text from there on is largest.
    best_start, best_score = -1, 0
    suffix_score = 0
    for i in reversed(present):
        suffix_score += len(keys[i]) if i in match_of else -len(keys[i])
        if i in match_of and suffix_score >= best_score:  # ties: the earlier start
            best_start, best_score = i, suffix_score
    if best_start < 0:
        return list(paragraphs), []
    region = [i for i in present if i >= best_start]
    matched = [i for i in region if i in match_of]
    matched_chars = sum(len(keys[i]) for i in matched)
    if len(matched) < 2 or matched_chars < _MIN_REPEATED_CHARS:
        return list(paragraphs), []
    last_matched = matched[-1]
    span_chars = sum(len(keys[i]) for i in region if i <= last_matched)
    if matched_chars < 0.6 * span_chars:
        return list(paragraphs), []
    targets = [match_of[i] for i in matched]
    in_order = sum(1 for x, y in zip(targets, targets[1:]) if y > x)
    if len(targets) > 2 and in_order < 0.7 * (len(targets) - 1):
        return list(paragraphs), []

    drop: set[int] = set()
    for i in region:
        if i in match_of or (i <= last_matched and len(keys[i]) < _SHORT_LINE):
            drop.add(i)
    # The second template's head (breadcrumb, meta line) just before its first matched line.
    first_copy_end = min(match_of[i] for i in matched)
    head_bigrams = {
        keys[j][x : x + 2] for j in present if j <= first_copy_end for x in range(len(keys[j]) - 1)
    }
    position = present.index(best_start) - 1
    budget = sum(1 for j in present if j < first_copy_end) or 1
    while position >= 0 and budget > 0:
        i = present[position]
        if len(keys[i]) >= _SHORT_LINE or (
            i not in match_of and _bigram_cover(keys[i], head_bigrams) < 0.5
        ):
            break
        drop.add(i)
        position -= 1
        budget -= 1
    # Blank lines inside the dropped stretch go too; outside it they are left to the caller.
    low, high = min(drop), max(drop)
    kept: list[str] = []
    removed: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i in drop:
            removed.append(paragraph)
        elif not keys[i] and low <= i <= high:
            continue
        else:
            kept.append(paragraph)
    return kept, removed


# --- injected title ---------------------------------------------------------------------------

_TITLE_SEPARATOR = re.compile(r"\s*[-_|｜–—]+\s*|\s+")
_SUFFIX_SEPARATORS = ("_", "|", "｜")


def _title_segments(title: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _TITLE_SEPARATOR.finditer(title):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(title):
        spans.append((start, len(title)))
    return spans


def _bigrams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)} or ({key} if key else set())


def strip_injected_title(
    title_raw: Optional[str], heading: Optional[str], body_text: Optional[str] = None
) -> tuple[str, list[str]]:
    """Cut spam segments and the site suffix from a `<title>`; return (title, removed_segments).

    The title is split on `- _ |` and spaces; the kept part is the contiguous run of segments
    that best matches the article's heading (F1 of character bigrams ≥ 0.6) — so injected spam
    segments and "_产业规划_高新院" fall away while "2025-2027年" or "RISC-V" stay joined. When
    no run matches the heading, the heading itself is the title (the `<title>` was all spam).
    Without a heading, segments are scored against the body: bigrams found in it count for a run,
    bigrams not found count twice against it, and every `_`/`|` inside the run costs (that is how
    CMSs attach column and site names).
    """
    raw = normalize_text(title_raw)
    head = normalize_text(heading)
    if not raw:
        return head, []
    spans = _title_segments(raw)
    seg_keys = [comparison_key(raw[s:e]) for s, e in spans]
    if head:
        reference = _bigrams(comparison_key(head))
    else:
        reference = _bigrams(comparison_key((body_text or "")[:5000]))
    if not reference:
        return raw, []

    best: Optional[tuple[float, int, int]] = None
    for i in range(len(spans)):
        run_key = ""
        for j in range(i, len(spans)):
            run_key += seg_keys[j]
            grams = _bigrams(run_key)
            if not grams:
                continue
            common = len(grams & reference)
            if head:
                precision = common / len(grams)
                recall = common / len(reference)
                score = 2 * precision * recall / (precision + recall) if common else 0.0
                if score < 0.6:
                    continue
            else:
                inner = raw[spans[i][0] : spans[j][1]]
                suffix_joints = sum(inner.count(sep) for sep in _SUFFIX_SEPARATORS)
                score = common - 2 * (len(grams) - common) - 3 * suffix_joints
                if common < 0.5 * len(grams) or score <= 0:
                    continue
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        if head:
            return head, [raw[s:e] for s, e in spans]
        return raw, []
    _, first, last = best
    title = raw[spans[first][0] : spans[last][1]]
    removed = [raw[s:e] for k, (s, e) in enumerate(spans) if k < first or k > last]
    return title, removed


# --- cross-page paragraph frequency ------------------------------------------------------------


def _fingerprint(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def _fingerprints(data: bytes, width: int) -> list[int]:
    """`_fingerprint` of every `width`-byte piece of ASCII `data` (given as bytes); the plain
    definition of what `_band_keys` computes in bulk."""
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return [
        from_bytes(blake2b(data[i : i + width], digest_size=8).digest(), "little")
        for i in range(0, len(data), width)
    ]


def _band_keys(hex_digits: bytes) -> list[list[int]]:
    """The band keys of each signature, from the hex digits of the signatures' bytes: band b of
    a paragraph is `(b << 58) ^ (_fingerprint of its hex digits >> 6)`, in uint64 arithmetic
    for all bands at once (the values are < 2**61: the same integers)."""
    width = 2 * _BAND_BYTES
    blake2b = hashlib.blake2b
    digests = b"".join(
        [
            blake2b(hex_digits[i : i + width], digest_size=8).digest()
            for i in range(0, len(hex_digits), width)
        ]
    )
    values = np.frombuffer(digests, dtype="<u8").reshape(-1, _NEAR_BANDS) >> np.uint64(6)
    values ^= _BAND_HIGH_BITS
    return values.tolist()


_NEAR_SCHEME = SignatureScheme(shingle_size=3, num_perm=16)
_NEAR_BANDS = 8
_NEAR_ROWS = 2
_NEAR_MIN_BANDS = 4  # of 8: P(match) ≈ 0.86 at trigram Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5
_SKELETON_DROP = re.compile(r"[0-9a-z]+")
_MIN_SKELETON = 8  # skeleton characters for near-exact matching (shorter: exact only)
_NEAR_HASHER = MinHasher(_NEAR_SCHEME)
_BAND_BYTES = 4 * _NEAR_ROWS  # bytes of a band's uint32 values
assert _NEAR_SCHEME.num_perm == _NEAR_BANDS * _NEAR_ROWS
_BAND_HIGH_BITS = np.arange(_NEAR_BANDS, dtype=np.uint64) << np.uint64(58)
_BATCH_WINDOWS = 1 << 16  # shingles per numpy pass (16 x 65,536 x 4 bytes = 4 MiB)


def _near_signatures(skeletons: Sequence[str]) -> bytes:
    """`_NEAR_HASHER.signature_of_key(s).hashvalues` of every skeleton (≥ 8 characters), as the
    bytes of one (skeletons x permutations) uint32 array: one numpy pass for all of them.

    The trigram hashes of the concatenated skeletons are computed at once and the windows that
    straddle two skeletons dropped; the minimum over each skeleton's windows is a `reduceat`.
    A minimum does not care about repeated shingles, so this equals the per-key signature.
    """
    a, b = _NEAR_HASHER.permutations
    size = _NEAR_SCHEME.shingle_size
    out: list[bytes] = []
    start = 0
    while start < len(skeletons):
        stop, windows = start, 0
        while stop < len(skeletons) and (stop == start or windows + len(skeletons[stop]) <= _BATCH_WINDOWS):
            windows += len(skeletons[stop]) - size + 1
            stop += 1
        group = skeletons[start:stop]
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        points = np.frombuffer("".join(group).encode("utf-32-le"), dtype="<u4").astype(np.uint32)
        hashes = _murmur_windows(points, size)
        counts = lengths - size + 1
        ends = np.cumsum(counts)
        owner = np.repeat(np.arange(len(group)), counts)
        offsets = np.cumsum(lengths) - lengths
        starts = np.arange(int(ends[-1])) - np.repeat(ends - counts, counts) + offsets[owner]
        block = np.multiply.outer(a, _fmix32(hashes[starts]))
        block += b[:, None]
        minima = np.minimum.reduceat(block, ends - counts, axis=1)  # (permutations x skeletons)
        out.append(np.ascontiguousarray(minima.T).tobytes())
        start = stop
    return b"".join(out)


def _entries_of(keys: Sequence[str], banded: bool) -> list[tuple[int, ...]]:
    """`ParagraphEvidence.entry` of every key (comparison keys, non-empty), batched; with band
    keys if `banded` (for paragraphs with spam terms)."""
    memo = _BANDED_ENTRIES if banded else _ENTRIES
    found: dict[str, tuple[int, ...]] = {}
    missing: list[str] = []
    for key in keys:
        if key in found:
            continue
        entry = memo.get(key)
        if entry is not None:
            found[key] = entry
        else:
            found[key] = ()  # placeholder, filled below
            missing.append(key)
    if missing:
        computed = _entries_of_python(missing, banded)
        for key, entry in zip(missing, computed):
            found[key] = entry
            memo.store(key, entry)
    return [found[key] for key in keys]


def _entries_of_python(keys: Sequence[str], banded: bool = True) -> list[tuple[int, ...]]:
    """The entries of `keys`, computed (`_entries_of` without its memo)."""
    entries: list[tuple[int, ...]] = []
    near: list[int] = []
    skeletons: list[str] = []
    for key in keys:
        skeleton = _SKELETON_DROP.sub("", key)
        exact = _fingerprint(key)
        if len(skeleton) >= _MIN_SKELETON:
            near.append(len(entries))
            skeletons.append(skeleton)
            entries.append((exact, (1 << 63) | ((exact if skeleton == key else _fingerprint(skeleton)) >> 1)))
        else:
            entries.append((exact,))
    if banded and skeletons:
        signatures = _near_signatures(skeletons)
        # A band key hashes the hex digits of its values' bytes: 2 hex digits a byte.
        hex_digits = signatures.hex().encode("ascii")
        for position, bands in zip(near, _band_keys(hex_digits)):
            entries[position] = (*entries[position], *bands)
    return entries


# Entries of the paragraphs without spam terms (no band keys) and of those with them.
_ENTRIES: _Memo = _Memo(lambda key: _entries_of([key], False)[0])
_BANDED_ENTRIES: _Memo = _Memo(lambda key: _entries_of([key], True)[0])


@dataclass(frozen=True)
class ParagraphEvidence:
    """What `ParagraphFrequency` counts of one paragraph; pure of the counts, so it can be
    computed away from them (in a worker process) and handed over.

    `entry` is () for a paragraph the counter does not track (too short, without spam terms);
    otherwise the exact fingerprint of the comparison key, then, when the key's skeleton is
    long enough, the skeleton's fingerprint, and for a paragraph with spam terms the 8 band
    keys of a 16-permutation MinHash of the skeleton's trigrams. The skeleton drops digits and
    Latin (random ids, counters, domains vary between planted copies); the bands catch the
    other small edits an injector makes to each copy. A site's own boilerplate recurs as it
    is, up to such numbers: matched near, a templated sentence of real articles ("省商务厅关于
    加快新材料高质量发展的若干措施如下。") would be judged boilerplate and cut from each.
    `has_spam`: lexicon terms in the normalised paragraph.
    """

    entry: tuple[int, ...]
    has_spam: bool

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParagraphEvidence, (self.entry, self.has_spam))  # 2x faster than the default


# 主送机关, the addressee line of an official document (GB/T 9704-2012 §7.3.3): under the title,
# the bodies the document is sent to, separated by "，" or "、", the last followed by a full-width
# colon ("各县（市、区）人民政府，省直有关部门："). A site's notices are sent to the same bodies, so
# the line recurs verbatim on unrelated pages like a template; it is their text.
ADDRESSEE_LINES = 3  # paragraphs from the top where it is looked for (a document number may come first)
_ADDRESSEE = re.compile(r"[^。！？；!?;：:]{2,160}：")
_ADDRESSEE_BODIES = (
    "政府", "部门", "单位", "委", "委员会", "厅", "局", "办", "办公室", "机构", "党组",
    "院", "公司", "企业", "学校", "高校", "协会", "中心", "银行", "集团", "处", "所", "站",
)


def is_addressee_line(paragraph: str) -> bool:
    """True for a 主送机关 line: groups of bodies separated by "，", ending in "：" (normalised
    text), each group's last name an institution ("各县（市、区）人民政府", "省直有关部门",
    "市政府各委、办、局"). "当前位置：", "附件：" or a notice that ends in "：" are not."""
    text = paragraph.strip()
    if not _ADDRESSEE.fullmatch(text):
        return False
    return all(group.endswith(_ADDRESSEE_BODIES) for group in text[:-1].split("，"))


def paragraph_evidence(paragraphs: Sequence[str], min_chars: int = 12) -> list[ParagraphEvidence]:
    """The evidence of each paragraph, fingerprints computed in one batched pass. An addressee
    line near the top (`is_addressee_line`) without spam terms is not tracked: never counted,
    never cut as boilerplate."""
    tracked: list[tuple[int, str]] = []
    spam_flags: list[bool] = []
    for position, paragraph in enumerate(paragraphs):
        key = _KEY[paragraph]  # comparison_key(paragraph)
        has_spam = bool(key) and bool(_HITS[_NORM[paragraph]])
        spam_flags.append(has_spam)
        if position < ADDRESSEE_LINES and not has_spam and is_addressee_line(paragraph):
            continue
        if key and (len(key) >= min_chars or has_spam):
            tracked.append((position, key))
    entries: list[tuple[int, ...]] = [()] * len(paragraphs)
    for banded in (False, True):
        positions = [position for position, _ in tracked if spam_flags[position] == banded]
        keys = [key for position, key in tracked if spam_flags[position] == banded]
        for position, entry in zip(positions, _entries_of(keys, banded) if keys else ()):
            entries[position] = entry
    return [ParagraphEvidence(entry, has_spam) for entry, has_spam in zip(entries, spam_flags)]


@dataclass(frozen=True)
class EvidenceArrays:
    """The evidence of a page's paragraphs in the arrays the counter works on (`of`): built
    where the evidence is, in a worker process, so the counter's own process does not loop
    over the paragraphs in Python."""

    tracked: tuple[int, ...]  # positions of the paragraphs with an entry
    exact: np.ndarray  # uint64, their exact fingerprints, in that order
    near: np.ndarray  # intp, which of them (positions in `tracked`) have near-match keys
    #: uint64, (len(near) x 9): skeleton fingerprint and band keys of each (zeros, not read,
    #: where it has none: see `ParagraphEvidence`)
    bands: np.ndarray
    banded: np.ndarray  # bool, which rows of `bands` have band keys
    spammy: np.ndarray  # uint64, sorted distinct fingerprints of those with spam terms
    spam: np.ndarray  # bool, which of the tracked paragraphs have spam terms
    paragraphs: int  # all the page's paragraphs, tracked or not
    #: What the page's postings hold, sorted and distinct (`CountedPage`): its exact
    #: fingerprints, and its skeletons with the band keys of the rows that have them.
    held_exact: np.ndarray
    held_bands: np.ndarray

    @classmethod
    def of(cls, evidence: Sequence[ParagraphEvidence]) -> EvidenceArrays:
        tracked: list[int] = []
        exact: list[int] = []
        near: list[int] = []
        bands: list[tuple[int, ...]] = []
        banded: list[bool] = []
        spammy: set[int] = set()
        spam: list[bool] = []
        width = _NEAR_BANDS + 1
        for i, e in enumerate(evidence):
            entry = e.entry
            if not entry:
                continue
            if len(entry) > 1:
                near.append(len(tracked))
                banded.append(len(entry) > 2)
                bands.append(entry[1:] if len(entry) > 2 else (entry[1],) + (0,) * (width - 1))
            if e.has_spam:
                spammy.add(entry[0])
            tracked.append(i)
            exact.append(entry[0])
            spam.append(e.has_spam)
        exact_array = np.array(exact, dtype=_U64)
        band_matrix = np.array(bands, dtype=_U64).reshape(-1, width)
        banded_rows = np.array(banded, dtype=bool)
        return cls(
            tuple(tracked), exact_array, np.array(near, dtype=np.intp), band_matrix, banded_rows,
            np.array(sorted(spammy), dtype=_U64), np.array(spam, dtype=bool), len(evidence),
            sorted_distinct(exact_array),
            sorted_distinct(np.concatenate([band_matrix[:, 0], band_matrix[banded_rows, 1:].ravel()])),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # As bytes (see `minhash.Signature.__reduce__`); the arrays come back read-only.
        return (_evidence_arrays_from_bytes, (
            self.tracked, self.paragraphs,
            *(a.tobytes() for a in (self.exact, self.near, self.bands, self.banded, self.spammy,
                                    self.spam, self.held_exact, self.held_bands)),
        ))


def _evidence_arrays_from_bytes(
    tracked: tuple[int, ...], paragraphs: int, exact: bytes, near: bytes, bands: bytes, banded: bytes,
    spammy: bytes, spam: bytes, held_exact: bytes, held_bands: bytes,
) -> EvidenceArrays:
    return EvidenceArrays(
        tracked, np.frombuffer(exact, dtype=_U64), np.frombuffer(near, dtype=np.intp),
        np.frombuffer(bands, dtype=_U64).reshape(-1, _NEAR_BANDS + 1), np.frombuffer(banded, dtype=bool),
        np.frombuffer(spammy, dtype=_U64), np.frombuffer(spam, dtype=bool), paragraphs,
        np.frombuffer(held_exact, dtype=_U64), np.frombuffer(held_bands, dtype=_U64),
    )


# --- the counter's storage: postings in sorted runs ----------------------------------------------

_U64 = np.uint64
_NO_VALUES = np.empty(0, dtype=_U64)
# A page's values become one sorted run, merged with the newest runs while those are at most
# this many times its size: a few runs of geometrically growing size hold a site's postings.
_POSTING_RUN_RATIO = 4


class _Postings:
    """A multimap value -> doc numbers, as sorted runs of (value, doc) postings (LSM-style).

    12 bytes a posting, where a dict of sets took ~70. A page adds its distinct values as one
    small run; a lookup is one `searchsorted` per run for all the values of a page. Postings of
    docs that no longer count (evicted, observed again) stay until a merge rewrites their run:
    `live` (by doc number) says which count.
    """

    __slots__ = ("values", "docs")

    def __init__(self) -> None:
        self.values: list[np.ndarray] = []
        self.docs: list[np.ndarray] = []

    @property
    def size(self) -> int:
        return sum(v.size for v in self.values)

    def add(self, values: np.ndarray, doc: int, live: np.ndarray) -> None:
        """Add `doc` under each of `values` (sorted, distinct uint64)."""
        if not values.size:
            return
        run_values, run_docs = values, np.full(values.size, doc, dtype=np.uint32)
        while self.values and self.values[-1].size <= _POSTING_RUN_RATIO * run_values.size:
            run_values, run_docs = _merge_runs(
                self.values.pop(), self.docs.pop(), run_values, run_docs, live
            )
        self.values.append(run_values)
        self.docs.append(run_docs)

    def rebuild(self, live: np.ndarray, renumber: np.ndarray) -> None:
        """One run of the live postings, doc numbers mapped through `renumber`."""
        values = np.concatenate(self.values) if self.values else _NO_VALUES
        docs = np.concatenate(self.docs) if self.docs else np.empty(0, dtype=np.uint32)
        alive = live[docs]
        values, docs = values[alive], renumber[docs[alive]]
        order = np.argsort(values, kind="stable")
        self.values, self.docs = [values[order]], [docs[order].astype(np.uint32)]

    def find(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of `values` lies in each run: (first, end), each (runs x values)."""
        first = np.empty((len(self.values), values.size), dtype=np.int64)
        end = np.empty((len(self.values), values.size), dtype=np.int64)
        for r, run in enumerate(self.values):
            first[r] = np.searchsorted(run, values, "left")
            end[r] = np.searchsorted(run, values, "right")
        return first, end

    @staticmethod
    def counts(found: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
        """Postings under each value `find` looked up, dead docs included (an upper bound of
        the live docs holding it)."""
        first, end = found
        if not first.size:
            return np.zeros(size, dtype=np.int64)
        return (end - first).sum(axis=0)  # type: ignore[no-any-return]

    def postings(
        self, found: tuple[np.ndarray, np.ndarray], which: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(doc numbers, value position) of every posting under the values at positions
        `which` of those `find` looked up."""
        docs, owners = [], []
        for first, end, run_docs in zip(found[0], found[1], self.docs):
            first, held = first[which], end[which] - first[which]
            total = int(held.sum())
            if not total:
                continue
            starts = np.cumsum(held) - held
            docs.append(run_docs[np.repeat(first - starts, held) + np.arange(total)])
            owners.append(np.repeat(which, held))
        if not docs:
            return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
        return np.concatenate(docs), np.concatenate(owners)


def _merge_runs(
    values_a: np.ndarray, docs_a: np.ndarray, values_b: np.ndarray, docs_b: np.ndarray,
    live: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs of postings as one, a's first among equal values, without the postings
    of dead docs."""
    merged_values = np.concatenate((values_a, values_b))
    merged_docs = np.concatenate((docs_a, docs_b))
    order = np.argsort(merged_values, kind="stable")  # timsort: a linear merge of two runs
    run_values, run_docs = merged_values[order], merged_docs[order]
    alive = live[run_docs]
    if not alive.all():
        run_values, run_docs = run_values[alive], run_docs[alive]
    return run_values, run_docs


@dataclass(frozen=True)
class CountedPage:
    """What the counter keeps of one page (and the store keeps in `paragraph_counts`): the
    distinct exact fingerprints of its tracked paragraphs, their skeleton and band keys, and
    the fingerprints of those with spam terms. `seq` orders a site's pages as observed."""

    site: str
    doc: str
    seq: int
    exact: np.ndarray  # uint64, sorted, distinct
    bands: np.ndarray  # uint64, sorted, distinct (skeleton fingerprints and band keys)
    spammy: np.ndarray  # uint64

    def to_row(self) -> dict[str, Any]:
        def little_endian(values: np.ndarray) -> bytes:
            return np.asarray(values, dtype="<u8").tobytes()  # no copy on little-endian machines

        return {"site": self.site, "url": self.doc, "seq": self.seq, "exact": little_endian(self.exact),
                "bands": little_endian(self.bands), "spammy": little_endian(self.spammy)}

    @classmethod
    def from_row(cls, site: str, url: str, seq: int, exact: bytes, bands: bytes, spammy: bytes) -> CountedPage:
        return cls(site, url, seq, np.frombuffer(exact, "<u8").astype(_U64),
                   np.frombuffer(bands, "<u8").astype(_U64), np.frombuffer(spammy, "<u8").astype(_U64))


class _SiteCounts:
    """One site's window of pages: postings of their fingerprints and band keys, and per page
    its exact fingerprints (to tell copies of one article from unrelated pages)."""

    def __init__(self) -> None:
        self.exact = _Postings()  # exact fingerprint -> docs
        self.bands = _Postings()  # skeleton fingerprint or band key -> docs
        self.number_of: dict[str, int] = {}  # live doc id -> doc number
        self.doc_of: dict[int, str] = {}  # doc number -> doc id (live only)
        self.fingerprints: dict[int, np.ndarray] = {}  # doc number -> its exact fingerprints
        self.postings: dict[int, int] = {}  # doc number -> postings it holds (live only)
        self.order: deque[int] = deque()  # doc numbers, oldest first (dead ones skipped)
        self.live = np.zeros(64, dtype=bool)
        self.next_number = 0
        self.next_seq = 0
        self.live_postings = 0
        self.dead_postings = 0
        self.spammy: set[int] = set()  # fingerprints of paragraphs with spam terms

    def __len__(self) -> int:
        return len(self.number_of)

    def add(self, page: CountedPage) -> None:
        number = self.next_number
        self.next_number += 1
        if number >= self.live.size:
            live = np.zeros(2 * self.live.size, dtype=bool)
            live[: self.live.size] = self.live
            self.live = live
        self.live[number] = True
        self.number_of[page.doc] = number
        self.doc_of[number] = page.doc
        self.fingerprints[number] = page.exact
        self.postings[number] = page.exact.size + page.bands.size
        self.live_postings += self.postings[number]
        self.order.append(number)
        self.next_seq = max(self.next_seq, page.seq + 1)
        self.exact.add(page.exact, number, self.live)
        self.bands.add(page.bands, number, self.live)

    def forget(self, doc: str) -> None:
        number = self.number_of.pop(doc)
        del self.doc_of[number], self.fingerprints[number]
        self.live[number] = False
        held = self.postings.pop(number)
        self.live_postings -= held
        self.dead_postings += held
        if self.dead_postings > max(self.live_postings, 1 << 16):
            self._compact()

    def oldest(self) -> str:
        while not self.live[self.order[0]]:
            self.order.popleft()
        return self.doc_of[self.order[0]]

    def _compact(self) -> None:
        """Drop the dead postings and renumber the live docs 0..n-1 (in observation order)."""
        numbers = [n for n in self.order if self.live[n]]
        renumber = np.zeros(self.live.size, dtype=np.uint32)
        renumber[numbers] = np.arange(len(numbers), dtype=np.uint32)
        self.exact.rebuild(self.live, renumber)
        self.bands.rebuild(self.live, renumber)
        self.doc_of = {i: self.doc_of[n] for i, n in enumerate(numbers)}
        self.number_of = {doc: i for i, doc in self.doc_of.items()}
        self.fingerprints = {i: self.fingerprints[n] for i, n in enumerate(numbers)}
        self.postings = {i: self.postings[n] for i, n in enumerate(numbers)}
        self.order = deque(range(len(numbers)))
        self.live = np.zeros(max(64, 2 * len(numbers)), dtype=bool)
        self.live[: len(numbers)] = True
        self.next_number = len(numbers)
        self.dead_postings = 0



class ParagraphFrequency:
    """Counts paragraphs across the pages of each site to find planted ones.

    A paragraph is *injected* when it appears on at least `min_docs` pages of one site — and on
    at least `min_share` of the site's pages — that are otherwise unrelated (two pages are
    copies of one article when the rest of their paragraphs overlap, Jaccard ≥ 0.5). It is
    judged only once the site has `min_site_docs` pages. Matching is exact on the comparison
    key's hash; near-exact on the key's skeleton (digits and Latin removed: random ids,
    counters, domains); and, for paragraphs with spam terms, which injectors vary from copy to
    copy, with a 16-permutation MinHash of the skeleton's character trigrams in 8 bands of 2,
    a match needing 4 of the 8 bands (≈ 0.86 at trigram Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5
    — and it takes `min_docs` pages to count). Boilerplate is matched up to its skeleton only:
    a site's template repeats as it is, while a sentence that real articles share but for their
    subject ("省商务厅关于加快新材料高质量发展的若干措施如下。") is their text. Band keys that pages
    counted before this rule stored for other paragraphs stay until those pages leave the
    window; only a paragraph with spam terms looks them up.

    `kind()` separates spam (`injected_paragraph`: the paragraph has lexicon terms) from
    site boilerplate (`boilerplate`: "本网站所载文章…转载请注明出处"). Paragraphs under
    `min_chars` key characters without spam terms are never judged: short lines such as
    "特此通知。" or "本办法自印发之日起施行。" legitimately recur on many policy pages.

    Memory is bounded: each site counts its last `window` pages observed (a planted paragraph
    or a footer recurs on a share of *recent* pages; a million-page backfill must not hold a
    million pages). About 3 KB a page (sorted runs of 12-byte postings, see `_Postings`).
    What each observed page adds, and the pages that left a window, are journaled for the
    store (`take_changes`; the table `paragraph_counts`), so the counts are saved page by page
    with the articles, not as one large state at the end of a run.
    """

    VERSION = 2
    WINDOW = 2000

    def __init__(
        self,
        min_docs: int = 5,
        min_share: float = 0.02,
        min_site_docs: int = 5,
        min_chars: int = 12,
        window: int = WINDOW,
    ) -> None:
        if window < max(min_docs, min_site_docs):
            raise ValueError(f"window {window} is smaller than min_docs/min_site_docs")
        self.min_docs = min_docs
        self.min_share = min_share
        self.min_site_docs = min_site_docs
        self.min_chars = min_chars
        self.window = window
        self._sites: dict[str, _SiteCounts] = {}
        self._cache: dict[tuple[str, int], tuple[int, bool]] = {}
        self._judged: dict[str, dict[int, str]] = {}
        self._observed: dict[str, CountedPage] = {}  # since the last `take_changes`, by doc
        self._evicted: set[str] = set()  # docs that left their window, likewise

    # -- building --
    def evidence(self, paragraphs: Sequence[str]) -> list[ParagraphEvidence]:
        """What the counter needs of each paragraph (see `paragraph_evidence`)."""
        return paragraph_evidence(paragraphs, self.min_chars)

    def observe(self, site: str, doc_id: str | int, paragraphs: Iterable[str]) -> None:
        """Record a page's paragraphs (observing the same doc id again replaces its entry)."""
        self.observe_evidence(site, doc_id, self.evidence(list(paragraphs)))

    def observe_evidence(
        self,
        site: str,
        doc_id: str | int,
        evidence: Sequence[ParagraphEvidence],
        arrays: Optional[EvidenceArrays] = None,
    ) -> None:
        """`observe` with the paragraphs' evidence computed beforehand (in a worker process),
        and its `EvidenceArrays` if they were built there too."""
        arrays = arrays if arrays is not None else EvidenceArrays.of(evidence)
        counts = self._sites.get(site)
        seq = counts.next_seq if counts is not None else 0
        self._remember(CountedPage(
            site, str(doc_id), seq, arrays.held_exact, arrays.held_bands, arrays.spammy
        ))

    def _remember(self, page: CountedPage, journal: bool = True) -> None:
        counts = self._sites.get(page.site)
        if counts is None:
            counts = self._sites[page.site] = _SiteCounts()
        self._cache.clear()
        if page.doc in counts.number_of:
            counts.forget(page.doc)
        elif len(counts) >= self.window:
            oldest = counts.oldest()
            counts.forget(oldest)
            self._evicted.add(oldest)
            self._observed.pop(oldest, None)
        counts.spammy.update(page.spammy.tolist())
        counts.add(page)
        if journal:
            self._observed[page.doc] = page
            self._evicted.discard(page.doc)

    def take_changes(self) -> tuple[list[CountedPage], list[str]]:
        """(pages observed, doc ids that left their site's window) since the last call: what
        the store must write and delete for its `paragraph_counts` to match this counter."""
        observed, evicted = list(self._observed.values()), sorted(self._evicted)
        self._observed, self._evicted = {}, set()
        return observed, evicted

    def return_changes(self, observed: Iterable[CountedPage], evicted: Iterable[str]) -> None:
        """Put back what `take_changes` gave when the store could not write it (a failed
        transaction): the next `take_changes` hands it out again, unless superseded."""
        for page in observed:
            self._observed.setdefault(page.doc, page)
        for doc in evicted:
            if doc not in self._observed:
                self._evicted.add(doc)

    @classmethod
    def from_pages(cls, pages: Iterable[CountedPage], **params: Any) -> ParagraphFrequency:
        """A counter holding `pages` (as stored: by site, oldest first). Pages beyond a site's
        window are evicted at once, and journaled as such for the store."""
        freq = cls(**params)
        for page in pages:
            freq._remember(page, journal=False)
        return freq

    # -- judging --
    def site_docs(self, site: str) -> int:
        counts = self._sites.get(site)
        return len(counts) if counts else 0

    def site_docs_total(self) -> int:
        """Pages counted, all sites together."""
        return sum(len(counts) for counts in self._sites.values())

    def kind(self, site: str, paragraph: str) -> Optional[str]:
        """`injected_paragraph`, `boilerplate` or None for one paragraph of a page of `site`."""
        counts = self._sites.get(site)
        if counts is None or len(counts) < self.min_site_docs:
            return None
        return self.kind_of(site, self.evidence([paragraph])[0])

    def kind_of(self, site: str, evidence: ParagraphEvidence) -> Optional[str]:
        """`kind` of the paragraph whose evidence this is."""
        return self.kinds_of(site, [evidence])[0]

    def kinds_of(
        self,
        site: str,
        evidence: Sequence[ParagraphEvidence],
        arrays: Optional[EvidenceArrays] = None,
    ) -> list[Optional[str]]:
        """`kind_of` of each paragraph of a page, all looked up at once. A bound first, from
        the number of postings under each value: most paragraphs are on one page or a few, and
        only those that may reach the threshold have their pages counted exactly. With
        `arrays`, `evidence` is not read (a page handed over by a worker comes without it)."""
        kinds: list[Optional[str]] = [None] * (arrays.paragraphs if arrays is not None else len(evidence))
        counts = self._sites.get(site)
        if counts is None or len(counts) < self.min_site_docs:
            return kinds
        arrays = arrays if arrays is not None else EvidenceArrays.of(evidence)
        tracked, exact, near = arrays.tracked, arrays.exact, arrays.near
        if not tracked:
            return kinds
        needed = max(self.min_docs, math.ceil(self.min_share * len(counts)))
        row_of = np.full(len(tracked), -1, dtype=np.int64)
        row_of[near] = np.arange(near.size)
        found = self._candidates(counts.exact.values, counts.exact.docs, counts.bands.values, counts.bands.docs,
                       counts.live, exact, row_of, arrays.bands, arrays.banded, needed, _NEAR_MIN_BANDS)
        for k, docs in found:
            if docs.size >= needed:
                kinds[tracked[k]] = self._judge(
                    site, counts, int(exact[k]), bool(arrays.spam[k]), set(docs.tolist()), needed
                )
        return kinds

    @staticmethod
    def _candidates(
        exact_runs: list[np.ndarray], exact_docs: list[np.ndarray], band_runs: list[np.ndarray],
        band_docs: list[np.ndarray], live: np.ndarray, exact: np.ndarray, row_of: np.ndarray,
        bands: np.ndarray, banded: np.ndarray, needed: int, min_bands: int,
    ) -> list[tuple[int, np.ndarray]]:
        """(paragraph, sorted live docs holding it) of the paragraphs whose bound reaches
        `needed`.

        A bound first, from the number of postings under each value: most paragraphs are on
        one page or a few, and only those that may reach the threshold have their pages
        counted exactly: by exact fingerprint, skeleton, or `min_bands` band keys. `row_of`:
        a paragraph's row of `bands` (skeleton, then band keys), or -1; a row's band keys are
        looked up only where it is `banded`."""
        exact_postings, band_postings = _Postings(), _Postings()
        exact_postings.values, exact_postings.docs = exact_runs, exact_docs
        band_postings.values, band_postings.docs = band_runs, band_docs
        near = np.flatnonzero(row_of >= 0)
        near_banded = banded[row_of[near]]
        exact_found = exact_postings.find(exact)
        bound = exact_postings.counts(exact_found, exact.size)
        width = bands.shape[1]
        values = bands[row_of[near]].ravel()
        band_found = band_postings.find(values)
        if near.size:
            held = band_postings.counts(band_found, values.size).reshape(-1, width)
            bound[near] += held[:, 0] + (held[:, 1:].sum(axis=1) * near_banded) // min_bands
        candidates = np.flatnonzero(bound >= needed)
        if not candidates.size:
            return []
        # (paragraph, live doc) pairs by exact key, skeleton, or enough band keys.
        docs, owner = exact_postings.postings(exact_found, candidates)
        pairs = [owner * live.size + docs]
        position_of = np.full(exact.size, -1, dtype=np.intp)  # a paragraph's row of `values`
        position_of[near] = np.arange(near.size)
        rows = position_of[candidates]
        rows = rows[rows >= 0]
        if rows.size:
            columns = (np.arange(width) == 0) | near_banded[rows][:, None]
            which = (rows[:, None] * width + np.arange(width))[columns]
            docs, position = band_postings.postings(band_found, which)
            owner = near[position // width]
            key = owner * live.size + docs
            skeleton = position % width == 0
            pairs.append(key[skeleton])
            band_keys = np.sort(key[~skeleton])
            # A pair is held through enough bands when it recurs min_bands times in a row.
            steps = min_bands - 1
            if band_keys.size > steps:
                pairs.append(band_keys[steps:][band_keys[steps:] == band_keys[:-steps]] if steps else band_keys)
        pairs_all = sorted_distinct(np.concatenate(pairs))
        owner, docs = np.divmod(pairs_all, live.size)
        alive = live[docs]
        owner, docs = owner[alive], docs[alive]
        first = np.searchsorted(owner, candidates, "left")
        end = np.searchsorted(owner, candidates, "right")
        return [(k, docs[a:b].astype(np.uint32))
                for k, a, b in zip(candidates.tolist(), first.tolist(), end.tolist())]

    def _judge(
        self, site: str, counts: _SiteCounts, fp: int, has_spam: bool, docs: set[int], needed: int
    ) -> Optional[str]:
        """The kind of a paragraph (exact fingerprint `fp`) held by `docs` (live doc numbers, at
        least `needed`)."""
        cache_key = (site, fp)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == len(docs):
            frequent = cached[1]
        else:
            frequent = self._unrelated_count(counts, fp, docs, needed) >= needed
            self._cache[cache_key] = (len(docs), frequent)
        if not frequent:
            return None
        kind = KIND_INJECTED_PARAGRAPH if has_spam else KIND_BOILERPLATE
        self._judged.setdefault(site, {})[fp] = kind
        return kind

    @staticmethod
    def _unrelated_count(counts: _SiteCounts, fp: int, docs: set[int], needed: int) -> int:
        """Greedy count of pages that are not copies of one another (stops at `needed`).

        Two pages are copies of one article when their other paragraphs (this one and those
        with spam terms left out) overlap with Jaccard ≥ 0.5; a planted paragraph sits in
        pages whose own paragraphs share nothing.
        """
        representatives: list[set[int]] = []
        for number in sorted(docs, key=counts.doc_of.__getitem__):  # by doc id, as observed
            others = {
                v for v in counts.fingerprints[number].tolist() if v != fp and v not in counts.spammy
            }
            for seen in representatives:
                union = len(seen | others)
                if union and len(seen & others) / union >= 0.5:
                    break
            else:
                representatives.append(others)
                if len(representatives) >= needed:
                    break
        return len(representatives)

    def judged(self, site: str) -> dict[int, str]:
        """Exact fingerprints of the site's paragraphs judged planted or boilerplate so far, and
        their kind: a guess for cleaning the site's next pages ahead (`clean.prepare_item`)."""
        return dict(self._judged.get(site, {}))

    def injected(self, site: str, paragraph: str) -> bool:
        """True when the paragraph is planted on (or boilerplate of) many unrelated pages."""
        return self.kind(site, paragraph) is not None

    # -- persistence --
    def params(self) -> dict[str, Any]:
        return {"min_docs": self.min_docs, "min_share": self.min_share,
                "min_site_docs": self.min_site_docs, "min_chars": self.min_chars,
                "window": self.window}

    def pages(self) -> Iterator[CountedPage]:
        """Every page counted, by site, oldest first (what `from_pages` takes back)."""
        for site, counts in self._sites.items():
            numbers = [n for n in counts.order if counts.live[n]]
            bands = _values_by_doc(counts.bands, counts.live)
            for seq, number in enumerate(numbers):
                fps = counts.fingerprints[number]
                yield CountedPage(
                    site, counts.doc_of[number], seq, fps, bands.get(number, _NO_VALUES),
                    np.array(sorted(set(fps.tolist()) & counts.spammy), dtype=_U64),
                )

    def to_dict(self) -> dict[str, Any]:
        """The whole counter as JSON-able data (`from_dict`); the store keeps it page by page."""
        return {
            "version": self.VERSION,
            "params": {**self.params(), "near_scheme": _NEAR_SCHEME.to_dict()},
            "pages": [
                [p.site, p.doc, p.seq, *(base64.b64encode(a.astype("<u8").tobytes()).decode()
                                         for a in (p.exact, p.bands, p.spammy))]
                for p in self.pages()
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParagraphFrequency:
        """Read `to_dict`'s data, or version 1's (one JSON state of every page ever counted,
        as sessions before the window saved it): then every page is journaled, for the store
        to keep them page by page from now on."""
        version = data.get("version")
        if version not in (1, cls.VERSION):
            raise ValueError(
                f"paragraph counts of version {version!r}, expected {cls.VERSION}: "
                "rebuild them by observing the stored articles again"
            )
        params = dict(data["params"])
        _NEAR_SCHEME.check_compatible(SignatureScheme.from_dict(params.pop("near_scheme")))
        if version == 1:
            freq = cls(**params)
            for site, payload in data["sites"].items():
                spammy = set(payload.get("spammy", ()))
                for doc, entries in payload["docs"].items():
                    tracked = [tuple(int(v) for v in e) for e in entries]
                    exact = {e[0] for e in tracked}
                    freq._remember(CountedPage(
                        site, doc, freq._sites[site].next_seq if site in freq._sites else 0,
                        np.array(sorted(exact), dtype=_U64),
                        np.array(sorted({v for e in tracked for v in e[1:]}), dtype=_U64),
                        np.array(sorted(exact & spammy), dtype=_U64),
                    ))
            return freq

        def array(text: str) -> np.ndarray:
            return np.frombuffer(base64.b64decode(text), dtype="<u8").astype(_U64)

        return cls.from_pages(
            (CountedPage(site, doc, int(seq), array(e), array(b), array(s))
             for site, doc, seq, e, b, s in data["pages"]),
            **params,
        )


def _values_by_doc(postings: _Postings, live: np.ndarray) -> dict[int, np.ndarray]:
    """The live postings regrouped by doc number: {doc: its values, sorted}."""
    if not postings.values:
        return {}
    values, docs = np.concatenate(postings.values), np.concatenate(postings.docs)
    alive = live[docs]
    values, docs = values[alive], docs[alive]
    order = np.lexsort((values, docs))
    values, docs = values[order], docs[order]
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1]))) if docs.size else []
    bounds = [*starts, docs.size]
    return {int(docs[a]): values[a:b] for a, b in zip(bounds, bounds[1:])}


# --- spliced terms and spam paragraphs ----------------------------------------------------------


def _related_categories(paragraphs: Sequence[str]) -> set[str]:
    """Categories the page is about: a topic word appears outside the lexicon hits.

    Computed per paragraph (memoised): neither a lexicon term nor a topic word spans a line
    break, so searching the paragraphs one by one finds what searching them joined would.
    """
    related: set[str] = set()
    for paragraph in paragraphs:
        related.update(_TOPICS[paragraph])
    return related


def _spam_paragraph(paragraph: str, hits: list[TermHit]) -> bool:
    """A paragraph that is spam as a whole rather than an article sentence with a splice."""
    return _spam_hits(len(_KEY[paragraph]), hits)


def _spam_hits(key_length: int, hits: list[TermHit]) -> bool:
    """`_spam_paragraph` of a paragraph whose comparison key is `key_length` long."""
    if not hits:
        return False
    key_len = key_length or 1
    covered = sum(h.end - h.start for h in hits)
    distinct = len({h.term.lower() for h in hits})
    return covered / key_len >= 0.2 or (distinct >= 2 and key_len < 200) or distinct >= 4


def strip_spam_paragraphs(
    paragraphs: Sequence[str],
    freq: Optional[ParagraphFrequency] = None,
    site: Optional[str] = None,
) -> tuple[list[str], list[Removal]]:
    """Remove planted paragraphs and spliced spam terms; return (paragraphs, removals).

    * A paragraph the frequency counter knows as planted on many unrelated pages of the site is
      removed whole (`injected_paragraph`, or `boilerplate` when it has no spam terms).
    * A paragraph that is spam through and through (lexicon terms cover ≥ 20 % of it, or several
      distinct terms in a short paragraph) is removed whole (`injected_paragraph`) — unless the
      page is about that subject (an anti-gambling notice quoting 百家乐, 六合彩).
    * Otherwise only the spliced segment is cut (`spliced_spam`): the lexicon term plus the
      words spammers attach to it (娱乐场, 官网, 手机版, a domain), because the sentence around it
      is the article's own text. Terms of a category the page is about stay.
    """
    kinds: list[Optional[str]] = [None] * len(paragraphs)
    if freq is not None and site is not None and freq.site_docs(site) >= freq.min_site_docs:
        kinds = freq.kinds_of(site, freq.evidence(paragraphs))
    return assemble_spam_cuts(paragraphs, kinds, lexicon_cuts(paragraphs))


#: One paragraph after the lexicon's cuts: its kept text (None: removed whole) and the cuts.
LexiconCut = tuple[Optional[str], tuple[Removal, ...]]


def lexicon_cuts(paragraphs: Sequence[str]) -> list[LexiconCut]:
    """The lexicon's part of `strip_spam_paragraphs`, paragraph by paragraph.

    Pure of the frequency counter (the page's subjects are those of all its paragraphs), so a
    worker process computes it and the counter's verdicts are applied afterwards.
    """
    related = _related_categories(paragraphs)
    out: list[LexiconCut] = []
    for paragraph in paragraphs:
        hits = [h for h in _HITS[paragraph] if h.category not in related]
        if not hits:
            out.append((paragraph, ()))
            continue
        if _spam_paragraph(paragraph, hits):
            out.append((None, (Removal(KIND_INJECTED_PARAGRAPH, paragraph),)))
            continue
        lowered = paragraph.lower()
        pieces: list[str] = []
        removals: list[Removal] = []
        position = 0
        for match in _SPLICE_PATTERN.finditer(lowered):
            if _TERM_CATEGORY[_TERM_PATTERN.match(match.group(0)).group(0).lower()] in related:  # type: ignore[union-attr]
                continue
            pieces.append(paragraph[position : match.start()])
            removals.append(Removal(KIND_SPLICED_SPAM, paragraph[match.start() : match.end()]))
            position = match.end()
        pieces.append(paragraph[position:])
        out.append((normalize_text("".join(pieces)) or None, tuple(removals)))
    return out


def assemble_spam_cuts(
    paragraphs: Sequence[str], kinds: Sequence[Optional[str]], lexicon: Sequence[LexiconCut]
) -> tuple[list[str], list[Removal]]:
    """Kept paragraphs and cuts, in page order: a paragraph the counter judged (`kinds`) is cut
    whole, the others as the lexicon decided."""
    kept: list[str] = []
    removals: list[Removal] = []
    for paragraph, kind, (text, cuts) in zip(paragraphs, kinds, lexicon):
        if kind is not None:
            removals.append(Removal(kind, paragraph))
            continue
        removals.extend(cuts)
        if text is not None:
            kept.append(text)
    return kept, removals


# --- page verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSignals:
    """The extractor's page-level signals that bear on spam (names as in `ExtractedPage.signals`).

    `link_text_ratio`: characters inside links / all visible characters. `hidden_spam_terms`:
    lexicon hits in the hidden blocks the extractor removed.
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
    title: str,
    paragraphs: Sequence[str],
    signals: Optional[PageSignals | Mapping[str, Any]] = None,
) -> SpamVerdict:
    """Is this page spam as a whole (reject it) or an article that may carry spam (clean it)?

    Signals and weights (score capped at 1): lexicon density in the body ≥ 5 hits per 1,000
    characters (0.45) or ≥ 3 distinct terms (0.25); spam terms in the title (0.15); keyword
    stuffing, one term ≥ 4 times (0.2); no running text, i.e. < 100 Han characters in paragraphs
    of ≥ 30 (0.25); link farm, offsite links ≥ 50 % and link text ≥ 30 % (0.25); cloaking
    redirect (0.3); hidden blocks carrying spam terms (0.15).

    A page is rejected only with score ≥ 0.6 *and* without substantial clean running text
    (≥ 400 Han characters outside spam paragraphs, ≥ 70 % of the body): a hijacked mirror of a
    real article scores high (cloaking, spam title) but its article is kept, cleaned, and then
    found to be a mirror by dedup. Lexicon terms of a subject the page is about (彩票 policy,
    anti-gambling notice) do not count.
    """
    clean_paragraphs = [p for p in (_NORM[p] for p in paragraphs) if p]
    return verdict_of(title_hits(title), clean_paragraphs, [_verdict_row(p) for p in clean_paragraphs], signals)


def title_hits(title: str) -> tuple[TermHit, ...]:
    """The lexicon hits of a title as `classify_page` finds them (of its normalised text)."""
    return _HITS[_NORM[title]] if title else ()


#: What the page verdict reads of one paragraph (its normalised text): Han characters, length of
#: its lower-cased comparison key, length of its comparison key, lexicon hits, topic categories.
VerdictRow = tuple[int, int, int, tuple[TermHit, ...], frozenset[str]]


def _verdict_row(text: str) -> VerdictRow:
    return _HAN[text], _LOWERED_KEY_LENGTH[text], len(_KEY[text]), _HITS[text], _TOPICS[text]


def verdict_row(paragraph: str) -> Optional[VerdictRow]:
    """What `classify_page` reads of `paragraph`; None when it normalises to nothing (the
    verdict leaves it out). Kept with a cleaned page (`clean.PreparedItem.verdict_rows`), so
    that a process judging the page again after more cuts needs neither the text's memos nor
    its scans for lexicon terms and topic words."""
    text = _NORM[paragraph]
    return _verdict_row(text) if text else None


def verdict_of(
    title_hits: Sequence[TermHit],
    paragraphs: Sequence[str],
    rows: Sequence[VerdictRow],
    signals: Optional[PageSignals | Mapping[str, Any]] = None,
) -> SpamVerdict:
    """`classify_page` of a page whose normalised title has the lexicon hits `title_hits` and
    whose paragraphs (`paragraphs`, read only when t2s is not piecewise) have the verdict rows
    `rows` (one per paragraph that normalises to something)."""
    if signals is None:
        page_signals = PageSignals()
    elif isinstance(signals, PageSignals):
        page_signals = signals
    else:
        page_signals = PageSignals.from_mapping(signals)
    related: set[str] = set()
    for row in rows:
        related.update(row[4])
    # The hits of the lower-cased body are those of its lines one after the other (no term
    # spans a line break), and so is its comparison key when t2s is piecewise.
    body_hits = [h for row in rows for h in row[3] if h.category not in related]

    score = 0.0
    reasons: list[str] = []
    if t2s_is_piecewise():
        body_chars = max(sum(row[1] for row in rows), 1)
    else:
        clean_paragraphs = [p for p in (_NORM[p] for p in paragraphs) if p]
        body_chars = max(len(comparison_key("\n".join(clean_paragraphs).lower())), 1)
    per_thousand = 1000 * len(body_hits) / body_chars
    distinct = {h.term.lower() for h in body_hits}
    if body_hits and per_thousand >= 5:
        score += 0.45
        reasons.append(f"spam_terms:{len(body_hits)}/{body_chars}chars")
    elif len(distinct) >= 3:
        score += 0.25
        reasons.append(f"spam_terms:{len(distinct)}distinct")
    if title_hits:
        score += 0.15
        reasons.append("spam_title")
    if body_hits:
        term, count = Counter(h.term.lower() for h in body_hits).most_common(1)[0]
        if count >= 4:
            score += 0.2
            reasons.append(f"keyword_stuffing:{term}x{count}")
    running = [row for row in rows if row[0] >= 30]
    running_han = sum(row[0] for row in running)
    if running_han < 100:
        score += 0.25
        reasons.append("no_running_text")
    if page_signals.offsite_link_ratio >= 0.5 and page_signals.link_text_ratio >= 0.3:
        score += 0.25
        reasons.append("link_farm")
    if page_signals.cloaking_redirect:
        score += 0.3
        reasons.append("cloaking_redirect")
    if page_signals.hidden_blocks and page_signals.hidden_spam_terms:
        score += 0.15
        reasons.append("hidden_spam_blocks")
    score = min(score, 1.0)

    clean_chars = sum(
        row[0] for row in running
        if not (row[3] and _spam_hits(row[2], [h for h in row[3] if h.category not in related]))
    )
    all_han = sum(row[0] for row in rows) or 1
    substantial = clean_chars >= 400 and clean_chars >= 0.7 * all_han
    return SpamVerdict(score >= 0.6 and not substantial, round(score, 3), tuple(reasons), clean_chars)
