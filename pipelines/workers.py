"""Worker processes for the pure stages, so that ingestion uses every core.

Extraction and `pipelines.ingest.prepare_page` are pure functions of one page and take most of
the CPU a page costs; the serial part (paragraph counts, near-duplicate decision, the store's
writes) stays in the calling process. `StagePool` runs the pure part in worker processes and
hands the results back in input order, with a bounded number of pages in flight (memory stays
flat however many pages go through). With `processes=0` the same calls run inline, so callers
have one code path.

Workers are started by a fork server that has imported the stages once: they start fast, and
never inherit the caller's threads or open connections.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Optional, TypeVar

from crawler.items import ArticleItem, RawPageRecord
from pipelines.dedup import DedupParams
from pipelines.ingest import PreparedPage, prepare_page

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

#: Pages sent to a worker at a time: large enough that the hand-over costs little per page.
CHUNK = 16
#: Chunks in flight: enough for the workers to run ahead while the caller writes a batch of
#: 500 pages (~2 batches), few enough to bound memory (~1,000 pages of ~30 KB).
WINDOW = 64


#: Cyclic garbage collector thresholds of the processes that ingest (`gc.set_threshold`). The
#: stages allocate and free millions of small containers that refcounting alone reclaims; at
#: Python's default (a young collection every 700 allocations, an older one every 7,000) the
#: collector keeps walking the memos and the index, 5-12 % of the CPU of ingestion and 60 % of
#: unpickling a page handed back by a worker. Cycles are still collected, 70x less often.
GC_THRESHOLDS = (50_000, 20, 20)


def default_processes(caller_busy: bool = True) -> int:
    """Worker processes for this machine, at least one.

    `caller_busy`: the calling process has much work of its own besides the serial part (a
    crawl: Scrapy and extraction on the reactor), so one worker per core beyond its own.
    Otherwise (`reprocess`, whose workers extract too) one per core: the serial part leaves
    its process idle part of the time, and the extra worker fills it (reprocess of 3,000 kept
    pages on 2 cores: 121 pages/s with one worker, 193 with two).
    """
    cores = os.cpu_count() or 1
    return max(1, cores - 1 if caller_busy else cores)


@dataclass(frozen=True)
class ExtractJob:
    """One kept page 1 to extract again (see `pipelines.reprocess`)."""

    site: str
    raw: RawPageRecord
    selectors: Optional[dict[str, Any]] = None
    parser: Optional[str] = None
    #: The paragraph counter's verdicts on the site so far (`ParagraphFrequency.judged`).
    judged: Optional[Mapping[int, str]] = None


@dataclass(frozen=True)
class Extracted:
    """What a worker made of an `ExtractJob`.

    `prepared` when the page is complete; otherwise (`next_pages`: its later pages must be
    joined first, which needs the store) the extracted `item`, for the caller to finish.
    """

    prepared: Optional[PreparedPage]
    item: Optional[ArticleItem]
    next_pages: tuple[str, ...] = ()


def extract_item(job: ExtractJob) -> tuple[ArticleItem, list[str]]:
    """The article item of one kept page, and the URLs of its later pages."""
    from crawler.extractors import charset_of_content_type, decode_html, parser_for
    from crawler.items import item_from_page

    raw = job.raw
    decoded = decode_html(raw.body, charset_of_content_type(raw.content_type))
    page = parser_for(job.site, job.selectors or None, job.parser).parse(decoded.text, raw.url)
    page.encoding = decoded.encoding
    item = item_from_page(
        page, site=job.site, fetched_at=raw.fetched_at, http_status=raw.http_status,
        etag=raw.etag, last_modified=raw.last_modified,
    )
    return item, list(page.next_pages)


# --- what runs in a worker (module-level functions: they are pickled by name) ---------------

def _leave_with(owner: int) -> None:
    """Exit when the process that started the pool is gone (killed, crashed): a worker waits on
    a queue whose other end it holds itself, so it would otherwise never notice."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass  # alive, another user's process cannot be ours: keep going

    threading.Thread(target=watch, name="leave-with-owner", daemon=True).start()


# True in a worker process: what it prepares is finished in another process.
_IN_WORKER = False


#: Niceness added to a worker process. The serial part (one process, which every page waits on)
#: is never descheduled for a worker that is ahead of it anyway: with two workers and the
#: caller on two cores, 765-833 docs/s against 705-721 at equal priority (2,000 corpus pages).
WORKER_NICENESS = 10


