"""Spam cleaning on extracted text: doubled bodies, hijacked titles, planted paragraphs, spam pages.

Every function here takes text the extractor already produced (after its HTML-level cuts of
hidden blocks and link farms) and returns the cleaned text *and* what it cut, so that the store
can keep the cuts in `removals`. Nothing here imports Scrapy.

The guiding rule is the one in FIELD_NOTES: keywords alone flag legitimate pages (体育彩票公益金,
澳门, 娱乐, 成人教育), so a lexicon hit is one signal among several, the lexicon holds only terms
that are spam in themselves (百家乐, 六合彩, 一本道, 澳门新葡京 — not 彩票 or 澳门), and a term is
only cut from a sentence when the rest of the page is not about that subject.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional, Sequence

from pipelines.minhash import MinHasher, SignatureScheme
from pipelines.normalize import comparison_key, normalize_text

__all__ = [
    "KIND_BOILERPLATE",
    "KIND_INJECTED_PARAGRAPH",
    "KIND_SPLICED_SPAM",
    "PageSignals",
    "ParagraphFrequency",
    "Removal",
    "SPAM_TERMS",
    "SpamVerdict",
    "TermHit",
    "classify_page",
    "spam_term_hits",
    "strip_injected_title",
    "strip_repeated_body",
    "strip_spam_paragraphs",
]

KIND_INJECTED_PARAGRAPH = "injected_paragraph"
KIND_BOILERPLATE = "boilerplate"
KIND_SPLICED_SPAM = "spliced_spam"


@dataclass(frozen=True)
class Removal:
    """A piece of content cut from a page: `kind` is the reason (stored in `removals.kind`)."""

    kind: str
    content: str


# --- lexicon ---------------------------------------------------------------------------------

# Terms that are spam wherever they occur on a policy site. Deliberately absent: 彩票, 澳门, 娱乐,
# 成人, 赌博, 视频, 国产, 不卡 (卡脖子!) — common in legitimate articles. Simplified forms only:
# match normalised text.
SPAM_TERMS: dict[str, tuple[str, ...]] = {
    "gambling": (
        "彩票投注", "澳门赌场", "澳门新葡京", "新葡京", "葡京", "百家乐", "真人娱乐", "真人视讯",
        "六合彩", "时时彩", "北京pk10", "pk10", "太阳城", "娱乐城", "老虎机", "博彩公司",
        "博彩网站", "网上赌场", "在线赌场", "赌场官网", "威尼斯人娱乐", "澳门威尼斯人", "金沙娱乐",
        "银河娱乐", "永利皇宫", "皇冠体育", "皇冠娱乐", "bet365", "开户送彩金", "注册送彩金",
        "棋牌游戏平台", "赌球", "网络赌博平台",
    ),
    "porn": (
        "成人视频", "成人电影", "成人网站", "一本道", "无码", "人妻", "中文字幕美丽",
        "中文字幕不卡", "中文字幕在线", "国产精品", "国产又大", "又大又长", "又粗又硬", "亚洲色图",
        "日韩av", "欧美av", "av在线", "毛片", "黄色网站", "黄色视频", "三级片", "自拍偷拍", "乱伦",
        "被公操", "在线不卡", "不卡高清", "不卡视频", "高清无码", "熟女", "巨乳", "fc2",
        "日本一二三",
    ),
    "fraud": ("代开发票", "代开增值税发票", "办假证", "刻章办证", "枪支出售"),
}
# Left out on purpose, each seen in legitimate policy text: 强奸/偷拍/代孕 (law), 彩金 (jewellery),
# 电子游艺 (venue rules), 体育投注/足球投注 (sports lottery), 一区二区 (zoning), 有码 (拥有码头), bare AV.

# Words that show a page is *about* the subject of a category (an anti-gambling notice, a lottery
# regulation): then its lexicon terms are part of the article, not spliced in.
_TOPIC_WORDS: dict[str, re.Pattern[str]] = {
    "gambling": re.compile(r"彩票|博彩|赌博|赌资|聚赌|涉赌|赌场|赌球|跨境赌|赛马|竞猜型|体彩|福彩"),
    "porn": re.compile(r"色情|淫秽|扫黄|涉黄|低俗"),
    "fraud": re.compile(r"发票|伪造|假证|诈骗|侦探|枪支|违禁"),
}

# Suffixes that stay with a spliced brand ("澳门新葡京娱乐场官网手机版").
_SPAM_SUFFIX = r"(?:娱乐场|娱乐城|娱乐|官网|官方网站|网址|网站|平台|app|下载|注册|开户|登录|登陆|入口|首页|手机版|在线|[a-z0-9]{2,}(?:\.[a-z0-9]+)+)*"

_TERM_CATEGORY: dict[str, str] = {
    term: category for category, terms in SPAM_TERMS.items() for term in terms
}
# ASCII terms must stand alone ("av" not inside "avg", "pk10" not inside "pk100").
_TERM_PATTERN = re.compile(
    "|".join(
        (rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t))
        for t in sorted(_TERM_CATEGORY, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_SPLICE_PATTERN = re.compile(rf"(?:{_TERM_PATTERN.pattern}){_SPAM_SUFFIX}", re.IGNORECASE)


@dataclass(frozen=True)
class TermHit:
    term: str
    category: str
    start: int
    end: int


def spam_term_hits(text: str) -> list[TermHit]:
    """Lexicon terms in `text` (normalised Simplified text), leftmost-longest, non-overlapping."""
    hits = []
    for match in _TERM_PATTERN.finditer(text):
        term = match.group(0)
        hits.append(TermHit(term, _TERM_CATEGORY[term.lower()], match.start(), match.end()))
    return hits


_HAN_CHAR = re.compile("[\u4e00-\u9fff]")


def _han_count(text: str) -> int:
    # One C-level scan (a per-character generator costs ~1 ms per 3,000-character body).
    return len(_HAN_CHAR.findall(text))


# --- repeated body -----------------------------------------------------------------------------

_SHORT_LINE = 80  # characters of comparison key: meta lines, breadcrumbs, headings
_MIN_REPEATED_CHARS = 200


@lru_cache(maxsize=4096)
def _trigrams(key: str) -> frozenset[str]:
    # Cached: strip_repeated_body compares every paragraph with every earlier one.
    return frozenset(key[i : i + 3] for i in range(max(1, len(key) - 2)))


def _similar_keys(a: str, b: str, threshold: float = 0.8) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 20 or min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) >= threshold


def _bigram_cover(key: str, reference: set[str]) -> float:
    grams = {key[i : i + 2] for i in range(len(key) - 1)} or {key}
    return len(grams & reference) / len(grams)


def strip_repeated_body(paragraphs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Keep a body printed twice (PC + mobile template) once; return (paragraphs, removed).

    The repeat is recognised as a *block*: a later run of paragraphs that match, in order, the
    paragraphs before it (exactly on the comparison key, or ≥ 0.8 trigram Jaccard for small
    variations), with ≥ 200 characters matched. The first copy is kept; from the second copy
    go the matched paragraphs, the blank lines, its own short template lines (breadcrumb, meta
    line in another order) — the short unmatched lines just before the first matched paragraph
    when they resemble the first copy, and those between matched paragraphs. A long paragraph
    found only in the second copy is kept.

    Short lines that merely repeat (a heading like "（一）发展现状" under two chapters, "附件")
    are never dropped outside such a block: a repeated heading is normal in a long policy text.
    """
    keys = [comparison_key(p) for p in paragraphs]
    present = [i for i, k in enumerate(keys) if k]
    if len(present) < 4:
        return list(paragraphs), []

    # Earliest earlier paragraph that each paragraph repeats.
    match_of: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    for i in present:
        k = keys[i]
        if k in first_seen:
            match_of[i] = first_seen[k]
            continue
        first_seen[k] = i
        if len(k) >= 20:
            for j in present:
                if j >= i:
                    break
                if _similar_keys(k, keys[j]):
                    match_of[i] = j
                    break

    # The second copy starts where "matched minus unmatched" text from there on is largest.
    best_start, best_score = -1, 0
    suffix_score = 0
    for i in reversed(present):
        suffix_score += len(keys[i]) if i in match_of else -len(keys[i])
        if i in match_of and suffix_score >= best_score:  # ties: the earlier start
            best_start, best_score = i, suffix_score
    if best_start < 0:
        return list(paragraphs), []
    region = [i for i in present if i >= best_start]
    matched = [i for i in region if i in match_of]
    matched_chars = sum(len(keys[i]) for i in matched)
    if len(matched) < 2 or matched_chars < _MIN_REPEATED_CHARS:
        return list(paragraphs), []
    last_matched = matched[-1]
    span_chars = sum(len(keys[i]) for i in region if i <= last_matched)
    if matched_chars < 0.6 * span_chars:
        return list(paragraphs), []
    targets = [match_of[i] for i in matched]
    in_order = sum(1 for x, y in zip(targets, targets[1:]) if y > x)
    if len(targets) > 2 and in_order < 0.7 * (len(targets) - 1):
        return list(paragraphs), []

    drop: set[int] = set()
    for i in region:
        if i in match_of or (i <= last_matched and len(keys[i]) < _SHORT_LINE):
            drop.add(i)
    # The second template's head (breadcrumb, meta line) just before its first matched line.
    first_copy_end = min(match_of[i] for i in matched)
    head_bigrams = {
        keys[j][x : x + 2] for j in present if j <= first_copy_end for x in range(len(keys[j]) - 1)
    }
    position = present.index(best_start) - 1
    budget = sum(1 for j in present if j < first_copy_end) or 1
    while position >= 0 and budget > 0:
        i = present[position]
        if len(keys[i]) >= _SHORT_LINE or (
            i not in match_of and _bigram_cover(keys[i], head_bigrams) < 0.5
        ):
            break
        drop.add(i)
        position -= 1
        budget -= 1
    # Blank lines inside the dropped stretch go too; outside it they are left to the caller.
    low, high = min(drop), max(drop)
    kept: list[str] = []
    removed: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i in drop:
            removed.append(paragraph)
        elif not keys[i] and low <= i <= high:
            continue
        else:
            kept.append(paragraph)
    return kept, removed


