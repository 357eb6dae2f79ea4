"""Clean-up of the body and spam evidence: the body's text without its edge lines, the sanitised
body HTML, and what was set aside (hidden spam blocks, document.write blocks, link farms,
second copies of the body), recorded as removals and signals for the spam stage to judge.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import nh3
from lxml import etree

from pipelines.hosts import registered_domain
from pipelines.spam.vocabulary import count_terms

from .candidates import ScoredPage
from .links import ATTACH_EXT_RE
from .metadata import EdgeLabels, js_unescape
from .page import Removal
from .text import normalize_space, parse_labels
from .title import BADGES, is_original_title_note
from .tree import HIDDEN_STYLE_RE, Line, Tree, el_text, outermost, walk
from .urls import is_unrelated_host, safe_urljoin

_JUNK_LINE_RE = re.compile(
    r"打印本页|打印本頁|打印此页|关闭窗口|關閉窗口|关闭本页|【打印】|【关闭】|【關閉】|返回顶部|返回頂部"
    r"|字号\s*[:：]|字號\s*[:：]|[\[【(]\s*大\s*中\s*小\s*[\]】)]|分享到|扫一扫|掃一掃|微信扫|手机扫"
    r"|上一篇|下一篇|上一條|下一條|上一条|下一条|上一頁|相关阅读|相关文章|相關文章|热门文章|熱門文章"
    r"|推荐阅读|推薦閱讀|ICP\s*备|ICP\s*證|ICP\s*证|公网安备|公網安備|版权所有|版權所有|Copyright|©"
    r"|技术支持\s*[:：]|网站标识码|網站標識碼|收藏本页|加入收藏|设为首页|【字体|【字號",
    re.I,
)
_PAGER_LINE_RE = re.compile(r"^(?:共\s*\d+\s*页|第\s*\d+\s*页|上一页|下一页|首页|尾页|末页|\d+|[\s.·:：<>»«|])+$")
_PAGE_MARKER_RE = re.compile(
    r"#p#.*?#e#|\[page\]|\[!--empirenews\.page--\]|_ueditor_page_break_tag_", re.I
)
_EDITOR_LINE_RE = re.compile(
    r"^[(（\[【]?\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]\s*(?P<v>[^)）\]】]{1,40}?)\s*[)）\]】]?\s*$"
)
_AUTHOR_UNIT_LINE_RE = re.compile(r"^[(（]?\s*(?:作者单位|作者單位)\s*[:：]\s*(?P<v>.+?)[)）]?$")
_CLICKS_RE = re.compile(r"^(?:点击|點擊|浏览|瀏覽|阅读|閱讀)(?:次数|次數|量)?\s*[:：]?\s*\d*\s*次?$")
_LABEL_START_RE = re.compile(r"^\s*[(（【\[]?\s*(?:\S{0,4}[:：])")
_CLOAK_ENGINE_RE = re.compile(
    r"baidu|sogou|so\.com|sm\.cn|google|bing|yahoo|360\.cn|toutiao|shenma|haosou", re.I
)
_REDIRECT_RE = re.compile(
    r"location(?:\.href)?\s*=|location\.replace|window\.open|\.href\s*=|location\.assign"
    r"|http-equiv",
    re.I,
)
_OBFUSCATED_RE = re.compile(r"(?:\\x[0-9a-f]{2}){8,}", re.I)
_DOC_WRITE_RE = re.compile(r"document\.write(?:ln)?\s*\(((?:[^()]|\([^()]*\))*)\)", re.S)
_JS_STRING_RE = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'", re.S)
# Lines this close to the start or end of the body may be its furniture (editor, meta line...).
_EDGE_LINES = 4
# Paragraphs of this many characters or more count as a repeated copy when seen twice.
_REPEAT_MIN_CHARS = 12
# A copy elsewhere on the page holding this share of the body's text is a second copy of it.
_SECOND_COPY_SHARE = 0.8

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


def _spam_detail(text: str, hrefs: Iterable[str], url: str, host_domain: str) -> str | None:
    """Why hidden text is spam (spam terms, or mostly links to unrelated domains), else None."""
    links = 0
    untrusted: list[str] = []
    for href in hrefs:
        absolute = safe_urljoin(url, href)
        if not absolute:
            continue
        links += 1
        host = urlsplit(absolute).hostname or ""
        if is_unrelated_host(host, host_domain):
            untrusted.append(registered_domain(host))
    terms = count_terms(text)
    if terms >= 1 or (len(untrusted) >= 2 and len(untrusted) >= 0.5 * links):
        domains = ", ".join(sorted(set(untrusted))[:10])
        unrelated = f"{len(untrusted)}/{links} links to unrelated domains {domains}"
        return f"{terms} spam terms; {unrelated}".strip()
    return None


def scan_scripts(root: Any, url: str, host_domain: str) -> tuple[list[Removal], dict[str, object]]:
    """Cloaking redirects, obfuscated code, and hidden spam markup written by document.write."""
    removals: list[Removal] = []
    signals: dict[str, object] = {}
    cloaking = False
    obfuscated = blocks = terms = 0
    for script in root.iter("script"):
        code = script.text or ""
        if not code:
            continue
        if "referrer" in code and _CLOAK_ENGINE_RE.search(code) and _REDIRECT_RE.search(code):
            cloaking = True
        sniffs = "referrer" in code or "atob(" in code
        if "userAgent" in code and sniffs and _REDIRECT_RE.search(code):
            cloaking = True
        if "eval(function(p,a,c,k,e" in code or "atob(" in code or _OBFUSCATED_RE.search(code):
            obfuscated += 1
        for call in _DOC_WRITE_RE.finditer(code):
            markup = "".join(js_unescape(a or b) for a, b in _JS_STRING_RE.findall(call.group(1)))
            if markup and HIDDEN_STYLE_RE.search(markup):
                text, detail = _written_spam(markup, url, host_domain)
                if detail is not None:
                    why = f"document.write; {detail}"
                    removals.append(Removal("hidden_block", text[:2000], why))
                    blocks += 1
                    terms += count_terms(text)
    if blocks:  # counted with the hidden elements' blocks and terms (judge_hidden)
        signals.update(hidden_blocks=blocks, document_write_hidden=True, hidden_spam_terms=terms)
    signals["cloaking_redirect"] = cloaking
    signals["obfuscated_scripts"] = obfuscated
    return removals, signals


def _written_spam(markup: str, url: str, host_domain: str) -> tuple[str, str | None]:
    """The text of hidden markup a script writes, and why it is spam (None when it is not)."""
    try:
        frag = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return "", None
    text = el_text(frag)
    hrefs = [a.get("href") or "" for a in frag.iter("a")]
    return text, _spam_detail(text, hrefs, url, host_domain)


@dataclass(frozen=True)
class Hidden:
    """The page's outermost hidden elements, judged: spam blocks as removals, the rest kept."""

    removals: list[Removal]
    legit: list[Any]  # hidden without spam: menus, tabs, display:none templates
    spam_terms: int


