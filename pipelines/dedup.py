"""Near-duplicate detection on the normalised, spam-free body: which article is this page a copy of?

Relations (`DedupDecision.relation`):

* `exact` — same comparison key (Simplified, punctuation and spacing gone): a verbatim copy.
* `near_duplicate` — Jaccard of character 5-gram sets ≥ 0.8 (a repost with an editor's note and
  another 来源, a correction of a few figures, paragraphs reordered).
* `mirror` — an exact or near duplicate that is a Traditional-script copy or comes from a host
  the caller knows is a mirror (`is_mirror_hint`).
* `contained` — ≥ 90 % of this document's shingles are in a longer indexed document: a repost
  cut short, page 1 of a paginated article.
* `contains` — the reverse: this document contains ≥ 90 % of a shorter indexed one (the full
  article arriving after its first page): the caller should make this copy the canonical one.
* `new` — none of these. A document quoting 40 % of another (an interpretation quoting the
  policy it explains, containment ≈ 0.4–0.6) is new.

Parameters and the measurements behind them (J = Jaccard of character 5-gram sets of the
comparison keys; measured on the seed article, ~5,900 key characters, by
tests/pipelines/test_dedup.py::test_measured_variants; docs/web.md gives the shapes):

| variant                                 | J     | containment |
|-----------------------------------------|-------|-------------|
| Traditional copy, not normalised        | 0.083 | 0.15        |
| Traditional copy, after t2s             | 1.000 | 1.00        |
| repost + editor's note, other 来源       | 0.987 | 0.99        |
| correction, two figures changed         | 0.997 | 1.00        |
| paragraphs shuffled, one dropped        | 0.905 | 0.97        |
| truncated to 50 %                       | 0.558 | 1.00        |
| page 1 of 3                             | 0.377 | 1.00        |
| interpretation quoting ~45 % of a policy | 0.303 | 0.47        |
| two halves of one article (same topic)  | 0.013 | 0.02        |

* 5-grams of characters: Chinese has no spaces to make words, and 5 characters is long enough
  that unrelated policy texts share almost none (J ≤ 0.005) yet short enough that a changed
  figure disturbs only 5 shingles.
* 128 permutations: std of the Jaccard estimate ≤ 0.044; only used to pick and prune
  candidates — the decision is made on exact (sampled) shingle sets, see below.
* LSH banding 32 bands × 2 rows (`_BandTable`, the candidates `datasketch.MinHashLSH` with
  these bands gives, tested in tests/benchmarks and tests/pipelines/test_dedup_scale.py): the
  candidate probability 1 − (1 − J²)³² is 0.97 at J = 0.32 (page 1 of 3), 0.87 at 0.25,
  ≥ 0.9999 at 0.5, 0.08 at 0.05. Containment candidates have low Jaccard (a page 1 of 3 has
  J ≈ 0.32), so an LSH tuned to 0.5–0.8 misses them (datasketch's optimum for 0.8, 9 × 13,
  finds only 40 % of pairs *at* J = 0.8). A second LSH at a high threshold would only return a
  subset of these candidates for more memory, and `MinHashLSHEnsemble` needs the whole
  collection up front (it partitions by set size when built), which a crawl that adds one page
  at a time does not have.
* Verification: each indexed document keeps a *consistent sample* of its shingle hashes (those
  whose low k bits are zero, k chosen so that ≈ 256–512 remain; Broder's MODm sketch). Two
  documents are compared on the sample at the coarser rate, which gives containment in both
  directions and Jaccard with ~300 shared samples instead of MinHash's 128 coin flips: a
  page 1 of 3 measures 1.00 ± 0.01 rather than 0.97 ± 0.09 from the MinHash formula
  |A∩B| ≈ J(|A|+|B|)/(1+J). That formula (with the stored shingle counts) is only the cheap
  prefilter that decides which LSH candidates get verified.
* Memory (benchmarks/scale.py, structural accounting, 10k–1M stored signatures): ≈ 1.1–1.3 KB
  per stored signature for the LSH part — 0.5 KB signature row, 64 B prefilter screen,
  ≈ 0.28 KB band table (sorted runs of hash/row pairs and their directories), ids, with the
  arrays' spare capacity — plus ≈ 1.5 KB of verification sample: ≈ 2.8 KB of RSS per entry at
  a million. datasketch's MinHashLSH took ≈ 9.5 KB per document for its 32 bands of dict/set
  buckets (≈ 12.7 KB per entry with the rest).
* Speed (same benchmark, CPU time per query + insert): ≈ 0.05–0.07 ms from 10k to 1M stored
  signatures when unrelated texts share no band. What grows with the index is the number of
  chance band collisions between unrelated texts (≈ 32 · J² of the index: ≈ 800 candidates
  per query at a million and J = 0.005), each costing ≈ 0.05 µs — its pair in the band table
  and a random read of its 64-byte screen row (see `_screen_passes`), ≈ 20 ns of which is the
  cache miss — so ≈ 0.07 ms at 10k, ≈ 0.11 ms at 1M (fastest of repeated timing windows).
* Texts under 200 key characters get an exact hash only: a few sentences are too short for a
  stable shingle set, and short notices legitimately share most of their words.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Iterator, Literal, Optional, Sequence

import numpy as np

from pipelines.minhash import (
    DEFAULT_SCHEME,
    IncompatibleSignatureError,
    MinHasher,
    Signature,
    SignatureScheme,
    sorted_distinct,
)
from pipelines.normalize import Script, comparison_key

__all__ = [
    "Candidate",
    "DedupDecision",
    "DedupDoc",
    "DedupIndex",
    "DedupParams",
    "Relation",
    "ShingleSample",
    "content_key_hash",
    "decide",
    "entry_sample",
]

Relation = Literal["new", "exact", "near_duplicate", "mirror", "contained", "contains"]
DocId = Hashable

U32 = np.uint32


@dataclass(frozen=True)
class DedupParams:
    scheme: SignatureScheme = DEFAULT_SCHEME
    min_chars: int = 200  # comparison-key characters below which only the exact hash is used
    lsh_bands: int = 32
    lsh_rows: int = 2
    near_duplicate: float = 0.8  # Jaccard
    containment: float = 0.9
    sample_target: int = 256  # shingle hashes kept per document for verification (≥ this)
    prefilter: float = 0.5  # MinHash-estimated Jaccard or containment needed to verify

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["scheme"] = self.scheme.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DedupParams:
        values = dict(data)
        values["scheme"] = SignatureScheme.from_dict(values["scheme"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def index_shape(self) -> tuple[object, ...]:
        """What stored index entries depend on (thresholds may change freely)."""
        s = self.scheme
        return (s.shingle_size, s.num_perm, s.seed, s.hash_name, s.permutation, self.min_chars)


def content_key_hash(key: str) -> str:
    """sha1 of the comparison key: identical for every verbatim copy in any script."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DedupDoc:
    """What dedup knows about one body (build it with `DedupIndex.document`)."""

    content_hash: str
    key_length: int
    signature: Optional[Signature]  # None for texts under `min_chars`
    original_script: Script = "simplified"
    is_mirror_hint: bool = False


