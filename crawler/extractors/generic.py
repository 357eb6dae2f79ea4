"""Generic extractor for Chinese article pages: one lxml parse, one text walk, density scoring.

How a page is read (all in one pass over the tree, then arithmetic on what it collected):

1. Hidden elements (inline display:none, off-screen, 1-pixel marquee...) are set aside. Those
   carrying spam (terms, links to unrelated domains) are recorded as ``hidden_block`` removals;
   the rest (government menus and tabs) are silently ignored.
2. The visible text is cut into *lines* — runs of inline text between block boundaries and
   ``<br>`` — each owned by its nearest block element, with its link characters and Chinese
   sentence punctuation (，。；！？、) counted.
3. Every block element scores the lines beneath it: prose (punctuated, not linked) counts for it,
   link text and short unpunctuated labels count against it, and a paragraph seen before on the
   page (the mobile copy of the body) counts nothing. The best-scoring element is the body; the
   penalty for non-prose makes the tightest container around the article win, and known CMS
   containers (div.TRS_Editor, td#text...) get a bonus without being required.
4. Metadata comes in layers: per-site selectors, JSON-LD and head meta tags, labelled values in
   the meta line between the heading and the body (来源/日期/作者...), then None.

Per-site parsers (``sites.py``) subclass :class:`GenericParser` and only set ``selectors``.
"""

from __future__ import annotations

import heapq
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

import lxml.html
import nh3
from lxml import etree

from .dates import find_dates, parse_date
from .page import Attachment, ExtractedPage, Removal
from .text import (
    SPAM_RE,
    bigrams,
    containment,
    count_sentence_punct,
    count_spam_terms,
    normalize_space,
    parse_labels,
)
from .urls import (
    classify_url,
    is_trusted_host,
    page_stem,
    registered_domain,
    safe_urljoin,
)

__all__ = ["GenericParser", "classify_url"]

HtmlElement = lxml.html.HtmlElement

# Tags whose content is never page text.
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "select", "option",
    "textarea", "button", "input", "svg", "canvas", "head", "title", "meta", "link", "map", "area",
    "audio", "video", "source", "applet", "frameset", "frame", "noframes",
})
_BLOCK_TAGS = frozenset({
    "html", "body", "div", "p", "td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption",
    "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "main", "header", "footer", "nav", "aside", "form", "blockquote", "pre", "address", "figure",
    "figcaption", "center", "fieldset", "legend", "details", "summary", "hr", "marquee", "menu",
    "dir", "hgroup", "colgroup", "col",
})
_HEADING_TAGS = {"h1": 1.0, "h2": 0.85, "h3": 0.6, "h4": 0.4, "h5": 0.3, "h6": 0.3}

_HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d]*[1-9])"
    r"|(?:left|top|right|text-indent|margin-left|margin-top)\s*:\s*-\s*\d{3,}"
    r"|font-size\s*:\s*0(?:px|pt|em|rem)?\s*(?:;|$|!)"
    r"|(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)[^\"]*overflow\s*:\s*hidden"
    r"|overflow\s*:\s*hidden[^\"]*(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)",
    re.I,
)
# Known body containers of Chinese CMS families: strong hints, not requirements.
_KNOWN_BODY_CLASSES = frozenset({
    "trs_editor", "content", "con", "pages_content", "article-content", "blog-content",
    "article_content", "articlecontent", "art_content", "news_content", "newscontent", "detail",
    "detail-content", "detail_content", "text", "article-body", "articlebody", "zoom", "con_text",
    "view", "main-text", "maintext", "entry-content", "post-content", "custom_unionstyle", "bt_content",
    "wzy_content", "arc_content", "neirong", "zw", "zhengwen", "txt", "info_content", "show_content",
})
_KNOWN_BODY_IDS = frozenset({
    "ucap-content", "text", "zoom", "content", "article", "fontzoom", "zhengwen", "artibody",
    "article_content", "articlecontent", "newscontent", "news_content", "detail", "con", "main_content",
    "endtext", "ctrlfscont", "art_content", "info_content", "xw_box",
})
_NEGATIVE_HINT_RE = re.compile(
    r"nav|menu|footer|foot\b|bottom|sidebar|side\b|comment|copyright|friend|youqing|link|hot|rank"
    r"|recommend|related|xiangguan|share|tool|banner|advert|\bad\b|header|top\b|login|search",
    re.I,
)
_TITLE_HINT_RE = re.compile(r"title|\btit\b|\bbt\b|biaoti|headline|\btitle\b", re.I)
_CRUMB_HINT_RE = re.compile(
    r"crumb|place|position|location|weizhi|dqwz|\bpath\b|navpath|nav_path|current|\bloc\b|bread"
    r"|mianbao|daohang|\bwz\b|guide",
    re.I,
)
_CRUMB_PREFIX_RE = re.compile(
    r"^\s*(?:您?(?:当前|現在|现在|當前|目前)?(?:的)?(?:所在)?(?:位置|位址)(?:是)?|当前页|當前頁|当前位置|當前位置"
    r"|所在位置|您的位置|你的位置|您现在的位置|您現在的位置|当前栏目|位置导航)\s*[:：]?\s*"
)
_CRUMB_SEP_RE = re.compile(r"\s*(?:>>|>|›|»|→|＞|»|/|\||｜|\s-\s|·)\s*")
_HOME_WORDS = frozenset({"首页", "主页", "网站首页", "返回首页", "home", "主頁", "首頁", "網站首頁", "回到首页", "本站首页"})
_CRUMB_DROP = frozenset({"正文", "正文内容", "内容", "详情", "详细内容", "文章内容", "阅读文章", "浏览文章",
                         "查看内容", "內容", "詳情", "正文內容", "文章", "详细信息", "内容页", "全文"})

_JUNK_LINE_RE = re.compile(
    r"打印本页|打印本頁|打印此页|关闭窗口|關閉窗口|关闭本页|【打印】|【关闭】|【關閉】|返回顶部|返回頂部"
    r"|字号\s*[:：]|字號\s*[:：]|[\[【(]\s*大\s*中\s*小\s*[\]】)]|分享到|扫一扫|掃一掃|微信扫|手机扫"
    r"|上一篇|下一篇|上一條|下一條|上一条|下一条|上一頁|相关阅读|相关文章|相關文章|热门文章|熱門文章"
    r"|推荐阅读|推薦閱讀|ICP\s*备|ICP\s*證|ICP\s*证|公网安备|公網安備|版权所有|版權所有|Copyright|©"
    r"|技术支持\s*[:：]|网站标识码|網站標識碼|收藏本页|加入收藏|设为首页|【字体|【字號",
    re.I,
)
_FOOTER_LINE_RE = re.compile(
    r"版权所有|版權所有|Copyright|©|ICP\s*[备證证]|公网安备|公網安備|网站标识码|網站標識碼|技术支持\s*[:：]"
    r"|主办单位|主辦單位|承办单位|地址\s*[:：].{0,40}(?:电话|電話|邮编|郵編)|Powered by",
    re.I,
)
_PAGER_LINE_RE = re.compile(r"^(?:共\s*\d+\s*页|第\s*\d+\s*页|上一页|下一页|首页|尾页|末页|\d+|[\s.·:：<>»«|])+$")
_PAGE_MARKER_RE = re.compile(r"#p#.*?#e#|\[page\]|\[!--empirenews\.page--\]|_ueditor_page_break_tag_", re.I)
_EDITOR_LINE_RE = re.compile(
    r"^[(（\[【]?\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]\s*(?P<v>[^)）\]】]{1,40}?)\s*[)）\]】]?\s*$"
)
_AUTHOR_UNIT_LINE_RE = re.compile(r"^[(（]?\s*(?:作者单位|作者單位)\s*[:：]\s*(?P<v>.+?)[)）]?$")
_CLICKS_RE = re.compile(r"^(?:点击|點擊|浏览|瀏覽|阅读|閱讀)(?:次数|次數|量)?\s*[:：]?\s*\d*\s*次?$")
_ATTACH_EXT_RE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|dps|ofd|zip|rar|7z|txt|csv|tif|tiff|ceb|caj)(?:$|[?#])", re.I
)
_NEXT_WORDS = frozenset({"下一页", "下页", "下一頁", "后一页", "後一頁", "下一页>", "下一页>>", ">", ">>", "›"})

_CLOAK_ENGINE_RE = re.compile(r"baidu|sogou|so\.com|sm\.cn|google|bing|yahoo|360\.cn|toutiao|shenma|haosou", re.I)
_REDIRECT_RE = re.compile(r"location(?:\.href)?\s*=|location\.replace|window\.open|\.href\s*=|location\.assign"
                          r"|http-equiv", re.I)
_DOC_WRITE_RE = re.compile(r"document\.write(?:ln)?\s*\(((?:[^()]|\([^()]*\))*)\)", re.S)
_JS_STRING_RE = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'", re.S)
_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_DOC_TITLE_RE = re.compile(r"document\.title\s*=\s*([\"'])((?:(?!\1)[^\\]|\\.)*)\1")
_TITLE_SPLIT_RE = re.compile(r"\s*(?:_+|\s[-–—|｜]\s|[-–—|｜]+)\s*")
_TOTAL_PAGES_RE = re.compile(r"共\s*(\d{1,3})\s*[页頁]")
_CREATE_PAGE_RE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"](\w+)['\"]")
_DATE_META_KEYS = (
    "pubdate", "publishdate", "article:published_time", "og:article:published_time",
    "og:release_date", "datepublished", "dc.date.issued", "dc.date", "dcterms.issued",
    "publish_date", "publishtime", "pub_date", "weibo:article:create_at", "firstpublishedtime",
    "sailthru.date", "date",
)
_TITLE_META_KEYS = ("articletitle", "og:title", "twitter:title", "dc.title")
_SOURCE_META_KEYS = ("contentsource", "source", "article:source", "og:article:source", "dc.publisher")
_AUTHOR_META_KEYS = ("author", "article:author", "og:article:author", "dc.creator")

