"""The project's one date parser: Chinese, numeric and ISO 8601 publication dates.

Decisions:
- A string that shows only a day gives a ``date``; one that shows a time gives a ``datetime``.
  Callers can tell "published on the 22nd" from "published at 00:00 on the 22nd".
- Aware values (ISO 8601 with an offset or "Z", RFC 2822 with a zone) are converted to
  Asia/Shanghai and returned naive. Every other value on these sites is already Beijing time
  and is returned as shown, never shifted, so one naive local clock keeps all rows comparable.
  An offset counts in a whole ISO value (meta tags, JSON-LD) and, in running text, only after
  a "T" ("2025-10-16T23:00-01:00"): after "时间：2025-10-16 23:00" a "-01:00" ends a range.
- Full-width digits, colons and separators ("２００５－５－７　２１：２３") read as their ASCII
  forms.
- Dates before 1949-10-01 (no page of the PRC policy web is older; such strings are history
  mentioned in the text) and dates more than ``FUTURE_TOLERANCE`` after ``now`` are rejected.
- Compact "20251022" is accepted only as a whole field value or right after a date label
  ("发布日期：20251022"); elsewhere eight digits are document numbers and counters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import parser as du_parser

from pipelines.items import FUTURE_TOLERANCE, MIN_DATE

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Labels that introduce a publication date, Simplified and Traditional.
DATE_LABEL_RE = re.compile(
    r"(?:发布|發佈|發布|公布|发表|發表|更新|成文|发文|發文|印发|印發|上传|上傳|录入|錄入|创建|創建)?"
    r"(?:时间|時間|日期)|发布于|發佈於|發布於|发表于|發表於|日\s*期|时\s*间|時\s*間"
)
_LABEL_AT_END_RE = re.compile(r"(?:" + DATE_LABEL_RE.pattern + r")\s*[:：]?\s*[\[【(（]?\s*$")
# Full-width digits and punctuation to ASCII, one character for one so positions hold.
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９：－／．\u3000", "0123456789:-/. "
)

_TIME = (
    r"(?:[T\s]*(?P<H>[01]?\d|2[0-3])\s*[:：时時点點]\s*(?P<M>[0-5]?\d)"
    r"(?:\s*[:：分]\s*(?P<S>[0-5]?\d)(?:\.\d+)?\s*秒?)?"
    r"(?:\s*分)?(?P<tz>\s*(?:Z|[+-]\d{2}:?\d{2}))?)?"
)
_NUMERIC_RE = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})\s*(?P<s1>[-/.年])\s*(?P<m>[01]?\d)\s*(?P<s2>[-/.月])\s*"
    r"(?P<d>[0-3]?\d)(?![\d])\s*日?" + _TIME
)
_COMPACT_RE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)"
    r"(?:\s*(?P<H>[01]\d|2[0-3]):?(?P<M>[0-5]\d)(?::?(?P<S>[0-5]\d))?(?!\d))?"
)
_CN_DIGITS = "〇零○Ｏ一二三四五六七八九十"
_CN_DATE_RE = re.compile(
    rf"(?P<y>[{_CN_DIGITS}]{{4}})\s*年\s*(?P<m>[{_CN_DIGITS}]{{1,2}})\s*月\s*"
    rf"(?P<d>[{_CN_DIGITS}]{{1,3}})\s*日"
)
_ISO_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})\s*$")
_LATIN_MONTH_RE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)


@dataclass(frozen=True)
class DateMatch:
    value: datetime | date
    start: int
    end: int
    labelled: bool  # a date label ("发布时间：") stands right before it


def _local(value: datetime) -> datetime:
    """Naive Beijing time for an aware datetime; a naive one is Beijing time already."""
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value.tzinfo is not None else value


def _cn_number(s: str) -> int | None:
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0, "Ｏ": 0}
    if "十" not in s:
        if not all(c in digits for c in s):
            return None
        n = 0
        for c in s:
            n = n * 10 + digits[c]
        return n
    tens, _, ones = s.partition("十")
    t = digits.get(tens, -1) if tens else 1
    o = digits.get(ones, -1) if ones else 0
    if t < 0 or o < 0:
        return None
    return t * 10 + o


def _build(
    y: int, m: int, d: int, hh: int | None, mm: int | None, ss: int | None,
    now: datetime | None, tz: str | None = None,
) -> datetime | date | None:
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    value: datetime | date
    if hh is not None and mm is not None:
        try:
            value = datetime(y, m, d, hh, mm, ss or 0)
        except ValueError:
            return None
        if tz:
            value = _to_local(value, tz)
    else:
        value = day
    return value if _plausible(value, now) else None


def _to_local(value: datetime, tz: str) -> datetime:
    tz = tz.strip()
    if tz == "Z":
        offset = timedelta(0)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return _local(value.replace(tzinfo=timezone(offset)))


def _plausible(value: datetime | date, now: datetime | None) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    if day < MIN_DATE:
        return False
    current = _local(now or datetime.now(LOCAL_TZ))
    if isinstance(value, datetime):
        return value <= current + FUTURE_TOLERANCE
    return day <= (current + FUTURE_TOLERANCE).date()


def _from_match(m: re.Match[str], now: datetime | None) -> datetime | date | None:
    gd = m.groupdict()
    if gd.get("s1") and gd.get("s2"):
        # "2025-10/22" is not a date; "2025年10月22" is (the 日 is often dropped).
        s1, s2 = gd["s1"], gd["s2"]
        if not (s1 == s2 or (s1 == "年" and s2 == "月")):
            return None
    hh, mm, ss = (int(v) if v is not None else None for v in (gd["H"], gd["M"], gd["S"]))
    tz = gd.get("tz")
    if tz and "T" not in m.group(0):
        tz = None  # "2025-10-16 08:00-10:00": a time range, not a zone
    return _build(int(gd["y"]), int(gd["m"]), int(gd["d"]), hh, mm, ss, now, tz)


def parse_date(text: str | None, *, now: datetime | None = None) -> datetime | date | None:
    """Parse one field value ("2025-10-22", "2025年10月22日 09:30", ISO 8601, "20251022").

    Returns None for anything that is not a plausible publication date; never raises.
    """
    if not text or not isinstance(text, str):
        return None
    s = text.translate(_FULL_WIDTH).strip()
    if not s or len(s) > 200:
        return None
    try:
        if _ISO_RE.match(s) or ("T" in s and s[:4].isdigit() and s[4:5] == "-"):
            value = _parse_iso(s, now)
            if value is not None:
                return value
        m = _NUMERIC_RE.search(s)
        if m:
            return _from_match(m, now)
        m = _CN_DATE_RE.search(s)
        if m:
            return _from_cn_match(m, now)
        stripped = DATE_LABEL_RE.sub("", s).strip(" :：\u3000")
        m = _COMPACT_RE.fullmatch(stripped)
        if m:
            return _from_match(m, now)
        if _LATIN_MONTH_RE.search(s):
            # RFC 2822 / English dates in meta tags ("Wed, 22 Oct 2025 09:30:00 GMT").
            value = _local(du_parser.parse(s, fuzzy=False))
            has_time = re.search(r"\d{1,2}:\d{2}", s)
            result = value.replace(microsecond=0) if has_time else value.date()
            return result if _plausible(result, now) else None
    except (ValueError, OverflowError):
        return None
    return None


def _parse_iso(s: str, now: datetime | None) -> datetime | None:
    try:
        value = du_parser.isoparse(s)
    except (ValueError, OverflowError):
        return None
    value = _local(value).replace(microsecond=0)
    return value if _plausible(value, now) else None


def _from_cn_match(m: re.Match[str], now: datetime | None) -> datetime | date | None:
    y, mo, d = (_cn_number(m.group(k)) for k in ("y", "m", "d"))
    if y is None or mo is None or d is None:
        return None
    return _build(y, mo, d, None, None, None, now)


def ends_with_date_label(text: str) -> bool:
    """Does `text` end with a date label ("发布时间：", "日期:", "发表于")?"""
    return _LABEL_AT_END_RE.search(text[-16:].translate(_FULL_WIDTH)) is not None


def find_dates(text: str, *, now: datetime | None = None) -> list[DateMatch]:
    """All plausible dates in running text, in order, with their positions.

    Eight-digit compact dates are reported only after a date label.
    """
    if not text:
        return []
    text = text.translate(_FULL_WIDTH)
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def labelled_at(start: int) -> bool:
        return ends_with_date_label(text[max(0, start - 14):start])

    for regex in (_NUMERIC_RE, _CN_DATE_RE, _COMPACT_RE):
        for m in regex.finditer(text):
            start, end = m.start(), m.end()
            while end > start and text[end - 1].isspace():
                end -= 1
            if any(s < end and start < e for s, e in taken):
                continue
            if regex is _COMPACT_RE and not labelled_at(start):
                continue
            if regex is _CN_DATE_RE:
                value = _from_cn_match(m, now)
            else:
                value = _from_match(m, now)
            if value is None:
                continue
            taken.append((start, end))
            found.append(DateMatch(value, start, end, labelled_at(start)))
    found.sort(key=lambda d: d.start)
    return found


# --- dates in URLs ---------------------------------------------------------------------------

# The date a CMS writes into an article's path: TRS "t20251016_", "/2025/1016/", "/2025/10/16/",
# "/2025-10-16/", "/20251016/"; "/202510/" names the month only.
_URL_DAY_RE = re.compile(
    r"/t(?P<y1>(?:19|20)\d{2})(?P<m1>[01]\d)(?P<d1>[0-3]\d)_"
    r"|/(?P<y2>(?:19|20)\d{2})/(?P<m2>[01]\d)(?P<d2>[0-3]\d)/"
    r"|/(?P<y3>(?:19|20)\d{2})(?P<sep>[-/])(?P<m3>[01]?\d)(?P=sep)(?P<d3>[0-3]?\d)/"
    r"|/(?P<y4>(?:19|20)\d{2})(?P<m4>[01]\d)(?P<d4>[0-3]\d)/"
)
_URL_MONTH_RE = re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)/")


def url_date(url: str, *, now: datetime | None = None) -> date | None:
    """The day an article's URL names (see ``_URL_DAY_RE``), or None."""
    m = _URL_DAY_RE.search(url or "")
    if m is None:
        return None
    y, mo, d = (next(v for k, v in m.groupdict().items() if k[0] == part and v) for part in "ymd")
    value = _build(int(y), int(mo), int(d), None, None, None, now)
    return value if isinstance(value, date) else None


def url_month(url: str) -> tuple[int, int] | None:
    """(year, month) of the day or month an article's URL names, or None."""
    day = url_date(url)
    if day is not None:
        return day.year, day.month
    m = _URL_MONTH_RE.search(url or "")
    if m is None or not 1 <= int(m.group("m")) <= 12:
        return None
    return int(m.group("y")), int(m.group("m"))