def judge_hidden(tree: Tree) -> Hidden:
    removals: list[Removal] = []
    legit: list[Any] = []
    spam_terms = 0
    for el in tree.hidden:
        text = el_text(el)
        if not text:
            continue
        hrefs = (a.get("href") or "" for a in el.iter("a"))
        detail = _spam_detail(text, hrefs, tree.url, tree.host_domain)
        if detail is not None:
            spam_terms += count_terms(text)
            if el.get("style"):
                how = f"style={el.get('style')!r}"
            else:
                how = f"width={el.get('width')!r} height={el.get('height')!r}"
            removals.append(Removal("hidden_block", text[:2000], f"<{el.tag} {how}>; {detail}"))
        else:
            legit.append(el)
    return Hidden(removals, legit, spam_terms)


@dataclass(frozen=True)
class BodyText:
    paragraphs: list[str]
    edge: EdgeLabels
    # (element, its text) of lines taken out of the text, to be cut from the body HTML as well.
    drops: list[tuple[Any, str]] = field(default_factory=list)


def body_text(scored: ScoredPage, title: str | None, cut: Collection[int] = ()) -> BodyText:
    """The body's paragraphs without its furniture: editor and meta lines, the title repeated,
    print/close/share links, pagers and click counters, comment threads, and the lines whose
    index is in `cut` (the information table); and the first copy of a doubled body."""
    parts = scored.parts
    if scored.body_totals is None:
        return BodyText([], EdgeLabels([]))
    body_lines = scored.body_lines()
    n = len(body_lines)
    meta_lines: list[str] = []
    editor: str | None = None
    author_unit: str | None = None
    drops: list[tuple[Any, str]] = []
    paragraphs: list[str] = []
    title_key = (title or "").replace(" ", "")
    for pos, line in enumerate(body_lines):
        text = _PAGE_MARKER_RE.sub("", line.text).strip()
        if not text:
            continue
        near_edge = pos < _EDGE_LINES or pos >= n - _EDGE_LINES
        drop = True
        m = _EDITOR_LINE_RE.match(text)
        if line.idx in scored.threads:
            pass  # a comment or reply inside the chosen block
        elif m and near_edge:
            editor = m.group("v").strip()
        elif (m := _AUTHOR_UNIT_LINE_RE.match(text)):
            author_unit = m.group("v").strip()
        elif _is_furniture(text, line, title_key, pos < _EDGE_LINES):
            pass  # out of the text and the HTML, kept nowhere
        elif near_edge and line.chars < 150 and line.punct <= 2 and _is_meta_line(text):
            meta_lines.append(line.segmented)
        else:
            drop = line.idx in cut
        if drop:
            if line.owner not in parts:
                drops.append((line.owner, line.text))
            continue
        if (near_edge and line.link_chars >= line.chars * 0.9 and line.punct == 0
                and line.chars < 40 and not ATTACH_EXT_RE.search(text) and "附件" not in text):
            continue  # a stray navigation link at the edge of the body
        paragraphs.append(text)
    return BodyText(paragraphs, EdgeLabels(meta_lines, editor, author_unit), drops)


