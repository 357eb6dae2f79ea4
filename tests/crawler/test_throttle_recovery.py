"""A slow page must not hold a site back for the rest of the run (crawler.throttle).

A real crawl with AutoThrottle on, against a loopback site whose one page answers after 4 s and
whose other links answer 404: the host's delay goes up to the slow page's latency, and comes
down again on the quick 404s, where AutoThrottle alone would keep it for the rest of the run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo.server import FixtureWeb
from tests.support.crawl import ROOT, crawl_env

pytestmark = pytest.mark.slow

HOST = "www.slow-page.test"
SLOW_SECONDS = 4.0
MISSING = 24
# Polite, as a real run: AutoThrottle on, one request at a time to the host.
POLITE = ("-s", "AUTOTHROTTLE_ENABLED=True", "-s", "AUTOTHROTTLE_START_DELAY=0.2",
          "-s", "AUTOTHROTTLE_TARGET_CONCURRENCY=1", "-s", "DOWNLOAD_DELAY=0.2",
          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False")


def _site(root: Path) -> None:
    site = root / HOST
    (site / "a" / "2025" / "1016").mkdir(parents=True)
    links = "".join(f'<li><a href="/zt/page{i}.html">专题页面{i}</a></li>' for i in range(MISSING))
    (site / "index.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>首页</title></head><body>'
        '<a href="/a/2025/1016/1.html">关于加快推进产业数字化转型的实施意见</a>'
        f"<ul>{links}</ul></body></html>", encoding="utf-8")
    (site / "a" / "2025" / "1016" / "1.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>慢页面</title></head><body>'
        "<p>这一页要等几秒钟才有回应。</p></body></html>", encoding="utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "_headers.json").write_text(
        json.dumps({"/a/2025/1016/1.html": {"Delay": str(SLOW_SECONDS)}}), encoding="utf-8")


def test_the_delay_comes_down_on_quick_404s_after_a_slow_page(tmp_path: Path) -> None:
    _site(tmp_path / "web")
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "slow"\nstart_urls = ["http://{HOST}/"]\n', encoding="utf-8")
    with FixtureWeb(root=tmp_path / "web") as web:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites),
             "--db", f"sqlite:///{tmp_path / 'policy.db'}", *POLITE],
            cwd=ROOT, env=crawl_env(web.proxy_env()), capture_output=True, text=True, timeout=300,
        )
        log = web.request_log.snapshot()
    assert proc.returncode == 0, proc.stderr[-3000:]
    missing = [e.received_at for e in log if e.status == 404 and e.path.startswith("/zt/")]
    assert len(missing) == MISSING
    slow_answered = next(e.received_at for e in log if e.path == "/a/2025/1016/1.html")
    assert missing[0] >= slow_answered  # the 404s came after the slow page, one at a time
    gaps = [b - a for a, b in zip(missing, missing[1:])]
    # AutoThrottle alone would space them by the slow page's latency (~4 s) to the end.
    assert statistics.median(gaps[-10:]) < SLOW_SECONDS / 4, gaps
