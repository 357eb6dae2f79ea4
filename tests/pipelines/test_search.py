"""Full-text search on both backends: what every query finds is exactly the stored articles that
hold all its terms (checked against Python's own substring search of the stored text), for
terms of one, two and more characters, in Simplified or Traditional, with every filter; titles
rank above bodies; snippets mark the hits; the index follows every write path of the store.

The articles are written by the real ingestion (cleaning, Traditional → Simplified, dedup,
store), from pages of the shapes the policy web has: notices with a 发文字号, an implementing
opinion and its 解读, management measures, news, a Traditional re-publication.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from models import Article
from models.database import open_store
from pipelines.ingest import Ingestor
from pipelines.items import ArticleItem
from pipelines.search import (
    MARK_END,
    MARK_START,
    QueryError,
    SearchQuery,
    build_query,
    parse_terms,
    search,
    snippet,
)
from pipelines.store import ArticleStore
from tests.pipelines.test_canonical import SALES_NOTE, arriving, sales_pages

FETCHED = datetime(2025, 10, 24, 8, 0, tzinfo=UTC)


def page(url: str, site: str, title: str, published: date | None, paragraphs: list[str],
         **fields: str) -> ArticleItem:
    return ArticleItem(url=url, site=site, fetched_at=FETCHED, title=title,
                       published_at=published, paragraphs=paragraphs, **fields)


PAGES = [
    page("https://gxt.donghai.gov.test/zwgk/tzgg/202503/t20250312_88101.html", "donghai-gxt",
         "关于组织开展2025年度专精特新中小企业认定工作的通知", date(2025, 3, 12), [
             "各市工业和信息化主管部门：",
             "为贯彻落实促进中小企业专精特新发展的决策部署，现就组织开展2025年度省级专精特新中小企业"
             "认定工作有关事项通知如下。",
             "一、申报条件。企业上年度研发费用总额占营业收入总额比重不低于3%，拥有有效发明专利或"
             "知识产权2项以上，主导产品在细分市场占有率位居全省前列。",
             "二、申报程序。企业登录省中小企业公共服务平台在线填报，各市于5月31日前完成初审并报送推荐名单。",
         ], doc_number="东工信企业函〔2025〕18号", issuer="东海省工业和信息化厅", doc_type="通知"),
    page("https://www.haizhou.gov.test/zwgk/zcwj/202506/t20250620_51230.html", "haizhou-gov",
         "海州市人民政府关于促进低空经济高质量发展的实施意见", date(2025, 6, 20), [
             "各县（市、区）人民政府，市政府各部门：",
             "为抢抓低空经济发展机遇，培育新质生产力，结合我市实际，提出如下意见。",
             "一、完善低空基础设施。统筹布局通用机场、无人机起降点和低空飞行服务站，2027年前建成"
             "起降点120个以上，推动5G-A网络覆盖主要低空航线。",
             "二、拓展应用场景。支持开展无人机物流配送、城市空中交通、应急救援和农林植保等示范应用，"
             "对首次开通低空物流航线的企业给予一次性奖励。",
             "三、强化要素保障。设立低空经济产业基金，对符合条件的研发投入按20%给予补贴，"
             "落实高新技术企业税收优惠政策。",
         ], doc_number="海政发〔2025〕9号", issuer="海州市人民政府", doc_type="意见"),
    page("https://www.haizhou.gov.test/zwgk/zcjd/202506/t20250625_51302.html", "haizhou-gov",
         "《海州市人民政府关于促进低空经济高质量发展的实施意见》政策解读", date(2025, 6, 25), [
             "一、出台背景。低空经济是战略性新兴产业，我市具备无人机整机制造和航空零部件产业基础。",
             "二、主要内容。《实施意见》从基础设施、应用场景、要素保障三个方面提出12条措施。",
             "三、适用对象。在本市注册、从事低空飞行器研发制造和运营服务的企业。",
         ], issuer="海州市发展和改革委员会", doc_type="解读"),
    page("https://news.portal.test/news/show-2201.html", "portal",
         "全市算力规模突破5000P 智算中心加快建设", date(2025, 9, 2), source="海州日报", paragraphs=[
             "记者从市数据局获悉，截至8月底，全市算力总规模突破5000P，其中智能算力占比超过六成。",
             "海州智算中心二期项目已完成主体结构施工，投产后将为人工智能企业提供普惠算力服务。",
             "下一步，我市将推动算力网络与数据要素市场协同发展。",
         ]),
    page("https://czt.donghai.gov.test/zwgk/zcfg/202411/t20241105_40017.html", "donghai-czt",
         "东海省省级中小企业发展专项资金管理办法", date(2024, 11, 5), [
             "第一条 为规范省级中小企业发展专项资金管理，提高资金使用效益，制定本办法。",
             "第二条 专项资金采取补贴、奖励和贷款贴息等方式，支持专精特新企业培育和公共服务体系建设。",
             "第三条 获得支持的企业应按规定进行会计核算，涉及税收事项的依法纳税。",
         ], doc_number="东财企〔2024〕66号", issuer="东海省财政厅、东海省工业和信息化厅",
         doc_type="办法"),
    page("https://news.portal.test/news/show-2215.html", "portal",
         "高新区三家企业获评国家级“小巨人”", date(2025, 8, 18), [
             "近日，工业和信息化部公布第七批专精特新“小巨人”企业名单，高新区三家企业榜上有名。",
             "这三家企业均深耕细分领域多年，主导产品国内市场占有率位居前三。",
         ]),
    page("https://www.xinwen-hk.test/article/2025/1003/77120.html", "xinwen-hk",
         "推動人工智能與實體經濟深度融合", date(2025, 10, 3), [
             "會議強調，要加快數據要素市場化配置改革，推動人工智能賦能千行百業。",
             "各地要完善算力基礎設施佈局，支持企業開展AI+製造應用試點。",
         ]),
    page("https://www.haizhou.gov.test/zwgk/ghjh/202502/t20250214_50811.html", "haizhou-gov",
         "2025年海州市数字政府建设工作要点", None, [
             "一、夯实数字底座。统筹建设政务云平台，提升政务算力支撑能力。",
             "二、深化数据共享。完善公共数据目录，推动数据跨部门按需共享。",
         ], issuer="海州市人民政府办公室", doc_type="通知"),
]


@pytest.fixture
def store(db_url: str):
    engine = open_store(db_url)
    store = ArticleStore(engine)
    Ingestor(store).ingest_many([replace(p, paragraphs=list(p.paragraphs)) for p in PAGES])
    yield store
    engine.dispose()


def run(store: ArticleStore, raw: str, **filters: object) -> list:
    with store.engine.connect() as conn:
        return search(conn, build_query(raw, **filters))  # type: ignore[arg-type]


def stored(store: ArticleStore) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(Article)).all()


def holding(store: ArticleStore, *terms: str) -> set[str]:
    """The URLs of the stored articles whose title or body holds every term (case folded)."""
    return {
        a.url for a in stored(store)
        if all(t.lower() in f"{a.title or ''}\n{a.body_text}".lower() for t in terms)
    }


def urls(hits: list) -> set[str]:
    return {h.url for h in hits}


def fts_intact(store: ArticleStore) -> None:
    """SQLite: FTS5 compares its index with the content table, row by row."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO articles_fts(articles_fts, rank) "
                                 "VALUES ('integrity-check', 1)")


