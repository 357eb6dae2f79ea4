"""The one lxml parse of a page and what is read off it: hidden elements, lines, document order.

Hidden elements (inline display:none, off-screen, 1-pixel marquee...) are set aside and never
walked. The visible text is cut into *lines*: runs of inline text between block boundaries and
``<br>``, each owned by its nearest block element, with its link characters, links to unrelated
hosts, Chinese sentence punctuation (，。；！？、) and spam terms counted.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from pipelines.hosts import registered_domain
from pipelines.spam.vocabulary import term_starts

from .text import count_sentence_punct, normalize_space
from .urls import is_unrelated_host

# Tags whose content is never page text.
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "select", "option",
    "textarea", "button", "input", "svg", "canvas", "head", "title", "meta", "link", "map", "area",
    "audio", "video", "source", "applet", "frameset", "frame", "noframes",
})
BLOCK_TAGS = frozenset({
    "html", "body", "div", "p", "td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption",
    "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "main", "header", "footer", "nav", "aside", "form", "blockquote", "pre", "address", "figure",
    "figcaption", "center", "fieldset", "legend", "details", "summary", "hr", "marquee", "menu",
    "dir", "hgroup", "colgroup", "col",
})
HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d]*[1-9])"
    r"|(?:left|top|right|text-indent|margin-left|margin-top)\s*:\s*-\s*\d{3,}"
    r"|font-size\s*:\s*0(?:px|pt|em|rem)?\s*(?:;|$|!)"
    r"|(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)[^\"]*overflow\s*:\s*hidden"
    r"|overflow\s*:\s*hidden[^\"]*(?:^|[;\s])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)",
    re.I,
)
# A colour is a name, a #hex or a functional value (rgb(56, 58, 66)): compared whole.
_COLOUR_RE = re.compile(
    r"(?:^|[;\s])(background(?:-color)?|color)\s*:\s*(\w+\([^)]*\)|[#\w]+)", re.I
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def parse_html(html: str) -> tuple[Any, str | None]:
    """The lxml tree of a page and, when libxml2 gave up on part of it, why (else None).

    libxml2 stops building the tree below 256 levels of nesting ("Excessive depth in document")
    and drops everything deeper: the page still parses, but its content may be gone. Callers
    get the reason so that a page emptied that way is reported as such, not as "no article".
    """
    # lxml refuses str input with an XML encoding declaration and NUL/control characters.
    if html.lstrip()[:5] == "<?xml":
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html[:200]) + html[200:]
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


def el_text(el: Any) -> str:
    try:
        return normalize_space(el.text_content())
    except (ValueError, AttributeError):
        return ""


def hint_text(el: Any) -> str:
    """An element's class and id: what templates name their containers by."""
    return f"{el.get('class') or ''} {el.get('id') or ''}"


@lru_cache(maxsize=512)
def _compile_selector(selector: str) -> etree.XPath:
    sel = selector.strip()
    if sel.startswith(("/", "(", "./")):
        return etree.XPath(sel)
    from lxml.cssselect import CSSSelector

    return CSSSelector(sel, translator="html")


class Selectors:
    """Per-site selectors (field -> CSS selector or XPath), the first layer of every field."""

    def __init__(self, selectors: Mapping[str, str]) -> None:
        self._selectors = dict(selectors)

    def select(self, root: Any, field_name: str) -> list[Any]:
        """Results of the selector for a field: elements or strings (XPath @attr/text())."""
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

    def text(self, root: Any, field_name: str) -> str | None:
        for item in self.select(root, field_name):
            text = normalize_space(item if isinstance(item, str) else el_text(item))
            if text:
                return text
        return None


@dataclass(slots=True)
class Line:
    text: str
    owner: Any  # HtmlElement: the nearest block element
    chars: int  # non-space characters
    link_chars: int
    links: int
    untrusted_links: int  # links to hosts of other sites that are not public institutions
    punct: int
    idx: int = 0
    dup: bool = False  # a line of 12+ characters seen earlier on the page
    spam: int = 0
    parts: tuple[str, ...] = ()  # raw text nodes: element boundaries matter in meta lines

    @property
    def segmented(self) -> str:
        """The line with two spaces at each text-node boundary ("来源：X  作者：Y  A+")."""
        return "  ".join(t for t in (normalize_space(p) for p in self.parts) if t)


@dataclass(frozen=True)
class Tree:
    """One parsed page: its lines in document order and where each element starts and ends."""

    root: Any
    url: str
    host_domain: str
    lines: list[Line]
    order: dict[Any, int]  # element -> pre-order index, for the walked elements
    end: dict[Any, int]  # element -> pre-order index of its last descendant
    hidden: list[Any]  # outermost hidden elements, never walked
    # Every node of the tree, held so that lxml keeps one Python proxy per element for the whole
    # extraction instead of building (and class-looking-up) a new one on each later traversal.
    nodes: list[Any]

    def contains(self, outer: Any, inner: Any) -> bool:
        o = self.order.get(outer)
        i = self.order.get(inner)
        if o is None or i is None:
            return False
        return o <= i <= self.end.get(outer, o)


