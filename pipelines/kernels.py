"""The compiled kernels (`pipelines/_kernels.c`) when they are built, and the switch between
them and the numpy code they replace.

Every kernel is the loop form of numpy code that stays in its stage module as the reference:
`minhash._murmur_windows_numpy`, `MinHasher._hashvalues_numpy` and
`minhash._sorted_distinct_numpy` (body signatures),
`spam._near_signatures_numpy` (paragraph signatures), `spam._entries_of_python` (the paragraph
counter's fingerprints and band keys, with BLAKE2b in C), `spam._han_count_regex`, the
`normalize._KEY_RUN` scan of `key_of_normalized` (`key_chars`), the punctuation rule of
`normalize_text` (`punct_to_fullwidth`), character-class searches and counts (`CharClass`, on
`count_in_set`), `spam._trigram_screen_numpy`,
the paragraph counter's lookup (`counter_candidates`, of
`spam.ParagraphFrequency._candidates_numpy`) and the merge of its runs (`merge_postings`, of
`spam._merge_runs_numpy`), and in
`dedup`: `_BandTable.matches` (bucket lookup), `DedupIndex._screen_passes` (the screen),
`_verify_rows` (`prefilter_rows`, `band_candidates`), `_subsample`, `_screen_row`. The stage modules call these
wrappers when `enabled()`, the numpy code otherwise; tests/pipelines/test_kernels.py checks
that both give identical results, and that a machine with a C compiler did build the kernels.

The wrappers check dtypes and shapes, so the C code can trust its buffers' layout (it checks
their sizes and every row index itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Optional

import numpy as np

try:
    from pipelines import _kernels
except ImportError:  # built without a C compiler: the numpy versions run
    _kernels = None

#: The compiled module was built and imported.
COMPILED = _kernels is not None
_enabled = COMPILED


def enabled() -> bool:
    """Whether the stages use the compiled kernels (built, and not switched off)."""
    return _enabled


@contextmanager
def disabled() -> Iterator[None]:
    """Run the numpy versions inside the block (for the equivalence tests and the benchmark's
    compiled-vs-numpy comparison)."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before


def _u32(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint32)


def _matrix(array: np.ndarray, dtype: type, name: str) -> np.ndarray:
    """`array` itself, checked to be a C-contiguous 2-D array of `dtype` (the index's
    matrices are read in place: a copy would cost more than the kernel)."""
    if array.dtype != dtype or not array.flags.c_contiguous or array.ndim != 2:
        raise ValueError(f"{name} must be a contiguous 2-D {np.dtype(dtype).name} array")
    return array


def murmur_windows(codepoints: np.ndarray, width: int) -> np.ndarray:
    """murmur3_32 of every `width`-character window of `codepoints` (len ≥ width ≥ 1)."""
    codepoints = _u32(codepoints)
    out = np.empty(codepoints.size - width + 1, dtype=np.uint32)
    _kernels.murmur_windows(codepoints, width, out)
    return out


def sorted_distinct_u32(values: np.ndarray) -> np.ndarray:
    """The distinct values of a uint32 array, sorted (`minhash._sorted_distinct_numpy`)."""
    values = _u32(values)
    out, scratch = np.empty(values.size, dtype=np.uint32), np.empty(values.size, dtype=np.uint32)
    kept = _kernels.sorted_distinct_u32(values, out, scratch)
    return out[:kept] if kept < values.size else out


