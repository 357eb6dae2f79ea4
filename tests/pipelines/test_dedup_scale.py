"""DedupIndex's band table (sorted runs + buffer, merged as it grows) and its screened prefilter
give exactly the candidates and decisions of a brute-force band comparison, across flushes,
merges, loading and removal; the screen (4 low bits of each value, bit-sliced, and a count code)
never drops a row the exact prefilter passes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from pipelines import dedup
from pipelines.dedup import (
    _BUFFER_ROWS,
    _COUNT_BOUNDS,
    Candidate,
    DedupDoc,
    DedupIndex,
    DedupParams,
    _BandTable,
    _count_code,
    _sample_bits,
    _screen_row,
    _subsample,
)
from pipelines.minhash import DEFAULT_SCHEME, Signature, SignatureScheme

PERMS = DEFAULT_SCHEME.num_perm
BANDS = 32


class Corpus:
    """Synthetic signatures with many shared values: every position takes one of 3 common values
    with probability 0.6, so two unrelated documents share ≈ 0.12 of their values and ≈ 1.5
    bands (long buckets); a third of the documents are partial copies of an earlier one (a
    shingle subset, some values kept), with very different sizes, so the containment side of the
    prefilter matters."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.common = self.rng.integers(0, 2**32, size=(3, PERMS), dtype=np.uint32)
        self.made: list[Signature] = []

    def signature(self) -> Signature:
        rng = self.rng
        if self.made and rng.random() < 0.35:
            parent = self.made[int(rng.integers(len(self.made)))]
            kept = rng.random(PERMS) < rng.choice([0.03, 0.1, 0.25, 0.5, 0.9])
            hv = np.where(kept, parent.hashvalues, rng.integers(0, 2**32, PERMS, dtype=np.uint32))
            share = rng.choice([0.05, 0.3, 0.95])
            shingles = parent.shingle_hashes[rng.random(parent.shingle_hashes.size) < share]
            if shingles.size < 5:  # (an entry without shingles is stored without signature)
                shingles = parent.shingle_hashes[:5]
        else:
            hv = rng.integers(0, 2**32, PERMS, dtype=np.uint32)
            size = int(rng.choice([40, 200, 2000]))
            shingles = np.unique(rng.integers(0, 2**32, size, dtype=np.uint32))
        common = rng.random(PERMS) < 0.6
        hv = np.where(common, self.common[rng.integers(0, 3, PERMS), np.arange(PERMS)], hv)
        key_length = 3 * max(shingles.size, 70)
        signature = Signature(hv.astype(np.uint32), shingles, key_length, DEFAULT_SCHEME)
        self.made.append(signature)
        return signature

    def doc(self) -> DedupDoc:
        signature = self.signature()
        digest = self.rng.integers(0, 256, 20, dtype=np.uint8).tobytes().hex()
        return DedupDoc(digest, signature.key_length, signature)


def values(doc: DedupDoc) -> np.ndarray:
    assert doc.signature is not None
    return doc.signature.hashvalues


def band_keys(hashvalues: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashvalues).view(np.uint64)[..., :BANDS]


def brute_candidates(index: DedupIndex, hashvalues: np.ndarray) -> list[int]:
    """Live rows sharing all values of some band with `hashvalues`."""
    stored = band_keys(index._hv[: index._size])
    shares_a_band = (stored == band_keys(hashvalues)).any(axis=1)
    return np.flatnonzero(shares_a_band & index._has_signature[: index._size]).tolist()


def reference_verify(index: DedupIndex, row: int, signature: Signature, estimated: float) -> Candidate | None:
    """The sample check of one row by its definition: both full shingle sets subsampled at the
    sparser of the two rates, intersected."""
    key_length, _, entry_bits = (int(v) for v in index._numbers[row])
    bits = max(entry_bits, _sample_bits(signature.shingle_count, index.params.sample_target))
    mine = _subsample(signature.shingle_hashes, bits)
    theirs = _subsample(np.frombuffer(index._samples[row], dtype=np.uint32), bits)
    if mine.size == 0 or theirs.size == 0:
        return None
    shared = np.intersect1d(mine, theirs).size
    return Candidate(
        index._doc_ids[row], index._article[row], False, round(shared / (mine.size + theirs.size - shared), 4),
        round(shared / mine.size, 4), round(shared / theirs.size, 4), key_length, estimated,
    )


