"""Distributed crawls: any number of `policy-ingest crawl` workers sharing one frontier.

Switched on by `REDIS_URL`. Built on scrapy-redis: its scheduler keeps the request queue in
Redis and its dupefilter the set of seen requests, so every page is fetched once in total
whichever worker finds it. This module adds what a scheduled crawl needs on top:

* a **generation**: the workers that run at the same time share one queue and one dupefilter
  (keys under `policy-ingest:<store>:<generation>:`); the last worker to leave deletes them, so
  the next scheduled crawl starts afresh (list pages are fetched again every run);
* **finishing**: a worker whose local work is done waits while another live worker is still
  busy (it may enqueue more pages) and closes when the queue is empty and every live worker is
  idle — no worker idles forever, none leaves early;
* **no lost requests**: a request popped by a worker is recorded as in flight until its page
  is handled: an article's item stored, any other page's links in the shared queue
  (`InflightLinks`); when a worker dies (no heartbeat for `WORKER_DEAD_AFTER` seconds), a
  surviving worker puts its in-flight requests back into the queue.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Optional

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.request import request_from_dict
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from pipelines.items import ArticleItem, RejectedPageItem

log = logging.getLogger(__name__)

KEY_ROOT = "policy-ingest"


def store_key(db_url: str) -> str:
    """Workers of different stores never share a frontier, even on one Redis."""
    from models.database import mask_url

    return hashlib.sha1(mask_url(db_url).encode()).hexdigest()[:12]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def connect(redis_url: str) -> Any:
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=10,
                                health_check_interval=30)


def join_generation(client: Any, prefix: str) -> str:
    """The running generation of this store's crawl, or a new one started by this worker."""
    proposed = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    client.set(f"{prefix}:generation", proposed, nx=True)
    return client.get(f"{prefix}:generation").decode()


def distributed_settings(redis_url: str, db_url: str) -> dict[str, Any]:
    """Scrapy settings that make this process a worker of the store's shared crawl."""
    prefix = f"{KEY_ROOT}:{store_key(db_url)}"
    client = connect(redis_url)
    generation = join_generation(client, prefix)
    base = f"{prefix}:{generation}"
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.InflightScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the last worker clears the generation, not the first one
        "SCHEDULER_QUEUE_KEY": f"{base}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{base}:%(spider)s:dupefilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DISTRIBUTED_PREFIX": prefix,
        "DISTRIBUTED_GENERATION": generation,
        "DISTRIBUTED_WORKER": worker_id(),
    }


# request.meta key of a request yielded by a page's callback: that page's URL (in flight
# until all of its requests are in the queue). Taken out before the request is queued.
LINKED_FROM = "inflight_linked_from"


class InflightScheduler(Scheduler):
    """scrapy-redis's scheduler, recording each popped request until its page is handled."""

    def open(self, spider: Spider) -> None:
        super().open(spider)
        settings = spider.crawler.settings
        self.worker = settings.get("DISTRIBUTED_WORKER")
        base = f"{settings.get('DISTRIBUTED_PREFIX')}:{settings.get('DISTRIBUTED_GENERATION')}"
        self.inflight_key = f"{base}:inflight:{self.worker}"
        self._unqueued: dict[str, int] = {}  # page URL -> requests it yielded not queued yet
        self._output_taken: set[str] = set()  # pages whose callback has yielded everything

    def enqueue_request(self, request: Request) -> bool:
        page = request.meta.pop(LINKED_FROM, None)
        try:
            return bool(super().enqueue_request(request))
        finally:
            if page is not None:  # queued (or dropped as seen): one fewer to wait for
                self._unqueued[page] = self._unqueued.get(page, 1) - 1
                self._handled_if_complete(page)

    def expect_link(self, page: str) -> None:
        """A request yielded by `page`'s callback is on its way to `enqueue_request`."""
        self._unqueued[page] = self._unqueued.get(page, 0) + 1

    def output_taken(self, page: str) -> None:
        """`page`'s callback has yielded everything: done once those requests are queued.
        (Scrapy takes a callback's output ahead of scheduling it: up to 2 x CONCURRENT_ITEMS
        wait in a queue, so the end of the output is not the end of the scheduling.)"""
        self._output_taken.add(page)
        self._handled_if_complete(page)

    def _handled_if_complete(self, page: str) -> None:
        if page in self._output_taken and self._unqueued.get(page, 0) <= 0:
            self._output_taken.discard(page)
            self._unqueued.pop(page, None)
            self.done(page)

    def next_request(self) -> Optional[Request]:
        request = super().next_request()
        if request is not None:
            self.server.hset(self.inflight_key, request.url,
                             pickle.dumps(request.to_dict(spider=self.spider), protocol=4))
        return request

    def done(self, url: str) -> None:
        self.server.hdel(self.inflight_key, url)

    def requeue(self, inflight_key: str) -> int:
        """Put another (dead) worker's in-flight requests back into the shared queue."""
        entries = self.server.hgetall(inflight_key)
        for blob in entries.values():
            request = request_from_dict(pickle.loads(blob), spider=self.spider)
            self.queue.push(request.replace(dont_filter=True))  # already in the dupefilter
        self.server.delete(inflight_key)
        return len(entries)


