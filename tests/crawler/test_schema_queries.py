"""Every example query of docs/schema.md runs against a real crawled store, on both backends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from crawler.demo.server import FixtureWeb
from models.database import create_store_engine
from tests.support.crawl import ROOT, run_crawl

DOC = (ROOT / "docs" / "schema.md").read_text("utf-8")
BLOCKS = re.findall(r"```sql( sqlite| postgresql)?\n(.*?)```", DOC, re.S)


def queries_for(backend: str) -> list[str]:
    return [sql.strip() for tag, sql in BLOCKS if tag.strip() in ("", backend)]


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