_ALLOWED_TAGS = {
    "p", "br", "div", "span", "a", "img", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "caption", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "strong",
    "b", "em", "i", "u", "sub", "sup", "blockquote", "pre", "code", "hr", "figure", "figcaption",
    "section", "article", "center", "font", "small", "big", "s", "del", "ins",
}
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "p": {"align"},
    "div": {"align"},
}


@dataclass(slots=True)
class _Line:
    text: str
    owner: Any  # HtmlElement
    order: int  # pre-order index of the owner (lines are in document order)
    chars: int
    link_chars: int
    links: int
    untrusted_links: int
    punct: int
    idx: int = 0
    dup: bool = False
    spam: int = 0
    parts: tuple[str, ...] = ()  # raw text nodes: element boundaries matter in meta lines

    @property
    def segmented(self) -> str:
        """The line with two spaces at each text-node boundary ("来源：X  作者：Y  A+")."""
        return "  ".join(t for t in (normalize_space(p) for p in self.parts) if t)


@dataclass(slots=True)
class _Stats:
    good: float = 0.0
    bad: float = 0.0
    chars: int = 0
    link_chars: int = 0
    links: int = 0
    untrusted_links: int = 0
    spam: int = 0
    first: int = -1
    last: int = -1


@dataclass
class _Doc:
    """Everything collected from one parse; the passes below only read it."""

    root: Any
    url: str
    host_domain: str
    lines: list[_Line] = field(default_factory=list)
    order: dict[Any, int] = field(default_factory=dict)
    end: dict[Any, int] = field(default_factory=dict)
    stats: dict[Any, _Stats] = field(default_factory=dict)
    skip: set[Any] = field(default_factory=set)
    hidden_legit: list[Any] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    signals: dict[str, object] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    jsonld: dict[str, str] = field(default_factory=dict)
    title_raw: str | None = None
    script_title: str | None = None
    title_line: int | None = None  # index of the last line of the chosen heading's title text
    # Every node of the tree, held so that lxml keeps one Python proxy per element for the whole
    # parse instead of building (and class-looking-up) a new one on each later traversal.
    nodes: list[Any] = field(default_factory=list)

    def contains(self, outer: Any, inner: Any) -> bool:
        o = self.order.get(outer)
        i = self.order.get(inner)
        if o is None or i is None:
            return False
        return o <= i <= self.end.get(outer, o)


@lru_cache(maxsize=512)
def _compile_selector(selector: str) -> etree.XPath:
    sel = selector.strip()
    if sel.startswith(("/", "(", "./")):
        return etree.XPath(sel)
    from lxml.cssselect import CSSSelector

    return CSSSelector(sel, translator="html")


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def parse_tree_checked(html: str) -> tuple[Any, str | None]:
    """The lxml tree of a page and, when libxml2 gave up on part of it, why (else None).

    libxml2 stops building the tree below 256 levels of nesting ("Excessive depth in document")
    and drops everything deeper: the page still parses, but its content may be gone. Callers
    get the reason so that a page emptied that way is reported as such, not as "no article".
    """
    # lxml refuses str input with an XML encoding declaration and NUL/control characters.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html[:200]) + html[200:] if html.lstrip()[:5] == "<?xml" else html
    # Control characters would survive parsing and then make lxml refuse text we write back.
    html = _CONTROL_RE.sub("", html)
    parser = lxml.html.HTMLParser()  # our own, so its error log is this page's alone
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>"), None
    problem = None
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in entry.message:
            problem = entry.message.strip()
            break
    return root, problem


def _el_text(el: Any) -> str:
    try:
        return normalize_space(el.text_content())
    except (ValueError, AttributeError):
        return ""


def _classes(el: Any) -> list[str]:
    return (el.get("class") or "").lower().split()


