"""Spiders over the site registry: `scrapy crawl sites -a sites=FILE` and `scrapy crawl achie`.

Crawling only: seeds, link following, pagination, multi-page articles and incremental skips.
Fields come from `crawler.extractors`; what happens to an item after it is yielded is the
pipeline's business.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.extractors import ExtractedPage, decode_html, parser_for
from crawler.items import ArticleItem, RawPageRecord, RejectedPageItem, item_from_page
from crawler.registry import Site, load_registry, select_sites
from crawler.spiders.discovery import discover
from pipelines.store_access import store_for

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
# Failures that mean the host could not be reached at all (as opposed to a bad page).
UNREACHABLE = (
    DNSLookupError, ConnectionRefusedError, NoRouteError, TCPTimedOutError, TimeoutError,
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError,
)
_PRIORITY = {"article": 20, "list": 10, "other": 0}


def declared_charset(response: Response) -> Optional[str]:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def looks_like_html(response: Response) -> bool:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if "html" in content_type or "xml" in content_type:
        return True
    if content_type and not content_type.startswith("text/"):
        return False
    head = response.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<meta", b"<body", b"<div", b"<!--"))


class SitesSpider(scrapy.Spider):
    """Crawls every site of a registry file (or the built-in one), or the named sites of it."""

    name = "sites"

    def __init__(self, sites: str | None = None, only: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry_file = sites
        self.only = [n for n in (only or "").split(",") if n]

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "SitesSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler)
        return spider

    # -- set-up ---------------------------------------------------------------------------

    def load_sites(self) -> list[Site]:
        path = self.registry_file or self.settings.get("SITES_FILE")
        return select_sites(load_registry(path), self.only)

    def setup(self, crawler: Any) -> None:
        settings = crawler.settings
        self.site_list = self.load_sites()
        self.sites = {site.name: site for site in self.site_list}
        self.allowed_domains = sorted({d for s in self.site_list for d in s.allowed_domains})
        self.default_max_pages = settings.getint("SITE_MAX_PAGES", 5000)
        self.recheck_after = timedelta(days=settings.getfloat("INCREMENTAL_RECHECK_DAYS", 7))
        self.requested: Counter[str] = Counter()
        self.unchanged: set[str] = set()
        self.parsers = {
            s.name: parser_for(s.name, s.selectors or None, s.parser) for s in self.site_list
        }
        store = store_for(crawler)
        names = list(self.sites)
        self.known = store.known_pages(names)
        self.known_rejected = store.known_rejections(names, ("spam_page", "not_article"))

    # -- scheduling -----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for site in self.site_list:
            for url in site.start_urls:
                request = self.schedule(site, url, "list", force=True)
                if request is not None:
                    yield request

    def start_requests(self) -> Iterator[Request]:  # Scrapy < 2.13
        for site in self.site_list:
            for url in site.start_urls:
                request = self.schedule(site, url, "list", force=True)
                if request is not None:
                    yield request

    def schedule(self, site: Site, url: str, kind: str, force: bool = False) -> Optional[Request]:
        """A request for `url`, or None when the site's cap or the incremental rule says no."""
        stats = self.crawler.stats
        cap = site.max_pages or self.default_max_pages
        if self.requested[site.name] >= cap:
            stats.inc_value(f"site/{site.name}/capped")
            return None
        meta: dict[str, Any] = {"site": site.name, "kind": kind}
        headers: dict[str, str] = {}
        if not force and url in self.known_rejected:
            if url not in self.unchanged:
                self.unchanged.add(url)
                stats.inc_value("incremental/skipped_rejected")
            return None
        known = self.known.get(url)
        if known is not None and not force:
            etag, last_modified, fetched_at = known
            due = self.recheck_after.total_seconds() > 0 and (
                fetched_at is None or _aware(fetched_at) + self.recheck_after < _now()
            )
            if not due:
                if url not in self.unchanged:  # count pages, not the links pointing at them
                    self.unchanged.add(url)
                    stats.inc_value("incremental/unchanged")
                    stats.inc_value(f"incremental/unchanged/{site.name}")
                return None
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            meta["handle_httpstatus_list"] = [304]
            meta["conditional"] = True
        self.requested[site.name] += 1
        return Request(
            url, callback=self.parse, errback=self.on_error, meta=meta, headers=headers,
            priority=_PRIORITY.get(kind, 0),
        )

    # -- parsing --------------------------------------------------------------------------

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        site = self.sites[response.meta["site"]]
        stats = self.crawler.stats
        stats.inc_value(f"site/{site.name}/pages")
        if response.status == 304:
            stats.inc_value("incremental/unchanged")
            stats.inc_value(f"incremental/unchanged/{site.name}")
            return
        if response.status >= 400:
            yield self.rejection(response, site, "http_error", f"HTTP {response.status}")
            return
        if not looks_like_html(response):
            if response.meta["kind"] == "article":
                content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
                yield self.rejection(response, site, "not_html", f"Content-Type {content_type!r}")
            return
        decoded = decode_html(response.body, declared_charset(response))
        page = self.parsers[site.name].parse(decoded.text, response.url)
        page.encoding = decoded.encoding

        is_article = self.is_article(response.url, page, site)
        exclude = set(page.next_pages) if is_article else set()
        for link in discover(decoded.text, response.url, site, exclude=exclude):
            request = self.schedule(site, link.url, link.kind)
            if request is not None:
                yield request

        if is_article:
            if not page.paragraphs:
                yield self.rejection(response, site, "empty_body", "article page without body text")
                return
            item = self.build_item(response, site, page)
            if page.next_pages:
                yield self.next_part(item, site, list(page.next_pages))
            else:
                yield item
        elif response.meta["kind"] == "article":
            yield self.rejection(
                response, site, "not_article",
                f"linked as an article but looks like a {page.page_kind} page "
                f"(score {page.article_score:.2f})",
            )

    def is_article(self, url: str, page: ExtractedPage, site: Site) -> bool:
        if site.article_url_pattern is not None and site.article_url_pattern.search(url):
            # The registry's pattern names article pages; the page still has to hold text.
            return bool(page.paragraphs)
        return page.page_kind == "article"

    def next_part(self, item: ArticleItem, site: Site, remaining: list[str]) -> Request:
        return Request(
            remaining[0], callback=self.parse_part, errback=self.on_part_error,
            meta={"site": site.name, "kind": "article_page", "item": item,
                  "remaining": remaining[1:]},
            priority=_PRIORITY["article"] + 1,
        )

    def parse_part(self, response: Response, **_: Any) -> Iterator[Any]:
        """Page 2..N of a multi-page article: joined to page 1 in order, then yielded."""
        site = self.sites[response.meta["site"]]
        item: ArticleItem = response.meta["item"]
        self.crawler.stats.inc_value(f"site/{site.name}/pages")
        self.crawler.stats.inc_value("crawl/article_parts")
        if response.status < 400 and looks_like_html(response):
            decoded = decode_html(response.body, declared_charset(response))
            part = self.parsers[site.name].parse(decoded.text, response.url)
            item.paragraphs.extend(part.paragraphs)
            part_item = item_from_page(part, site=site.name, fetched_at=item.fetched_at)
            item.raw_pages.append(raw_record(response, _now()))
            item.attachments.extend(a for a in part_item.attachments if a not in item.attachments)
            item.removals.extend(part_item.removals)
        else:
            item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
        remaining: list[str] = response.meta["remaining"]
        if remaining:
            yield self.next_part(item, site, remaining)
        else:
            yield item

    def build_item(self, response: Response, site: Site, page: ExtractedPage) -> ArticleItem:
        page.url = response.url
        fetched_at = _now()
        return item_from_page(
            page, site=site.name, fetched_at=fetched_at, http_status=response.status,
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
            raw_pages=[raw_record(response, fetched_at)],
        )

    # -- failures -------------------------------------------------------------------------

    def rejection(self, response: Response, site: Site, reason: str, detail: str) -> RejectedPageItem:
        self.crawler.stats.inc_value(f"rejected/{reason}")
        return RejectedPageItem(
            url=response.url, site=site.name, reason=reason, detail=detail,
            http_status=response.status, fetched_at=_now(),
        )

    def on_error(self, failure: Failure) -> Iterator[RejectedPageItem]:
        request = failure.request  # type: ignore[attr-defined]
        site_name = request.meta.get("site", "?")
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # Not a failure: robots.txt forbids the page (or a middleware chose to skip it).
            self.crawler.stats.inc_value("crawl/skipped_by_policy")
            self.crawler.stats.inc_value(f"site/{site_name}/skipped_by_policy")
            return
        self.crawler.stats.inc_value("crawl/errors")
        self.crawler.stats.inc_value(f"site/{site_name}/errors")
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            reason, detail = "http_error", f"HTTP {status}"
        else:
            reason, detail = "fetch_error", f"{failure.type.__name__}: {failure.getErrorMessage()}"
            if failure.check(*UNREACHABLE):
                host = urlsplit(request.url).hostname or request.url
                unreachable = self.crawler.stats.get_value("crawl/unreachable_hosts") or {}
                unreachable.setdefault(host, unreachable_reason(failure))
                self.crawler.stats.set_value("crawl/unreachable_hosts", unreachable)
        self.logger.info("could not fetch %s: %s", request.url, detail)
        yield RejectedPageItem(
            url=request.url, site=site_name, reason=reason, detail=detail,
            http_status=status, fetched_at=_now(),
        )

    def on_part_error(self, failure: Failure) -> Iterator[Any]:
        """A later page of an article failed: keep what we have, and say that a part is missing."""
        request = failure.request  # type: ignore[attr-defined]
        item: ArticleItem = request.meta["item"]
        item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
        self.crawler.stats.inc_value("crawl/errors")
        site = self.sites[request.meta["site"]]
        remaining: list[str] = request.meta["remaining"]
        if remaining:
            yield self.next_part(item, site, remaining)
        else:
            yield item


class AchieSpider(SitesSpider):
    """achie.org from the built-in registry (`scrapy crawl achie`)."""

    name = "achie"

    def load_sites(self) -> list[Site]:
        path = self.registry_file or self.settings.get("SITES_FILE")
        return select_sites(load_registry(path), ["achie"])


def raw_record(response: Response, fetched_at: datetime) -> RawPageRecord:
    return RawPageRecord(
        url=response.url, body=response.body, fetched_at=fetched_at,
        content_type=_header(response, b"Content-Type"), http_status=response.status,
        etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
    )


def unreachable_reason(failure: Failure) -> str:
    """A few words for the operator: why the host could not be reached at all."""
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "DNS lookup failed"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    if failure.check(TCPTimedOutError, TimeoutError, DownloadTimeoutError):
        return "timed out"
    return "no route to host"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _header(response: Response, name: bytes) -> Optional[str]:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