def minhash_values(hashes: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """`out = min(out, min over hashes of a * fmix32(h) + b)`, per permutation, in place."""
    if out.dtype != np.uint32 or not out.flags.c_contiguous:
        raise ValueError("out must be a contiguous uint32 array")
    _kernels.minhash_values(_u32(hashes), _u32(a), _u32(b), out)


def grouped_minhash(codepoints: np.ndarray, lengths: np.ndarray, width: int,
                    a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One MinHash row per string: `codepoints` are strings back to back, `lengths[i]` ≥ width
    code points each; row i holds the minima over string i's windows (none straddles two)."""
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    out = np.empty((lengths.size, a.size), dtype=np.uint32)
    _kernels.grouped_minhash(_u32(codepoints), lengths, width, _u32(a), _u32(b), out)
    return out


def prefilter_rows(matrix: np.ndarray, numbers: np.ndarray, rows: np.ndarray, query: np.ndarray,
                   shingle_count: int, prefilter: float) -> tuple[np.ndarray, np.ndarray]:
    """(positions in `rows`, MinHash estimates) of the rows that pass dedup's prefilter
    (`dedup.DedupIndex._prefilter_numpy`): the signature matrix (uint32, rows x perms), the
    index's numbers (int64, rows x 3: key length, shingle count, sample bits)."""
    if numbers.shape[1:] != (3,):
        raise ValueError("numbers must have 3 columns")
    positions, estimates = _kernels.prefilter_rows(
        _matrix(matrix, np.uint32, "matrix"), _matrix(numbers, np.int64, "numbers"),
        np.ascontiguousarray(rows, dtype=np.int64), _u32(query), shingle_count, prefilter,
    )
    return np.frombuffer(positions, dtype=np.int64), np.frombuffer(estimates, dtype=np.float64)


def bucket_rows(pairs: np.ndarray, starts: np.ndarray, slots: np.ndarray, masks: np.ndarray,
                screen: np.ndarray | None = None) -> np.ndarray:
    """The band table's lookup (`dedup._BandTable.matches`): the rows of the pairs in each slot's
    bucket, `pairs[starts[s] : starts[s + 1]]`, whose hash half equals the slot's mask. Each
    row's line of `screen` (2-D, a row per stored row), if given, is prefetched on the way."""
    if pairs.dtype != np.uint64 or starts.dtype != np.uint32:
        raise ValueError("pairs must be uint64 and starts uint32")
    screen = _NO_SCREEN if screen is None else _matrix(screen, np.uint64, "screen")
    data, n = _kernels.bucket_rows(
        np.ascontiguousarray(pairs), np.ascontiguousarray(starts),
        np.ascontiguousarray(slots, dtype=np.int64), np.ascontiguousarray(masks, dtype=np.uint64),
        screen, screen.shape[1],
    )
    return np.frombuffer(data, dtype=np.int64, count=n)


_NO_SCREEN = np.zeros((0, 1), dtype=np.uint64)


def subsample(hashes: np.ndarray, bits: int) -> np.ndarray:
    """The values of `hashes` (uint32) whose low `bits` bits are all 0, in order."""
    hashes = _u32(hashes)
    out = np.empty(hashes.size, dtype=np.uint32)
    return out[: _kernels.subsample(hashes, bits, out)]


def screen_row(hashvalues: np.ndarray, planes: int, code: int) -> np.ndarray:
    """The prefilter screen's row of a signature (`dedup._screen_row`): `planes` bit-planes of
    its values' low bits, `code` in the top byte of plane 0's last word."""
    hashvalues = _u32(hashvalues)
    out = np.empty(planes * -(-hashvalues.size // 64), dtype=np.uint64)
    _kernels.screen_row(hashvalues, planes, code, out)
    return out


def han_count(text: str) -> int:
    """Characters of `text` in U+4E00..U+9FFF."""
    return _kernels.han_count(text)


def screen_filter(screen: np.ndarray, rows: np.ndarray, query: np.ndarray, planes: int,
                  limits: np.ndarray) -> np.ndarray:
    """The `rows` of the prefilter screen (uint64, a row per stored signature, `planes`
    bit-planes) whose screened values differ from `query`'s in at most `limits[code]` values
    (uint16, one per count code of the row), in order (`DedupIndex._screen_passes`)."""
    screen = _matrix(screen, np.uint64, "screen")
    if query.shape != (screen.shape[1],):
        raise ValueError(f"query must be one screen row of {screen.shape[1]} words")
    data, n = _kernels.screen_filter(
        screen, np.ascontiguousarray(rows, dtype=np.int64), np.ascontiguousarray(query, dtype=np.uint64),
        planes, np.ascontiguousarray(limits, dtype=np.uint16),
    )
    return np.frombuffer(data, dtype=np.int64, count=n)


def paragraph_entries(keys: list[str], a: np.ndarray, b: np.ndarray, width: int,
                      min_skeleton: int, banded: bool = True) -> list[tuple[int, ...]]:
    """The paragraph counter's entry of every comparison key (`spam._entries_of_python`):
    blake2b fingerprints of the key and its skeleton, and if `banded` the band keys of the
    skeleton's 16-permutation MinHash of `width`-character shingles."""
    return _kernels.paragraph_entries(keys, _u32(a), _u32(b), width, min_skeleton, banded)


def key_chars(text: str) -> str:
    """The letters and digits of `text` (`str.isalnum`, the `re` module's `\\w` without "_")."""
    return _kernels.key_chars(text)


def trigram_screen(keys: list[str], multiplier: int) -> list[int]:
    """Positions of the `keys` (≥ 3 characters each) that may have a similar key: those whose
    trigrams are not mostly alone in their 16-bit hash bucket (`spam._trigram_screen_numpy`)."""
    return _kernels.trigram_screen(keys, multiplier)


def _runs(runs: list[np.ndarray], dtype: type, name: str) -> list[np.ndarray]:
    for run in runs:
        if run.dtype != dtype or run.ndim != 1 or not run.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous 1-D {np.dtype(dtype).name} arrays")
    return runs


def counter_candidates(
    exact_runs: list[np.ndarray], exact_docs: list[np.ndarray], band_runs: list[np.ndarray],
    band_docs: list[np.ndarray], live: np.ndarray, exact: np.ndarray, row_of: np.ndarray,
    bands: np.ndarray, banded: np.ndarray, needed: int, min_bands: int,
) -> list[tuple[int, np.ndarray]]:
    """(paragraph, sorted live docs holding it) of every paragraph whose bound reaches
    `needed`: the paragraph counter's lookup in one pass (`spam.ParagraphFrequency.
    _candidates_numpy`, which takes the same arguments: `row_of` gives a paragraph's row of
    `bands` (skeleton, then band keys), or -1; the band keys of a row count only where
    `banded`)."""
    for name, flags in (("live", live), ("banded", banded)):
        if flags.dtype != np.bool_ or flags.ndim != 1:
            raise ValueError(f"{name} must be a 1-D bool array")
    bands = _matrix(bands, np.uint64, "bands")
    candidates, offsets, docs = _kernels.counter_candidates(
        _runs(exact_runs, np.uint64, "exact runs"), _runs(exact_docs, np.uint32, "exact docs"),
        _runs(band_runs, np.uint64, "band runs"), _runs(band_docs, np.uint32, "band docs"),
        np.ascontiguousarray(live), np.ascontiguousarray(exact, dtype=np.uint64),
        np.ascontiguousarray(row_of, dtype=np.int64), bands, np.ascontiguousarray(banded),
        bands.shape[1], needed, min_bands,
    )
    found = np.frombuffer(docs, dtype=np.uint32)
    bounds = np.frombuffer(offsets, dtype=np.int64).tolist()
    return [(k, found[bounds[i] : bounds[i + 1]])
            for i, k in enumerate(np.frombuffer(candidates, dtype=np.int64).tolist())]


def merge_postings(
    values_a: np.ndarray, docs_a: np.ndarray, values_b: np.ndarray, docs_b: np.ndarray,
    live: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs of the paragraph counter's postings merged into one (a's first among
    equal values), without those of docs not `live` (`spam._merge_runs_numpy`)."""
    if live.dtype != np.bool_ or live.ndim != 1:
        raise ValueError("live must be a 1-D bool array")
    size = values_a.size + values_b.size
    values, docs = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint32)
    kept = _kernels.merge_postings(
        np.ascontiguousarray(values_a, dtype=np.uint64), _u32(docs_a),
        np.ascontiguousarray(values_b, dtype=np.uint64), _u32(docs_b),
        np.ascontiguousarray(live), values, docs,
    )
    if kept < size:  # dead docs dropped: no larger buffer kept alive behind the run
        return values[:kept].copy(), docs[:kept].copy()
    return values, docs


def translate_bmp(text: str, lut: np.ndarray) -> Optional[str]:
    """`text.translate(table)` for a table given as a uint32 lookup array over the BMP
    (`normalize._FastT2S.lut`); None for a text beyond the BMP."""
    if lut.dtype != np.uint32 or lut.shape != (1 << 16,) or not lut.flags.c_contiguous:
        raise ValueError("lut must be a contiguous uint32 array of 65536 values")
    return _kernels.translate_bmp(text, lut)  # type: ignore[no-any-return]


def punct_to_fullwidth(text: str) -> str:
    """ASCII , : ; ( ) ! ? made full-width where it touches a CJK character, whitespace between
    them dropped (`normalize._ASCII_PUNCT_NEAR_CJK.sub(normalize._punct_to_fullwidth, text)`)."""
    return _kernels.punct_to_fullwidth(text)


class CharClass:
    """A regular expression that matches one character at a time (a character class), searched
    and counted by the compiled `count_in_set` on a bitmap of the BMP code points it matches.

    `search(text) is None` and `len(findall(text))` as the pattern gives them, by definition:
    the bitmap is the pattern run over every BMP code point (built on first use, ~1 ms), and a
    text holding a character beyond the BMP, or any text when the kernels are off, goes to the
    pattern itself.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._bitmap: bytes | None = None

    @property
    def bitmap(self) -> bytes:
        if self._bitmap is None:
            members = np.zeros(1 << 16, dtype=bool)
            for match in self.pattern.finditer(_BMP):
                if match.end() - match.start() != 1:
                    raise ValueError(f"{self.pattern.pattern!r} does not match one character at a time")
                members[match.start()] = True
            self._bitmap = np.packbits(members, bitorder="little").tobytes()
        return self._bitmap

    def bmp_count(self, text: str) -> int | None:
        """`count(text)` when the kernel can tell (a text within the BMP, kernels on), else None."""
        if not _enabled:
            return None
        found = _kernels.count_in_set(text, self.bitmap, False)
        return found if found >= 0 else None  # type: ignore[no-any-return]

    def occurs_in(self, text: str) -> bool:
        """`self.pattern.search(text) is not None`."""
        if _enabled:
            found = _kernels.count_in_set(text, self.bitmap, True)
            if found >= 0:
                return found > 0
        return self.pattern.search(text) is not None

    def count(self, text: str) -> int:
        """`len(self.pattern.findall(text))`."""
        found = self.bmp_count(text)
        return found if found is not None else len(self.pattern.findall(text))


_BMP = "".join(map(chr, range(1 << 16)))


class LiteralSet:
    """Words (literal BMP strings of two or more characters) found in a text as the regular
    expression of their alternation finds them: `findall(text)` is
    `re.compile("|".join(map(re.escape, words))).findall(text)` (leftmost occurrences, not
    overlapping, the words tried in their order at each position), by the compiled
    `literals_in` on a table of the words' first two characters. The pattern itself runs when
    the kernels are off, or for a text beyond the BMP.
    """

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(words)
        if not self.words or any(len(w) < 2 or max(map(ord, w)) > 0xFFFF for w in self.words):
            raise ValueError("LiteralSet: words of two or more BMP characters")
        self.pattern = re.compile("|".join(map(re.escape, self.words)))
        first = np.zeros(1 << 16, dtype=bool)
        by_pair: dict[int, list[int]] = {}
        for index, word in enumerate(self.words):
            first[ord(word[0])] = True
            by_pair.setdefault(ord(word[0]) << 16 | ord(word[1]), []).append(index)
        pairs = sorted(by_pair)
        listed = [index for pair in pairs for index in by_pair[pair]]
        tables = (
            np.packbits(first, bitorder="little").tobytes(),
            np.array(pairs, dtype=np.uint32).tobytes(),
            np.cumsum([0, *(len(by_pair[pair]) for pair in pairs)], dtype=np.int32).tobytes(),
            np.array(listed, dtype=np.int32).tobytes(),
            np.cumsum([0, *map(len, self.words)], dtype=np.int32).tobytes(),
            np.array([ord(c) for word in self.words for c in word], dtype=np.uint16).tobytes(),
        )
        # Copied and checked once by the compiled module: ~45 calls a page.
        self._table = _kernels.literal_table(*tables) if COMPILED else None

    def findall(self, text: str) -> list[str]:
        if _enabled:
            found = _kernels.literals_in(text, self._table, False)
            if found is not None:
                return [self.words[index] for index in found] if found else found
        return self.pattern.findall(text)

    def occurs_in(self, text: str) -> bool:
        """`self.pattern.search(text) is not None`."""
        if _enabled:
            found = _kernels.literals_in(text, self._table, True)
            if found is not None:
                return bool(found)
        return self.pattern.search(text) is not None


def band_candidates(matrix: np.ndarray, rows: np.ndarray, has_signature: np.ndarray,
                    keys: np.ndarray) -> np.ndarray:
    """The distinct rows (ascending) among `rows` that have a signature and share a band key
    with `keys`; row r's band keys are `matrix[r, :keys.size]` (`dedup._verify_rows`)."""
    matrix = _matrix(matrix, np.uint64, "matrix")
    if has_signature.dtype != np.bool_ or has_signature.shape != (matrix.shape[0],):
        raise ValueError("has_signature must be one bool per matrix row")
    data, n = _kernels.band_candidates(
        matrix, matrix.shape[1], np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(has_signature).view(np.uint8), np.ascontiguousarray(keys, dtype=np.uint64),
    )
    return np.frombuffer(data, dtype=np.int64, count=n)