def _hint_text(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


class GenericParser:
    """Extract one page; subclasses override ``selectors`` (field -> CSS or XPath) only."""

    name: ClassVar[str] = "generic"
    version: ClassVar[str] = "1"
    selectors: ClassVar[Mapping[str, str]] = {}

    def __init__(self, selectors: Mapping[str, str] | None = None) -> None:
        merged = dict(type(self).selectors)
        if selectors:
            merged.update({k: v for k, v in selectors.items() if isinstance(v, str) and v.strip()})
        self._selectors: dict[str, str] = merged

    @property
    def label(self) -> str:
        return f"{self.name}/v{self.version}"

    # ------------------------------------------------------------------ public entry point
    def parse(self, html: str, url: str) -> ExtractedPage:
        """Never raises: an unexpected error leaves the fields found so far and a signal."""
        try:
            root, problem = parse_tree_checked(html if isinstance(html, str) else str(html))
        except Exception as exc:  # noqa: BLE001 - a crawl must survive any page
            page = ExtractedPage(url=url, parser=self.label)
            page.signals["extract_error"] = f"{type(exc).__name__}: {exc}"
            return page
        return self.parse_tree(root, url, parse_limit=problem)

    def parse_tree(self, root: Any, url: str, parse_limit: str | None = None) -> ExtractedPage:
        """Like :meth:`parse` for a tree from ``parse_tree_checked`` (consumed: the body is edited).

        `parse_limit` is the parser's complaint when it dropped part of the page; it is kept in
        ``signals["parse_limit"]``.
        """
        page = ExtractedPage(url=url, parser=self.label)
        if parse_limit:
            page.signals["parse_limit"] = parse_limit
        try:
            self._parse_into(page, root, url or "")
        except Exception as exc:  # noqa: BLE001 - a crawl must survive any page
            page.signals["extract_error"] = f"{type(exc).__name__}: {exc}"
        return page

    # ------------------------------------------------------------------ selectors
    def select(self, root: Any, field_name: str) -> list[Any]:
        """Results of the per-site selector for a field: elements or strings (XPath @attr/text())."""
        selector = self._selectors.get(field_name)
        if not selector:
            return []
        try:
            result = _compile_selector(selector)(root)
        except Exception:  # a bad selector in the registry must not take the page down
            return []
        if isinstance(result, list):
            return result
        return [result] if result not in (None, "") else []

    def _selected_text(self, root: Any, field_name: str) -> str | None:
        for item in self.select(root, field_name):
            text = normalize_space(item if isinstance(item, str) else _el_text(item))
            if text:
                return text
        return None

    # ------------------------------------------------------------------ the pipeline
    def _parse_into(self, page: ExtractedPage, root: Any, url: str) -> None:
        doc = _Doc(root=root, url=url, host_domain=registered_domain(urlsplit(url).hostname or ""))
        self._read_head(doc)
        self._scan_scripts(doc)
        self._find_hidden(doc)
        self._walk(doc)
        self._score(doc)

        body_el = self._choose_body(doc)
        heading_el, title = self._choose_title(doc, body_el)
        page.title_raw = doc.title_raw
        page.meta = doc.meta

        paragraphs, extra = self._paragraphs(doc, body_el, title)
        page.paragraphs = paragraphs
        page.body_text = "\n".join(paragraphs)

        self._title_removals(doc, title, page.body_text)
        page.title = title
        self._metadata(doc, page, body_el, heading_el, extra)
        page.column_path = self._column_path(doc, body_el, title)
        page.attachments = self._attachments(doc, body_el, heading_el)
        page.next_pages = self._next_pages(doc, body_el)
        self._link_farms(doc)
        self._repeated_body(doc, body_el, paragraphs)
        self._kind(doc, page, body_el)
        page.body_html = self._body_html(doc, body_el, extra.get("drop_elements", []))
        page.removals = doc.removals
        page.signals.update(doc.signals)

    # ------------------------------------------------------------------ head
    def _read_head(self, doc: _Doc) -> None:
        root = doc.root
        for meta in root.iter("meta"):
            key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or meta.get("http-equiv") or "")
            key = key.strip().lower()
            content = meta.get("content")
            if key and content is not None and key not in doc.meta:
                doc.meta[key] = normalize_space(content)[:2000]
        title_el = root.find(".//title")
        if title_el is not None:
            doc.title_raw = normalize_space(title_el.text_content()) or None
        for script in root.iter("script"):
            if (script.get("type") or "").lower() != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "")
            except (ValueError, TypeError):
                continue
            for item in _iter_jsonld(data):
                for key in ("headline", "name", "datePublished", "dateCreated"):
                    value = item.get(key)
                    if isinstance(value, str) and key not in doc.jsonld:
                        doc.jsonld[key] = value
                author = item.get("author")
                if isinstance(author, dict):
                    author = author.get("name")
                elif isinstance(author, list) and author and isinstance(author[0], dict):
                    author = author[0].get("name")
                if isinstance(author, str) and "author" not in doc.jsonld:
                    doc.jsonld["author"] = author
        refresh = doc.meta.get("refresh")
        if refresh and "url=" in refresh.lower():
            target = safe_urljoin(doc.url, refresh.split("=", 1)[1].split("=", 1)[-1].strip(" '\""))
            if target:
                doc.signals["meta_refresh"] = target
                doc.signals["meta_refresh_offsite"] = registered_domain(urlsplit(target).hostname) != doc.host_domain

    # ------------------------------------------------------------------ scripts
    def _scan_scripts(self, doc: _Doc) -> None:
        cloaking = False
        obfuscated = 0
        for script in doc.root.iter("script"):
            code = script.text or ""
            if not code:
                continue
            if "referrer" in code and _CLOAK_ENGINE_RE.search(code) and _REDIRECT_RE.search(code):
                cloaking = True
            if "userAgent" in code and _REDIRECT_RE.search(code) and ("referrer" in code or "atob(" in code):
                cloaking = True
            if "eval(function(p,a,c,k,e" in code or "atob(" in code or re.search(r"(?:\\x[0-9a-f]{2}){8,}", code, re.I):
                obfuscated += 1
            m = _DOC_TITLE_RE.search(code)
            if m and doc.script_title is None:
                doc.script_title = normalize_space(_js_unescape(m.group(2))) or None
            for call in _DOC_WRITE_RE.finditer(code):
                markup = "".join(_js_unescape(a or b) for a, b in _JS_STRING_RE.findall(call.group(1)))
                if markup and _HIDDEN_STYLE_RE.search(markup):
                    self._judge_written_markup(doc, markup)
        doc.signals["cloaking_redirect"] = cloaking
        doc.signals["obfuscated_scripts"] = obfuscated
        if doc.script_title:
            doc.signals["script_title"] = doc.script_title

    def _judge_written_markup(self, doc: _Doc, markup: str) -> None:
        try:
            frag = lxml.html.fragment_fromstring(markup, create_parent="div")
        except (etree.ParserError, ValueError):
            return
        text = _el_text(frag)
        hrefs = [a.get("href") or "" for a in frag.iter("a")]
        spam_like, detail = self._spam_like(doc, text, hrefs)
        if spam_like:
            doc.removals.append(Removal("hidden_block", text[:2000], f"document.write; {detail}"))
            doc.signals["hidden_blocks"] = int(doc.signals.get("hidden_blocks", 0) or 0) + 1  # type: ignore[call-overload]
            doc.signals["document_write_hidden"] = True
            doc.signals["hidden_spam_terms"] = int(doc.signals.get("hidden_spam_terms", 0) or 0) + count_spam_terms(text)  # type: ignore[call-overload]

    def _spam_like(self, doc: _Doc, text: str, hrefs: Iterable[str]) -> tuple[bool, str]:
        links = 0
        untrusted: list[str] = []
        for href in hrefs:
            absolute = safe_urljoin(doc.url, href)
            if not absolute:
                continue
            links += 1
            host = urlsplit(absolute).hostname or ""
            if registered_domain(host) != doc.host_domain and not is_trusted_host(host):
                untrusted.append(registered_domain(host))
        terms = count_spam_terms(text)
        if terms >= 1 or (len(untrusted) >= 2 and len(untrusted) >= 0.5 * links):
            domains = ", ".join(sorted(set(untrusted))[:10])
            return True, f"{terms} spam terms; {len(untrusted)}/{links} links to unrelated domains {domains}".strip()
        return False, ""

    # ------------------------------------------------------------------ hidden elements
    def _find_hidden(self, doc: _Doc) -> None:
        root = doc.root
        hidden: list[Any] = []
        doc.nodes = list(root.iter())
        for el in doc.nodes:
            if not isinstance(el.tag, str):
                continue
            style = el.get("style")
            is_hidden = False
            if style and (_HIDDEN_STYLE_RE.search(style) or _same_colours(style)):
                is_hidden = True
            elif el.tag == "marquee":
                w = (el.get("width") or "").strip().rstrip("px")
                h = (el.get("height") or "").strip().rstrip("px")
                if w in ("0", "1") or h in ("0", "1"):
                    is_hidden = True
            elif el.get("hidden") is not None and el.tag not in ("input",):
                is_hidden = True
            if is_hidden and el.tag not in ("html", "body"):
                hidden.append(el)
        if not hidden:
            doc.signals["hidden_elements"] = 0
            doc.signals.setdefault("hidden_blocks", 0)
            doc.signals.setdefault("hidden_spam_terms", 0)
            return
        hidden_set = set(hidden)
        outermost = []
        for el in hidden:
            if any(anc in hidden_set for anc in el.iterancestors()):
                continue
            outermost.append(el)
        spam_blocks = 0
        hidden_terms = 0
        for el in outermost:
            doc.skip.add(el)
            text = _el_text(el)
            if not text:
                continue
            spam_like, detail = self._spam_like(doc, text, (a.get("href") or "" for a in el.iter("a")))
            if spam_like:
                spam_blocks += 1
                hidden_terms += count_spam_terms(text)
                how = f"style={el.get('style')!r}" if el.get("style") else f"width={el.get('width')!r} height={el.get('height')!r}"
                doc.removals.append(Removal("hidden_block", text[:2000], f"<{el.tag} {how}>; {detail}"))
            else:
                doc.hidden_legit.append(el)
        doc.signals["hidden_spam_terms"] = int(doc.signals.get("hidden_spam_terms", 0) or 0) + hidden_terms  # type: ignore[call-overload]
        doc.signals["hidden_elements"] = len(outermost)
        doc.signals["hidden_blocks"] = int(doc.signals.get("hidden_blocks", 0) or 0) + spam_blocks  # type: ignore[call-overload]

    # ------------------------------------------------------------------ the text walk
    def _walk(self, doc: _Doc, root: Any | None = None, *, into: list[_Line] | None = None,
              record_order: bool = True) -> list[_Line]:
        """Cut visible text into lines owned by block elements; iterative so deep nesting is safe."""
        lines = doc.lines if into is None else into
        if root is not None:
            start = root
        else:
            body = doc.root.find("body")
            start = body if body is not None else doc.root
        order = doc.order
        end = doc.end
        skip = doc.skip if root is None else set()
        counter = len(order) if record_order else 0
        host_domain = doc.host_domain
        append_line = lines.append
        Line = _Line
        block_tags = _BLOCK_TAGS
        skip_tags = _SKIP_TAGS

        # The current line: its raw text nodes and what its links hold.
        parts: list[str] = []
        link_chars = 0
        links = 0
        untrusted = 0
        owners: list[Any] = [start]
        in_link = 0

        def emit(parts: list[str], link_chars: int, links: int, untrusted: int) -> None:
            text = normalize_space("".join(parts))
            if text:
                owner = owners[-1]
                chars = len(text) - text.count(" ")
                append_line(Line(
                    text, owner, order.get(owner, 0), chars, min(link_chars, chars), links, untrusted,
                    count_sentence_punct(text), len(lines), False, 0, tuple(parts),
                ))

        data_rows: set[Any] = set()
        host_verdicts: dict[str, bool] = {}
        # Stack entries: an element to enter, or (element, is_block, is_link) to leave.
        stack: list[Any] = [start]
        pop = stack.pop
        push = stack.append
        first = True
        while stack:
            el = pop()
            if el.__class__ is tuple:  # leaving an element
                el, block, is_link = el
                if record_order:
                    end[el] = counter - 1
                if is_link:
                    in_link -= 1
                if block:
                    if parts:
                        emit(parts, link_chars, links, untrusted)
                        parts = []
                    link_chars = links = untrusted = 0
                    owners.pop()
                if el is not start:
                    tail = el.tail
                    if tail:
                        parts.append(tail)
                        if in_link:
                            link_chars += sum(map(len, tail.split()))
                continue
            tag = el.tag
            if not isinstance(tag, str) or (not first and (tag in skip_tags or el in skip)):
                # A comment, processing instruction or skipped element: only its tail is text.
                tail = el.tail
                if tail:
                    parts.append(tail)
                    if in_link:
                        link_chars += sum(map(len, tail.split()))
                continue
            first = False
            if record_order:
                order[el] = counter
                counter += 1
            if tag == "br":
                if parts:
                    emit(parts, link_chars, links, untrusted)
                    parts = []
                link_chars = links = untrusted = 0
                if record_order:
                    end[el] = counter - 1
                tail = el.tail
                if tail:
                    parts.append(tail)
                    if in_link:
                        link_chars += sum(map(len, tail.split()))
                continue
            children = list(el)
            if (tag == "td" or tag == "th") and el.getparent() in data_rows:
                is_block = False
                parts.append(" ")  # data table: one line per row, cells joined by a space
            else:
                is_block = tag in block_tags
                if not is_block and children:
                    for c in children:
                        ctag = c.tag
                        if isinstance(ctag, str) and ctag in block_tags:
                            is_block = True
                            break
            if tag == "tr" and _is_data_row(el):
                data_rows.add(el)
            if is_block:
                if parts:
                    emit(parts, link_chars, links, untrusted)
                    parts = []
                link_chars = links = untrusted = 0
                owners.append(el)
            is_link = tag == "a"
            if is_link:
                in_link += 1
                href = el.get("href")
                if href:
                    links += 1
                    host = _absolute_host(href)
                    if host:
                        verdict = host_verdicts.get(host)
                        if verdict is None:
                            verdict = host_verdicts[host] = (
                                registered_domain(host) != host_domain and not is_trusted_host(host)
                            )
                        if verdict:
                            untrusted += 1
            text = el.text
            if text:
                parts.append(text)
                if in_link:
                    link_chars += sum(map(len, text.split()))
            push((el, is_block, is_link))
            if children:
                children.reverse()
                stack.extend(children)
        if parts:
            emit(parts, link_chars, links, untrusted)
        return lines

    # ------------------------------------------------------------------ scoring
    def _score(self, doc: _Doc) -> None:
        lines = doc.lines
        seen: dict[str, int] = {}
        # One regex pass over the whole text, hits mapped back to lines by offset.
        joined = "\n".join(line.text for line in lines)
        if joined:
            starts: list[int] = []
            pos = 0
            for line in lines:
                starts.append(pos)
                pos += len(line.text) + 1
            for m in SPAM_RE.finditer(joined):
                lines[bisect_right(starts, m.start()) - 1].spam += 1
        for line in lines:
            if line.chars >= 12 and line.link_chars < line.chars * 0.5:
                key = line.text.replace(" ", "")
                if key in seen:
                    line.dup = True
                else:
                    seen[key] = line.idx
        # Sum the lines per owner, then push totals up the tree once per element, children
        # before parents (reverse document order): O(elements), not O(lines x depth).
        stats = doc.stats
        for line in lines:
            good, bad = _line_value(line)
            st = stats.get(line.owner)
            if st is None:
                st = stats[line.owner] = _Stats(first=line.idx)
            st.good += good
            st.bad += bad
            st.chars += line.chars
            st.link_chars += line.link_chars
            st.links += line.links
            st.untrusted_links += line.untrusted_links
            st.spam += line.spam
            st.last = line.idx
        order = doc.order
        # Max-heap on document order; parents are pushed when first reached, so an element is
        # popped only after every descendant has added into it.
        heap = [(-order.get(el, 0), id(el), el) for el in stats]
        heapq.heapify(heap)
        while heap:
            _, _, el = heapq.heappop(heap)
            st = stats[el]
            parent = el.getparent()
            if parent is None or parent not in order:
                continue
            ps = stats.get(parent)
            if ps is None:
                stats[parent] = _Stats(st.good, st.bad, st.chars, st.link_chars, st.links,
                                       st.untrusted_links, st.spam, st.first, st.last)
                heapq.heappush(heap, (-order[parent], id(parent), parent))
                continue
            ps.good += st.good
            ps.bad += st.bad
            ps.chars += st.chars
            ps.link_chars += st.link_chars
            ps.links += st.links
            ps.untrusted_links += st.untrusted_links
            ps.spam += st.spam
            ps.first = min(ps.first, st.first) if ps.first >= 0 else st.first
            ps.last = max(ps.last, st.last)

    def _element_score(self, el: Any, st: _Stats) -> float:
        score = st.good - st.bad
        if score <= 0:
            return score
        hint = _hint_text(el).lower()
        known = any(c in _KNOWN_BODY_CLASSES for c in _classes(el)) or (el.get("id") or "").lower() in _KNOWN_BODY_IDS
        if known:
            score *= 1.15
        elif hint.strip() and _NEGATIVE_HINT_RE.search(hint):
            score *= 0.85
        return score

    def _choose_body(self, doc: _Doc) -> Any | None:
        for el in self.select(doc.root, "body"):
            if not isinstance(el, str) and el in doc.stats:
                return el
        best = None
        best_score = 0.0
        scores: dict[Any, float] = {}
        for el, st in doc.stats.items():
            if el.tag in ("html",) or st.good <= 0:
                continue
            s = self._element_score(el, st)
            scores[el] = s
            if s > best_score:
                best, best_score = el, s
        if best is None:
            return None
        # Equal scores mean a wrapper holds nothing but the body: take the innermost one.
        best_good = doc.stats[best].good
        for el, s in scores.items():
            if el is best or not doc.contains(best, el):
                continue
            st = doc.stats[el]
            if s >= best_score * 0.98 and st.good >= best_good * 0.97:
                if doc.order.get(el, 0) > doc.order.get(best, 0):
                    best, best_score, best_good = el, max(s, best_score), st.good
        return best

    # ------------------------------------------------------------------ title
    def _choose_title(self, doc: _Doc, body_el: Any | None) -> tuple[Any | None, str | None]:
        selected = self._selected_text(doc.root, "title")
        if selected:
            return None, selected
        title_raw = doc.title_raw or ""
        ref_title = title_raw + " " + (doc.script_title or "") + " " + doc.meta.get("articletitle", "")
        ref_bigrams = bigrams(ref_title)
        body_start = doc.stats[body_el].first if body_el is not None and body_el in doc.stats else len(doc.lines)
        body_order = doc.order.get(body_el, 10**9) if body_el is not None else 10**9
        # Heading candidates: h1-h6 and elements whose class/id says "title", with their line index.
        first_line: dict[Any, int] = {}
        for line in doc.lines:
            el = line.owner
            while el is not None and el not in first_line:
                first_line[el] = line.idx
                el = el.getparent() if el.tag not in ("body", "html") else None
        best: tuple[float, Any, str, int] | None = None
        for el, idx in first_line.items():
            tag = el.tag
            tag_w = _HEADING_TAGS.get(tag)
            if tag_w is None:
                hint = _hint_text(el)
                if not hint.strip() or not _TITLE_HINT_RE.search(hint) or tag in ("body", "html"):
                    continue
                tag_w = 0.6
            st = doc.stats.get(el)
            if st is None or st.chars > 200 or st.chars < 2:
                continue
            text, last_idx = _heading_text(doc, el, idx)
            if not text or len(text) > 200:
                continue
            sim = containment(text, ref_bigrams) if ref_bigrams else 0.0
            length_w = min(1.0, len(text) / 8)
            if body_el is not None and doc.contains(body_el, el):
                distance = max(0, idx - body_start)
                if distance > 3:
                    continue
            elif doc.order.get(el, 0) > body_order:
                distance = 40  # after the body: a sidebar or "related" heading
            else:
                distance = max(0, body_start - idx)
            proximity = 1.0 / (1.0 + distance / 4)
            score = 2.0 * sim * length_w + 0.5 * tag_w + proximity
            if st.link_chars >= st.chars * 0.8 and sim < 0.5:
                score -= 1.0
            if count_spam_terms(text):
                score -= 2.0
            if best is None or score > best[0]:
                best = (score, el, text, last_idx)
        if best is not None:
            score, el, text, last_idx = best
            sim = containment(text, ref_bigrams) if ref_bigrams else 0.0
            if sim >= 0.5 or (not ref_bigrams and score >= 1.0) or (sim >= 0.3 and score >= 1.8):
                doc.title_line = last_idx
                return el, _strip_heading_noise(text)
        for key in _TITLE_META_KEYS:
            value = doc.meta.get(key)
            if value and not count_spam_terms(value):
                return None, value
        if doc.jsonld.get("headline"):
            return None, doc.jsonld["headline"]
        if best is not None and best[0] >= 1.2:
            doc.title_line = best[3]
            return best[1], _strip_heading_noise(best[2])
        return None, self._title_from_raw(doc, body_el)

    def _title_from_raw(self, doc: _Doc, body_el: Any | None) -> str | None:
        raw = doc.script_title or doc.title_raw
        if not raw:
            return None
        segments = [s for s in _TITLE_SPLIT_RE.split(raw) if s.strip()]
        clean = [s for s in segments if not count_spam_terms(s)]
        if not clean:
            return None
        body_bg = set()
        if body_el is not None and body_el in doc.stats:
            st = doc.stats[body_el]
            body_bg = bigrams("".join(line.text for line in doc.lines[st.first:st.first + 5]))
        if body_bg:
            scored = sorted(clean, key=lambda s: (containment(s, body_bg), len(s)), reverse=True)
            if containment(scored[0], body_bg) >= 0.5:
                return scored[0]
        return clean[0] if len(clean[0]) >= 4 or len(clean) == 1 else max(clean, key=len)

    def _title_removals(self, doc: _Doc, title: str | None, body_text: str) -> None:
        raw = doc.title_raw
        if not raw:
            return
        reference: set[str] | None = None  # built on first use: most titles have no prefix
        pos = raw.find(title) if title else -1
        if pos >= 0 and title:
            prefix, suffix = raw[:pos], raw[pos + len(title):]
        else:
            prefix, suffix = "", raw
        injected: list[str] = []
        for segment in _TITLE_SPLIT_RE.split(prefix):
            seg = segment.strip()
            if not seg:
                continue
            if count_spam_terms(seg):
                injected.append(seg)
                continue
            if reference is None:
                reference = bigrams((title or "") + body_text[:3000])
            if containment(seg, reference) < 0.25:
                injected.append(seg)
        for segment in _TITLE_SPLIT_RE.split(suffix):
            seg = segment.strip()
            if seg and count_spam_terms(seg):
                injected.append(seg)
        for seg in injected:
            doc.removals.append(Removal("injected_title", seg, "segment of <title> unrelated to the heading and body"))
        doc.signals["title_injected_segments"] = len(injected)

    # ------------------------------------------------------------------ body paragraphs
    def _paragraphs(self, doc: _Doc, body_el: Any | None, title: str | None) -> tuple[list[str], dict[str, Any]]:
        extra: dict[str, Any] = {"meta_lines": [], "drop_elements": []}
        if body_el is None or body_el not in doc.stats:
            return [], extra
        st = doc.stats[body_el]
        body_lines = [ln for ln in doc.lines[st.first:st.last + 1] if doc.contains(body_el, ln.owner)]
        extra["body_lines"] = body_lines
        n = len(body_lines)
        out: list[tuple[str, _Line]] = []
        title_key = (title or "").replace(" ", "")
        for pos, line in enumerate(body_lines):
            text = _PAGE_MARKER_RE.sub("", line.text).strip()
            if not text:
                continue
            near_edge = pos < 4 or pos >= n - 4
            m = _EDITOR_LINE_RE.match(text)
            if m and near_edge:
                extra["editor"] = m.group("v").strip()
                self._drop_owner(extra, line, body_el)
                continue
            m = _AUTHOR_UNIT_LINE_RE.match(text)
            if m:
                extra["author_unit"] = m.group("v").strip()
                self._drop_owner(extra, line, body_el)
                continue
            if title_key and text.replace(" ", "") == title_key and pos < 4:
                self._drop_owner(extra, line, body_el)
                continue
            if line.chars < 120 and _JUNK_LINE_RE.search(text) and line.punct <= 2:
                self._drop_owner(extra, line, body_el)
                continue
            if _CLICKS_RE.match(text) or (_PAGER_LINE_RE.match(text) and line.link_chars > 0):
                self._drop_owner(extra, line, body_el)
                continue
            if near_edge and line.chars < 150:
                labels = parse_labels(text)
                starts_with_label = bool(re.match(r"^\s*[(（【\[]?\s*(?:\S{0,4}[:：])", text))
                if labels and (len(labels) >= 2 or starts_with_label) and line.punct <= 2:
                    extra["meta_lines"].append(line.segmented)
                    self._drop_owner(extra, line, body_el)
                    continue
            if line.link_chars >= line.chars * 0.9 and line.punct == 0 and near_edge and line.chars < 40 \
                    and not _ATTACH_EXT_RE.search(text) and "附件" not in text:
                continue  # a stray navigation link at the edge of the body
            out.append((text, line))
        paragraphs = [t for t, _ in out]
        # The body printed twice inside one container: keep the first copy.
        keys = [p.replace(" ", "") for p in paragraphs]
        seen: set[str] = set()
        dup_chars = 0
        total = sum(len(k) for k in keys) or 1
        for k in keys:
            if k in seen and len(k) >= 12:
                dup_chars += len(k)
            seen.add(k)
        if dup_chars >= 0.3 * total:
            kept: list[str] = []
            seen.clear()
            dropped: list[str] = []
            for p, k in zip(paragraphs, keys):
                if k in seen and len(k) >= 12:
                    dropped.append(p)
                    continue
                seen.add(k)
                kept.append(p)
            doc.removals.append(Removal("repeated_body", "\n".join(dropped)[:5000], "body printed twice in one container"))
            doc.signals["repeated_body"] = True
            paragraphs = kept
        return paragraphs, extra

    @staticmethod
    def _drop_owner(extra: dict[str, Any], line: _Line, body_el: Any) -> None:
        if line.owner is not body_el:
            extra["drop_elements"].append((line.owner, line.text))

    # ------------------------------------------------------------------ metadata
    def _metadata(self, doc: _Doc, page: ExtractedPage, body_el: Any | None, heading_el: Any | None,
                  extra: dict[str, Any]) -> None:
        lines = doc.lines
        body_first = doc.stats[body_el].first if body_el is not None and body_el in doc.stats else len(lines)
        body_last = doc.stats[body_el].last if body_el is not None and body_el in doc.stats else len(lines)
        # The meta line lives between the heading and the body (or just above the body); PHPCMS
        # even puts it inside the h1 after a <br>, so start right after the title's own line.
        if heading_el is not None and heading_el in doc.stats:
            start = (doc.title_line if doc.title_line is not None else doc.stats[heading_el].last) + 1
            if start > body_first:  # heading inside the body container
                start = body_first
        else:
            start = max(0, body_first - 6)
        region_lines = [ln for ln in lines[start:body_first] if ln.chars < 300]
        region = "  ".join(ln.segmented for ln in region_lines)
        region_labels = parse_labels(region)
        head_meta = "  ".join(extra.get("meta_lines", []))
        body_labels = parse_labels(head_meta)
        tail = "  ".join(ln.segmented for ln in lines[body_last + 1: body_last + 9] if ln.chars < 200)
        tail_labels = parse_labels(tail)
        # Some templates put the meta line in a class="info"-like element outside that window.
        info_labels: dict[str, str] = {}
        info_text = ""
        if not region_labels:
            for el in self._info_elements(doc, body_el):
                info_text = _el_text(el)
                info_labels = parse_labels(info_text)
                if info_labels:
                    break
        visible: dict[str, str] = {}
        for labels in (region_labels, body_labels, info_labels, tail_labels):
            for k, v in labels.items():
                visible.setdefault(k, v)
        meta = doc.meta

        # published_at: selector > JSON-LD > head meta > labelled visible > unlabelled meta line
        published: datetime | date | None = None
        sel = self._selected_text(doc.root, "published_at")
        if sel:
            published = parse_date(sel) or _first_date(sel)
        if published is None and doc.jsonld.get("datePublished"):
            published = parse_date(doc.jsonld["datePublished"])
        if published is None:
            for key in _DATE_META_KEYS:
                if key in meta:
                    published = parse_date(meta[key])
                    if published is not None:
                        break
        if published is None and "published_at" in visible:
            published = parse_date(visible["published_at"]) or _first_date(visible["published_at"])
        if published is None:
            for text in (region, head_meta, info_text):
                published = _first_date(text)
                if published is not None:
                    break
        if published is None and tail:
            m = [d for d in find_dates(tail) if d.labelled]
            if m:
                published = m[0].value
        page.published_at = published

        def pick(field_name: str, meta_keys: tuple[str, ...], visible_first: bool) -> str | None:
            sel_value = self._selected_text(doc.root, field_name)
            if sel_value:
                labels = parse_labels(sel_value)
                return labels.get(field_name) or _strip_label(sel_value)
            meta_value = next((meta[k] for k in meta_keys if meta.get(k)), None)
            if field_name == "author" and not meta_value:
                meta_value = doc.jsonld.get("author")
            if meta_value and _is_placeholder(meta_value, doc):
                meta_value = None
            seen = visible.get(field_name)
            if seen and _is_placeholder(seen, doc):
                seen = None
            if visible_first:
                return seen or meta_value
            return meta_value or seen

        page.source = pick("source", _SOURCE_META_KEYS, visible_first=False)
        page.author = pick("author", _AUTHOR_META_KEYS, visible_first=True)
        page.editor = self._selected_text(doc.root, "editor") or extra.get("editor") or visible.get("editor")
        page.author_unit = (self._selected_text(doc.root, "author_unit") or extra.get("author_unit")
                            or visible.get("author_unit"))
        if page.editor:
            page.editor = _strip_label(page.editor)

    def _info_elements(self, doc: _Doc, body_el: Any | None) -> Iterable[Any]:
        sel = self.select(doc.root, "meta_line")
        yield from (e for e in sel if not isinstance(e, str))
        for el in doc.stats:
            hint = _hint_text(el).lower()
            if hint.strip() and re.search(r"info|meta|source|laiyuan|pubtime|publish|time|date|property|xinxi|attr", hint):
                st = doc.stats[el]
                if 4 <= st.chars <= 300 and (body_el is None or not doc.contains(el, body_el)):
                    yield el

    # ------------------------------------------------------------------ breadcrumb
    def _column_path(self, doc: _Doc, body_el: Any | None, title: str | None) -> str | None:
        for el in self.select(doc.root, "column_path"):
            if isinstance(el, str):
                return _join_crumbs(_split_crumb_text(el), title)
            path = _crumb_from_element(el, doc, title)
            if path:
                return path
        body_order = doc.order.get(body_el, 10**9) if body_el is not None else 10**9
        candidates: list[Any] = []
        for line in doc.lines:
            if line.chars > 200:
                continue
            if _CRUMB_PREFIX_RE.match(line.text) and re.search(r">|›|»|→|＞|/", line.text):
                candidates.append(line.owner)
        for el in doc.stats:
            hint = _hint_text(el)
            if hint.strip() and _CRUMB_HINT_RE.search(hint) and doc.stats[el].chars <= 200 and doc.stats[el].links >= 1:
                candidates.append(el)
        candidates.sort(key=lambda e: (doc.order.get(e, 0) > body_order, doc.order.get(e, 0)))
        for el in candidates:
            path = _crumb_from_element(el, doc, title)
            if path:
                return path
        column = (doc.meta.get("columnname") or "").strip()
        return column if column and column.lower() not in _HOME_WORDS else None

    # ------------------------------------------------------------------ attachments / pages
    def _attachments(self, doc: _Doc, body_el: Any | None, heading_el: Any | None) -> list[Attachment]:
        if body_el is None:
            return []
        # Attachment lists sit after the body container, in the article box that also holds the
        # heading (TRS "div.fujian"); without a heading, look one level up.
        scope = body_el
        if heading_el is not None and not doc.contains(body_el, heading_el):
            for anc in body_el.iterancestors():
                if doc.contains(anc, heading_el):
                    if anc.tag not in ("body", "html") and doc.stats.get(anc, _Stats()).links <= 60:
                        scope = anc
                    break
        if scope is body_el:
            parent = body_el.getparent()
            if parent is not None and parent.tag not in ("body", "html") and doc.stats.get(parent, _Stats()).links <= 30:
                scope = parent
        found: dict[str, Attachment] = {}
        for a in scope.iter("a"):
            if a in doc.skip or any(anc in doc.skip for anc in a.iterancestors()):
                continue
            href = a.get("href") or ""
            text = normalize_space(a.text_content())
            if not (_ATTACH_EXT_RE.search(href) or _ATTACH_EXT_RE.search(text + "#")):
                continue
            absolute = safe_urljoin(doc.url, href)
            if absolute and absolute not in found:
                found[absolute] = Attachment(absolute, text or None)
        return list(found.values())

    def _next_pages(self, doc: _Doc, body_el: Any | None) -> list[str]:
        stem = page_stem(doc.url)
        if stem is None or classify_url(doc.url) == "list":
            return []
        directory, base, ext, current = stem
        prefix = directory + base
        pages: dict[int, str] = {}
        pager_text = ""
        for a in doc.root.iter("a"):
            href = a.get("href") or ""
            if base not in href and not _may_resolve_to_base(href):
                continue  # its last path segment comes from the href and cannot be base[_N]ext
            absolute = safe_urljoin(doc.url, href)
            if not absolute:
                continue
            number = _page_number(absolute.split("?")[0], prefix, ext)
            if number is not None:
                pages[number] = absolute
                parent = a.getparent()
                if parent is not None:
                    pager_text = pager_text or _el_text(parent.getparent() if parent.tag == "li" and parent.getparent() is not None else parent)
        scripts = " ".join(s.text or "" for s in doc.root.iter("script") if s.text and "createPageHTML" in s.text)
        m = _CREATE_PAGE_RE.search(scripts)
        if m:  # TRS: createPageHTML(total, current, "t2025..._693227", "shtml"), zero-based suffixes
            total = min(int(m.group(1)), 200)
            prefix, extension = m.group(3), "." + m.group(4)
            if prefix == base:
                for i in range(total):
                    pages[i] = f"{directory}{base}{'_' + str(i) if i else ''}{extension}"
        elif pages:
            t = _TOTAL_PAGES_RE.search(pager_text)
            if t:  # DedeCMS/PHPCMS/Empire: "共N页", page 1 is the base, page k is base_k
                total = min(int(t.group(1)), 200)
                one_based = min(pages) >= 1 or 1 in pages or current >= 2
                if one_based:
                    for k in range(2, total + 1):
                        pages.setdefault(k, f"{directory}{base}_{k}{ext}")
                    pages.setdefault(0, f"{directory}{base}{ext}")
        if not pages:
            return []
        pages.setdefault(0, f"{directory}{base}{ext}")
        own = doc.url.split("#")[0].split("?")[0]
        result = [u for _, u in sorted(pages.items()) if u != own]
        if len(result) == 0 or (len(pages) == 1):
            return []
        return result

    # ------------------------------------------------------------------ spam evidence
    def _link_farms(self, doc: _Doc) -> None:
        farms: list[Any] = []
        for el, st in doc.stats.items():
            if st.links < 4 or st.untrusted_links < 2 or st.untrusted_links < 0.5 * st.links:
                continue
            if st.link_chars < 0.6 * st.chars or st.spam < 1:
                continue
            farms.append(el)
        farm_set = set(farms)
        outer = [el for el in farms if not any(anc in farm_set for anc in el.iterancestors())]
        for el in outer:
            st = doc.stats[el]
            if el.tag in ("body", "html") and st.chars > 3000:
                continue
            texts = [normalize_space(a.text_content()) for a in el.iter("a")]
            domains = sorted({registered_domain(urlsplit(safe_urljoin(doc.url, a.get("href") or "") or "").hostname)
                              for a in el.iter("a") if a.get("href")} - {doc.host_domain, ""})
            doc.removals.append(Removal("link_farm", " | ".join(t for t in texts if t)[:3000],
                                        f"{st.untrusted_links}/{st.links} links to unrelated domains: {', '.join(domains[:10])}"))
        doc.signals["link_farms"] = len(outer)

    def _repeated_body(self, doc: _Doc, body_el: Any | None, paragraphs: list[str]) -> None:
        if body_el is None or not paragraphs:
            return
        body_keys = {p.replace(" ", "") for p in paragraphs if len(p) >= 12}
        body_chars = sum(len(k) for k in body_keys)
        if not body_chars:
            return
        # Visible second copies are the lines marked dup outside the body; hidden copies are the
        # legitimately hidden elements (display:none templates) walked separately.
        groups: dict[Any, list[str]] = {}
        for line in doc.lines:
            if line.dup and not doc.contains(body_el, line.owner):
                key = line.text.replace(" ", "")
                if key in body_keys:
                    top = _top_container(doc, line.owner, body_el)
                    groups.setdefault(top, []).append(line.text)
        for el in doc.hidden_legit:
            hidden_lines = self._walk(doc, el, into=[], record_order=False)
            texts = [ln.text for ln in hidden_lines if ln.text.replace(" ", "") in body_keys]
            if texts:
                groups.setdefault(el, []).extend(texts)
        for el, texts in groups.items():
            chars = sum(len(t.replace(" ", "")) for t in dict.fromkeys(texts))
            if chars >= 0.8 * body_chars:
                desc = f"<{getattr(el, 'tag', '?')} class={el.get('class')!r} id={el.get('id')!r}>" if el is not None else ""
                doc.removals.append(Removal("repeated_body", "\n".join(texts)[:5000], f"second copy of the body in {desc}"))
                doc.signals["repeated_body"] = True

    # ------------------------------------------------------------------ page kind
    def _kind(self, doc: _Doc, page: ExtractedPage, body_el: Any | None) -> None:
        """article / list / other from the body's prose, the link items around it and the URL."""
        url_kind = classify_url(doc.url)
        lines = doc.lines
        total_chars = sum(ln.chars for ln in lines) or 1
        total_link = sum(ln.link_chars for ln in lines)
        link_items = [ln for ln in lines if _is_link_item(ln)]
        dated_items = [ln for ln in lines if _is_dated_item(ln, lines)]
        body_st = doc.stats.get(body_el) if body_el is not None else None
        good = body_st.good if body_st else 0.0
        body_chars = len(page.body_text.replace("\n", ""))
        in_body_items = 0
        in_body_dated = 0
        if body_st is not None:
            for ln in lines[body_st.first:body_st.last + 1]:
                if doc.contains(body_el, ln.owner):
                    dated = _is_dated_item(ln, lines)
                    if dated or _is_link_item(ln):
                        in_body_items += 1
                    in_body_dated += dated
        body_link_density = (body_st.link_chars / body_st.chars) if body_st and body_st.chars else 0.0
        # A container of several titled, dated links is a list, however much summary text it has.
        looks_listy = (in_body_items >= 3 and (in_body_dated >= 2 or in_body_items >= 6)) or (
            in_body_items >= 1 and in_body_dated >= 1 and url_kind == "list" and good < 400
        )
        score = min(1.0, good / 500.0) * (1.0 - body_link_density)
        if url_kind == "article":
            score = min(1.0, score + 0.15)
        elif url_kind == "list":
            score = max(0.0, score - 0.15)
        if looks_listy:
            score *= 0.3
        if not looks_listy and body_chars >= 150 and score >= 0.25:
            kind = "article"
        elif not looks_listy and body_chars >= 40 and page.title and url_kind == "article" and body_link_density < 0.5:
            kind = "article"
        elif looks_listy or dated_items:
            kind = "list"
        elif good < 50 and (len(link_items) >= 8 or (url_kind == "list" and len(link_items) >= 3)):
            kind = "list"  # a home or column page: entries without full dates, no prose
        else:
            kind = "other"
        page.page_kind = kind  # type: ignore[assignment]
        page.article_score = round(score, 3)
        offsite = sum(ln.untrusted_links for ln in lines)
        all_links = sum(ln.links for ln in lines)
        doc.signals.update({
            "url_kind": url_kind,
            "text_chars": body_chars,
            "page_chars": total_chars,
            "link_density": round(total_link / total_chars, 3),
            "link_text_ratio": round(total_link / total_chars, 3),
            "body_link_density": round(body_link_density, 3),
            "offsite_link_ratio": round(offsite / all_links, 3) if all_links else 0.0,
            "links": all_links,
            "list_items": len(link_items),
            "dated_list_items": len(dated_items),
            "spam_terms": count_spam_terms(doc.title_raw or "") + sum(ln.spam for ln in lines),
            "spam_terms_title": count_spam_terms(doc.title_raw or ""),
            "spam_terms_meta": count_spam_terms([doc.meta.get("keywords", ""), doc.meta.get("description", "")]),
        })
        doc.signals.setdefault("repeated_body", False)
        if page.published_at is None:
            doc.signals["url_date"] = _url_date(doc.url)

    # ------------------------------------------------------------------ body HTML
    def _body_html(self, doc: _Doc, body_el: Any | None, drops: list[tuple[Any, str]]) -> str:
        if body_el is None:
            return ""
        # The tree is no longer read after this point, so it can be edited in place.
        for el in list(doc.skip):  # hidden elements were never walked, so test ancestry directly
            if el is not body_el and any(anc is body_el for anc in el.iterancestors()):
                _drop(el)
        for el, text in drops:
            if el is not body_el and _el_text(el) == text and doc.contains(body_el, el):
                _drop(el)
        for el in body_el.iter():
            if isinstance(el.tag, str) and el.tag == "img" and not el.get("src"):
                for alt in ("oldsrc", "data-src", "data-original"):
                    if el.get(alt):
                        el.set("src", el.get(alt))
                        break
        try:
            body_el.make_links_absolute(doc.url, resolve_base_href=True, handle_failures="discard")
        except (ValueError, TypeError):
            pass
        try:
            html = lxml.html.tostring(body_el, encoding="unicode", with_tail=False)
        except (ValueError, TypeError):
            return ""
        html = _PAGE_MARKER_RE.sub("", html)
        return nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRS,
            url_schemes={"http", "https", "mailto"},
            link_rel=None,
            strip_comments=True,
        ).strip()