# --- the query ----------------------------------------------------------------------------


def test_terms_are_split_on_spaces_a_quoted_phrase_kept_and_made_simplified() -> None:
    assert parse_terms("低空经济  无人机") == ("低空经济", "无人机")
    assert parse_terms('"数字 政府" 算力') == ("数字 政府", "算力")
    assert parse_terms("“数字 政府”") == ("数字 政府",)
    assert parse_terms("數據要素 專精特新") == ("数据要素", "专精特新")
    assert parse_terms("低空经济 低空经济") == ("低空经济",)
    assert parse_terms("xi'an C\\D 50%_ 「小巨人」") == ("xi'an", "C\\D", "50%_", "小巨人")
    assert parse_terms('"数字 政府') == ("数字 政府",)  # an unclosed quote runs to the end
    assert parse_terms('算力"数据"') == ("算力", "数据")


@pytest.mark.parametrize("raw", ["", "   ", '""', "\u3000", '" "', "“”"])
def test_an_empty_query_is_refused(raw: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        parse_terms(raw)


def test_snippet_windows_the_text_around_the_most_terms() -> None:
    text = "前言。" * 40 + "支持低空物流航线，给予补贴。" + "结语。" * 40
    shown = snippet(text, ["低空物流", "补贴"], width=30)
    assert f"{MARK_START}低空物流{MARK_END}" in shown and f"{MARK_START}补贴{MARK_END}" in shown
    assert shown.startswith("…") and shown.endswith("…")
    assert snippet("没有命中的正文", ["算力"]) == "没有命中的正文"


# --- what a query finds -------------------------------------------------------------------

QUERIES = [
    "税",  # one character: a scan
    "算力",  # two characters
    "数据",
    "专精特新",  # indexed
    "低空经济",
    "知识产权2项以上",
    "低空经济 补贴",  # indexed + short
    "算力 数据要素",
    "专精特新 中小企业 认定",
    "ai",  # Latin, any case
    '"算力 服务"',  # a phrase with a space: in no article
    "量子计算",  # in none
    "%",  # LIKE's own characters, taken literally: in two articles
    "50%",  # none (unescaped, '%50%%' would find 5000P)
    "5_0",  # none
]


@pytest.mark.parametrize("raw", QUERIES)
def test_a_query_finds_exactly_the_articles_holding_every_term(store: ArticleStore, raw: str) -> None:
    terms = parse_terms(raw)
    hits = run(store, raw, limit=100)
    assert urls(hits) == holding(store, *terms)
    assert len(hits) == len(urls(hits))


def test_the_queries_cover_every_kind_of_term(store: ArticleStore) -> None:
    """The parametrised queries above are not vacuous: short and long terms both find several
    articles, and a term in one article only finds that one."""
    assert len(holding(store, "税")) == 2 and len(holding(store, "算力")) == 3
    assert len(holding(store, "专精特新")) == 3 and len(holding(store, "低空经济")) == 2
    assert len(holding(store, "知识产权2项以上")) == 1 and len(holding(store, "ai")) == 1
    assert len(holding(store, "%")) == 2


def test_a_traditional_query_finds_the_simplified_text(store: ArticleStore) -> None:
    assert urls(run(store, "低空經濟")) == urls(run(store, "低空经济")) == holding(store, "低空经济")
    # The Traditional page was stored in Simplified, and a Simplified query finds it.
    found = run(store, "数据要素市场化配置")
    assert [h.url for h in found] == ["https://www.xinwen-hk.test/article/2025/1003/77120.html"]
    assert found[0].title == "推动人工智能与实体经济深度融合"
    assert urls(run(store, "數據要素")) == holding(store, "数据要素")


def test_filters_narrow_to_the_matching_articles(store: ArticleStore) -> None:
    by_url = {a.url: a for a in stored(store)}
    assert urls(run(store, "专精特新", site="portal")) == {
        u for u in holding(store, "专精特新") if by_url[u].site == "portal"} != set()
    assert urls(run(store, "低空经济", doc_type="解读")) == {
        "https://www.haizhou.gov.test/zwgk/zcjd/202506/t20250625_51302.html"}
    assert urls(run(store, "低空经济", doc_type="解讀")) == urls(run(store, "低空经济", doc_type="解读"))
    assert urls(run(store, "专精特新", issuer="工业和信息化厅")) == {
        u for u in holding(store, "专精特新") if "工业和信息化厅" in (by_url[u].issuer or "")}
    assert len(run(store, "专精特新", issuer="工业和信息化厅")) == 2
    # since: the publication day; an article without a date (the 工作要点) counts from the day
    # it was first seen (today: it was stored by this test).
    undated = "https://www.haizhou.gov.test/zwgk/ghjh/202502/t20250214_50811.html"
    assert by_url[undated].published_at is None
    assert urls(run(store, "算力", since=date(2025, 9, 1))) == holding(store, "算力")
    assert urls(run(store, "算力", since=date.today())) == {undated}
    assert urls(run(store, "算力", since=date.today() + timedelta(days=2))) == set()
    assert urls(run(store, "专精特新", since=date(2025, 3, 13))) == {
        "https://news.portal.test/news/show-2215.html"}
    assert run(store, "税", site="portal") == []
    assert len(run(store, "数据", limit=1)) == 1


def test_a_title_hit_ranks_above_a_body_only_hit(store: ArticleStore) -> None:
    for raw, first in [
        ("专精特新", "关于组织开展2025年度专精特新中小企业认定工作的通知"),
        ("算力", "全市算力规模突破5000P 智算中心加快建设"),
        ("人工智能", "推动人工智能与实体经济深度融合"),
    ]:
        hits = run(store, raw)
        assert len(hits) >= 2
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        in_title = ["title" in h.matched_in for h in hits]
        assert in_title == sorted(in_title, reverse=True) and in_title[0] and not in_title[-1], (
            raw, [h.title for h in hits])
        titled = [h.title for h in hits if "title" in h.matched_in]
        assert first in titled


def test_a_hit_carries_its_snippet_url_copies_and_document(store: ArticleStore) -> None:
    hits = run(store, "低空经济 补贴")
    assert len(hits) == 1
    hit = hits[0]
    assert f"{MARK_START}补贴{MARK_END}" in hit.snippet
    assert hit.url == "https://www.haizhou.gov.test/zwgk/zcwj/202506/t20250620_51230.html"
    assert (hit.issuer, hit.doc_number, hit.doc_type) == ("海州市人民政府", "海政发〔2025〕9号", "意见")
    assert hit.day == date(2025, 6, 20) and hit.copies == 1
    for hit in run(store, "知识产权"):
        assert f"{MARK_START}知识产权{MARK_END}" in hit.snippet
    record = run(store, "ai")[0].as_record()
    assert record["snippet"].count(MARK_START) == 1 and "AI" in record["snippet"]


# --- the index follows the store ----------------------------------------------------------


def test_the_index_follows_updates_and_deletes(store: ArticleStore) -> None:
    url = "https://news.portal.test/news/show-2201.html"
    assert url in urls(run(store, "智算中心"))
    # The page changed: stored again through the ingestion, the article's text is rewritten.
    changed = replace(PAGES[3], title="全市量子计算产业联盟成立",
                      paragraphs=["全市量子计算产业联盟成立，首批成员单位42家。"])
    Ingestor(store).ingest(changed)
    assert url not in urls(run(store, "智算中心")) and url not in urls(run(store, "算力"))
    assert urls(run(store, "量子计算")) == {url}
    fts_intact(store)
    # A title alone changing (an analyst's UPDATE) and a delete.
    with store.engine.begin() as conn:
        conn.execute(update(Article).where(Article.url == url).values(title="量子科技产业联盟成立"))
    assert urls(run(store, "量子科技")) == {url} == holding(store, "量子科技")
    assert urls(run(store, "全市量子计算")) == {url}  # the body, unchanged
    fts_intact(store)
    with store.engine.begin() as conn:
        conn.execute(delete(Article).where(Article.url == url))
    assert run(store, "量子") == [] and run(store, "产业联盟") == []
    fts_intact(store)


def test_the_index_follows_a_canonical_copy_replaced(db_url: str) -> None:
    """A repost arrives first (editor's note, another title, its last paragraph cut), then the
    Traditional mirror, then the original: the article takes the original's title and text."""
    engine = open_store(db_url)
    store = ArticleStore(engine)
    ingestor = Ingestor(store)
    original, repost, mirror = arriving(sales_pages(SALES_NOTE))
    ingestor.ingest(repost)
    assert urls(run(store, "双创同期新高")) == {repost.url}
    assert run(store, "协会将继续") == []
    ingestor.ingest(mirror)
    ingestor.ingest(original)
    assert run(store, "双创同期新高") == [] and run(store, "现予转载") == []
    hits = run(store, "协会将继续")
    assert [(h.url, h.copies) for h in hits] == [(original.url, 3)]
    assert urls(run(store, "產銷情況簡析")) == {original.url}
    fts_intact(store)
    engine.dispose()


def test_every_result_satisfies_the_query_over_a_generated_store(db_url: str) -> None:
    """Two hundred benchmark-corpus articles under several queries: each result holds every
    term, and none that holds them all is missing (limit above the store's size)."""
    from benchmarks.search import article_rows, bulk_load

    engine = open_store(db_url)
    store = ArticleStore(engine)
    bulk_load(engine, article_rows(200, seed=7), seed=7)
    fts_intact(store)
    for raw in ("低空经济", "集成电路 人才", "营商环境", "算力", "专精特新 税", "园", "首台套 补贴"):
        query = build_query(raw, limit=500)
        assert urls(run(store, raw, limit=500)) == holding(store, *query.terms), raw
    engine.dispose()


def test_a_second_text_source_is_searched_beside_the_article_text(store: ArticleStore) -> None:
    """The seam attachment text will use: here the 来源 line as a second source. A term in the
    body and another only in the second source find the article together."""
    from sqlalchemy import literal

    from pipelines.search import ARTICLE_TEXT, TextSource, like_pattern

    source = Article.__table__.c.source

    def source_hits(_dialect: str, terms):  # type: ignore[no-untyped-def]
        return select(Article.__table__.c.id.label("article_id"), literal(5.0).label("score")).where(
            *(source.like(like_pattern(t), escape="\\") for t in terms))

    byline = TextSource(
        name="source", hits=source_hits,
        contains=lambda _d, t: source.like(like_pattern(t), escape="\\"),
        score=lambda _d, t: literal(5.0),
    )
    url = "https://news.portal.test/news/show-2201.html"
    with store.engine.connect() as conn:
        for raw, expected in [("海州日报 智算中心", {url}), ("海州日报", {url}),
                              ("海州日报 低空经济", set()), ("海州日报 算力", {url}),
                              ("智算中心", {url}), ("报 算力", {url})]:
            query = build_query(raw, limit=50)
            assert {h.url for h in search(conn, query, (ARTICLE_TEXT, byline))} == expected, raw
            alone = {h.url for h in search(conn, query)}
            assert alone == holding(store, *query.terms), raw


def test_a_search_query_defaults() -> None:
    query = build_query(" 低空经济 ", issuer=" 人民政府 ")
    assert query == SearchQuery(terms=("低空经济",), issuer="人民政府")
    assert query.indexed_terms == ("低空经济",) and build_query("税 算力").short_terms == ("税", "算力")
    with pytest.raises(QueryError):
        build_query("算力", limit=0)


# --- the index is what serves the query ---------------------------------------------------


def plan(store: ArticleStore, raw: str) -> str:
    """The backend's plan of the ranked query (PostgreSQL: with plain scans priced out, as on a
    large store; the test store's eight rows would be read whole, or in id order)."""
    from pipelines.search import ranked_statement

    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.begin() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        compiled = ranked_statement(build_query(raw), store.engine.dialect.name).compile(
            conn, compile_kwargs={"literal_binds": True})
        rows = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ")
                                    + str(compiled)).all()
    return "\n".join(str(row[-1]) for row in rows)


