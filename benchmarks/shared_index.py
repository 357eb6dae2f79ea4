"""Throughput and memory of the shared (Redis) near-duplicate index of distributed crawls.

    python -m benchmarks.shared_index [--docs 20000]

Starts its own redis-server on loopback (Debian's package), fills the index with N synthetic
signatures (128 permutations), then measures, one document at a time as a worker does:
query + insert through `SharedDedupIndex` (all bands in one pipelined round trip, insert as
one insertion session), against datasketch's own `MinHashLSH.query` + `insert` on the same
Redis storage (one round trip per band) as the baseline in the same run. Reports docs/s,
the ratio, and Redis memory per stored signature.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from datasketch import MinHashLSH

from models.database import open_store
from pipelines.dedup import DedupDoc, DedupParams
from pipelines.minhash import Signature
from pipelines.shared_index import SHARED_BANDS, SHARED_ROWS, SharedDedupIndex
from pipelines.store import ArticleStore
from tests.support.redis_server import RedisServer


def synthetic_docs(count: int, params: DedupParams, seed: int = 7) -> list[DedupDoc]:
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(count):
        values = rng.integers(0, 2**32, size=params.scheme.num_perm, dtype=np.uint64).astype(np.uint32)
        signature = Signature(values, np.empty(0, dtype=np.uint32), 3000, params.scheme)
        docs.append(DedupDoc(f"{i:040x}", 3000, signature))
    return docs


def used_memory(client) -> int:  # type: ignore[no-untyped-def]
    return int(client.info("memory")["used_memory"])


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000, help="signatures in the index")
    parser.add_argument("--probe", type=int, default=1000, help="documents timed one at a time")
    args = parser.parse_args(argv)
    params = DedupParams()
    server = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = ArticleStore(open_store(f"sqlite:///{Path(tmp) / 'b.db'}"))
            index = SharedDedupIndex(server.url(), "bench:dedup", store, params)
            client = index.redis
            base_memory = used_memory(client)
            docs = synthetic_docs(args.docs + args.probe, params)
            fill, probe = docs[: args.docs], docs[args.docs:]
            started = time.perf_counter()
            for start in range(0, len(fill), 5000):
                index._insert_many(list(enumerate(fill[start:start + 5000], start=start)))
            fill_rate = len(fill) / (time.perf_counter() - started)
            per_signature = (used_memory(client) - base_memory) / len(fill)

            started = time.perf_counter()
            for i, doc in enumerate(probe):
                index.candidate_ids(doc)
                index.add(10_000_000 + i, doc)
            batched = len(probe) / (time.perf_counter() - started)

            baseline_lsh = MinHashLSH(
                num_perm=params.scheme.num_perm, params=(SHARED_BANDS, SHARED_ROWS),
                storage_config={"type": "redis", "basename": b"bench:baseline",
                                "redis": {"host": "127.0.0.1", "port": server.port,
                                          "password": "r3dis-S3cret"}},
            )
            started = time.perf_counter()
            for i, doc in enumerate(probe[:200]):
                lean = doc.signature.lean()
                baseline_lsh.query(lean)
                baseline_lsh.insert(20_000_000 + i, lean, check_duplication=False)
            baseline = 200 / (time.perf_counter() - started)
    finally:
        server.stop()
    report = {
        "signatures": args.docs,
        "bulk_insert_per_s": round(fill_rate),
        "query_insert_per_s": round(batched),
        "baseline_query_insert_per_s": round(baseline),
        "speedup": round(batched / baseline, 1),
        "redis_bytes_per_signature": round(per_signature),
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