class InflightLinks:
    """Spider middleware of a distributed crawl: a page other than an article (a list page, a
    redirect) leaves the in-flight record only when every request its callback yielded is in
    the shared queue. Acknowledged when its response arrived, as before, a worker killed while
    its callback ran lost the links: an article linked from that page alone was never crawled.

    Its order is the lowest, so that it sees the requests the engine will schedule.
    """

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.get("DISTRIBUTED_GENERATION"):
            raise NotConfigured("not a distributed crawl (no REDIS_URL)")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "InflightLinks":
        return cls(crawler)

    @property
    def scheduler(self) -> InflightScheduler:
        return self.crawler.engine._slot.scheduler  # type: ignore[union-attr]

    @staticmethod
    def _page(response: Response) -> Optional[str]:
        request = response.request
        if request is None or request.meta.get("kind") == "article":
            return None  # an article is handled when its item is stored (`item_done`)
        return request.url

    def _linked(self, page: Optional[str], output: Any) -> Any:
        if page is not None and isinstance(output, Request):
            output.meta[LINKED_FROM] = page
            self.scheduler.expect_link(page)
        return output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        page = self._page(response)
        try:
            for output in result:
                yield self._linked(page, output)
        finally:
            if page is not None:
                self.scheduler.output_taken(page)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        page = self._page(response)
        try:
            async for output in result:
                yield self._linked(page, output)
        finally:
            if page is not None:
                self.scheduler.output_taken(page)


class WorkerCoordinator:
    """Heartbeats, idle-waiting, reaping dead workers and clearing a finished generation."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("DISTRIBUTED_GENERATION"):
            raise NotConfigured("not a distributed crawl (no REDIS_URL)")
        self.crawler = crawler
        self.worker = settings.get("DISTRIBUTED_WORKER")
        self.prefix = settings.get("DISTRIBUTED_PREFIX")
        self.generation = settings.get("DISTRIBUTED_GENERATION")
        self.base = f"{self.prefix}:{self.generation}"
        self.members_key = f"{self.base}:workers"
        self.dead_after = settings.getfloat("WORKER_DEAD_AFTER", 20)
        self.beat = settings.getfloat("WORKER_HEARTBEAT", 2)
        self.client = connect(settings.get("REDIS_URL"))
        self.idle = False
        self.loop = task.LoopingCall(self.heartbeat)
        crawler.signals.connect(self.spider_opened, signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signals.spider_closed)
        crawler.signals.connect(self.busy, signals.request_reached_downloader)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WorkerCoordinator":
        return cls(crawler)

    @property
    def scheduler(self) -> InflightScheduler:
        return self.crawler.engine._slot.scheduler  # type: ignore[union-attr]

    def spider_opened(self, spider: Spider) -> None:
        self.heartbeat()
        self.loop.start(self.beat, now=False)
        self.crawler.stats.set_value("distributed/generation", self.generation)
        self.crawler.stats.set_value("distributed/worker", self.worker)
        log.info("worker %s joined crawl generation %s", self.worker, self.generation)

    def heartbeat(self) -> None:
        self.client.hset(self.members_key, self.worker,
                         json.dumps({"ts": time.time(), "idle": self.idle}))

    def busy(self, request: Request, spider: Spider) -> None:
        self.idle = False

    def item_done(self, item: Any, **kwargs: Any) -> None:
        if isinstance(item, (ArticleItem, RejectedPageItem)):
            self.scheduler.done(item.url)
            if isinstance(item, ArticleItem):
                for raw in item.raw_pages[1:]:
                    self.scheduler.done(raw.url)

    def live_members(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        members = {}
        for worker, state in self.client.hgetall(self.members_key).items():
            worker_name = worker.decode()
            record = json.loads(state)
            if now - record["ts"] <= self.dead_after:
                members[worker_name] = record
            elif worker_name != self.worker:
                self.reap(worker_name)
        return members

    def reap(self, worker: str) -> None:
        """A worker that stopped beating is dead: its in-flight pages go back to the queue."""
        lock = self.client.lock(f"{self.base}:reap-lock", timeout=30, blocking_timeout=5)
        if not lock.acquire():
            return
        try:
            if self.client.hdel(self.members_key, worker):
                requeued = self.scheduler.requeue(f"{self.base}:inflight:{worker}")
                self.crawler.stats.inc_value("distributed/requeued", requeued)
                log.warning("worker %s stopped (no heartbeat for %.0fs): %d of its pages put "
                            "back in the queue", worker, self.dead_after, requeued)
        finally:
            lock.release()

    def spider_idle(self, spider: Spider) -> None:
        self.idle = True
        self.heartbeat()
        others = {w: s for w, s in self.live_members().items() if w != self.worker}
        if self.scheduler.has_pending_requests():
            self.idle = False
            raise DontCloseSpider  # reaped pages (or another worker's links) arrived
        if any(not state["idle"] for state in others.values()):
            raise DontCloseSpider  # a live worker is still busy and may enqueue more pages

    def spider_closed(self, spider: Spider) -> None:
        if self.loop.running:
            self.loop.stop()
        self.client.hdel(self.members_key, self.worker)
        remaining = self.live_members()
        if not remaining:
            # The last worker out clears the generation: the next crawl starts afresh.
            keys = list(self.client.scan_iter(f"{self.base}:*"))
            if keys:
                self.client.delete(*keys)
            generation_key = f"{self.prefix}:generation"
            if (self.client.get(generation_key) or b"").decode() == self.generation:
                self.client.delete(generation_key)
            log.info("crawl generation %s finished; its queue and dupefilter were cleared",
                     self.generation)
