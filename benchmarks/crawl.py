"""`python -m benchmarks crawl`: a whole-pipeline crawl of a generated loopback web vs a bare spider.

The web (`benchmarks.web`, under a temporary directory) holds the benchmark corpus as article
pages behind five columns, one per pagination shape of the real web, 10 articles to a list page:
1,000 pages make columns of 20 list pages, deeper than `DEPTH_LIMIT`, so every page is reached
only if pagination is followed to the end. It is served by `crawler.demo.server.FixtureWeb(root=…)`
in a separate process and reached through `http_proxy`, exactly as the crawl tests do. Politeness is off for both crawls
(`AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=32`). Reported: wall time,
pages/s and CPU seconds of each crawler process, and the ratio pipeline / bare (goal ≤ 2).
With `--profile`, the pipeline crawl runs under cProfile and the top functions are printed.

With `--attachments`, every other article page links two files, as notices do: a PDF of its own
text (reportlab, a Chinese text layer) and a Word form that is the same file on every page of
every host (python-docx). The bare spider fetches them too; the pipeline fetches, reads (in its
sandboxed reader), normalises, compares and stores them (goal: ratio ≤ 1.5).
"""

from __future__ import annotations

import html
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.web import SHAPES, Column, ColumnSpec, build_paged_web

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32"]
LIST_SIZE = 10


