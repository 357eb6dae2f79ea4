"""`python -m benchmarks crawl`: a whole-pipeline crawl of a generated loopback web vs a bare spider.

The web (under a temporary directory) holds the benchmark corpus as article pages of five
CMS families on the corpus's `.test` hosts (35 for 1,000 pages), each with paginated list pages; it is served by
`crawler.demo.server.FixtureWeb(root=…)` in a separate process and reached through
`http_proxy`, exactly as the crawl tests do. Politeness is off for both crawls
(`AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=32`). Reported: wall time,
pages/s and CPU seconds of each crawler process, and the ratio pipeline / bare (goal ≤ 2).
With `--profile`, the pipeline crawl runs under cProfile and the top functions are printed.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.corpus import build_corpus, render_page

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32"]
LIST_SIZE = 40
_RELATED = re.compile(r'href="http://[^/"]+/a/\d+\.html"')


def build_web(root: Path, pages: int, seed: int = 20251022) -> tuple[list[str], int]:
    """Write the web; return (start URLs, article pages)."""
    docs = build_corpus(pages, seed=seed)
    by_host: dict[str, list[Any]] = defaultdict(list)
    for doc in docs:
        by_host[urlsplit(doc.url).hostname].append(doc)  # type: ignore[index]
    rng = random.Random(seed)
    for doc in docs:
        parts = urlsplit(doc.url)
        target = root / parts.hostname / parts.path.lstrip("/")  # type: ignore[operator]
        target.parent.mkdir(parents=True, exist_ok=True)
        # Related-article links point at real articles of the host (no 404 flood).
        siblings = [urlsplit(d.url).path for d in by_host[parts.hostname]]  # type: ignore[index]
        page = _RELATED.sub(lambda m: f'href="{rng.choice(siblings)}"', render_page(doc).decode(
            "gbk" if doc.encoding == "gbk" else "utf-8"))
        target.write_bytes(page.encode("gbk" if doc.encoding == "gbk" else "utf-8", errors="xmlcharrefreplace"))
    starts = []
    for host, host_docs in by_host.items():
        chunks = [host_docs[i : i + LIST_SIZE] for i in range(0, len(host_docs), LIST_SIZE)]
        for number, chunk in enumerate(chunks):
            name = "index.html" if number == 0 else f"list_{number + 1}.html"
            links = "\n".join(f'<li><a href="{urlsplit(d.url).path}">{html.escape(d.title)}</a>'
                              f"<span>{d.published}</span></li>" for d in chunk)
            pager = f'<div class="pages"><a href="/list_{number + 2}.html">下一页</a></div>' if number + 1 < len(chunks) else ""
            (root / host / name).write_text(
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title></head><body>'
                f'<div class="list"><ul>{links}</ul></div>{pager}</body></html>', encoding="utf-8")
        (root / host / "robots.txt").write_text("User-agent: *\nAllow: /\n")
        starts.append(f"http://{host}/")
    return starts, len(docs)


def _serve(root: Path) -> tuple[subprocess.Popen[str], int]:
    code = ("import sys,time\nfrom crawler.demo.server import FixtureWeb\n"
            "web = FixtureWeb(root=sys.argv[1]).start()\nprint(web.port, flush=True)\ntime.sleep(1e9)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())  # type: ignore[union-attr]
    return proc, port


def _env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "database_url")}
    env["http_proxy"] = f"http://127.0.0.1:{port}"
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"returncode": proc.returncode, "wall_s": round(wall, 2),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
            "max_rss_mb": round(after.ru_maxrss / 1024, 1), "stdout": proc.stdout[-3000:],
            "stderr": proc.stderr[-3000:]}


def crawl_benchmark(args: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="policy-crawl-bench-") as tmp:
        root = Path(tmp) / "web"
        starts, pages = build_web(root, args.pages)
        sites = Path(tmp) / "sites.toml"
        sites.write_text("".join(
            f'[[site]]\nname = "{urlsplit(u).hostname.split(".")[1]}"\nstart_urls = ["{u}"]\nmax_pages = 100000\n\n'  # type: ignore[union-attr]
            for u in starts), encoding="utf-8")
        server, port = _serve(root)
        try:
            env = _env(port)
            bare = _timed([sys.executable, "-m", "scrapy", "runspider", str(ROOT / "benchmarks" / "bare_spider.py"),
                           "-a", "start=" + ",".join(starts), *FAST, "-s", "LOG_LEVEL=INFO",
                           "-s", "ROBOTSTXT_OBEY=True"], env)
            db = f"sqlite:///{Path(tmp) / 'store' / 'policy.db'}"
            crawl_cmd = ["-m", "crawler.cli", "crawl", "--sites", str(sites), "--db", db, *FAST]
            if getattr(args, "profile", False):
                crawl_cmd = ["-m", "cProfile", "-o", str(Path(tmp) / "crawl.prof"), *crawl_cmd]
            pipeline = _timed([sys.executable, *crawl_cmd], env)
            profile = None
            if getattr(args, "profile", False) and (Path(tmp) / "crawl.prof").exists():
                import io
                import pstats

                buf = io.StringIO()
                stats = pstats.Stats(str(Path(tmp) / "crawl.prof"), stream=buf)
                stats.sort_stats("cumulative").print_stats(r"(pipelines|crawler|scrapy/core)", 30)
                stats.sort_stats("tottime").print_stats(20)
                profile = buf.getvalue()
        finally:
            server.terminate()
            server.wait(timeout=10)
    bare_pages = _count(bare["stderr"], "'bare/pages': ")
    ratio = pipeline["wall_s"] / bare["wall_s"] if bare["wall_s"] else float("nan")
    result = {"article_pages": pages, "bare": bare, "pipeline": pipeline,
              "bare_pages_fetched": bare_pages, "ratio_pipeline_to_bare": round(ratio, 2)}
    print(f"loopback web: {pages} article pages on {len(starts)} hosts")
    print(f"bare spider : {bare['wall_s']:.1f} s wall, {bare['cpu_s']:.1f} CPU s, "
          f"{(bare_pages or pages) / bare['wall_s']:.0f} pages/s (exit {bare['returncode']})")
    print(f"pipeline    : {pipeline['wall_s']:.1f} s wall, {pipeline['cpu_s']:.1f} CPU s, "
          f"{pages / pipeline['wall_s']:.0f} article pages/s (exit {pipeline['returncode']})")
    print(f"ratio pipeline / bare: {ratio:.2f}x (goal <= 2x)")
    if pipeline["returncode"] != 0:
        print(pipeline["stderr"][-1500:], file=sys.stderr)
    if profile:
        print(profile)
        result["profile_top"] = profile
    for run in (bare, pipeline):
        run.pop("stderr")
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result


def _count(log: str, marker: str) -> int | None:
    at = log.rfind(marker)
    if at < 0:
        return None
    digits = "".join(ch for ch in log[at + len(marker) : at + len(marker) + 12] if ch.isdigit())
    return int(digits) if digits else None
