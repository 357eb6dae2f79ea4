"""Several crawler processes sharing one frontier (Redis), one dedup index and one PostgreSQL.

Real servers started by the test session on loopback: PostgreSQL, Redis, the demo web.
"""

from __future__ import annotations

import json
import re
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crawler.demo.server import FixtureWeb
from models import Article, ArticleCopy
from models.database import create_store_engine
from tests.support.crawl import FAST, FIXTURE_SITES, ROOT, crawl_env
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.slow  # crawl workers in subprocesses, sharing Redis and PostgreSQL

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
GOLDENS = {g["url"]: g for g in (json.loads(p.read_text("utf-8")) for p in GOLDEN.rglob("*.json"))}
ARTICLE_URLS = {u for u, g in GOLDENS.items() if g["kind"] == "article"}


def worker(db_url: str, redis_url: str, proxy_env: dict[str, str], *extra: str,
           spool: Path | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "crawler.cli", "crawl", "-q", "--sites", str(FIXTURE_SITES),
            "--db", db_url, *FAST, *extra]
    if spool is not None:
        args += ["-s", f"SPOOL_DIR={spool}"]
    return subprocess.Popen(args, cwd=ROOT, env=crawl_env(proxy_env, REDIS_URL=redis_url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def store_state(url: str) -> tuple[dict[str, tuple[str, str]], int]:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ArticleCopy.url, ArticleCopy.relation, Article.url)
            .join(Article, Article.id == ArticleCopy.article_id)
        ).all()
        articles = conn.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    return {copy: (relation, canonical) for copy, relation, canonical in rows}, articles


def in_flight(client, pid: int) -> int:  # type: ignore[no-untyped-def]
    return sum(client.hlen(key) for key in client.scan_iter(f"*:inflight:*:{pid}:*"))


def articles_stored(url: str) -> int:
    try:
        return store_state(url)[1]
    except Exception:
        return 0  # the first worker is still creating the schema


def expected_state() -> dict[str, tuple[str, str]]:
    return {
        u: (g.get("relation") or "canonical", g.get("duplicate_of") or u)
        for u, g in GOLDENS.items() if g["kind"] == "article"
    }


@pytest.fixture
def shared(postgres: PostgresServer, redis_server: RedisServer, fixture_web: FixtureWeb):
    redis_server.flush()
    fixture_web.reset_log()
    return postgres.create_database(), redis_server.url()


def test_two_workers_fetch_each_page_once_and_build_the_single_process_result(
    shared: tuple[str, str], fixture_web: FixtureWeb, tmp_path: Path
) -> None:
    db_url, redis_url = shared
    # Polite enough, and each worker holding at most 2 pages at a time, that the crawl outlasts
    # a worker's start-up on a busy machine: both take part.
    polite = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
              "-s", "CONCURRENT_REQUESTS=2"]
    workers = [worker(db_url, redis_url, fixture_web.proxy_env(), *polite, spool=tmp_path / f"s{i}")
               for i in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    fetched = Counter(e.url for e in fixture_web.request_log if not e.path.startswith("/robots.txt"))
    assert {u: fetched[u] for u in ARTICLE_URLS} == {u: 1 for u in ARTICLE_URLS}
    assert max(fetched.values()) == 1  # no page at all fetched twice
    state, articles = store_state(db_url)
    assert articles == 16
    assert state == expected_state()
    # both workers did part of the work
    engine = create_store_engine(db_url)
    with engine.connect() as conn:
        pages = conn.execute(text("SELECT pages FROM crawl_runs")).scalars().all()
    engine.dispose()
    assert len(pages) == 2 and all(p > 0 for p in pages)


def _race_worker(db_url: str, redis_url: str, name: str, barrier, copies: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    import opencc

    from pipelines.items import ArticleItem
    from models.database import open_store
    from pipelines.ingest import Ingestor
    from pipelines.shared_index import SharedDedupIndex
    from pipelines.store import ArticleStore
    from tests.pipelines.policy_texts import SEED_ARTICLE

    store = ArticleStore(open_store(db_url))
    ingestor = Ingestor(store, index=SharedDedupIndex(redis_url, "race:dedup", store))
    body = list(SEED_ARTICLE)
    s2t = opencc.OpenCC("s2t")
    barrier.wait()
    for i in range(copies):
        paragraphs = list(body)
        if i % 3 == 1:
            paragraphs = ["编者按：本文转载自高新院网站，有删节。"] + paragraphs
        elif i % 3 == 2:
            paragraphs = [s2t.convert(p) for p in paragraphs]
        ingestor.ingest(ArticleItem(
            url=f"http://{name}.test/copy/{i}.html", site=name,
            fetched_at=datetime.now(timezone.utc), title="同一篇文章", paragraphs=paragraphs,
        ))


def test_copies_of_one_article_raced_through_two_workers_end_in_one_article(
    shared: tuple[str, str]
) -> None:
    db_url, redis_url = shared
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    procs = [context.Process(target=_race_worker, args=(db_url, redis_url, f"w{i}", barrier, 12))
             for i in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
        assert proc.exitcode == 0
    state, articles = store_state(db_url)
    assert articles == 1
    assert len(state) == 24
    assert Counter(relation for relation, _ in state.values())["canonical"] == 1
    engine = create_store_engine(db_url)
    with engine.connect() as conn:
        orphans = conn.scalar(text(
            "SELECT count(*) FROM dedup_entries e LEFT JOIN articles a ON a.id = e.article_id "
            "WHERE a.id IS NULL"))
    engine.dispose()
    assert orphans == 0


def test_a_killed_worker_leaves_nothing_behind(
    shared: tuple[str, str], fixture_web: FixtureWeb, tmp_path: Path
) -> None:
    db_url, redis_url = shared
    slow = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "CONCURRENT_REQUESTS=2", "-s", "WORKER_DEAD_AFTER=3", "-s", "WORKER_HEARTBEAT=0.5"]
    victim = worker(db_url, redis_url, fixture_web.proxy_env(), *slow, spool=tmp_path / "v")
    survivor = worker(db_url, redis_url, fixture_web.proxy_env(), *slow, spool=tmp_path / "s")
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 120
        # Kill it mid-crawl, while it holds pages in flight (popped from the queue, not done).
        while not (articles_stored(db_url) >= 2 and in_flight(client, victim.pid)):
            assert victim.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        left_in_flight = in_flight(client, victim.pid)  # the survivor reaps them 3 s later
        out, err = survivor.communicate(timeout=300)
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()
    assert survivor.returncode == 0, err[-3000:]
    requeued = re.search(r"stopped \(no heartbeat for \d+s\): (\d+) of its pages put back", err)
    assert requeued and int(requeued.group(1)) == left_in_flight, err[-3000:]
    state, articles = store_state(db_url)
    assert articles == 16 and state == expected_state(), err[-3000:]
