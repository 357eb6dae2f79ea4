"""The console script as a user runs it: from any directory, with one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the CLI in subprocesses

CLI = [sys.executable, "-m", "crawler.cli"]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://ops:hunter2-secret@127.0.0.1:1/policy", "cannot connect to PostgreSQL at 127.0.0.1:1"),
        ("postgres//ops:hunter2-secret@db/policy", "is not a SQLAlchemy URL"),
        ("mysql://ops:hunter2-secret@db/policy", "unsupported backend"),
    ],
)
def test_bad_database_url_is_one_line_and_non_zero(tmp_path: Path, url: str, expected: str) -> None:
    for env, args in (({"DATABASE_URL": url}, ()), ({}, ("--db", url))):
        proc = run_cli("crawl", *args, cwd=tmp_path, env=env)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("error: ") and expected in lines[0]
        assert "hunter2-secret" not in proc.stderr + proc.stdout
        assert "Traceback" not in proc.stderr


def test_help_lists_commands_and_shows_no_secret(tmp_path: Path) -> None:
    secret = "postgresql+psycopg://ops:hunter2-secret@db/policy"
    for args in (("--help",), ("crawl", "--help")):
        proc = run_cli(*args, cwd=tmp_path, env={"DATABASE_URL": secret})
        assert proc.returncode == 0
        assert "hunter2-secret" not in proc.stdout
    assert "crawl" in run_cli("--help", cwd=tmp_path).stdout


def test_unknown_site_and_bad_registry_are_clear(tmp_path: Path) -> None:
    proc = run_cli("crawl", "nosuchsite", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown site(s) nosuchsite" in proc.stderr
    registry = tmp_path / "sites.toml"
    registry.write_text('[[site]]\nname = "x"\n')
    proc = run_cli("crawl", "--sites", str(registry), cwd=tmp_path)
    assert proc.returncode == 2
    assert "site 'x': start_urls must be a non-empty list" in proc.stderr
