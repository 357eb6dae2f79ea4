"""Every example query of docs/schema.md runs against a real crawled store, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from datetime import date, datetime, timezone

from crawler.demo.server import FixtureWeb
from crawler.schema_doc import example_queries
from models.database import create_store_engine, open_store
from pipelines.export import article_batches
from pipelines.ingest import Ingestor
from pipelines.items import ArticleItem
from pipelines.store import ArticleStore
from tests.support.crawl import ROOT, run_crawl

DOC = (ROOT / "docs" / "schema.md").read_text("utf-8")
QUERIES = example_queries(DOC)  # as `policy-ingest browse` reads them
POLICY_QUERIES = [query.sql for query in QUERIES if query.tag == "policy"]


def queries_for(backend: str) -> list[str]:
    """The demo-store queries for `backend` (not the `policy` ones: the demo web has none)."""
    return [query.sql for query in QUERIES if query.tag in ("", backend)]


def test_the_doc_has_a_dozen_queries() -> None:
    assert len(queries_for("sqlite")) >= 12 and len(queries_for("postgresql")) >= 12


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_example_queries_answer_on_a_crawled_store(
    backend: str, fixture_web: FixtureWeb, tmp_path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'q.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    assert run_crawl(url, fixture_web.proxy_env()).returncode == 0
    engine = create_store_engine(url)
    answered = 0
    with engine.connect() as conn:
        for sql in queries_for(backend):
            rows = conn.execute(text(sql.rstrip(";"))).all()
            answered += bool(rows)
        # The queries that must find something on the demo web do.
        mirrors = conn.execute(text(
            "SELECT count(*) FROM article_with_copies WHERE relation = 'mirror'")).scalar()
        months = conn.execute(text(queries_for(backend)[0].rstrip(";"))).all()
    engine.dispose()
    assert mirrors >= 5
    assert {row.site for row in months} >= {"achie", "gxt_gov", "portal", "phpcms"}
    assert answered >= len(queries_for(backend)) - 2  # all but the time-window ones may be empty


def _policy(url: str, title: str, body: list[str], **fields: object) -> ArticleItem:
    return ArticleItem(url=url, site="gov", fetched_at=datetime(2025, 11, 3, tzinfo=timezone.utc),
                       title=title, published_at=date(2025, 11, 3), paragraphs=body, **fields)


POLICY_STORE = [
    _policy("http://www.gxt.gov.test/zcwj/t20251016_1.html",
            "东海省工业和信息化厅关于印发《东海省中小企业数字化转型实施方案》的通知",
            ["各市工业和信息化主管部门：", "现将《东海省中小企业数字化转型实施方案》印发给你们，请认真贯彻执行。",
             "本方案自2025年11月1日起施行，有效期五年，《东海省中小企业上云用云行动计划》同时废止。"],
            doc_number="东工信规〔2025〕3号", doc_number_key="东工信规〔2025〕3号",
            issuer="东海省工业和信息化厅", written_at=date(2025, 10, 16), effective_at=date(2025, 11, 1),
            validity="有效", doc_type="通知", level="provincial"),
    _policy("http://www.gxt.gov.test/zcjd/t20251020_2.html",
            "《东海省中小企业数字化转型实施方案》政策解读",
            ["一、出台背景", "为贯彻落实东工信规〔2025〕3号文件精神，推动中小企业数字化转型，省工业和信息化厅制定了实施方案。",
             "二、主要内容", "方案明确了到2027年的目标任务和六项重点举措。"],
            issuer="东海省工业和信息化厅", doc_type="解读", level="provincial"),
    _policy("http://www.gxt.gov.test/zcwj/t20210310_3.html",
            "东海省工业和信息化厅关于中小企业技术改造项目管理的办法",
            ["第一条 为规范技术改造项目管理，制定本办法。", "第二十条 本办法自印发之日起施行。"],
            doc_number="东工信规〔2021〕1号", doc_number_key="东工信规〔2021〕1号",
            issuer="东海省工业和信息化厅", written_at=date(2021, 3, 10), validity="废止",
            doc_type="办法", level="provincial"),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_policy_queries_answer_on_a_store_of_policies(
    backend: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'p.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    engine = open_store(url)
    ingestor = Ingestor(ArticleStore(engine))
    for item in POLICY_STORE:
        ingestor.ingest(item)
    with engine.connect() as conn:
        in_force, readings, changes, per_kind = (
            conn.execute(text(q.rstrip(";"))).all() for q in POLICY_QUERIES)
        copies = conn.execute(text(
            "SELECT doc_number_key, written_at, level FROM article_copies ORDER BY id")).all()
    exported = [record for batch in article_batches(engine) for record in batch]
    engine.dispose()
    # Each copy keeps what it shows; exports carry the fields, dates as ISO 8601.
    assert [tuple(str(v) if v is not None else None for v in row) for row in copies] == [
        ("东工信规〔2025〕3号", "2025-10-16", "provincial"), (None, None, "provincial"),
        ("东工信规〔2021〕1号", "2021-03-10", "provincial")]
    assert exported[0]["doc_number"] == "东工信规〔2025〕3号"
    assert (exported[0]["written_at"], exported[0]["effective_at"]) == ("2025-10-16", "2025-11-01")
    assert exported[1]["doc_type"] == "解读" and exported[1]["written_at"] is None
    assert [(r.year, r.doc_number) for r in in_force] == [("2025", "东工信规〔2025〕3号")]  # not the repealed 办法
    assert [r.title for r in readings] == ["《东海省中小企业数字化转型实施方案》政策解读"]
    assert [(r.kind, r.to_title, r.to_article_id) for r in changes] == [
        ("repeals", "东海省中小企业上云用云行动计划", None)]
    assert {(r.year, r.doc_type, r.documents) for r in per_kind} == {("2021", "办法", 1), ("2025", "通知", 1)}