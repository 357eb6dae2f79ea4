"""Attachment text in full-text search, on both backends: a covering notice whose policy is only
in its PDF or Word file is found by a term of the file, with a snippet from the file; terms may
be split between the body and a file; a file that holds the article's body again
(`same_as_body`) counts once; the index follows the files as they are stored, replaced, edited
and deleted.

The files are real PDF and DOCX bytes read by the real readers and stored through the store's
own path (`Ingestor.ingest_prepared`), as a crawl stores them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, select, update

from models import Article, ArticleAttachment, Attachment
from models.database import open_store
from pipelines.attachments.results import ATTACHMENT, FAILED, SAME_AS_BODY
from pipelines.ingest import Ingestor
from pipelines.search import (
    ARTICLE_TEXT,
    MARK_END,
    MARK_START,
    SEARCHED_RELATION,
    build_query,
    parse_terms,
    search,
)
from pipelines.store import ArticleStore
from tests.fixtures.build_web import text_pdf
from tests.pipelines.attachments.test_store import (
    NOTICE,
    PLAN,
    article,
    docx,
    fetched,
    rows,
    store_articles,
    store_files,
)
from tests.pipelines.policy_texts import SEED_ARTICLE

# A covering notice of the 算力 vouchers: the measures themselves are only in the PDF.
VOUCHER_NOTICE = ["各市数据局、财政局：", "现将《东海省算力券管理办法（试行）》印发给你们，请结合实际认真贯彻落实。",
                  "东海省数据局　东海省财政厅", "2025年9月28日"]
VOUCHER_MEASURES = [
    "东海省算力券管理办法（试行）",
    "第一条 为降低中小企业和科研机构使用智能算力的成本，推动算力普惠应用，制定本办法。",
    "第二条 算力券按企业实际支付智算服务费用的30%予以抵扣，单个企业年度抵扣额度最高200万元。",
    "第三条 算力服务商应接入省算力调度平台，按月报送服务合同、发票和算力使用记录。",
]
VOUCHER_PAGE = "http://www.dsj.test/zwgk/tzgg/202509/t20250928_9001.html"
VOUCHER_PDF = "http://www.dsj.test/zwgk/tzgg/202509/P020250928551203884410.pdf"
PLAN_PAGE = "http://www.gxt.test/zcwj/t20251016_21.html"
PLAN_DOCX = "http://www.gxt.test/zcwj/202510/P020251016398145672390.docx"
FULL_PAGE = "http://www.gxt.test/zcwj/t20251016_22.html"
FULL_DOCX = "http://www.gxt.test/zcwj/202510/P020251016398145672391.docx"
# A news item whose body mentions the vouchers, without a file.
NEWS_PAGE = "http://news.portal.test/news/show-3301.html"
NEWS = ["记者从省数据局获悉，首批算力券已发放至120家中小企业，企业可在省算力调度平台申领。",
        "据介绍，算力券将重点支持人工智能模型训练和工业互联网平台建设。"]


def stored_notices(db_url: str) -> Engine:
    """A store holding the notices, the news and their files, written by the ingestion."""
    engine = open_store(db_url)
    ingestor = Ingestor(ArticleStore(engine))
    store_articles(
        ingestor,
        article(VOUCHER_PAGE, VOUCHER_NOTICE, [(VOUCHER_PDF, "东海省算力券管理办法（试行）")], site="dsj"),
        article(PLAN_PAGE, NOTICE, [(PLAN_DOCX, "东海省中小企业数字化转型实施方案")]),
        article(FULL_PAGE, SEED_ARTICLE, [(FULL_DOCX, "全文下载")]),
        article(NEWS_PAGE, NEWS, [], site="portal"),
    )
    # The files arrive after their pages, with their links' text, as a crawl fetches them.
    store_files(ingestor,
                fetched(VOUCHER_PDF, text_pdf(VOUCHER_MEASURES), site="dsj",
                        link_text="东海省算力券管理办法（试行）"),
                fetched(PLAN_DOCX, docx(PLAN), link_text="东海省中小企业数字化转型实施方案"),
                fetched(FULL_DOCX, docx(SEED_ARTICLE), link_text="全文下载"))
    return engine


@pytest.fixture
def ingestor(db_url: str):
    engine = stored_notices(db_url)
    yield Ingestor(ArticleStore(engine))
    engine.dispose()


def run(ingestor: Ingestor, raw: str, sources=None, **filters: object) -> list:  # type: ignore[no-untyped-def]
    query = build_query(raw, limit=100, **filters)  # type: ignore[arg-type]
    with ingestor.store.engine.connect() as conn:
        return search(conn, query) if sources is None else search(conn, query, sources)


def holding(ingestor: Ingestor, *terms: str) -> set[str]:
    """URLs of the articles whose title, body and searched files together hold every term."""
    with ingestor.store.engine.connect() as conn:
        texts = {a.id: [a.title or "", a.body_text] for a in conn.execute(select(Article))}
        urls = dict(conn.execute(select(Article.id, Article.url)).all())
        for link in conn.execute(
            select(ArticleAttachment.article_id, Attachment.text)
            .join(Attachment, Attachment.id == ArticleAttachment.attachment_id)
            .where(ArticleAttachment.relation == ATTACHMENT)
        ):
            texts[link.article_id].append(link.text)
    return {urls[i] for i, parts in texts.items()
            if all(any(t.lower() in p.lower() for p in parts) for t in terms)}


def indexes_intact(ingestor: Ingestor) -> None:
    """SQLite: FTS5 compares each index with its content table, row by row."""
    if ingestor.store.engine.dialect.name == "sqlite":
        with ingestor.store.engine.begin() as conn:
            for table in ("articles_fts", "attachments_fts"):
                conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_the_searched_relation_is_the_stores_own() -> None:
    assert SEARCHED_RELATION == ATTACHMENT


def test_a_notice_is_found_by_a_term_only_in_its_pdf(ingestor: Ingestor) -> None:
    links = {link.url: link for link in rows(ingestor, ArticleAttachment)}
    assert links[VOUCHER_PDF].relation == ATTACHMENT and links[FULL_DOCX].relation == SAME_AS_BODY
    with ingestor.store.engine.connect() as conn:
        body = conn.scalar(select(Article.body_text).where(Article.url == VOUCHER_PAGE))
    assert "按企业实际支付智算服务费用" not in body
    (hit,) = run(ingestor, "按企业实际支付智算服务费用")
    assert hit.url == VOUCHER_PAGE
    assert hit.matched_in == ("attachment",)
    assert hit.snippet_from == "东海省算力券管理办法（试行）.pdf"
    assert f"算力券{MARK_START}按企业实际支付智算服务费用{MARK_END}的30%予以抵扣" in hit.snippet
    record = hit.as_record()
    assert record["snippet_from"] == hit.snippet_from and record["matched_in"] == ["attachment"]
    # The Word file of another notice, by a phrase of its text.
    (hit,) = run(ingestor, "数字化诊断服务")
    assert (hit.url, hit.snippet_from) == (PLAN_PAGE, "东海省中小企业数字化转型实施方案.docx")
    # Without the attachment source, the article text alone does not hold it.
    assert run(ingestor, "按企业实际支付智算服务费用", sources=(ARTICLE_TEXT,)) == []


QUERIES = [
    "算力券",  # the notice's body and title, its PDF, and the news
    "算力调度平台",  # the PDF and the news body
    "智算服务费用",  # the PDF only
    "印发给你们 智算服务费用",  # one term in the body, one in the file
    "东海省数据局 抵扣",  # body + a short term in the file only
    "券 抵扣",  # short terms only: a scan of bodies and files
    "三百家以上 贯彻执行",  # the DOCX + the body of the same notice
    "三百家以上 算力券",  # in no single article
    "颠覆式创新",  # a body whose same_as_body file holds it too
    "量子计算",  # nowhere
]


@pytest.mark.parametrize("raw", QUERIES)
def test_a_query_finds_exactly_the_articles_whose_texts_hold_every_term(
    ingestor: Ingestor, raw: str
) -> None:
    hits = run(ingestor, raw)
    assert {h.url for h in hits} == holding(ingestor, *parse_terms(raw))
    assert len(hits) == len({h.url for h in hits})


def test_the_queries_are_not_vacuous(ingestor: Ingestor) -> None:
    assert holding(ingestor, "算力券") == {VOUCHER_PAGE, NEWS_PAGE}
    assert holding(ingestor, "智算服务费用") == {VOUCHER_PAGE}
    assert holding(ingestor, "印发给你们", "智算服务费用") == {VOUCHER_PAGE}
    assert holding(ingestor, "券", "抵扣") == {VOUCHER_PAGE}
    assert holding(ingestor, "三百家以上", "贯彻执行") == {PLAN_PAGE}
    assert holding(ingestor, "三百家以上", "算力券") == set()


def test_split_terms_snippet_from_the_text_holding_more_of_them(ingestor: Ingestor) -> None:
    (hit,) = run(ingestor, "印发给你们 智算服务费用")
    assert hit.matched_in == ("body", "attachment")
    # Each text holds one term: the body's snippet, which is what the page shows.
    assert hit.snippet_from is None and f"{MARK_START}印发给你们{MARK_END}" in hit.snippet
    (hit,) = run(ingestor, "算力调度平台 智算服务费用")
    assert hit.snippet_from is not None and hit.snippet.count(MARK_START) >= 2


def test_a_file_holding_the_body_again_counts_once(ingestor: Ingestor) -> None:
    for raw in ("颠覆式创新", "专精特新中小企业 颠覆式创新"):
        (hit,) = run(ingestor, raw)
        (alone,) = run(ingestor, raw, sources=(ARTICLE_TEXT,))
        assert hit.url == FULL_PAGE and hit.matched_in == ("body",)
        assert hit.snippet_from is None and hit.score == pytest.approx(alone.score)


def test_the_news_body_ranks_with_the_notice_found_by_its_file(ingestor: Ingestor) -> None:
    hits = run(ingestor, "算力调度平台")
    assert {h.url for h in hits} == {VOUCHER_PAGE, NEWS_PAGE}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    by_url = {h.url: h for h in hits}
    assert by_url[NEWS_PAGE].matched_in == ("body",) and by_url[NEWS_PAGE].snippet_from is None
    assert by_url[VOUCHER_PAGE].matched_in == ("attachment",)


def test_the_index_follows_files_stored_replaced_edited_and_deleted(ingestor: Ingestor) -> None:
    url = "http://www.dsj.test/zwgk/tzgg/202510/P020251010551203884420.docx"
    page = "http://www.dsj.test/zwgk/tzgg/202510/t20251010_9002.html"
    store_articles(ingestor, article(page, ["现将申报指南印发给你们。"], [(url, "申报指南")], site="dsj"))
    # The first fetch fails: a row without text.
    store_files(ingestor, fetched(url, http_status=404, status=FAILED, reason="HTTP 404", site="dsj"))
    assert run(ingestor, "低空飞行服务站") == []
    # Then the URL serves its file: found by the file's text.
    guide = ["低空经济项目申报指南", "申报主体应在本省注册，建设低空飞行服务站或无人机起降点。"]
    store_files(ingestor, fetched(url, docx(guide), site="dsj"))
    assert [h.url for h in run(ingestor, "低空飞行服务站")] == [page]
    indexes_intact(ingestor)
    # An analyst corrects the text; then deletes the file.
    with ingestor.store.engine.begin() as conn:
        file_id = conn.scalar(select(ArticleAttachment.attachment_id).where(ArticleAttachment.url == url))
        conn.execute(update(Attachment).where(Attachment.id == file_id)
                     .values(text="低空经济项目申报指南\n申报主体应建设通用机场。"))
    assert run(ingestor, "低空飞行服务站") == []
    assert [h.url for h in run(ingestor, "建设通用机场")] == [page]
    indexes_intact(ingestor)
    with ingestor.store.engine.begin() as conn:
        conn.execute(delete(Attachment).where(Attachment.id == file_id))
    assert run(ingestor, "建设通用机场") == []
    indexes_intact(ingestor)


def test_the_attachment_index_serves_the_query(ingestor: Ingestor) -> None:
    from pipelines.search import missing_index_notice, ranked_statement

    engine = ingestor.store.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if not sqlite:
            assert missing_index_notice(conn) is None
            # Plain scans priced out, as on a large store (these few rows would be read whole).
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        compiled = ranked_statement(build_query("智算服务费用"), engine.dialect.name).compile(
            conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + str(compiled)))
    assert ("attachments_fts" if sqlite else "ix_attachments_text_trgm") in plan, plan


@pytest.mark.parametrize("raw", ["算力券", "算力调度平台", "印发给你们 智算服务费用", "东海省数据局 抵扣",
                                 "颠覆式创新", "三百家以上 贯彻执行"])
def test_a_common_query_finds_the_articles_by_their_files_too(ingestor: Ingestor, raw: str) -> None:
    """The order SQLite gives a query held by many articles (here: by one or more) reaches
    the articles found through their files as the full ranking does."""
    query = build_query(raw, limit=100)
    with ingestor.store.engine.connect() as conn:
        hits = search(conn, query, common_hits=1)
    assert {h.url for h in hits} == holding(ingestor, *query.terms)
    assert len(hits) == len({h.url for h in hits})
    if ingestor.store.engine.dialect.name == "sqlite":
        # The statement itself, also where the terms together are in no article's own text.
        from pipelines.search import common_statement

        with ingestor.store.engine.connect() as conn:
            ids = [row.article_id for row in conn.execute(common_statement(query))]
            found = set(conn.scalars(select(Article.url).where(Article.id.in_(ids))))
        assert found == holding(ingestor, *query.terms) and len(ids) == len(found)
