"""parse_date / find_dates: every date form of the Chinese policy web."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crawler.extractors.dates import find_dates, parse_date

NOW = datetime(2025, 11, 1, 12, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-22", date(2025, 10, 22)),
        ("2025/10/22", date(2025, 10, 22)),
        ("2025.10.22", date(2025, 10, 22)),
        ("2025-9-8", date(2025, 9, 8)),
        ("2025年10月22日", date(2025, 10, 22)),
        ("2025 年 10 月 22 日", date(2025, 10, 22)),
        ("2025年10月22", date(2025, 10, 22)),
        ("二〇二五年十月二十二日", date(2025, 10, 22)),
        ("二〇二五年一月五日", date(2025, 1, 5)),
        ("2025/10/22 09:30", datetime(2025, 10, 22, 9, 30)),
        ("2025-10-22 09:30:15", datetime(2025, 10, 22, 9, 30, 15)),
        ("2025年10月22日 09:30:15", datetime(2025, 10, 22, 9, 30, 15)),
        ("2025年10月22日09时30分", datetime(2025, 10, 22, 9, 30)),
        ("发布时间：2025-10-22 10:15", datetime(2025, 10, 22, 10, 15)),
        ("20251022", date(2025, 10, 22)),  # a whole field value is labelled by its field
        ("发布日期：20251022", date(2025, 10, 22)),
        ("2025-10-22T09:30:00", datetime(2025, 10, 22, 9, 30)),
        # Aware values become naive Beijing time.
        ("2025-10-22T01:30:00Z", datetime(2025, 10, 22, 9, 30)),
        ("2025-10-22T09:30:00+08:00", datetime(2025, 10, 22, 9, 30)),
        ("2025-10-21T20:30:00-05:00", datetime(2025, 10, 22, 9, 30)),
        ("Wed, 22 Oct 2025 01:30:00 GMT", datetime(2025, 10, 22, 9, 30)),
        ("2025-11-02", date(2025, 11, 2)),  # within the future tolerance
    ],
)
def test_parse_date_forms(text: str, expected: date) -> None:
    value = parse_date(text, now=NOW)
    assert value == expected
    assert type(value) is type(expected)  # a day stays a date, a time makes a datetime


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "未知", "2025-13-01", "2025-02-30", "1937-07-07",
        "1949-09-30", "2026-05-01", "2025-10/22", "点击：20251022次", "第20251022号", "12345",
        "10月22日",  # no year: not a publication date
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text, now=NOW) is None


def test_impossible_time_keeps_the_day() -> None:
    assert parse_date("2025-10-22 25:00", now=NOW) == date(2025, 10, 22)


def test_parse_date_accepts_founding_day() -> None:
    assert parse_date("1949-10-01", now=NOW) == date(1949, 10, 1)


def test_parse_date_tolerates_non_strings() -> None:
    assert parse_date(None) is None
    assert parse_date(12345) is None  # type: ignore[arg-type]


def test_find_dates_positions_and_labels() -> None:
    text = "来源：新华社 发布时间：2025-10-22 09:30 浏览：20251022 文号 2024年1月31日会议"
    found = find_dates(text, now=NOW)
    assert [d.value for d in found] == [datetime(2025, 10, 22, 9, 30), date(2024, 1, 31)]
    first = found[0]
    assert text[first.start:first.end] == "2025-10-22 09:30"
    assert first.labelled and not found[1].labelled


def test_find_dates_compact_only_when_labelled() -> None:
    assert [d.value for d in find_dates("成文日期：20251020", now=NOW)] == [date(2025, 10, 20)]
    assert find_dates("项目编号20251020", now=NOW) == []


def test_find_dates_traditional_label() -> None:
    found = find_dates("來源:高新院 日期:2025-10-22 點擊:", now=NOW)
    assert found[0].value == date(2025, 10, 22) and found[0].labelled


def test_find_dates_skips_impossible() -> None:
    assert find_dates("2025-02-30 和 1900-01-01", now=NOW) == []
