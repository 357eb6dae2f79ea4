"""The title: the visible heading that matches <title>, else meta tags, JSON-LD, a <title> segment.

A <title> made only of the site's chrome (its name, column names, "首页") is no reference: the
heading above the body is taken on its own weight. A note of the original headline
(``（原标题：…）``) is never the title and is cut from it; :func:`is_original_title_note` tells
the body's cleaner which lines are such notes.

What else <title> holds (keyword stuffing put in front of the real title) is the cleaner's to
cut (`pipelines.spam.title`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipelines.spam.title import TITLE_SEPARATOR
from pipelines.spam.vocabulary import count_terms
from pipelines.text import bigrams, containment

from .candidates import FOOTER_LINE_RE, FULL_DATE_RE, ScoredPage
from .metadata import TITLE_META_KEYS, Head
from .text import normalize_space, parse_labels
from .tree import hint_text

_HEADING_TAGS = {"h1": 1.0, "h2": 0.85, "h3": 0.6, "h4": 0.4, "h5": 0.3, "h6": 0.3}
# An element whose class or id says "title" weighs like an h3.
_TITLE_HINT_WEIGHT = 0.6
_TITLE_HINT_RE = re.compile(r"title|\btit\b|\bbt\b|biaoti|headline|\btitle\b", re.I)
# A line that is only emphasised text (<b>, <strong>, <font>) weighs like an h4: old table
# layouts set the title that way.
_EMPHASIS_WEIGHT = 0.4
_EMPHASIS_TAGS = frozenset({"b", "strong", "font", "big"})
# A note of the original headline, whole ("（原标题：…）") or ending a title.
_ORIGINAL_NOTE_RE = re.compile(r"[（(【\[]?\s*原(?:标|標)?题(?:为)?\s*[:：]")
_ORIGINAL_TAIL_RE = re.compile(r"\s*[（(【\[]\s*原(?:标|標)?题(?:为)?\s*[:：].*$")
# Words that name a page of the site, not an article, when they stand alone in <title>.
_CHROME_WORDS = frozenset({
    "首页", "主页", "首頁", "主頁", "正文", "详情", "詳情", "内容", "內容", "详细内容", "新闻详情",
    "文章详情", "内容页", "信息详情", "查看详情", "阅读", "index",
})

# Heading score = SIMILARITY_WEIGHT * similarity to <title> * length weight + TAG_WEIGHT * tag
# weight + proximity to the body. Similarity to what the site calls the page dominates; the tag
# and the position break ties between headings that all match (a column name, the real title).
SIMILARITY_WEIGHT = 2.0
TAG_WEIGHT = 0.5
# Headings shorter than this many characters are weighed down (column names, "正文").
FULL_LENGTH_CHARS = 8
# Lines between heading and body at which proximity halves.
PROXIMITY_LINES = 4
# A heading more than this many lines into the body is part of the text.
MAX_LINES_INTO_BODY = 3
# A heading after the body (a sidebar, "related") is treated as this far away.
AFTER_BODY_DISTANCE = 40
# A heading that is a link and does not match <title> points elsewhere.
LINKED_HEADING_PENALTY = 1.0
SPAM_HEADING_PENALTY = 2.0
# Accepting the best heading: it matches <title> this much, or scores this high without one.
MATCH_ACCEPT = 0.5
NO_REFERENCE_ACCEPT = 1.0
WEAK_MATCH = 0.3
WEAK_MATCH_ACCEPT = 1.8
# After meta tags and JSON-LD came up empty, a heading scoring this much is still preferred to
# a <title> segment.
LAST_RESORT_ACCEPT = 1.2
# Under a chrome <title>, a heading scoring this much (a div.title or a bold line a line or two
# above the body) is the title.
CHROME_TITLE_ACCEPT = 0.8
# Site and column names in a chrome <title> are at most this long.
CHROME_NAME_MAX_CHARS = 16


@dataclass(frozen=True)
class Title:
    text: str | None
    heading: Any | None = None  # the heading element the title came from
    last_line: int | None = None  # index of the heading's last title line


def _heading_text(scored: ScoredPage, el: Any, first_idx: int) -> tuple[str, int]:
    """The title text of a heading element and the index of its last title line.

    A heading may wrap a second line with the meta line (PHPCMS: ``<h1>Title<br><span>2025-…
    来源：…</span></h1>``) or a two-line title; lines carrying a date or a label end the title.
    """
    tree = scored.tree
    texts: list[str] = []
    last = first_idx
    for line in tree.lines[first_idx:first_idx + 4]:
        if not tree.contains(el, line.owner):
            break
        if texts and (FULL_DATE_RE.search(line.text) or parse_labels(line.segmented)):
            break
        texts.append(line.text)
        last = line.idx
    return _without_badge(el, " ".join(texts)), last


# Marks a site sets in front of a heading in an element of their own: <h2><span>原创</span>…
BADGES = frozenset({"原创", "独家", "首发", "置顶", "推荐", "热", "荐", "转载", "头条", "精华", "顶"})
_INLINE_TAGS = frozenset({"span", "em", "i", "b", "strong", "label", "font", "sup", "small"})


def _without_badge(el: Any, text: str) -> str:
    """The heading's text without a badge that opens it in an inline element of its own."""
    first = next((child for child in el if isinstance(child.tag, str)), None)
    if first is None or (el.text or "").strip() or first.tag not in _INLINE_TAGS:
        return text
    badge = normalize_space(first.text_content())
    if badge in BADGES and text.startswith(badge) and len(text) > len(badge) + 4:
        return text[len(badge):].lstrip()
    return text