def reference_query(index: DedupIndex, doc: DedupDoc) -> list[Candidate]:
    """`query` the slow way: brute-force candidates, the prefilter on full signatures."""
    results: dict[object, Candidate] = {}
    exact_id = index._exact.get(bytes.fromhex(doc.content_hash))
    if exact_id is not None:
        row = index._row_of[exact_id]
        results[exact_id] = Candidate(
            exact_id, index._article[row], True, 1.0, 1.0, 1.0, int(index._numbers[row, 0]), 1.0
        )
    signature = doc.signature
    assert signature is not None
    rows = np.array(brute_candidates(index, signature.hashvalues), dtype=np.int64)
    if rows.size:
        estimated = np.count_nonzero(index._hv[rows] == signature.hashvalues, axis=1) / PERMS
        a = signature.shingle_count
        b = index._numbers[rows, 1].astype(np.float64)
        overlap = np.where((a > 0) & (b > 0), estimated * (a + b) / (1 + estimated), 0.0)
        best = np.maximum(estimated, np.maximum(overlap / max(a, 1), overlap / np.maximum(b, 1)))
        for i in np.flatnonzero(best >= index.params.prefilter):
            candidate = reference_verify(index, int(rows[i]), signature, float(estimated[i]))
            if candidate is not None and candidate.doc_id not in results:
                results[candidate.doc_id] = candidate
    return sorted(
        results.values(),
        key=lambda c: (not c.exact, -max(c.jaccard, c.contained_in, c.contains), str(c.doc_id)),
    )


def table_candidates(index: DedupIndex, hashvalues: np.ndarray) -> list[int]:
    table = index._table
    return table.candidates(table.keys(hashvalues), index._band_keys).tolist()


@pytest.mark.slow
def test_candidates_equal_brute_force_across_flushes_and_merges() -> None:
    corpus = Corpus(1)
    index = DedupIndex()
    probes = [corpus.signature() for _ in range(12)]
    run_counts = []
    for i in range(12 * _BUFFER_ROWS + 40):
        index.add(i, corpus.doc())
        # Around every flush (buffer full -> a run, runs merged) and now and then in between.
        if index._table.buffered in (0, 1, _BUFFER_ROWS - 1) or i % 97 == 0:
            run_counts.append(len(index._table.runs))
            for probe in probes + corpus.made[-3:]:
                expected = brute_candidates(index, probe.hashvalues)
                assert table_candidates(index, probe.hashvalues) == expected
    assert max(run_counts) >= 2  # several runs were searched at once
    assert any(later < earlier for earlier, later in pairwise(run_counts))  # merged
    assert np.mean([len(brute_candidates(index, p.hashvalues)) for p in probes]) > 100


