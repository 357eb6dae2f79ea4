"""`python -m benchmarks attachments`: the attachment readers' throughput per format, in this
process (`read_file`) and through the sandbox (`FileReader`: a fork per file under limits).

Files: the test fixtures (tests/fixtures/attachment_files.py: a 2-page PDF, DOCX, XLSX, OFD,
zip, 7z, Word 97 .doc) and a long PDF (the guide's text repeated over ~25 pages), so that
both the per-file cost and the per-MB cost show. Each file is read `--repeat` times each way,
alternating in-process and sandbox passes; reported per format: files/s, MB/s and the sandbox's
cost as a ratio to the in-process read of the same file in the same run. A mixed batch through
`FileReader(processes=N)` from N threads shows the parallel rate. CPU ms per file, in this
process and in the sandbox (the reader process and its forks), hold still on a busy machine
where wall times move.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pipelines.attachments import FileReader, read_file
from pipelines.workers import default_processes
from tests.fixtures import attachment_files as fixtures


def long_pdf(repeat: int = 12) -> bytes:
    """The guide's text and table repeated `repeat` times: ~2 pages each."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    story: list[Any] = []
    for _ in range(repeat):
        story += [Paragraph(p, body) for p in [fixtures.TITLE, *fixtures.GUIDE]]
        story.append(Table(fixtures.SUBSIDY_TABLE, style=[("FONT", (0, 0), (-1, -1), "STSong-Light", 10)]))
        story += [Paragraph(p, body) for p in fixtures.GUIDE_AFTER_TABLE + fixtures.PLEDGE]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story)
    return out.getvalue()


def reader_cpu_s(reader: FileReader) -> float:
    """CPU seconds of the reader processes and of the forks they have reaped (utime, stime,
    cutime, cstime of /proc/PID/stat), 10 ms ticks."""
    total = 0
    for pid in reader.worker_pids():
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def attachments_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-attachments-"))
    try:
        fixtures.write_fixture_files(work)
        (work / "long.pdf").write_bytes(long_pdf())
        names = ["P020251016398145672310.pdf", "long.pdf", "scan.pdf", "shenbaobiao.docx",
                 "zijin-anpai.xlsx", "tongzhi.ofd", "fujian.zip", "fujian.7z", "xinyong-chengnuoshu.doc"]
        files = {name: (work / name).read_bytes() for name in names}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    with FileReader() as reader:
        reader.read(files["shenbaobiao.docx"], "warm.docx")  # the reader process started, warm
        for name, data in files.items():
            inline_s = sandbox_s = inline_cpu = sandbox_cpu = 0.0
            for _ in range(args.repeat):
                started, cpu = time.perf_counter(), time.process_time()
                inline = read_file(data, name)
                inline_s += time.perf_counter() - started
                inline_cpu += time.process_time() - cpu
                started, cpu = time.perf_counter(), reader_cpu_s(reader)
                boxed = reader.read(data, name)
                sandbox_s += time.perf_counter() - started
                sandbox_cpu += reader_cpu_s(reader) - cpu
                assert boxed == inline, (name, boxed, inline)
            rows.append({
                "file": name, "media_type": inline.media_type, "status": inline.status,
                "kb": round(len(data) / 1024, 1), "pages": inline.pages, "chars": len(inline.text),
                "inline_files_per_s": round(args.repeat / inline_s, 1),
                "inline_mb_per_s": round(args.repeat * len(data) / inline_s / 2**20, 2),
                "sandbox_files_per_s": round(args.repeat / sandbox_s, 1),
                "sandbox_mb_per_s": round(args.repeat * len(data) / sandbox_s / 2**20, 2),
                "sandbox_ms_over_inline": round(1000 * (sandbox_s - inline_s) / args.repeat, 1),
                "sandbox_ratio": round(sandbox_s / inline_s, 2),
                "inline_cpu_ms": round(1000 * inline_cpu / args.repeat, 1),
                "sandbox_cpu_ms": round(1000 * sandbox_cpu / args.repeat, 1),
            })
    processes = default_processes(caller_busy=False)
    batch = [(name, data) for name, data in files.items() if name != "long.pdf"] * args.repeat
    with FileReader(processes=processes) as reader, ThreadPoolExecutor(processes) as pool:
        list(pool.map(lambda job: reader.read(job[1], job[0]), batch[:processes]))  # warm
        started = time.perf_counter()
        results = list(pool.map(lambda job: reader.read(job[1], job[0]), batch))
        parallel_s = time.perf_counter() - started
    assert all(r.status in ("ok", "needs_ocr") for r in results)
    mixed = {"files": len(batch), "processes": processes,
             "files_per_s": round(len(batch) / parallel_s, 1),
             "mb_per_s": round(sum(len(d) for _, d in batch) / parallel_s / 2**20, 2)}

    print(f"{'file':<28} {'KB':>5} {'pages':>5} {'chars':>6} {'files/s':>8} {'MB/s':>6} "
          f"{'sandbox f/s':>11} {'MB/s':>6} {'+ms/file':>8} {'ratio':>6} {'CPU ms':>6} {'sandbox':>7}")
    for r in rows:
        print(f"{r['file']:<28} {r['kb']:>5} {r['pages'] or '-':>5} {r['chars']:>6} "
              f"{r['inline_files_per_s']:>8} {r['inline_mb_per_s']:>6} {r['sandbox_files_per_s']:>11} "
              f"{r['sandbox_mb_per_s']:>6} {r['sandbox_ms_over_inline']:>8} {r['sandbox_ratio']:>6} "
              f"{r['inline_cpu_ms']:>6} {r['sandbox_cpu_ms']:>7}")
    print(f"mixed batch (no long.pdf), FileReader(processes={processes}) from {processes} threads: "
          f"{mixed['files_per_s']} files/s, {mixed['mb_per_s']} MB/s over {mixed['files']} files")
    result = {"repeat": args.repeat, "formats": rows, "mixed": mixed}
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result