# ---------------------------------------------------------------------- helpers

_URL_CONTROL_RE = re.compile(r"[\x00-\x1f]")


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


def _page_number(url: str, prefix: str, ext: str) -> int | None:
    r"""N for "<prefix>_N<ext>" (N of 1-3 decimal digits), 0 for "<prefix><ext>", else None.

    Equivalent to ``re.match(re.escape(prefix) + r"(?:_(\d{1,3}))?" + re.escape(ext) + "$", url)``
    without compiling a pattern per page.
    """
    if not url.startswith(prefix) or not url.endswith(ext) or len(url) < len(prefix) + len(ext):
        return None
    middle = url[len(prefix):len(url) - len(ext)]
    if not middle:
        return 0
    digits = middle[1:]
    if middle[0] == "_" and 1 <= len(digits) <= 3 and digits.isdecimal():
        return int(digits)
    return None

def _line_value(line: _Line) -> tuple[float, float]:
    """(good, bad) weight of a line for the containers above it."""
    chars = line.chars
    if line.link_chars > 0.5 * chars:
        return 0.0, float(chars) + 2.0 * line.links
    if line.dup:
        return 0.0, 0.1 * chars
    if chars < 160 and _FOOTER_LINE_RE.search(line.text):
        return 0.0, float(chars)
    own = chars - line.link_chars
    if (line.punct >= 1 and chars >= 8) or chars >= 40:
        # Punctuated prose: a bonus per sentence mark rewards running text over captions.
        return own + 3.0 * min(line.punct, chars / 10), float(line.link_chars)
    if line.spam:
        return 0.0, float(chars)
    return 0.0, 0.6 * chars + line.link_chars