def _strip_heading_noise(text: str) -> str:
    return text.strip(" \u3000|-_·")


def _emphasised(el: Any) -> bool:
    """A block whose text is all inside one <b>/<strong>/<font> (nested ones too)."""
    while True:
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) != 1 or (el.text or "").strip() or (children[0].tail or "").strip():
            return False
        el = children[0]
        if el.tag in _EMPHASIS_TAGS and not [c for c in el if c.tag not in _EMPHASIS_TAGS]:
            return True
        if el.tag not in _EMPHASIS_TAGS:
            return False


def is_original_title_note(text: str) -> bool:
    """``（原标题：…）`` or ``原标题：…`` as a line of its own."""
    return _ORIGINAL_NOTE_RE.match(text.strip()) is not None


def cut_original_title(text: str) -> str:
    """The title without a trailing ``（原标题：…）``."""
    return _ORIGINAL_TAIL_RE.sub("", text).strip()


def chrome_title(title_raw: str, scored: ScoredPage) -> bool:
    """Is every segment of <title> the site's chrome: a page word ("首页"), or a short name that
    is the whole text of one of the page's links (menus, breadcrumbs, the logo) or stands in
    its footer? An article's own title, longer, is never taken for chrome."""
    segments = [s.strip() for s in TITLE_SEPARATOR.split(title_raw) if s.strip()]
    pending = [s for s in segments if s.lower() not in _CHROME_WORDS]
    if not segments or any(len(s) > CHROME_NAME_MAX_CHARS for s in pending):
        return False
    if not pending:
        return True
    links: set[str] = set()
    footers: list[str] = []
    for line in scored.tree.lines:
        if line.link_chars >= line.chars * 0.8:
            links.add(line.text)
        elif line.chars < 160 and FOOTER_LINE_RE.search(line.text):
            footers.append(line.text)
    return all(seg in links or any(seg in text for text in footers) for seg in pending)


def choose_title(scored: ScoredPage, head: Head, selected: str | None) -> Title:
    """Layers: the site's selector, a heading that matches <title>, meta tags, JSON-LD, <title>;
    without a trailing ``（原标题：…）``."""
    title = _choose_title(scored, head, selected)
    if title.text is None:
        return title
    return Title(cut_original_title(title.text) or None, title.heading, title.last_line)