@dataclass(frozen=True)
class Candidate:
    doc_id: DocId
    article_id: DocId
    exact: bool
    jaccard: float  # verified on the shingle samples (MinHash estimate if no sample)
    contained_in: float  # share of the *query's* shingles found in this candidate
    contains: float  # share of this candidate's shingles found in the query
    key_length: int
    estimated_jaccard: float


@dataclass(frozen=True)
class DedupDecision:
    relation: Relation
    article_id: Optional[DocId]
    similarity: float
    doc_id: Optional[DocId] = None  # the indexed entry that matched


@dataclass
class _Entry:
    article_id: DocId
    content_hash: str
    key_length: int
    shingle_count: int = 0
    sample_bits: int = 0
    sample: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=U32))
    hashvalues: Optional[np.ndarray] = None


@functools.lru_cache(maxsize=64)
def _scheme_tag_of(params: DedupParams) -> int:
    """The tag stored in every encoded entry: a checksum of the index's shape (a JSON dump per
    entry written cost 1 % of ingestion; params are frozen, so one per params)."""
    return zlib.crc32(json.dumps(params.index_shape()).encode())


def _sample_bits(count: int, target: int) -> int:
    return max(0, int(math.floor(math.log2(count / target)))) if count > target else 0


def _subsample(hashes: np.ndarray, bits: int) -> np.ndarray:
    """The shingle hashes whose low `bits` bits are 0 (a sample of 1 in 2**bits, the same
    values in every document that has them)."""
    if bits == 0:
        return hashes
    return hashes[(hashes & U32((1 << bits) - 1)) == 0]


def _shared_count(a: np.ndarray, b: np.ndarray) -> int:
    """|a ∩ b| of two sorted arrays of distinct values (`np.intersect1d(a, b).size` without
    sorting their concatenation)."""
    if a.size > b.size:
        a, b = b, a
    at = np.searchsorted(b, a)
    at[at == b.size] = 0  # past the end: compared with b[0], which is < a's value there
    return int(np.count_nonzero(b[at] == a))


_ENTRY_MAGIC = b"PIS1"
_GROWTH = 1.25  # capacity growth of the signature matrix and columns (spare: ≤ 25 %)