_FULL_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")


def _is_link_item(line: _Line) -> bool:
    """A line that is mostly a link with a title-length text: an entry of a list."""
    return line.links >= 1 and line.link_chars >= 6 and line.link_chars >= 0.4 * line.chars and line.chars <= 120


def _absolute_host(href: str) -> str | None:
    """Host of an absolute or protocol-relative link; None for relative (same-site) links."""
    h = href.strip()
    low = h[:8].lower()
    if low.startswith("http://"):
        rest = h[7:]
    elif low.startswith("https://"):
        rest = h[8:]
    elif h.startswith("//"):
        rest = h[2:]
    else:
        return None
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    return host.split(":", 1)[0].lower() or None


def _is_dated_item(line: _Line, lines: list[_Line]) -> bool:
    """A list entry: a title link with a full date on the same line or the next one."""
    if line.links < 1 or line.link_chars < 6 or line.chars > 150 or line.punct > 3:
        return False
    if _FULL_DATE_RE.search(line.text):
        return True
    # Portals put the summary and then the date line under the title link.
    for nxt in lines[line.idx + 1: line.idx + 3]:
        if nxt.links and nxt.link_chars >= 6:
            break
        if nxt.chars <= 40 and _FULL_DATE_RE.search(nxt.text):
            return True
    return False