def _is_title_line(key: str, title_key: str) -> bool:
    """The title, or the title behind a badge (原创, 独家…) the heading shows in front of it."""
    return key == title_key or (key.endswith(title_key) and key[: -len(title_key)] in BADGES)


def _is_furniture(text: str, line: Line, title_key: str, top: bool) -> bool:
    """The title repeated or the original headline noted (at the `top` of the body),
    print/close/share links, a click counter or a pager."""
    if top and ((title_key and _is_title_line(text.replace(" ", ""), title_key))
                or is_original_title_note(text)):
        return True
    if line.chars < 120 and _JUNK_LINE_RE.search(text) and line.punct <= 2:
        return True
    return bool(_CLICKS_RE.match(text) or (_PAGER_LINE_RE.match(text) and line.link_chars > 0))


def _is_meta_line(text: str) -> bool:
    labels = parse_labels(text)
    return bool(labels) and (len(labels) >= 2 or bool(_LABEL_START_RE.match(text)))


def link_farms(scored: ScoredPage) -> tuple[list[Removal], int]:
    """Blocks of links to unrelated domains carrying spam terms (outermost of each nest), and
    how many there are: a whole page of prose that is also a farm is counted, not removed."""
    tree = scored.tree
    outer = outermost([
        el for el, st in scored.totals.items()
        if st.links >= 4 and st.untrusted_links >= 2 and st.untrusted_links >= 0.5 * st.links
        and st.link_chars >= 0.6 * st.chars and st.spam >= 1
    ])
    removals: list[Removal] = []
    for el in outer:
        st = scored.totals[el]
        if el.tag in ("body", "html") and st.chars > 3000:
            continue
        texts = [normalize_space(a.text_content()) for a in el.iter("a")]
        hosts = {urlsplit(safe_urljoin(tree.url, a.get("href") or "") or "").hostname
                 for a in el.iter("a") if a.get("href")}
        domains = sorted({registered_domain(h) for h in hosts} - {tree.host_domain, ""})
        unrelated = ", ".join(domains[:10])
        why = f"{st.untrusted_links}/{st.links} links to unrelated domains: {unrelated}"
        removals.append(Removal("link_farm", " | ".join(t for t in texts if t)[:3000], why))
    return removals, len(outer)