def _worker_started(owner: int) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    gc.set_threshold(*GC_THRESHOLDS)
    _leave_with(owner)


class _SentBodyHtml:
    """Stands, in what a worker sends back, for a body HTML that is the very string the caller
    sent (a Simplified page nothing was cut from: ~90 % of pages). The caller puts its own
    string back (`_give_back`) instead of decoding ~8 KB of text again: 13 us a page in the
    process every page waits on. Pickled by name, so it is the same object on both sides."""

    def __reduce__(self) -> str:
        return "SENT_BODY_HTML"

    def __repr__(self) -> str:
        return "SENT_BODY_HTML"


SENT_BODY_HTML = _SentBodyHtml()


def _prepare(item: ArticleItem, params: DedupParams, judged: Optional[Mapping[int, str]]) -> PreparedPage:
    page = prepare_page(item, params, judged)
    if not _IN_WORKER:
        return page
    # The paragraph counter reads the evidence as arrays (`evidence_arrays`): the per-paragraph
    # objects (~240 a page) stay here instead of being pickled and unpickled; what only a page
    # the counter cuts needs goes as one blob (`PreparedItem.deferred`).
    return replace(page, prepared=replace(page.prepared, evidence=()).deferred())


def _cleaned_items(page: PreparedPage) -> list[ArticleItem]:
    """The cleaned item(s) of a prepared page: as the worker cleaned it, and as cut ahead."""
    items = [page.prepared.cleaned.item]
    if page.prepared.guess is not None:
        items.append(page.prepared.guess[1].item)
    return items


def _prepare_chunk(
    items: Sequence[tuple[ArticleItem, Optional[Mapping[int, str]]]], params: DedupParams
) -> list[PreparedPage]:
    """`prepare_page` of items the caller sent, which it keeps: a body HTML left as it was
    goes back as `SENT_BODY_HTML`."""
    pages = []
    for item, judged in items:
        page = _prepare(item, params, judged)
        if _IN_WORKER and item.body_html:
            for cleaned in _cleaned_items(page):
                if cleaned.body_html is item.body_html:
                    cleaned.body_html = SENT_BODY_HTML  # type: ignore[assignment]
        pages.append(page)
    return pages


def _extract_chunk(jobs: Sequence[ExtractJob], params: DedupParams) -> list[Extracted]:
    out = []
    for job in jobs:
        item, next_pages = extract_item(job)
        if next_pages:
            out.append(Extracted(None, item, tuple(next_pages)))
        else:
            out.append(Extracted(_prepare(item, params, job.judged), None))
    return out


