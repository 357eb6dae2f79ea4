"""Text helpers shared by the extractors: whitespace, punctuation, labels, similarity.

Every label is listed in Simplified and Traditional form: hijacked mirrors serve the same
templates converted to Traditional (來源/發佈時間/責任編輯/當前位置/主頁) and the extractor must
read them before the pipeline converts the text.
"""

from __future__ import annotations

import re

_WS_RE = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+")
# Every character _WS_RE matches (\s is str.isspace(), whose characters all lie below U+3001).
_WS_CHARS = "".join(c for c in map(chr, range(0x3001)) if _WS_RE.match(c)) + "\ufeff"


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch in "，。；：！？、“”《》（）"


def normalize_space(text: str) -> str:
    """Collapse whitespace (incl. nbsp, ideographic space, zero-width) to one space and strip.

    A line break between two CJK characters is source formatting, not a space, and is dropped.
    """
    if not text:
        return ""
    # Leading and trailing runs always vanish (replaced, then stripped), so only the inner runs
    # decide which replacement rule applies.
    inner = text.strip(_WS_CHARS)
    if not inner:
        return ""
    if "\n" not in inner and "\r" not in inner and "\u200b" not in inner and "\ufeff" not in inner \
            and "\u3000" not in inner:
        # Without line breaks, zero-width and ideographic spaces every inner run becomes a space.
        return _WS_RE.sub(" ", inner)

    def repl(m: re.Match[str]) -> str:
        s, e = m.start(), m.end()
        run = m.group(0)
        if s > 0 and e < len(text) and ("\n" in run or "\r" in run or "\u200b" in run):
            if is_cjk(text[s - 1]) and is_cjk(text[e]):
                return ""
        if run == "\u200b" or run == "\ufeff":
            return ""
        # An ideographic space inside a line is deliberate typography ("第一条　为…", names of
        # co-issuing bodies separated by U+3000); keep one. Indents are stripped below.
        return "\u3000" if "\u3000" in run else " "

    return _WS_RE.sub(repl, text).strip(" \u3000")


def count_sentence_punct(text: str) -> int:
    # Sentence punctuation is what separates prose from menus; the colon and quotes are weaker.
    return (text.count("，") + text.count("。") + text.count("；") + text.count("！")
            + text.count("？") + text.count("、"))


# --- labels -------------------------------------------------------------------------------

def _spaced(word: str) -> str:
    # Government templates pad labels: "来  源：", "日 期："
    return r"\s*".join(re.escape(c) for c in word)


# Longer labels first so "发布时间" wins over "时间" and "作者单位" over "作者".
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "author_unit": ("作者单位", "作者單位"),
    "editor": ("责任编辑", "責任編輯", "责编", "責編", "编辑", "編輯"),
    "published_at": (
        "发布时间", "发布日期", "發佈時間", "發布時間", "發佈日期", "發布日期", "发表时间", "發表時間",
        "发表日期", "發表日期", "发文日期", "發文日期", "成文日期", "更新时间", "更新時間",
        "上传时间", "上傳時間", "录入时间", "錄入時間", "时间", "時間", "日期",
    ),
    "source": (
        "信息来源", "信息來源", "文章来源", "文章來源", "稿件来源", "稿件來源", "新闻来源", "新聞來源",
        "来源", "來源", "稿源", "出处", "出處",
    ),
    "author": ("作者", "撰稿人", "撰稿", "撰文", "文字"),
    # Terminators: their values are never wanted but they end the previous value.
    "_stop": (
        "点击数", "點擊數", "点击", "點擊", "浏览次数", "瀏覽次數", "浏览量", "瀏覽量", "浏览", "瀏覽",
        "阅读次数", "閱讀次數", "阅读", "閱讀", "访问量", "訪問量", "字号", "字號", "字体", "字體",
        "分享到", "分享", "打印", "关闭", "關閉", "收藏", "摄影", "攝影", "审核", "審核", "校对", "校對",
        "浏览次", "人气", "人氣", "评论", "評論", "发布机构", "發布機構", "索引号", "索引號",
    ),
}

_label_alts = sorted(
    ((field, word) for field, words in FIELD_LABELS.items() for word in words),
    key=lambda fw: -len(fw[1]),
)
_LABEL_GROUPS = {f"L{i}": fw[0] for i, fw in enumerate(_label_alts)}
# A label is followed by a colon (ASCII or full width) or, for the stop words, anything.
_LABEL_FIRST = "".join(sorted({w[0] for _, w in _label_alts}))
LABEL_RE = re.compile(
    f"(?=[{_LABEL_FIRST}])(?:" + "|".join(
        f"(?P<L{i}>{_spaced(w)})\\s*(?:[:：]|(?=\\s*[\\[【]))" if f != "_stop"
        else f"(?P<L{i}>{_spaced(w)})"
        for i, (f, w) in enumerate(_label_alts)
    ) + ")"
)
_VALUE_CUT_RE = re.compile(
    r"\s{2,}|\u3000|[|｜丨【\[]|(?<![\w.])(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"
)
_EMPTY_VALUES = frozenset({"", "未知", "不详", "不詳", "暂无", "暫無", "无", "無", "null", "none", "-"})
_VALUE_STRIP = " \t:：|｜丨/\\-—·•,，;；()（）[]【】<>《》\"'“”"


def _clean_value(raw: str, field: str) -> str | None:
    value = raw.lstrip(" \t\u3000:：")
    if field != "published_at":
        value = _VALUE_CUT_RE.split(value, maxsplit=1)[0]
    value = re.sub(r"\s+", " ", value.strip(_VALUE_STRIP))
    if value.lower() in _EMPTY_VALUES or len(value) > 80:
        return None
    return value


def parse_labels(text: str) -> dict[str, str]:
    """Values of the labelled fields in a meta line: "来源:高新院 日期:2025-10-22 点击:".

    Values end at the next label, at two or more spaces, at a bracket or separator bar, and
    (except for dates) at a date. Placeholders such as 未知 give no value. The first occurrence
    of each field wins.
    """
    out: dict[str, str] = {}
    matches = list(LABEL_RE.finditer(text))
    for i, m in enumerate(matches):
        field = _LABEL_GROUPS[m.lastgroup or ""]
        if field == "_stop" or field in out:
            continue
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        raw = text[m.end():end]
        if field == "published_at":
            raw = raw.strip()
            # Keep the whole date+time; cut at two spaces or a separator only.
            cut = re.search(r"\s{2,}|[|｜丨【\[]", raw)
            raw = raw[: cut.start()] if cut else raw
        value = _clean_value(raw, field)
        if value:
            out[field] = value
    return out
