"""Bad pages and bad servers: a real crawl of the hostile web on SQLite and PostgreSQL.

The crawl finishes, the good articles are stored, every page it skips is in `rejected_pages`
with its reason, memory stays bounded, no spider crashes, nothing outside the site and nothing
but http(s) is ever requested.
"""

from __future__ import annotations

from datetime import datetime

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from crawler.spiders.discovery import MAX_LINKS_PER_PAGE
from models import ArticleCopy, CrawlRun, RejectedPage
from tests.reliability.conftest import HostileCrawl
from tests.support.faults import CLOAK_HOST, HOST, OFFSITE_HOST, PAGES, RETRY_AFTER_SECONDS, Page

# Generous: the crawl peaks near 300 MB (a 10 MB body, a 100,000-link page parsed twice).
PEAK_RSS_LIMIT_MB = 600
# Everything the spider may name as the reason for skipping a page (docs/reliability.md).
REASONS = {
    "fetch_error", "timeout", "http_error", "too_large", "not_html", "empty_body", "too_deep",
    "not_article", "redirect_loop", "offsite_redirect", "parse_error", "spam_page",
}


def stored_urls(crawl: HostileCrawl) -> set[str]:
    with crawl.engine.connect() as conn:
        return set(conn.scalars(select(ArticleCopy.url)))


def rejections(crawl: HostileCrawl) -> dict[str, RejectedPage]:
    with crawl.engine.connect() as conn:
        return {row.url: row for row in conn.execute(select(RejectedPage))}


def test_the_crawl_finishes_ok_and_no_spider_crashes(hostile_crawl: HostileCrawl) -> None:
    result = hostile_crawl.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert "Spider error" not in result.stderr
    assert "Error processing" not in result.stderr  # no item lost in the pipeline
    with hostile_crawl.engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    assert run.status == "ok" and run.finished_at is not None


def test_memory_of_the_crawl_process_stays_bounded(hostile_crawl: HostileCrawl) -> None:
    assert 0 < hostile_crawl.result.peak_rss_mb < PEAK_RSS_LIMIT_MB


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_page_is_stored_or_rejected_with_its_reason(hostile_crawl: HostileCrawl, page: Page) -> None:
    stored = stored_urls(hostile_crawl)
    rejected = rejections(hostile_crawl)
    if page.expect == "stored":
        assert page.stored_url in stored, rejected.get(page.url) and rejected[page.url].detail
        assert page.url not in rejected
    elif page.expect == "stored_or_spam_page":
        assert page.url in stored or rejected[page.url].reason == "spam_page"
    else:
        assert page.url not in stored
        row = rejected.get(page.url)
        assert row is not None, f"{page.name} is not recorded"
        assert row.reason == page.expect, row.detail
        assert row.detail
        assert row.site == "hostile"
        if page.status is not None:
            assert row.http_status == page.status


def test_rejection_details_say_what_happened(hostile_crawl: HostileCrawl) -> None:
    rejected = rejections(hostile_crawl)
    by_name = {p.name: rejected[p.url] for p in PAGES if p.url in rejected}
    assert "Retry-After: 120" in by_name["http_503_retry_after"].detail
    assert "not retried: longer than RETRY_AFTER_MAX" in by_name["http_503_retry_after"].detail
    assert "loops" in by_name["redirect_loop"].detail and "/loop/b.html" in by_name["redirect_loop"].detail
    assert OFFSITE_HOST in by_name["redirect_offsite"].detail
    assert CLOAK_HOST in by_name["cloak_user_agent"].detail
    assert "ARTICLE_MAX_CHARS" in by_name["long_text"].detail
    assert "binary" in by_name["binary_png"].detail
    assert {r.reason for r in rejected.values()} <= REASONS


def test_retries_are_bounded(hostile_crawl: HostileCrawl) -> None:
    counts: dict[str, int] = {}
    for entry in hostile_crawl.log:
        counts[entry.path] = counts.get(entry.path, 0) + 1
    for page in PAGES:
        # One fetch, plus one retry (RETRY_TIMES=1) for 5xx, timeouts and resets; Twisted's
        # connection pool itself repeats a request once when a reused connection is reset.
        limit = 4 if page.name == "connection_reset" else 2
        assert counts.get(page.path, 0) <= limit, page.name


