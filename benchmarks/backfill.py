"""The backfill measured as a user runs it: `policy-ingest reprocess` over N kept pages.

A store is filled with the raw pages of N corpus documents (what a crawl keeps in `raw_pages`),
then `policy-ingest reprocess --rebuild` and `policy-ingest reprocess` (in place, a second run)
run as separate processes. Their process tree (the command, the fork server, the workers) is
sampled from here every 0.1 s for CPU time and resident memory, so the figures cover every
process the command starts, and none of the memory that building the corpus took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class TreeSample:
    """CPU seconds and resident memory of a process tree, the peaks over the samples."""

    cpu_s: dict[int, float] = field(default_factory=dict)  # last seen, per process
    peak_rss_mb: float = 0.0  # of the whole tree at one moment
    peak_main_rss_mb: float = 0.0
    processes: int = 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _sample(root: int, into: TreeSample) -> None:
    tree = _children()
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(tree.get(pid, ()))
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        into.cpu_s[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
        rss = int(fields[21]) * _PAGE / 2**20
        total += rss
        if pid == root:
            into.peak_main_rss_mb = max(into.peak_main_rss_mb, rss)
    into.peak_rss_mb = max(into.peak_rss_mb, total)
    into.processes = max(into.processes, len(pids))


def measure_command(args: list[str], env: dict[str, str]) -> tuple[float, TreeSample, str]:
    """Run `args`; (wall seconds, CPU and memory of its process tree, its stdout)."""
    sample = TreeSample()
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            _sample(proc.pid, sample)
            done.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {stderr[-2000:]}")
    return wall, sample, stdout


def backfill(pages_n: int, seed: int, directory: Path) -> list[dict[str, Any]]:
    """Keep `pages_n` corpus pages in a fresh SQLite store, then time both reprocess runs."""
    from benchmarks import stages
    from benchmarks.corpus import build_corpus

    docs = build_corpus(pages_n, seed=seed, traditional_share=0.1)
    stages.keep_raw_pages(docs, stages.render(docs), directory)
    url = f"sqlite:///{directory / 'policy.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    out = []
    for label, extra in (("reprocess --rebuild", ["--rebuild"]), ("reprocess in place (2nd run)", [])):
        command = [sys.executable, "-m", "crawler.cli", "reprocess", "--db", url, "-q", *extra]
        wall, sample, stdout = measure_command(command, env)
        out.append({
            "stage": f"{label}, {pages_n} kept pages",
            "pages": pages_n,
            "wall_s": round(wall, 2),
            "pages_per_s": round(pages_n / wall, 1),
            "cpu_s_all_processes": round(sum(sample.cpu_s.values()), 2),
            "peak_rss_mb_all_processes": round(sample.peak_rss_mb, 1),
            "peak_rss_mb_command": round(sample.peak_main_rss_mb, 1),
            "processes": sample.processes,
            "summary": stdout.strip().splitlines()[-1] if stdout.strip() else "",
        })
    return out
