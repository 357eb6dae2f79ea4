"""Worker processes for the pure stages, so that ingestion uses every core.

Extraction and `pipelines.ingest.prepare_page` are pure functions of one page and take most of
the CPU a page costs; the serial part (paragraph counts, near-duplicate decision, the store's
writes) stays in the calling process. `StagePool` runs a pure function over pages in worker
processes and hands the results back in input order, with a bounded number of pages in flight
(memory stays flat however many pages go through). With `processes=0` the same calls run
inline, so callers have one code path.

What crosses to a worker and back is plain picklable data: an `ArticleItem` without its served
bytes (they stay here and are put back on the result), and a `PreparedPage`.

Workers are started by a fork server that has imported the stages once: they start fast, and
never inherit the caller's threads or open connections.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from typing import Optional, TypeVar

from pipelines.dedup import DedupParams
from pipelines.ingest import PreparedPage, prepare_page
from pipelines.items import ArticleItem

J = TypeVar("J")
R = TypeVar("R")

#: Pages sent to a worker at a time: large enough that the hand-over costs little per page.
CHUNK = 16
#: Chunks in flight: enough for the workers to run ahead while the caller writes a batch of
#: 500 pages (~2 batches), few enough to bound memory (~1,000 pages of ~30 KB).
WINDOW = 64
#: Niceness added to a worker: the serial part, which every page waits on, is never descheduled
#: for a worker that is ahead of it anyway (~10 % more pages/s with two workers on two cores).
WORKER_NICENESS = 10
#: Cyclic garbage collector thresholds of the processes that ingest, workers and caller. The
#: stages allocate and free many small containers that reference counting alone reclaims; at
#: Python's default (a young collection every 700 allocations) the collector keeps walking the
#: crawler's and the index's live objects. Cycles are still collected, 70x less often.
GC_THRESHOLDS = (50_000, 20, 20)


def default_processes(caller_busy: bool = True) -> int:
    """Worker processes for this machine, at least one.

    `caller_busy`: the calling process has much work of its own besides the serial part (a
    crawl: Scrapy and extraction on the reactor), so one worker per core beyond its own.
    Otherwise (`reprocess`, whose workers extract too) one per core: the serial part leaves
    its process idle part of the time, and the extra worker fills it.
    """
    cores = os.cpu_count() or 1
    return max(1, cores - 1 if caller_busy else cores)


def _worker_started(owner: int) -> None:
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    gc.set_threshold(*GC_THRESHOLDS)
    # Exit when the process that started the pool is gone (killed, crashed): a worker waits on
    # a queue whose other end it holds itself, so it would otherwise never notice.
    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass  # alive: another user's process cannot be ours

    threading.Thread(target=watch, name="leave-with-owner", daemon=True).start()


def _apply(function: Callable[[J], R], chunk: Sequence[J]) -> list[R]:
    return [function(job) for job in chunk]


class StagePool:
    """Pure stages in `processes` worker processes (0: inline), results in input order.

    While the pool is open, the calling process collects garbage at `GC_THRESHOLDS` too (it
    runs the serial part and unpickles what the workers send back); `close` restores its own.
    """

    def __init__(self, processes: int = 0, params: DedupParams = DedupParams(),
                 preload: Sequence[str] = ()) -> None:
        """`preload`: modules the workers import once, besides the cleaning stages (those of
        the functions given to `map`)."""
        self.processes = processes
        self.params = params
        self._gc_before: Optional[tuple[int, int, int]] = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        self._executor: Optional[ProcessPoolExecutor] = None
        if processes > 0:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipelines.workers", *preload])
            self._executor = ProcessPoolExecutor(
                processes, mp_context=context, initializer=_worker_started, initargs=(os.getpid(),)
            )

    def prepare(self, items: Iterable[ArticleItem]) -> Iterator[PreparedPage]:
        """`prepare_page` of every item, in order. The served bytes stay in this process."""
        kept: deque[ArticleItem] = deque()

        def sent(items: Iterable[ArticleItem]) -> Iterator[tuple[ArticleItem, DedupParams]]:
            for item in items:
                kept.append(item)
                yield replace(item, raw_pages=[]), self.params

        for page in self.map(prepare_sent, sent(items)):
            page.prepared.cleaned.item.raw_pages = kept.popleft().raw_pages
            yield page

    def submit(self, item: ArticleItem) -> Future[PreparedPage]:
        """`prepare_page(item)` in a worker; the future's callbacks run on the pool's thread.
        The served bytes stay in this process and are put back on the result."""
        if self._executor is None:
            raise RuntimeError("submit() needs worker processes (processes > 0)")
        result: Future[PreparedPage] = Future()

        def done(future: Future[PreparedPage]) -> None:
            if future.cancelled():  # the pool was shut down (a worker died) before it ran
                result.set_exception(RuntimeError("cancelled: the worker pool was shut down"))
            elif future.exception() is not None:
                result.set_exception(future.exception())  # type: ignore[arg-type]
            else:
                page = future.result()
                page.prepared.cleaned.item.raw_pages = item.raw_pages
                result.set_result(page)

        sent = (replace(item, raw_pages=[]), self.params)
        self._executor.submit(prepare_sent, sent).add_done_callback(done)
        return result

    def map(self, function: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        """`function(job)` of every job, in order; `function` must be importable by name."""
        if self._executor is None:
            yield from map(function, jobs)
            return
        window = max(WINDOW, 4 * self.processes)
        pending: deque[Future[list[R]]] = deque()
        for chunk in _chunked(jobs, CHUNK):
            pending.append(self._executor.submit(_apply, function, chunk))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for measurements and tests)."""
        if self._executor is None:
            return []
        return list(getattr(self._executor, "_processes", {}) or {})

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._gc_before is not None:
            gc.set_threshold(*self._gc_before)
            self._gc_before = None

    def __enter__(self) -> StagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_sent(job: tuple[ArticleItem, DedupParams]) -> PreparedPage:
    """`prepare_page` of an item sent to a worker with the pool's parameters."""
    item, params = job
    return prepare_page(item, params)


def _chunked(jobs: Iterable[J], size: int) -> Iterator[list[J]]:
    chunk: list[J] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
