"""The run report's figures on a store of known content, on both backends, and its HTML: every
stored string shown as text, charts drawn to scale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import lxml.html
import pytest

from models.database import open_store
from pipelines.drift import coverage
from pipelines.ingest import Ingestor, prepare_page
from pipelines.items import ArticleItem, RejectedPageItem, RemovalRecord
from pipelines.report import (
    Count,
    NewDocument,
    ReportError,
    default_report_path,
    gather_report,
    latest_run_id,
)
from pipelines.report_html import bar_chart, render_report, write_report
from pipelines.store import ArticleStore

FETCHED = datetime(2025, 11, 3, 8, 0, tzinfo=timezone.utc)
HOSTILE_TITLE = "<img src=x onerror=alert(1)>低空经济发展报告</td></table><script>alert(2)</script>"
HOSTILE_CUT = "<script>document.title='pwned'</script>澳门新葡京娱乐场"
HOSTILE_DETAIL = "spam_title; <iframe src=javascript:alert(3)></iframe> & \"quoted\""

BODIES = {
    "low_altitude": ["低空经济是新质生产力的代表，近年来发展迅速，各地纷纷出台政策支持无人机产业发展。",
                     "本报告梳理了低空经济的产业链构成，分析了主要城市的发展路径和政策工具。"],
    "compute": ["算力基础设施是数字经济的底座，东海省提出到2027年建成一批智能算力中心。",
                "方案明确了算力网络、算法创新和数据要素三方面的重点任务，并配套资金支持。"],
    "smes": ["专精特新中小企业是产业链供应链稳定的重要力量，全省已认定省级专精特新企业两千余家。",
             "下一步将在融资、人才、市场开拓等方面加大支持力度，推动企业向小巨人迈进。"],
    "green": ["绿色工厂梯度培育工作按照国家级、省级、市级三个层次推进，实行动态管理。",
              "申报企业应当具备独立法人资格，近三年未发生重大安全和环境污染事故。"],
    "parks": ["开发区是全省工业经济的主阵地，今年前三季度开发区规上工业增加值同比增长百分之七。",
              "省商务厅将开展开发区综合发展水平考核评价，结果作为政策支持的重要依据。"],
}


def _item(url: str, site: str, body: str, run: int, **fields: object) -> ArticleItem:
    fields.setdefault("published_at", date(2025, 11, 3))
    return ArticleItem(url=url, site=site, fetched_at=FETCHED, paragraphs=list(BODIES[body]),
                       crawl_run_id=run, **fields)


def _rejected(url: str, site: str, reason: str, run: int, detail: str) -> RejectedPageItem:
    return RejectedPageItem(url=url, site=site, reason=reason, detail=detail, crawl_run_id=run,
                            fetched_at=FETCHED)


def _site_stats(articles: int, with_date: int, pages: int) -> dict[str, object]:
    return {"pages": pages, "articles_new": articles, "copies_new": articles, "unchanged": 0,
            "rejected": 0, "errors": 0,
            "coverage": coverage(articles, {"published_at": with_date, "source": articles,
                                            "body": articles}, [600] * articles)}


@pytest.fixture
def store(db_url: str):
    """Two runs: the first stores two articles; the second three new ones, a mirror copy of
    the first run's article carrying spam, a repost of one of its own, and three rejections."""
    engine = open_store(db_url)
    store = ArticleStore(engine)
    ingestor = Ingestor(store)
    first = store.start_run(["achie", "gov"])
    ingestor.ingest_prepared([prepare_page(item) for item in (
        _item("http://www.achie.test/a/1.html", "achie", "green", first,
              title="绿色工厂梯度培育及管理要点", source="东海省工业和信息化厅"),
        _item("http://www.gov.test/zcwj/t1.html", "gov", "parks", first,
              title="关于开展开发区综合发展水平考核评价的通知", doc_number="东商发〔2025〕7号",
              issuer="东海省商务厅"),
    )])
    store.finish_run(first, "ok", {"pages": 12, "articles_new": 2, "copies_new": 2, "stats": {
        "sites": {"achie": _site_stats(10, 10, 8), "gov": _site_stats(6, 6, 4)}}})
    second = store.start_run(["achie", "gov", "mirror", "portal"])
    ingestor.ingest_prepared(
        [prepare_page(item) for item in (
            _item("http://www.achie.test/a/2.html", "achie", "low_altitude", second,
                  title=HOSTILE_TITLE, source="中国民航报", author="李明"),
            _item("http://www.gov.test/zcwj/t2.html", "gov", "compute", second,
                  title="东海省算力基础设施高质量发展行动方案", doc_number="东工信规〔2025〕3号",
                  issuer="东海省工业和信息化厅", doc_type="方案", validity="有效",
                  written_at=date(2025, 10, 16), source="省工信厅"),
            _item("http://news.portal.test/show-1.html", "portal", "smes", second,
                  title="专精特新中小企业加快发展", published_at=None, source="东海日报"),
            _item("http://www.mirror.test/a/1.html", "mirror", "green", second,
                  title="绿色工厂梯度培育及管理要点", removals=[
                      RemovalRecord("hidden_block", HOSTILE_CUT),
                      RemovalRecord("hidden_block", "北京赛车pk10计划"),
                      RemovalRecord("link_farm", "太阳城集团 | 六合彩开奖结果")]),
            _item("http://news.portal.test/show-2.html", "portal", "low_altitude", second,
                  title="低空经济发展报告", source="中国民航报", published_at=date(2025, 11, 4)),
        )],
        [_rejected("http://www.mirror.test/vod/1.html", "mirror", "spam_page", second, HOSTILE_DETAIL),
         _rejected("http://www.mirror.test/vod/2.html", "mirror", "spam_page", second, "spam_title"),
         _rejected("http://www.achie.test/a/list.html", "achie", "not_article", second, "list page")],
    )
    # The second run's achie pages lost their dates: 1 of 10, against 100 % the run before.
    store.finish_run(second, "degraded", {
        "pages": 30, "articles_new": 3, "copies_new": 5, "duplicates": 2, "rejected": 3,
        "stats": {"sites": {"achie": _site_stats(10, 1, 9), "gov": _site_stats(6, 6, 7),
                            "mirror": _site_stats(1, 1, 9), "portal": _site_stats(2, 1, 5)}}})
    yield engine
    engine.dispose()