# --- injected title ---------------------------------------------------------------------------

_TITLE_SEPARATOR = re.compile(r"\s*[-_|｜–—]+\s*|\s+")
_SUFFIX_SEPARATORS = ("_", "|", "｜")


def _title_segments(title: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _TITLE_SEPARATOR.finditer(title):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(title):
        spans.append((start, len(title)))
    return spans


def _bigrams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)} or ({key} if key else set())


def strip_injected_title(
    title_raw: Optional[str], heading: Optional[str], body_text: Optional[str] = None
) -> tuple[str, list[str]]:
    """Cut spam segments and the site suffix from a `<title>`; return (title, removed_segments).

    The title is split on `- _ |` and spaces; the kept part is the contiguous run of segments
    that best matches the article's heading (F1 of character bigrams ≥ 0.6) — so injected spam
    segments and "_产业规划_高新院" fall away while "2025-2027年" or "RISC-V" stay joined. When
    no run matches the heading, the heading itself is the title (the `<title>` was all spam).
    Without a heading, segments are scored against the body: bigrams found in it count for a run,
    bigrams not found count twice against it, and every `_`/`|` inside the run costs (that is how
    CMSs attach column and site names).
    """
    raw = normalize_text(title_raw)
    head = normalize_text(heading)
    if not raw:
        return head, []
    spans = _title_segments(raw)
    seg_keys = [comparison_key(raw[s:e]) for s, e in spans]
    if head:
        reference = _bigrams(comparison_key(head))
    else:
        reference = _bigrams(comparison_key((body_text or "")[:5000]))
    if not reference:
        return raw, []

    best: Optional[tuple[float, int, int]] = None
    for i in range(len(spans)):
        run_key = ""
        for j in range(i, len(spans)):
            run_key += seg_keys[j]
            grams = _bigrams(run_key)
            if not grams:
                continue
            common = len(grams & reference)
            if head:
                precision = common / len(grams)
                recall = common / len(reference)
                score = 2 * precision * recall / (precision + recall) if common else 0.0
                if score < 0.6:
                    continue
            else:
                inner = raw[spans[i][0] : spans[j][1]]
                suffix_joints = sum(inner.count(sep) for sep in _SUFFIX_SEPARATORS)
                score = common - 2 * (len(grams) - common) - 3 * suffix_joints
                if common < 0.5 * len(grams) or score <= 0:
                    continue
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        if head:
            return head, [raw[s:e] for s, e in spans]
        return raw, []
    _, first, last = best
    title = raw[spans[first][0] : spans[last][1]]
    removed = [raw[s:e] for k, (s, e) in enumerate(spans) if k < first or k > last]
    return title, removed