def build_web(root: Path, pages: int, seed: int = 20251022,
              attachments: bool = False) -> tuple[list[Column], int]:
    """Write the web: `pages` article pages in one column per pagination shape, 10 to a list
    page; return (the columns, article pages)."""
    per_column = max(1, pages // (len(SHAPES) * LIST_SIZE))
    attach = _Attachments() if attachments else None
    columns = build_paged_web(root, [ColumnSpec(shape, per_column, LIST_SIZE) for shape in SHAPES],
                              seed, attach=attach)
    return columns, sum(len(c.article_urls) for c in columns)


class _Attachments:
    """The files of every other article page: a PDF of its text, and the shared form."""

    FORM = ["附件2：项目申报表", "企业名称\t统一社会信用代码\t申报项目\t申请金额（万元）",
            "本单位承诺所填内容真实有效，如有虚假，愿承担相应法律责任。"]

    def __init__(self) -> None:
        import io

        import docx

        document = docx.Document()
        for line in self.FORM:
            document.add_paragraph(line)
        out = io.BytesIO()
        document.save(out)
        self.form = out.getvalue()
        self.count = 0

    def __call__(self, doc: Any, directory: Path) -> list[tuple[str, str]]:
        self.count += 1
        if self.count % 2:
            return []
        name = f"P0{doc.doc_id:020d}.pdf"
        (directory / name).write_bytes(_pdf([doc.title, *doc.paragraphs]))
        (directory / "shenbaobiao.docx").write_bytes(self.form)
        return [(name, f"附件1：{doc.title}.pdf"), ("shenbaobiao.docx", "附件2：项目申报表")]


def _pdf(lines: list[str]) -> bytes:
    """A PDF of `lines` with a Chinese text layer (reportlab's built-in STSong-Light)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=18, wordWrap="CJK")
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([Paragraph(html.escape(line), style) for line in lines])
    return out.getvalue()


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
        with_files = bool(getattr(args, "attachments", False))
        columns, pages = build_web(root, args.pages, attachments=with_files)
        files = sum(1 for _ in root.rglob("*.pdf")) + sum(1 for _ in root.rglob("*.docx"))
        starts = [c.start_url for c in columns]
        sites = Path(tmp) / "sites.toml"
        sites.write_text("".join(
            f'[[site]]\nname = "{c.shape}"\nstart_urls = ["{c.start_url}"]\nmax_pages = 100000\n\n'
            for c in columns), encoding="utf-8")
        scripted = Path(tmp) / "scripted.txt"  # list pages only a pager script links to
        scripted.write_text("\n".join(u for c in columns if c.shape == "trs_script" for u in c.list_urls))
        server, port = _serve(root)
        try:
            env = _env(port)
            bare = _timed([sys.executable, "-m", "scrapy", "runspider", str(ROOT / "benchmarks" / "bare_spider.py"),
                           "-a", "start=" + ",".join(starts), "-a", f"also={scripted}", *FAST, "-s", "LOG_LEVEL=INFO",
                           "-s", "ROBOTSTXT_OBEY=True", *(["-a", "files=1"] if with_files else [])], env)
            db = f"sqlite:///{Path(tmp) / 'store' / 'policy.db'}"
            crawl_cmd = ["-m", "crawler.cli", "crawl", "--sites", str(sites), "--db", db, *FAST]
            if getattr(args, "profile", False):
                crawl_cmd = ["-m", "cProfile", "-o", str(Path(tmp) / "crawl.prof"), *crawl_cmd]
            pipeline = _timed([sys.executable, *crawl_cmd], env)
            stored = _stored(db, {u for c in columns for u in c.article_urls})
            files_stored = _files_stored(db) if with_files else None
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
    result = {"article_pages": pages, "article_pages_stored": stored, "bare": bare,
              "pipeline": pipeline, "bare_pages_fetched": bare_pages,
              "ratio_pipeline_to_bare": round(ratio, 2)}
    print(f"loopback web: {pages} article pages in {len(starts)} columns of "
          f"{max(len(c.list_urls) for c in columns)} list pages")
    if with_files:
        bare_files = _count(bare["stderr"], "'bare/files': ")
        result.update(files_linked=files, bare_files_fetched=bare_files, files_stored=files_stored)
        print(f"attached files: {files} linked, {bare_files} fetched by the bare spider; pipeline: "
              + ", ".join(f"{k} {v}" for k, v in (files_stored or {}).items()))
    print(f"bare spider : {bare['wall_s']:.1f} s wall, {bare['cpu_s']:.1f} CPU s, "
          f"{(bare_pages or pages) / bare['wall_s']:.0f} pages/s (exit {bare['returncode']})")
    print(f"pipeline    : {pipeline['wall_s']:.1f} s wall, {pipeline['cpu_s']:.1f} CPU s, "
          f"{pages / pipeline['wall_s']:.0f} article pages/s (exit {pipeline['returncode']}), "
          f"{stored} of {pages} article pages stored")
    print(f"ratio pipeline / bare: {ratio:.2f}x (goal <= {'1.5' if with_files else '2'}x)")
    if pipeline["returncode"] != 0:
        print(pipeline["stderr"][-1500:], file=sys.stderr)
    if profile:
        print(profile)
        result["profile_top"] = profile
    for run in (bare, pipeline):
        run.pop("stderr")
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result


def _stored(db_url: str, article_urls: set[str]) -> int:
    """How many of the web's article pages the crawl stored (as an article or a copy)."""
    from sqlalchemy import select

    from models import ArticleCopy
    from models.database import create_store_engine

    engine = create_store_engine(db_url)
    try:
        with engine.connect() as connection:
            return sum(1 for url in connection.scalars(select(ArticleCopy.url)) if url in article_urls)
    finally:
        engine.dispose()


def _files_stored(db_url: str) -> dict[str, int]:
    """Attached files in the store: URLs fetched, distinct files, and files by status."""
    from sqlalchemy import func, select

    from models import Attachment, AttachmentUrl
    from models.database import create_store_engine

    engine = create_store_engine(db_url)
    try:
        with engine.connect() as connection:
            figures = {"urls": connection.scalar(select(func.count()).select_from(AttachmentUrl)) or 0,
                       "files": connection.scalar(select(func.count()).select_from(Attachment)) or 0}
            for status, count in connection.execute(
                select(Attachment.status, func.count()).group_by(Attachment.status)
            ):
                figures[status] = count
            return figures
    finally:
        engine.dispose()


def _count(log: str, marker: str) -> int | None:
    at = log.rfind(marker)
    if at < 0:
        return None
    digits = "".join(ch for ch in log[at + len(marker) : at + len(marker) + 12] if ch.isdigit())
    return int(digits) if digits else None
