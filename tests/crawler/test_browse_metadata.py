"""What `browse` shows besides the data: the doc's descriptions and queries, kept in step with
docs/schema.md, facets (the year one included) and a store Datasette cannot write to."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from crawler.browse import FACETS, FTS_TABLE, browse_metadata, make_datasette
from crawler.schema_doc import METADATA_FILE, example_queries, metadata_from_doc, table_descriptions
from models import Base
from models.database import open_store
from pipelines.ingest import Ingestor
from pipelines.items import ArticleItem
from pipelines.store import ArticleStore
from tests.support.crawl import ROOT

DOC = (ROOT / "docs" / "schema.md").read_text("utf-8")
#: The tables whose every column the doc describes (an id is an id).
DESCRIBED = ("articles", "article_copies", "rejected_pages", "removals", "crawl_runs", "article_links",
             "attachments", "article_attachments", "attachment_urls", "attachment_files")


def test_the_packaged_metadata_is_made_from_the_doc() -> None:
    """crawler/browse_metadata.json ships in the package; after editing docs/schema.md run
    `python -m crawler.schema_doc` to write it again."""
    assert json.loads(METADATA_FILE.read_text("utf-8")) == metadata_from_doc(DOC)


def test_every_column_of_the_main_tables_is_described() -> None:
    tables = table_descriptions(DOC)
    for name in DESCRIBED:
        assert tables[name].get("description"), name
        columns = {c.name for c in Base.metadata.tables[name].columns} - {"id"}
        assert columns <= set(tables[name]["columns"]), (name, columns - set(tables[name]["columns"]))
    assert set(tables) >= set(Base.metadata.tables) - {"alembic_version"}
    # A row naming several columns gives each its own part when the parts match one to one.
    assert tables["articles"]["columns"]["topic"] == "主题分类"
    assert tables["crawl_runs"]["columns"]["finished_at"].startswith("NULL finished_at")
    assert "`" not in json.dumps(tables) and "**" not in json.dumps(tables)


def test_the_doc_queries_that_run_on_sqlite_are_canned_queries() -> None:
    queries = metadata_from_doc(DOC)["queries"]
    on_sqlite = [q for q in example_queries(DOC) if q.tag != "postgresql"]
    assert len(queries) == len(on_sqlite) >= 15
    assert [q["sql"] for q in queries.values()] == [q.sql.rstrip(";") for q in on_sqlite]
    assert all(q["title"] and not q["title"].endswith(":") for q in queries.values())
    assert "articles-per-site-per-month" in queries
    week = [q for q in example_queries(DOC) if q.title.startswith("What spam was cut this week")]
    assert [q.tag for q in week] == ["sqlite", "postgresql"]  # one title, two backends


def test_search_is_wired_when_the_store_has_its_index() -> None:
    with_fts = browse_metadata("policy", has_fts=True)["databases"]["policy"]["tables"]
    assert (with_fts["articles"]["fts_table"], with_fts["articles"]["fts_pk"]) == (FTS_TABLE, "id")
    assert with_fts[FTS_TABLE]["hidden"] is True
    without = browse_metadata("policy", has_fts=False)["databases"]["policy"]["tables"]
    assert "fts_table" not in without["articles"]
    assert without["articles"]["facets"] == FACETS["articles"]


def _article(url: str, site: str, year: int, body: str, **fields: object) -> ArticleItem:
    return ArticleItem(url=url, site=site, fetched_at=datetime(2025, 11, 3, tzinfo=timezone.utc),
                       title=body[:12], published_at=date(year, 3, 1),
                       paragraphs=[body, f"{body[:10]}，特此通知。"], **fields)


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    engine = open_store(f"sqlite:///{path}")
    ingestor = Ingestor(ArticleStore(engine))
    for item in (
        _article("http://a.test/1.html", "gov", 2021, "东海省关于中小企业技术改造项目管理的办法，自印发之日起施行。",
                 validity="废止", doc_type="办法", issuer="东海省工业和信息化厅"),
        _article("http://a.test/2.html", "gov", 2025, "东海省算力基础设施高质量发展行动方案明确了六项重点任务。",
                 validity="有效", doc_type="方案", issuer="东海省工业和信息化厅"),
        _article("http://b.test/3.html", "news", 2025, "低空经济产业链条长、带动性强，多地出台无人机产业扶持政策。"),
    ):
        ingestor.ingest(item)
    engine.dispose()
    return path


def test_datasette_facets_by_year_and_refuses_to_write(small_store: Path) -> None:
    before = small_store.read_bytes()
    datasette = make_datasette(small_store)

    async def visit() -> tuple[dict, dict, dict]:
        await datasette.invoke_startup()
        base = "/store/articles.json?_shape=objects"
        page = (await datasette.client.get(base)).json()
        chosen = (await datasette.client.get(f"{base}&published_at__startswith=2025")).json()
        query = (await datasette.client.get(
            "/store/articles-without-a-publication-date.json?_shape=objects")).json()
        with pytest.raises(PermissionError):
            await datasette.get_database("store").execute_write("DELETE FROM articles")
        return page, chosen, query

    page, chosen, query = asyncio.run(visit())
    years = page["facet_results"]["published_at"]
    assert years["type"] == "year"
    assert [(v["value"], v["count"]) for v in years["results"]] == [("2025", 2), ("2021", 1)]
    assert {r["url"] for r in chosen["rows"]} == {"http://a.test/2.html", "http://b.test/3.html"}
    validity = page["facet_results"]["validity"]["results"]
    assert {(v["value"], v["count"]) for v in validity} == {("有效", 1), ("废止", 1)}
    assert query["rows"] == []  # the canned query runs (every article here has a date)
    assert small_store.read_bytes() == before
