"""LSH scale curve: query + insert cost per document and memory per stored signature, 10k–1M.

Signatures are synthetic. "uniform": independent random values, so no two share a band by
chance — the structure's own cost. "background": every minhash position takes one of 100 shared
common values with probability 0.707, so two unrelated documents agree on a position with
probability 0.707² / 100 = 0.005, the Jaccard of unrelated policy articles (docs/web.md) — with 32 bands of 2 rows that
makes 32 × 0.005² ≈ 0.08 % of all stored documents LSH candidates of any query, which the
vectorised MinHash prefilter then has to reject: the realistic case.

Compare `cpu_ms_per_doc` (process time, the median of `WINDOWS` parts of the timed window)
between sizes: the machine may be shared, and the large index is memory-bound, so wall time
drifts with the neighbours. `ratio_to_smallest` is the cost relative to the smallest size
taken part by part (each part times every size back to back, within ~0.1 s) and its median:
a burst of other work that lands on one size's part moves that part's ratio only, where the
ratio of two medians would carry it whole. The timed window (`probe`
query + insert pairs) sees only the band-table merges that fall into it;
`insert_cpu_ms_per_doc_amortised` covers every add up to the size, merges and growth included.
The sizes are timed in turns on indexes built side by side (`scale_curve`), so that the
machine's other load falls on all of them alike.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from benchmarks.stages import rss_mb

POOL = 100  # common values per minhash position ("background" mode)
SAMPLE_SIZE = 370  # verification sample of a ~3,000-character document (256–512)
PROBE = 2000  # query+insert operations timed at each size
WINDOWS = 10  # parts the timed operations are split into (the median part is reported)


def _docs(count: int, rng: np.random.Generator, common: np.ndarray, share: float) -> Iterator[Any]:
    from pipelines.dedup import DedupDoc
    from pipelines.minhash import DEFAULT_SCHEME, Signature

    for start in range(0, count, 10_000):
        n = min(10_000, count - start)
        hv = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint32)
        if share:
            mask = rng.random((n, 128)) < share
            pool = common[rng.integers(0, common.shape[0], size=(n, 128)), np.arange(128)]
            hv[mask] = pool[mask]
        samples = np.sort(rng.integers(0, 2**29, size=(n, SAMPLE_SIZE), dtype=np.uint32) << np.uint32(3), axis=1)
        digests = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
        for i in range(n):
            signature = Signature(hv[i], samples[i], 3000, DEFAULT_SCHEME)
            # shingle_count = 8 x sample (sample_bits 3), as for a real 3,000-shingle document
            yield DedupDoc(digests[i].tobytes().hex(), 3000, signature)


def _index_bytes(index: Any) -> dict[str, float]:
    """Bytes per stored entry, by part (structural accounting, next to the RSS delta)."""
    n = max(len(index), 1)
    ids = sys.getsizeof(index._row_of) + sys.getsizeof(index._doc_ids) + sys.getsizeof(index._article)
    ids += sys.getsizeof(index._content) + sum(sys.getsizeof(c) for c in index._content[:1000]) / min(1000, n) * n
    ids += sys.getsizeof(index._exact)
    return {
        "signature_matrix": (index._hv.nbytes + index._screen.nbytes) / n,  # + prefilter screen
        "band_table": index._table.nbytes / n,
        "ids_and_exact_hashes": ids / n,
        "numbers": index._numbers.nbytes / n + index._has_signature.nbytes / n,
        "verification_samples": (sys.getsizeof(index._samples)
                                 + sum(sys.getsizeof(s) for s in index._samples[:1000]) / min(1000, n) * n) / n,
    }


def _built(size: int, seed: int, share: float) -> tuple[Any, float, float, float]:
    """An index of the first `size` documents of the seed's stream: (index, build wall s,
    build CPU s, RSS MB it added)."""
    from pipelines.dedup import DedupIndex

    rng = np.random.default_rng(seed)
    common = rng.integers(0, 2**32, size=(POOL, 128), dtype=np.uint32)
    gc.collect()
    base_rss = rss_mb()
    index = DedupIndex()
    start, start_cpu = time.perf_counter(), time.process_time()
    for doc_id, doc in enumerate(_docs(size, rng, common, share)):
        index.add(doc_id, doc)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    gc.collect()
    return index, wall, cpu, rss_mb() - base_rss


def scale_curve(sizes: list[int], mode: str, seed: int = 7, probe: int = PROBE) -> list[dict[str, Any]]:
    """Query + insert cost at each of `sizes` stored signatures (see the module docstring).

    One index per size is built from the same stream, then all of them take the same `probe`
    new documents, in `WINDOWS` parts taken in turn (part 1 on every size, then part 2...): a
    burst of another process's work on a shared machine then falls on every size alike, and
    the reported figure, the median part, moves little.
    """
    share = 0.7071 if mode == "background" else 0.0
    rng = np.random.default_rng(seed)
    common = rng.integers(0, 2**32, size=(POOL, 128), dtype=np.uint32)
    probe_docs = list(_docs(probe, np.random.default_rng(seed + 1), common, share))
    built = {size: _built(size, seed, share) for size in sorted(sizes)}
    candidates = {}
    for size, (index, *_) in built.items():
        # Counted before the timed loop, so that the loop times query + insert only.
        table = index._table
        candidates[size] = sum(
            len(table.candidates(table.keys(doc.signature.hashvalues), index._band_keys))
            for doc in probe_docs
        )
    walls: dict[int, list[float]] = {size: [] for size in built}
    cpus: dict[int, list[float]] = {size: [] for size in built}
    parts = np.array_split(np.arange(probe), WINDOWS)
    for part in parts:
        for size, (index, *_) in built.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            for i in part:
                doc = probe_docs[i]
                index.query(doc)
                index.add(size + int(i), doc)
            walls[size].append((time.perf_counter() - start_wall) / max(part.size, 1))
            cpus[size].append((time.process_time() - start_cpu) / max(part.size, 1))
    results = []
    smallest = min(built)
    for size, (index, build_s, build_cpu, rss) in built.items():
        by_part = [c / base for c, base in zip(cpus[size], cpus[smallest]) if base > 0]
        layout = _index_bytes(index)
        results.append({
            "mode": mode,
            "stored": size,
            "query_insert_ms_per_doc": round(1000 * float(np.median(walls[size])), 4),
            "cpu_ms_per_doc": round(1000 * float(np.median(cpus[size])), 4),
            "cpu_ms_per_doc_parts": [round(1000 * c, 4) for c in cpus[size]],
            # The median of this size's cost / the smallest size's, part by part.
            "ratio_to_smallest": round(float(np.median(by_part)), 3) if by_part else None,
            "lsh_candidates_per_query": round(candidates[size] / probe, 2),
            "rss_bytes_per_entry": round(rss * 2**20 / size),
            "bytes_per_entry": {k: round(v) for k, v in layout.items()},
            "lsh_bytes_per_signature": round(layout["signature_matrix"] + layout["band_table"]
                                             + layout["ids_and_exact_hashes"] + layout["numbers"]),
            "insert_s_cumulative": round(build_s, 1),
            # Every add up to this size, band-table merges included (the timed probe window
            # sees only the merges that fall into it).
            "insert_cpu_ms_per_doc_amortised": round(1000 * build_cpu / size, 4),
        })
    del built
    gc.collect()
    return results


def datasketch_bytes_per_entry(count: int = 20_000, seed: int = 7) -> float:
    """Bytes per entry of datasketch's in-memory MinHashLSH (32 x 2), traced with tracemalloc.

    (RSS deltas are useless here: the allocator reuses what the scale curve freed.)
    """
    import tracemalloc

    from datasketch import LeanMinHash, MinHashLSH

    rng = np.random.default_rng(seed)
    hv = rng.integers(0, 2**32, size=(count, 128), dtype=np.uint32)
    gc.collect()
    tracemalloc.start()
    try:
        lsh = MinHashLSH(num_perm=128, params=(32, 2))
        for i in range(count):
            lsh.insert(i, LeanMinHash(seed=1, hashvalues=hv[i], scheme="affine32"), check_duplication=False)
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del lsh
    return round(current / count)