def _choose_title(scored: ScoredPage, head: Head, selected: str | None) -> Title:
    if selected:
        return Title(selected)
    tree = scored.tree
    body_el = scored.body
    raw = head.title_raw or ""
    chrome = bool(raw) and chrome_title(raw, scored)
    ref_title = " ".join(
        ("" if chrome else raw, head.script_title or "", head.meta.get("articletitle", ""))
    )
    ref_bigrams = bigrams(ref_title)
    body_st = scored.body_totals
    body_start = body_st.first if body_st is not None else len(tree.lines)
    body_order = tree.order.get(body_el, 10**9)
    # Heading candidates: h1-h6 and elements whose class/id says "title", with their line index.
    first_line: dict[Any, int] = {}
    for line in tree.lines:
        el = line.owner
        while el is not None and el not in first_line:
            first_line[el] = line.idx
            el = el.getparent() if el.tag not in ("body", "html") else None
    best: tuple[float, float, Any, str, int] | None = None
    for el, idx in first_line.items():
        tag = el.tag
        tag_w = _HEADING_TAGS.get(tag)
        if tag_w is None:
            hint = hint_text(el)
            if not ref_bigrams and _emphasised(el):
                tag_w = _EMPHASIS_WEIGHT
            elif not hint.strip() or not _TITLE_HINT_RE.search(hint) or tag in ("body", "html"):
                continue
            else:
                tag_w = _TITLE_HINT_WEIGHT
        st = scored.totals.get(el)
        if st is None or st.chars > 200 or st.chars < 2:
            continue
        text, last_idx = _heading_text(scored, el, idx)
        if not text or len(text) > 200 or is_original_title_note(text):
            continue
        sim = containment(text, ref_bigrams) if ref_bigrams else 0.0
        length_w = min(1.0, len(text) / FULL_LENGTH_CHARS)
        if body_el is not None and tree.contains(body_el, el):
            distance = max(0, idx - body_start)
            if distance > MAX_LINES_INTO_BODY:
                continue
        elif tree.order.get(el, 0) > body_order:
            distance = AFTER_BODY_DISTANCE
        else:
            distance = max(0, body_start - idx)
        proximity = 1.0 / (1.0 + distance / PROXIMITY_LINES)
        score = SIMILARITY_WEIGHT * sim * length_w + TAG_WEIGHT * tag_w + proximity
        if st.link_chars >= st.chars * 0.8 and sim < 0.5:
            score -= LINKED_HEADING_PENALTY
        if count_terms(text):
            score -= SPAM_HEADING_PENALTY
        if best is None or score > best[0]:
            best = (score, sim, el, text, last_idx)
    if best is not None:
        score, sim, el, text, last_idx = best
        if sim >= MATCH_ACCEPT or (not ref_bigrams and score >= NO_REFERENCE_ACCEPT) or (
            sim >= WEAK_MATCH and score >= WEAK_MATCH_ACCEPT
        ) or (chrome and score >= CHROME_TITLE_ACCEPT):
            return Title(_strip_heading_noise(text), el, last_idx)
    for key in TITLE_META_KEYS:
        value = head.meta.get(key)
        if value and not count_terms(value):
            return Title(value)
    if head.jsonld.get("headline"):
        return Title(head.jsonld["headline"])
    if best is not None and best[0] >= LAST_RESORT_ACCEPT:
        return Title(_strip_heading_noise(text), el, last_idx)
    return Title(None if chrome else _title_from_raw(scored, head))


def _title_from_raw(scored: ScoredPage, head: Head) -> str | None:
    """The segment of <title> (or of a script's document.title) that reads like the body."""
    raw = head.script_title or head.title_raw
    if not raw:
        return None
    segments = [s for s in TITLE_SEPARATOR.split(raw) if s.strip()]
    clean = [s for s in segments if not count_terms(s)]
    if not clean:
        return None
    body_bg = set()
    st = scored.body_totals
    if st is not None:
        body_bg = bigrams("".join(line.text for line in scored.tree.lines[st.first:st.first + 5]))
    if body_bg:
        ranked = sorted(clean, key=lambda s: (containment(s, body_bg), len(s)), reverse=True)
        if containment(ranked[0], body_bg) >= 0.5:
            return _shown_part(ranked[0], scored)
    chosen = clean[0] if len(clean[0]) >= 4 or len(clean) == 1 else max(clean, key=len)
    return _shown_part(chosen, scored)


def _shown_part(segment: str, scored: ScoredPage) -> str:
    """A <title> segment that runs on past the heading the page shows, words after a space
    (``X 东区办事处`` over a line ``X``: a source or column the site appends): the shown part."""
    words = segment.split()
    if len(words) < 2:
        return segment
    st = scored.body_totals
    end = st.first if st is not None else len(scored.tree.lines)
    shown = {normalize_space(line.text) for line in scored.tree.lines[:end]}
    for n in range(len(words) - 1, 0, -1):
        prefix = " ".join(words[:n])
        if len(prefix) >= FULL_LENGTH_CHARS and prefix in shown:
            return prefix
    return segment
