"""Running real crawls in the tests: the console script as a user runs it, against loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SITES = ROOT / "crawler" / "demo" / "sites.toml"
# Politeness off: the fixture server is ours and on loopback.
FAST = (
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
)


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def crawl_env(proxy_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "database_url", "redis_url")
    }
    env.update(proxy_env)
    env.update(extra)
    return env


def run_crawl(
    db_url: str, proxy_env: dict[str, str], *args: str, cwd: Path | None = None,
    sites: Path = FIXTURE_SITES, timeout: float = 300,
) -> CrawlResult:
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites), "--db", db_url, *FAST, *args],
        cwd=cwd or ROOT, env=crawl_env(proxy_env), capture_output=True, text=True, timeout=timeout,
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr)


def store_counts(db_url: str) -> tuple[int, int]:
    """(articles, article_copies) in the store at `db_url`."""
    from sqlalchemy import func, select

    from models import Article, ArticleCopy
    from models.database import create_store_engine

    engine = create_store_engine(db_url)
    with engine.connect() as conn:
        result = (conn.scalar(select(func.count()).select_from(Article)) or 0,
                  conn.scalar(select(func.count()).select_from(ArticleCopy)) or 0)
    engine.dispose()
    return result