@pytest.mark.slow
def test_band_hash_collisions_are_not_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a band hash of 7 values, most matches are collisions: the key check drops them."""

    def weak(self: _BandTable, keys: np.ndarray) -> np.ndarray:
        return (keys % np.uint64(7)) << np.uint64(32)

    monkeypatch.setattr(_BandTable, "_mixed", weak)
    corpus = Corpus(7)
    index = DedupIndex()
    for i in range(2 * _BUFFER_ROWS + 30):
        index.add(i, corpus.doc())
    for _ in range(40):
        doc = corpus.doc()
        hashvalues = values(doc)
        assert table_candidates(index, hashvalues) == brute_candidates(index, hashvalues)
        assert index.query(doc) == reference_query(index, doc)


@pytest.mark.slow
def test_query_equals_brute_force_reference() -> None:
    corpus = Corpus(2)
    index = DedupIndex()
    found = contained = 0
    for i in range(3 * _BUFFER_ROWS + 10):
        doc = corpus.doc()
        expected = reference_query(index, doc)
        assert index.query(doc) == expected
        found += bool(expected)
        contained += any(c.contained_in >= 0.9 and c.jaccard < 0.5 for c in expected)
        index.add(i, doc)
    assert found > 50 and contained > 10  # the checks covered verified, containment candidates


@pytest.mark.slow
def test_loaded_index_is_one_run_and_new_rows_merge_into_it() -> None:
    corpus = Corpus(3)
    source = DedupIndex()
    for i in range(1000):
        source.add(i, corpus.doc())
    index = DedupIndex.from_rows(source.iter_rows())
    assert len(index._table.runs) == 1 and index._table.buffered == 0
    probes = [corpus.doc() for _ in range(30)]
    for probe in probes:
        assert index.query(probe) == source.query(probe) == reference_query(index, probe)
    for i in range(1000, 1000 + _BUFFER_ROWS + 5):
        index.add(i, corpus.doc())
    # The buffer's run merged with the loaded one (which is < 8 times its size): one run again.
    assert len(index._table.runs) == 1 and index._table.buffered == 5
    for probe in probes:
        assert table_candidates(index, values(probe)) == brute_candidates(index, values(probe))
        assert index.query(probe) == reference_query(index, probe)


@pytest.mark.slow
def test_removal_before_and_after_merges() -> None:
    corpus = Corpus(4)
    index = DedupIndex()
    docs = {i: corpus.doc() for i in range(2 * _BUFFER_ROWS + 100)}
    for i, doc in docs.items():
        index.add(i, doc)
    removed = [i for i in docs if i % 3 == 0]  # in runs and in the buffer
    for i in removed:
        index.remove(i)
    for i in list(docs)[::7]:
        assert index.query(docs[i]) == reference_query(index, docs[i])
        assert not {c.doc_id for c in index.query(docs[i])} & set(removed)
    stored_rows = {index._row_of[i] for i in docs if i not in removed}
    dead_rows = set(range(index._size)) - stored_rows
    # Merges rewrite the runs they cover without the removed rows.
    for i in range(len(docs), len(docs) + 4 * _BUFFER_ROWS):
        index.add(i, corpus.doc())
    table = index._table
    in_runs = set((table.pairs[: table.runs[-1].end] & np.uint64(0xFFFFFFFF)).tolist())
    assert not in_runs & dead_rows
    for i in list(docs)[::5]:
        hashvalues = values(docs[i])
        assert table_candidates(index, hashvalues) == brute_candidates(index, hashvalues)
        assert index.query(docs[i]) == reference_query(index, docs[i])
    # A removed document added again is found again.
    index.add(removed[0], docs[removed[0]])
    assert removed[0] in {c.doc_id for c in index.query(docs[removed[0]])}


@pytest.mark.slow
def test_rebuild_drops_removed_rows() -> None:
    corpus = Corpus(5)
    source = DedupIndex()
    docs = {i: corpus.doc() for i in range(600)}
    for i, doc in docs.items():
        source.add(i, doc)
    for i in range(0, 600, 2):
        source.remove(i)
    index = DedupIndex.from_rows(source.iter_rows())
    assert index._table.pairs.size == 300 * BANDS
    for i in range(0, 600, 9):
        assert index.query(docs[i]) == reference_query(index, docs[i])
        assert [c.doc_id for c in index.query(docs[i])] == [c.doc_id for c in source.query(docs[i])]


@pytest.mark.parametrize("loaded", [False, True])
def test_candidates_equal_datasketch_minhashlsh_across_merges(loaded: bool) -> None:
    corpus = Corpus(6)
    lsh = MinHashLSH(num_perm=PERMS, params=(BANDS, 2))
    index = DedupIndex()
    for i in range(3 * _BUFFER_ROWS + 17):
        doc = corpus.doc()
        index.add(i, doc)
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=values(doc), scheme="affine32"))
    if loaded:
        index = DedupIndex.from_rows(index.iter_rows())
    for _ in range(150):
        hashvalues = corpus.signature().hashvalues
        expected = sorted(lsh.query(LeanMinHash(seed=1, hashvalues=hashvalues, scheme="affine32")))
        rows = table_candidates(index, hashvalues)
        assert [index._doc_ids[row] for row in rows] == expected


def exact_prefilter(index: DedupIndex, rows: np.ndarray, signature: Signature) -> np.ndarray:
    """The exact prefilter of `_verify_rows` (on full signatures) for each of `rows`."""
    perms = index._hv.shape[1]
    estimated = np.count_nonzero(index._hv[rows] == signature.hashvalues, axis=1) / perms
    a = signature.shingle_count
    b = index._numbers[rows, 1].astype(np.float64)
    overlap = np.where((a > 0) & (b > 0), estimated * (a + b) / (1 + estimated), 0.0)
    best = np.maximum(estimated, np.maximum(overlap / max(a, 1), overlap / np.maximum(b, 1)))
    return best >= index.params.prefilter


def near_code_bounds(rng: np.random.Generator) -> int:
    """A shingle count at, just below or just above a boundary of the screen's count codes."""
    bound = _COUNT_BOUNDS[int(rng.integers(1, 120))]
    return max(1, bound + int(rng.integers(-1, 2)))


