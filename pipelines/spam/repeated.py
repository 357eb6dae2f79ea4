"""A body printed twice (the PC and the mobile template of one page) kept once.

`strip_repeated_body` finds the second copy as a block of paragraphs that repeat, in order,
the paragraphs before it; nothing else on the page is touched.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from pipelines.text import paragraphs_of

__all__ = ["repeated_copy", "strip_repeated_body"]

_SHORT_LINE = 80  # characters of comparison key: meta lines, breadcrumbs, headings
# A second copy matches at least this many key characters, or, on a shorter page, this share
# of all its text (a short notice printed twice).
_MIN_REPEATED_CHARS = 200
_MIN_REPEATED_SHARE = 0.3


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
    """Keep a body printed twice (PC + mobile template) once; return (paragraphs, removed)
    (see `repeated_copy`)."""
    dropped, skipped = repeated_copy([p.key for p in paragraphs_of(paragraphs)])
    kept = [p for i, p in enumerate(paragraphs) if i not in dropped and i not in skipped]
    return kept, [p for i, p in enumerate(paragraphs) if i in dropped]


_KEEP_ALL: tuple[set[int], set[int]] = (set(), set())


def repeated_copy(keys: Sequence[str]) -> tuple[set[int], set[int]]:
    """The second copy of a body printed twice (PC + mobile template), from the comparison keys
    of the page's paragraphs: (positions of the paragraphs it removes, positions of the blank
    lines inside it, which go too but are not cuts).

    The repeat is recognised as a *block*: a later run of paragraphs that match, in order, the
    paragraphs before it (exactly on the comparison key, or ≥ 0.8 trigram Jaccard for small
    variations), with ≥ 200 characters matched (≥ 30 % of a shorter page). The first copy is
    kept; from the second copy go the matched paragraphs, the blank lines, its own short
    template lines (breadcrumb, meta line in another order) — the short unmatched lines just
    before the first matched paragraph when they resemble the first copy, and those between
    matched paragraphs. A long paragraph found only in the second copy is kept.

    Short lines that merely repeat (a heading like "（一）发展现状" under two chapters, "附件")
    are never dropped outside such a block: a repeated heading is normal in a long policy text.
    """
    present = [i for i, k in enumerate(keys) if k]
    if len(present) < 4:
        return _KEEP_ALL

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
        return _KEEP_ALL
    region = [i for i in present if i >= best_start]
    matched = [i for i in region if i in match_of]
    matched_chars = sum(len(keys[i]) for i in matched)
    needed = min(_MIN_REPEATED_CHARS, _MIN_REPEATED_SHARE * sum(len(keys[i]) for i in present))
    if len(matched) < 2 or matched_chars < needed:
        return _KEEP_ALL
    last_matched = matched[-1]
    span_chars = sum(len(keys[i]) for i in region if i <= last_matched)
    if matched_chars < 0.6 * span_chars:
        return _KEEP_ALL
    targets = [match_of[i] for i in matched]
    in_order = sum(1 for x, y in zip(targets, targets[1:]) if y > x)
    if len(targets) > 2 and in_order < 0.7 * (len(targets) - 1):
        return _KEEP_ALL

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
    return drop, {i for i in range(low, high + 1) if not keys[i] and i not in drop}