# The prefilter's screen (see `_verify_rows`): the low 4 bits of every value, bit-sliced — plane
# k holds bit k of each value, one bit per value — so that a row is 4 x 128 bits, one 64-byte
# cache line at 128 permutations, and the values two rows differ in are the bits set in the OR
# of their planes' XOR. The top byte of plane 0 holds the code of the row's shingle count
# instead (`_count_code`): the values there are screened on their 3 other bits.
_SCREEN_BITS = 4
_SCREEN_MASKS = (np.uint8(1) << np.arange(_SCREEN_BITS, dtype=np.uint8))[:, None]
_CODE_SHIFT = np.uint64(56)
_CODE_FREE = np.uint64((1 << 56) - 1)
_CACHE_LINE = 64
_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _screen_words(perms: int) -> int:
    """uint64 words of a screen row: `_SCREEN_BITS` planes of ⌈perms / 64⌉ words."""
    return _SCREEN_BITS * -(-perms // 64)


def _screen_row(hashvalues: np.ndarray, count_code: int = 0) -> np.ndarray:
    """The screen row of one signature (uint32 values) as uint64 words, `count_code` in the
    top byte of plane 0 (a query's row has 0 there)."""
    low = hashvalues.astype(np.uint8)  # (a cast keeps the low byte)
    if low.size % 64:  # pad the planes to whole words: padding never differs
        low = np.concatenate((low, np.zeros(-low.size % 64, dtype=np.uint8)))
    # packbits packs any non-zero byte as a 1: plane k is the bytes of value & 2**k.
    row = np.packbits(low & _SCREEN_MASKS, bitorder="little").view(np.uint64)
    last = low.size // 64 - 1  # plane 0's last word
    row[last] = (row[last] & _CODE_FREE) | (np.uint64(count_code) << _CODE_SHIFT)
    return row


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each uint64 (uint8), by np.bitwise_count (numpy ≥ 2) or a byte table."""
    if _BITWISE_COUNT is not None:
        return _BITWISE_COUNT(words)
    counts = np.take(_POPCOUNT8, np.ascontiguousarray(words).view(np.uint8))
    return np.add.reduce(counts.reshape(*words.shape, 8), axis=-1, dtype=np.uint8)


_BITWISE_COUNT = getattr(np, "bitwise_count", None)


def _aligned_zeros(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """Zeros starting on a cache line (numpy aligns to 16 bytes only), so that a 64-byte screen
    row is one cache line rather than parts of two."""
    itemsize = np.dtype(dtype).itemsize
    nbytes = shape[0] * shape[1] * itemsize
    raw = np.zeros(nbytes + _CACHE_LINE, dtype=np.uint8)
    offset = -raw.ctypes.data % _CACHE_LINE
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


def _count_bounds() -> list[int]:
    """Smallest shingle count of each one-byte code: 0, then ≈ 8 codes per doubling."""
    steps = np.unique(np.ceil(2.0 ** (np.arange(320) / 8)).astype(np.int64))
    return [0, *steps[:255].tolist()]


_COUNT_BOUNDS = _count_bounds()


def _count_code(count: int) -> int:
    """The screen's code of a shingle count: counts `[_COUNT_BOUNDS[c], _COUNT_BOUNDS[c + 1])`."""
    return bisect.bisect_right(_COUNT_BOUNDS, count) - 1


@functools.lru_cache(maxsize=8)
def _screen_limits(perms: int, prefilter: float) -> np.ndarray:
    """Most screened values a row may differ in and still pass the prefilter, by the codes of
    the two shingle counts: `limits[code of |A|, code of |B|]` (see `_screen_passes`).

    A row passing the prefilter has J ≥ prefilter · min(|A|, |B|) / (|A| + |B|); within two
    codes that ratio is smallest at an end of the range of |B| / |A| they allow, so the limit
    uses that smallest value (and rounds down): it never drops a row the prefilter passes.
    """
    lo = np.array(_COUNT_BOUNDS, dtype=np.float64)
    hi = np.append(lo[1:] - 1, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (lo[None, :] / hi[:, None], hi[None, :] / lo[:, None])  # |B| / |A| extremes
        share = np.minimum(*(np.minimum(1.0, r) / (1.0 + r) for r in ratios))
    share[0, :] = share[:, 0] = 0.0  # an empty set: the prefilter only tests J itself
    share = np.nan_to_num(share, nan=0.0)
    need = np.floor(prefilter * perms * share * (1 - 1e-9))  # (margin: float rounding)
    limits = np.clip(perms - need, 0, perms)
    return np.ascontiguousarray(limits, dtype=np.uint16)


# Band table: every (row, band) pair of a stored signature is one uint64, the 32-bit hash of
# (band, band key) in the high half and the row in the low half, kept in a few sorted runs
# (LSM-style) so that the rows of one bucket are contiguous. The old open-addressing table
# chained a bucket's rows through a `next` array and walked the chains one vectorised round
# per link, so its cost grew with the chance band collisions of a large index; a binary search
# of a large run is no better (≈ 25 dependent cache misses per band). Each run therefore has a
# directory: where each hash prefix starts, ≈ 4 pairs per prefix, so a bucket is found with two
# independent memory reads per band, whatever the run's size. The runs lie back to back in one
# array and their directories in another, so one query looks up all runs and bands with the
# same dozen numpy calls however many runs there are. Pairs (8 B) plus directory (≤ 1 B per
# pair): ≈ 280 B per stored signature at 32 bands.
_HASH_SHIFT = np.uint64(32)
_ROW_MASK = np.uint64(0xFFFFFFFF)
_MAX_PAIRS = (1 << 32) - 1  # rows must fit a pair's low half, positions the uint32 directory
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_PAIRS_PER_PREFIX = 4
# Newest rows wait in an unsorted buffer that queries compare against directly (256 rows x 32
# keys: a few microseconds), then become one small sorted run.
_BUFFER_ROWS = 256
# A new run merges with the newest runs while they are at most _RUN_RATIO times its size: run
# sizes then grow geometrically (a million signatures: ≈ 4 runs) and a pair is rewritten
# ≈ _RUN_RATIO / 2 times per run size it passes through (numpy's stable sort, timsort, merges
# the sorted runs it is given in linear passes): ≈ 0.01 ms per insert, amortised.
_RUN_RATIO = 8
_SPARE = 1.125  # capacity growth of the pair and directory arrays (small: they are most of it)
_BUILD_CHUNK = 65536  # rows hashed at a time when building a run (bounded temporaries)


@dataclass(frozen=True)
class _Run:
    """Pairs `[start, end)` of the pair array, sorted; its directory: 2**bits + 1 positions."""

    start: int
    end: int
    bits: int
    directory: int  # where its directory starts in the directory array

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def directory_end(self) -> int:
        return self.directory + (1 << self.bits) + 1


def _reserve(array: np.ndarray, needed: int, keep: int) -> np.ndarray:
    """`array` with room for `needed` items, its first `keep` kept (grown by _SPARE)."""
    if needed <= array.size:
        return array
    grown = np.empty(max(needed, int(array.size * _SPARE) + 1024), dtype=array.dtype)
    grown[:keep] = array[:keep]
    return grown


class _BandTable:
    """`MinHashLSH`'s candidate rule (some band's values all equal) over a signature matrix.

    `datasketch.MinHashLSH` keeps, per band, a dict from the band's bytes to a set of keys:
    ≈ 9.5 KB per document at 32 bands. Here a band key (at 2 rows per band, the band's two
    uint32 values read as one uint64) is never stored: runs hold only a 32-bit hash of
    (band, key) next to the row, and each row found is checked against the key read back from
    the signature matrix, so hash collisions never add a candidate. The candidates themselves
    are the only part of a lookup that grows with the index (≈ 32 · J² of it for unrelated
    texts of Jaccard J).

    Removed rows stay (queries skip them: `live`) until a merge rewrites their run, or a
    `rebuild`.
    """

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        self._salt = np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        self.pairs = np.empty(0, dtype=np.uint64)  # the runs, oldest (largest) first
        self.starts = np.empty(0, dtype=np.uint32)  # their directories, in the same order
        self.runs: list[_Run] = []
        self.buffer_rows = np.empty(_BUFFER_ROWS, dtype=np.int64)
        self.buffer_keys = np.empty((_BUFFER_ROWS, bands), dtype=np.uint64)
        self.buffered = 0
        self._runs_changed()

    def keys(self, hashvalues: np.ndarray) -> np.ndarray:
        """Band keys of signature rows (`hashvalues`: rows x num_perm uint32) as uint64."""
        width = self.bands * self.rows
        if self.rows == 2 and hashvalues.flags.c_contiguous and hashvalues.dtype == np.uint32:
            # A view: each band's two values read as one little-endian uint64, no copy.
            return hashvalues.view(np.uint64)[..., : self.bands]
        block = np.ascontiguousarray(hashvalues[..., :width], dtype=np.uint32)
        if self.rows == 2:
            return block.view(np.uint64)
        # General case: the band's rows hashed into one uint64; equal bands give equal keys,
        # and the rare unequal bands with equal keys only add a candidate that fails the checks.
        shaped = block.reshape(*block.shape[:-1], self.bands, self.rows).astype(np.uint64)
        key = np.zeros(shaped.shape[:-1], dtype=np.uint64)
        for r in range(self.rows):
            key = (key * _MIX) ^ shaped[..., r]
        return key

    @property
    def nbytes(self) -> int:
        buffer = self.buffer_rows.nbytes + self.buffer_keys.nbytes
        return self.pairs.nbytes + self.starts.nbytes + buffer

    def _mixed(self, keys: np.ndarray) -> np.ndarray:
        """Band keys (… x bands) salted by band and mixed: the top 32 bits are the hash."""
        mixed = keys ^ self._salt
        mixed *= _MIX
        mixed ^= mixed >> np.uint64(29)
        mixed *= _MIX2
        return mixed

    def _pairs(self, row_ids: np.ndarray, keys_of: np.ndarray) -> np.ndarray:
        """Unsorted pairs of `row_ids` (their band keys: `keys_of`, rows x bands), row-major."""
        pairs = self._mixed(keys_of)
        pairs &= ~_ROW_MASK
        pairs |= row_ids.astype(np.uint64)[:, None]
        return pairs.ravel()

    def _check_capacity(self, row_ids: np.ndarray) -> None:
        if row_ids.size and (int(row_ids.max()) + 1) * self.bands > _MAX_PAIRS:
            raise OverflowError(f"dedup index holds at most {_MAX_PAIRS // self.bands} signatures")

    def insert(self, row_ids: np.ndarray, matrix_keys: np.ndarray, live: np.ndarray) -> None:
        """Add rows (their keys read from `matrix_keys`); `live[row]` is False for removed rows."""
        self._check_capacity(row_ids)
        done = 0
        while done < row_ids.size:
            take = min(_BUFFER_ROWS - self.buffered, row_ids.size - done)
            chunk = row_ids[done : done + take]
            self.buffer_rows[self.buffered : self.buffered + take] = chunk
            self.buffer_keys[self.buffered : self.buffered + take] = matrix_keys[chunk]
            self.buffered += take
            done += take
            if self.buffered == _BUFFER_ROWS:
                self._flush(live)

    def _flush(self, live: np.ndarray) -> None:
        """The buffer becomes a run, merged with the newest runs while they are not much larger."""
        rows = self.buffer_rows[: self.buffered]
        keep = live[rows]
        self.buffered = 0
        if not keep.any():
            return
        fresh = self._pairs(rows[keep], self.buffer_keys[: keep.size][keep])
        runs = self.runs
        first, size = len(runs), fresh.size
        while first and runs[first - 1].size <= _RUN_RATIO * size:
            first -= 1
            size += runs[first].size
        used = runs[-1].end if runs else 0
        if first < len(runs):  # the merged run takes the place of those it merges
            start, directory = runs[first].start, runs[first].directory
        else:
            start, directory = used, runs[-1].directory_end if runs else 0
        self.pairs = _reserve(self.pairs, used + fresh.size, used)
        self.pairs[used : used + fresh.size] = fresh
        tail = self.pairs[start : used + fresh.size]
        tail.sort(kind="stable")  # timsort: linear merges of the sorted runs in the tail
        alive = live[tail & _ROW_MASK]
        end = start + tail.size
        if not alive.all():
            kept = tail[alive]
            end = start + kept.size
            self.pairs[start:end] = kept
        del self.runs[first:]
        if end > start:
            self.runs.append(self._index(start, end, directory))
        self._runs_changed()

    def _index(self, start: int, end: int, directory: int) -> _Run:
        """Write the directory of the sorted pairs `[start, end)` at `directory`."""
        bits = min(32, max(1, math.ceil(math.log2((end - start) / _PAIRS_PER_PREFIX))))
        prefixes = (self.pairs[start:end] >> np.uint64(64 - bits)).view(np.int64)
        size = (1 << bits) + 1
        self.starts = _reserve(self.starts, directory + size, directory)
        positions = self.starts[directory : directory + size]
        positions[0] = start
        np.cumsum(np.bincount(prefixes, minlength=1 << bits), out=positions[1:])
        positions[1:] += start
        return _Run(start, end, bits, directory)

    def _runs_changed(self) -> None:
        # What a query needs per run, as arrays: one lookup covers every run and band.
        self._directories = np.array([[run.directory] for run in self.runs], dtype=np.int64)
        self._shifts = np.array([[32 - run.bits] for run in self.runs], dtype=np.uint64)
        self._run_bands = np.tile(np.arange(self.bands), len(self.runs))

    def rebuild(self, live_rows: np.ndarray, matrix_keys: np.ndarray) -> None:
        """One run of `live_rows`, buffer empty (loading, or dropping every removed row)."""
        self._check_capacity(live_rows)
        self.buffered = 0
        self.runs = []
        self.pairs = np.empty(live_rows.size * self.bands, dtype=np.uint64)
        self.starts = np.empty(0, dtype=np.uint32)
        for start in range(0, live_rows.size, _BUILD_CHUNK):
            rows = live_rows[start : start + _BUILD_CHUNK]
            self.pairs[start * self.bands : (start + rows.size) * self.bands] = self._pairs(
                rows, matrix_keys[rows]
            )
        self.pairs.sort()
        if self.pairs.size:
            self.runs.append(self._index(0, self.pairs.size, 0))
        self._runs_changed()

    def matches(self, keys: np.ndarray) -> np.ndarray:
        """Rows stored with the same band hash as some band of `keys` (one signature's keys).

        Every candidate is there, and the rare rows whose band key only has the same 32-bit
        hash (≈ 0.25 per query at a million signatures): `candidates` drops them, `query`
        does after its cheap prefilter. A row shows up once per band it matches.
        """
        # The flat nonzero: 2-D nonzero also builds the column indices, 2.5x the time.
        hits = (self.buffer_keys[: self.buffered] == keys).ravel().nonzero()[0]
        buffered = self.buffer_rows[hits // self.bands]
        if not self.runs:
            return buffered
        mixed = self._mixed(keys)
        hashes = mixed >> _HASH_SHIFT
        mixed &= ~_ROW_MASK  # a pair of a band's bucket XOR this is its row, < 2**32
        # (Methods and indexing rather than np.take/np.repeat/np.cumsum: their Python wrappers
        # cost ~1 µs a call, as much as the work on a small index.)
        slots = (self._directories + (hashes >> self._shifts).view(np.int64)).ravel()
        firsts = self.starts[slots].astype(np.int64)
        counts = self.starts[slots + 1] - firsts  # runs x bands, flattened
        # Touch each range's start first (the pair before it: `firsts` may be the end), so that
        # their cache misses overlap instead of coming one range at a time in the gather.
        self.pairs[firsts - 1]
        # Every pair under every (run, band) prefix: start of its prefix + rank within it.
        ends = counts.cumsum()
        positions = (firsts - (ends - counts)).repeat(counts)
        positions += np.arange(int(ends[-1]))
        pairs = self.pairs[positions]
        pairs ^= mixed[self._run_bands].repeat(counts)
        rows = pairs[pairs <= _ROW_MASK].view(np.int64)
        return np.concatenate((buffered, rows)) if buffered.size else rows

    def candidates(self, keys: np.ndarray, matrix_keys: np.ndarray) -> np.ndarray:
        """Rows sharing at least one band with `keys` (one signature's band keys), sorted."""
        rows = sorted_distinct(self.matches(keys))
        return rows[_shares_a_band(matrix_keys, rows, keys)]


def _shares_a_band(matrix_keys: np.ndarray, rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each of `rows`, whether one of its band keys equals that band's key in `keys`."""
    # Indexing, not np.take: `matrix_keys` is a strided view of the signature matrix, which
    # np.take(axis=0) copies 8x slower (75 us for 300 rows).
    return (matrix_keys[rows] == keys).any(axis=1)


class DedupIndex:
    """In-memory index of bodies: exact hashes, LSH band table and per-entry verification samples.

    `query`/`decide` never change the index; `add` does (the caller serialises writes). Entries
    are keyed by a `doc_id` (one per stored copy or per canonical body: the caller chooses) and
    carry the `article_id` they belong to.

    Layout (columnar, ≈ 1.1–1.3 KB per stored signature for the LSH part, measured by
    `python -m benchmarks run`): one uint32 matrix of signatures (row per entry), the
    prefilter's screen (one 64-byte cache line per entry, see `_screen_passes`), a
    `_BandTable` of sorted runs, and per entry its verification sample as bytes; ids and
    article ids in lists. Candidates are exactly those `datasketch.MinHashLSH` with the same
    bands would give.
    """

    def __init__(self, params: DedupParams = DedupParams()) -> None:
        self.params = params
        self.hasher = MinHasher(params.scheme)
        if params.lsh_bands * params.lsh_rows > params.scheme.num_perm:
            raise ValueError("lsh_bands * lsh_rows must not exceed num_perm")
        self._table = _BandTable(params.lsh_bands, params.lsh_rows)
        perms = params.scheme.num_perm
        self._hv = np.zeros((0, perms), dtype=U32)  # grown by _GROWTH; rows past _size unused
        self._band_keys = self._table.keys(self._hv)
        self._screen = _aligned_zeros((0, _screen_words(perms)), np.uint64)  # `_screen_passes`
        self._size = 0
        self._row_of: dict[DocId, int] = {}
        self._doc_ids: list[Optional[DocId]] = []  # None: removed
        self._article: list[DocId] = []
        self._content: list[bytes] = []  # sha1 digest of the comparison key
        self._numbers = np.zeros((0, 3), dtype=np.int64)  # key_length, shingle_count, sample_bits
        self._samples: list[bytes] = []
        self._has_signature = np.zeros(0, dtype=bool)
        self._exact: dict[bytes, DocId] = {}
        self._defer_table = False

    # -- documents --
    def document(
        self,
        body_text: str,
        *,
        original_script: Script = "simplified",
        is_mirror_hint: bool = False,
        key: Optional[str] = None,
    ) -> DedupDoc:
        """Prepare a normalised, spam-free body for `query`/`add`. `key`: its comparison key,
        when the caller has it already."""
        if key is None:
            key = comparison_key(body_text)
        signature = self.hasher.signature_of_key(key) if len(key) >= self.params.min_chars else None
        return DedupDoc(content_key_hash(key), len(key), signature, original_script, is_mirror_hint)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, doc_id: DocId) -> bool:
        return doc_id in self._row_of

    # -- reading --
    def query(self, doc: DedupDoc) -> list[Candidate]:
        """Verified candidates for `doc`, most similar first (exact matches first of all)."""
        results: dict[DocId, Candidate] = {}
        exact_id = self._exact.get(bytes.fromhex(doc.content_hash))
        if exact_id is not None:
            row = self._row_of[exact_id]
            results[exact_id] = Candidate(
                exact_id, self._article[row], True, 1.0, 1.0, 1.0, int(self._numbers[row, 0]), 1.0
            )
        signature = doc.signature
        if signature is not None and self._size:
            self.params.scheme.check_compatible(signature.scheme)
            keys = self._table.keys(signature.hashvalues)
            rows = self._table.matches(keys)
            for candidate in self._verify_rows(rows, keys, signature):
                if candidate.doc_id not in results:
                    results[candidate.doc_id] = candidate
        return sorted(
            results.values(),
            key=lambda c: (not c.exact, -max(c.jaccard, c.contained_in, c.contains), str(c.doc_id)),
        )

    def _verify_rows(
        self, rows: np.ndarray, keys: np.ndarray, signature: Signature
    ) -> Iterator[Candidate]:
        """Verified candidates among the band-table matches `rows` of `signature`.

        A large index gives hundreds of chance band collisions per query (`keys`: its band
        keys), each a random read of the index. They are first screened (`_screen_passes`) on
        one cache line per row instead of the signature's eight; the few rows left get the
        liveness check, the band-key check (drops 32-bit hash collisions), the exact prefilter
        and the sample intersection.
        """
        if not rows.size:
            return
        rows = rows[self._screen_passes(rows, signature)]
        if not rows.size:
            return
        rows = sorted_distinct(rows[self._has_signature[rows]])
        rows = rows[_shares_a_band(self._band_keys, rows, keys)]
        if not rows.size:
            return
        positions, estimated = self._prefilter(rows, signature)
        samples: dict[int, np.ndarray] = {}
        for row, estimate in zip(rows[positions].tolist(), estimated.tolist()):
            if not samples:
                # The query's sample at each sample rate the rows ask for, from the smallest.
                own_bits = _sample_bits(signature.shingle_count, self.params.sample_target)
                samples[own_bits] = _subsample(signature.shingle_hashes, own_bits)
            candidate = self._verify_row(row, signature, estimate, samples)
            if candidate is not None:
                yield candidate

    def _prefilter(self, rows: np.ndarray, signature: Signature) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `rows`, MinHash estimates) of the rows whose estimate passes the
        prefilter: max(J, |A∩B|/|A|, |A∩B|/|B|) ≥ prefilter, |A∩B| ≈ J(|A|+|B|)/(1+J)."""
        a = signature.shingle_count
        perms = self._hv.shape[1]
        counter = np.uint8 if perms < 256 else np.int64
        agree = np.take(self._hv, rows, axis=0) == signature.hashvalues
        estimated = np.add.reduce(agree.view(np.uint8), axis=1, dtype=counter) / perms
        b = self._numbers[rows, 1].astype(np.float64)
        overlap = np.where((a > 0) & (b > 0), estimated * (a + b) / (1 + estimated), 0.0)
        best = np.maximum(estimated, np.maximum(overlap / max(a, 1), overlap / np.maximum(b, 1)))
        positions = np.flatnonzero(best >= self.params.prefilter)
        return positions, estimated[positions]

    def _screen_passes(self, rows: np.ndarray, signature: Signature) -> np.ndarray:
        """False for rows the prefilter would surely reject, read from the screen alone.

        The prefilter passes a row when max(J, |A∩B|/|A|, |A∩B|/|B|) ≥ `prefilter`, J the
        share of equal values and |A∩B| ≈ J(|A|+|B|)/(1+J) ≤ J(|A|+|B|); so a passing row has
        J ≥ prefilter · min(|A|, |B|) / (|A|+|B|). Equal values have equal low bits, so the
        values whose screened bits differ (the bits set in the OR of the XORed planes) can only
        be unequal: perms minus their number bounds the equal values from above, and a row
        differing in more values than `_screen_limits` allows for the two shingle counts'
        codes would fail the prefilter. Chance collisions share ≈ 2 + perms/16 low nibbles, far
        from the ≈ perms/4 a passing row of similar size needs.
        """
        width = self._screen.shape[1] // _SCREEN_BITS
        # Gathered a row at a time (one cache line each), then turned word-major (words x
        # rows) so that every step runs along all rows at once: numpy runs a separate inner
        # loop per row of a 2-D operand, which on rows of 8 words costs more than the work.
        differ = self._screen.take(rows, axis=0).T.copy()
        differ ^= _screen_row(signature.hashvalues)[:, None]
        codes = (differ[width - 1] >> _CODE_SHIFT).view(np.int64)  # (the query's code is 0)
        differ[width - 1] &= _CODE_FREE
        folded = differ[: 2 * width] | differ[2 * width :]  # OR of the 4 planes, in two folds
        folded = folded[:width] | folded[width:]
        counts = _popcount(folded)
        perms = self._hv.shape[1]
        unequal = counts[0] if perms < 256 else counts[0].astype(np.uint16)
        for word in range(1, width):
            unequal = unequal + counts[word]
        limits = _screen_limits(perms, self.params.prefilter)[_count_code(signature.shingle_count)]
        return unequal <= limits[codes]

    def _verify_row(
        self, row: int, signature: Signature, estimated: float, samples: dict[int, np.ndarray]
    ) -> Optional[Candidate]:
        """The candidate `row` is, compared on samples of both shingle sets at the sparser of
        their two sample rates. `samples`: the query's, by rate (its own rate's always there,
        the others are added as they are needed)."""
        key_length, _, entry_bits = (int(v) for v in self._numbers[row])
        own_bits = min(samples)
        bits = max(entry_bits, own_bits)
        mine = samples.get(bits)
        if mine is None:
            mine = samples[bits] = _subsample(samples[own_bits], bits)
        theirs = np.frombuffer(self._samples[row], dtype=U32)
        if bits > entry_bits:
            theirs = _subsample(theirs, bits)
        if mine.size == 0 or theirs.size == 0:
            return None
        shared = _shared_count(mine, theirs)
        jaccard = shared / (mine.size + theirs.size - shared)
        doc_id = self._doc_ids[row]
        return Candidate(
            doc_id,
            self._article[row],
            False,
            round(jaccard, 4),
            round(shared / mine.size, 4),
            round(shared / theirs.size, 4),
            key_length,
            estimated,
        )

    # -- writing --
    def add(self, doc_id: DocId, doc: DedupDoc, article_id: Optional[DocId] = None) -> None:
        """Index `doc` under `doc_id` (belonging to `article_id`, by default `doc_id`)."""
        if doc_id in self._row_of:
            raise ValueError(f"dedup index already holds {doc_id!r}; remove it first")
        self._insert(doc_id, self._entry_for(doc, doc_id if article_id is None else article_id))

    def _entry_for(self, doc: DedupDoc, article_id: Optional[DocId]) -> _Entry:
        entry = _Entry(article_id, doc.content_hash, doc.key_length)
        signature = doc.signature
        if signature is not None:
            self.params.scheme.check_compatible(signature.scheme)
            bits = _sample_bits(signature.shingle_count, self.params.sample_target)
            entry.shingle_count = signature.shingle_count
            entry.sample_bits = bits
            entry.sample = _subsample(signature.shingle_hashes, bits).copy()
            entry.hashvalues = signature.hashvalues.copy()
        return entry

    def _entry_at(self, row: int) -> _Entry:
        key_length, count, bits = (int(v) for v in self._numbers[row])
        entry = _Entry(self._article[row], self._content[row].hex(), key_length, count, bits)
        if self._has_signature[row]:
            entry.sample = np.frombuffer(self._samples[row], dtype=U32).copy()
            entry.hashvalues = self._hv[row].copy()
        return entry

    def _grow(self, rows: int) -> None:
        capacity = self._hv.shape[0]
        if rows <= capacity:
            return
        capacity = max(rows, int(capacity * _GROWTH) + 16)
        hv = np.zeros((capacity, self._hv.shape[1]), dtype=U32)
        hv[: self._size] = self._hv[: self._size]
        self._hv = hv
        self._band_keys = self._table.keys(hv)  # a view of `hv` when rows == 2
        screen = _aligned_zeros((capacity, self._screen.shape[1]), np.uint64)
        screen[: self._size] = self._screen[: self._size]
        self._screen = screen
        numbers = np.zeros((capacity, 3), dtype=np.int64)
        numbers[: self._size] = self._numbers[: self._size]
        self._numbers = numbers
        has = np.zeros(capacity, dtype=bool)
        has[: self._size] = self._has_signature[: self._size]
        self._has_signature = has

    def _insert(self, doc_id: DocId, entry: _Entry) -> None:
        row = self._size
        self._grow(row + 1)
        self._size += 1
        self._row_of[doc_id] = row
        self._doc_ids.append(doc_id)
        self._article.append(entry.article_id)
        digest = bytes.fromhex(entry.content_hash)
        self._content.append(digest)
        self._numbers[row] = (entry.key_length, entry.shingle_count, entry.sample_bits)
        self._exact.setdefault(digest, doc_id)
        if entry.hashvalues is None:
            self._samples.append(b"")
            return
        self._samples.append(entry.sample.astype("<u4").tobytes())
        self._hv[row] = entry.hashvalues
        self._screen[row] = _screen_row(entry.hashvalues, _count_code(entry.shingle_count))
        if self.params.lsh_rows != 2:  # keys are a computed copy, not a view of `_hv`
            self._band_keys[row] = self._table.keys(self._hv[row])
        self._has_signature[row] = True
        if not self._defer_table:
            self._table_insert(np.array([row], dtype=np.int64))

    def _table_insert(self, rows: np.ndarray) -> None:
        self._table.insert(rows, self._band_keys, self._has_signature)

    def remove(self, doc_id: DocId) -> None:
        row = self._row_of.pop(doc_id)
        digest = self._content[row]
        self._doc_ids[row] = None
        self._samples[row] = b""
        # The band table keeps pointing at the row until its next rebuild; queries skip it.
        self._has_signature[row] = False
        if self._exact.get(digest) == doc_id:
            del self._exact[digest]
            for other_id, other_row in self._row_of.items():  # another copy with the same text
                if self._content[other_row] == digest:
                    self._exact[digest] = other_id
                    break

    # -- persistence --
    def _scheme_tag(self) -> int:
        return _scheme_tag_of(self.params)

    def encode_entry(self, doc: DedupDoc) -> bytes:
        """One entry as bytes for a database column (rebuild with `from_rows`)."""
        return self._encode_stored(self._entry_for(doc, None))

    def _decode_entry(self, blob: bytes, article_id: DocId) -> _Entry:
        magic, tag, content, key_length = struct.unpack_from("<4sI20sI", blob, 0)
        if magic != _ENTRY_MAGIC:
            raise IncompatibleSignatureError("not a dedup index entry (bad magic)")
        if tag != self._scheme_tag():
            raise IncompatibleSignatureError(
                f"dedup entry made with other parameters (tag {tag:#x}, expected "
                f"{self._scheme_tag():#x} for {self.params.index_shape()}): rebuild the index "
                "from the article bodies (policy-ingest reprocess) instead of loading it"
            )
        offset = struct.calcsize("<4sI20sI")
        count, bits, sample_size = struct.unpack_from("<IBI", blob, offset)
        offset += struct.calcsize("<IBI")
        entry = _Entry(article_id, content.hex(), key_length, count, bits)
        if count:
            perms = self.params.scheme.num_perm
            entry.hashvalues = np.frombuffer(blob, "<u4", perms, offset).astype(U32)
            offset += 4 * perms
            entry.sample = np.frombuffer(blob, "<u4", sample_size, offset).astype(U32)
        return entry

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[DocId, DocId, bytes]], params: DedupParams = DedupParams()
    ) -> DedupIndex:
        """Rebuild from `(doc_id, article_id, encode_entry(...))` rows, checking parameters."""
        index = cls(params)
        index._defer_table = True  # one sorted run built at the end, not a run per 256 rows
        try:
            for doc_id, article_id, blob in rows:
                if doc_id in index._row_of:
                    raise ValueError(f"dedup rows hold {doc_id!r} twice")
                index._insert(doc_id, index._decode_entry(blob, article_id))
        finally:
            index._defer_table = False
        live = np.flatnonzero(index._has_signature[: index._size])
        index._table.rebuild(live, index._band_keys)
        return index

    def iter_rows(self) -> Iterator[tuple[DocId, DocId, bytes]]:
        for doc_id, row in self._row_of.items():
            entry = self._entry_at(row)
            yield doc_id, entry.article_id, self._encode_stored(entry)

    def _encode_stored(self, entry: _Entry) -> bytes:
        head = struct.pack(
            "<4sI20sI", _ENTRY_MAGIC, self._scheme_tag(), bytes.fromhex(entry.content_hash),
            entry.key_length,
        )
        if entry.hashvalues is None:
            return head + struct.pack("<IBI", 0, 0, 0)
        return (
            head
            + struct.pack("<IBI", entry.shingle_count, entry.sample_bits, entry.sample.size)
            + entry.hashvalues.astype("<u4").tobytes()
            + entry.sample.astype("<u4").tobytes()
        )


def doc_from_entry(blob: bytes, params: DedupParams) -> DedupDoc:
    """A DedupDoc good enough for LSH insertion (content hash + MinHash values), from an entry."""
    entry = DedupIndex(params)._decode_entry(blob, 0)
    signature = None
    if entry.hashvalues is not None:
        signature = Signature(entry.hashvalues, entry.sample, entry.key_length, params.scheme)
    return DedupDoc(entry.content_hash, entry.key_length, signature)


def relation_to(
    candidate: Candidate, doc: DedupDoc, params: DedupParams
) -> Optional[tuple[Relation, float, int]]:
    """How `doc` relates to one verified candidate: (relation, similarity, rank) or None.

    Rank orders relations by strength (exact first) when several candidates match.
    """
    relation: Relation
    if candidate.exact:
        relation, similarity, rank = "exact", 1.0, 0
    elif candidate.jaccard >= params.near_duplicate:
        relation, similarity, rank = "near_duplicate", candidate.jaccard, 1
    elif candidate.contained_in >= params.containment and doc.key_length <= candidate.key_length:
        relation, similarity, rank = "contained", candidate.contained_in, 2
    elif candidate.contains >= params.containment and candidate.key_length <= doc.key_length:
        relation, similarity, rank = "contains", candidate.contains, 3
    else:
        return None
    if relation in ("exact", "near_duplicate") and (
        doc.original_script != "simplified" or doc.is_mirror_hint
    ):
        relation = "mirror"
    return relation, similarity, rank


def decide(
    doc: DedupDoc, index: DedupIndex, candidates: Optional[Sequence[Candidate]] = None
) -> DedupDecision:
    """How `doc` relates to what the index holds (a pure query: the index is not changed).

    `candidates` may pass a result of `index.query(doc)` the caller already has.
    """
    best: Optional[tuple[int, float, Candidate, Relation]] = None
    for candidate in index.query(doc) if candidates is None else candidates:
        judged = relation_to(candidate, doc, index.params)
        if judged is None:
            continue
        relation, similarity, rank = judged
        if best is None or (rank, -similarity) < (best[0], -best[1]):
            best = (rank, similarity, candidate, relation)
    if best is None:
        return DedupDecision("new", None, 0.0)
    _, similarity, candidate, relation = best
    return DedupDecision(relation, candidate.article_id, similarity, candidate.doc_id)


@dataclass(frozen=True, eq=False)
class ShingleSample:
    """The verification sample of one body's shingles, as stored in its index entry: compares
    two bodies' texts in both directions without the bodies (see `DedupIndex._verify_row`)."""

    scheme_tag: int  # samples of different signature schemes are not comparable
    bits: int
    hashes: np.ndarray

    def overlap(self, other: ShingleSample) -> Optional[tuple[int, int, int]]:
        """(shared, this body's, the other's) sampled shingles at the sparser of the two
        rates; None when the samples are not comparable or one is empty."""
        if self.scheme_tag != other.scheme_tag:
            return None
        bits = max(self.bits, other.bits)
        mine, theirs = _subsample(self.hashes, bits), _subsample(other.hashes, bits)
        if mine.size == 0 or theirs.size == 0:
            return None
        return _shared_count(mine, theirs), int(mine.size), int(theirs.size)


def entry_sample(blob: bytes) -> Optional[ShingleSample]:
    """The shingle sample of a stored index entry (`DedupIndex.encode_entry`); None for a body
    indexed by its exact hash only."""
    head = struct.calcsize("<4sI20sI")
    magic, tag, _, _ = struct.unpack_from("<4sI20sI", blob, 0)
    if magic != _ENTRY_MAGIC:
        raise IncompatibleSignatureError("not a dedup index entry (bad magic)")
    count, bits, sample_size = struct.unpack_from("<IBI", blob, head)
    if not count:
        return None
    # The signature's values precede the sample: the entry's length gives their number.
    start = len(blob) - 4 * sample_size
    return ShingleSample(tag, bits, np.frombuffer(blob, "<u4", sample_size, start).astype(U32))
