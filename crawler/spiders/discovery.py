"""Link discovery: which links of a page to follow, and as what. Pure; no Scrapy.

Spiders never hold field selectors; this module decides only where to go next: article pages,
list pages (columns, pagination) and other in-site pages, never off-site, never anything that
is not http(s), never binary files (attachments are recorded by the extractor instead).

The work per page is bounded: at most `MAX_LINKS_PER_PAGE` anchors of a page are considered (a
link farm of 100,000 anchors costs no more than one of 5,000), and URLs longer than
`MAX_URL_LENGTH` (the store's URL column) are never followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urldefrag, urljoin, urlsplit

from crawler.extractors import classify_url
from crawler.registry import Site

LinkKind = Literal["article", "list", "other"]
T = TypeVar("T")

# Anchors considered per page: far above any real list page (a few hundred links), far below
# what a link farm or a generated page can hold.
MAX_LINKS_PER_PAGE = 5000
# The store's URL columns hold 2,048 characters; longer URLs are junk or traps.
MAX_URL_LENGTH = 2048

PAGINATION_TEXT = re.compile(r"^\s*(下一?页|上一?页|下页|上页|尾页|末页|最后一?页|后页|前页|\d{1,4}|>|>>|»|下一頁|上一頁|尾頁)\s*$")
_BINARY = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|gz|tar|jpe?g|png|gif|bmp|webp|svg|ico|mp[34]|"
    r"avi|mov|wmv|flv|swf|exe|apk|dmg|iso|css|js|json|xml|txt|ofd|ceb|caj)$",
    re.IGNORECASE,
)
# Dynamic pages that never hold articles and only multiply the frontier.
_NEVER = re.compile(
    r"(/plus/(search|count|digg|feedback|vote)|/member/|/e/(search|member|public|DoPrint)|"
    r"[?&](action|m)=(search|login|print)|/search[/.?]|/login|/print\b|javascript:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    kind: LinkKind


class Capped(list[T]):
    """What a page links to; `capped` says the page held more anchors than were considered."""

    capped: bool = False


PageLinks = Capped[tuple[str, str]]  # (absolute URL, link text)
Links = Capped[Link]  # links to follow


def page_links(root: Any, base_url: str, limit: int = MAX_LINKS_PER_PAGE) -> PageLinks:
    """(absolute URL, link text) of the http(s) <a href> of a parsed page, in document order.

    Only the first `limit` anchors with an href are considered. `root` is the extractor's tree
    (:func:`crawler.extractors.parse_html`), read before the extractor edits it.
    """
    links = PageLinks()
    base = base_url
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(base_url, base_el.get("href", "").strip())
    considered = 0
    for anchor in root.iterfind(".//a[@href]"):
        considered += 1
        if considered > limit:
            links.capped = True
            break
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        try:
            url, _ = urldefrag(urljoin(base, href))
        except ValueError:
            continue
        if urlsplit(url).scheme not in ("http", "https"):
            continue  # javascript:, data:, mailto:, tel:, ftp: are never followed
        if len(url) > MAX_URL_LENGTH:
            continue
        links.append((url, " ".join(anchor.text_content().split())))
    return links


def classify_link(url: str, text: str, site: Site) -> LinkKind | None:
    """What a link on a page of `site` leads to, or None when it must not be followed."""
    if not site.allows(url) or _NEVER.search(url):
        return None
    path = urlsplit(url).path
    if _BINARY.search(path):
        return None
    if site.article_url_pattern is not None and site.article_url_pattern.search(url):
        return "article"
    if site.list_url_pattern is not None and site.list_url_pattern.search(url):
        return "list"
    if PAGINATION_TEXT.match(text):
        return "list"
    kind = classify_url(url)
    if kind == "article" and site.article_url_pattern is not None:
        # The registry says what its articles look like; other article-shaped URLs (a
        # page 2 of a multi-page article, a print view) are explored as ordinary pages.
        return "other"
    if kind in ("article", "list"):
        return kind  # type: ignore[return-value]
    return "other"


def discover(
    anchors: PageLinks, site: Site, exclude: set[str] | frozenset[str] = frozenset()
) -> Links:
    """Links worth following among a page's anchors, each URL once, articles first."""
    seen: set[str] = set(exclude)
    found: list[Link] = []
    for url, text in anchors:
        if url in seen:
            continue
        seen.add(url)
        kind = classify_link(url, text, site)
        if kind is not None:
            found.append(Link(url, text, kind))
    order = {"article": 0, "list": 1, "other": 2}
    links = Links(sorted(found, key=lambda link: order[link.kind]))
    links.capped = anchors.capped
    return links
