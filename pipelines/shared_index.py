"""The near-duplicate index shared by the workers of a distributed crawl (REDIS_URL).

Candidates come from datasketch's `MinHashLSH` with its Redis storage backend; verification
reuses the exact local logic: the candidates' entries (signature + shingle sample) are read
from the store's `dedup_entries` and checked by a throw-away `DedupIndex`, so a shared decision
is the same as a single-process one. Exact copies are found through a Redis set per content key.

Round trips are batched: a query asks all 32 bands and the exact set in one Redis pipeline and
reads the candidates' entries in one store query; an insert is one Redis pipeline. So a
decision costs three round trips whatever the number of bands.

Race between workers: two workers may judge two copies of one article "new" at the same moment.
`Ingestor` re-queries after inserting and merges the clusters it now sees into the oldest
(`ArticleStore.merge_articles`): the later inserter always sees the earlier one, so the race
ends in one article (a reconciliation step, see docs/scaling.md).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable
from itertools import islice
from typing import Any, Optional

from datasketch import MinHashLSH

from pipelines.dedup import Candidate, DedupDoc, DedupIndex, DedupParams, doc_from_entry
from pipelines.store import ArticleStore

log = logging.getLogger(__name__)

# The same banding as the in-memory index (pipelines.dedup: 32 bands x 2 rows), so a shared
# decision finds the same candidates as a single-process one: pairs at Jaccard 0.38 (page 1
# of 3) with 0.99 probability. Every candidate is then verified exactly.
SHARED_BANDS = 32
SHARED_ROWS = 2


class SharedDedupIndex:
    """Duck-compatible with `DedupIndex` for `Ingestor`: document / query / add / remove."""

    shared = True

    def __init__(self, redis_url: str, namespace: str, store: ArticleStore,
                 params: DedupParams = DedupParams()) -> None:
        import redis

        self.params = params
        self.store = store
        self.local = DedupIndex(params)  # for `document()` only: it holds nothing
        url = redis.connection.parse_url(redis_url)
        self.redis = redis.Redis.from_url(redis_url)
        self.namespace = namespace
        self.lsh = MinHashLSH(
            num_perm=params.scheme.num_perm,
            params=(SHARED_BANDS, SHARED_ROWS),
            storage_config={"type": "redis", "basename": f"{namespace}:lsh".encode(),
                            "redis": dict(url)},
        )
        self.exact_prefix = f"{namespace}:exact:"
        self._load_from_store()

    # -- loading -------------------------------------------------------------------------

    def _load_from_store(self) -> None:
        """Fill Redis from the store's entries once (first distributed run, or Redis emptied)."""
        marker = f"{self.namespace}:loaded"
        if self.redis.exists(marker):
            return
        with self.redis.lock(f"{self.namespace}:load-lock", timeout=3600, blocking_timeout=3600):
            if self.redis.exists(marker):
                return
            loaded = 0
            docs = ((copy_id, doc_from_entry(blob, self.params))
                    for copy_id, _, blob in self.store.dedup_rows())
            while batch := list(islice(docs, 5000)):
                self._insert_many(batch)
                loaded += len(batch)
            self.redis.set(marker, "1")
            log.info("shared dedup index loaded into Redis from the store: %d copies", loaded)

    # -- the DedupIndex surface ------------------------------------------------------------

    def document(self, body_text: str, **kwargs: Any) -> DedupDoc:
        return self.local.document(body_text, **kwargs)

    def encode_entry(self, doc: DedupDoc) -> bytes:
        return self.local.encode_entry(doc)

    def __contains__(self, copy_id: object) -> bool:
        return False  # entries are never removed from a shared index (see `remove`)

    def __len__(self) -> int:
        return int(self.redis.hlen(f"{self.namespace}:lsh_keys") or 0)

    def query(self, doc: DedupDoc) -> list[Candidate]:
        copy_ids = set(self.candidate_ids(doc))
        if not copy_ids:
            return []
        return DedupIndex.from_rows(self.store.dedup_rows_for(copy_ids), self.params).query(doc)

    def candidate_ids(self, doc: DedupDoc) -> list[int]:
        """Copy ids sharing an LSH band with `doc` or its exact text: one pipelined round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.smembers(self.exact_prefix + doc.content_hash)
        if doc.signature is not None:
            hashvalues = doc.signature.lean().hashvalues
            for (start, end), table in zip(self.lsh.hashranges, self.lsh.hashtables):
                pipe.smembers(table.redis_key(self.lsh._H(hashvalues[start:end])))
        results = pipe.execute()
        ids = {int(v) for v in results[0]}
        for members in results[1:]:
            ids.update(pickle.loads(m) for m in members)  # datasketch pickles Redis keys
        return sorted(ids)

    def add(self, copy_id: int, doc: DedupDoc, article_id: Optional[int] = None) -> None:
        self._insert_many([(copy_id, doc)])

    def _insert_many(self, docs: Iterable[tuple[int, DedupDoc]]) -> None:
        """Insert into datasketch's Redis layout in ONE pipelined round trip.

        datasketch's own `insert` (or an `insertion_session`) talks to each of its 33 storage
        containers separately and reconnects them all when a session ends: ~10 inserts/s here.
        This writes exactly what it writes — the keys table (hash + list of band keys) and one
        set per band bucket, keys pickled as `prepickle` does — so `MinHashLSH.query` reads it
        back (tests/distributed/test_shared_index.py checks that).
        """
        pipe = self.redis.pipeline(transaction=False)
        keys_table = self.lsh.keys
        for copy_id, doc in docs:
            pipe.sadd(self.exact_prefix + doc.content_hash, copy_id)
            if doc.signature is None:
                continue
            key = pickle.dumps(copy_id)
            hashvalues = doc.signature.lean().hashvalues
            band_keys = [self.lsh._H(hashvalues[start:end]) for start, end in self.lsh.hashranges]
            stored_key = keys_table.redis_key(key)
            pipe.hset(keys_table._name, key, stored_key)
            pipe.rpush(stored_key, *band_keys)
            for band_key, table in zip(band_keys, self.lsh.hashtables):
                bucket = table.redis_key(band_key)
                pipe.hset(table._name, band_key, bucket)
                pipe.sadd(bucket, key)
        pipe.execute()

    def remove(self, copy_id: object) -> None:
        # A changed page keeps its old entry: verification reads the current entry from the
        # store, so a stale LSH bucket only yields a candidate that fails verification.
        return None