def read_tree(root: Any, url: str) -> Tree:
    """Set the hidden elements aside, walk the rest into lines, and mark spam and repeated lines."""
    nodes = list(root.iter())
    hidden = _outermost_hidden(nodes)
    body = root.find("body")
    host_domain = registered_domain(urlsplit(url).hostname or "")
    lines, order, end = walk(body if body is not None else root, host_domain, set(hidden))
    _mark_lines(lines)
    return Tree(root, url, host_domain, lines, order, end, hidden, nodes)


def _same_colours(style: str) -> bool:
    """Text coloured like its own background (white on white): invisible to readers."""
    if "color" not in style.lower():
        return False
    colours: dict[str, str] = {}
    for prop, value in _COLOUR_RE.findall(style):
        colours["bg" if prop.lower().startswith("background") else "fg"] = (
            value.lower().replace(" ", "")
        )
    return "fg" in colours and colours.get("fg") == colours.get("bg")


def _outermost_hidden(nodes: list[Any]) -> list[Any]:
    hidden: list[Any] = []
    for el in nodes:
        if not isinstance(el.tag, str):
            continue
        style = el.get("style")
        if style and (HIDDEN_STYLE_RE.search(style) or _same_colours(style)):
            is_hidden = True
        elif el.tag == "marquee":
            sizes = ((el.get(side) or "").strip().rstrip("px") for side in ("width", "height"))
            is_hidden = any(size in ("0", "1") for size in sizes)
        else:
            is_hidden = el.get("hidden") is not None and el.tag != "input"
        if is_hidden and el.tag not in ("html", "body"):
            hidden.append(el)
    return outermost(hidden)


def outermost(elements: list[Any]) -> list[Any]:
    """The elements that have none of the others as an ancestor, in their order."""
    members = set(elements)
    return [el for el in elements if not any(anc in members for anc in el.iterancestors())]


def _mark_lines(lines: list[Line]) -> None:
    """Count spam terms per line and mark lines whose text was seen earlier on the page."""
    # One regex pass over the whole text, hits mapped back to lines by offset.
    joined = "\n".join(line.text for line in lines)
    if joined:
        starts: list[int] = []
        pos = 0
        for line in lines:
            starts.append(pos)
            pos += len(line.text) + 1
        for start in term_starts(joined):
            lines[bisect_right(starts, start) - 1].spam += 1
    seen: set[str] = set()
    for line in lines:
        if line.chars >= 12 and line.link_chars < line.chars * 0.5:
            key = line.text.replace(" ", "")
            if key in seen:
                line.dup = True
            else:
                seen.add(key)


# Blocks a data table's cell may hold and still read as one cell: Word and CMS editors wrap
# each cell's text in <p> or <div>, with <br> between its lines.
_CELL_BLOCK_TAGS = frozenset({"p", "div", "br", "span", "strong", "b", "font", "center"})
# A data row's cells hold at most this many characters in all.
DATA_ROW_MAX_CHARS = 300


def _is_data_row(tr: Any) -> bool:
    """A table row of short cells with text only (a <p> around it allowed): a data table, such
    as a notice's list of subsidies and deadlines, not the page's layout."""
    cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if len(cells) < 2:
        return False
    total = 0
    for cell in cells:
        for sub in cell.iter():
            tag = sub.tag
            if (sub is not cell and isinstance(tag, str) and (tag in BLOCK_TAGS or tag == "br")
                    and tag not in _CELL_BLOCK_TAGS):
                return False
        total += len(cell.text_content())
        if total > DATA_ROW_MAX_CHARS:
            return False
    return True


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


def walk(
    start: Any, host_domain: str, skip: set[Any]
) -> tuple[list[Line], dict[Any, int], dict[Any, int]]:
    """Cut the visible text below `start` into lines owned by block elements.

    Returns the lines and each walked element's pre-order index and that of its last
    descendant. Iterative, so deep nesting is safe.
    """
    lines: list[Line] = []
    order: dict[Any, int] = {}
    end: dict[Any, int] = {}
    counter = 0
    append_line = lines.append
    block_tags = BLOCK_TAGS
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
            chars = len(text) - text.count(" ")
            append_line(Line(
                text, owners[-1], chars, min(link_chars, chars), links, untrusted,
                count_sentence_punct(text), len(lines), False, 0, tuple(parts),
            ))

    data_rows: set[Any] = set()
    flat: set[Any] = set()  # the elements inside a data row's cells, walked as inline text
    # Stack entries: an element to enter, or (element, is_block, is_link) to leave.
    stack: list[Any] = [start]
    pop = stack.pop
    push = stack.append
    first = True
    while stack:
        el = pop()
        if el.__class__ is tuple:  # leaving an element
            el, block, is_link = el
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
            # A comment, processing instruction or skipped element: left at once, so that only
            # its tail is text.
            push((el, False, False))
            continue
        first = False
        order[el] = counter
        counter += 1
        children = list(el)
        if el in flat:
            is_block = False
            parts.append(" ")  # data table: one line per row, cells and their lines joined
        elif (tag == "td" or tag == "th") and el.getparent() in data_rows:
            is_block = False
            parts.append(" ")
            flat.update(sub for sub in el.iterdescendants() if isinstance(sub.tag, str))
        else:
            # A <br> ends the line like a block that holds nothing.
            is_block = tag in block_tags or tag == "br"
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
                if host and is_unrelated_host(host, host_domain):
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
    return lines, order, end
