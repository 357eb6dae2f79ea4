"""Thin Scrapy shells around the pure stages and the store.

One pipeline drives all stages (clean -> dedup -> store) through `pipelines.ingest.Ingestor`
because deciding an article's cluster and inserting its copy must happen as one step: split
over several Scrapy pipelines, two copies of one article could both be judged "new" between
the decision and the insert. This class only turns results into stats.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any, Optional

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.internet import task

from crawler.drift import coverage
from crawler.items import ArticleItem, RejectedPageItem
from pipelines.ingest import Ingestor
from pipelines.spool import Spool
from pipelines.store_access import store_for

log = logging.getLogger(__name__)


# The store is away (server down or restarting, network cut, SQLite file locked too long):
# worth waiting for. Anything else is a problem with the item itself.
STORE_AWAY = (OperationalError, InterfaceError)


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.store = store_for(crawler)
        self.ingestor = Ingestor(self.store, index=shared_index(crawler, self.store))
        self.spool = Spool(settings.get("SPOOL_DIR") or "data/spool")
        self.spool_close_wait = settings.getfloat("SPOOL_CLOSE_WAIT", 300)
        self.retry_loop = task.LoopingCall(self._retry_spool)
        self.retry_interval = settings.getfloat("SPOOL_RETRY_INTERVAL", 5)
        # Per-site field coverage of freshly extracted articles, for drift warnings.
        self.coverage: dict[str, tuple[Counter[str], list[int]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IngestPipeline":
        return cls(crawler)

    def open_spider(self, spider: Optional[Spider] = None) -> None:
        adopted = self.spool.adopt_leftovers()
        if adopted:
            log.warning("%d items spooled by an earlier run are written first", adopted)
            self._retry_spool()
        self.retry_loop.start(self.retry_interval, now=False)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, (ArticleItem, RejectedPageItem)):
            return item
        item.crawl_run_id = item.crawl_run_id or self.stats.get_value("policy/run_id")
        if len(self.spool):
            self._spool(item, "earlier items are waiting for the store")
            return item
        try:
            return self._write(item)
        except STORE_AWAY as exc:
            self._spool(item, _one_line(exc))
            return item

    def _spool(self, item: Any, why: str) -> None:
        if not len(self.spool):
            log.warning("store unreachable (%s): spooling items to %s until it is back",
                        why, self.spool.directory)
        self.spool.put(item)
        self.stats.inc_value("store/spooled")

    def _retry_spool(self) -> None:
        if not len(self.spool):
            return
        try:
            landed = self.spool.drain(self._write_spooled)
        except STORE_AWAY:
            return  # still away; the loop tries again
        if landed:
            log.warning("store is back: %d spooled items written", landed)
            self.stats.inc_value("store/spool_landed", landed)

    def _write_spooled(self, item: Any) -> None:
        try:
            self._write(item)
        except DropItem as reason:
            log.info("spooled item dropped: %s", reason)  # judged and recorded, as when fresh

    def _write(self, item: Any) -> Any:
        if isinstance(item, RejectedPageItem):
            self.store.save_rejection(item)
            self._count_rejection(item)
            return item
        result = self.ingestor.ingest(item)
        for kind, count in result.cuts.items():
            self.stats.inc_value(f"spam/{kind}", count)
            if kind != "repeated_body":
                self.stats.inc_value("spam/removed", count)
        if result.rejection is not None:
            self._count_rejection(result.rejection)
            if result.rejection.reason == "spam_page":
                self.stats.inc_value("spam/page")
            raise DropItem(f"{result.rejection.reason}: {result.rejection.detail}")
        if result.outcome != "unchanged":
            self._observe_coverage(item)
        self.stats.inc_value(f"store/{result.outcome}")
        self.stats.inc_value(f"store/{result.outcome}/{item.site}")
        if result.relation and result.relation != "canonical" and result.outcome != "unchanged":
            self.stats.inc_value(f"dedup/{result.relation}")
        if result.save is not None and result.save.became_canonical:
            self.stats.inc_value("dedup/canonical_replaced")
        return item

    def _observe_coverage(self, item: ArticleItem) -> None:
        counts, lengths = self.coverage.setdefault(item.site, (Counter(), []))
        counts["articles"] += 1
        counts["published_at"] += item.published_at is not None
        counts["source"] += bool(item.source)
        counts["body"] += bool(item.paragraphs)
        lengths.append(len(item.body_text))

    def _count_rejection(self, item: RejectedPageItem) -> None:
        self.stats.inc_value("store/rejected")
        self.stats.inc_value(f"store/rejected/{item.reason}")
        self.stats.inc_value(f"store/rejected/{item.site}")

    def close_spider(self, spider: Optional[Spider] = None) -> None:
        if self.retry_loop.running:
            self.retry_loop.stop()
        self._drain_before_close()
        # Runs before the spider_closed signal, so the run record sees the coverage.
        for site, (counts, lengths) in self.coverage.items():
            self.stats.set_value(
                f"coverage/{site}", coverage(counts["articles"], dict(counts), lengths)
            )
        try:
            self.ingestor.close()
        except STORE_AWAY as exc:
            log.error("could not save the paragraph counts: %s", _one_line(exc))

    def _drain_before_close(self) -> None:
        """Wait (bounded, with back-off) for the store to take what was spooled."""
        deadline = time.monotonic() + self.spool_close_wait
        pause = 0.5
        while len(self.spool):
            before = len(self.spool)
            self._retry_spool()
            if not len(self.spool) or time.monotonic() >= deadline:
                break
            if len(self.spool) == before:
                time.sleep(pause)
                pause = min(pause * 2, 10)
        if len(self.spool):
            message = (f"{len(self.spool)} items could not be written and stay spooled in "
                       f"{self.spool.directory}; the next run writes them first")
            log.error(message)
            self.stats.set_value("store/spool_left", len(self.spool))
            self.stats.inc_value("crawl/errors")


def shared_index(crawler: Crawler, store: Any) -> Any:
    """The Redis-backed index of a distributed crawl, or None (in-memory, single process)."""
    redis_url = crawler.settings.get("REDIS_URL")
    if not redis_url or not crawler.settings.get("DISTRIBUTED_PREFIX"):
        return None
    from pipelines.shared_index import SharedDedupIndex

    return SharedDedupIndex(redis_url, f"{crawler.settings.get('DISTRIBUTED_PREFIX')}:dedup", store)


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(exc).__name__
