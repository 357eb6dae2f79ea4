"""parse_date / find_dates / url_date: every date form of the Chinese policy web; and which of
the dates a page shows is its own, kept as shown all the way to the store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.cli import main
from crawler.extractors import extract
from crawler.extractors.dates import (
    ends_with_date_label, find_dates, parse_date, url_date, url_month,
)
from crawler.items import item_from_page
from models import Article, ArticleCopy
from models.database import open_store
from pipelines.clean import clean_item
from pipelines.store import ArticleStore

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


# --- more forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2005-5-7 21:23:57", datetime(2005, 5, 7, 21, 23, 57)),
        ("2003-7-24", date(2003, 7, 24)),
        ("2005.5.7", date(2005, 5, 7)),
        ("2005/05/07 08:05", datetime(2005, 5, 7, 8, 5)),
        ("发布时间：2005-03-31 03:18", datetime(2005, 3, 31, 3, 18)),
        ("日期: 2005-9-15 11:46:00", datetime(2005, 9, 15, 11, 46)),
        ("２００５－５－７　２１：２３", datetime(2005, 5, 7, 21, 23)),
        ("２００５年５月７日", date(2005, 5, 7)),
        ("时间：2005年5月7日 21：23：57", datetime(2005, 5, 7, 21, 23, 57)),
    ],
)
def test_parse_date_old_page_forms(text: str, expected: date) -> None:
    value = parse_date(text, now=NOW)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("发表于2005-05-07 21:23", datetime(2005, 5, 7, 21, 23)),
        ("发布日期:2005-5-7", date(2005, 5, 7)),
        ("时间：2005-5-7", date(2005, 5, 7)),
        ("發表於 2005/5/7", date(2005, 5, 7)),
    ],
)
def test_find_dates_label_shapes(text: str, shown: date) -> None:
    found = find_dates(text, now=NOW)
    assert [d.value for d in found] == [shown] and found[0].labelled


def test_a_time_range_is_not_a_zone() -> None:
    # "23:00-01:00" is an evening session, not 23:00 at UTC-1 (which is the next day in Beijing).
    assert parse_date("时间：2025-10-16 23:00-01:00", now=NOW) == datetime(2025, 10, 16, 23, 0)
    assert find_dates("时间：2025-10-16 23:00-01:00", now=NOW)[0].value == datetime(2025, 10, 16, 23)
    # A whole ISO value (a meta tag, JSON-LD) names its zone.
    assert parse_date("2025-10-16T23:00:00-01:00", now=NOW) == datetime(2025, 10, 17, 8, 0)
    assert parse_date("2025-10-16 23:00:00+08:00", now=NOW) == datetime(2025, 10, 16, 23, 0)


def test_ends_with_date_label() -> None:
    assert ends_with_date_label("来源：本站  发布日期：")
    assert ends_with_date_label("发表于")
    assert not ends_with_date_label("来源：本站")


@pytest.mark.parametrize(
    ("url", "day", "month"),
    [
        ("http://www.gov.test/zwgk/202510/t20251016_88.html", date(2025, 10, 16), (2025, 10)),
        ("http://www.news.test/a/2025/1016/12.html", date(2025, 10, 16), (2025, 10)),
        ("http://www.news.test/c/2025-10-16/doc-1.shtml", date(2025, 10, 16), (2025, 10)),
        ("http://www.news.test/a/20251016/7_0.shtml", date(2025, 10, 16), (2025, 10)),
        ("http://www.hanweb.test/art/2025/10/16/art_3_9.html", date(2025, 10, 16), (2025, 10)),
        ("http://www.news.test/202510/88.html", None, (2025, 10)),
        ("http://www.news.test/p/12345678/x.html", None, None),
        ("http://www.news.test/a/2025/1399/1.html", None, None),
    ],
)
def test_url_dates(url: str, day: date | None, month: tuple[int, int] | None) -> None:
    assert url_date(url, now=NOW) == day
    assert url_month(url) == month


# --- which date on a page is the article's ---------------------------------------------------

PARAGRAPHS = (
    "市农业部门近日组织专家组深入各乡镇，对今年秋粮收购和仓储设施的运行情况进行了逐项检查，"
    "并就发现的问题提出了整改意见。",
    "检查组指出，部分粮库的温湿度监测设备老化，通风降温能力不足，要求在入冬前完成更换，"
    "确保储粮安全。",
    "检查组还要求各收购网点公开收购价格和质量标准，不得压级压价，及时足额兑付售粮款项，"
    "切实保护种粮农民的利益。",
    "下一步，市里将建立定期督查制度，对整改落实情况进行跟踪问效，对工作不力的单位予以通报。",
)
TITLE = "市农业部门开展秋粮收购专项检查"
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
SIDEBAR = """<div class="sidebar"><h3>最新动态</h3><ul>
<li><a href="/n/1.html">全市冬小麦播种进度过半</a><span>2005-10-30</span></li>
<li><a href="/n/2.html">农机补贴申请开始受理</a><span>2005-10-28</span></li>
<li><a href="/n/3.html">乡村道路改造工程验收</a><span>2005-10-26</span></li>
</ul></div>"""
COPYRIGHT = """<div class="foot"><p>版权所有 市农业信息中心 2003-2005</p>
<p>本站更新时间：2005-11-01 ICP备05001234号</p></div>"""


def page_date(html: str, url: str = "http://www.agri.test/news/show.asp?id=7") -> tuple:
    page = extract(html.encode("utf-8"), url)
    assert "extract_error" not in page.signals
    return page.published_at, page.published_at_source


def test_a_byline_div_under_the_heading_beats_a_sidebar_before_it() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}_农业信息网</title></head><body>
{SIDEBAR}<div class="main"><h1>{TITLE}</h1>
<div class="info">来源：市农业局&nbsp;&nbsp;作者：李华&nbsp;&nbsp;发布时间：2005-5-7 21:23:57</div>
<div class="content">{BODY}</div></div>{COPYRIGHT}</body></html>"""
    assert page_date(html) == (datetime(2005, 5, 7, 21, 23, 57), "byline")


