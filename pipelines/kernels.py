"""The compiled kernels (`pipelines/_kernels.c`) when they are built, and the switch between
them and the numpy code they replace.

Every kernel is the loop form of a numpy expression that stays in its stage module as the
reference: `minhash._murmur_windows_numpy`, `MinHasher._hashvalues_numpy`,
`spam._near_signatures_numpy`, `dedup.DedupIndex._screen_counts_numpy`. The stage modules call
these wrappers when `enabled()`, the numpy code otherwise; tests/pipelines/test_kernels.py checks
that both give identical arrays, and that a machine with a C compiler did build the kernels.

The wrappers check dtypes and shapes, so the C code can trust its buffers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


def murmur_windows(codepoints: np.ndarray, width: int) -> np.ndarray:
    """murmur3_32 of every `width`-character window of `codepoints` (len ≥ width ≥ 1)."""
    codepoints = _u32(codepoints)
    out = np.empty(codepoints.size - width + 1, dtype=np.uint32)
    _kernels.murmur_windows(codepoints, width, out)
    return out


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


def screen_unequal(screen: np.ndarray, rows: np.ndarray, query: np.ndarray,
                   planes: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of `rows` of the prefilter screen (uint64, rows x words, `planes` bit-planes):
    how many values differ from `query` in their screened bits, and the row's count code."""
    if screen.dtype != np.uint64 or not screen.flags.c_contiguous or screen.ndim != 2:
        raise ValueError("screen must be a contiguous 2-D uint64 array")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    unequal = np.empty(rows.size, dtype=np.uint16)
    codes = np.empty(rows.size, dtype=np.uint8)
    _kernels.screen_unequal(screen, rows, np.ascontiguousarray(query, dtype=np.uint64), planes,
                            unequal, codes)
    return unequal, codes


def agreements(matrix: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Equal values of each of `rows` of the signature matrix (uint32, rows x perms) and `query`."""
    if matrix.dtype != np.uint32 or not matrix.flags.c_contiguous or matrix.ndim != 2:
        raise ValueError("matrix must be a contiguous 2-D uint32 array")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    out = np.empty(rows.size, dtype=np.uint16)
    _kernels.agreements(matrix, rows, _u32(query), out)
    return out


def bucket_rows(pairs: np.ndarray, starts: np.ndarray, slots: np.ndarray, masks: np.ndarray,
                screen: np.ndarray | None = None) -> np.ndarray:
    """The band table's lookup (`dedup._BandTable.matches`): the rows of the pairs in each slot's
    bucket, `pairs[starts[s] : starts[s + 1]]`, whose hash half equals the slot's mask. Each
    row's line of `screen` (2-D, a row per stored row), if given, is prefetched on the way."""
    if pairs.dtype != np.uint64 or starts.dtype != np.uint32:
        raise ValueError("pairs must be uint64 and starts uint32")
    if screen is None:
        screen = _NO_SCREEN
    elif screen.dtype != np.uint64 or not screen.flags.c_contiguous or screen.ndim != 2:
        raise ValueError("screen must be a contiguous 2-D uint64 array")
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
    """The `rows` whose screened values differ from `query`'s in at most `limits[code]` (uint16,
    one per count code) values, in order: `screen_unequal` and the limit test in one pass."""
    if screen.dtype != np.uint64 or not screen.flags.c_contiguous or screen.ndim != 2:
        raise ValueError("screen must be a contiguous 2-D uint64 array")
    data, n = _kernels.screen_filter(
        screen, np.ascontiguousarray(rows, dtype=np.int64), np.ascontiguousarray(query, dtype=np.uint64),
        planes, np.ascontiguousarray(limits, dtype=np.uint16),
    )
    return np.frombuffer(data, dtype=np.int64, count=n)
