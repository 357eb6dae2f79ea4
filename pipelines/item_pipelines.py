"""Thin Scrapy shells around the pure stages and the store.

One pipeline drives all stages (clean -> dedup -> store) through `pipelines.ingest.Ingestor`
because deciding an article's cluster and inserting its copy must happen as one step: split
over several Scrapy pipelines, two copies of one article could both be judged "new" between
the decision and the insert. This class only turns results into stats, and paces the work:

* the pure stages of a page (cleaning, signature) run in worker processes once the crawl is
  large enough to be worth starting them (`INGEST_WORKERS`, `INGEST_WORKERS_AFTER`), so the
  reactor thread keeps fetching and parsing while another core cleans;
* pages are written `INGEST_BATCH_SIZE` to a transaction, after `INGEST_BATCH_DELAY` seconds,
  or as soon as the pages waiting hold half of Scrapy's `SCRAPER_SLOT_MAX_ACTIVE_SIZE` in
  served bytes: `process_item` (a coroutine) returns when the page's batch is written, and
  until then Scrapy counts the page's response against that limit and fetches no more once it
  is reached. Batches of large pages are written early, so the crawl never waits on a timer.
* attached files (`AttachmentItem`) are hashed, read and normalised in reader threads, each
  with a sandboxed reader process (`pipelines.attachments.stage.FilePreparer`), never on the reactor
  thread; the prepared file joins the batch queue and is written after the batch's pages.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from pipelines.attachments.results import FAILED, OK, SKIPPED
from pipelines.attachments.stage import FilePreparer, PreparedAttachment
from pipelines.attachments.store import FILE_FAILED, FILE_NEW
from pipelines.drift import coverage
from pipelines.ingest import (
    Ingestor, IngestResult, PreparedPage, encode_entry, prepare_page, text_document,
)
from pipelines.items import NOT_SPAM_CUTS, ArticleItem, AttachmentItem, RejectedPageItem
from pipelines.spool import Spool
from pipelines.store_access import store_for
from pipelines.workers import StagePool, default_processes

log = logging.getLogger(__name__)


# The store is away (server down or restarting, network cut, SQLite file locked too long):
# worth waiting for. Anything else is a problem with the item itself.
STORE_AWAY = (OperationalError, InterfaceError)

Page = Union[ArticleItem, RejectedPageItem]


@dataclass
class _Queued:
    """A page waiting for its batch: the item, its prepared form (None: prepare it here) and
    the Deferred Scrapy waits on."""

    item: Page | AttachmentItem
    prepared: Optional[PreparedPage | PreparedAttachment]
    done: Deferred[Any]

    @property
    def served_bytes(self) -> int:
        """What Scrapy counts of the page against its scraper slot (at least 1 KB a response)."""
        if isinstance(self.item, AttachmentItem):
            return max(len(self.item.body), _MIN_RESPONSE_SIZE)
        pages = getattr(self.item, "raw_pages", None) or ()
        return max(sum(len(page.body) for page in pages), _MIN_RESPONSE_SIZE)


# Scrapy's own floor for the size of a response in its scraper slot (scrapy.core.scraper).
_MIN_RESPONSE_SIZE = 1024


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
        self.batch_size = max(1, settings.getint("INGEST_BATCH_SIZE", 100))
        self.batch_delay = settings.getfloat("INGEST_BATCH_DELAY", 0.5)
        self.batch_bytes = settings.getint("SCRAPER_SLOT_MAX_ACTIVE_SIZE", 5_000_000) // 2
        self.queued_bytes = 0
        workers = settings.getint("INGEST_WORKERS", -1)
        self.workers = default_processes() if workers < 0 else workers
        self.workers_after = settings.getint("INGEST_WORKERS_AFTER", 200)
        self.pool: Optional[StagePool] = None
        self.articles_seen = 0
        self.queue: list[_Queued] = []
        self._flush_call: Any = None
        self.settings = settings
        readers = settings.getint("ATTACHMENT_READERS", -1)
        # Files come last in a run (priority -10), when the crawler's core is free: one reader a
        # core (500-page benchmark: 30.6 s with two readers on two cores, 35.1 s with one).
        self.file_readers = default_processes(caller_busy=False) if readers < 0 else max(1, readers)
        self.files: Optional[FilePreparer] = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IngestPipeline":
        return cls(crawler)

    def open_spider(self, spider: Optional[Spider] = None) -> None:
        adopted = self.spool.adopt_leftovers()
        if adopted:
            log.warning("%d items spooled by an earlier run are written first", adopted)
            self._retry_spool()
        self.retry_loop.start(self.retry_interval, now=False)

    async def process_item(self, item: Any) -> Any:
        """The item once its batch is written (DropItem for a page judged not an article)."""
        from twisted.internet import reactor  # installed by Scrapy, after this module loads

        if not isinstance(item, (ArticleItem, RejectedPageItem, AttachmentItem)):
            return item
        item.crawl_run_id = item.crawl_run_id or self.stats.get_value("policy/run_id")
        done: Deferred[Any] = Deferred()
        if isinstance(item, AttachmentItem):
            read = self._files().submit(item)
            read.add_done_callback(
                lambda future: reactor.callFromThread(  # type: ignore[attr-defined]
                    self._file_prepared, item, future, done)
            )
            return await maybe_deferred_to_future(done)
        sent: Optional[Future[PreparedPage]] = None
        if isinstance(item, ArticleItem):
            self.articles_seen += 1
            pool = self._pool()
            if pool is not None:
                try:
                    sent = pool.submit(item)
                except Exception as exc:  # the pool broke before its failure reached us
                    self._without_workers(exc)
        if sent is not None:
            sent.add_done_callback(
                lambda future: reactor.callFromThread(  # type: ignore[attr-defined]
                    self._prepared, item, future, done)
            )
        else:
            self._enqueue(_Queued(item, None, done))
        return await maybe_deferred_to_future(done)

    def _pool(self) -> Optional[StagePool]:
        """The worker processes, started once the crawl has enough pages for them."""
        if self.pool is None and self.workers > 0 and self.articles_seen > self.workers_after:
            log.info("cleaning pages in worker processes: %d", self.workers)
            self.pool = StagePool(self.workers, self.ingestor.params)
        return self.pool

    def _prepared(self, item: ArticleItem, future: Future[PreparedPage], done: Deferred[Any]) -> None:
        try:
            prepared: Optional[PreparedPage] = future.result()
        except Exception as exc:  # a worker died (killed, out of memory): go on without them
            self._without_workers(exc)
            prepared = None  # cleaned here, with the batch
        self._enqueue(_Queued(item, prepared, done))

    def _files(self) -> FilePreparer:
        """The reader threads and processes of attached files, started with the first file."""
        if self.files is None:
            params = self.ingestor.params
            self.files = FilePreparer(
                file_limits(self.settings), self.file_readers,
                document=lambda text, script: text_document(text, script, params),
                encode=lambda doc: encode_entry(doc, params),
                known=self.store.has_file,
            )
        return self.files

    def _file_prepared(
        self, item: AttachmentItem, future: Future[PreparedAttachment], done: Deferred[Any]
    ) -> None:
        try:
            prepared = future.result()
        except Exception as exc:  # noqa: BLE001 - a file must never stop the crawl: kept, with why
            log.error("could not prepare the file %s: %s", item.url, _one_line(exc))
            item.status, item.reason = FAILED, f"{type(exc).__name__}: {_one_line(exc)}"
            item.body = b""
            prepared = PreparedAttachment(item, None)
        self._enqueue(_Queued(item, prepared, done))

    def _without_workers(self, exc: BaseException) -> None:
        if self.pool is None:
            return  # said and done for an earlier page
        log.error("worker process failed (%s): cleaning pages in the crawler process from now on",
                  _one_line(exc))
        pool, self.pool, self.workers = self.pool, None, 0
        pool.close()

    def _enqueue(self, queued: _Queued) -> None:
        self.queue.append(queued)
        self.queued_bytes += queued.served_bytes
        if len(self.queue) >= self.batch_size:
            self._flush()
        elif self.queued_bytes >= self.batch_bytes:
            self.stats.inc_value("store/batches_by_size_of_pages")
            self._flush()
        elif self._flush_call is None:
            from twisted.internet import reactor

            self._flush_call = reactor.callLater(self.batch_delay, self._flush)  # type: ignore[attr-defined]

    def _flush(self) -> None:
        """Write the queued pages in one transaction and fire their Deferreds."""
        if self._flush_call is not None:
            if self._flush_call.active():
                self._flush_call.cancel()
            self._flush_call = None
        entries, self.queue = self.queue, []
        self.queued_bytes = 0
        if not entries:
            return
        if len(self.spool):
            self._spool_all(entries, "earlier items are waiting for the store")
            return
        try:
            results = self._write_pages([(e.item, e.prepared) for e in entries])
        except STORE_AWAY as exc:
            self._spool_all(entries, _one_line(exc))
            return
        except Exception:
            if len(entries) == 1:
                entries[0].done.errback(Failure())
                return
            # One page the store refuses must not cost the others: write them one by one.
            log.warning("a batch of %d pages failed; writing them one by one", len(entries),
                        exc_info=True)
            for entry in entries:
                self.queue = [entry]
                self._flush()
            return
        for entry, result in zip(entries, results):
            try:
                entry.done.callback(self._account(entry.item, result))
            except DropItem:
                entry.done.errback(Failure())

    def _spool_all(self, entries: list[_Queued], why: str) -> None:
        for entry in entries:
            self._spool(entry.item, why)
            entry.done.callback(entry.item)

    def _write_pages(
        self, pages: list[tuple[Page | AttachmentItem, Any]]
    ) -> list[Optional[IngestResult]]:
        """One transaction for these pages and files; a result per page or file (None for
        rejections)."""
        rejections = [item for item, _ in pages if isinstance(item, RejectedPageItem)]
        prepared = [
            known or prepare_page(item, self.ingestor.params)
            for item, known in pages if isinstance(item, ArticleItem)
        ]
        files = [
            known or self._files().prepare(item)  # a spooled file: prepared here
            for item, known in pages if isinstance(item, AttachmentItem)
        ]
        results = self.ingestor.ingest_prepared(prepared, rejections, files)
        page_results, file_results = iter(results[: len(prepared)]), iter(results[len(prepared):])
        return [
            next(page_results) if isinstance(item, ArticleItem)
            else next(file_results) if isinstance(item, AttachmentItem) else None
            for item, _ in pages
        ]

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
        (result,) = self._write_pages([(item, None)])
        try:
            self._account(item, result)
        except DropItem as reason:
            log.info("spooled item dropped: %s", reason)  # judged and recorded, as when fresh

    def _account(self, item: Any, result: Optional[IngestResult]) -> Any:
        """Stats for one written page; the item, or DropItem for a page judged not an article."""
        if isinstance(item, AttachmentItem):
            assert result is not None and result.file is not None
            for key in file_stats(result.outcome, result.file):
                self.stats.inc_value(key)
            item.body = b""  # written: Scrapy need not hold the bytes any longer
            return item
        if result is None:
            self._count_rejection(item)  # type: ignore[arg-type]
            return item
        for kind, count in result.cuts.items():
            self.stats.inc_value(f"spam/{kind}", count)
            if kind not in NOT_SPAM_CUTS:
                self.stats.inc_value("spam/removed", count)
        if result.rejection is not None:
            self._count_rejection(result.rejection)
            if result.rejection.reason == "spam_page":
                self.stats.inc_value("spam/page")
            raise DropItem(f"{result.rejection.reason}: {result.rejection.detail}")
        if result.outcome != "unchanged":
            self._observe_coverage(item)  # type: ignore[arg-type]
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
        self._flush()  # pages still waiting for their batch (Scrapy waits for them before this)
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        if self.files is not None:
            self.files.close()
            self.files = None
        if self.retry_loop.running:
            self.retry_loop.stop()
        self._drain_before_close()
        # Runs before the spider_closed signal, so the run record sees the coverage.
        for site, (counts, lengths) in self.coverage.items():
            self.stats.set_value(
                f"coverage/{site}", coverage(counts["articles"], dict(counts), lengths)
            )
        self.ingestor.close()

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


def file_limits(settings: Any) -> Any:
    """The reader's limits from the settings (ATTACHMENT_MAX_BYTES, ATTACHMENT_READ_SECONDS,
    ATTACHMENT_READ_MEMORY)."""
    from pipelines.attachments import ReadLimits

    defaults = ReadLimits()
    return replace(
        defaults,
        max_bytes=settings.getint("ATTACHMENT_MAX_BYTES", defaults.max_bytes),
        seconds=settings.getfloat("ATTACHMENT_READ_SECONDS", defaults.seconds),
        memory_bytes=settings.getint("ATTACHMENT_READ_MEMORY", defaults.memory_bytes),
    )


def file_stats(outcome: str, file: PreparedAttachment) -> list[str]:
    """The stats keys one stored file counts under (`attachments/...`, see docs/operations.md)."""
    item = file.item
    keys = [] if item.status == SKIPPED else ["attachments/fetched"]
    keys.append(f"attachments/{outcome}")
    status = file.status if outcome == FILE_NEW else item.status if outcome == FILE_FAILED else None
    if status is not None:
        keys.append(f"attachments/status/{status}")
        if status != OK:
            keys.append("attachments/failed")
    return keys


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