class StagePool:
    """The pure stages in `processes` worker processes (0: inline), results in input order.

    While the pool is open, the calling process collects garbage at `GC_THRESHOLDS`, as the
    workers do (it runs the serial part and unpickles what they send back); `close` puts its
    own thresholds back.
    """

    def __init__(self, processes: int = 0, params: DedupParams = DedupParams()) -> None:
        self.processes = processes
        self.params = params
        self._gc_before: Optional[tuple[int, int, int]] = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        self._executor: Optional[ProcessPoolExecutor] = None
        if processes > 0:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipelines.workers"])
            self._executor = ProcessPoolExecutor(
                processes, mp_context=context, initializer=_worker_started, initargs=(os.getpid(),)
            )
            _widen_pipes(self._executor)

    def prepare(
        self, items: Iterable[ArticleItem], judged: Optional[Callable[[str], Mapping[int, str]]] = None
    ) -> Iterator[PreparedPage]:
        """`prepare_page` of every item. The served bytes (`raw_pages`) stay in this process.
        `judged(site)`: the paragraph counter's verdicts, read as each page is sent."""

        def job(item: ArticleItem) -> tuple[ArticleItem, Optional[Mapping[int, str]]]:
            sent = item
            if item.raw_pages:
                sent = replace(item, raw_pages=[])
                raw_pages[id(sent)] = item.raw_pages
            return sent, judged(item.site) if judged is not None else None

        raw_pages: dict[int, list[RawPageRecord]] = {}
        for (sent, _), prepared in self._run(_prepare_chunk, map(job, items)):
            _give_back(prepared, sent, raw_pages.pop(id(sent), None))
            yield prepared

    def submit(
        self, item: ArticleItem, judged: Optional[Mapping[int, str]] = None
    ) -> Future[PreparedPage]:
        """`prepare_page(item)` in a worker; the future's callbacks run on the pool's thread.
        The served bytes stay in this process and are put back on the result."""
        if self._executor is None:
            raise RuntimeError("submit() needs worker processes (processes > 0)")
        raw_pages = item.raw_pages
        sent_item = replace(item, raw_pages=[])
        sent = self._executor.submit(_prepare_chunk, [(sent_item, judged)], self.params)
        result: Future[PreparedPage] = Future()

        def done(future: Future[list[PreparedPage]]) -> None:
            if future.cancelled():  # the pool was shut down (a worker died) before it ran
                result.set_exception(RuntimeError("cancelled: the worker pool was shut down"))
                return
            error = future.exception()
            if error is not None:
                result.set_exception(error)
                return
            (prepared,) = future.result()
            _give_back(prepared, sent_item, raw_pages)
            result.set_result(prepared)

        sent.add_done_callback(done)
        return result

    def extract(self, jobs: Iterable[ExtractJob]) -> Iterator[Extracted]:
        """Extraction of kept pages and `prepare_page` of the complete ones."""
        for _, extracted in self._run(_extract_chunk, jobs):
            yield extracted

    def _run(
        self, work: Callable[[Sequence[J], DedupParams], list[R]], jobs: Iterable[J]
    ) -> Iterator[tuple[J, R]]:
        if self._executor is None:
            for job in jobs:
                yield job, work([job], self.params)[0]
            return
        window = max(WINDOW, 4 * self.processes)
        pending: deque[tuple[list[J], Future[list[R]]]] = deque()
        chunks = _chunked(jobs, CHUNK)
        for chunk in chunks:
            pending.append((chunk, self._executor.submit(work, chunk, self.params)))
            if len(pending) >= window:
                yield from self._collect(pending.popleft())
        while pending:
            yield from self._collect(pending.popleft())

    @staticmethod
    def _collect(entry: tuple[list[J], Future[list[R]]]) -> Iterator[tuple[J, R]]:
        chunk, future = entry
        yield from zip(chunk, future.result())

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for measurements)."""
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


#: Bytes each pipe between this process and its workers holds (Linux, `F_SETPIPE_SZ`): a chunk
#: of pages goes through whole, ~300 KB to a worker and ~600 KB back.
PIPE_BYTES = 1 << 20


def _widen_pipes(executor: ProcessPoolExecutor) -> None:
    """Widen the pool's call and result pipes to `PIPE_BYTES` (or the system's maximum).

    At the default 64 KB, a worker's write of a chunk's results blocks until this process has
    read them, 64 KB at a time, and each read waits for the GIL that the ingesting thread
    holds: with one worker, the worker stood ~5 ms between chunks of ~15 ms (reprocess of
    2,000 corpus pages: 0.55 s of gaps over 5 ms in a 3 s run; 0.14 s with 1 MB pipes, +18 %
    pages/s). Elsewhere (no `F_SETPIPE_SZ`, a lower limit) the pipes stay as they are.
    """
    try:
        import fcntl

        set_size = fcntl.F_SETPIPE_SZ
        pipes = [executor._result_queue._reader, executor._call_queue._writer]  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        log.debug("pipes to the workers left at their default size")
        return
    size = PIPE_BYTES
    try:
        with open("/proc/sys/fs/pipe-max-size") as limit:
            size = min(size, int(limit.read()))
    except (OSError, ValueError):
        pass
    for pipe in pipes:
        try:
            fcntl.fcntl(pipe.fileno(), set_size, size)
        except OSError as exc:
            log.debug("pipe to the workers left at its default size: %s", exc)


def _give_back(
    prepared: PreparedPage, sent: ArticleItem, raw_pages: Optional[list[RawPageRecord]]
) -> None:
    """Put what this process kept of the item it sent back on the cleaned item(s): the served
    bytes (never sent), and the body HTML where the worker left it as it was."""
    for cleaned in _cleaned_items(prepared):
        if cleaned.body_html is SENT_BODY_HTML:
            cleaned.body_html = sent.body_html
        if raw_pages:
            cleaned.raw_pages = raw_pages


def _chunked(jobs: Iterable[J], size: int) -> Iterator[list[J]]:
    chunk: list[J] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
