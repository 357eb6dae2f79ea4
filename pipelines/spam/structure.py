"""The shape of a page's text, read without knowing its words: how much of it is sentences, how
much is lists of short keywords, phrases said again and again, contact numbers, and whether its
title is a string of keyword segments or the title of a document. The verdict weighs this beside
the vocabulary, so spam in words the vocabulary does not hold is known by its shape.

Everything here reads each paragraph once, in time linear in its length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import NamedTuple, Optional

from pipelines.spam.title import TITLE_SEPARATOR
from pipelines.text import Paragraph

__all__ = [
    "PageStructure", "ParagraphShape", "is_document_title", "is_keyword_title", "page_structure",
    "paragraph_shape",
]

# A list: at least this many word items, half of them or more this short (characters), and at
# most one sentence mark per this many items (a list closed by one 。 is still a list).
LIST_MIN_ITEMS = 4
LIST_ITEM_CHARS = 8
LIST_ITEMS_PER_SENTENCE = 6
# A phrase (an item of at least this many characters) said this many times or more, its copies
# this share of the page's characters or more; or a run of Han characters said three times in a
# row (包成功包成功包成功).
REPEAT_MIN_CHARS = 4
REPEAT_MIN_COUNT = 3
REPEAT_MIN_SHARE = 0.15
# A stem (three Han characters) opening or inside this many list items or more, and this share
# of them (金沙娱乐官网，金沙娱乐注册，金沙娱乐开户…).
STEM_MIN_ITEMS = 4
STEM_MIN_SHARE = 0.3
# A keyword title: this many segments holding Han characters or more, the median one this short;
# one more when spaces alone part them (news titles are spaced: 华为 Mate 70 系列手机 今日发布).
TITLE_MIN_SEGMENTS = 3
TITLE_MIN_SPACED_SEGMENTS = 4
TITLE_SEGMENT_CHARS = 8
# Prose joined by commas alone (common on the web: 面料舒适，不紧绷，显高又显瘦) has function
# words in most of its clauses; keywords have few. A list has at most this share of its word
# items holding one.
LIST_FUNCTION_SHARE = 0.25
# A paragraph without sentence marks, not a list, with this many Han characters reads as prose.
PROSE_HAN = 30

_HAN = re.compile("[\u4e00-\u9fff]")
_DIGIT = re.compile("[0-9]")
_SENTENCE_MARK = re.compile("[。！？；!?;]")
# Between items: commas, spaces, bars, underscores, slashes, dashes, colons, sentence marks. The
# enumeration comma 、 separates items only outside sentences (inside one it lists the parts of
# a clause: 支持演艺、动漫、电竞等新业态发展).
_ITEM_SEPARATORS = re.compile(r"[，,｜|_/\\·•\s—–\-：:。！？；!?;]+")
_ITEM_SEPARATORS_ENUMERATION = re.compile(r"[，,、｜|_/\\·•\s—–\-：:。！？；!?;]+")
_TITLE_LIST_SEPARATORS = re.compile(r"[，,、\s]+")
_TITLE_MARKS = re.compile(r"[，,、_|｜\-—–]")
# Characters of function words (particles, copulas, prepositions, conjunctions, adverbs).
_FUNCTION = re.compile("[的了是在不也很让更就都被把着过和与及或为从向对将而且但即所以之其它这那有没会能要可]")
_REPEATED_RUN = re.compile(r"([\u4e00-\u9fff]{2,8})\1\1")
# Mobile numbers, QQ numbers, WeChat ids and the calls to add one. A landline with its area
# code (010-12345678) is how notices give a number for enquiries, and is not counted.
_CONTACT = re.compile(
    r"(?=[1qQ微薇威徽vVwW加])(?:"
    r"(?<![0-9])1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])"
    r"|qq[\s:：号]*[0-9]{5,}"
    r"|(?:微信|薇信|威信|徽信|vx|wx|v信)[\s:：号]*[a-z0-9_-]{5,}"
    r"|加(?:微信|微|薇|v|vx|qq|q)(?![a-z])"
    r")",
    re.IGNORECASE,
)
_TRAILING_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
# The kinds of document a policy site publishes, as their titles end or begin.
_DOCUMENT_TITLE = re.compile(
    r"^关于.{2,}"
    r"|(?:通知|通告|公告|公示|公报|意见|办法|决定|规定|细则|方案|规划|计划|报告|名单|目录|议程|日程|"
    r"纲要|条例|决议|批复|复函|指南|要点|总结|纪要|说明|解读|指标|统计表|一览表|汇总表|简报|答复|"
    r"措施|制度|标准|章程|须知)$"
)


class ParagraphShape(NamedTuple):
    """What one paragraph looks like: its items (the runs between separators), its sentence
    marks, whether it is a list of keywords, and the word items of a list (Han, no digit; empty
    when the paragraph is too few items or too many sentences to be one). A NamedTuple: one is
    made for every paragraph of every page."""

    items: tuple[str, ...]
    words: tuple[str, ...]
    sentence_marks: int
    is_list: bool

    @property
    def is_prose(self) -> bool:
        """Sentences, not a list (sentences joined by commas alone included: see `page_structure`)."""
        return self.sentence_marks > 0 and not self.is_list


def paragraph_shape(paragraph: str) -> ParagraphShape:
    marks = len(_SENTENCE_MARK.findall(paragraph))
    separators = _ITEM_SEPARATORS if marks else _ITEM_SEPARATORS_ENUMERATION
    items = tuple(item for item in separators.split(paragraph) if item)
    if marks * LIST_ITEMS_PER_SENTENCE > len(items) or len(items) < LIST_MIN_ITEMS:
        return ParagraphShape(items, (), marks, False)  # sentences (most paragraphs), a line
    words = tuple(item for item in items if _HAN.search(item) and not _DIGIT.search(item))
    is_list = (
        len(words) >= LIST_MIN_ITEMS
        and 2 * len(words) >= len(items)
        and median(map(len, words)) <= LIST_ITEM_CHARS
        and sum(1 for w in words if _FUNCTION.search(w)) <= LIST_FUNCTION_SHARE * len(words)
    )
    return ParagraphShape(items, words, marks, is_list)


def _title_segments(title: str) -> list[str]:
    """The segments of a title that hold Han characters (a model name, Galaxy S20, is none)."""
    return [
        segment
        for part in TITLE_SEPARATOR.split(title)
        for segment in _TITLE_LIST_SEPARATORS.split(part)
        if _HAN.search(segment)
    ]


def is_keyword_title(title: str) -> bool:
    """A title that is nothing but short keyword segments (代孕_试管婴儿包成功_供卵-代孕公司)."""
    segments = _title_segments(title)
    spaced = _TITLE_MARKS.search(title) is None
    return (
        len(segments) >= (TITLE_MIN_SPACED_SEGMENTS if spaced else TITLE_MIN_SEGMENTS)
        and median(map(len, segments)) <= TITLE_SEGMENT_CHARS
    )


def is_document_title(title: str) -> bool:
    """The title of a document (关于…的通知, …工作方案, …名单, …议程), not a keyword string."""
    if is_keyword_title(title):
        return False
    stripped = _TRAILING_NOTE.sub("", title.strip())  # （征求意见稿）, (2025年修订)
    return _DOCUMENT_TITLE.search(stripped) is not None


@dataclass(frozen=True)
class PageStructure:
    """The structural evidence of a page.

    `sentence_han`: Han characters of prose paragraphs. `list_han`: of keyword lists.
    `repeated_phrase`/`repeated_count`: the phrase said most often, when it is stuffing.
    `contacts`: mobile, QQ and WeChat mentions. `stuffed`: indices of the paragraphs that are
    lists or copies of an earlier paragraph (not running text however long).
    """

    han: int
    sentence_han: int
    list_han: int
    repeated_phrase: Optional[str]
    repeated_count: int
    contacts: int
    keyword_title: bool
    document_title: bool
    stuffed: frozenset[int]

    @property
    def list_share(self) -> float:
        return self.list_han / self.han if self.han else 0.0

    @property
    def sentence_share(self) -> float:
        return self.sentence_han / self.han if self.han else 0.0


def page_structure(title: Optional[str], paragraphs: Sequence[Paragraph]) -> PageStructure:
    """The structure of a page from its title and its normalised paragraphs (one pass)."""
    han = sentence_han = list_han = 0
    chars = 0
    items: Counter[str] = Counter()
    stems: Counter[str] = Counter()
    list_items = 0
    seen: set[str] = set()
    stuffed: set[int] = set()
    run: Optional[str] = None
    for index, paragraph in enumerate(paragraphs):
        shape = paragraph_shape(paragraph)
        han += paragraph.han
        chars += len(paragraph)
        if shape.is_list:
            list_han += paragraph.han
            stuffed.add(index)
            list_items += len(shape.words)
            for word in shape.words:
                stems.update({word[i:i + 3] for i in range(len(word) - 2)})
        elif shape.is_prose or paragraph.han >= PROSE_HAN:
            sentence_han += paragraph.han
        if paragraph.key in seen:
            stuffed.add(index)
        seen.add(paragraph.key)
        items.update(item for item in shape.items if len(item) >= REPEAT_MIN_CHARS)
        if run is None and not shape.is_prose:  # (the search costs as much as the rest)
            match = _REPEATED_RUN.search(paragraph)
            run = match.group(1) if match else None

    phrase: Optional[str] = None
    count = 0
    if items:
        common, times = items.most_common(1)[0]
        if times >= REPEAT_MIN_COUNT and times * len(common) >= REPEAT_MIN_SHARE * chars:
            phrase, count = common, times
    if phrase is None and stems:
        stem, times = stems.most_common(1)[0]
        if times >= STEM_MIN_ITEMS and times >= STEM_MIN_SHARE * list_items:
            phrase, count = stem, times
    if phrase is None and run is not None:
        phrase, count = run, 3
    contacts = len(_CONTACT.findall("\n".join(paragraphs)))  # one scan of the page
    keyword_title = bool(title) and is_keyword_title(title or "")
    document_title = bool(title) and not keyword_title and is_document_title(title or "")
    return PageStructure(
        han=han,
        sentence_han=sentence_han,
        list_han=list_han,
        repeated_phrase=phrase,
        repeated_count=count,
        contacts=contacts,
        keyword_title=keyword_title,
        document_title=document_title,
        stuffed=frozenset(stuffed),
    )
