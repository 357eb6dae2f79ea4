"""Spiders over the site registry: `scrapy crawl sites -a sites=FILE` and `scrapy crawl achie`.

Crawling only: seeds, link following, pagination, multi-page articles and incremental skips.
Fields come from `crawler.extractors`; what happens to an item after it is yielded is the
pipeline's business.

Pagination steps and redirects keep the depth of the page they come from (`SAME_DEPTH` in a
request's meta, read by `crawler.depth.PaginationDepthMiddleware`), so a column is walked to its
last page however deep it runs; other links past `DEPTH_LIMIT` are never scheduled. A site's first crawl (or `crawl --full`, or `backfill = true` in
the registry) follows every step of every list; once a crawl of the site has finished without
reaching its page cap, a run follows only a list's next page, and only from a list page that
links to an article not yet stored: a daily run of a 300-page column fetches a page or two.

Every page that is fetched (or tried) and not turned into an article is yielded as a
`RejectedPageItem` with a reason; docs/reliability.md says what each reason means, with its test.

Redirects are followed by the spider itself (not by Scrapy's middleware), so that a redirect
off the site, into a loop or to a cloaking target is recorded with its reason instead of
disappearing in the dupefilter or the offsite filter.

After an article is yielded, the files it links are requested (`attachment_requests`) through
the same downloader, below pages in priority, within the caps of crawler/settings.py; each ends
as an `AttachmentItem`: the bytes, a 304, or why there is no file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.extractors import (
    ExtractedPage, charset_of_content_type, decode_html, parse_html, parser_for,
)
from crawler.depth import SAME_DEPTH, too_deep
from crawler.extractors.urls import safe_urljoin
from crawler.items import item_from_page
from crawler.middlewares import REFUSED_WAIT
from crawler.registry import Site, load_registry, select_sites
from crawler.spiders.discovery import (
    MAX_LINKS_PER_PAGE, MAX_URL_LENGTH, Link, Links, classify_link, discover, page_links,
)
from crawler.spiders.pagination import list_pages, pager_scripts
from crawler.spiders.sitemaps import read_sitemap, robots_sitemaps
from pipelines.attachments.results import FAILED, SKIPPED, TOO_LARGE
from pipelines.hosts import registered_domain
from pipelines.items import ArticleItem, AttachmentItem, RawPageRecord, RejectedPageItem
from pipelines.store import as_utc, utcnow
from pipelines.store_access import store_for

# Failures that mean the host could not be reached at all (as opposed to a bad page).
UNREACHABLE = (
    DNSLookupError, ConnectionRefusedError, NoRouteError, TCPTimedOutError, TimeoutError,
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError,
)
TIMEOUTS = (DownloadTimeoutError, TimeoutError, TCPTimedOutError)
REDIRECT_CODES = (301, 302, 303, 307, 308)
# Article text (characters, all parts together) above which a page is rejected as too_large:
# twice the longest real policy documents (a five-year plan runs to ~100,000 characters), and a
# bound on what cleaning and MinHash do for one page. Setting: ARTICLE_MAX_CHARS.
ARTICLE_MAX_CHARS = 200_000
# A response with fewer bytes than this (whitespace aside) holds no page: empty_body.
MIN_BODY_BYTES = 32
# Validators longer than their store columns are junk; they are dropped, not stored.
_HEADER_LIMITS = {b"ETag": 255, b"Last-Modified": 64}
_PRIORITY = {"article": 20, "list": 10, "other": 0, "attachment": -10}
# Statuses an attachment's callback sees itself (recorded with the file's row); redirects are
# followed by Scrapy's middleware.
_ATTACHMENT_STATUSES = [304, 400, 401, 403, 404, 410, 429, 500, 502, 503, 504]
_MAXSIZE_RE = re.compile(r"(?:Expected to receive|Received) (\d+) bytes")
# Requests for link sources rather than pages: a site's robots.txt (for its Sitemap: lines) and
# its sitemaps. Missing ones are no rejected pages: most sites have none.
_SITEMAP_KINDS = ("robots", "sitemap")
# Magic numbers of binary formats that servers send as text/html.
_BINARY_MAGIC = (
    b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"Rar!",
    b"7z\xbc\xaf", b"\x00\x00\x01\x00", b"\xd0\xcf\x11\xe0", b"\x7fELF",
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


def declared_charset(response: Response) -> Optional[str]:
    return charset_of_content_type(response.headers.get(b"Content-Type", b"").decode("latin-1"))


def looks_binary(body: bytes) -> bool:
    """True for bytes that are no text page whatever the Content-Type says (images, archives,
    executables, random data): a known magic number, or control bytes that text never holds."""
    if body.startswith(_TEXT_BOMS):
        return False
    if body.startswith(_BINARY_MAGIC):
        return True
    head = body[:1024]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > 0.02 * len(head)


def looks_like_html(response: Response) -> bool:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if looks_binary(response.body):
        return False
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

    def setup(self, crawler: Any) -> None:
        settings = crawler.settings
        registry = load_registry(self.registry_file or settings.get("SITES_FILE"))
        self.site_list = select_sites(registry, self.only)
        self.sites = {site.name: site for site in self.site_list}
        self.allowed_domains = sorted({d for s in self.site_list for d in s.allowed_domains})
        self.default_max_pages = settings.getint("SITE_MAX_PAGES", 5000)
        self.article_max_chars = settings.getint("ARTICLE_MAX_CHARS", ARTICLE_MAX_CHARS)
        self.max_links = settings.getint("PAGE_MAX_LINKS", MAX_LINKS_PER_PAGE)
        self.max_redirects = settings.getint("REDIRECT_MAX_TIMES", 5)
        self.depth_limit = settings.getint("DEPTH_LIMIT")
        # Statuses the callbacks see themselves: the allowed error codes (recorded with their
        # status) and redirects (followed here, see follow_redirect).
        allowed = {int(code) for code in settings.getlist("HTTPERROR_ALLOWED_CODES")}
        self.handled_statuses = sorted(allowed | set(REDIRECT_CODES))
        self.recheck_after = timedelta(days=settings.getfloat("INCREMENTAL_RECHECK_DAYS", 7))
        self.requested: Counter[str] = Counter()
        self.unchanged: set[str] = set()
        self.scheduled: set[str] = set()  # URLs this process asked for (a bounded crawl's frontier)
        self.parsers = {
            s.name: parser_for(s.name, s.selectors or None, s.parser) for s in self.site_list
        }
        store = store_for(crawler)
        names = list(self.sites)
        self.known = store.known_pages(names)
        self.known_rejected = store.known_rejections(names, ("spam_page", "not_article"))
        # Sites whose lists are walked to the end in this run: never crawled to completion
        # before, asked for (`crawl --full`), or always (`backfill = true`).
        walked = set() if settings.getbool("CRAWL_FULL") else store.walked_sites(names)
        self.walk_all = {s.name for s in self.site_list if s.backfill or s.name not in walked}
        # Attached files: caps, and what the store holds of their URLs.
        self.files_enabled = settings.getbool("ATTACHMENTS_ENABLED", True)
        self.file_max_bytes = settings.getint("ATTACHMENT_MAX_BYTES", 50 * 1024 * 1024)
        self.files_per_article = settings.getint("ATTACHMENTS_PER_ARTICLE", 20)
        self.files_per_run = settings.getint("ATTACHMENTS_PER_RUN", 5000)
        self.files_requested = 0
        self.file_urls: set[str] = set()  # attachment URLs this process has dealt with
        self.known_files = store.known_attachments(names) if self.files_enabled else {}

    # -- scheduling -----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request | AttachmentItem]:
        for site in self.site_list:
            for url in site.start_urls:
                request = self.schedule(site, url, "list", force=True)
                if request is not None:
                    yield request
        # Sitemaps, where a site has them: at its root, and as robots.txt names them.
        for site in self.site_list:
            for origin in dict.fromkeys(_origin(url) for url in site.start_urls):
                for url, kind in ((f"{origin}/robots.txt", "robots"), (f"{origin}/sitemap.xml", "sitemap")):
                    request = self.schedule(site, url, kind, force=True)
                    if request is not None:
                        yield request
        for request_or_record in self.file_rechecks():
            yield request_or_record

    def schedule(
        self, site: Site, url: str, kind: str, force: bool = False,
        redirect_chain: tuple[str, ...] = (), same_depth: bool = False,
    ) -> Optional[Request]:
        """A request for `url`, or None when the site's cap or the incremental rule says no."""
        stats = self.crawler.stats
        if url in self.scheduled:
            # Scheduled before by this process: the dupefilter would drop it anyway, and it must
            # not count twice against the site's cap (nav links repeat on every page).
            return None
        cap = site.max_pages or self.default_max_pages
        # A redirect's target is the page counted under the URL that was linked, not one more
        # (else a moved article is lost whenever the links seen first have used the cap up).
        if not redirect_chain and self.requested[site.name] >= cap:
            stats.inc_value(f"site/{site.name}/capped")
            return None
        meta: dict[str, Any] = {
            "site": site.name, "kind": kind, "dont_redirect": True,
            "handle_httpstatus_list": list(self.handled_statuses),
        }
        if redirect_chain:
            meta["redirect_chain"] = redirect_chain
        if same_depth or redirect_chain:
            meta[SAME_DEPTH] = True
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
                fetched_at is None or as_utc(fetched_at) + self.recheck_after < utcnow()
            )
            if not due:
                if url not in self.unchanged:  # count pages, not the links pointing at them
                    self.unchanged.add(url)
                    self.count_unchanged(site)
                return None
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            meta["handle_httpstatus_list"] = [*self.handled_statuses, 304]
            meta["conditional"] = True
        if not redirect_chain:
            self.requested[site.name] += 1
        self.scheduled.add(url)
        return Request(
            url, callback=self.parse_sitemap if kind in _SITEMAP_KINDS else self.parse,
            errback=self.on_sitemap_error if kind in _SITEMAP_KINDS else self.on_error,
            meta=meta, headers=headers,
            priority=_PRIORITY.get(kind, 0),
        )

    # -- parsing --------------------------------------------------------------------------

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        site = self.sites[response.meta["site"]]
        try:
            yield from self.read_page(response, site)
        except Exception as exc:  # noqa: BLE001 - one odd page must not stop a site's crawl
            self.logger.warning("could not read %s: %s: %s", response.url, type(exc).__name__, exc)
            yield self.rejection(response, site, "parse_error", f"{type(exc).__name__}: {exc}")

    def read_page(self, response: Response, site: Site) -> Iterator[Any]:
        stats = self.crawler.stats
        stats.inc_value(f"site/{site.name}/pages")
        if response.status == 304:
            self.count_unchanged(site)
            return
        if response.status in REDIRECT_CODES:
            yield from self.follow_redirect(response, site)
            return
        if response.status >= 400:
            yield self.rejection(response, site, "http_error", http_error_detail(response))
            return
        if len(response.body.strip()) < MIN_BODY_BYTES:
            yield self.rejection(response, site, "empty_body", f"{len(response.body)} bytes served")
            return
        if not looks_like_html(response):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            what = "binary bytes served as" if looks_binary(response.body) else "Content-Type"
            yield self.rejection(response, site, "not_html", f"{what} {content_type!r}")
            return
        decoded = decode_html(response.body, declared_charset(response))
        # One parse serves both: the anchors and pager scripts are read before the extractor
        # edits the tree.
        root, parse_limit = parse_html(decoded.text)
        anchors = page_links(root, response.url, self.max_links)
        scripts = pager_scripts(root)
        page = self.parsers[site.name].parse_tree(root, response.url, parse_limit=parse_limit)
        page.encoding = decoded.encoding

        is_article = self.is_article(response.url, page, site)
        links = discover(anchors, site, exclude=set(page.next_pages) if is_article else set())
        if links.capped:
            stats.inc_value("crawl/links_capped")
            self.logger.info("%s: only the first %d links considered", response.url, self.max_links)
        steps: set[str] = set()
        if not is_article:
            links, steps = self.paginate(response.url, site, links, anchors, scripts)
        deep = too_deep(response.meta.get("depth", 0), self.depth_limit)
        for link in links:
            step = link.url in steps
            if deep and not step:
                stats.inc_value("crawl/links_too_deep")
                continue
            request = self.schedule(site, link.url, link.kind, same_depth=step)
            if request is not None:
                yield request
        if not is_article:
            refresh = self.meta_refresh(page, site)
            if refresh is not None:
                yield refresh

        if is_article:
            if not page.paragraphs:
                yield self.rejection(response, site, "empty_body", "article page without body text")
                return
            chars = sum(len(p) for p in page.paragraphs)
            if chars > self.article_max_chars:
                yield self.rejection(
                    response, site, "too_large",
                    f"article text of {chars} characters (ARTICLE_MAX_CHARS {self.article_max_chars})",
                )
                return
            yield from self.with_files(
                self.next_part(self.build_item(response, site, page), site, list(page.next_pages)),
                site,
            )
        elif response.meta["kind"] == "article":
            if page.signals.get("parse_limit"):
                yield self.rejection(
                    response, site, "too_deep",
                    f"the HTML parser dropped the content: {page.signals['parse_limit']}",
                )
                return
            yield self.rejection(
                response, site, "not_article",
                f"linked as an article but looks like a {page.page_kind} page "
                f"(score {page.article_score:.2f})",
            )

    def paginate(
        self, url: str, site: Site, links: Links, anchors: list[tuple[str, str]], scripts: str
    ) -> tuple[Links, set[str]]:
        """The links of a list page to follow, and which of them are steps of its list.

        Walking the site's lists to the end, every step is followed (pages a script writes
        included). Otherwise only the next page, and only when this page links to an article
        that is not stored yet.
        """
        pages = list_pages(url, anchors, scripts)
        if not pages.steps:
            return links, set()
        steps = set(pages.steps)
        if site.name in self.walk_all:
            followed = {link.url for link in links}
            extra = [Link(u, "", "list") for u in pages.steps if u not in followed and site.allows(u)]
            more = Links([*links, *extra])
            more.capped = links.capped
            return more, steps
        kept = Links(link for link in links if link.url not in steps)
        kept.capped = links.capped
        if pages.next_page is None or not any(
            link.kind == "article" and link.url not in self.known
            and link.url not in self.known_rejected
            for link in links
        ):
            self.crawler.stats.inc_value("incremental/paging_stopped")
            self.crawler.stats.inc_value(f"incremental/paging_stopped/{site.name}")
            return kept, set()
        if site.allows(pages.next_page):
            kept.append(Link(pages.next_page, "", "list"))
        return kept, {pages.next_page}

    def parse_sitemap(self, response: Response, **_: Any) -> Iterator[Request]:
        """A robots.txt (its `Sitemap:` lines) or a sitemap: the pages and sitemaps it names."""
        site = self.sites[response.meta["site"]]
        stats = self.crawler.stats
        if response.status != 200:
            stats.inc_value(f"sitemap/{response.meta['kind']}_missing")
            return
        if response.meta["kind"] == "robots":
            for url in robots_sitemaps(response.body):
                if site.allows(url) and len(url) <= MAX_URL_LENGTH:
                    request = self.schedule(site, url, "sitemap")
                    if request is not None:
                        yield request
            return
        found = read_sitemap(response.body)
        stats.inc_value("sitemap/read")
        for url in found.sitemaps:
            if site.allows(url) and len(url) <= MAX_URL_LENGTH:
                request = self.schedule(site, url, "sitemap")
                if request is not None:
                    yield request
        for url in found.pages:
            kind = classify_link(url, "", site) if len(url) <= MAX_URL_LENGTH else None
            if kind is None:
                continue
            stats.inc_value("sitemap/pages")
            request = self.schedule(site, url, kind)
            if request is not None:
                yield request

    def on_sitemap_error(self, failure: Failure) -> None:
        """A robots.txt or sitemap that could not be fetched: counted, nothing else."""
        self.crawler.stats.inc_value("sitemap/errors")

    def follow_redirect(self, response: Response, site: Site) -> Iterator[Any]:
        """Follow a redirect within the site; record one that leaves it, loops or runs too long.

        The record is made for the first URL of the chain: the one that was linked.
        """
        chain = (*response.meta.get("redirect_chain", ()), response.url)
        origin = chain[0]
        location = response.headers.get(b"Location")
        if not location:
            yield self.rejection(
                response, site, "http_error", f"HTTP {response.status} without Location", url=origin
            )
            return
        raw_target = location.decode("latin-1").strip()
        target = safe_urljoin(response.url, raw_target)
        if target is None or len(target) > MAX_URL_LENGTH:
            yield self.rejection(
                response, site, "offsite_redirect",
                f"HTTP {response.status} to a non-http(s) or unusable URL {raw_target[:200]!r}",
                url=origin,
            )
            return
        if not site.allows(target):
            yield self.rejection(
                response, site, "offsite_redirect", f"HTTP {response.status} to {target[:500]}",
                url=origin,
            )
            return
        if target in chain or len(chain) > self.max_redirects:
            hops = " -> ".join((*chain, target))
            why = "loops" if target in chain else f"exceeds REDIRECT_MAX_TIMES {self.max_redirects}"
            yield self.rejection(
                response, site, "redirect_loop", f"redirect chain {why}: {hops}"[:2000], url=origin
            )
            return
        self.crawler.stats.inc_value("crawl/redirects_followed")
        request = self.schedule(site, target, response.meta["kind"], redirect_chain=chain)
        if request is not None:
            yield request

    def meta_refresh(self, page: ExtractedPage, site: Site) -> Optional[Request]:
        """A <meta http-equiv=refresh> is followed like a link when it stays on the site."""
        target = page.signals.get("meta_refresh")
        if not isinstance(target, str):
            return None
        if not site.allows(target) or len(target) > MAX_URL_LENGTH:
            self.crawler.stats.inc_value("crawl/offsite_refresh_ignored")
            return None
        return self.schedule(site, target, "other", same_depth=True)  # a redirect, not a hop

    def count_unchanged(self, site: Site) -> None:
        self.crawler.stats.inc_value("incremental/unchanged")
        self.crawler.stats.inc_value(f"incremental/unchanged/{site.name}")

    def is_article(self, url: str, page: ExtractedPage, site: Site) -> bool:
        if site.article_url_pattern is not None and site.article_url_pattern.search(url):
            # The registry's pattern names article pages; the page still has to hold text.
            return bool(page.paragraphs)
        return page.page_kind == "article"

    def next_part(
        self, item: ArticleItem, site: Site, remaining: list[str]
    ) -> Request | ArticleItem:
        """The request for the article's next page, or the item when no page is left."""
        if not remaining:
            return item
        # Never filtered as a duplicate: the item travels with the request, and would be lost
        # (two articles can name the same URL as a page).
        return Request(
            remaining[0], callback=self.parse_part, errback=self.on_part_error,
            meta={"site": site.name, "kind": "article_page", "item": item,
                  "remaining": remaining[1:]},
            priority=_PRIORITY["article"] + 1, dont_filter=True,
        )

    def parse_part(self, response: Response, **_: Any) -> Iterator[Any]:
        """Page 2..N of a multi-page article: joined to page 1 in order, then yielded."""
        site = self.sites[response.meta["site"]]
        item: ArticleItem = response.meta["item"]
        self.crawler.stats.inc_value(f"site/{site.name}/pages")
        self.crawler.stats.inc_value("crawl/article_parts")
        if response.status < 300 and looks_like_html(response):
            decoded = decode_html(response.body, declared_charset(response))
            part = self.parsers[site.name].parse(decoded.text, response.url)
            if sum(map(len, item.paragraphs)) + sum(map(len, part.paragraphs)) > self.article_max_chars:
                # The work per article is bounded: parts past ARTICLE_MAX_CHARS are left out.
                item.signals["parts_too_large"] = 1 + int(item.signals.get("parts_too_large", 0))
                part.paragraphs = []
            item.add_part(item_from_page(part, site=site.name, fetched_at=item.fetched_at))
            item.raw_pages.append(raw_record(response, utcnow()))
        else:
            item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
        yield from self.with_files(self.next_part(item, site, response.meta["remaining"]), site)

    def build_item(self, response: Response, site: Site, page: ExtractedPage) -> ArticleItem:
        page.url = response.url
        fetched_at = utcnow()
        return item_from_page(
            page, site=site.name, fetched_at=fetched_at, http_status=response.status,
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
            raw_pages=[raw_record(response, fetched_at)],
        )

    # -- failures -------------------------------------------------------------------------

    def rejection(
        self, response: Response, site: Site, reason: str, detail: str, url: Optional[str] = None
    ) -> RejectedPageItem:
        self.crawler.stats.inc_value(f"rejected/{reason}")
        return RejectedPageItem(
            url=url or response.url, site=site.name, reason=reason, detail=detail,
            http_status=response.status, fetched_at=utcnow(),
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
        message = failure.getErrorMessage()
        if failure.check(HttpError):
            status = failure.value.response.status
            reason, detail = "http_error", http_error_detail(failure.value.response)
        elif failure.check(DownloadCancelledError, CancelledError) and (
            "max size" in message or "maxsize" in message or not message
        ):
            # DOWNLOAD_MAXSIZE: Scrapy cancels the download (before the body when the size is
            # announced, as soon as the limit is passed when it is not).
            reason, detail = "too_large", message or "download cancelled at DOWNLOAD_MAXSIZE"
        else:
            reason = "timeout" if failure.check(*TIMEOUTS) else "fetch_error"
            detail = f"{failure.type.__name__}: {message}"
            if failure.check(*UNREACHABLE):
                host = urlsplit(request.url).hostname or request.url
                unreachable = self.crawler.stats.get_value("crawl/unreachable_hosts") or {}
                unreachable.setdefault(host, unreachable_reason(failure))
                self.crawler.stats.set_value("crawl/unreachable_hosts", unreachable)
        self.logger.info("could not fetch %s: %s", request.url, detail)
        yield RejectedPageItem(
            url=request.url, site=site_name, reason=reason, detail=detail,
            http_status=status, fetched_at=utcnow(),
        )

    def on_part_error(self, failure: Failure) -> Iterator[Any]:
        """A later page of an article failed: keep what we have, and say that a part is missing."""
        request = failure.request  # type: ignore[attr-defined]
        item: ArticleItem = request.meta["item"]
        item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
        self.crawler.stats.inc_value("crawl/errors")
        site = self.sites[request.meta["site"]]
        yield from self.with_files(self.next_part(item, site, request.meta["remaining"]), site)

    # -- attached files -------------------------------------------------------------------

    def with_files(self, result: Request | ArticleItem, site: Site) -> Iterator[Any]:
        """`result` (the article's next page, or the finished article), then the requests for
        the finished article's files."""
        yield result
        if isinstance(result, ArticleItem) and self.files_enabled:
            yield from self.attachment_requests(result, site)

    def attachment_requests(self, item: ArticleItem, site: Site) -> Iterator[Request | AttachmentItem]:
        """Requests for the files an article links, within the caps and the incremental rule;
        an `AttachmentItem` saying why for a file on a host outside the site."""
        stats = self.crawler.stats
        for position, link in enumerate(item.attachments):
            url = link.get("url") or ""
            if position >= self.files_per_article:
                stats.inc_value("attachments/capped_per_article", len(item.attachments) - position)
                return
            if url in self.file_urls or not url.startswith(("http://", "https://")):
                continue
            self.file_urls.add(url)
            title = link.get("title") or None
            if not attachment_host_allowed(site, url):
                yield self.offsite_file(site, url, title, item.url)
                continue
            known = self.known_files.get(url)
            if known is not None and known.settled:
                # Stored, or failed for good: re-checked when due (`file_rechecks`), not here.
                stats.inc_value("attachments/stored_skipped")
                continue
            request = self.file_request(site, url, title, item.url)
            if request is not None:
                yield request

    def file_rechecks(self) -> Iterator[Request | AttachmentItem]:
        """Requests for the files of the crawl's sites known from earlier runs, at the start of a
        run, without waiting for their article (an unchanged article page is not fetched again):
        a URL that failed for a passing reason (a fetch error, a 5xx) on every run until it
        answers; a link never fetched (left out by a cap, or made by `reprocess`); a stored file (or a lasting failure) fetched longer than INCREMENTAL_RECHECK_DAYS
        ago with a conditional request, whose 304 keeps the file."""
        if not self.files_enabled:
            return
        recheck = self.recheck_after.total_seconds() > 0
        stale = utcnow() - self.recheck_after
        for url, known in self.known_files.items():
            if known.settled and not (recheck and (
                known.fetched_at is None or as_utc(known.fetched_at) < stale
            )):
                continue
            site = self.sites.get(known.site)
            if site is None or url in self.file_urls:
                continue
            self.file_urls.add(url)
            if not attachment_host_allowed(site, url):
                if known.fetched_at is None:  # a link never looked at: say why it is not fetched
                    yield self.offsite_file(site, url, known.link_text, None)
                continue
            headers = {}
            if known.stored and known.etag:
                headers["If-None-Match"] = known.etag
            if known.stored and known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
            request = self.file_request(site, url, known.link_text, None, headers)
            if request is not None:
                self.crawler.stats.inc_value(
                    "attachments/rechecked" if known.settled
                    else "attachments/retried" if known.fetched_at is not None
                    else "attachments/pending")
                yield request

    def offsite_file(self, site: Site, url: str, link_text: Optional[str],
                     article_url: Optional[str]) -> AttachmentItem:
        """The record of a file on a host outside the site: never requested."""
        self.crawler.stats.inc_value("attachments/offsite")
        return AttachmentItem(
            url=url, site=site.name, fetched_at=utcnow(), article_url=article_url,
            link_text=link_text, status=SKIPPED,
            reason=f"host {urlsplit(url).hostname} is outside the site's domains "
                   f"({', '.join(site.allowed_domains)})",
        )

    def file_request(
        self, site: Site, url: str, link_text: Optional[str], article_url: Optional[str],
        headers: Optional[dict[str, str]] = None,
    ) -> Optional[Request]:
        """The request for one file, or None past ATTACHMENTS_PER_RUN."""
        stats = self.crawler.stats
        if self.files_requested >= self.files_per_run:
            stats.inc_value("attachments/capped_per_run")
            return None
        self.files_requested += 1
        stats.inc_value("attachments/requested")
        return Request(
            url, callback=self.parse_attachment, errback=self.on_attachment_error,
            headers=headers or {}, priority=_PRIORITY["attachment"], dont_filter=True,
            meta={
                "site": site.name, "kind": "attachment", "attachment_url": url,
                "article_url": article_url, "link_text": link_text,
                "download_maxsize": self.file_max_bytes,
                "download_warnsize": self.file_max_bytes,
                "handle_httpstatus_list": _ATTACHMENT_STATUSES,
                # Off the site's allowed domains but on its registrable domain
                # (files.example.gov.cn for www.example.gov.cn): checked before.
                "allow_offsite": True, SAME_DEPTH: True,
            },
        )

    def parse_attachment(self, response: Response, **_: Any) -> Iterator[AttachmentItem]:
        """A file's answer: its bytes, a 304 (the stored file holds), or an HTTP error."""
        meta = response.meta
        self.crawler.stats.inc_value("attachments/responses")
        fields = {
            "url": meta["attachment_url"], "site": meta["site"], "fetched_at": utcnow(),
            "article_url": meta.get("article_url"), "link_text": meta.get("link_text"),
            "http_status": response.status,
            "content_type": _header(response, b"Content-Type"),
            "etag": _header(response, b"ETag"), "last_modified": _header(response, b"Last-Modified"),
        }
        if response.status == 304:
            yield AttachmentItem(**fields, not_modified=True)
        elif response.status >= 400:
            yield AttachmentItem(**fields, status=FAILED, reason=http_error_detail(response))
        else:
            yield AttachmentItem(
                **fields, body=response.body,
                content_disposition=response.headers.get(b"Content-Disposition"),
            )

    def on_attachment_error(self, failure: Failure) -> Iterator[AttachmentItem]:
        """A file that could not be fetched: recorded with the reason."""
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        message = failure.getErrorMessage()
        status, size, http_status = FAILED, None, None
        if failure.check(HttpError):
            http_status = failure.value.response.status
            reason = http_error_detail(failure.value.response)
        elif failure.check(IgnoreRequest):
            status, reason = SKIPPED, f"not fetched: {message or 'robots.txt forbids it'}"
        elif failure.check(DownloadCancelledError, CancelledError) and (
            "max size" in message or not message
        ):
            found = _MAXSIZE_RE.search(message)
            size = int(found.group(1)) if found else None
            status = TOO_LARGE
            reason = (f"{size if size is not None else 'more than ' + str(self.file_max_bytes)} "
                      f"bytes, above ATTACHMENT_MAX_BYTES {self.file_max_bytes}; not downloaded")
        else:
            reason = f"{failure.type.__name__}: {message}"
        self.crawler.stats.inc_value("attachments/fetch_errors")
        yield AttachmentItem(
            url=meta.get("attachment_url", request.url), site=meta.get("site", "?"),
            fetched_at=utcnow(), article_url=meta.get("article_url"),
            link_text=meta.get("link_text"), http_status=http_status, status=status,
            reason=reason, size=size,
        )


class AchieSpider(SitesSpider):
    """achie.org from the built-in registry (`scrapy crawl achie`)."""

    name = "achie"

    def __init__(self, sites: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("only", None)
        super().__init__(sites, only="achie", **kwargs)


def raw_record(response: Response, fetched_at: datetime) -> RawPageRecord:
    return RawPageRecord(
        url=response.url, body=response.body, fetched_at=fetched_at,
        content_type=_header(response, b"Content-Type"), http_status=response.status,
        etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
    )


def attachment_host_allowed(site: Site, url: str) -> bool:
    """A file may come from the site's domains or from another host of their registrable
    domain (files.example.gov.cn beside www.example.gov.cn)."""
    if site.allows(url):
        return True
    host = registered_domain(urlsplit(url).hostname)
    return bool(host) and host in {registered_domain(d) for d in site.allowed_domains}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def unreachable_reason(failure: Failure) -> str:
    """A few words for the operator: why the host could not be reached at all."""
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "DNS lookup failed"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    if failure.check(TCPTimedOutError, TimeoutError, DownloadTimeoutError):
        return "timed out"
    return "no route to host"


def _header(response: Response, name: bytes) -> Optional[str]:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1")
    limit = _HEADER_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        return None  # a validator no column can hold is no validator
    return text


def http_error_detail(response: Response) -> str:
    """"HTTP 503; Retry-After: 120": the status and what the server asked us to do about it."""
    detail = f"HTTP {response.status}"
    retry_after = _header(response, b"Retry-After")
    if retry_after:
        detail += f"; Retry-After: {retry_after[:100]}"
        refused = response.request.meta.get(REFUSED_WAIT) if response.request is not None else None
        if refused is not None:
            detail += f" (not retried: longer than RETRY_AFTER_MAX; {refused:.0f} s)"
    return detail
