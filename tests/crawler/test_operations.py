"""The operator's view: offline runs, overlapping runs, killed runs, export, reprocess, demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, text

from crawler.demo.server import FixtureWeb
from models import Article, ArticleCopy, CrawlRun
from models.database import create_store_engine
from tests.support.crawl import FAST, FIXTURE_SITES, ROOT, crawl_env, run_crawl, store_counts

pytestmark = pytest.mark.slow  # the CLI and its crawls in subprocesses

CLI = [sys.executable, "-m", "crawler.cli"]
EXPECTED_ARTICLES = 16  # distinct articles of the demo web (see tests/fixtures/README.md)
EXPECTED_COPIES = 25


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=env or crawl_env({}), capture_output=True,
                          text=True, timeout=timeout)


def assert_no_half_written_article(url: str) -> None:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        orphans = conn.scalar(text(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM article_copies c WHERE c.article_id = a.id AND c.relation = 'canonical')"))
        stray = conn.scalar(text(
            "SELECT count(*) FROM article_copies c WHERE NOT EXISTS "
            "(SELECT 1 FROM articles a WHERE a.id = c.article_id)"))
        doubled = conn.scalar(text(
            "SELECT count(*) FROM (SELECT article_id FROM article_copies WHERE relation = 'canonical' "
            "GROUP BY article_id HAVING count(*) > 1) d"))
    engine.dispose()
    assert (orphans, stray, doubled) == (0, 0, 0)


def test_offline_crawl_of_the_builtin_registry_ends_with_one_clear_line(tmp_path: Path) -> None:
    # The real achie.org registry, on a resolver that behaves like a machine with no network
    # (no packet leaves loopback).
    proc = cli("crawl", "-q", "-s", "TWISTED_DNS_RESOLVER=tests.support.offline.OfflineResolver",
               cwd=tmp_path, env={**crawl_env({}), "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot reach www.achie.org (DNS lookup failed)")
    assert "policy-ingest demo" in last
    assert (tmp_path / "data" / "policy.db").exists()  # the SQLite default was created


def test_a_second_overlapping_crawl_exits_cleanly(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    slow = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    first = subprocess.Popen(
        [*CLI, "crawl", "-q", "--sites", str(FIXTURE_SITES), "--db", url, *FAST, *slow],
        cwd=ROOT, env=crawl_env(fixture_web.proxy_env()), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_running_run(url, first)
        second = run_crawl(url, fixture_web.proxy_env(), "-q")
        assert second.returncode == 75
        assert "another crawl of" in second.stderr and "is running" in second.stderr
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err[-2000:]
        assert "Traceback" not in err, err[-4000:]
    finally:
        if first.poll() is None:
            first.kill()
    assert store_counts(url) == (EXPECTED_ARTICLES, EXPECTED_COPIES)


def wait_for_running_run(url: str, process: subprocess.Popen, min_copies: int = 0) -> None:
    """Until the crawl has opened its run (and stored `min_copies` copies): polled, bounded."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        try:
            engine = create_store_engine(url)
            with engine.connect() as conn:
                running = conn.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running"))
                copies = conn.scalar(select(func.count()).select_from(ArticleCopy))
            engine.dispose()
            if running and copies >= min_copies:
                return
        except Exception:
            pass  # the store is being created
        time.sleep(0.05)
    raise AssertionError("the crawl never started")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_run_shows_unfinished_and_the_next_run_completes_the_work(
    backend: str, fixture_web: FixtureWeb, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'kill.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres").create_database())
    slow = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    victim = subprocess.Popen(
        [*CLI, "crawl", "-q", "--sites", str(FIXTURE_SITES), "--db", url, *FAST, *slow],
        cwd=ROOT, env=crawl_env(fixture_web.proxy_env()), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_running_run(url, victim, min_copies=3)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert_no_half_written_article(url)
    shown = cli("runs", "--json", "--db", url, cwd=tmp_path)
    (killed,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert killed["status"] == "running" and killed["finished_at"] is None

    resumed = run_crawl(url, fixture_web.proxy_env(), "-q")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert store_counts(url) == (EXPECTED_ARTICLES, EXPECTED_COPIES)  # nothing lost, nothing twice
    assert_no_half_written_article(url)
    statuses = [json.loads(line)["status"] for line in cli("runs", "--json", "--db", url, cwd=tmp_path).stdout.splitlines()]
    assert statuses == ["ok", "interrupted"]


def _grandchildren(pid: int) -> list[int]:
    """Processes two levels below `pid` (the crawl's cleaning workers, under their fork server)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    return [g for child in parents.get(pid, []) for g in parents.get(child, [])]


def test_a_dead_cleaning_worker_costs_no_page(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    """A worker killed mid-crawl (OOM killer, an operator): its pages and all later ones are
    cleaned in the crawler process, and the crawl stores everything."""
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    workers = ["-s", "INGEST_WORKERS=1", "-s", "INGEST_WORKERS_AFTER=0", "-s", "INGEST_BATCH_SIZE=4"]
    slow = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    crawl = subprocess.Popen(
        [*CLI, "crawl", "--sites", str(FIXTURE_SITES), "--db", url, *FAST, *workers, *slow],
        cwd=ROOT, env=crawl_env(fixture_web.proxy_env()), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    killed: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not killed and crawl.poll() is None and time.monotonic() < deadline:
            for pid in _grandchildren(crawl.pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.01)
        _, stderr = crawl.communicate(timeout=300)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert killed, "the crawl never started a cleaning worker"
    assert crawl.returncode == 0, stderr[-3000:]
    assert "worker process failed" in stderr
    assert store_counts(url) == (EXPECTED_ARTICLES, EXPECTED_COPIES), stderr[-6000:]
    assert_no_half_written_article(url)


def test_export_reprocess_and_demo(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    assert run_crawl(url, fixture_web.proxy_env(), "-q").returncode == 0
    engine = create_store_engine(url)
    with engine.connect() as conn:
        canonical_before = set(conn.scalars(select(Article.url)))
    engine.dispose()

    out = tmp_path / "articles.parquet"
    proc = cli("export", "--format", "parquet", "--out", str(out), "--db", url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pq.read_table(out)
    assert table.num_rows == EXPECTED_ARTICLES
    assert set(table.column("url").to_pylist()) == canonical_before
    lines = cli("export", "--format", "jsonl", "--db", url, cwd=tmp_path).stdout.splitlines()
    assert len(lines) == EXPECTED_ARTICLES and all(json.loads(line)["body_text"] for line in lines)
    csv_rows = cli("export", "--format", "csv", "--db", url, cwd=tmp_path).stdout
    assert csv_rows.startswith("id,url,site,title,published_at")
    assert cli("export", "--format", "jsonl", "--since", "2999-01-01", "--db", url, cwd=tmp_path).stdout == ""

    # Reprocess touches no network: the fixture server sees nothing.
    fixture_web.reset_log()
    for args in (["reprocess", "-q"], ["reprocess", "-q"], ["reprocess", "-q", "--rebuild"]):
        proc = cli(*args, "--db", url, cwd=tmp_path, env=crawl_env({"http_proxy": "http://127.0.0.1:9"}))
        assert proc.returncode == 0, proc.stderr
    assert len(fixture_web.request_log) == 0
    assert "unchanged 25" in cli("reprocess", "-q", "--db", url, cwd=tmp_path).stdout
    engine = create_store_engine(url)
    with engine.connect() as conn:
        assert set(conn.scalars(select(Article.url))) == canonical_before
        relations = dict(conn.execute(select(ArticleCopy.relation, func.count()).group_by(ArticleCopy.relation)).all())
    engine.dispose()
    assert store_counts(url) == (EXPECTED_ARTICLES, EXPECTED_COPIES)
    assert relations["canonical"] == EXPECTED_ARTICLES and relations["mirror"] == 5
    assert_no_half_written_article(url)


def test_demo_on_a_fresh_directory(tmp_path: Path) -> None:
    proc = cli("demo", "-q", cwd=tmp_path, env=crawl_env({}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "duplicates 9" in proc.stdout and "spam removed" in proc.stdout
    assert "Next, try:" in proc.stdout
    assert store_counts(f"sqlite:///{tmp_path / 'demo' / 'policy.db'}") == (EXPECTED_ARTICLES, EXPECTED_COPIES)
    # It ends by naming the run's report and the command that browses the store.
    report_line, browse_line = proc.stdout.strip().splitlines()[-2:]
    report = Path("demo") / "reports" / "run-1.html"
    assert report_line.endswith(f": {report}") and (tmp_path / report).is_file()
    assert browse_line.startswith("Browse the store: policy-ingest browse --db sqlite:///demo/policy.db")
    # The search it suggests finds the demo's articles that hold the term, each once.
    assert "policy-ingest search 专精特新 --db sqlite:///demo/policy.db" in proc.stdout
    found = cli("search", "专精特新", "--json", "--db", "sqlite:///demo/policy.db", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    urls = [json.loads(line)["url"] for line in found.stdout.splitlines()]
    engine = create_store_engine(f"sqlite:///{tmp_path / 'demo' / 'policy.db'}")
    with engine.connect() as conn:
        holding = set(conn.scalars(select(Article.url).where(
            Article.title.contains("专精特新") | Article.body_text.contains("专精特新"))))
    engine.dispose()
    assert len(urls) == len(set(urls)) and set(urls) == holding and holding


def test_a_sharp_drop_against_earlier_runs_degrades_the_run(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    """Earlier runs saw long government bodies; this run's bodies are far shorter: exit 3."""
    from models.database import open_store
    from pipelines.store import ArticleStore

    url = f"sqlite:///{tmp_path / 'drift.db'}"
    store = ArticleStore(open_store(url))
    for _ in range(2):
        run_id = store.start_run(["gxt_gov"])
        history = {"articles": 20, "published_at": 1.0, "source": 1.0, "body": 1.0, "median_body": 60000}
        store.finish_run(run_id, "ok", {"stats": {"sites": {"gxt_gov": {"coverage": history}}}})
    store.engine.dispose()
    proc = run_crawl(url, fixture_web.proxy_env(), "-q", "gxt_gov")
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "warning: site gxt_gov: median body length fell to" in proc.stderr
    engine = create_store_engine(url)
    with engine.connect() as conn:
        run = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    engine.dispose()
    assert run.status == "degraded" and "site gxt_gov" in run.message
    assert run.stats["sites"]["gxt_gov"]["coverage"]["articles"] == 6
    # The run's report carries the warning beside the site's field coverage.
    report = (tmp_path / "reports" / f"run-{run.id}.html").read_text("utf-8")
    assert 'class="warning drift">site gxt_gov: median body length fell to' in report


def test_scrapy_own_cli_runs_the_same_pipeline(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scrapy.db'}"
    env = crawl_env(fixture_web.proxy_env(), DATABASE_URL=url)
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sites", "-a", f"sites={FIXTURE_SITES}",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert store_counts(url) == (EXPECTED_ARTICLES, EXPECTED_COPIES)
    # Dropped pages are logged as one short line (URL and reason), never with their bytes.
    dropped = [line for line in proc.stderr.splitlines() if "Dropped" in line]
    assert dropped and all(len(line) < 400 and "raw_pages" not in line for line in dropped)
