"""The store goes away mid-crawl: items are spooled and land when it returns; nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from crawler.demo.server import FixtureWeb
from models import ArticleCopy, CrawlRun
from models.database import create_store_engine
from tests.support.crawl import FAST, FIXTURE_SITES, ROOT, crawl_env, store_counts
from tests.support.postgres import PostgresServer

EXPECTED = (16, 25)


def copies_stored(url: str) -> int:
    try:
        engine = create_store_engine(url)
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(ArticleCopy))
        engine.dispose()
        return count or 0
    except Exception:
        return 0


def test_postgresql_stopped_and_restarted_mid_crawl(
    postgres: PostgresServer, fixture_web: FixtureWeb, tmp_path: Path
) -> None:
    url = postgres.create_database()
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "-q", "--sites", str(FIXTURE_SITES),
         "--db", url, *FAST, "-s", "DOWNLOAD_DELAY=0.15", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
         "-s", "SPOOL_RETRY_INTERVAL=0.5", "-s", f"SPOOL_DIR={tmp_path / 'spool'}"],
        cwd=ROOT, env=crawl_env(fixture_web.proxy_env()), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while copies_stored(url) < 3:
            assert crawl.poll() is None and time.monotonic() < deadline, crawl.communicate()[1][-3000:]
            time.sleep(0.05)
        postgres.pause()
        try:
            # The outage lasts until the crawl has met it (items spooled on disk).
            deadline = time.monotonic() + 60
            while not list((tmp_path / "spool").glob("spool-*.pkl")):
                assert crawl.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            postgres.resume()
        out, err = crawl.communicate(timeout=300)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert crawl.returncode == 0, err[-3000:]
    assert "store unreachable" in err and "spooled items written" in err
    assert store_counts(url) == EXPECTED  # every item landed, none twice
    assert not list((tmp_path / "spool").glob("spool-*.pkl"))
    engine = create_store_engine(url)
    with engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    engine.dispose()
    assert run.status == "ok" and "store was unreachable during the run" in run.message
    assert json.dumps(run.stats)  # figures recorded
