"""The crawl never waits on the batch timer for room in Scrapy's scraper slot.

Scrapy stops fetching while the responses whose items are still in the pipeline hold
`SCRAPER_SLOT_MAX_ACTIVE_SIZE` bytes, and an item is done when its batch is written. Here the
slot holds a few demo pages and the batch timer is 20 s: the pipeline writes a batch as soon as
its pages fill half the slot, not when the timer fires (only the crawl's last pages wait for it).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crawler.demo.server import FixtureWeb
from models import CrawlRun
from models.database import create_store_engine
from tests.support.crawl import run_crawl, store_counts

pytestmark = pytest.mark.slow


def test_batches_are_written_when_their_pages_fill_half_the_scraper_slot(
    fixture_web: FixtureWeb, tmp_path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'policy.db'}"
    result = run_crawl(
        db_url, fixture_web.proxy_env(),
        "-s", "SCRAPER_SLOT_MAX_ACTIVE_SIZE=60000", "-s", "INGEST_BATCH_SIZE=1000",
        "-s", "INGEST_BATCH_DELAY=20", "-s", "INGEST_WORKERS=0",
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert store_counts(db_url) == (16, 25)  # the whole demo web, as with the defaults
    engine = create_store_engine(db_url)
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    engine.dispose()
    assert run is not None
    assert run.stats["stages"]["store/batches_by_size_of_pages"] >= 3