def _is_data_row(tr: Any) -> bool:
    """A table row of short cells with inline content only: a data table, not page layout."""
    cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if len(cells) < 2:
        return False
    total = 0
    for cell in cells:
        for sub in cell.iter():
            if sub is not cell and isinstance(sub.tag, str) and (sub.tag in _BLOCK_TAGS or sub.tag == "br"):
                return False
        total += len(cell.text_content())
        if total > 300:
            return False
    return True


def _iter_jsonld(data: Any) -> Iterable[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _iter_jsonld(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            for item in graph:
                yield from _iter_jsonld(item)


def _js_unescape(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            try:
                return chr(int(code[1:], 16))
            except ValueError:
                return code
        return {"n": "\n", "t": "\t", "r": ""}.get(code, code)

    return _JS_ESCAPE_RE.sub(repl, s)


_COLOUR_RE = re.compile(r"(?:^|[;\s])(background(?:-color)?|color)\s*:\s*([#\w]+)", re.I)


def _same_colours(style: str) -> bool:
    """Text coloured like its own background (white on white): invisible to readers."""
    if "color" not in style.lower():
        return False
    colours: dict[str, str] = {}
    for prop, value in _COLOUR_RE.findall(style):
        colours["bg" if prop.lower().startswith("background") else "fg"] = value.lower()
    return "fg" in colours and colours.get("fg") == colours.get("bg")


def _heading_text(doc: _Doc, el: Any, first_idx: int) -> tuple[str, int]:
    """The title text of a heading element and the index of its last title line.

    A heading may wrap a second line with the meta line (PHPCMS: ``<h1>Title<br><span>2025-…
    来源：…</span></h1>``) or a two-line title; lines carrying a date or a label end the title.
    """
    texts: list[str] = []
    last = first_idx
    for line in doc.lines[first_idx:first_idx + 4]:
        if not doc.contains(el, line.owner):
            break
        if texts and (_FULL_DATE_RE.search(line.text) or parse_labels(line.segmented)):
            break
        texts.append(line.text)
        last = line.idx
    return " ".join(texts), last


def _strip_heading_noise(text: str) -> str:
    return text.strip(" \u3000|-_·")


def _strip_label(value: str) -> str:
    return re.sub(r"^\s*[(（【\[]?\s*[^:：\s]{1,6}\s*[:：]\s*", "", value).strip(" )）】]") or value


def _is_placeholder(value: str, doc: _Doc) -> bool:
    low = value.strip().lower()
    # DedeCMS fills empty fields with 未知 and the author with the admin's login name.
    return low in ("", "未知", "不详", "admin", "administrator", "null", "none", "佚名")


def _first_date(text: str) -> datetime | date | None:
    if not text:
        return None
    found = find_dates(text)
    labelled = [d for d in found if d.labelled]
    if labelled:
        return labelled[0].value
    return found[0].value if found else None


def _url_date(url: str) -> str | None:
    m = re.search(r"/t((?:19|20)\d{2})([01]\d)([0-3]\d)_|/((?:19|20)\d{2})/?([01]\d)([0-3]\d)/|/art/(\d{4})/(\d{1,2})/(\d{1,2})/", url)
    if not m:
        return None
    g = [x for x in m.groups() if x]
    try:
        return date(int(g[0]), int(g[1]), int(g[2])).isoformat()
    except (ValueError, IndexError):
        return None


def _drop(el: Any) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _top_container(doc: _Doc, el: Any, body_el: Any) -> Any:
    """Outermost ancestor of ``el`` that does not contain the body: the other copy's container."""
    current = el
    parent = current.getparent()
    while parent is not None and parent.tag not in ("body", "html") and not doc.contains(parent, body_el):
        current = parent
        parent = current.getparent()
    return current


def _split_crumb_text(text: str) -> list[str]:
    text = _CRUMB_PREFIX_RE.sub("", text)
    return [s.strip() for s in _CRUMB_SEP_RE.split(text) if s.strip()]


def _crumb_from_element(el: Any, doc: _Doc, title: str | None) -> str | None:
    segments: list[tuple[str, str | None]] = []
    link_buf: list[str] = []
    current_link: Any = None
    for node in el.xpath(".//text()"):
        parent = node.getparent()
        holder = parent.getparent() if node.is_tail else parent
        if holder is None:
            continue
        if any(isinstance(x.tag, str) and x.tag in ("script", "style") for x in [holder]):
            continue
        link = None
        probe = holder
        while probe is not None and probe is not el.getparent():
            if probe.tag == "a":
                link = probe
                break
            if probe is el:
                break
            probe = probe.getparent()
        if link is not None:
            if link is not current_link and link_buf:
                segments.append(("".join(link_buf), current_link.get("href")))
                link_buf = []
            current_link = link
            link_buf.append(str(node))
            continue
        if link_buf:
            segments.append(("".join(link_buf), current_link.get("href") if current_link is not None else None))
            link_buf = []
            current_link = None
        for piece in _CRUMB_SEP_RE.split(_CRUMB_PREFIX_RE.sub("", normalize_space(str(node)))):
            piece = piece.strip()
            if piece:
                segments.append((piece, None))
    if link_buf:
        segments.append(("".join(link_buf), current_link.get("href") if current_link is not None else None))
    cleaned: list[tuple[str, str | None]] = []
    for text, href in segments:
        text = _CRUMB_PREFIX_RE.sub("", normalize_space(text)).strip(" >›»→＞/|")
        if text:
            cleaned.append((text, href))
    if len(cleaned) < 1:
        return None
    links = sum(1 for _, h in cleaned if h)
    if links == 0 and len(cleaned) < 2:
        return None
    # Everything up to and including the home link goes; so does a first link to the site root.
    home_idx = -1
    for i, (text, href) in enumerate(cleaned[:3]):
        if text.lower() in _HOME_WORDS or (href is not None and _is_root_href(href, doc.url)):
            home_idx = i
            break
    rest = [t for t, _ in cleaned[home_idx + 1:]]
    return _join_crumbs(rest, title)


def _join_crumbs(parts: list[str], title: str | None) -> str | None:
    out = []
    for p in parts:
        if p.lower() in _HOME_WORDS or p in _CRUMB_DROP:
            continue
        if len(p) > 40:
            continue
        if title and len(title) >= 8 and (p == title or (len(p) >= 8 and containment(p, title) >= 0.8)):
            continue
        out.append(p)
    return " > ".join(out) or None


def _is_root_href(href: str, base: str) -> bool:
    absolute = safe_urljoin(base, href)
    if not absolute:
        return False
    path = urlsplit(absolute).path
    return path in ("/", "/index.html", "/index.htm", "/index.shtml", "/index.php", "/index.aspx", "/default.aspx")