def test_nothing_but_the_site_over_http_is_requested(hostile_crawl: HostileCrawl) -> None:
    assert {entry.host for entry in hostile_crawl.log} == {HOST}
    for entry in hostile_crawl.log:
        low = entry.path.lower()
        for marker in ("script:", "data:", "mailto:", "tel:", "about:", "file:", "blob:", "alert(", "msgbox"):
            assert marker not in low, entry.path
        assert entry.absolute_uri  # every request went through the proxy, none elsewhere
    for url in rejections(hostile_crawl):
        assert urlsplit(url).scheme == "http" and urlsplit(url).hostname == HOST, url


def test_offsite_and_cloaking_redirects_are_not_followed(hostile_crawl: HostileCrawl) -> None:
    hosts = {entry.host for entry in hostile_crawl.log}
    assert OFFSITE_HOST not in hosts and CLOAK_HOST not in hosts
    # the on-site redirect was followed and its target stored under its own URL
    moved = next(p for p in PAGES if p.name == "moved")
    assert moved.stored_url in stored_urls(hostile_crawl)


def test_a_link_farm_costs_at_most_the_link_cap_and_the_site_cap(hostile_crawl: HostileCrawl) -> None:
    farm = [e for e in hostile_crawl.log if e.path.startswith("/farm/")]
    assert 0 < len(farm) <= min(MAX_LINKS_PER_PAGE, 200)  # 200: max_pages of the registry
    with hostile_crawl.engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    stages = run.stats["stages"]
    assert stages.get("crawl/links_capped") == 1


def test_bad_values_on_a_crawled_page_are_stored_cleanly(hostile_crawl: HostileCrawl) -> None:
    from models import Article

    page = next(p for p in PAGES if p.name == "bad_values")
    with hostile_crawl.engine.connect() as conn:
        article = conn.execute(select(Article).where(Article.url == page.url)).one()
    assert article.title and len(article.title) <= 500
    # The page says 2999-01-01, which is no date; the URL's day (/a/2025/1001/) stands in.
    assert (article.published_at, article.published_at_source) == (datetime(2025, 10, 1), "url")
    for text in (article.title, article.body_text, article.body_html):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text[:200])
        assert not any("\ud800" <= c <= "\udfff" for c in text)
        assert "\u202e" not in text and "\u200f" not in text  # bidi overrides spoof text


def requests_for(crawl: HostileCrawl, name: str) -> list:
    (page,) = [p for p in PAGES if p.name == name]
    return [r for r in crawl.log if r.host == HOST and r.path == page.path]


def test_a_retry_waits_for_the_servers_retry_after_and_so_does_the_host(hostile_crawl: HostileCrawl) -> None:
    # The page answers 503 "Retry-After: 1" to a retry that comes sooner: stored only if waited.
    busy, retry = requests_for(hostile_crawl, "http_503_retry_after_1s")
    assert (busy.status, retry.status) == (503, 200)
    assert retry.received_at - busy.received_at >= RETRY_AFTER_SECONDS
    # The whole host is left alone, not only the page (requests already on their way when the
    # 503 came back arrive within milliseconds; half a second is the margin for a busy machine).
    quiet_from, quiet_to = busy.received_at + 0.5, busy.received_at + RETRY_AFTER_SECONDS - 0.05
    assert not [r.path for r in hostile_crawl.log if r.host == HOST and quiet_from < r.received_at < quiet_to]
    assert any(r.received_at >= quiet_to for r in hostile_crawl.log if r.host == HOST and r is not retry)


def test_a_retry_after_longer_than_the_maximum_is_not_retried(hostile_crawl: HostileCrawl) -> None:
    # "Retry-After: 120" (RETRY_AFTER_MAX is 60 s): asked once, recorded, the host not held.
    assert [r.status for r in requests_for(hostile_crawl, "http_503_retry_after")] == [503]
