"""Downloader middlewares: honouring a server's Retry-After (429 Too Many Requests, 503).

Scrapy's RetryMiddleware retries a 429 or 503 at once, whatever the server asked. A portal
that answers "503, Retry-After: 30" while it is overloaded, or "429, Retry-After: 5" when we
ask too fast, then sees the same request again within milliseconds, which is what gets a
crawler banned. `RetryAfterMiddleware` reads the header first:

* a wait of at most `RETRY_AFTER_MAX` seconds pauses the whole host (its download slot): no
  request to it leaves before the time is up, the retry included;
* a longer wait (a maintenance window: "Retry-After: 3600") is not waited for in this run: the
  request is not retried, and the spider records the page as `http_error` with the header and
  the reason in its detail, so the next scheduled crawl fetches it again;
* a header that is neither delta-seconds nor an HTTP date is ignored (Scrapy's retry applies).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Optional

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import call_later

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})
# request.meta key set on a request whose Retry-After asked for more than RETRY_AFTER_MAX: the
# wait it asked for, in seconds (read by the spider for the rejection's detail).
REFUSED_WAIT = "retry_after_refused_s"


def parse_retry_after(value: str, now: datetime) -> Optional[float]:
    """Seconds to wait from `now` (aware) for a Retry-After value: delta-seconds or an HTTP
    date (RFC 9110 §10.2.3); a date in the past is 0. None when it is neither."""
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; obsolete forms may not say so
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware:
    """Pauses a host for the Retry-After of its 429/503 answers (see the module docstring).

    Runs before RetryMiddleware sees the response (a higher order number: responses go through
    the downloader middlewares from the highest number down).
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_AFTER_ENABLED", True):
            raise NotConfigured("RETRY_AFTER_ENABLED is off")
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)
        self.crawler = crawler
        self._paused_until: dict[str, float] = {}  # slot key -> monotonic time

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RETRY_AFTER_STATUSES:
            return response
        header = response.headers.get(b"Retry-After")
        if not header:
            return response
        value = header.decode("latin-1")
        wait = parse_retry_after(value, datetime.now(timezone.utc))
        stats = self.crawler.stats
        if wait is None:
            stats.inc_value("retry_after/unreadable")
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True
            request.meta[REFUSED_WAIT] = wait
            stats.inc_value("retry_after/not_waited")
            return response
        if self._pause(request, wait):
            logger.info("%s answered %d with Retry-After: %s; no request to it for %.1f s",
                        response.url, response.status, value[:100], wait)
            stats.inc_value("retry_after/paused")
        return response

    def _pause(self, request: Request, wait: float) -> bool:
        """No request of `request`'s download slot leaves in the next `wait` seconds; False
        when the slot is already held at least that long (or there is nothing to hold)."""
        engine = self.crawler.engine
        if engine is None or wait <= 0:
            return False
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        until = monotonic() + wait
        if slot is None or until <= self._paused_until.get(key, 0.0):
            return False
        self._paused_until[key] = until
        # The downloader sends nothing from a slot while its `latercall` is pending (that is how
        # it keeps DOWNLOAD_DELAY), and `_latercall` clears it and sends what is queued. So a
        # pending call of ours, replacing any shorter one, holds the host for `wait` seconds
        # whatever the delay settings (the hostile-web crawl of tests/reliability goes through it).
        if slot.latercall is not None:
            slot.latercall.cancel()
        slot.latercall = call_later(wait, downloader._latercall, slot)
        return True