@pytest.mark.parametrize(("perms", "prefilter"), [(128, 0.5), (128, 0.3), (100, 0.5), (256, 0.6)])
def test_screen_never_drops_a_row_the_exact_prefilter_passes(perms: int, prefilter: float) -> None:
    """Rows agreeing with the query on 0–100 % of the values, others differing from it in the high
    bits only (equal on the screen, not equal), shingle counts at code boundaries and of very
    different sizes: every row the exact prefilter passes passes the screen."""
    rng = np.random.default_rng(perms + int(prefilter * 10))
    scheme = SignatureScheme(num_perm=perms)
    index = DedupIndex(DedupParams(scheme=scheme, prefilter=prefilter))
    queries = [rng.integers(0, 2**32, perms, dtype=np.uint32) for _ in range(4)]
    shingles = np.arange(1, 5, dtype=np.uint32)
    for i in range(3000):
        base = queries[i % len(queries)]
        hv = base.copy()
        changed = rng.random(perms) < rng.random()
        hv[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
        # High-bit-only changes: unequal values the 4-bit screen cannot tell apart.
        disguised = rng.random(perms) < rng.random() * 0.5
        hv[disguised] ^= rng.integers(1, 2**28, int(disguised.sum()), dtype=np.uint32) << np.uint32(4)
        count = near_code_bounds(rng) if rng.random() < 0.5 else int(rng.integers(1, 200_000))
        signature = Signature(hv, shingles, 1000, scheme)
        index.add(i, DedupDoc(f"{i:040x}", 1000, signature))
        index._numbers[i, 1] = count  # (the prefilter reads the counts, not the shingles)
        index._screen[i] = _screen_row(hv, _count_code(count))
    rows = np.arange(index._size)
    passed = rejected = 0
    for query_hv in queries:
        for count in [1, 5, 200, 3000, near_code_bounds(rng), near_code_bounds(rng), 150_000]:
            signature = Signature(query_hv, np.arange(count, dtype=np.uint32), 1000, scheme)
            exact = exact_prefilter(index, rows, signature)
            screened = index._screen_passes(rows, signature)
            assert not (exact & ~screened).any()
            passed += int(exact.sum())
            rejected += int((~screened).sum())
    assert passed > 1000 and rejected > 5000  # both sides of the bound were exercised


def test_count_codes_and_screen_rows() -> None:
    for count in [0, 1, 2, 15, 16, 17, 255, 256, 3000, 2**20 + 1, 2**31]:
        code = _count_code(count)
        assert _COUNT_BOUNDS[code] <= count
        assert code == 255 or count < _COUNT_BOUNDS[code + 1]
    rng = np.random.default_rng(9)
    hv = rng.integers(0, 2**32, PERMS, dtype=np.uint32)
    row = _screen_row(hv, 77)
    bits = np.unpackbits(row.view(np.uint8), bitorder="little").reshape(4, PERMS)
    for plane in range(4):
        expected = (hv >> np.uint32(plane)) & np.uint32(1)
        if plane == 0:  # its last byte holds the count code instead
            assert np.packbits(bits[0, -8:], bitorder="little")[0] == 77
            assert (bits[0, :-8] == expected[:-8]).all()
        else:
            assert (bits[plane] == expected).all()


def test_screen_rows_are_cache_line_aligned() -> None:
    corpus = Corpus(11)
    index = DedupIndex()
    for i in range(700):  # several growths
        index.add(i, corpus.doc())
        assert index._screen.ctypes.data % 64 == 0
    assert index._screen.shape[1] * index._screen.itemsize == 64


def test_popcount_fallback_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    words = np.random.default_rng(3).integers(0, 2**63, (5, 7), dtype=np.uint64)
    expected = np.array([[bin(int(w)).count("1") for w in row] for row in words])
    assert (dedup._popcount(words) == expected).all()
    monkeypatch.setattr(dedup, "_BITWISE_COUNT", None)
    assert (dedup._popcount(words) == expected).all()
    corpus = Corpus(12)
    index = DedupIndex()
    for i in range(300):
        index.add(i, corpus.doc())
    for _ in range(20):
        doc = corpus.doc()
        assert index.query(doc) == reference_query(index, doc)


@pytest.mark.slow
def test_screen_passes_rows_at_the_prefilter_boundary() -> None:
    """For shingle counts of every ratio, a row with just enough equal values to pass the exact
    prefilter (the others differing in bit 1, which the screen sees for every value) passes the
    screen. (The bound is tight: limits one lower fail here.)"""
    rng = np.random.default_rng(13)
    index = DedupIndex()
    query = rng.integers(0, 2**32, PERMS, dtype=np.uint32)
    shingles = np.arange(1, 5, dtype=np.uint32)
    for row in range(1500):
        a = near_code_bounds(rng) if row % 2 else int(rng.integers(1, 100_000))
        b = near_code_bounds(rng) if row % 3 else int(rng.integers(1, 100_000))
        probe = Signature(query, np.arange(a, dtype=np.uint32), 1000, DEFAULT_SCHEME)
        index.add(row, DedupDoc(f"{row:040x}", 1000, Signature(query, shingles, 1000, DEFAULT_SCHEME)))
        index._numbers[row, 1] = b
        for equal in range(PERMS + 1):  # the fewest equal values that pass
            hv = query.copy()
            high = rng.integers(0, 2**28, PERMS - equal, dtype=np.uint32) << np.uint32(4)
            hv[equal:] ^= np.uint32(2) + high
            index._hv[row] = hv
            if exact_prefilter(index, np.array([row]), probe)[0]:
                break
        index._screen[row] = _screen_row(hv, _count_code(b))
        assert index._screen_passes(np.array([row]), probe)[0], (a, b, equal)


@pytest.mark.parametrize("seed", range(20))
def test_shared_count_is_the_intersection_size(seed: int) -> None:
    rng = np.random.default_rng(seed)
    universe = int(rng.choice([5, 50, 2**32]))
    a = np.unique(rng.integers(0, universe, int(rng.integers(1, 400)), dtype=np.uint64)).astype(np.uint32)
    b = np.unique(rng.integers(0, universe, int(rng.integers(1, 400)), dtype=np.uint64)).astype(np.uint32)
    assert dedup._shared_count(a, b) == dedup._shared_count(b, a) == np.intersect1d(a, b).size