def test_a_table_layout_with_the_date_in_a_far_cell() -> None:
    html = f"""<html><head><meta charset="gb2312"><title>{TITLE}</title></head><body>
<table width="760"><tr><td><a href="/">首页</a> | <a href="/news/">农业新闻</a></td></tr></table>
<table width="760"><tr><td width="560">
<table width="100%"><tr><td align="center"><font size="4"><b>{TITLE}</b></font></td></tr>
<tr><td align="center"><table><tr><td>稿源：市农业局</td><td>作者：王强</td><td>点击：</td>
<td>126</td><td>2003-7-24</td></tr></table></td></tr>
<tr><td>{BODY}</td></tr></table></td>
<td width="200" valign="top"><table><tr><td><a href="/news/5.asp">秋季动物防疫工作部署会召开</a></td>
<td>2003-7-20</td></tr><tr><td><a href="/news/4.asp">蔬菜基地建设现场会在我市召开</a></td>
<td>2003-7-18</td></tr></table></td></tr></table>
<p>版权所有 2003 市农业信息中心</p></body></html>"""
    assert page_date(html) == (date(2003, 7, 24), "byline")


def test_a_label_in_its_own_cell() -> None:
    html = f"""<html><head><title>{TITLE}</title></head><body><h2>{TITLE}</h2>
<table><tr><td>发布日期：</td><td>2005-9-15 11:46:00</td><td>信息来源：</td><td>市农业局</td></tr></table>
<div id="zoom">{BODY}</div>{SIDEBAR}</body></html>"""
    assert page_date(html) == (datetime(2005, 9, 15, 11, 46), "byline")


def test_a_date_under_the_body_beats_a_sidebar() -> None:
    html = f"""<html><head><title>{TITLE}</title></head><body>{SIDEBAR}
<table width="600"><tr><td class="title">{TITLE}</td></tr><tr><td>{BODY}</td></tr>
<tr><td align="right">市农业局办公室<br>二〇〇五年五月七日</td></tr></table>
{COPYRIGHT}</body></html>"""
    assert page_date(html) == (date(2005, 5, 7), "text")


def test_sidebar_lists_and_copyright_lines_are_never_the_date() -> None:
    html = f"""<html><head><title>{TITLE}</title></head><body>{SIDEBAR}
<div class="main"><h1>{TITLE}</h1><div class="content">{BODY}</div></div>
<div class="related"><h3>相关阅读</h3><p><a href="/n/9.html">粮食烘干中心投入使用</a> 2005-10-02</p></div>
{COPYRIGHT}</body></html>"""
    assert page_date(html) == (None, None)


def test_the_url_day_when_the_page_shows_none() -> None:
    html = f"""<html><head><title>{TITLE}</title></head><body>{SIDEBAR}
<div class="main"><h1>{TITLE}</h1><div class="content">{BODY}</div></div>
{COPYRIGHT}</body></html>"""
    url = "http://www.agri.gov.test/zwgk/200510/t20051016_451.html"
    assert page_date(html, url) == (date(2005, 10, 16), "url")


def test_full_width_byline_and_the_source_label_shape() -> None:
    html = f"""<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>
<p class="byline">来源：市农业局　２００５－０５－０７　２１：２３</p>
<div class="content">{BODY}</div>{SIDEBAR}</body></html>"""
    assert page_date(html) == (datetime(2005, 5, 7, 21, 23), "byline")


