"""Pagination: which links of a list page lead to the other pages of the same list. Pure; no Scrapy.

A column of a policy site runs to hundreds of list pages, reached one from another. Those steps
are not depth (the spider keeps the depth of the page they come from), and a scheduled re-run
stops paging a column where its articles are already stored, so both need to know which links
are steps of the list and which one is the next page. The shapes:

* numbered file names in one directory: ``index.html, index_1.html …`` (TRS, zero-based),
  ``list_3_1.html, list_3_2.html …`` (DedeCMS), ``index_2.html`` (portals);
* a page number in the query: ``?page=N``, ``?pageNum=N`` (Hanweb), ``?p=N``, ``?pn=N`` …;
* links whose text is a pager's (下一页, 尾页, a bare number);
* pages written by a script only: TRS ``createPageHTML(N, current, "index", "html")``, its
  count often in ``var countPage = N``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.extractors.links import PAGER_TEXT

__all__ = ["MAX_SCRIPT_PAGES", "ListPages", "PageRef", "list_pages", "page_ref", "pager_scripts"]

# Text of a pager's link to the next page (which a re-run follows alone).
NEXT_TEXT = re.compile(r"^\s*(下一?页|下页|后页|下一頁|下頁|>|>>|»|›|next\s*(page)?)\s*[>»]?\s*$",
                       re.IGNORECASE)
# Query parameters that hold a list's page number.
PAGE_PARAMETERS = frozenset({
    "page", "pagenum", "pageno", "pageindex", "pagenumber", "currentpage", "curpage", "cur_page",
    "p", "pn", "pg", "paging",
})
# A file name ending in a page number: stem, number, extension ("list_3_12.html").
_NUMBERED_FILE = re.compile(r"^(?P<stem>.*?)(?:[_-](?P<number>\d{1,4}))?(?P<ext>\.[A-Za-z]{2,5})?$")
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\w+)['\"]?\s*,\s*['\"]?(\w+)['\"]?\s*,"
    r"\s*['\"]([^'\"]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_SCRIPT_NUMBER = r"\bvar\s+{name}\s*=\s*['\"]?(\d{{1,5}})"
# Pages a script may announce at most (a pager claiming a million pages is a trap); the site's
# max_pages caps the crawl anyway.
MAX_SCRIPT_PAGES = 5000


@dataclass(frozen=True)
class PageRef:
    """Where a URL stands in a numbered list: the list (`series`) and the page's number."""

    series: str
    number: int


def page_ref(url: str) -> Optional[PageRef]:
    """The list and page number of `url`: from a page parameter of its query, else from a number
    at the end of its file name (a directory or a file without one is page 0 of its list)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    for index, (name, value) in enumerate(query):
        if name.lower() in PAGE_PARAMETERS and value.isascii() and value.isdigit():
            rest = urlencode(query[:index] + query[index + 1 :])
            series = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, rest, ""))
            return PageRef(series + "?" + name.lower(), int(value))
    directory, _, name = parts.path.rpartition("/")
    if parts.query:
        return None  # some other query: not a page of a numbered file list
    match = _NUMBERED_FILE.match(name or "index")
    if match is None:
        return None
    stem = match.group("stem") or "index"
    return PageRef(f"{parts.netloc.lower()}{directory}/{stem}", int(match.group("number") or 0))


@dataclass
class ListPages:
    """The steps of a list found on one of its pages: every one, and the next page."""

    steps: list[str]
    next_page: Optional[str]


def list_pages(url: str, anchors: Iterable[tuple[str, str]], scripts: str = "") -> ListPages:
    """The other pages of the list `url` is a page of.

    `anchors`: (absolute URL, link text) of the page's links; `scripts`: the text of its pager
    scripts (`pager_scripts`, read before the extractor drops them). The next page is the one
    a 下一页 link names, else the nearest higher number of the same list, else (on a list's
    first page) the lowest numbered link.
    """
    own = page_ref(url)
    steps: dict[str, None] = {}
    by_text: Optional[str] = None
    numbered: dict[int, str] = {}
    by_digits: dict[int, str] = {}
    for link, text in anchors:
        if link == url:
            continue
        ref = page_ref(link)
        same_list = own is not None and ref is not None and ref.series == own.series
        if not (same_list or PAGER_TEXT.match(text)):
            continue
        steps.setdefault(link)
        if same_list and ref is not None and own is not None and ref.number > own.number:
            numbered.setdefault(ref.number, link)
        if by_text is None and NEXT_TEXT.match(text):
            by_text = link
        if text.strip().isdigit():
            by_digits.setdefault(int(text), link)
    for page, number in _script_pages(url, scripts):
        if own is not None and number == own.number:
            continue
        steps.setdefault(page)
        if own is None or number > own.number:
            numbered.setdefault(number, page)
    next_page = by_text or (numbered[min(numbered)] if numbered else None)
    if next_page is None and (own is None or own.number == 0):
        later = [n for n in by_digits if n >= 2]
        next_page = by_digits[min(later)] if later else None
    return ListPages(list(steps), next_page)


def pager_scripts(root: Any) -> str:
    """The text of a parsed page's scripts that write a pager or hold its page count."""
    return "\n".join(
        s.text for s in root.iter("script")
        if s.text and ("createPageHTML" in s.text or "countPage" in s.text)
    )


def _script_pages(url: str, scripts: str) -> list[tuple[str, int]]:
    """(URL, number) of the pages a TRS pager script writes: zero-based, page 0 the bare name."""
    match = _CREATE_PAGE.search(scripts) if "createPageHTML" in scripts else None
    if match is None:
        return []
    total = _script_value(match.group(1), scripts)
    if total is None or total < 2:
        return []
    stem, extension = match.group(3), match.group(4)
    return [
        (urljoin(url, f"{stem}_{number}.{extension}" if number else f"{stem}.{extension}"), number)
        for number in range(min(total, MAX_SCRIPT_PAGES))
    ]


def _script_value(token: str, script: str) -> Optional[int]:
    """A number written in the call, or the value of the variable it names (`var countPage = 32`)."""
    if token.isdigit():
        return int(token)
    found = re.search(_SCRIPT_NUMBER.format(name=re.escape(token)), script)
    return int(found.group(1)) if found else None
