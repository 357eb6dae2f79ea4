"""Worker processes give exactly what the same stages give in this process, in input order."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from benchmarks.corpus import build_corpus, render_page
from crawler.extractors import extract
from crawler.items import ArticleItem, RawPageRecord, item_from_page
from pipelines.dedup import DedupParams
from pipelines.ingest import PreparedPage, prepare_page
from pipelines.workers import ExtractJob, StagePool, extract_item

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
    return pickle.dumps(value, protocol=5)


def handed_over(page: PreparedPage) -> PreparedPage:
    """A page as a worker sends it: the paragraph counter's evidence as arrays only, what only
    a page cut again needs as one blob."""
    return replace(page, prepared=replace(page.prepared, evidence=()).deferred())


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
        assert as_bytes(theirs) == as_bytes(handed_over(mine))
    assert any(p.prepared.cleaned.item.original_script == "traditional" for p in there)


def test_extract_in_workers_equals_extract_here(pages, pool) -> None:
    jobs = [ExtractJob(site, RawPageRecord(url, body, FETCHED, content_type="text/html"))
            for site, url, body in pages]
    results = list(pool.extract(jobs))
    assert len(results) == len(jobs)
    for job, result in zip(jobs, results):
        item, next_pages = extract_item(job)
        if next_pages:  # a page 1 of several: the caller joins the parts from the store
            assert result.prepared is None and result.next_pages == tuple(next_pages)
            assert as_bytes(result.item) == as_bytes(item)
        else:
            assert result.prepared is not None
            assert as_bytes(result.prepared) == as_bytes(handed_over(prepare_page(item)))


def test_inline_pool_runs_the_same_calls() -> None:
    item = ArticleItem(url="http://a.test/1.html", site="a", fetched_at=FETCHED, title="关于推进产业发展的通知",
                       paragraphs=["为推进产业高质量发展，现将有关事项通知如下。"])
    with StagePool(0) as pool:
        (prepared,) = pool.prepare([item])
    assert as_bytes(prepared) == as_bytes(prepare_page(item))


KILLED_OWNER = """
import os, signal
from datetime import datetime, timezone
from crawler.items import ArticleItem
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


def test_a_pool_collects_garbage_less_often_and_then_as_before() -> None:
    import gc

    from pipelines.workers import GC_THRESHOLDS

    before = gc.get_threshold()
    with StagePool(0):
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == before


def test_what_workers_send_back_survives_pickling_with_its_dtypes_and_shapes(pages) -> None:
    # Signatures and the counter's arrays travel as bytes (their own __reduce__): the arrays
    # must come back equal, with their dtypes and shapes.
    import numpy as np

    for site, url, body in pages[:12]:
        page = prepare_page(item_from_page(extract(body, url), site=site, fetched_at=FETCHED))
        back = pickle.loads(pickle.dumps(page))
        for sent, got in ((page.doc, back.doc), (page.guess_doc, back.guess_doc)):
            if sent is None:
                assert got is None
                continue
            assert sent.signature is not None and got.signature is not None
            for name in ("hashvalues", "shingle_hashes"):
                a, b = getattr(sent.signature, name), getattr(got.signature, name)
                assert b.dtype == np.uint32 and b.shape == a.shape and np.array_equal(a, b)
            assert got.signature.key_length == sent.signature.key_length
            assert got.signature.scheme == sent.signature.scheme
        arrays, returned = page.prepared.evidence_arrays, back.prepared.evidence_arrays
        assert returned.tracked == arrays.tracked
        for name in ("exact", "near", "bands", "spammy", "spam"):
            a, b = getattr(arrays, name), getattr(returned, name)
            assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b), name
        assert returned.paragraphs == arrays.paragraphs == len(page.prepared.evidence)
        assert back.prepared.evidence == page.prepared.evidence


def test_a_body_html_left_as_it_was_is_not_sent_back(pages, monkeypatch) -> None:
    # A worker sends a page's body HTML back only when cleaning changed it (t2s, cuts): the
    # caller keeps the string it sent and puts it back.
    import pipelines.workers as workers

    items = [item_from_page(extract(body, url), site=site, fetched_at=FETCHED) for site, url, body in pages]
    monkeypatch.setattr(workers, "_IN_WORKER", True)
    sent_back = [pickle.loads(pickle.dumps(p)) for p in workers._prepare_chunk([(i, None) for i in items], DedupParams())]
    monkeypatch.setattr(workers, "_IN_WORKER", False)
    kept = changed = 0
    for item, page in zip(items, sent_back):
        here = prepare_page(item).prepared.cleaned.item.body_html
        html = page.prepared.cleaned.item.body_html
        if here is item.body_html:
            assert html is workers.SENT_BODY_HTML  # not in the pickle: ~8 KB less a page
            kept += 1
        else:
            assert html == here and html != item.body_html  # converted or rebuilt: sent back
            changed += 1
        workers._give_back(page, item, None)
        assert page.prepared.cleaned.item.body_html == here
    assert kept and changed  # both kinds among the pages (Simplified ones, Traditional ones)


def test_the_pipes_to_the_workers_hold_a_chunk_whole(pool) -> None:
    """A worker's results (~600 KB a chunk) go into the pipe in one write: at Linux's default
    64 KB the worker waits for this process to read them piece by piece (see _widen_pipes)."""
    import fcntl
    from pathlib import Path

    from pipelines.workers import PIPE_BYTES

    expected = min(PIPE_BYTES, int(Path("/proc/sys/fs/pipe-max-size").read_text()))
    executor = pool._executor
    for pipe in (executor._result_queue._reader, executor._call_queue._writer):
        assert fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) >= expected


def test_workers_yield_the_cores_to_the_serial_part(pool) -> None:
    """Workers run at a lower priority than the process that ingests what they prepare."""
    import os

    from pipelines.workers import WORKER_NICENESS

    pool.submit(ArticleItem(url="http://a.test/n", site="a", fetched_at=FETCHED, title="通知",
                            paragraphs=["为推进产业高质量发展，现将有关事项通知如下。"])).result()
    for pid in pool.worker_pids():
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)
