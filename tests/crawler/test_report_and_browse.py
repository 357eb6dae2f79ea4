"""The run report and `browse` as a person uses them: a real crawl of the fixture web, its report
opened in a real headless Chromium, and the store served by `policy-ingest browse` in Datasette."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from sqlalchemy import text

from crawler.demo.server import FixtureWeb
from models.database import create_store_engine, open_store
from pipelines.store import ArticleStore
from tests.support.browser import Browser
from tests.support.crawl import crawl_env, run_crawl

pytestmark = pytest.mark.slow  # crawls, the CLI and Datasette in subprocesses, a browser

CLI = [sys.executable, "-m", "crawler.cli"]


@dataclass
class Crawled:
    db_path: Path
    url: str
    summary: str  # what the crawl printed


@pytest.fixture(scope="module")
def crawled(fixture_web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """One crawl of the fixture web, as `policy-ingest crawl` runs it, into a fresh store."""
    db_path = tmp_path_factory.mktemp("crawled") / "data" / "policy.db"
    url = f"sqlite:///{db_path}"
    result = run_crawl(url, fixture_web.proxy_env(), "-q")
    assert result.returncode == 0, result.stderr[-2000:]
    return Crawled(db_path, url, result.stdout)


def query(url: str, sql: str) -> list:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    engine.dispose()
    return rows


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_crawl_report_opens_in_chromium_with_its_figures(crawled: Crawled, browser: Browser) -> None:
    report = crawled.db_path.parent / "reports" / "run-1.html"
    assert f"report {report}" in crawled.summary  # the summary says where it is
    visit = browser.open(report.as_uri())
    try:
        page = visit.page
        assert visit.errors == []
        assert {u.split(":", 1)[0] for u in visit.requests} == {"file"}  # nothing from the network
        [(articles, stats)] = query(
            crawled.url, "SELECT articles_new, stats FROM crawl_runs WHERE id = 1")
        per_site = json.loads(stats)["sites"]
        figure = page.locator("#run-figures li[data-figure='articles_new'] b")
        assert int(figure.inner_text()) == articles
        # Charts: sites (three bars per site), rejections, spam cuts, cluster sizes.
        sites = query(crawled.url, "SELECT DISTINCT site FROM article_copies")
        assert page.locator("svg.chart").count() == 4
        assert page.locator("#sites + figure svg rect[class^='s']").count() == 3 * len(sites) + 3
        rows = [r.split("\t") for r in page.locator("#site-table tr").all_inner_texts()[1:]]
        assert {r[0]: [int(n) for n in r[1:4]] for r in rows} == {
            name: [site["pages"], site["articles_new"], site["copies_new"]]
            for name, site in per_site.items()}
        cuts = dict(query(crawled.url, "SELECT r.kind, count(*) FROM removals r GROUP BY r.kind"))
        shown = {r.split("\t")[0]: int(r.split("\t")[1])
                 for r in page.locator("#spam-table tr").all_inner_texts()[1:]}
        assert shown == cuts and len(cuts) >= 4
        # Every article is new in the first run, listed under its own Chinese title.
        titles = {t for (t,) in query(crawled.url, "SELECT title FROM articles")}
        listed = page.locator("#document-table tr td:first-child a").all_inner_texts()
        assert sorted(listed) == sorted(titles) and len(listed) == articles
        assert page.locator("#coverage-table tr").count() == len(sites) + 1
        # The Chinese is drawn as glyphs (two characters differ), the page is no blank image.
        assert visit.renders_glyphs("低", "空")
        assert visit.screenshot_colours() > 50
    finally:
        visit.close()


def test_report_command_writes_the_run_asked_for(crawled: Crawled, fixture_web: FixtureWeb,
                                                 tmp_path: Path) -> None:
    # An incremental run (run 2), told to write no report.
    second = run_crawl(crawled.url, fixture_web.proxy_env(), "-q", "-s", "REPORT_ENABLED=false")
    assert second.returncode == 0, second.stderr[-2000:]
    default = crawled.db_path.parent / "reports" / "run-2.html"
    assert " · report " not in second.stdout and not default.exists()
    latest = cli("report", "--db", crawled.url, cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.strip().endswith(str(default)) and default.exists()
    out = tmp_path / "first.html"
    first = cli("report", "--run", "1", "--out", str(out), "--db", crawled.url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "<h1>Crawl run 1:" in out.read_text("utf-8")
    missing = cli("report", "--run", "99", "--db", crawled.url, cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "error: no crawl run 99 in this store (runs go from 1 to 2); `policy-ingest runs` lists them")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(crawled: Crawled, tmp_path: Path) -> Iterator[str]:
    """`policy-ingest browse` on a free port; its base URL once it listens."""
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "browse", "--port", str(port), "--db", crawled.url], cwd=tmp_path,
        env=crawl_env({}), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()  # printed once the port listens
        assert f"read-only at http://127.0.0.1:{port}/" in line, proc.stderr.read() if not line else line
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_browse_serves_the_articles_with_descriptions_and_facets(
    crawled: Crawled, served: str, browser: Browser
) -> None:
    visit = browser.open(f"{served}/policy/articles")
    try:
        page = visit.page
        assert visit.errors == []
        body = page.locator("body").inner_text()
        assert "one row per distinct article (the canonical record)" in body  # from docs/schema.md
        assert "作者, kept apart from 来源 and 作者单位" in body  # a column's description
        facets = page.locator(".facet-info").evaluate_all(
            "els => els.map(e => e.getAttribute('data-column'))")
        assert sorted(facets) == ["doc_type", "issuer", "published_at", "site", "validity"], facets
        sites = dict(query(crawled.url, "SELECT site, count(*) FROM articles GROUP BY site"))
        site_facet = page.locator(".facet-info[data-column='site'] li")
        assert site_facet.count() == len(sites)
        # Choosing a site filters the table to its articles.
        busiest = max(sites, key=lambda s: (sites[s], s))
        page.locator(f".facet-info[data-column='site'] a[href*='site={busiest}']").first.click()
        page.wait_for_url(re.compile(rf"site={busiest}"))
        assert page.locator("table.rows-and-columns tbody tr").count() == sites[busiest]
        # The year facet counts the site's articles by the year of published_at.
        years = dict(query(crawled.url, f"SELECT substr(published_at, 1, 4), count(*) "
                                        f"FROM articles WHERE site = '{busiest}' GROUP BY 1"))
        year_facet = page.locator(".facet-info[data-column='published_at'] li")
        assert sorted(year_facet.all_inner_texts()) == sorted(
            f"{y} {n}" for y, n in years.items() if y)
        assert visit.screenshot_colours() > 50 and visit.renders_glyphs("政", "策")
    finally:
        visit.close()


def test_a_canned_query_from_the_doc_returns_rows(crawled: Crawled, served: str,
                                                  browser: Browser) -> None:
    visit = browser.open(f"{served}/policy/articles-reposted-most-widely")
    try:
        page = visit.page
        assert visit.errors == []
        assert "Articles reposted most widely" in page.locator("body").inner_text()
        expected = query(crawled.url, """
            SELECT a.id FROM articles a JOIN article_copies c ON c.article_id = a.id
            GROUP BY a.id HAVING count(*) > 1""")
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() == len(expected) >= 5
        assert rows.first.locator("td").nth(1).inner_text() in {
            t for (t,) in query(crawled.url, "SELECT title FROM articles")}
    finally:
        visit.close()


def test_the_search_box_finds_the_articles_holding_a_term(crawled: Crawled, served: str,
                                                         browser: Browser) -> None:
    """Typed into Datasette's search box, a term finds exactly the articles whose title or body
    holds it (the store's full-text index, articles_fts), and not the others."""
    term = "梯度培育"
    expected = {t for (t,) in query(crawled.url, f"""
        SELECT title FROM articles WHERE title LIKE '%{term}%' OR body_text LIKE '%{term}%'""")}
    total = query(crawled.url, "SELECT count(*) FROM articles")[0][0]
    assert 0 < len(expected) < total
    visit = browser.open(f"{served}/policy/articles")
    try:
        page = visit.page
        page.locator("input[name='_search']").fill(term)
        page.locator("input[name='_search']").press("Enter")
        page.wait_for_url(re.compile(r"_search="))
        assert visit.errors == []
        titles = page.locator("table.rows-and-columns tbody tr td.col-title").all_inner_texts()
        assert set(titles) == expected
    finally:
        visit.close()


def _files(db_path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in db_path.parent.glob(db_path.name + "*") if not p.name.endswith("-shm")}


def get_json(url: str) -> dict:
    with urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_browse_never_writes_and_sees_a_crawl_running_beside_it(crawled: Crawled, served: str) -> None:
    before = _files(crawled.db_path)
    runs = get_json(f"{served}/policy/crawl_runs.json?_shape=array")
    attempt = quote("UPDATE articles SET title = 'x'")
    with pytest.raises(HTTPError) as refused:
        urlopen(f"{served}/policy.json?sql={attempt}", timeout=30)
    assert refused.value.code == 400
    assert _files(crawled.db_path) == before  # serving and queries changed no byte of the store
    # A crawl writing the store while it is served: the run it opened is committed to the
    # write-ahead log, not yet copied into the database file. Browse shows it (Datasette's
    # immutable mode, which reads the file alone, would not).
    engine = open_store(crawled.url)
    store = ArticleStore(engine)
    try:
        run_id = store.start_run(["achie"])
        after = get_json(f"{served}/policy/crawl_runs.json?_shape=array")
        assert len(after) == len(runs) + 1
        assert {run["id"]: run["status"] for run in after}[run_id] == "running"
        store.finish_run(run_id, "ok", {})
        finished = get_json(f"{served}/policy/crawl_runs.json?_shape=array&id={run_id}")
        assert finished[0]["status"] == "ok"
    finally:
        engine.dispose()


def test_browse_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    pg = cli("browse", "--db", "postgresql+psycopg://ops:hunter2-secret@127.0.0.1:1/policy", cwd=tmp_path)
    assert pg.returncode == 2 and "hunter2-secret" not in pg.stderr + pg.stdout
    assert "browse serves SQLite stores" in pg.stderr and "pgweb" in pg.stderr
    missing = cli("browse", "--db", f"sqlite:///{tmp_path / 'none.db'}", cwd=tmp_path)
    assert missing.returncode == 2 and "no store at" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # browsing creates nothing
