"""URL-shape heuristics: article vs list URLs, site-relative hosts, sibling pages of an article."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from pipelines.hosts import registered_domain

UrlKind = Literal["article", "list", "unknown"]

_ARTICLE_PATH_RES = [
    re.compile(r"/(?:19|20)\d{2}/?[01]\d[0-3]\d/\d+(?:_\d+)?\.s?html?$", re.I),  # DedeCMS /2025/1022/123.html
    re.compile(r"/t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?$", re.I),  # TRS t20251022_693227.html
    re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$", re.I),  # Hanweb
    re.compile(r"(?:^|/)content_\d+(?:_\d+)?\.s?html?$", re.I),  # gov.cn / xinhua content_123.htm
    re.compile(r"/content/(?:\d{4}-?\d{2}/\d{2}/)?(?:content_)?\d+(?:_\d+)?\.s?html?$", re.I),
    re.compile(r"(?:^|/)show[-_]\d+(?:[-_]\d+)*\.s?html?$", re.I),  # PHPCMS/Empire show-12-345-1.html
    re.compile(r"/(?:19|20)\d{2}[-/]?[01]\d(?:[-/]?[0-3]\d)?/[\w-]*?\d{3,}(?:_\d+)?\.s?html?$", re.I),
    re.compile(r"/(?:19|20)\d{2}-[01]\d-[0-3]\d/[\w-]+\.s?html?$", re.I),
    re.compile(r"/(?:article|detail|details|news|view|info|a)/\d{4,}(?:_\d+)?(?:\.s?html?)?$", re.I),
    re.compile(r"/\d{5,}(?:_\d+)?\.s?html?$", re.I),
]
_LIST_PATH_RES = [
    re.compile(r"(?:^|/)list[_-]\d+(?:[_-]\d+)*\.s?html?$", re.I),  # DedeCMS list_3_2.html
    re.compile(r"(?:^|/)index(?:_\d+)?\.(?:s?html?|php|aspx?|jsp)$", re.I),  # index.html, TRS index_1
    re.compile(r"/col/col\d+/", re.I),  # Hanweb column
    re.compile(r"(?:^|/)(?:list|lists|category|column|node)(?:[_-]\w+)?(?:\.\w+)?/?$", re.I),
    re.compile(r"/node_\d+(?:_\d+)?\.s?html?$", re.I),
    re.compile(r"/[a-z][\w-]*/\d{1,3}\.s?html?$", re.I),  # PHPCMS {catdir}/{page}.html
    re.compile(r"/$"),
]
_ARTICLE_QUERY_KEYS = {"id", "aid", "articleid", "newsid", "docid", "contentid", "artid", "infoid", "itemid"}
_LIST_QUERY_KEYS = {"tid", "catid", "classid", "typeid", "page", "p", "pageno", "cid", "columnid"}


@lru_cache(maxsize=4096)
def classify_url(url: str) -> UrlKind:
    """Guess from the URL alone whether it is an article or a list page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "unknown"
    path = parts.path or "/"
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    action = (query.get("a") or query.get("action") or [""])[0].lower()
    if action in ("show", "view", "detail", "content"):
        return "article"
    if action in ("lists", "list", "category"):
        return "list"
    low = path.lower()
    if low.endswith(("view.php", "show.php", "article.php", "content.php", "detail.php", "news.php")) and (
        _ARTICLE_QUERY_KEYS & query.keys()
    ):
        return "article"
    if low.endswith(("list.php", "index.php", "category.php")) and _LIST_QUERY_KEYS & query.keys():
        return "list"
    for rx in _ARTICLE_PATH_RES:
        if rx.search(path):
            return "article"
    for rx in _LIST_PATH_RES:
        if rx.search(path):
            return "list"
    if _ARTICLE_QUERY_KEYS & query.keys():
        return "article"
    if _LIST_QUERY_KEYS & query.keys():
        return "list"
    return "unknown"


# Hosts whose links are infrastructure or public institutions, never link spam: share buttons,
# statistics, ICP filing, government/academic domains.
_TRUSTED_SUFFIXES = (
    "gov.cn", "gov", "edu.cn", "ac.cn", "mil.cn", "org.cn",
    "weibo.com", "qq.com", "douban.com", "renren.com", "baidu.com", "jiathis.com", "bshare.cn",
    "facebook.com", "twitter.com", "linkedin.com", "conac.cn", "12377.cn", "cnzz.com", "51.la",
    "people.com.cn", "xinhuanet.com", "news.cn", "cctv.com", "cntv.cn", "chinadaily.com.cn",
)


@lru_cache(maxsize=8192)
def is_trusted_host(host: str) -> bool:
    host = host.lower().split(":")[0]
    return any(host == s or host.endswith("." + s) for s in _TRUSTED_SUFFIXES)


@lru_cache(maxsize=8192)
def is_unrelated_host(host: str, host_domain: str) -> bool:
    """A host of another site that is not a public institution or infrastructure."""
    return registered_domain(host) != host_domain and not is_trusted_host(host)


def usable_url(url: str) -> str:
    """`url` when it can be split into parts, else "" (the page is read as having no URL):
    `//：` and its kind, whose host is invalid under NFKC, make `urlsplit` raise."""
    try:
        urlsplit(url)
    except ValueError:
        return ""
    return url


def safe_urljoin(base: str, href: str) -> str | None:
    """Absolute http(s) URL for a link, or None for javascript:, mailto:, broken URLs."""
    href = (href or "").strip().replace("\\", "/")
    if not href or href.startswith("#"):
        return None
    low = href[:12].lower()
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "vbscript:", "about:")):
        return None
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


_PAGE_SUFFIX_RE = re.compile(r"^(?P<base>.+?)_(?P<n>\d{1,3})$")


def page_stem(url: str) -> tuple[str, str, str, int] | None:
    """(directory URL, base stem, extension, page suffix or 0) for ".../123_2.html"-shaped URLs.

    Only the last "_N" with at most three digits is a page suffix, so TRS ids such as
    "t20251022_693227" keep their own underscore.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path
    slash = path.rfind("/")
    name = path[slash + 1:]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    stem, ext = name[:dot], name[dot:]
    directory = urlunsplit((parts.scheme, parts.netloc, path[: slash + 1], "", ""))
    m = _PAGE_SUFFIX_RE.match(stem)
    if m and not stem.startswith("list_"):
        return directory, m.group("base"), ext, int(m.group("n"))
    return directory, stem, ext, 0