def test_a_date_in_the_prose_is_history_not_the_date() -> None:
    prose = "<p>2004年5月7日，全市第一座标准化粮库建成，此后各县陆续建成了一批现代化仓储设施。</p>"
    html = f"""<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>
<div class="content">{BODY}{prose}{BODY}</div></body></html>"""
    assert page_date(html) == (None, None)


def test_meta_and_structured_sources_are_named() -> None:
    meta = f"""<html><head><title>{TITLE}</title><meta name="PubDate" content="2005-05-07 21:23">
</head><body><h1>{TITLE}</h1><div class="content">{BODY}</div></body></html>"""
    assert page_date(meta) == (datetime(2005, 5, 7, 21, 23), "meta")
    jsonld = f"""<html><head><title>{TITLE}</title><script type="application/ld+json">
{{"@type": "NewsArticle", "datePublished": "2005-05-07T21:23:00+08:00"}}</script>
</head><body><h1>{TITLE}</h1><div class="content">{BODY}</div></body></html>"""
    assert page_date(jsonld) == (datetime(2005, 5, 7, 21, 23), "structured")


def test_a_date_without_a_zone_is_stored_as_shown(tmp_path: Path) -> None:
    # Late in the evening: any conversion to or from UTC on the way would move it a day.
    html = f"""<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>
<div class="info">发布时间：2005-5-7 23:30:00 来源：市农业局</div>
<div class="content">{BODY}</div></body></html>"""
    page = extract(html.encode("utf-8"), "http://www.agri.test/news/show.asp?id=8")
    item = clean_item(
        item_from_page(page, site="agri", fetched_at=datetime(2005, 5, 8, 1, 0, tzinfo=UTC))
    ).item
    assert (item.published_at, item.published_at_source) == (datetime(2005, 5, 7, 23, 30), "byline")
    engine = open_store(f"sqlite:///{tmp_path / 'policy.db'}")
    try:
        ArticleStore(engine).save_article(item)
        with Session(engine) as session:
            article = session.scalars(select(Article)).one()
            copy = session.scalars(select(ArticleCopy)).one()
    finally:
        engine.dispose()
    assert (article.published_at, article.published_at_source) == (
        datetime(2005, 5, 7, 23, 30), "byline"
    )
    assert (copy.published_at, copy.published_at_source) == (datetime(2005, 5, 7, 23, 30), "byline")
    saved = tmp_path / "page.html"
    saved.write_text(html, encoding="utf-8")
    shown = CliRunner().invoke(main, ["extract", str(saved), "--url", "http://www.agri.test/a"])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output)
    assert (record["published_at"], record["published_at_source"]) == (
        "2005-05-07T23:30:00", "byline"
    )


def _news_page(meta: str, byline: str, tail: str = "") -> bytes:
    body = "".join(
        f"<p>{t}</p>" for t in (
            "东海市今年以来持续加大对中小企业数字化改造的支持力度，专项资金申报工作已经全面启动。",
            "市工信局有关负责人表示，今年的专项资金将重点支持设备联网、工业软件应用和数据平台建设。",
            "符合条件的企业可在规定时间内通过政务服务网提交申报材料，逾期将不再受理。",
        )
    )
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>东海启动数字化改造资金申报_东海新闻网'
            f'</title>{meta}</head><body><div class="main"><h1>东海启动数字化改造资金申报</h1>'
            f'<div class="date-source">{byline}</div><div class="article">{body}{tail}</div></div>'
            "</body></html>").encode("utf-8")


def test_a_byline_time_of_the_meta_day_is_stored_as_shown() -> None:
    # The meta tag holds the last edit (06:52); the byline shows when it was published.
    meta = '<meta property="article:published_time" content="2025-03-12T06:52:00+08:00">'
    page = extract(_news_page(meta, '<span class="date">2025年03月12日 04:04</span> 东海日报'),
                   "http://news.dh.test/c/2025-03-12/doc-1.shtml")
    assert (page.published_at, page.published_at_source) == (datetime(2025, 3, 12, 4, 4), "byline")
    # Another day shown (a related date) or no time shown: the meta tag stands.
    page = extract(_news_page(meta, '<span class="date">2025年03月12日</span>'),
                   "http://news.dh.test/c/2025-03-12/doc-1.shtml")
    assert page.published_at_source == "meta" and page.published_at.hour == 6


def test_from_the_internet_is_no_source() -> None:
    page = extract(_news_page("", '<span>2025-03-12 04:04</span> 来源：网络'),
                   "http://news.dh.test/c/2025-03-12/doc-2.shtml")
    assert page.source is None
