"""AutoThrottle that recovers: a host's delay comes down again on answers that are not 200.

Scrapy's AutoThrottle raises a host's download delay after a slow response and lowers it only on
`200` answers: error pages are small and fast, and an overloaded server answering 503 quickly
must not speed the crawl up. But a site whose one slow page (25 s) is followed by pages that
answer 404, or a re-run whose pages answer 304 Not Modified, then stays at the slow page's delay
for the rest of the run: 4 pages a minute where it could do 100.

`ThrottleRecovery` applies AutoThrottle's own rule (halfway to latency / target concurrency,
never below `DOWNLOAD_DELAY`) to the answers that say the server is well and quick — 304, 404
and 410 — after AutoThrottle has seen them. 5xx and 429 still never lower a delay, and nothing
here raises one: politeness toward a struggling server is AutoThrottle's, unchanged.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

#: Answers of a server that is up: the page is unchanged, or not there.
RECOVERING_STATUSES = frozenset({304, 404, 410})


class ThrottleRecovery:
    """Lowers a host's AutoThrottle delay on quick 304/404/410 answers (module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("AUTOTHROTTLE_ENABLED") or not settings.getbool(
            "THROTTLE_RECOVERY_ENABLED", True
        ):
            raise NotConfigured("AutoThrottle or THROTTLE_RECOVERY_ENABLED is off")
        self.crawler = crawler
        self.target_concurrency = settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY")
        self.min_delay = settings.getfloat("DOWNLOAD_DELAY")
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ThrottleRecovery:
        return cls(crawler)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        latency = request.meta.get("download_latency")
        key = request.meta.get("download_slot")
        if response.status not in RECOVERING_STATUSES or latency is None or key is None:
            return
        if request.meta.get("autothrottle_dont_adjust_delay") is True:
            return
        engine: Any = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is None:
            return
        target = latency / self.target_concurrency
        lowered = max(target, (slot.delay + target) / 2.0, self.min_delay)
        if lowered < slot.delay:
            slot.delay = lowered
            self.crawler.stats.inc_value("throttle/recovered")
