"""Reading Retry-After (crawler.middlewares); the crawl that honours it is the hostile web's
(tests/reliability/test_bad_pages.py: a page busy for a second, a host left alone meanwhile,
a two-minute wait not retried)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from crawler.middlewares import parse_retry_after
from crawler.settings import DOWNLOADER_MIDDLEWARES, RETRY_AFTER_MAX

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),  # IMF-fixdate
        ("Saturday, 28-Nov-26 12:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Sat Nov 28 12:00:10 2026", 10.0),  # asctime form, no zone: GMT
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # already past
    ],
)
def test_delta_seconds_and_http_dates(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "12 s", "Sat, 99 Foo 2026"])
def test_what_is_neither_is_ignored(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_the_middleware_runs_before_the_retry_and_has_a_bounded_wait() -> None:
    # Responses go through downloader middlewares from the highest order number down: ours must
    # see a 503 before Scrapy's RetryMiddleware (550) sends the retry.
    assert DOWNLOADER_MIDDLEWARES["crawler.middlewares.RetryAfterMiddleware"] > 550
    assert 0 < RETRY_AFTER_MAX <= 300  # a scheduled crawl does not sit out a maintenance window
