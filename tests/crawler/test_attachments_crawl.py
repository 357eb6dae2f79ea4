"""Real crawls of a fixture web whose notices link files (tests/fixtures/attachment_web.py), on
both backends: the files are fetched through Scrapy, stored once by content with their text,
the bad ones kept with a status and a reason, and a re-run fetches none of them again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import Engine, func, select

from crawler.demo.server import FixtureWeb, LoggedRequest
from models import Article, ArticleAttachment, Attachment, AttachmentUrl, CrawlRun
from models.database import create_store_engine
from pipelines.attachments.stage import file_text
from tests.fixtures.attachment_files import char_f1
from tests.fixtures.attachment_web import CDN, AttachmentWeb, build_attachment_web, build_flaky_web
from tests.support.crawl import CrawlResult, run_crawl

pytestmark = pytest.mark.slow  # real crawls in subprocesses

MAX_BYTES = 400_000  # above the zip bombs' packed size: the reader must refuse them
LIMITS = ("-s", f"ATTACHMENT_MAX_BYTES={MAX_BYTES}")


@dataclass
class Crawled:
    url: str
    engine: Engine
    log: list[LoggedRequest]
    result: CrawlResult


@pytest.fixture(scope="module")
def attachment_web(tmp_path_factory: pytest.TempPathFactory) -> AttachmentWeb:
    return build_attachment_web(tmp_path_factory.mktemp("attachment-web"), MAX_BYTES)


@pytest.fixture(scope="module")
def served(attachment_web: AttachmentWeb) -> Iterator[FixtureWeb]:
    with FixtureWeb(attachment_web.web) as web:
        yield web


def crawl(store: str, web: FixtureWeb, registry: Path, *args: str) -> tuple[CrawlResult, list[LoggedRequest]]:
    web.reset_log()
    result = run_crawl(store, web.proxy_env(), *LIMITS, *args, sites=registry)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, web.request_log.snapshot()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(request: pytest.FixtureRequest, served: FixtureWeb, attachment_web: AttachmentWeb,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'policy.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    result, log = crawl(url, served, attachment_web.registry)
    engine = create_store_engine(url)
    yield Crawled(url, engine, log, result)
    engine.dispose()


def by_url(engine: Engine) -> dict[str, Any]:
    """file URL -> (its attachment_urls row, its attachments row)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(AttachmentUrl.url, AttachmentUrl.name.label("url_name"), Attachment)
            .join(Attachment, Attachment.id == AttachmentUrl.attachment_id)
        ).all()
    return {row.url: row for row in rows}


def file_requests(log: list[LoggedRequest], web: AttachmentWeb) -> list[LoggedRequest]:
    return [entry for entry in log if entry.url in web.files]


def test_files_are_stored_with_their_text_and_readable_names(
    crawled: Crawled, attachment_web: AttachmentWeb
) -> None:
    stored = by_url(crawled.engine)
    for url, expected in attachment_web.files.items():
        if expected.status != "ok":
            continue
        row = stored[url]
        assert row.status == "ok", (url, row.reason)
        assert row.url_name == expected.name
        wanted, _ = file_text(expected.text or "")
        assert char_f1(wanted, row.text) >= 0.99, url
        assert row.sha256 and row.size and row.media_type
    # The spreadsheet served as .pdf is read for what it is, and the reason says the name lies.
    lying = stored["http://www.fgw-east.test/tzgg/202510/P020251020511111111115.pdf"]
    assert "spreadsheetml" in lying.media_type and "extension" in (lying.reason or "")


def test_the_same_file_on_two_sites_is_one_row(crawled: Crawled, attachment_web: AttachmentWeb) -> None:
    stored = by_url(crawled.engine)
    fgw_pdf = stored["http://www.fgw-east.test/tzgg/202510/P020251016398145672310.pdf"]
    county_pdf = stored["http://www.county-east.test/uploads/2025/10/5f3c2a.pdf"]
    assert fgw_pdf.id == county_pdf.id
    # Each URL keeps the name it gives: the link text on TRS, Content-Disposition (RFC 5987).
    assert county_pdf.url_name == "申报指南（转载）.pdf"
    with crawled.engine.connect() as conn:
        shas = conn.execute(select(Attachment.sha256).where(Attachment.sha256.is_not(None))).scalars().all()
        linked = conn.execute(
            select(func.count(func.distinct(ArticleAttachment.article_id)))
            .where(ArticleAttachment.attachment_id == fgw_pdf.id)
        ).scalar()
    assert len(shas) == len(set(shas))
    assert linked == 2


