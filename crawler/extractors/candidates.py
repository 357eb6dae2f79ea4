"""Body candidates: what each element's lines weigh, the choice of the body, and the page kind.

Every block element scores the lines beneath it: prose (punctuated, not linked) counts for it,
link text and short unpunctuated labels count against it, and a paragraph seen before on the page
(the mobile copy of the body) counts nothing. The best-scoring element is the body; the penalty
for non-prose makes the tightest container around the article win, and known CMS containers
(div.TRS_Editor, td#text...) get a bonus without being required.

Comment threads and forum replies are found here too (:func:`thread_lines`): repeated sibling
blocks that each carry a reply marker (回复, 楼, 网友, "3小时前"...). Their prose counts against
the containers above them, so the article's own text wins over a longer thread. So does the prose
of teaser lists (:func:`teaser_lines`: related articles, each opening with its title link and
going on with a summary).

The body may be one part of the article when the text goes on in sibling blocks of its container
(paragraphs split across divs, text broken by a figure, an ad or a share bar, rows of a <td>
layout): :func:`continuations` finds them, and the article is the body with its continuations.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from .text import normalize_space
from .tree import Line, Tree, hint_text
from .urls import classify_url

# --- line weights: (good, bad) of one line for every container above it -----------------------
# A line more than this share link text is navigation, whatever it says.
LINK_LINE_SHARE = 0.5
# Each link of a navigation line weighs as much as two more characters against: menus of many
# short links must lose to a paragraph of the same length.
LINK_PENALTY = 2.0
# A repeated line (the mobile or printed copy of the body) costs a little, so a wrapper around
# both copies loses to the one that holds the first.
DUP_PENALTY = 0.1
# Footer lines (copyright, ICP, addresses) are short; a long line mentioning them is prose.
FOOTER_MAX_CHARS = 160
# Prose: a sentence mark in a line of this many characters, or a line this long without one.
PROSE_MIN_CHARS = 8
PROSE_UNPUNCTUATED_CHARS = 40
# Each sentence mark adds this much (at most one mark per CHARS_PER_MARK characters counts):
# running text beats captions and lists of equal length.
SENTENCE_BONUS = 3.0
CHARS_PER_MARK = 10
# Short unpunctuated labels ("首页", "相关链接") weigh a little over half their length against.
LABEL_PENALTY = 0.6

# --- comment threads --------------------------------------------------------------------------
# A thread: at least this many sibling blocks of one tag and class, each holding a marker line.
THREAD_MIN_ITEMS = 3
# ... and markers in at least this share of those siblings.
THREAD_MARKED_SHARE = 0.5
# Marker lines are a block's furniture (user, time, reply links): short.
MARKER_LINE_MAX_CHARS = 30
# Items of a thread average at most this many characters; an article's paragraphs are longer.
THREAD_ITEM_MAX_CHARS = 600
# How far above a marker line its thread item may be.
THREAD_ITEM_MAX_DEPTH = 6
# A forum's first post, at least this many times the median reply, is the article itself.
FIRST_POST_FACTOR = 2.0
# Each character of a thread line weighs this much against the containers above it.
THREAD_PENALTY = 1.0

# --- element score ---------------------------------------------------------------------------
# Known CMS body containers win near-ties; class/id names of navigation and footers lose them.
KNOWN_CONTAINER_BONUS = 1.15
NEGATIVE_HINT_FACTOR = 0.85
# A descendant this close to the best score and holding this share of its prose is the same
# body in a tighter wrapper, and is preferred.
WRAPPER_SCORE_SHARE = 0.98
WRAPPER_PROSE_SHARE = 0.95

# --- continuations: the article going on in sibling blocks of the body's container -----------
# A continuation is a block of the body's own tag, and class when both have one, whose lines are
# mostly prose (this share of its weight), hardly linked, without thread lines or a title entry.
CONTINUATION_PROSE_SHARE = 0.6
CONTINUATION_LINK_SHARE = 0.2
# Between two parts of the article, at most this many blocks of chrome (an ad, a figure caption,
# a share bar, a short "related" box), with this many characters in all.
INTERRUPTION_MAX_BLOCKS = 3
INTERRUPTION_MAX_CHARS = 300
# A block of at least this many lines whose median line is shorter than this is a list of short
# items (notices, headlines), not paragraphs of the article.
SHORT_ITEMS_MIN_LINES = 3
SHORT_ITEM_CHARS = 30

# --- page kind -------------------------------------------------------------------------------
# Prose weight at which the article score saturates (a few paragraphs of a short notice).
FULL_ARTICLE_PROSE = 500.0
# An article- or list-shaped URL moves the score by this much.
URL_SHAPE_NUDGE = 0.15
# A body that reads as a list of dated links keeps this share of its score.
LIST_DAMPING = 0.3
ARTICLE_MIN_CHARS = 150
ARTICLE_MIN_SCORE = 0.25
# A short article (a notice of two lines) still counts when its URL and title say so.
SHORT_ARTICLE_MIN_CHARS = 40
# A body this short that asks the reader to log in is a login wall, not the article.
LOGIN_WALL_MAX_CHARS = 400

_KNOWN_BODY_CLASSES = frozenset({
    "trs_editor", "content", "con", "pages_content", "article-content", "blog-content",
    "article_content", "articlecontent", "art_content", "news_content", "newscontent", "detail",
    "detail-content", "detail_content", "text", "article-body", "articlebody", "zoom", "con_text",
    "view", "main-text", "maintext", "entry-content", "post-content", "custom_unionstyle",
    "bt_content", "wzy_content", "arc_content", "neirong", "zw", "zhengwen", "txt", "info_content",
    "show_content",
})
_KNOWN_BODY_IDS = frozenset({
    "ucap-content", "text", "zoom", "content", "article", "fontzoom", "zhengwen", "artibody",
    "article_content", "articlecontent", "newscontent", "news_content", "detail", "con",
    "main_content", "endtext", "ctrlfscont", "art_content", "info_content", "xw_box",
})
_NEGATIVE_HINT_RE = re.compile(
    r"nav|menu|footer|foot\b|bottom|sidebar|side\b|comment|copyright|friend|youqing|link|hot|rank"
    r"|recommend|related|xiangguan|share|tool|banner|advert|\bad\b|header|top\b|login|search",
    re.I,
)
FOOTER_LINE_RE = re.compile(
    r"版权所有|版權所有|Copyright|©|ICP\s*[备證证]|公网安备|公網安備|网站标识码|網站標識碼|技术支持\s*[:：]"
    r"|主办单位|主辦單位|承办单位|地址\s*[:：].{0,40}(?:电话|電話|邮编|郵編)|Powered by",
    re.I,
)
_THREAD_MARKER_RE = re.compile(
    r"回复|回覆|跟帖|盖楼|楼主|沙发|板凳|\d+\s*楼|#\d+|\d+\s*#|网友|評論|评论|举报|檢舉|点赞"
    r"|发表于|發表於"
)
# A line with this many link characters is an entry's title link: its block is a list entry.
ENTRY_LINK_CHARS = 10
_LOGIN_WALL_RE = re.compile(
    r"(?:请|請|需要?|须|須)?(?:先)?(?:登录|登錄|登陆)(?:后|後)(?:才能|可|即可)?(?:继续|繼續)?(?:阅读|閱讀|查看|浏览|瀏覽|观看)"
    r"|(?:会员|會員|付费|付費|订阅|訂閱)(?:专享|專享|可见|可見|阅读|閱讀)|注册即可(?:免费)?(?:阅读|查看)"
)
FULL_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")


@dataclass(slots=True)
class Totals:
    """What the lines below one element add up to; `first`/`last` are line indexes."""

    good: float = 0.0
    bad: float = 0.0
    chars: int = 0
    link_chars: int = 0
    links: int = 0
    untrusted_links: int = 0
    spam: int = 0
    first: int = -1
    last: int = -1


@dataclass(frozen=True)
class Body:
    """The element chosen as the body and the sibling blocks that continue the article around it
    (document order; empty when the body holds all of it)."""

    element: Any | None
    continuations: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ScoredPage:
    """A walked page with every element's totals and the element chosen as the body (or None),
    with the blocks that continue the article around it (:func:`continuations`)."""

    tree: Tree
    totals: dict[Any, Totals]
    body: Any | None
    threads: frozenset[int] = frozenset()  # lines of comment threads (:func:`thread_lines`)
    continuations: tuple[Any, ...] = ()

    @property
    def parts(self) -> list[Any]:
        """The article's blocks in document order: the body and its continuations."""
        if self.body is None:
            return []
        order = self.tree.order
        return sorted((self.body, *self.continuations), key=lambda el: order.get(el, 0))

    @cached_property
    def body_totals(self) -> Totals | None:
        """What the article's lines add up to (the body's totals when it has no continuation)."""
        if self.body is None:
            return None
        st = self.totals.get(self.body)
        if st is None or not self.continuations:
            return st
        merged = replace(st)
        for el in self.continuations:
            _add(merged, self.totals[el])
        return merged

    def in_body(self, el: Any) -> bool:
        """Is `el` inside the article: in the body or one of its continuations?"""
        return any(self.tree.contains(part, el) for part in self.parts)

    def body_lines(self) -> list[Line]:
        st = self.body_totals
        if st is None:
            return []
        tree = self.tree
        parts = self.parts
        if len(parts) == 1:
            return [ln for ln in tree.lines[st.first:st.last + 1]
                    if tree.contains(self.body, ln.owner)]
        return [ln for ln in tree.lines[st.first:st.last + 1]
                if any(tree.contains(part, ln.owner) for part in parts)]