# --- cross-page paragraph frequency ------------------------------------------------------------


def _fingerprint(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


_NEAR_SCHEME = SignatureScheme(shingle_size=3, num_perm=16)
_NEAR_BANDS = 8
_NEAR_ROWS = 2
_NEAR_MIN_BANDS = 4  # of 8: P(match) ≈ 0.86 at trigram Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5
_SKELETON_DROP = re.compile(r"[0-9a-z]+")


@dataclass
class _SiteCounts:
    # doc id -> its paragraph entries: (exact fingerprint, band keys...)
    docs: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    fp_docs: dict[int, set[str]] = field(default_factory=dict)
    band_docs: dict[int, set[str]] = field(default_factory=dict)
    spammy: set[int] = field(default_factory=set)  # fingerprints of paragraphs with spam terms


class ParagraphFrequency:
    """Counts paragraphs across the pages of each site to find planted ones.

    A paragraph is *injected* when it appears on at least `min_docs` pages of one site — and on
    at least `min_share` of the site's pages — that are otherwise unrelated (two pages are
    copies of one article when the rest of their paragraphs overlap, Jaccard ≥ 0.5). It is judged only once the site has `min_site_docs` pages. Matching is
    exact on the comparison key's hash; near-exact on the key's skeleton (digits and Latin
    removed: random ids, counters, domains) and with a 16-permutation MinHash of the skeleton's
    character trigrams in 8 bands of 2, a match needing 4 of the 8 bands (≈ 0.86 at trigram
    Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5 — and it takes `min_docs` pages to count).

    `kind()` separates spam (`injected_paragraph`: the paragraph has lexicon terms) from
    site boilerplate (`boilerplate`: "本网站所载文章…转载请注明出处"). Paragraphs under
    `min_chars` key characters without spam terms are never judged: short lines such as
    "特此通知。" or "本办法自印发之日起施行。" legitimately recur on many policy pages.
    """

    VERSION = 1

    def __init__(
        self,
        min_docs: int = 5,
        min_share: float = 0.02,
        min_site_docs: int = 5,
        min_chars: int = 12,
    ) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self.min_site_docs = min_site_docs
        self.min_chars = min_chars
        self._sites: dict[str, _SiteCounts] = {}
        self._hasher = MinHasher(_NEAR_SCHEME)
        self._cache: dict[tuple[str, int], tuple[int, bool]] = {}

    # -- building --
    def _entry(self, key: str) -> tuple[int, ...]:
        """(exact fingerprint, skeleton fingerprint, band keys…) of a comparison key.

        The skeleton drops digits and Latin (random ids, counters, domains vary between planted
        copies); the bands catch other small edits.
        """
        fp = _fingerprint(key)
        skeleton = _SKELETON_DROP.sub("", key)
        if len(skeleton) < 8:
            return (fp,)
        values = self._hasher.signature_of_key(skeleton).hashvalues
        bands = tuple(
            (b << 58) ^ (_fingerprint(values[b * _NEAR_ROWS : (b + 1) * _NEAR_ROWS].tobytes().hex()) >> 6)
            for b in range(_NEAR_BANDS)
        )
        return (fp, (1 << 63) | (_fingerprint(skeleton) >> 1), *bands)

    def _tracked_key(self, paragraph: str) -> tuple[str, bool]:
        key = comparison_key(paragraph)
        has_spam = bool(key) and bool(spam_term_hits(normalize_text(paragraph).lower()))
        if not key or (len(key) < self.min_chars and not has_spam):
            return "", has_spam
        return key, has_spam

    def observe(self, site: str, doc_id: str | int, paragraphs: Iterable[str]) -> None:
        """Record a page's paragraphs (observing the same doc id again replaces its entry)."""
        doc = str(doc_id)
        counts = self._sites.setdefault(site, _SiteCounts())
        self._cache.clear()
        if doc in counts.docs:
            self._forget(counts, doc)
        entries: list[tuple[int, ...]] = []
        for paragraph in paragraphs:
            key, has_spam = self._tracked_key(paragraph)
            if not key:
                continue
            entry = self._entry(key)
            if has_spam:
                counts.spammy.add(entry[0])
            entries.append(entry)
        self._add(counts, doc, entries)

    def _add(self, counts: _SiteCounts, doc: str, entries: list[tuple[int, ...]]) -> None:
        counts.docs[doc] = entries
        for entry in entries:
            counts.fp_docs.setdefault(entry[0], set()).add(doc)
            for band in entry[1:]:
                counts.band_docs.setdefault(band, set()).add(doc)

    def _forget(self, counts: _SiteCounts, doc: str) -> None:
        for entry in counts.docs.pop(doc):
            counts.fp_docs.get(entry[0], set()).discard(doc)
            for band in entry[1:]:
                counts.band_docs.get(band, set()).discard(doc)

    # -- judging --
    def site_docs(self, site: str) -> int:
        counts = self._sites.get(site)
        return len(counts.docs) if counts else 0

    def _docs_with(self, counts: _SiteCounts, entry: tuple[int, ...]) -> set[str]:
        docs = set(counts.fp_docs.get(entry[0], ()))
        if len(entry) > 1:
            docs.update(counts.band_docs.get(entry[1], ()))  # same skeleton
            band_hits: Counter[str] = Counter()
            for band in entry[2:]:
                band_hits.update(counts.band_docs.get(band, ()))
            docs.update(d for d, n in band_hits.items() if n >= _NEAR_MIN_BANDS)
        return docs

    def _unrelated_count(self, counts: _SiteCounts, fp: int, docs: set[str], needed: int) -> int:
        """Greedy count of pages that are not copies of one another (stops at `needed`).

        Two pages are copies of one article when their other paragraphs (this one and those
        with spam terms left out) overlap with Jaccard ≥ 0.5; a planted paragraph sits in
        pages whose own paragraphs share nothing.
        """
        representatives: list[set[int]] = []
        for doc in sorted(docs):
            others = {
                e[0] for e in counts.docs.get(doc, ()) if e[0] != fp and e[0] not in counts.spammy
            }
            for seen in representatives:
                union = len(seen | others)
                if union and len(seen & others) / union >= 0.5:
                    break
            else:
                representatives.append(others)
                if len(representatives) >= needed:
                    break
        return len(representatives)

    def kind(self, site: str, paragraph: str) -> Optional[str]:
        """`injected_paragraph`, `boilerplate` or None for one paragraph of a page of `site`."""
        counts = self._sites.get(site)
        if counts is None or len(counts.docs) < self.min_site_docs:
            return None
        key, has_spam = self._tracked_key(paragraph)
        if not key:
            return None
        entry = self._entry(key)
        docs = self._docs_with(counts, entry)
        needed = max(self.min_docs, math.ceil(self.min_share * len(counts.docs)))
        if len(docs) < needed:
            return None
        cache_key = (site, entry[0])
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == len(docs):
            frequent = cached[1]
        else:
            frequent = self._unrelated_count(counts, entry[0], docs, needed) >= needed
            self._cache[cache_key] = (len(docs), frequent)
        if not frequent:
            return None
        return KIND_INJECTED_PARAGRAPH if has_spam else KIND_BOILERPLATE

    def injected(self, site: str, paragraph: str) -> bool:
        """True when the paragraph is planted on (or boilerplate of) many unrelated pages."""
        return self.kind(site, paragraph) is not None

    # -- persistence --
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.VERSION,
            "params": {
                "min_docs": self.min_docs,
                "min_share": self.min_share,
                "min_site_docs": self.min_site_docs,
                "min_chars": self.min_chars,
                "near_scheme": _NEAR_SCHEME.to_dict(),
            },
            "sites": {
                site: {
                    "docs": {doc: [list(e) for e in entries] for doc, entries in c.docs.items()},
                    "spammy": sorted(c.spammy),
                }
                for site, c in self._sites.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParagraphFrequency:
        if data.get("version") != cls.VERSION:
            raise ValueError(
                f"paragraph counts of version {data.get('version')!r}, expected {cls.VERSION}: "
                "rebuild them by observing the stored articles again"
            )
        params = dict(data["params"])
        near = SignatureScheme.from_dict(params.pop("near_scheme"))
        _NEAR_SCHEME.check_compatible(near)
        freq = cls(**params)
        for site, payload in data["sites"].items():
            counts = freq._sites.setdefault(site, _SiteCounts())
            counts.spammy = set(payload.get("spammy", ()))
            for doc, entries in payload["docs"].items():
                freq._add(counts, doc, [tuple(int(v) for v in e) for e in entries])
        return freq


# --- spliced terms and spam paragraphs ----------------------------------------------------------


def _related_categories(paragraphs: Sequence[str]) -> set[str]:
    """Categories the page is about: a topic word appears outside the lexicon hits."""
    text = "\n".join(paragraphs)
    outside = _TERM_PATTERN.sub(" ", text.lower())
    return {category for category, words in _TOPIC_WORDS.items() if words.search(outside)}


def _spam_paragraph(paragraph: str, hits: list[TermHit]) -> bool:
    """A paragraph that is spam as a whole rather than an article sentence with a splice."""
    if not hits:
        return False
    key_len = len(comparison_key(paragraph)) or 1
    covered = sum(h.end - h.start for h in hits)
    distinct = len({h.term.lower() for h in hits})
    return covered / key_len >= 0.2 or (distinct >= 2 and key_len < 200) or distinct >= 4


def strip_spam_paragraphs(
    paragraphs: Sequence[str],
    freq: Optional[ParagraphFrequency] = None,
    site: Optional[str] = None,
) -> tuple[list[str], list[Removal]]:
    """Remove planted paragraphs and spliced spam terms; return (paragraphs, removals).

    * A paragraph the frequency counter knows as planted on many unrelated pages of the site is
      removed whole (`injected_paragraph`, or `boilerplate` when it has no spam terms).
    * A paragraph that is spam through and through (lexicon terms cover ≥ 20 % of it, or several
      distinct terms in a short paragraph) is removed whole (`injected_paragraph`) — unless the
      page is about that subject (an anti-gambling notice quoting 百家乐, 六合彩).
    * Otherwise only the spliced segment is cut (`spliced_spam`): the lexicon term plus the
      words spammers attach to it (娱乐场, 官网, 手机版, a domain), because the sentence around it
      is the article's own text. Terms of a category the page is about stay.
    """
    related = _related_categories(paragraphs)
    kept: list[str] = []
    removals: list[Removal] = []
    for paragraph in paragraphs:
        if freq is not None and site is not None:
            kind = freq.kind(site, paragraph)
            if kind is not None:
                removals.append(Removal(kind, paragraph))
                continue
        lowered = paragraph.lower()
        hits = [h for h in spam_term_hits(lowered) if h.category not in related]
        if not hits:
            kept.append(paragraph)
            continue
        if _spam_paragraph(paragraph, hits):
            removals.append(Removal(KIND_INJECTED_PARAGRAPH, paragraph))
            continue
        pieces: list[str] = []
        position = 0
        for match in _SPLICE_PATTERN.finditer(lowered):
            if _TERM_CATEGORY[_TERM_PATTERN.match(match.group(0)).group(0).lower()] in related:  # type: ignore[union-attr]
                continue
            pieces.append(paragraph[position : match.start()])
            removals.append(Removal(KIND_SPLICED_SPAM, paragraph[match.start() : match.end()]))
            position = match.end()
        pieces.append(paragraph[position:])
        cleaned = normalize_text("".join(pieces))
        if cleaned:
            kept.append(cleaned)
    return kept, removals


# --- page verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSignals:
    """The extractor's page-level signals that bear on spam (names as in `ExtractedPage.signals`).

    `link_text_ratio`: characters inside links / all visible characters. `hidden_spam_terms`:
    lexicon hits in the hidden blocks the extractor removed.
    """

    cloaking_redirect: bool = False
    offsite_link_ratio: float = 0.0
    link_text_ratio: float = 0.0
    hidden_blocks: int = 0
    hidden_spam_terms: int = 0

    @classmethod
    def from_mapping(cls, signals: Mapping[str, Any]) -> PageSignals:
        def number(*names: str) -> float:
            for name in names:
                value = signals.get(name)
                if isinstance(value, (int, float)):
                    return float(value)
                if isinstance(value, (list, tuple)):
                    return float(len(value))
            return 0.0

        return cls(
            cloaking_redirect=bool(signals.get("cloaking_redirect")),
            offsite_link_ratio=number("offsite_link_ratio"),
            link_text_ratio=number("link_text_ratio", "link_density"),
            hidden_blocks=int(number("hidden_blocks")),
            hidden_spam_terms=int(number("hidden_spam_terms")),
        )


@dataclass(frozen=True)
class SpamVerdict:
    is_spam_page: bool
    score: float
    reasons: tuple[str, ...]
    clean_chars: int  # Han characters of running text free of spam terms


def classify_page(
    title: str,
    paragraphs: Sequence[str],
    signals: Optional[PageSignals | Mapping[str, Any]] = None,
) -> SpamVerdict:
    """Is this page spam as a whole (reject it) or an article that may carry spam (clean it)?

    Signals and weights (score capped at 1): lexicon density in the body ≥ 5 hits per 1,000
    characters (0.45) or ≥ 3 distinct terms (0.25); spam terms in the title (0.15); keyword
    stuffing, one term ≥ 4 times (0.2); no running text, i.e. < 100 Han characters in paragraphs
    of ≥ 30 (0.25); link farm, offsite links ≥ 50 % and link text ≥ 30 % (0.25); cloaking
    redirect (0.3); hidden blocks carrying spam terms (0.15).

    A page is rejected only with score ≥ 0.6 *and* without substantial clean running text
    (≥ 400 Han characters outside spam paragraphs, ≥ 70 % of the body): a hijacked mirror of a
    real article scores high (cloaking, spam title) but its article is kept, cleaned, and then
    found to be a mirror by dedup. Lexicon terms of a subject the page is about (彩票 policy,
    anti-gambling notice) do not count.
    """
    if signals is None:
        page_signals = PageSignals()
    elif isinstance(signals, PageSignals):
        page_signals = signals
    else:
        page_signals = PageSignals.from_mapping(signals)
    clean_paragraphs = [normalize_text(p) for p in paragraphs]
    clean_paragraphs = [p for p in clean_paragraphs if p]
    related = _related_categories(clean_paragraphs)
    body = "\n".join(clean_paragraphs).lower()
    body_hits = [h for h in spam_term_hits(body) if h.category not in related]
    title_hits = spam_term_hits(normalize_text(title).lower())

    score = 0.0
    reasons: list[str] = []
    body_chars = max(len(comparison_key(body)), 1)
    per_thousand = 1000 * len(body_hits) / body_chars
    distinct = {h.term.lower() for h in body_hits}
    if body_hits and per_thousand >= 5:
        score += 0.45
        reasons.append(f"spam_terms:{len(body_hits)}/{body_chars}chars")
    elif len(distinct) >= 3:
        score += 0.25
        reasons.append(f"spam_terms:{len(distinct)}distinct")
    if title_hits:
        score += 0.15
        reasons.append("spam_title")
    if body_hits:
        term, count = Counter(h.term.lower() for h in body_hits).most_common(1)[0]
        if count >= 4:
            score += 0.2
            reasons.append(f"keyword_stuffing:{term}x{count}")
    running = [p for p in clean_paragraphs if _han_count(p) >= 30]
    running_han = sum(_han_count(p) for p in running)
    if running_han < 100:
        score += 0.25
        reasons.append("no_running_text")
    if page_signals.offsite_link_ratio >= 0.5 and page_signals.link_text_ratio >= 0.3:
        score += 0.25
        reasons.append("link_farm")
    if page_signals.cloaking_redirect:
        score += 0.3
        reasons.append("cloaking_redirect")
    if page_signals.hidden_blocks and page_signals.hidden_spam_terms:
        score += 0.15
        reasons.append("hidden_spam_blocks")
    score = min(score, 1.0)

    spam_paragraphs = {
        i
        for i, p in enumerate(running)
        if _spam_paragraph(p, [h for h in spam_term_hits(p.lower()) if h.category not in related])
    }
    clean_chars = sum(_han_count(p) for i, p in enumerate(running) if i not in spam_paragraphs)
    all_han = sum(_han_count(p) for p in clean_paragraphs) or 1
    substantial = clean_chars >= 400 and clean_chars >= 0.7 * all_han
    return SpamVerdict(score >= 0.6 and not substantial, round(score, 3), tuple(reasons), clean_chars)