def test_bad_files_end_with_a_status_and_a_reason(crawled: Crawled, attachment_web: AttachmentWeb) -> None:
    stored = by_url(crawled.engine)
    for url, expected in attachment_web.files.items():
        if expected.status == "ok":
            continue
        row = stored[url]
        assert row.status == expected.status, (url, row.status, row.reason)
        assert row.reason, url
        for word in expected.reason:
            assert word in row.reason.lower(), (url, row.reason)
        assert row.text == ""
    assert not any(entry.host == CDN for entry in crawled.log)  # recorded, never fetched
    oversize = stored["http://www.fgw-east.test/tzgg/202510/P020251020511111111113.zip"]
    assert oversize.sha256 is None and oversize.size == 3 * MAX_BYTES


def test_every_link_meets_its_file(crawled: Crawled, attachment_web: AttachmentWeb) -> None:
    with crawled.engine.connect() as conn:
        links = conn.execute(
            select(Article.url.label("article_url"), ArticleAttachment)
            .join(Article, Article.id == ArticleAttachment.article_id)
            .order_by(ArticleAttachment.article_id, ArticleAttachment.position)
        ).all()
    found: dict[str, list[str]] = {}
    for link in links:
        found.setdefault(link.article_url, []).append(link.url)
        assert link.attachment_id is not None, link.url
    assert found == attachment_web.articles
    relations = {link.url: link.relation for link in links}
    # The page printing the policy in full attaches it again: one text, not counted twice.
    assert relations["http://www.fgw-east.test/tzgg/202510/P020251022700000000001.docx"] == "same_as_body"
    assert Counter(relations.values())["same_as_body"] == 1


def test_the_run_counts_its_files(crawled: Crawled, attachment_web: AttachmentWeb) -> None:
    with crawled.engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        distinct = conn.scalar(select(func.count()).select_from(Attachment).where(Attachment.sha256.is_not(None)))
    fetched = [u for u, e in attachment_web.files.items() if e.fetched]
    bad = [u for u, e in attachment_web.files.items() if e.status != "ok"]
    assert run.attachments_fetched == len(fetched)
    assert run.attachments_new == distinct
    assert run.attachments_failed == len(bad)
    # Every file without text counts under its status (the hostile ones included).
    for status, count in Counter(attachment_web.files[u].status for u in bad).items():
        assert run.stats["stages"][f"attachments/status/{status}"] == count, status
    assert f"files new {distinct}" in crawled.result.stdout


def test_export_includes_the_files_with_their_text(
    crawled: Crawled, attachment_web: AttachmentWeb, tmp_path: Path
) -> None:
    import csv
    import json
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from tests.support.crawl import ROOT

    def export(fmt: str, *extra: str) -> Path:
        out = tmp_path / f"articles.{fmt}"
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "export", "--format", fmt, "--out", str(out),
             "--db", crawled.url, *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return out

    records = [json.loads(line) for line in export("jsonl", "--attachments").read_text("utf-8").splitlines()]
    files = {f["url"]: (r["url"], f) for r in records for f in r["files"]}
    assert {r["url"]: [f["url"] for f in r["files"]] for r in records} == attachment_web.articles
    for url, expected in attachment_web.files.items():
        article_url, file = files[url]
        assert file["status"] == expected.status
        if expected.status == "ok":
            assert file["name"] == expected.name
            assert char_f1(file_text(expected.text or "")[0], file["text"]) >= 0.99
    with export("csv", "--attachments").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(len(json.loads(row["files"])) for row in rows) == len(attachment_web.files)
    table = pq.read_table(export("parquet", "--attachments")).to_pylist()
    assert sorted(f["url"] for r in table for f in r["files"]) == sorted(attachment_web.files)
    assert "files" not in json.loads(export("jsonl").read_text("utf-8").splitlines()[0])