def test_a_term_of_three_characters_is_looked_up_in_the_index(store: ArticleStore) -> None:
    """SQLite: the FTS5 table; PostgreSQL under the tests' C.UTF-8 (the locale of Debian's
    clusters, as in production): the trigram indexes revision 0010 made."""
    from pipelines.search import missing_index_notice

    shown = plan(store, "低空经济")
    if store.engine.dialect.name == "sqlite":
        assert "VIRTUAL TABLE INDEX" in shown and "articles_fts" in shown
    else:
        with store.engine.connect() as conn:
            assert missing_index_notice(conn) is None
        assert "ix_articles_body_text_trgm" in shown and "ix_articles_title_trgm" in shown


def test_postgresql_under_a_c_locale_has_no_index_says_so_and_still_finds_everything(
    postgres, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import inspect

    from pipelines.search import missing_index_notice

    url = postgres.create_database(locale="C")
    with caplog.at_level(logging.WARNING):
        engine = open_store(url)
    assert "LC_CTYPE is 'C'" in caplog.text and "docs/search.md" in caplog.text
    assert not [ix for ix in inspect(engine).get_indexes("articles") if ix["name"].endswith("_trgm")]
    store = ArticleStore(engine)
    Ingestor(store).ingest_many([replace(p, paragraphs=list(p.paragraphs)) for p in PAGES])
    for raw in QUERIES:
        assert urls(run(store, raw, limit=100)) == holding(store, *parse_terms(raw)), raw
    with engine.connect() as conn:
        notice = missing_index_notice(conn)
    assert notice is not None and "'C'" in notice and "full scan" in notice
    engine.dispose()


# --- common terms (SQLite) ----------------------------------------------------------------


def common(store: ArticleStore, raw: str, common_hits: int = 2, **filters: object) -> list:
    """The search as it runs for a query held by `common_hits` articles or more."""
    with store.engine.connect() as conn:
        return search(conn, build_query(raw, **filters), common_hits=common_hits)  # type: ignore[arg-type]


def test_a_common_query_is_told_by_its_hit_count_on_sqlite(store: ArticleStore) -> None:
    from pipelines.search import is_common

    with store.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        assert is_common(conn, build_query("专精特新"), 3) is sqlite  # held by three
        assert not is_common(conn, build_query("专精特新"), 4)
        assert is_common(conn, build_query("专精特新 中小企业"), 2) is sqlite
        assert not is_common(conn, build_query("专精特新 低空经济"), 1)  # together in none
        assert not is_common(conn, build_query("算力"), 1)  # short terms: a scan either way


@pytest.mark.parametrize("raw", ["专精特新", "低空经济", "中小企业", "专精特新 中小企业", "低空经济 补贴",
                                 "人工智能 数据", "高质量发展"])
def test_a_common_query_finds_the_same_articles(store: ArticleStore, raw: str) -> None:
    assert urls(common(store, raw, limit=100)) == urls(run(store, raw, limit=100)) == holding(
        store, *parse_terms(raw))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's own order
def test_a_common_query_puts_title_hits_first_then_the_newest_stored(store: ArticleStore) -> None:
    by_url = {a.url: a for a in stored(store)}
    for raw in ("专精特新", "低空经济", "中小企业 专精特新", "数据要素 算力"):
        hits = common(store, raw, limit=100)
        # A title holding a term of three characters or more (a short one is not in the index).
        long_terms = build_query(raw).indexed_terms
        titled = [any(t in (h.title or "") for t in long_terms) for h in hits]
        assert titled == sorted(titled, reverse=True), raw
        assert [h.score for h in hits] == [1.0 if t else 0.0 for t in titled]
        for tier in (True, False):
            ids = [by_url[h.url].id for h, t in zip(hits, titled) if t is tier]
            assert ids == sorted(set(ids), reverse=True), raw
    # The notice holds it in its title; the measures and the news in their bodies, the news
    # stored later.
    hits = common(store, "专精特新")
    assert [h.title for h in hits] == ["关于组织开展2025年度专精特新中小企业认定工作的通知",
                                       "高新区三家企业获评国家级“小巨人”", "东海省省级中小企业发展专项资金管理办法"]
    # The limit is the number shown; filters and short terms apply as the index is read.
    assert len(common(store, "专精特新", limit=1)) == 1
    assert urls(common(store, "专精特新", site="portal")) == urls(run(store, "专精特新", site="portal"))
    assert urls(common(store, "专精特新 税")) == holding(store, "专精特新", "税") != set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's own order
def test_a_common_query_reads_the_index_in_its_own_order(store: ArticleStore) -> None:
    """SQLite: FTS5 gives the matches in rowid order itself (no sort of every match), so the
    read stops at the limit; only the few rows kept are sorted at the end."""
    from pipelines.search import common_statement

    with store.engine.connect() as conn:
        compiled = common_statement(build_query("专精特新 税", site="portal")).compile(
            conn, compile_kwargs={"literal_binds": True})
        shown = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    assert sum("SCAN articles_fts VIRTUAL TABLE INDEX" in line for line in shown) == 2, shown
    assert sum("TEMP B-TREE FOR ORDER BY" in line for line in shown) == 1, shown