def test_the_figures_of_a_run_are_what_it_stored(store) -> None:
    report = gather_report(store)  # the latest run
    assert report.run_id == 2 and report.status == "degraded"
    assert report.figures["pages"] == 30 and report.figures["articles_new"] == 3
    assert [(s.site, s.pages, s.articles_new) for s in report.sites] == [
        ("achie", 9, 10), ("gov", 7, 6), ("mirror", 9, 1), ("portal", 5, 2)]
    assert report.rejections == [Count("spam_page", 2), Count("not_article", 1)]
    assert {r.label for r in report.rejected_examples} == {
        "http://www.mirror.test/vod/1.html", "http://www.mirror.test/vod/2.html",
        "http://www.achie.test/a/list.html"}
    assert [(c.label, c.count) for c in report.spam_cuts] == [("hidden_block", 2), ("link_farm", 1)]
    # The mirror joined the first run's article, the repost the second run's: two clusters of
    # two copies (counting the first run's copy), two articles alone.
    assert [(c.label, c.count) for c in report.cluster_sizes] == [("1", 2), ("2", 2)]
    assert {(c.title, c.copies, c.sites) for c in report.largest_clusters} == {
        ("绿色工厂梯度培育及管理要点", 2, 2), (HOSTILE_TITLE, 2, 2)}
    assert report.new_documents_total == 3
    assert sorted((d.site, d.title, d.doc_number, d.copies) for d in report.new_documents) == [
        ("achie", HOSTILE_TITLE, None, 2),
        ("gov", "东海省算力基础设施高质量发展行动方案", "东工信规〔2025〕3号", 1),
        ("portal", "专精特新中小企业加快发展", None, 1),
    ]
    undated = next(d for d in report.new_documents if d.site == "portal")
    assert undated.published_at is None


