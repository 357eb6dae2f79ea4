"""When a page leaves the in-flight record of a distributed crawl (crawler.distributed).

A list page is handled once every request its callback yielded is in the shared queue, not
when its response arrives: a worker killed in between would lose the links (an article linked
from that page alone was then never crawled; seen once in CI as a lost original whose mirror
became canonical). Real Redis, real scrapy-redis scheduler, real spider middleware chain input.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.distributed import LINKED_FROM, InflightLinks, InflightScheduler
from tests.support.redis_server import RedisServer

PAGE = "http://www.example.test/list_2.html"


@pytest.fixture
def scheduler(redis_server: RedisServer) -> Any:
    redis_server.flush()
    base = "policy-ingest:test:gen"
    crawler = get_crawler(Spider, {
        "REDIS_URL": redis_server.url(),
        "SCHEDULER_QUEUE_KEY": f"{base}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{base}:%(spider)s:dupefilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "DISTRIBUTED_PREFIX": "policy-ingest:test", "DISTRIBUTED_GENERATION": "gen",
        "DISTRIBUTED_WORKER": "w1",
    })
    spider = Spider.from_crawler(crawler, name="sites")
    crawler.spider = spider
    scheduler = InflightScheduler.from_crawler(crawler)
    scheduler.open(spider)
    # The list page was popped by this worker: it is in flight.
    scheduler.server.hset(scheduler.inflight_key, PAGE, b"request")
    yield scheduler
    scheduler.close("finished")


def in_flight(scheduler: Any) -> set[str]:
    return {key.decode() for key in scheduler.server.hkeys(scheduler.inflight_key)}


def linked(scheduler: Any, url: str) -> Request:
    request = Request(url, meta={LINKED_FROM: PAGE, "kind": "article"})
    scheduler.expect_link(PAGE)
    return request


def test_a_page_is_handled_when_its_last_link_is_queued_not_before(scheduler: Any) -> None:
    first, second = (linked(scheduler, f"http://www.example.test/a/{n}.html") for n in (1, 2))
    assert scheduler.enqueue_request(first)
    scheduler.output_taken(PAGE)  # the callback is done, but one link is not queued yet
    assert PAGE in in_flight(scheduler)
    assert scheduler.enqueue_request(second)
    assert PAGE not in in_flight(scheduler)
    assert len(scheduler) == 2  # both links are in the shared queue
    assert LINKED_FROM not in first.meta  # not stored with the queued request


def test_a_link_dropped_as_seen_counts_as_handled(scheduler: Any) -> None:
    seen = "http://www.example.test/a/9.html"
    assert scheduler.enqueue_request(Request(seen))
    scheduler.output_taken(PAGE)  # no output yet counted: handled at once...
    assert PAGE not in in_flight(scheduler)
    scheduler.server.hset(scheduler.inflight_key, PAGE, b"request")  # ...popped again
    again = linked(scheduler, seen)
    scheduler.output_taken(PAGE)
    assert PAGE in in_flight(scheduler)
    assert not scheduler.enqueue_request(again)  # the dupefilter drops it
    assert PAGE not in in_flight(scheduler)


def test_the_middleware_counts_every_request_of_a_list_page_and_none_of_an_article(scheduler: Any) -> None:
    crawler = scheduler.spider.crawler
    # The engine only hands the middleware this scheduler (no crawl is running here); the
    # whole chain runs in tests/distributed/test_workers.py's crawls.
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(scheduler=scheduler))
    middleware = InflightLinks.from_crawler(crawler)
    links = [Request(f"http://www.example.test/a/{n}.html") for n in range(3)]
    response = HtmlResponse(PAGE, body=b"<html></html>", request=Request(PAGE, meta={"kind": "list"}))
    out = middleware.process_spider_output(response, iter([*links, {"an": "item"}]))
    taken = [next(out) for _ in range(4)]
    assert PAGE in in_flight(scheduler)  # the output is not exhausted yet
    assert list(out) == [] and PAGE in in_flight(scheduler)  # exhausted, nothing queued yet
    for request in taken[:3]:
        assert request.meta[LINKED_FROM] == PAGE
        scheduler.enqueue_request(request)
    assert PAGE not in in_flight(scheduler)
    article = "http://www.example.test/a/7.html"
    scheduler.server.hset(scheduler.inflight_key, article, b"request")
    page = HtmlResponse(article, body=b"<html></html>", request=Request(article, meta={"kind": "article"}))
    assert list(middleware.process_spider_output(page, iter([{"an": "item"}]))) == [{"an": "item"}]
    assert article in in_flight(scheduler)  # an article waits for its item to be stored
