"""Real crawls of the fixture web (crawler/demo/web) on loopback, checked against the goldens.

One crawl per backend feeds most tests (module-scoped): the console script, a real Scrapy run,
the loopback server, and a real store. What a user depends on is asserted on the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest
from sqlalchemy import Engine, func, select

from models import Article, ArticleCopy, ArticleLink, CrawlRun, RejectedPage, Removal
from models.database import create_store_engine
from pipelines.normalize import detect_script, normalize_text, to_simplified
from pipelines.spam.vocabulary import spam_term_hits
from tests.support.crawl import ROOT, run_crawl
from crawler.demo.server import FixtureWeb

pytestmark = pytest.mark.slow  # real crawls of the fixture web in subprocesses

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
WEB = ROOT / "crawler" / "demo" / "web"


def load_goldens() -> dict[str, dict]:
    goldens = {}
    for path in sorted(GOLDEN.rglob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        goldens[record["url"]] = record
    return goldens


GOLDENS = load_goldens()
ARTICLES = {u: g for u, g in GOLDENS.items() if g["kind"] == "article"}
CANONICAL = {u: g for u, g in ARTICLES.items() if not g.get("duplicate_of")}


@dataclass
class Crawled:
    engine: Engine
    log: list  # request log of the first crawl
    stdout: str


# "workers": the pages are cleaned in a worker process from the first page on and written in
# small batches, as a large crawl does (a crawl of the demo web's size stays in one process).
WORKERS = ("-s", "INGEST_WORKERS=1", "-s", "INGEST_WORKERS_AFTER=0", "-s", "INGEST_BATCH_SIZE=4")


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "postgresql-workers"])
def crawled(request: pytest.FixtureRequest, fixture_web: FixtureWeb, tmp_path_factory) -> Crawled:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'policy.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    fixture_web.reset_log()
    result = run_crawl(url, fixture_web.proxy_env(), *(WORKERS if "workers" in request.param else ()))
    if "workers" in request.param:
        assert "cleaning pages in worker processes: 1" in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
    log = fixture_web.request_log.snapshot()
    engine = create_store_engine(url)
    yield Crawled(engine, log, result.stdout)
    engine.dispose()


def published(article) -> str | None:
    if article.published_at is None:
        return None
    if article.published_has_time:
        return article.published_at.isoformat()
    return article.published_at.date().isoformat()


# --- discovery --------------------------------------------------------------------------------


def test_every_article_page_is_stored_and_no_list_page(crawled: Crawled) -> None:
    with crawled.engine.connect() as conn:
        stored = set(conn.scalars(select(ArticleCopy.url)))
    assert stored == set(ARTICLES)
    non_articles = {u for u, g in GOLDENS.items() if g["kind"] in ("list", "other", "article_page")}
    assert not stored & non_articles


def test_each_article_page_fetched_once_nothing_offsite_nothing_forbidden(crawled: Crawled) -> None:
    hosts = {p.name for p in WEB.iterdir() if p.is_dir()}
    fetched = [e for e in crawled.log if not e.path.startswith("/robots.txt")]
    assert {e.host for e in fetched} <= hosts
    counts: dict[str, int] = {}
    for entry in fetched:
        counts[entry.url] = counts.get(entry.url, 0) + 1
    for url in ARTICLES:
        assert counts.get(url) == 1, f"{url} fetched {counts.get(url, 0)} times"
    robots: dict[str, RobotFileParser] = {}
    for entry in fetched:
        if entry.host not in robots:
            parser = RobotFileParser()
            robots_file = WEB / entry.host / "robots.txt"
            parser.parse(robots_file.read_text().splitlines() if robots_file.exists() else [])
            robots[entry.host] = parser
        assert robots[entry.host].can_fetch("policy-ingest", entry.url), f"fetched {entry.url}"
    assert all("policy-ingest/" in (e.user_agent or "") for e in crawled.log)


# --- extraction and cleaning --------------------------------------------------------------------


def normalized(value: str | None) -> str | None:
    """Goldens hold the text as the page writes it; the store keeps it normalised (ASCII
    punctuation between Chinese characters made full-width, whitespace folded)."""
    return normalize_text(value) if value is not None else None


@pytest.mark.parametrize("url", sorted(CANONICAL))
def test_canonical_articles_match_their_golden(crawled: Crawled, url: str) -> None:
    golden = CANONICAL[url]
    with crawled.engine.connect() as conn:
        article = conn.execute(select(Article).where(Article.url == url)).one()
    assert article.title == normalized(golden["title"])
    assert published(article) == golden["published_at"]
    for field in ("source", "author", "author_unit", "column_path"):
        assert getattr(article, field) == normalized(golden.get(field)), field
    assert article.body_text.split("\n") == [normalized(p) for p in golden["body_paragraphs"]]
    assert article.original_script == golden["original_script"]
    expected_attachments = [a["url"] for a in golden.get("attachments") or []]
    assert [a["url"] for a in article.attachments or []] == expected_attachments


POLICIES = {u: g for u, g in CANONICAL.items() if "policy" in g}


@pytest.mark.parametrize("url", sorted(POLICIES))
def test_policy_fields_and_links_match_their_golden(crawled: Crawled, url: str) -> None:
    golden = POLICIES[url]
    with crawled.engine.connect() as conn:
        article = conn.execute(select(Article).where(Article.url == url)).one()
        urls = dict(conn.execute(select(Article.id, Article.url)).all())
        links = [
            {"kind": row.kind, "to_title": row.to_title,
             "to_url": urls.get(row.to_article_id) if row.to_article_id else None}
            for row in conn.execute(select(ArticleLink).where(ArticleLink.from_article_id == article.id)
                                    .order_by(ArticleLink.kind, ArticleLink.to_title))
        ]
    stored = {name: getattr(article, name) for name in golden["policy"]}
    stored = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in stored.items()}
    assert stored == golden["policy"]
    assert links == golden["links"]


@pytest.mark.parametrize("url", sorted(set(ARTICLES) - set(CANONICAL)))
def test_copies_are_linked_to_their_original(crawled: Crawled, url: str) -> None:
    golden = ARTICLES[url]
    with crawled.engine.connect() as conn:
        copy = conn.execute(select(ArticleCopy).where(ArticleCopy.url == url)).one()
        canonical_url = conn.scalar(select(Article.url).where(Article.id == copy.article_id))
    assert canonical_url == golden["duplicate_of"]
    assert copy.relation == golden["relation"]
    assert copy.title == normalized(golden["title"])
    assert 0.8 <= copy.similarity <= 1.0


def test_hard_negative_and_distinct_articles_stay_apart(crawled: Crawled) -> None:
    with crawled.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Article)) == len(CANONICAL)
        # every canonical golden is its own article
        ids = conn.scalars(select(Article.id).where(Article.url.in_(list(CANONICAL)))).all()
    assert len(set(ids)) == len(CANONICAL)


def test_no_spam_no_traditional_no_doubled_body(crawled: Crawled) -> None:
    with crawled.engine.connect() as conn:
        articles = conn.execute(select(Article.url, Article.title, Article.body_text)).all()
        converted = set(conn.scalars(
            select(ArticleCopy.url).where(ArticleCopy.original_script != "simplified")
        ))
    assert converted  # the mirror's Traditional copies were seen
    for url, title, body in articles:
        assert not spam_term_hits(title + "\n" + body), url
        # Names such as 李昇 stay as written on Simplified pages; nothing else is Traditional.
        assert detect_script(body) == "simplified", url
    with crawled.engine.connect() as conn:
        for url in converted:
            article_id = conn.scalar(select(ArticleCopy.article_id).where(ArticleCopy.url == url))
            body = conn.scalar(select(Article.body_text).where(Article.id == article_id))
            assert to_simplified(body) == body, url
        paragraphs = [p for p in body.split("\n") if len(p) > 40]
        assert len(paragraphs) == len(set(paragraphs)), f"{url} stores a paragraph twice"


def test_spam_pages_rejected_and_cuts_recorded(crawled: Crawled) -> None:
    spam_pages = {u for u, g in GOLDENS.items() if g["kind"] == "spam_page"}
    with crawled.engine.connect() as conn:
        rejected = dict(conn.execute(select(RejectedPage.url, RejectedPage.reason)).all())
        kinds = {
            (url, kind)
            for url, kind in conn.execute(
                select(ArticleCopy.url, Removal.kind).join(Removal, Removal.copy_id == ArticleCopy.id)
            )
        }
    assert {u: rejected.get(u) for u in spam_pages} == {u: "spam_page" for u in spam_pages}
    mirror_123 = "http://www.achie-mirror.test/a/chanye/2025/1022/123.html"
    for kind in ("injected_title", "hidden_block", "link_farm", "repeated_body", "injected_paragraph"):
        assert (mirror_123, kind) in kinds, kind
    # the legitimate lottery/Macau policy page lost nothing
    lottery = "http://www.gxt-gov.test/zwgk/zcwj/202510/t20251016_693101.html"
    assert not {k for u, k in kinds if u == lottery}


def test_run_record_has_the_figures(crawled: Crawled) -> None:
    with crawled.engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    assert run.status == "ok" and run.finished_at is not None
    assert run.articles_new == len(CANONICAL)
    assert run.copies_new == len(ARTICLES)
    assert run.duplicates == len(ARTICLES) - len(CANONICAL)
    assert run.rejected == 2 and run.spam_removed > 0 and run.errors == 0
    assert "crawl run" in crawled.stdout and "achie" in crawled.stdout


# --- incremental crawls ---------------------------------------------------------------------------


def test_second_crawl_fetches_no_article_and_stores_nothing_new(
    crawled: Crawled, fixture_web: FixtureWeb
) -> None:
    with crawled.engine.connect() as conn:
        before = [conn.scalar(select(func.count()).select_from(t)) for t in (Article, ArticleCopy, Removal)]
    fixture_web.reset_log()
    result = run_crawl(crawled.engine.url.render_as_string(hide_password=False), fixture_web.proxy_env())
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = {e.url for e in fixture_web.request_log}
    assert not fetched & set(ARTICLES)
    with crawled.engine.connect() as conn:
        after = [conn.scalar(select(func.count()).select_from(t)) for t in (Article, ArticleCopy, Removal)]
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    assert after == before
    assert run.unchanged == len(ARTICLES) and run.articles_new == 0 and run.copies_new == 0


# --- canonical choice independent of crawl order -------------------------------------------------


def test_mirror_crawled_before_the_original_still_yields_the_original(
    fixture_web: FixtureWeb, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'order.db'}"
    assert run_crawl(url, fixture_web.proxy_env(), "achie_mirror").returncode == 0
    assert run_crawl(url, fixture_web.proxy_env(), "achie").returncode == 0
    engine = create_store_engine(url)
    with engine.connect() as conn:
        urls = set(conn.scalars(select(Article.url)))
        relations = dict(conn.execute(select(ArticleCopy.url, ArticleCopy.relation)).all())
    engine.dispose()
    originals = {u for u, g in CANONICAL.items() if g["site"] == "achie"}
    assert urls == originals
    for copy_url, relation in relations.items():
        if "achie-mirror" in copy_url:
            assert relation == "mirror", copy_url


# --- the extract command --------------------------------------------------------------------------


def test_extract_prints_a_gbk_page_declared_gb2312_correctly() -> None:
    page = "http://www.gxt-gov.test/zwgk/zcjd/202510/t20251022_693227.html"
    golden = GOLDENS[page]
    path = WEB / "www.gxt-gov.test" / "zwgk/zcjd/202510/t20251022_693227.html"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # the trap: GBK-only characters in a page declared gb2312
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", str(path), "--url", page, "--charset", "gb2312"],
        capture_output=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout.decode("utf-8"))
    assert record["title"] == normalize_text(golden["title"])
    assert record["body_text"].split("\n") == [normalize_text(p) for p in golden["body_paragraphs"]]
    assert record["published_at"] == golden["published_at"]
    assert record["encoding"] == "gb18030"
    assert any(ch in record["body_text"] + (record["editor"] or "") for ch in "堃喆昇珺")