def links_of(engine: Engine) -> set[tuple[str, str, Any, str]]:
    """(article URL, file URL, file sha256 or status, relation) of every link."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Article.url, ArticleAttachment.url, Attachment.sha256, Attachment.status,
                   ArticleAttachment.relation)
            .join(Article, Article.id == ArticleAttachment.article_id)
            .join(Attachment, Attachment.id == ArticleAttachment.attachment_id)
        ).all()
    return {(a, f, sha or status, relation) for a, f, sha, status, relation in rows}


@pytest.mark.parametrize("mode", [(), ("--rebuild",)], ids=["in-place", "rebuild"])
def test_reprocess_keeps_the_files_and_links_them_again(
    crawled: Crawled, attachment_web: AttachmentWeb, mode: tuple[str, ...]
) -> None:
    import subprocess
    import sys

    from tests.support.crawl import ROOT

    before = links_of(crawled.engine)
    with crawled.engine.connect() as conn:
        files = conn.scalar(select(func.count()).select_from(Attachment))
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "reprocess", "-q", "--db", crawled.url, *mode],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    linked = sum(len(v) for v in attachment_web.articles.values())
    assert f"attachment links to stored files {linked}" in proc.stdout
    assert links_of(crawled.engine) == before and len(before) == linked
    with crawled.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Attachment)) == files


def test_a_rerun_fetches_no_stored_file_and_a_recheck_is_conditional(
    crawled: Crawled, served: FixtureWeb, attachment_web: AttachmentWeb
) -> None:
    with crawled.engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Attachment))
    _, log = crawl(crawled.url, served, attachment_web.registry)
    retried = {entry.url for entry in file_requests(log, attachment_web)}
    # Only the URL that failed for a passing reason (none here: 404 and too large are lasting).
    assert retried == set()
    # Past the re-check age, every stored file is asked for with its validators: 304.
    _, log = crawl(crawled.url, served, attachment_web.registry, "-s", "INCREMENTAL_RECHECK_DAYS=0.000001")
    asked = {entry.url: entry for entry in file_requests(log, attachment_web)}
    stored = [url for url, expected in attachment_web.files.items() if expected.status == "ok"]
    for url in stored:
        assert asked[url].if_none_match and asked[url].status == 304, url
    with crawled.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Attachment)) == before


def test_caps_bound_what_a_run_fetches(served: FixtureWeb, attachment_web: AttachmentWeb, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'capped.db'}"
    _, log = crawl(store, served, attachment_web.registry,
                   "-s", "ATTACHMENTS_PER_ARTICLE=2", "-s", "ATTACHMENTS_PER_RUN=4")
    asked = [entry.url for entry in file_requests(log, attachment_web)]
    assert len(asked) == 4
    for files in attachment_web.articles.values():
        assert len(set(files[2:]) & set(asked)) == 0  # never past an article's cap
    engine = create_store_engine(store)
    with engine.connect() as conn:
        waiting = conn.scalar(
            select(func.count()).select_from(ArticleAttachment).where(ArticleAttachment.attachment_id.is_(None)))
    engine.dispose()
    # The links left out wait for a later run, unresolved (the CDN link is past its cap too).
    assert waiting == sum(len(files) for files in attachment_web.articles.values()) - 4
    # The next run asks for them itself: their article pages, unchanged, are not fetched again.
    _, log = crawl(store, served, attachment_web.registry)
    pages = {entry.url for entry in log if entry.url in attachment_web.articles}
    assert pages == set()
    later = {entry.url for entry in file_requests(log, attachment_web)}
    assert later and not later & set(asked)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ArticleAttachment).where(
            ArticleAttachment.attachment_id.is_(None))) == 0
    engine.dispose()


def test_a_file_that_failed_for_a_passing_reason_is_fetched_again_on_the_next_run(tmp_path: Path) -> None:
    flaky = build_flaky_web(tmp_path / "flaky")
    store = f"sqlite:///{tmp_path / 'flaky.db'}"
    with FixtureWeb(flaky.web) as web:
        crawl(store, web, flaky.registry, "-s", "RETRY_TIMES=0")
    engine = create_store_engine(store)
    try:
        (row,) = by_url(engine).values()
        assert row.status == "failed" and "503" in row.reason and row.sha256 is None
        flaky.heal()
        with FixtureWeb(flaky.web) as web:
            _, log = crawl(store, web, flaky.registry)
        # The notice is stored and unchanged: not fetched again; its file is, and is stored.
        assert [e.url for e in log if e.url in (flaky.article_url, flaky.file_url)] == [flaky.file_url]
        (row,) = by_url(engine).values()
        assert row.status == "ok" and row.sha256 is not None
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Attachment)) == 1  # the failure row went
            link = conn.execute(select(ArticleAttachment)).one()
        assert link.attachment_id == row.id
    finally:
        engine.dispose()