def _top_container(tree: Tree, el: Any, body_el: Any) -> Any:
    """Outermost ancestor of ``el`` that does not contain the body: the other copy's container."""
    current = el
    parent = current.getparent()
    while (parent is not None and parent.tag not in ("body", "html")
           and not tree.contains(parent, body_el)):
        current = parent
        parent = current.getparent()
    return current


def repeated_copies(
    scored: ScoredPage, paragraphs: list[str], hidden_legit: list[Any]
) -> list[Removal]:
    """Second copies of the body elsewhere on the page, visible or hidden."""
    body_el = scored.body
    if body_el is None or not paragraphs:
        return []
    body_keys = {p.replace(" ", "") for p in paragraphs if len(p) >= _REPEAT_MIN_CHARS}
    body_chars = sum(len(k) for k in body_keys)
    if not body_chars:
        return []
    tree = scored.tree
    # Visible second copies are the lines marked dup outside the body; hidden copies are the
    # legitimately hidden elements (display:none templates) walked separately.
    groups: dict[Any, list[str]] = {}
    for line in tree.lines:
        if line.dup and not scored.in_body(line.owner):
            key = line.text.replace(" ", "")
            if key in body_keys:
                top = _top_container(tree, line.owner, body_el)
                groups.setdefault(top, []).append(line.text)
    for el in hidden_legit:
        hidden_lines, _, _ = walk(el, tree.host_domain, set())
        texts = [ln.text for ln in hidden_lines if ln.text.replace(" ", "") in body_keys]
        if texts:
            groups.setdefault(el, []).extend(texts)
    removals: list[Removal] = []
    for el, texts in groups.items():
        chars = sum(len(t.replace(" ", "")) for t in dict.fromkeys(texts))
        if chars >= _SECOND_COPY_SHARE * body_chars:
            desc = f"<{el.tag} class={el.get('class')!r} id={el.get('id')!r}>"
            why = f"second copy of the body in {desc}"
            removals.append(Removal("repeated_body", "\n".join(texts)[:5000], why))
    return removals


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


def body_html(scored: ScoredPage, drops: list[tuple[Any, str]]) -> str:
    """The article's blocks (the body and its continuations) as sanitised HTML: hidden and
    dropped lines cut, links absolute.

    Edits the tree in place: call it after everything else has read the tree.
    """
    parts = scored.parts
    if not parts:
        return ""
    tree = scored.tree
    for el in tree.hidden:  # hidden elements were never walked, so test ancestry directly
        if el not in parts and any(anc in parts for anc in el.iterancestors()):
            _drop(el)
    for el, text in drops:
        if el not in parts and el_text(el) == text and scored.in_body(el):
            _drop(el)
    html = []
    for part in parts:
        for img in part.iter("img"):
            lazy_src = next(filter(None, map(img.get, ("oldsrc", "data-src", "data-original"))),
                            None)
            if lazy_src and not img.get("src"):
                img.set("src", lazy_src)
        try:
            part.make_links_absolute(tree.url, resolve_base_href=True, handle_failures="discard")
        except (ValueError, TypeError):
            pass
        try:
            html.append(lxml.html.tostring(part, encoding="unicode", with_tail=False))
        except (ValueError, TypeError):
            continue
    return nh3.clean(
        _PAGE_MARKER_RE.sub("", "\n".join(html)),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    ).strip()
