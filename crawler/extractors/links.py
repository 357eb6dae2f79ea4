"""Links the extractor records: the article's attachments and the URLs of its later pages."""

from __future__ import annotations

import re
from typing import Any

from .candidates import ScoredPage
from .page import Attachment
from .text import normalize_space
from .tree import el_text
from .urls import classify_url, page_stem, safe_urljoin

ATTACH_EXT_RE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|dps|ofd|zip|rar|7z|txt|csv|tif|tiff|ceb|caj)(?:$|[?#])",
    re.I,
)
_TOTAL_PAGES_RE = re.compile(r"共\s*(\d{1,3})\s*[页頁]")
#: The text of a pager's link: a page number ("2", "[3]", "第4页"), a step (上一页, 下一页,
#: 尾页…) or an arrow. A link to base_N.html with other text (a related article's title) is
#: no page of this one.
PAGER_TEXT = re.compile(
    r"^\s*[\[【(（]?\s*(?:第?\s*\d{1,4}\s*[页頁]?|[上下]一?[页頁]|[首尾末前后][页頁]|最后一?[页頁]|"
    r"<|<<|>|>>|»|«|›|‹|next|prev(?:ious)?|last|first)\s*[\]】)）]?\s*$",
    re.IGNORECASE,
)
_CREATE_PAGE_RE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,"
    r"\s*['\"]([^'\"]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_URL_CONTROL_RE = re.compile(r"[\x00-\x1f]")
# Pages of one article considered at most (a pager claiming thousands is a trap).
_MAX_PAGES = 200
# Links in the article box at most for it to be the attachments' scope, not the page layout.
_ARTICLE_BOX_LINKS = 60
_PARENT_LINKS = 30


def attachments(scored: ScoredPage, heading: Any | None) -> list[Attachment]:
    """Links to documents (pdf, doc, xls, ofd...) in and around the body, each URL once."""
    body_el = scored.body
    if body_el is None:
        return []
    tree = scored.tree
    totals = scored.totals
    # Attachment lists sit after the body container, in the article box that also holds the
    # heading (TRS "div.fujian"); without a heading, look one level up.
    scope = body_el
    if heading is not None and not tree.contains(body_el, heading):
        for anc in body_el.iterancestors():
            if tree.contains(anc, heading):
                links = totals[anc].links if anc in totals else 0
                if anc.tag not in ("body", "html") and links <= _ARTICLE_BOX_LINKS:
                    scope = anc
                break
    if scope is body_el:
        parent = body_el.getparent()
        links = totals[parent].links if parent in totals else 0
        if parent is not None and parent.tag not in ("body", "html") and links <= _PARENT_LINKS:
            scope = parent
    hidden = set(tree.hidden)
    found: dict[str, Attachment] = {}
    for a in scope.iter("a"):
        if a in hidden or any(anc in hidden for anc in a.iterancestors()):
            continue
        href = a.get("href") or ""
        text = normalize_space(a.text_content())
        if not (ATTACH_EXT_RE.search(href) or ATTACH_EXT_RE.search(text + "#")):
            continue
        absolute = safe_urljoin(tree.url, href)
        if absolute and absolute not in found:
            found[absolute] = Attachment(absolute, text or None)
    return list(found.values())


def _may_resolve_to_base(href: str) -> bool:
    """Could ``safe_urljoin(base_url, href)`` keep the *base URL's* last path segment?

    Only when the href has no path of its own ("?page=2", ";jsessionid=…", a scheme-only
    "http:?x"); and urllib deletes tabs/newlines and leading control characters, which this
    cheap test does not model. Any href that is not clearly "a path of its own" answers True,
    so the caller falls back to the full join: the answer may err towards True, never False.
    """
    h = href.strip().replace("\\", "/")
    if not h or h[0] == "#":
        return False  # safe_urljoin gives None
    if _URL_CONTROL_RE.search(h):
        return True
    if h[0] in "?;":
        return True
    low = h[:8].lower()
    if low.startswith(("http://", "https://")) or h.startswith("//"):
        host = h[h.index("//") + 2:]
        # With a host, an absolute or network-path reference has its own path (or "/").
        return not host or host[0] in "/?#"
    if ":" in h.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return True  # some scheme: let urllib decide
    return False  # a relative path that starts with a path character: the last segment is its own


def _page_number(path: str, prefix: str, ext: str) -> int | None:
    """N for "<prefix>_N<ext>" (N of one to three digits), 0 for "<prefix><ext>", else None."""
    if not (path.startswith(prefix) and path.endswith(ext)) or len(path) < len(prefix) + len(ext):
        return None
    middle = path[len(prefix) : len(path) - len(ext)]
    if not middle:
        return 0
    digits = middle[1:]
    if middle[0] == "_" and 1 <= len(digits) <= 3 and digits.isascii() and digits.isdigit():
        return int(digits)
    return None


def next_pages(root: Any, url: str) -> list[str]:
    """The other pages of a multi-page article (base_2.html...), in page order, or []."""
    stem = page_stem(url)
    if stem is None or classify_url(url) == "list":
        return []
    directory, base, ext, current = stem
    prefix = directory + base
    pages: dict[int, str] = {}
    pager_text = ""
    for a in root.iter("a"):
        href = a.get("href") or ""
        if base not in href and not _may_resolve_to_base(href):
            continue  # its last path segment comes from the href and cannot be base[_N]ext
        if not PAGER_TEXT.match(el_text(a)):
            continue  # a related article of the same day (t20250928_31.html), not a page
        absolute = safe_urljoin(url, href)
        if not absolute:
            continue
        number = _page_number(absolute.split("?")[0], prefix, ext)
        if number is not None:
            pages[number] = absolute
            parent = a.getparent()
            if parent is not None and not pager_text:
                grand = parent.getparent()
                pager_text = el_text(grand if parent.tag == "li" and grand is not None else parent)
    scripts = " ".join(s.text for s in root.iter("script") if s.text and "createPageHTML" in s.text)
    m = _CREATE_PAGE_RE.search(scripts)
    if m:  # TRS: createPageHTML(total, current, "t2025..._693227", "shtml"), zero-based suffixes
        if m.group(3) == base:
            for i in range(min(int(m.group(1)), _MAX_PAGES)):
                pages[i] = f"{directory}{base}{'_' + str(i) if i else ''}.{m.group(4)}"
    elif pages:
        t = _TOTAL_PAGES_RE.search(pager_text)
        # DedeCMS/PHPCMS/Empire: "共N页", page 1 is the base, page k is base_k
        if t and (min(pages) >= 1 or 1 in pages or current >= 2):
            for k in range(2, min(int(t.group(1)), _MAX_PAGES) + 1):
                pages.setdefault(k, f"{directory}{base}_{k}{ext}")
    pages.setdefault(0, f"{directory}{base}{ext}")
    own = url.split("#")[0].split("?")[0]
    return [u for _, u in sorted(pages.items()) if u != own] if len(pages) > 1 else []
