"""Deep columns: a first crawl walks every list to its last page, a re-run stops at stored articles.

A loopback web (`benchmarks.web`) of five columns, one per pagination shape of the real web,
one of them 300 list pages deep (TRS, written by a pager script only), crawled by the console
script with the default DEPTH_LIMIT and a registry that gives only names and start URLs.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from benchmarks.web import Column, ColumnSpec, build_paged_web
from crawler.demo.server import FixtureWeb
from models import ArticleCopy, CrawlRun, RejectedPage
from models.database import create_store_engine
from tests.support.crawl import run_crawl

pytestmark = pytest.mark.slow

SPECS = [
    ColumnSpec("trs_script", 300, 2),
    ColumnSpec("dede_numbered", 12, 3),
    ColumnSpec("hanweb_pagenum", 10, 3),
    ColumnSpec("portal_next", 10, 3),
    ColumnSpec("query_page", 10, 3),
]


@pytest.fixture(scope="module")
def deep_web(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("deep-web")
    columns = build_paged_web(root / "web", SPECS, seed=7, duplicate_share=0.1)
    sites = root / "sites.toml"
    sites.write_text("".join(
        f'[[site]]\nname = "{c.shape}"\nstart_urls = ["{c.start_url}"]\n\n' for c in columns
    ), encoding="utf-8")
    with FixtureWeb(root=root / "web") as web:
        yield web, columns, sites, f"sqlite:///{root / 'store' / 'policy.db'}"


def _requests(web: FixtureWeb) -> list[str]:
    return [entry.url for entry in web.request_log.snapshot() if entry.status != 404]


def _stored(db_url: str) -> set[str]:
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(ArticleCopy.url)))
    finally:
        engine.dispose()


def _of(column: Column, urls: list[str]) -> tuple[list[str], list[str]]:
    """(list pages, article pages) of `column` among `urls`."""
    mine = [u for u in urls if urlsplit(u).hostname == column.host]
    articles = set(column.article_urls)
    return [u for u in mine if u not in articles and not u.endswith(("/", "robots.txt"))], \
        [u for u in mine if u in articles]


@pytest.fixture(scope="module")
def first_crawl(deep_web):
    web, columns, sites, db_url = deep_web
    web.reset_log()
    result = run_crawl(db_url, web.proxy_env(), sites=sites, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return _requests(web), _stored(db_url)


def test_first_crawl_walks_every_list_to_its_last_page(deep_web, first_crawl) -> None:
    _, columns, _, _ = deep_web
    requested, stored = first_crawl
    for column in columns:
        fetched = set(requested)
        missing = [u for u in column.list_urls if u not in fetched]
        assert not missing, f"{column.shape}: list pages never fetched: {missing[:5]}"
    articles = [u for c in columns for u in c.article_urls]
    share = sum(u in stored for u in articles) / len(articles)
    assert share >= 0.98, f"{share:.3f} of {len(articles)} article pages stored"
    # The 300-page column is far deeper than DEPTH_LIMIT: its last page's articles are in.
    deepest = columns[0]
    assert all(u in stored for u in deepest.article_urls[-20:]) or share == 1.0


def test_a_rerun_stops_paging_where_articles_are_stored(deep_web, first_crawl) -> None:
    web, columns, sites, db_url = deep_web
    web.reset_log()
    result = run_crawl(db_url, web.proxy_env(), sites=sites, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    requested = _requests(web)
    for column in columns:
        lists, articles = _of(column, requested)
        assert len(lists) <= 3, f"{column.shape}: {len(lists)} list pages fetched again: {lists[:5]}"
        assert not articles, f"{column.shape}: stored article pages fetched again: {articles[:3]}"
    engine = create_store_engine(db_url)
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    engine.dispose()
    assert run is not None and run.status == "ok"
    assert run.stats["stages"].get("incremental/paging_stopped", 0) >= len(columns)


def test_full_walks_every_list_again(deep_web, first_crawl) -> None:
    web, columns, sites, db_url = deep_web
    web.reset_log()
    result = run_crawl(db_url, web.proxy_env(), "--full", sites=sites, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = set(_requests(web))
    for column in columns:
        assert all(u in fetched for u in column.list_urls), column.shape
        assert not _of(column, sorted(fetched))[1], "stored articles are not fetched again"


def test_articles_no_list_shows_are_found_through_the_sitemap(tmp_path: Path) -> None:
    """robots.txt names a sitemap index, which names a gzip sitemap of every article; the list
    page shows three of them and has no pager."""
    root = tmp_path / "web"
    (column,) = build_paged_web(root, [ColumnSpec("portal_next", 4, 3)], seed=11, duplicate_share=0)
    site = root / column.host
    paths = [urlsplit(u).path for u in column.article_urls]
    for path in paths:  # no article links another: the sitemap is the only way to them
        page = site / path.lstrip("/")
        body = page.read_bytes()
        for other in paths:
            body = body.replace(f'href="{other}"'.encode(), b'href="#"')
        page.write_bytes(body)
    first = (site / "news" / "index.html").read_text("utf-8")
    (site / "news" / "index.html").write_text(first.split('<div class="pages">')[0], "utf-8")
    (site / "robots.txt").write_text(
        f"User-agent: *\nAllow: /\nSitemap: http://{column.host}/sitemaps/index.xml\n")
    (site / "sitemaps").mkdir()
    (site / "sitemaps" / "index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>http://{column.host}/sitemaps/articles.xml.gz</loc></sitemap></sitemapindex>")
    urls = "".join(f"<url><loc>{u}</loc><lastmod>2025-10-16</lastmod></url>" for u in column.article_urls)
    (site / "sitemaps" / "articles.xml.gz").write_bytes(gzip.compress(
        ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
         f'sitemap/0.9">{urls}</urlset>').encode()))
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "portal"\nstart_urls = ["http://{column.host}/news/"]\n', "utf-8")
    db_url = f"sqlite:///{tmp_path / 'policy.db'}"
    with FixtureWeb(root=root) as web:
        result = run_crawl(db_url, web.proxy_env(), sites=sites)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(column.article_urls) <= _stored(db_url)
    engine = create_store_engine(db_url)
    with engine.connect() as connection:
        rejected = list(connection.scalars(select(RejectedPage.url)))
    engine.dispose()
    assert not [u for u in rejected if "sitemap" in u or "robots" in u]  # none is no page