def thread_lines(tree: Tree, totals: dict[Any, Totals]) -> frozenset[int]:
    """Indexes of the lines inside comment threads and forum replies (`totals` as
    :func:`score_elements` gives them, before :func:`count_against`).

    A marker line (short, with 回复/楼/网友/评论/举报...) climbs to its *item*: the nearest block
    with at least ``THREAD_MIN_ITEMS`` siblings of its tag and class. A parent whose items mostly
    hold markers, are short and are not list entries (no title link) holds a thread. A forum's
    first post much longer than the replies is the article and stays out.
    """
    marked: dict[Any, set[Any]] = {}
    counts: dict[Any, Counter[tuple[Any, str]]] = {}
    for line in tree.lines:
        if line.chars > MARKER_LINE_MAX_CHARS or not _THREAD_MARKER_RE.search(line.text):
            continue
        item = _thread_item(line.owner, counts)
        if item is not None:
            marked.setdefault(item.getparent(), set()).add(item)
    found: set[int] = set()
    for parent, items in marked.items():
        if len(items) < THREAD_MIN_ITEMS:
            continue
        sig = _signature(next(iter(items)))
        siblings = [c for c in parent if _signature(c) == sig and c in totals]
        if len(items) < THREAD_MARKED_SHARE * len(siblings):
            continue
        item_lines = [
            [ln for ln in tree.lines[totals[c].first:totals[c].last + 1]
             if tree.contains(c, ln.owner)]
            for c in siblings
        ]
        sizes = [totals[c].chars for c in siblings]
        if sum(sizes) > THREAD_ITEM_MAX_CHARS * len(sizes):
            continue
        entries = [any(ln.link_chars >= ENTRY_LINK_CHARS for ln in lines) for lines in item_lines]
        if sum(entries) * 2 > len(entries):
            continue  # a list of entries with titles, not a thread
        rest = sorted(sizes[1:])
        if rest and sizes[0] >= FIRST_POST_FACTOR * rest[len(rest) // 2]:
            item_lines = item_lines[1:]
        found.update(ln.idx for lines in item_lines for ln in lines)
    return frozenset(found)


def teaser_lines(tree: Tree, totals: dict[Any, Totals]) -> frozenset[int]:
    """Indexes of the lines of teaser lists: related or recommended articles, each an item that
    opens with its title link and may go on with a summary and a date.

    An item is the nearest block above a line of ``ENTRY_LINK_CHARS`` link characters that is
    repeated by ``THREAD_MIN_ITEMS`` siblings of its tag and class and whose text begins with
    the link; a parent whose items mostly open so holds a list. Only lists with prose matter
    (a list of bare links already weighs against its containers), so a summary line is needed.
    """
    entries: dict[Any, set[Any]] = {}  # parent -> items whose first line holds a title link
    counts: dict[Any, Counter[tuple[Any, str]]] = {}
    lines = tree.lines
    for line in lines:
        if line.link_chars < ENTRY_LINK_CHARS:
            continue
        item = _thread_item(line.owner, counts)
        if item is not None and item in totals and totals[item].first == line.idx:
            entries.setdefault(item.getparent(), set()).add(item)
    found: set[int] = set()
    for parent, items in entries.items():
        if len(items) < THREAD_MIN_ITEMS:
            continue
        item_lines = [ln for c in items for ln in lines[totals[c].first:totals[c].last + 1]]
        if not any(line_value(ln)[0] > 0 for ln in item_lines):
            continue
        opening = [c for c in items if _opens_with_link(c, lines[totals[c].first])]
        sig = _signature(next(iter(items)))
        siblings = sum(1 for c in parent if _signature(c) == sig and c in totals)
        if len(opening) >= THREAD_MIN_ITEMS and len(opening) >= THREAD_MARKED_SHARE * siblings:
            found.update(ln.idx for c in opening
                         for ln in lines[totals[c].first:totals[c].last + 1])
    return frozenset(found)


def _opens_with_link(item: Any, first: Line) -> bool:
    """Does the item's text begin with its first link's text?"""
    for a in item.iter("a"):
        text = normalize_space(a.text or "") or normalize_space(a.text_content())
        if text:
            return first.text.startswith(text[:ENTRY_LINK_CHARS])
    return False


def _signature(el: Any) -> tuple[Any, str]:
    return el.tag, el.get("class") or ""


def _thread_item(el: Any, counts: dict[Any, Counter[tuple[Any, str]]]) -> Any | None:
    """The nearest block at or above `el` repeated by siblings of its tag and class; `counts`
    keeps each parent's children counted by tag and class across calls."""
    for _ in range(THREAD_ITEM_MAX_DEPTH):
        parent = el.getparent()
        if parent is None or el.tag in ("body", "html"):
            return None
        known = counts.get(parent)
        if known is None:
            known = counts[parent] = Counter(_signature(c) for c in parent)
        if known[_signature(el)] >= THREAD_MIN_ITEMS:
            return el
        el = parent
    return None


def line_value(line: Line) -> tuple[float, float]:
    """(good, bad) weight of a line for the containers above it."""
    chars = line.chars
    if line.link_chars > LINK_LINE_SHARE * chars:
        return 0.0, float(chars) + LINK_PENALTY * line.links
    if line.dup:
        return 0.0, DUP_PENALTY * chars
    if chars < FOOTER_MAX_CHARS and FOOTER_LINE_RE.search(line.text):
        return 0.0, float(chars)
    own = chars - line.link_chars
    if (line.punct >= 1 and chars >= PROSE_MIN_CHARS) or chars >= PROSE_UNPUNCTUATED_CHARS:
        good = own + SENTENCE_BONUS * min(line.punct, chars / CHARS_PER_MARK)
        return good, float(line.link_chars)
    if line.spam:
        return 0.0, float(chars)
    return 0.0, LABEL_PENALTY * chars + line.link_chars


def score_elements(tree: Tree) -> dict[Any, Totals]:
    """Every walked element's totals."""
    # Sum the lines per owner, then push totals up the tree once per element, children before
    # parents (reverse document order): O(elements), not O(lines x depth).
    totals: dict[Any, Totals] = {}
    for line in tree.lines:
        good, bad = line_value(line)
        st = totals.get(line.owner)
        if st is None:
            st = totals[line.owner] = Totals(first=line.idx)
        st.good += good
        st.bad += bad
        st.chars += line.chars
        st.link_chars += line.link_chars
        st.links += line.links
        st.untrusted_links += line.untrusted_links
        st.spam += line.spam
        st.last = line.idx
    order = tree.order
    # Max-heap on document order; parents are pushed when first reached, so an element is
    # popped only after every descendant has added into it.
    heap = [(-order.get(el, 0), id(el), el) for el in totals]
    heapq.heapify(heap)
    while heap:
        _, _, el = heapq.heappop(heap)
        st = totals[el]
        parent = el.getparent()
        if parent is None or parent not in order:
            continue
        ps = totals.get(parent)
        if ps is None:
            totals[parent] = replace(st)
            heapq.heappush(heap, (-order[parent], id(parent), parent))
            continue
        _add(ps, st)
    return totals


def count_against(tree: Tree, totals: dict[Any, Totals], lines: frozenset[int]) -> None:
    """Make the `lines` (of threads and teaser lists) weigh against every element above them,
    in place: a few lines' change carried up their ancestors, not the page scored again."""
    for idx in lines:
        line = tree.lines[idx]
        good, bad = line_value(line)
        good_change = -good
        bad_change = THREAD_PENALTY * line.chars - bad
        el = line.owner
        while el is not None and el in totals:
            st = totals[el]
            st.good += good_change
            st.bad += bad_change
            el = el.getparent()


def _add(into: Totals, st: Totals) -> None:
    into.good += st.good
    into.bad += st.bad
    into.chars += st.chars
    into.link_chars += st.link_chars
    into.links += st.links
    into.untrusted_links += st.untrusted_links
    into.spam += st.spam
    into.first = min(into.first, st.first) if into.first >= 0 else st.first
    into.last = max(into.last, st.last)


def _element_score(el: Any, st: Totals) -> float:
    score = st.good - st.bad
    if score <= 0:
        return score
    classes = (el.get("class") or "").lower().split()
    known_id = (el.get("id") or "").lower() in _KNOWN_BODY_IDS
    if known_id or any(c in _KNOWN_BODY_CLASSES for c in classes):
        score *= KNOWN_CONTAINER_BONUS
    else:
        hint = hint_text(el).lower()
        if hint.strip() and _NEGATIVE_HINT_RE.search(hint):
            score *= NEGATIVE_HINT_FACTOR
    return score


def choose_body(
    tree: Tree, totals: dict[Any, Totals], selected: list[Any],
    threads: frozenset[int] = frozenset(),
) -> Body:
    """The body: the site's selector when it names a walked element, else the best score, with
    the blocks that continue the article around it (none for a site's selector)."""
    for el in selected:
        if not isinstance(el, str) and el in totals:
            return Body(el)
    best = None
    best_score = 0.0
    scores: dict[Any, float] = {}
    for el, st in totals.items():
        if el.tag in ("html",) or st.good <= 0:
            continue
        s = _element_score(el, st)
        scores[el] = s
        if s > best_score:
            best, best_score = el, s
    if best is None:
        return Body(None)
    # Equal scores mean a wrapper holds nothing but the body: take the innermost one. The
    # wrapper's own bonus is left out of the comparison: a CMS container around the text and
    # its furniture (meta line, related links, comment box) gives way to the text's own block.
    best_good = totals[best].good
    best_raw = totals[best].good - totals[best].bad
    for el, s in scores.items():
        if el is best or not tree.contains(best, el):
            continue
        st = totals[el]
        if (s >= min(best_score, best_raw) * WRAPPER_SCORE_SHARE
                and st.good >= best_good * WRAPPER_PROSE_SHARE):
            if tree.order.get(el, 0) > tree.order.get(best, 0):
                best, best_score, best_good = el, max(s, best_score), st.good
                best_raw = st.good - st.bad
    # The same for a run of the best's children that wrap paragraphs (not paragraphs, whose
    # run would leave out the headings and tables between them): the article in several
    # blocks with chrome between and after them gives way to its blocks.
    children = [c for c in best if c in scores]
    if len(children) >= 2:
        lead = max(children, key=scores.__getitem__)
        run = continuations(tree, totals, lead, threads)
        if run and not any(_owns_lines(tree, totals, el) for el in (lead, *run)):
            run_good = sum(totals[el].good for el in (lead, *run))
            run_raw = sum(totals[el].good - totals[el].bad for el in (lead, *run))
            if (run_raw >= min(best_score, best_raw) * WRAPPER_SCORE_SHARE
                    and run_good >= best_good * WRAPPER_PROSE_SHARE):
                return Body(lead, run)
    return Body(best, continuations(tree, totals, best, threads))


def continuations(
    tree: Tree, totals: dict[Any, Totals], body: Any, threads: frozenset[int] = frozenset()
) -> tuple[Any, ...]:
    """Sibling blocks of the body's container that carry on the article, in document order.

    The body is first widened to the outermost wrapper that holds the same lines (a <td> to its
    row when the row's other cells are empty). From there, each way, siblings of its tag that
    read as prose (:func:`_continues`) join the article; chrome between them (an ad, a figure
    caption, a share bar, a short related box: at most ``INTERRUPTION_MAX_BLOCKS`` blocks of
    ``INTERRUPTION_MAX_CHARS`` in all) is stepped over and left out; anything else ends the
    article: a comment thread, a sidebar, a long list, a block of another shape.
    """
    st = totals.get(body)
    if st is None:
        return ()
    unit = body
    parent = unit.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        ps = totals.get(parent)
        if ps is None or ps.first != st.first or ps.last != st.last:
            break
        unit, parent = parent, parent.getparent()
    if parent is None:
        return ()
    siblings = [c for c in parent if c in totals]
    at = siblings.index(unit)
    found = [*_run(tree, totals, unit, siblings[at + 1:], threads),
             *_run(tree, totals, unit, siblings[at - 1::-1] if at else [], threads)]
    return tuple(sorted(found, key=lambda el: tree.order.get(el, 0)))


def _owns_lines(tree: Tree, totals: dict[Any, Totals], el: Any) -> bool:
    """Does `el` hold text of its own (a paragraph, a cell of <br> lines), not only blocks?"""
    st = totals[el]
    return any(ln.owner is el for ln in tree.lines[st.first:st.last + 1])


def _run(tree: Tree, totals: dict[Any, Totals], unit: Any, siblings: list[Any],
         threads: frozenset[int]) -> list[Any]:
    """The continuations among `siblings`, walked away from the body."""
    found: list[Any] = []
    gap_blocks = gap_chars = 0
    for el in siblings:
        st = totals[el]
        if threads and any(i in threads for i in range(st.first, st.last + 1)):
            break
        if _continues(tree, totals, el, unit):
            found.append(el)
            gap_blocks = gap_chars = 0
            continue
        gap_blocks += 1
        gap_chars += st.chars
        if (st.good > st.bad or gap_blocks > INTERRUPTION_MAX_BLOCKS
                or gap_chars > INTERRUPTION_MAX_CHARS):
            break
    return found


def _continues(tree: Tree, totals: dict[Any, Totals], el: Any, unit: Any) -> bool:
    """Does block `el`, a sibling of the body's `unit`, read as more of the same article?"""
    st = totals[el]
    if el.tag != unit.tag or st.good <= st.bad:
        return False
    own, theirs = el.get("class"), unit.get("class")
    if own and theirs and own != theirs:
        return False
    if (st.good < CONTINUATION_PROSE_SHARE * (st.good + st.bad)
            or st.link_chars > CONTINUATION_LINK_SHARE * st.chars):
        return False
    hint = hint_text(el)
    if hint.strip() and _NEGATIVE_HINT_RE.search(hint.lower()):
        return False
    if el.tag == "tr" and sum(1 for cell in el if cell in totals) > 1:
        return False  # a row of columns side by side: the text goes down the rows, not across
    lines = tree.lines[st.first:st.last + 1]
    if len(lines) >= SHORT_ITEMS_MIN_LINES and (
        sorted(ln.chars for ln in lines)[len(lines) // 2] < SHORT_ITEM_CHARS
    ):
        return False
    # A title link makes the block an entry of a list; a reply marker (回复, 举报) a comment.
    return not any(
        ln.link_chars >= ENTRY_LINK_CHARS
        or (ln.chars <= MARKER_LINE_MAX_CHARS and _THREAD_MARKER_RE.search(ln.text))
        for ln in lines
    )


def _is_link_item(line: Line) -> bool:
    """A line that is mostly a link with a title-length text: an entry of a list."""
    return (line.links >= 1 and line.link_chars >= 6 and line.link_chars >= 0.4 * line.chars
            and line.chars <= 120)


def _is_dated_item(line: Line, lines: list[Line]) -> bool:
    """A list entry: a title link with a full date on the same line or the next one."""
    if line.links < 1 or line.link_chars < 6 or line.chars > 150 or line.punct > 3:
        return False
    if FULL_DATE_RE.search(line.text):
        return True
    # Portals put the summary and then the date line under the title link.
    for nxt in lines[line.idx + 1: line.idx + 3]:
        if nxt.links and nxt.link_chars >= 6:
            break
        if nxt.chars <= 40 and FULL_DATE_RE.search(nxt.text):
            return True
    return False


def page_kind(
    scored: ScoredPage, body_chars: int, has_title: bool
) -> tuple[str, float, dict[str, object]]:
    """article / list / other from the body's prose, the link items around it and the URL; a
    short body asking the reader to log in (a login wall) is other.

    Returns the kind, the article score (0..1) and the layout signals behind them.
    """
    tree = scored.tree
    url_kind = classify_url(tree.url)
    lines = tree.lines
    total_chars = sum(ln.chars for ln in lines) or 1
    total_link = sum(ln.link_chars for ln in lines)
    link_items = [ln for ln in lines if _is_link_item(ln)]
    dated_items = [ln for ln in lines if _is_dated_item(ln, lines)]
    body_st = scored.body_totals
    good = body_st.good if body_st else 0.0
    in_body_items = 0
    in_body_dated = 0
    for ln in scored.body_lines():
        dated = _is_dated_item(ln, lines)
        if dated or _is_link_item(ln):
            in_body_items += 1
        in_body_dated += dated
    body_link_density = (body_st.link_chars / body_st.chars) if body_st and body_st.chars else 0.0
    # A container of several titled, dated links is a list, however much summary text it has.
    looks_listy = (in_body_items >= 3 and (in_body_dated >= 2 or in_body_items >= 6)) or (
        in_body_items >= 1 and in_body_dated >= 1 and url_kind == "list" and good < 400
    )
    score = min(1.0, good / FULL_ARTICLE_PROSE) * (1.0 - body_link_density)
    if url_kind == "article":
        score = min(1.0, score + URL_SHAPE_NUDGE)
    elif url_kind == "list":
        score = max(0.0, score - URL_SHAPE_NUDGE)
    if looks_listy:
        score *= LIST_DAMPING
    login_wall = body_chars < LOGIN_WALL_MAX_CHARS and any(
        _LOGIN_WALL_RE.search(ln.text) for ln in scored.body_lines()
    )
    if login_wall:
        kind = "other"
    elif not looks_listy and body_chars >= ARTICLE_MIN_CHARS and score >= ARTICLE_MIN_SCORE:
        kind = "article"
    elif (not looks_listy and body_chars >= SHORT_ARTICLE_MIN_CHARS and has_title
          and url_kind == "article" and body_link_density < 0.5):
        kind = "article"
    elif looks_listy or dated_items:
        kind = "list"
    elif good < 50 and (len(link_items) >= 8 or (url_kind == "list" and len(link_items) >= 3)):
        kind = "list"  # a home or column page: entries without full dates, no prose
    else:
        kind = "other"
    offsite = sum(ln.untrusted_links for ln in lines)
    all_links = sum(ln.links for ln in lines)
    signals: dict[str, object] = {
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
        "login_wall": login_wall,
    }
    return kind, round(score, 3), signals
