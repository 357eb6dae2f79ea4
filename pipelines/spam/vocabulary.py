"""The one spam vocabulary: terms that are spam in themselves, the words that show a page is
about their subject, and the search for both. The extractor and the cleaner read it here.

Keywords alone flag legitimate pages (体育彩票公益金, 澳门, 娱乐, 成人教育), so the vocabulary
holds only terms that are spam wherever they occur on a policy site (百家乐, 六合彩, 一本道,
澳门新葡京 — not 彩票 or 澳门), and a hit is one signal among several: the topic words tell an
anti-gambling notice quoting 百家乐 from a page with 百家乐 spliced into it.

The terms are Simplified: the cleaner matches normalised Simplified text, and the extractor,
which reads pages as served, counts them in the text's Simplified form (`count_terms`,
`term_starts`), so a Traditional mirror's terms count as the original's would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from pipelines.normalize import to_simplified

__all__ = [
    "KIND_BOILERPLATE",
    "KIND_INJECTED_PARAGRAPH",
    "KIND_SPLICED_SPAM",
    "SPAM_TERMS",
    "TOPIC_WORDS",
    "TermHit",
    "count_terms",
    "spam_term_hits",
    "term_starts",
    "topics_outside_hits",
]

# Kinds of the cuts the cleaner makes of paragraphs (stored in `removals.kind`).
KIND_INJECTED_PARAGRAPH = "injected_paragraph"
KIND_BOILERPLATE = "boilerplate"
KIND_SPLICED_SPAM = "spliced_spam"

# Simplified forms only: they are matched against normalised Simplified text. Deliberately
# absent: 彩票, 澳门, 娱乐, 成人, 赌博, 视频, 国产, 不卡 (卡脖子!) — common in legitimate articles.
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
# regulation): then its terms of that category are part of the article, not spliced in.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "gambling": ("彩票", "博彩", "赌博", "赌资", "聚赌", "涉赌", "赌场", "赌球", "跨境赌", "赛马",
                 "竞猜型", "体彩", "福彩"),
    "porn": ("色情", "淫秽", "扫黄", "涉黄", "低俗"),
    "fraud": ("发票", "伪造", "假证", "诈骗", "侦探", "枪支", "违禁"),
}

_TERM_CATEGORY: dict[str, str] = {
    term: category for category, terms in SPAM_TERMS.items() for term in terms
}
_TOPIC_OF: dict[str, str] = {
    word: category for category, words in TOPIC_WORDS.items() for word in words
}
# Topic words are Han only (no case: found in a text as in its lower-cased form), and no word of
# one category overlaps a word of another, so the leftmost non-overlapping matches of all of
# them name every category with a word in the text.
assert all("\u3400" <= ch <= "\u9fff" for word in _TOPIC_OF for ch in word)


def _overlap(a: str, b: str) -> bool:
    return a in b or b in a or any(
        a.endswith(b[:k]) or b.endswith(a[:k]) for k in range(1, min(len(a), len(b)))
    )


assert not any(
    _overlap(a, b) for a, ca in _TOPIC_OF.items() for b, cb in _TOPIC_OF.items() if ca != cb
)
_ANY_TOPIC_WORD = re.compile("|".join(map(re.escape, _TOPIC_OF)))

# ASCII terms must stand alone ("av" not inside "avg", "pk10" not inside "pk100"). The lookahead
# on the terms' first characters matches nothing the alternation would not (under IGNORECASE the
# class folds case as the literals do) and lets the engine pass most positions of a page's text
# with one character test instead of trying every term.
TERM_PATTERN = re.compile(
    f"(?=[{re.escape(''.join(sorted({t[0] for t in _TERM_CATEGORY})))}])(?:"
    + "|".join(
        (rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t))
        for t in sorted(_TERM_CATEGORY, key=len, reverse=True)
    )
    + ")",
    re.IGNORECASE,
)
# Suffixes that stay with a spliced brand ("澳门新葡京娱乐场官网手机版").
_SPAM_SUFFIX = r"(?:娱乐场|娱乐城|娱乐|官网|官方网站|网址|网站|平台|app|下载|注册|开户|登录|登陆|入口|首页|手机版|在线|[a-z0-9]{2,}(?:\.[a-z0-9]+)+)*"
SPLICE_PATTERN = re.compile(rf"(?:{TERM_PATTERN.pattern}){_SPAM_SUFFIX}", re.IGNORECASE)


def _literals(terms: Iterable[str], flags: int = 0) -> Optional[re.Pattern[str]]:
    terms = list(terms)
    return re.compile("|".join(map(re.escape, terms)), flags) if terms else None


# A cheap search that finds something wherever TERM_PATTERN would (its terms unanchored: the
# lookarounds of ASCII terms only remove matches), which tries every alternative at every
# position. Han terms are plain literals; the others hold an ASCII letter, so they can only
# match where the text has a character that matches one ignoring case (ASCII letters, İ, ı, ſ
# and the Kelvin sign) — Chinese paragraphs mostly have none.
_UNCASED_TERMS = _literals(t for t in _TERM_CATEGORY if t.lower() == t.upper())
_CASED_TERMS = _literals((t for t in _TERM_CATEGORY if t.lower() != t.upper()), re.IGNORECASE)
_MAY_BE_LATIN = re.compile("[A-Za-z\u0130\u0131\u017f\u212a]")
assert all(c.isascii() for t in _TERM_CATEGORY for c in t if c.lower() != c.upper())


def _may_hold_terms(text: str) -> bool:
    if _UNCASED_TERMS is not None and _UNCASED_TERMS.search(text) is not None:
        return True
    return (
        _CASED_TERMS is not None
        and _MAY_BE_LATIN.search(text) is not None
        and _CASED_TERMS.search(text) is not None
    )


@dataclass(frozen=True)
class TermHit:
    term: str
    category: str
    start: int
    end: int


def spam_term_hits(text: str) -> list[TermHit]:
    """Vocabulary terms in `text` (normalised Simplified text), leftmost-longest, not
    overlapping."""
    if not _may_hold_terms(text):
        return []
    return [
        TermHit(m.group(0), _TERM_CATEGORY[m.group(0).lower()], m.start(), m.end())
        for m in TERM_PATTERN.finditer(text)
    ]


def category_of(term: str) -> str:
    """The category of a term `TERM_PATTERN` matched (in any case)."""
    return _TERM_CATEGORY[term.lower()]


def topics_outside_hits(text: str, hits: Sequence[TermHit]) -> frozenset[str]:
    """Categories whose topic words occur in `text` (lower-cased) outside its term hits."""
    words = _ANY_TOPIC_WORD.findall(text)
    if not words:
        return frozenset()
    if hits:
        words = _ANY_TOPIC_WORD.findall(TERM_PATTERN.sub(" ", text.lower()))
    return frozenset(map(_TOPIC_OF.__getitem__, words))


def _same_length(converted: str, original: str) -> str:
    return converted if len(converted) == len(original) else original


def term_starts(text: str) -> list[int]:
    """Where vocabulary terms start in `text` as served (Traditional or Simplified, any case)."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # a phrase converted to another length: per character
        simplified = "".join(_same_length(to_simplified(ch), ch) for ch in text)
    # (Without `spam_term_hits`' prefilter: on a whole page's text the pattern alone is faster.)
    return [match.start() for match in TERM_PATTERN.finditer(simplified)]


def count_terms(texts: str | Iterable[str]) -> int:
    """Vocabulary terms in text as served (Traditional or Simplified, any case)."""
    if isinstance(texts, str):
        return len(term_starts(texts)) if texts else 0
    return sum(len(term_starts(text)) for text in texts if text)
