"""Metadata in layers: the site's selectors, JSON-LD and head meta tags, the labelled meta line
(来源/日期/作者...) between the heading and the body, then None; the publication date chosen
among the dates the page shows by where each sits; and the breadcrumb.

Never raises for a missing field: each layer that finds nothing hands over to the next.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

from pipelines.hosts import registered_domain
from pipelines.text import containment

from .candidates import ScoredPage
from .dates import ends_with_date_label, find_dates, parse_date, url_date, url_month
from .page import DateSource
from .text import normalize_space, parse_labels
from .tree import Selectors, el_text, hint_text
from .urls import safe_urljoin

_DATE_META_KEYS = (
    "pubdate", "publishdate", "article:published_time", "og:article:published_time",
    "og:release_date", "datepublished", "dc.date.issued", "dc.date", "dcterms.issued",
    "publish_date", "publishtime", "pub_date", "weibo:article:create_at", "firstpublishedtime",
    "sailthru.date", "date",
)
# Other sites' names for the same thing: a key that says published/created and time/date.
_DATE_META_KEY_RE = re.compile(r"(?:pub|release|issue|creat).*(?:time|date)|(?:time|date).*pub")
TITLE_META_KEYS = ("articletitle", "og:title", "twitter:title", "dc.title")
_SOURCE_META_KEYS = (
    "contentsource", "source", "article:source", "og:article:source", "dc.publisher",
)
_SITE_NAME_META_KEYS = ("sitename", "og:site_name", "site_name", "application-name")
_AUTHOR_META_KEYS = ("author", "article:author", "og:article:author", "dc.creator")
_DOC_TITLE_RE = re.compile(r"document\.title\s*=\s*([\"'])((?:(?!\1)[^\\]|\\.)*)\1")
_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_INFO_HINT_RE = re.compile(
    r"info|meta|source|laiyuan|pubtime|publish|time|date|property|xinxi|attr"
)
# DedeCMS fills empty fields with 未知 and the author with the admin's login name.
_PLACEHOLDERS = frozenset({
    "", "未知", "不详", "admin", "administrator", "null", "none", "佚名",
    "网络", "网络整理", "互联网",  # "from the internet": no outlet named
})

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
_ROOT_PATHS = (
    "/", "/index.html", "/index.htm", "/index.shtml", "/index.php", "/index.aspx", "/default.aspx",
)


@dataclass(frozen=True)
class Head:
    """What the page says about itself outside the visible text."""

    meta: dict[str, str]  # <meta> name/property/itemprop/http-equiv (lower case) -> content
    jsonld: dict[str, str]  # headline, name, datePublished, dateCreated, author
    title_raw: str | None  # the <title> text as served
    script_title: str | None  # a document.title set by a script
    signals: dict[str, object]  # meta_refresh, meta_refresh_offsite


@dataclass(frozen=True)
class EdgeLabels:
    """Labelled lines found at the edges of the body and taken out of its text."""

    meta_lines: list[str]  # "来源：…  日期：…" lines, segmented at element boundaries
    editor: str | None = None  # from a 责任编辑 line
    author_unit: str | None = None  # from a 作者单位 line


@dataclass(frozen=True)
class Metadata:
    published_at: datetime | date | None
    published_at_source: DateSource | None
    source: str | None
    author: str | None
    editor: str | None
    author_unit: str | None


def js_unescape(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            try:
                return chr(int(code[1:], 16))
            except ValueError:
                return code
        return {"n": "\n", "t": "\t", "r": ""}.get(code, code)

    return _JS_ESCAPE_RE.sub(repl, s)


def _iter_jsonld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _iter_jsonld(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            for item in graph:
                yield from _iter_jsonld(item)


def read_head(root: Any, url: str, host_domain: str) -> Head:
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv")
        key = (key or "").strip().lower()
        content = el.get("content")
        if key and content is not None and key not in meta:
            meta[key] = normalize_space(content)[:2000]
    title_el = root.find(".//title")
    title_raw = (normalize_space(title_el.text_content()) or None) if title_el is not None else None
    jsonld: dict[str, str] = {}
    script_title: str | None = None
    for script in root.iter("script"):
        code = script.text or ""
        if code and script_title is None:
            m = _DOC_TITLE_RE.search(code)
            if m:
                script_title = normalize_space(js_unescape(m.group(2))) or None
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        for item in _iter_jsonld(data):
            for key in ("headline", "name", "datePublished", "dateCreated"):
                value = item.get(key)
                if isinstance(value, str) and key not in jsonld:
                    jsonld[key] = value
            author = item.get("author")
            if isinstance(author, dict):
                author = author.get("name")
            elif isinstance(author, list) and author and isinstance(author[0], dict):
                author = author[0].get("name")
            if isinstance(author, str) and "author" not in jsonld:
                jsonld["author"] = author
    signals: dict[str, object] = {}
    refresh = meta.get("refresh")
    if refresh and "url=" in refresh.lower():
        target = safe_urljoin(url, refresh.split("=", 1)[1].split("=", 1)[-1].strip(" '\""))
        if target:
            signals["meta_refresh"] = target
            target_domain = registered_domain(urlsplit(target).hostname)
            signals["meta_refresh_offsite"] = target_domain != host_domain
    return Head(meta, jsonld, title_raw, script_title, signals)


def site_name(head: Head) -> str | None:
    """The display name the page gives its own site (TRS's SiteName, og:site_name), or None."""
    for key in _SITE_NAME_META_KEYS:
        value = normalize_space(head.meta.get(key) or "")
        if value and not _is_placeholder(value):
            return value
    return None


def _strip_label(value: str) -> str:
    return re.sub(r"^\s*[(（【\[]?\s*[^:：\s]{1,6}\s*[:：]\s*", "", value).strip(" )）】]") or value


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in _PLACEHOLDERS


def _info_elements(scored: ScoredPage, selectors: Selectors) -> Iterable[Any]:
    """The site's meta-line element, then elements named like one (class="info", "pubtime")."""
    tree = scored.tree
    yield from (e for e in selectors.select(tree.root, "meta_line") if not isinstance(e, str))
    for el, st in scored.totals.items():
        hint = hint_text(el).lower()
        if hint.strip() and _INFO_HINT_RE.search(hint):
            if 4 <= st.chars <= 300 and (scored.body is None or not tree.contains(el, scored.body)):
                yield el


def _body_range(scored: ScoredPage) -> tuple[int, int]:
    """Indexes of the body's first and last lines; past the last line when there is no body."""
    st = scored.body_totals
    end = len(scored.tree.lines)
    return (st.first, st.last) if st is not None else (end, end)


def read_metadata(
    scored: ScoredPage, head: Head, selectors: Selectors, heading: Any | None,
    title_line: int | None, edge: EdgeLabels, title_text: str | None = None,
) -> Metadata:
    """published_at (and where it came from), source, author, editor, author_unit; `edge` is
    what the body's edges held."""
    tree = scored.tree
    root = tree.root
    lines = tree.lines
    body_first, body_last = _body_range(scored)
    # The meta line lives between the heading and the body (or just above the body); PHPCMS
    # even puts it inside the h1 after a <br>, so start right after the title's own line.
    if heading is not None and heading in scored.totals:
        start = (title_line if title_line is not None else scored.totals[heading].last) + 1
        if start > body_first:  # heading inside the body container
            start = body_first
    else:
        start = max(0, body_first - 6)
    region = "  ".join(ln.segmented for ln in lines[start:body_first] if ln.chars < 300)
    region_labels = parse_labels(region)
    head_meta = "  ".join(edge.meta_lines)
    edge_labels = parse_labels(head_meta)
    tail = "  ".join(ln.segmented for ln in lines[body_last + 1: body_last + 9] if ln.chars < 200)
    tail_labels = parse_labels(tail)
    # Some templates put the meta line in a class="info"-like element outside that window.
    info_labels: dict[str, str] = {}
    info_text = ""
    if not region_labels:
        for el in _info_elements(scored, selectors):
            info_text = el_text(el)
            info_labels = parse_labels(info_text)
            if info_labels:
                break
    visible: dict[str, str] = {}
    for labels in (region_labels, edge_labels, info_labels, tail_labels):
        for k, v in labels.items():
            visible.setdefault(k, v)
    meta = head.meta

    published, published_source = _published(
        scored, head, selectors, heading, _title_line(scored, title_line, title_text)
    )

    def pick(field_name: str, meta_keys: tuple[str, ...], visible_first: bool) -> str | None:
        sel_value = selectors.text(root, field_name)
        if sel_value:
            labels = parse_labels(sel_value)
            return labels.get(field_name) or _strip_label(sel_value)
        meta_value = next((meta[k] for k in meta_keys if meta.get(k)), None)
        if field_name == "author" and not meta_value:
            meta_value = head.jsonld.get("author")
        if meta_value and _is_placeholder(meta_value):
            meta_value = None
        seen = visible.get(field_name)
        if seen and _is_placeholder(seen):
            seen = None
        if visible_first:
            return seen or meta_value
        return meta_value or seen

    editor = selectors.text(root, "editor") or edge.editor or visible.get("editor")
    author_unit = (
        selectors.text(root, "author_unit") or edge.author_unit or visible.get("author_unit")
    )
    return Metadata(
        published_at=published,
        published_at_source=published_source,
        source=(pick("source", _SOURCE_META_KEYS, visible_first=False)
                or _named_source(scored, heading)),
        author=pick("author", _AUTHOR_META_KEYS, visible_first=True),
        editor=_strip_label(editor) if editor else editor,
        author_unit=author_unit,
    )


# A byline element named for the source (sina's `a.source`, qq's `span.a_source`): its text is
# the source even without a 来源 label. Its name holds one of these words; its text is short and
# neither a date nor a label line.
_SOURCE_NAME_WORDS = frozenset({"source", "laiyuan", "comefrom", "wzly", "xxly"})
_NAME_SPLIT_RE = re.compile(r"[\s_\-]+")
_SOURCE_TEXT_MAX_CHARS = 30


def _named_source(scored: ScoredPage, heading: Any | None) -> str | None:
    """The text of the innermost element between the heading and the body whose class or id
    names it the source, when the page labels none."""
    body = scored.body
    started = heading is None
    for el in scored.tree.root.iter():
        if el is heading:
            started = True
            continue
        if el is body:
            return None
        if not started or not isinstance(el.tag, str):
            continue
        names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if not names.strip() or not _SOURCE_NAME_WORDS & set(_NAME_SPLIT_RE.split(names)):
            continue
        text = normalize_space(el_text(el))
        if (0 < len(text) <= _SOURCE_TEXT_MAX_CHARS and not find_dates(text)
                and not parse_labels(text) and not _is_placeholder(text)):
            return _strip_label(text)
    return None


# --- published_at ----------------------------------------------------------------------------

# A date the page shows is scored by where it sits: each feature of its place adds its weight.
# The article's date sits in the byline next to the title or the source, or on old pages under
# the body; other articles' dates sit in lists, link text, sidebars and footers.
DATE_LABEL_WEIGHT = 3.0  # a date label stands right before it ("发布时间：", "日期:", "发表于")
BYLINE_WORDS_WEIGHT = 2.0  # its line, or a short element around it, names 来源/作者/编辑/点击
BYLINE_CLASS_WEIGHT = 1.0  # an element around it is named like a byline ("info", "time")
SITE_META_LINE_WEIGHT = 5.0  # inside the site's own meta-line selector
NEAR_HEADING_WEIGHT = 3.0  # between the heading and the body, next to either
HEADING_HALF_LINES = 4  # lines away from the heading or the body at which that weight halves
UNDER_BODY_WEIGHT = 1.5  # a short line in the body's last lines or right under it
UNDER_BODY_LINES = 8
BODY_END_LINES = 2  # the body's own last lines that old templates put the date in
DATE_LINE_WEIGHT = 1.0  # the line is little more than the date: a cell or span of its own
DATE_LINE_SLACK = 6  # characters besides the date that still make a date line
URL_DAY_WEIGHT = 1.5  # the URL names the same day
URL_MONTH_WEIGHT = 0.5  # the URL names the same month
IN_PROSE_PENALTY = 3.0  # in the body's running text: history the article mentions
BEFORE_HEADING_PENALTY = 1.0  # above the heading: date bars, tickers
FAR_BELOW_PENALTY = 1.5  # far under the body: comments, "related" blocks
LIST_PENALTY = 4.0  # in a list item, or a line mostly link text: another article's date
SIDE_PENALTY = 4.0  # in a sidebar, nav, footer or comment block (holding neither title nor body)
FOOTER_LINE_PENALTY = 5.0  # on a copyright / ICP line
DATE_ACCEPT = 0.5  # the best-placed date is the article's when it scores this much
BYLINE_MAX_CHARS = 120  # a byline line, and an element around one, is short
LINKED_SHARE = 0.5  # a line this much link text is a link to another page
_AROUND_LEVELS = 3  # elements above a date's line read for byline words and names

_BYLINE_WORDS_RE = re.compile(
    r"来\s*源|來\s*源|作\s*者|编\s*辑|編\s*輯|记者|記者|稿源|出[处處]|浏览|瀏覽|点击|點擊|阅读|閱讀"
    r"|字号|字號"
)
_SIDE_HINT_RE = re.compile(
    r"side|related|relate|xiangguan|recommend|tuijian|\bhot|rank|footer|\bfoot|bottom|copyright"
    r"|banquan|comment|pinglun|reply|friend|youqing|\blinks?\b|\bnav|menu|marquee|scroll|gundong"
    r"|\bright\b|\bleft\b",
    re.I,
)
_SIDE_TAGS = frozenset({"aside", "nav", "footer", "marquee"})
_LIST_TAGS = frozenset({"li", "dd", "dt"})
_FOOTER_WORDS_RE = re.compile(r"版权所有|版權所有|copyright|©|ICP\s*[备證证]|公网安备|公網安備", re.I)
# What a line needs to hold a date find_dates reads (a quick test before the full one).
_DATE_HINT_RE = re.compile(
    r"(?:19|20)\d\d\s*[-/.年]|[０-９]{4}|[〇○Ｏ零一二][〇○Ｏ零一二三四五六七八九]{3}\s*年"
    r"|(?:间|間|期)\s*[:：]?\s*(?:19|20)\d{6}"
)
_MOST_A_DATE_ADDS = DATE_LABEL_WEIGHT + DATE_LINE_WEIGHT + URL_DAY_WEIGHT


@dataclass(frozen=True)
class DateSpot:
    """One date the page shows, the features of where it sits and its score."""

    value: datetime | date
    line: int
    score: float
    byline: bool  # labelled, among byline words or in a byline element, or next to the heading


def _meta_date(head: Head) -> datetime | date | None:
    """The date of the head's meta tags: the known keys first, then any key naming one."""
    for key in _DATE_META_KEYS:
        if key in head.meta:
            value = parse_date(head.meta[key])
            if value is not None:
                return value
    for key, content in head.meta.items():
        if _DATE_META_KEY_RE.search(key):
            value = parse_date(content)
            if value is not None:
                return value
    return None


def _published(
    scored: ScoredPage, head: Head, selectors: Selectors, heading: Any | None,
    anchor: int | None,
) -> tuple[datetime | date | None, DateSource | None]:
    """Selector > JSON-LD > head meta > the best-placed date shown > the URL's day."""
    root = scored.tree.root
    sel = selectors.text(root, "published_at")
    if sel:
        found = find_dates(sel)
        value = parse_date(sel) or (found[0].value if found else None)
        if value is not None:
            return value, "byline"
    if head.jsonld.get("datePublished"):
        value = parse_date(head.jsonld["datePublished"])
        if value is not None:
            return value, "structured"
    meta_value = _meta_date(head)
    if meta_value is not None:
        if not isinstance(meta_value, datetime):
            return meta_value, "meta"
        # A page that shows the same day with another time in its byline is stored as shown
        # (the meta tag is often the time of the last edit or of the feed).
        shown = best_date_spot(date_spots(scored, selectors, heading, anchor))
        if (shown is not None and shown.byline and isinstance(shown.value, datetime)
                and shown.value.date() == meta_value.date()
                and shown.value.replace(tzinfo=None) != meta_value.replace(tzinfo=None)):
            return shown.value, "byline"
        return meta_value, "meta"
    best = best_date_spot(date_spots(scored, selectors, heading, anchor))
    if best is not None:
        return best.value, "byline" if best.byline else "text"
    day = url_date(scored.tree.url)
    return (day, "url") if day is not None else (None, None)


def best_date_spot(spots: list[DateSpot]) -> DateSpot | None:
    """The highest-scoring spot at or above ``DATE_ACCEPT``; the earlier one on a tie."""
    best: DateSpot | None = None
    for spot in spots:
        if spot.score >= DATE_ACCEPT and (best is None or spot.score > best.score):
            best = spot
    return best


def _title_line(scored: ScoredPage, title_line: int | None, title: str | None) -> int | None:
    """The heading's line, else the first line that reads as the title (old pages set it in a
    table cell that no heading rule recognises)."""
    if title_line is not None or not title:
        return title_line
    target = normalize_space(title)
    for line in scored.tree.lines:
        if line.text == target:
            return line.idx
    return None


def date_spots(
    scored: ScoredPage, selectors: Selectors, heading: Any | None, anchor: int | None
) -> list[DateSpot]:
    """Every date shown in the page's lines, scored by where it sits."""
    tree = scored.tree
    lines = tree.lines
    body = scored.body
    body_st = scored.body_totals
    body_first, body_last = _body_range(scored)
    anchor_in_body = anchor is not None and anchor >= body_first
    day = url_date(tree.url)
    month = url_month(tree.url)
    meta_lines = [e for e in selectors.select(tree.root, "meta_line") if not isinstance(e, str)]
    # Elements that hold the article: nothing above them says anything about one date.
    holders = {e for e in (body, heading) if e is not None}
    chains: dict[Any, tuple[bool, bool]] = {}
    spots: list[DateSpot] = []
    for i, line in enumerate(lines):
        text = line.text
        if not _DATE_HINT_RE.search(text):
            continue
        around = _around(scored, line.owner, holders, chains)
        short = line.chars <= BYLINE_MAX_CHARS
        place = 0.0
        near = False
        in_body = body_st is not None and body_first <= i <= body_last
        if anchor is not None and i < anchor:
            place -= BEFORE_HEADING_PENALTY
        elif in_body and short and line.punct <= 1 and (
            (anchor_in_body and anchor is not None and i - anchor <= HEADING_HALF_LINES)
            or i - body_first < BODY_END_LINES
        ):
            near = True
            distance = i - anchor if anchor_in_body and anchor is not None else i - body_first + 1
            place += NEAR_HEADING_WEIGHT / (1 + max(0, distance - 1) / HEADING_HALF_LINES)
        elif in_body and short and line.punct <= 1 and body_last - i < BODY_END_LINES:
            place += UNDER_BODY_WEIGHT
        elif in_body:
            place -= IN_PROSE_PENALTY
        elif i < body_first:
            since_heading = i - anchor if anchor is not None else body_first - i
            distance = min(since_heading, body_first - i)
            near = True
            place += NEAR_HEADING_WEIGHT / (1 + max(0, distance - 1) / HEADING_HALF_LINES)
        elif short and i - body_last <= UNDER_BODY_LINES:
            place += UNDER_BODY_WEIGHT
        else:
            place -= FAR_BELOW_PENALTY
        if around.in_list:
            place -= LIST_PENALTY
        # Between the heading and the body an element's name says less than its place
        # ("post-footer" under a blog's title holds the byline).
        if around.in_side and not (near and i < body_first):
            place -= SIDE_PENALTY
        if _FOOTER_WORDS_RE.search(text):
            place -= FOOTER_LINE_PENALTY
        words = short and (_BYLINE_WORDS_RE.search(text) is not None or around.byline_words)
        if words:
            place += BYLINE_WORDS_WEIGHT
        if around.byline_class:
            place += BYLINE_CLASS_WEIGHT
        if meta_lines and any(tree.contains(e, line.owner) for e in meta_lines):
            place += SITE_META_LINE_WEIGHT
        if place + _MOST_A_DATE_ADDS < DATE_ACCEPT:
            continue  # no date on this line can win: its dates are not worth reading
        found = find_dates(text)
        for n, found_date in enumerate(found):
            score = place
            labelled = found_date.labelled or (
                n == 0 and found_date.start <= 1 and i > 0
                and ends_with_date_label(lines[i - 1].text)
            )
            if labelled:
                score += DATE_LABEL_WEIGHT
            shown_chars = found_date.end - found_date.start
            if line.chars - shown_chars <= DATE_LINE_SLACK:
                score += DATE_LINE_WEIGHT
            # Link text beyond the date itself (an archive link of the date is a byline's).
            if line.link_chars > shown_chars + DATE_LINE_SLACK and (
                line.link_chars >= LINKED_SHARE * line.chars
            ):
                score -= LIST_PENALTY
            shown = found_date.value
            shown_day = shown.date() if isinstance(shown, datetime) else shown
            if day is not None and shown_day == day:
                score += URL_DAY_WEIGHT
            elif month is not None and (shown_day.year, shown_day.month) == month:
                score += URL_MONTH_WEIGHT
            byline = labelled or words or around.byline_class or near
            spots.append(DateSpot(shown, i, score, byline))
    return spots


@dataclass(frozen=True)
class _Around:
    """What the elements between a line and the article's holders say about it."""

    in_list: bool
    in_side: bool
    byline_words: bool
    byline_class: bool


def _around(
    scored: ScoredPage, owner: Any, holders: set[Any], chains: dict[Any, tuple[bool, bool]]
) -> _Around:
    """Byline words and names in the few elements above a line; list and side flags of all the
    elements up to the article's holders. `chains` keeps each element's flags for the page:
    the dated items of one sidebar share their ancestors."""
    tree, totals = scored.tree, scored.totals
    words = named = False
    path: list[Any] = []  # the owner and its ancestors below the article's holders
    el = owner
    in_list = in_side = False
    while el is not None and el.tag not in ("body", "html"):
        if el in chains and len(path) >= _AROUND_LEVELS:
            in_list, in_side = chains[el]
            break
        if any(tree.contains(el, h) for h in holders):
            break  # it holds the title or the body: the article's own container
        if len(path) < _AROUND_LEVELS:
            hint = hint_text(el)
            if hint.strip() and _INFO_HINT_RE.search(hint.lower()):
                named = True
            st = totals.get(el)
            # Sizes come from the totals: reading a large container's text costs 20x this.
            if path and not words and st is not None and st.chars <= BYLINE_MAX_CHARS:
                words = _BYLINE_WORDS_RE.search(el.text_content()) is not None
        path.append(el)
        el = el.getparent()
    for el in reversed(path):  # from the outermost down, each element's flags for the page
        hint = hint_text(el)
        in_list = in_list or el.tag in _LIST_TAGS
        named_side = bool(hint.strip()) and _SIDE_HINT_RE.search(hint) is not None
        in_side = in_side or el.tag in _SIDE_TAGS or named_side
        chains[el] = (in_list, in_side)
    return _Around(in_list, in_side, words, named)


# --- breadcrumb ------------------------------------------------------------------------------

def column_path(
    scored: ScoredPage, selectors: Selectors, meta: dict[str, str], title: str | None
) -> str | None:
    """The column the article sits in ("新闻中心 > 产业规划"), from the breadcrumb or meta."""
    tree = scored.tree
    for el in selectors.select(tree.root, "column_path"):
        if isinstance(el, str):
            return _join_crumbs(_split_crumb_text(el), title)
        path = _crumb_from_element(el, tree.url, title)
        if path:
            return path
    body_el = scored.body
    body_order = tree.order.get(body_el, 10**9)
    candidates: list[Any] = []
    for line in tree.lines:
        if line.chars > 200:
            continue
        if _CRUMB_PREFIX_RE.match(line.text) and re.search(r">|›|»|→|＞|/", line.text):
            candidates.append(line.owner)
    for el, st in scored.totals.items():
        hint = hint_text(el)
        if hint.strip() and _CRUMB_HINT_RE.search(hint) and st.chars <= 200 and st.links >= 1:
            candidates.append(el)
    candidates.sort(key=lambda e: (tree.order.get(e, 0) > body_order, tree.order.get(e, 0)))
    for el in candidates:
        path = _crumb_from_element(el, tree.url, title)
        if path:
            return path
    column = (meta.get("columnname") or "").strip()
    return column if column and column.lower() not in _HOME_WORDS else None


def _split_crumb_text(text: str) -> list[str]:
    text = _CRUMB_PREFIX_RE.sub("", text)
    return [s.strip() for s in _CRUMB_SEP_RE.split(text) if s.strip()]


def _enclosing_link(node: Any, el: Any) -> Any | None:
    """The <a> that holds `node`, looking no higher than `el`."""
    while node is not None:
        if node.tag == "a":
            return node
        if node is el:
            return None
        node = node.getparent()
    return None


def _crumb_from_element(el: Any, url: str, title: str | None) -> str | None:
    texts: list[tuple[Any, str]] = []  # (enclosing link or None, text node)
    for node in el.xpath(".//text()"):
        holder = node.getparent().getparent() if node.is_tail else node.getparent()
        if holder is not None and holder.tag not in ("script", "style"):
            texts.append((_enclosing_link(holder, el), str(node)))
    segments: list[tuple[str, str | None]] = []
    for link, group in groupby(texts, key=itemgetter(0)):
        if link is not None:
            segments.append(("".join(text for _, text in group), link.get("href")))
            continue
        for _, text in group:
            for piece in _CRUMB_SEP_RE.split(_CRUMB_PREFIX_RE.sub("", normalize_space(text))):
                if piece.strip():
                    segments.append((piece.strip(), None))
    cleaned: list[tuple[str, str | None]] = []
    for text, href in segments:
        text = _CRUMB_PREFIX_RE.sub("", normalize_space(text)).strip(" >›»→＞/|")
        if text:
            cleaned.append((text, href))
    if len(cleaned) < 2 and not any(href for _, href in cleaned):
        return None
    # Everything up to and including the home link goes; so does a first link to the site root.
    home_idx = -1
    for i, (text, href) in enumerate(cleaned[:3]):
        if text.lower() in _HOME_WORDS or (href is not None and _is_root_href(href, url)):
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
        if title and len(title) >= 8 and (
            p == title or (len(p) >= 8 and containment(p, title) >= 0.8)
        ):
            continue
        out.append(p)
    return " > ".join(out) or None


def _is_root_href(href: str, base: str) -> bool:
    absolute = safe_urljoin(base, href)
    if not absolute:
        return False
    return urlsplit(absolute).path in _ROOT_PATHS
