"""Secrets: DATABASE_URL / REDIS_URL passwords never appear in logs, run records, errors or --help.

A real crawl of the hostile web into the real test PostgreSQL with a password-bearing URL, at
DEBUG level, with JSON logs and a log file; the store's run record; the error paths (wrong
password, refused port, unparsable URL); every command's --help with the URLs in the env.
(REDIS_URL switches a crawl to distributed mode, which needs a live Redis: here it is only
checked in --help.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from crawler.cli import main as cli_main
from models import CrawlRun
from models.database import create_store_engine
from tests.support.crawl import ROOT, crawl_env, run_crawl
from tests.support.faults import HOST, HostileWeb
from tests.support.postgres import PASSWORD, PostgresServer

pytestmark = pytest.mark.slow  # crawls and the CLI in subprocesses, against PostgreSQL

REDIS_PASSWORD = "r3dis-Secret%99"
REDIS_URL = f"redis://:{quote(REDIS_PASSWORD, safe='')}@127.0.0.1:6390/0"


def secrets(*passwords: str) -> list[str]:
    return [form for p in passwords for form in {p, quote(p, safe=""), quote(p)}]


def assert_no_secret(text: str, *passwords: str, where: str = "") -> None:
    for secret in secrets(PASSWORD, REDIS_PASSWORD, *passwords):
        assert secret not in text, f"password {secret!r} leaked in {where}: ...{text[max(0, text.find(secret) - 200):text.find(secret) + 50]}"


def registry(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(
        "[[site]]\n"
        'name = "hostile"\n'
        f'start_urls = ["http://{HOST}/a/2025/1001/1.html", "http://{HOST}/a/2025/1002/21.html"]\n'
        "article_url_pattern = '^http://www\\.hostile\\.test/a/\\d{4}/\\d{4}/\\d+\\.html$'\n"
        "max_pages = 4\n",
        encoding="utf-8",
    )
    return path


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], check=False, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, env=env if env is not None else crawl_env({}),
    )


@pytest.mark.parametrize("via", ["--db", "DATABASE_URL"])
def test_a_crawl_never_logs_or_records_the_passwords(
    via: str, postgres: PostgresServer, hostile_web: HostileWeb, tmp_path: Path
) -> None:
    db_url = postgres.create_database()
    assert PASSWORD in db_url or quote(PASSWORD, safe="") in db_url
    log_file = tmp_path / "crawl.log"
    args = ["-s", "LOG_LEVEL=DEBUG", "--log-file", str(log_file)]
    if via == "--db":
        result = run_crawl(db_url, hostile_web.proxy_env(), *args,
                           sites=registry(tmp_path), timeout=120)
    else:
        env = crawl_env({**hostile_web.proxy_env(), "DATABASE_URL": db_url})
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(registry(tmp_path)), "--json-logs",
             "-s", "LOG_LEVEL=DEBUG", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             "--log-file", str(log_file)],
            check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        result = proc
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DEBUG" in result.stderr or "DEBUG" in log_file.read_text("utf-8")  # it really was verbose
    assert_no_secret(result.stdout, where="stdout")
    assert_no_secret(result.stderr, where="stderr")
    assert_no_secret(log_file.read_text("utf-8"), where="the log file")
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(select(CrawlRun)).all()
    finally:
        engine.dispose()
    assert runs
    for run in runs:
        assert_no_secret(json.dumps(run.stats, ensure_ascii=False, default=str) + (run.message or ""),
                         where="crawl_runs")
    # the read-side commands print the store's URL masked too
    for command in (["runs", "--db", db_url], ["runs", "--db", db_url, "--json"]):
        shown = cli(*command)
        assert shown.returncode == 0, shown.stderr
        assert_no_secret(shown.stdout + shown.stderr, where=" ".join(command[:1]))


WRONG = "Wr0ng-Secret%7"
BAD_URLS = {
    "wrong_password": None,  # the real server, a wrong password (built from the fixture)
    "refused_port": f"postgresql+psycopg://policy:{quote(WRONG, safe='')}@127.0.0.1:1/db",
    "legacy_scheme": f"postgres://policy:{quote(WRONG, safe='')}@127.0.0.1:1/db",
    "unparsable": f"postgresql+psycopg://policy:{WRONG}@[::1/db",
    "unsupported_backend": f"mysql://policy:{quote(WRONG, safe='')}@127.0.0.1/db",
    "raw_password_with_at": f"postgresql+psycopg://policy:{WRONG}@x@127.0.0.1:1/db",
}


@pytest.fixture(scope="module")
def store_errors(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[str, subprocess.CompletedProcess[str]]]]:
    """Each bad URL through `crawl --db`, `crawl` with DATABASE_URL, and `runs --db`; run once."""
    sites = registry(tmp_path_factory.mktemp("secrets"))
    outcomes = {}
    for name, url in BAD_URLS.items():
        url = url or postgres.url(password=WRONG)
        outcomes[name] = [
            (" ".join(args[:1]), cli(*args, env=env, timeout=60))
            for args, env in (
                (["crawl", "--sites", str(sites), "--db", url], crawl_env({})),
                (["crawl", "--sites", str(sites)], crawl_env({"DATABASE_URL": url})),
                (["runs", "--db", url], crawl_env({})),
            )
        ]
    return outcomes


@pytest.mark.parametrize("name", sorted(BAD_URLS))
def test_store_errors_never_show_the_password(name: str, store_errors: dict) -> None:
    for command, proc in store_errors[name]:
        assert proc.returncode != 0, (name, proc.stdout)
        assert proc.stderr.strip(), name  # it said what went wrong
        assert_no_secret(proc.stdout + proc.stderr, WRONG, where=f"{name} ({command})")


@pytest.mark.parametrize("name", sorted(BAD_URLS))
def test_store_errors_are_one_line_not_a_traceback(name: str, store_errors: dict) -> None:
    for command, proc in store_errors[name]:
        assert "Traceback" not in proc.stderr, (name, command, proc.stderr[-1500:])
        assert proc.stderr.strip().startswith("error:"), (name, command, proc.stderr[-500:])


def test_help_never_shows_the_passwords(postgres: PostgresServer) -> None:
    env = crawl_env({"DATABASE_URL": postgres.url(), "REDIS_URL": REDIS_URL})
    commands = [[], *[[name] for name in sorted(cli_main.commands)]]
    assert len(commands) > 3
    for command in commands:
        proc = cli(*command, "--help", env=env, timeout=60)
        assert proc.returncode == 0, (command, proc.stderr)
        assert_no_secret(proc.stdout + proc.stderr, where=f"{' '.join(command) or 'main'} --help")
