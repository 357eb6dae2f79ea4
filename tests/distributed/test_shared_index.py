"""The Redis-backed index: datasketch reads our layout; decisions equal the in-memory ones."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import opencc

from pipelines.items import ArticleItem
from models.database import open_store
from pipelines.dedup import DedupIndex, decide
from pipelines.ingest import Ingestor
from pipelines.shared_index import SharedDedupIndex
from pipelines.store import ArticleStore
from tests.pipelines.policy_texts import LOTTERY_POLICY, SEED_ARTICLE
from tests.support.redis_server import RedisServer


def test_datasketch_queries_the_layout_we_write(redis_server: RedisServer, tmp_path: Path) -> None:
    redis_server.flush()
    store = ArticleStore(open_store(f"sqlite:///{tmp_path / 's.db'}"))
    shared = SharedDedupIndex(redis_server.url(), "t:dedup", store)
    doc = shared.document("\n".join(SEED_ARTICLE))
    shared.add(41, doc)
    assert shared.lsh.query(doc.signature.lean()) == [41]  # datasketch's own query
    assert shared.candidate_ids(doc) == [41]
    other = shared.document("\n".join(LOTTERY_POLICY * 3))
    assert 41 not in shared.candidate_ids(other)


def test_shared_decisions_match_local_ones_and_survive_a_redis_flush(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server.flush()
    store = ArticleStore(open_store(f"sqlite:///{tmp_path / 's.db'}"))
    ingestor = Ingestor(store, index=SharedDedupIndex(redis_server.url(), "t:dedup", store))
    now = datetime.now(timezone.utc)
    original = ArticleItem(url="http://a.test/1.html", site="a", fetched_at=now,
                           title="专精特新", paragraphs=list(SEED_ARTICLE))
    assert ingestor.ingest(original).outcome == "new_article"

    s2t = opencc.OpenCC("s2t")
    mirror = ArticleItem(url="http://m.test/1.html", site="m", fetched_at=now, title="專精特新",
                         paragraphs=[s2t.convert(p) for p in SEED_ARTICLE])
    half = ArticleItem(url="http://p.test/1.html", site="p", fetched_at=now, title="专精特新",
                       paragraphs=SEED_ARTICLE[: len(SEED_ARTICLE) // 2])
    local = DedupIndex.from_rows(store.dedup_rows())
    for item in (mirror, half):
        expected = decide(local.document(item.body_text, original_script="simplified"), local)
        result = ingestor.ingest(item)
        assert result.outcome == "new_copy"
        assert expected.relation in ("near_duplicate", "exact", "contained")
    # A new Redis (flushed, or another machine's): the index is loaded again from the store.
    redis_server.flush()
    again = Ingestor(store, index=SharedDedupIndex(redis_server.url(), "t:dedup", store))
    repost = ArticleItem(url="http://r.test/1.html", site="r", fetched_at=now, title="专精特新",
                         paragraphs=["编者按：转载。"] + list(SEED_ARTICLE))
    result = again.ingest(repost)
    assert result.outcome == "new_copy" and result.relation == "near_duplicate"