def test_field_coverage_per_site_and_drift(store) -> None:
    report = gather_report(store, 2)
    by_site = {c.site: c for c in report.coverage}
    assert set(by_site) == {"achie", "gov", "mirror", "portal"}
    gov = by_site["gov"].shares
    assert (gov["doc_number"].filled, gov["doc_number"].of) == (1, 1)
    assert gov["issuer"].ratio == 1.0 and gov["validity"].ratio == 1.0 and gov["author"].ratio == 0
    portal = by_site["portal"]
    assert portal.copies == 2 and portal.shares["date"].filled == 1
    assert portal.shares["author"].of == 1  # the repost is no canonical copy
    assert by_site["achie"].shares["author"].ratio == 1.0
    assert by_site["mirror"].shares["author"].of == 0 and by_site["mirror"].shares["author"].ratio is None
    # achie's dates fell from 100 % to 10 %: the drift module's warning, and only that one.
    assert len(report.drift) == 1
    assert "site achie" in report.drift[0] and "published_at" in report.drift[0]
    assert gather_report(store, 1).drift == []  # nothing to compare the first run with


def test_an_unknown_run_says_which_runs_there_are(store, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no crawl run 7 in this store .runs go from 1 to 2"):
        gather_report(store, 7)
    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ReportError, match="no crawl runs yet"):
        latest_run_id(empty)
    empty.dispose()


def test_every_stored_string_is_shown_as_text(store, tmp_path: Path) -> None:
    report = gather_report(store)
    path = write_report(report, "sqlite:///x.db", tmp_path / "reports" / "run-2.html")
    html = path.read_text("utf-8")
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script | //iframe | //img") == []
    assert not [el for el in tree.iter() if any(a.startswith("on") for a in el.attrib)]
    assert HOSTILE_TITLE in tree.text_content()
    assert HOSTILE_CUT in tree.text_content()
    assert HOSTILE_DETAIL in tree.text_content()
    # A link target that is not a web URL is never a link.
    hostile = replace(report, new_documents=[NewDocument(
        9, "x", "achie", None, "javascript:alert(4)", None, None, 1)])
    links = lxml.html.fromstring(render_report(hostile, "s")).xpath("//a/@href")
    assert "javascript:alert(4)" not in links and "#" in links


def test_charts_are_drawn_to_scale() -> None:
    chart = bar_chart("t", ["a", "b", "c"], {"pages": [40, 10, 0], "new": [20, 5, 1]})
    widths = {(g.label, b.series): b.width for g in chart.groups for b in g.bars}
    assert widths[("a", 0)] == 2 * widths[("a", 1)] == 4 * widths[("b", 0)]
    assert widths[("c", 0)] == 0 and widths[("c", 1)] > 0
    tops = [b.y for g in chart.groups for b in g.bars]
    assert tops == sorted(tops) and len(set(tops)) == 6  # no two bars on top of each other
    assert max(b.y for g in chart.groups for b in g.bars) + 14 <= chart.height


def test_the_report_goes_beside_a_sqlite_store(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'data' / 'policy.db'}"
    assert default_report_path(store, 12) == tmp_path / "data" / "reports" / "run-12.html"
    assert default_report_path(store, 3, str(tmp_path / "out")) == tmp_path / "out" / "run-3.html"
    assert default_report_path("sqlite:///policy.db", 5) == Path("reports") / "run-5.html"
    # A PostgreSQL store has no folder: data/reports under the working directory, beside the
    # default store's and the spool's folder.
    server = "postgresql+psycopg://policy:pw@db:5432/policy"
    assert default_report_path(server, 4) == Path("data") / "reports" / "run-4.html"


def test_a_run_still_going_reports_what_it_has_stored(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'running.db'}")
    store = ArticleStore(engine)
    run_id = store.start_run(["portal"])
    Ingestor(store).ingest(_item("http://news.portal.test/show-9.html", "portal", "smes", run_id,
                                 title="专精特新中小企业加快发展"))
    report = gather_report(engine)
    assert (report.status, report.finished_at, report.duration_s) == ("running", None, None)
    assert [s.site for s in report.sites] == ["portal"]  # from its copies: no figures yet
    assert report.new_documents_total == 1
    tree = lxml.html.fromstring(render_report(report, "s"))
    assert "not finished" in tree.xpath("string(//p[@class='meta'])")
    assert tree.xpath("//table[@id='document-table']//a/text()") == ["专精特新中小企业加快发展"]
    engine.dispose()
