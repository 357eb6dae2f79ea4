"""Worker processes give exactly what the same stages give in this process, in input order."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from benchmarks.corpus import build_corpus, render_page
from crawler.extractors import extract
from crawler.items import item_from_page
from pipelines.items import ArticleItem, RawPageRecord
from pipelines.ingest import prepare_page
from crawler.reprocess import ExtractJob, extract_and_prepare, extract_item
from pipelines.workers import StagePool

FETCHED = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, str, bytes]]:
    docs = build_corpus(48, seed=5, traditional_share=0.3)
    return [(doc.site, doc.url, render_page(doc)) for doc in docs]


@pytest.fixture(scope="module")
def pool():
    with StagePool(2) as pool:
        yield pool


def as_bytes(value: object) -> bytes:
    """`value` as it arrives from another process, pickled: what the two sides compare on."""
    return pickle.dumps(pickle.loads(pickle.dumps(value, protocol=5)), protocol=5)


@pytest.mark.slow
def test_prepare_in_workers_equals_prepare_here(pages, pool) -> None:
    items = []
    for site, url, body in pages:
        item = item_from_page(extract(body, url), site=site, fetched_at=FETCHED)
        item.raw_pages = [RawPageRecord(url, body, FETCHED)]
        items.append(item)
    here = [prepare_page(replace(item, raw_pages=[])) for item in items]
    there = list(pool.prepare(items))
    assert [p.url for p in there] == [item.url for item in items]
    for mine, theirs, item in zip(here, there, items):
        # The served bytes never travel to a worker; they are back on the cleaned item.
        assert theirs.prepared.cleaned.item.raw_pages == item.raw_pages
        theirs.prepared.cleaned.item.raw_pages = []
        assert as_bytes(theirs) == as_bytes(mine)
    assert any(p.prepared.cleaned.item.original_script == "traditional" for p in there)


@pytest.mark.slow
def test_extract_in_workers_equals_extract_here(pages, pool) -> None:
    jobs = [ExtractJob(site, RawPageRecord(url, body, FETCHED, content_type="text/html"))
            for site, url, body in pages]
    results = list(pool.map(extract_and_prepare, jobs))
    assert len(results) == len(jobs)
    for job, result in zip(jobs, results):
        item, next_pages = extract_item(job)
        if next_pages:  # a page 1 of several: the caller joins the parts from the store
            assert result.prepared is None and result.next_pages == tuple(next_pages)
            assert as_bytes(result.item) == as_bytes(item)
        else:
            assert result.prepared is not None
            assert as_bytes(result.prepared) == as_bytes(prepare_page(item))


def test_inline_pool_runs_the_same_calls() -> None:
    item = ArticleItem(url="http://a.test/1.html", site="a", fetched_at=FETCHED, title="关于推进产业发展的通知",
                       paragraphs=["为推进产业高质量发展，现将有关事项通知如下。"])
    with StagePool(0) as pool:
        (prepared,) = pool.prepare([item])
    assert as_bytes(prepared) == as_bytes(prepare_page(item))


KILLED_OWNER = """
import os, signal
from datetime import datetime, timezone
from pipelines.items import ArticleItem
from pipelines.workers import StagePool

if __name__ == "__main__":
    pool = StagePool(1)
    item = ArticleItem(url="http://a.test/1", site="a", fetched_at=datetime.now(timezone.utc),
                       title="通知", paragraphs=["为推进产业高质量发展，现将有关事项通知如下。"])
    pool.submit(item).result()
    with open(os.environ["PIDS_FILE"], "w") as out:
        print(*pool.worker_pids(), file=out)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_workers_leave_when_their_crawl_is_killed(tmp_path) -> None:
    import os
    import subprocess
    import sys
    import time

    script = tmp_path / "owner.py"
    script.write_text(KILLED_OWNER)
    pids_file = tmp_path / "pids"
    # No pipes: processes left behind would hold them open; the pids go to a file.
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PIDS_FILE": str(pids_file)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=60) == -9
    pids = [int(pid) for pid in pids_file.read_text().split()]
    assert pids

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie of an exited worker still answers: it is gone in all that matters.
        return "Z" not in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]

    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in pids), "worker processes outlived the crawl that started them"
