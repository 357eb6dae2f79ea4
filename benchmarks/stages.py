"""The measured stages of `python -m benchmarks run`: each a function over the prepared corpus.

A measurement runs a stage once for time (wall and CPU) and once more, on at most
`MEMORY_SAMPLE` documents, under tracemalloc for its peak Python/numpy allocation (tracemalloc
slows allocation-heavy code down, so it never runs during the timed pass).
"""

from __future__ import annotations

import gc
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.corpus import Document, render_page

MEMORY_SAMPLE = 500


@dataclass
class Measurement:
    stage: str
    docs: int
    wall_s: float
    cpu_s: float
    peak_mb: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def ms_per_doc(self) -> float:
        return 1000 * self.wall_s / self.docs if self.docs else 0.0


def timed(stage: str, items: Sequence[Any], run: Callable[[Sequence[Any]], Any],
          memory: bool = True) -> tuple[Measurement, Any]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(items)
    measurement = Measurement(stage, len(items), time.perf_counter() - wall, time.process_time() - cpu)
    if memory:
        sample = items[: min(len(items), MEMORY_SAMPLE)]
        gc.collect()
        tracemalloc.start()
        try:
            run(sample)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        measurement.peak_mb = round(peak / 2**20, 2)
        measurement.notes["peak_over_docs"] = len(sample)
    return measurement, result


def rss_mb() -> float:
    """Current resident set size (Linux /proc), for index growth measurements."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- preparation ---------------------------------------------------------------------------

@dataclass
class Prepared:
    docs: list[Document]
    pages: list[bytes]
    items: list[Any] = field(default_factory=list)  # ArticleItem per article page


def render(docs: Sequence[Document]) -> list[bytes]:
    return [render_page(doc) for doc in docs]


def extract_pages(prepared: Prepared) -> list[Any]:
    from crawler.extractors import extract

    return [extract(page, doc.url) for doc, page in zip(prepared.docs, prepared.pages)]


def items_from(prepared: Prepared, extracted: Sequence[Any]) -> list[Any]:
    from crawler.items import item_from_page

    fetched = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)
    return [
        item_from_page(page, site=doc.site, fetched_at=fetched)
        for doc, page in zip(prepared.docs, extracted)
    ]


# --- naive baseline ------------------------------------------------------------------------

def naive_baseline(texts: Sequence[str]) -> tuple[Measurement, Measurement, Measurement]:
    """(t2s + MinHash, t2s alone, MinHash alone) the naive way, on `texts`.

    t2s: opencc-python-reimplemented's `OpenCC("t2s").convert()` on every whole document (one
    converter, built beforehand: building one per call would add the dictionary load each time,
    reported in the notes). MinHash: datasketch `MinHash(128)` with one `update()` per 5-gram
    shingle of the comparison key (datasketch's default sha1 hash).
    """
    import opencc
    from datasketch import MinHash

    from pipelines.normalize import comparison_key

    start = time.perf_counter()
    converter = opencc.OpenCC("t2s")
    converter.convert("")
    build_ms = 1000 * (time.perf_counter() - start)

    def t2s(batch: Sequence[str]) -> list[str]:
        return [converter.convert(text) for text in batch]

    def minhash(batch: Sequence[str]) -> list[Any]:
        out = []
        for text in batch:
            key = comparison_key(text)
            m = MinHash(num_perm=128)
            for i in range(max(1, len(key) - 4)):
                m.update(key[i : i + 5].encode("utf-8"))
            out.append(m)
        return out

    t2s_m, converted = timed("naive t2s (opencc convert per doc)", texts, t2s, memory=False)
    t2s_m.notes["converter_build_ms"] = round(build_ms, 1)
    mh_m, _ = timed("naive MinHash (datasketch update per shingle)", converted, minhash, memory=False)
    both = Measurement("naive baseline (t2s + MinHash)", len(texts), t2s_m.wall_s + mh_m.wall_s,
                       t2s_m.cpu_s + mh_m.cpu_s)
    return both, t2s_m, mh_m


# --- stages ----------------------------------------------------------------------------------

def stage_normalise(items: Sequence[Any]) -> list[Any]:
    from pipelines.normalize import normalize_record

    return [normalize_record(item.title, item.paragraphs) for item in items]


def stage_t2s_only(texts: Sequence[str]) -> list[str]:
    from pipelines.normalize import to_simplified

    return [to_simplified(text) for text in texts]


def stage_spam(records: Sequence[tuple[Any, Any]]) -> list[Any]:
    from pipelines.spam.counter import ParagraphFrequency
    from pipelines.spam.lexicon import strip_spam_paragraphs
    from pipelines.spam.repeated import strip_repeated_body
    from pipelines.spam.verdict import classify_page
    from pipelines.text import paragraphs_of

    frequencies = ParagraphFrequency()
    out = []
    for item, normalized in records:
        kept, _ = strip_repeated_body(paragraphs_of(normalized.paragraphs))
        evidence = frequencies.evidence(kept)
        frequencies.observe(item.site, item.url, evidence)
        paragraphs, _ = strip_spam_paragraphs(kept, frequencies.kinds(item.site, evidence))
        out.append((paragraphs, classify_page(normalized.title, paragraphs, item.signals)))
    return out


LONG_PAGE_CHARS = 150_000


def long_page_repeated_body(chars: int = LONG_PAGE_CHARS) -> dict[str, float]:
    """CPU seconds of `strip_repeated_body` on one very long page, printed once and printed twice.

    A paragraph search that grows quadratically shows here first (such a page then takes tens of
    seconds); tests/pipelines/test_spam_fast.py checks what the cut keeps, this measures its time.
    """
    from benchmarks.corpus import build_corpus
    from pipelines.spam.repeated import strip_repeated_body

    def body(size: int, seed: int) -> list[str]:
        return list(build_corpus(1, seed=seed, duplicate_share=0.0, traditional_share=0.0, chars=size)[0].paragraphs)

    once, half = body(chars, 7), body(chars // 2, 8)
    # The second copy differs a little (every third paragraph), as a mobile copy often does.
    twice = [*half, *(p.replace("。", "；", 1) if i % 3 == 0 else p for i, p in enumerate(half))]
    figures: dict[str, float] = {"chars": chars}
    for name, page, expected in (("once", once, once), ("twice", twice, half)):
        gc.collect()
        cpu = time.process_time()
        kept, _ = strip_repeated_body(page)
        figures[f"{name}_cpu_s"] = round(time.process_time() - cpu, 3)
        assert kept == expected, f"strip_repeated_body cut the long page printed {name} wrongly"
    return figures


def stage_minhash(keys: Sequence[str]) -> list[Any]:
    from pipelines.minhash import MinHasher

    hasher = MinHasher()
    return [hasher.signature_of_key(key) for key in keys]


def stage_lsh(docs: Sequence[Any]) -> Any:
    from pipelines.dedup import DedupIndex

    index = DedupIndex()
    for i, doc in enumerate(docs):
        index.query(doc)
        index.add(i, doc)
    return index


def fresh_store(directory: Path) -> Any:
    from models.database import open_store
    from pipelines.store import ArticleStore

    directory.mkdir(parents=True, exist_ok=True)
    return ArticleStore(open_store(f"sqlite:///{directory / 'policy.db'}"))


def stage_db_write(items: Sequence[Any], directory: Path) -> Any:
    """`ArticleStore.save_article` (each a transaction), as the pipeline calls it."""
    store = fresh_store(directory)
    for item in items:
        store.save_article(item, dedup_entry=b"\0" * 2200)
    return store


def stage_db_batched(items: Sequence[Any], directory: Path) -> None:
    """What batching would buy: the same article + copy + dedup rows in one transaction."""
    from models import Article, ArticleCopy, DedupEntry
    from pipelines.store import article_fields, copy_fields

    store = fresh_store(directory)
    now = datetime.now(UTC)
    for start in range(0, len(items), 500):
        batch = items[start : start + 500]
        with store.sessions.begin() as session:
            articles = [Article(url=i.url, site=i.site, first_seen_at=now, updated_at=now,
                                **article_fields(i)) for i in batch]
            session.add_all(articles)
            session.flush()
            copies = [ArticleCopy(article_id=a.id, url=i.url, similarity=1.0, relation="canonical",
                                  crawl_run_id=None, **copy_fields(i)) for a, i in zip(articles, batch)]
            session.add_all(copies)
            session.flush()
            session.add_all(DedupEntry(copy_id=c.id, article_id=c.article_id, entry=b"\0" * 2200)
                            for c in copies)


def stage_raw_pages(pairs: Sequence[tuple[Any, bytes]], directory: Path) -> None:
    from pipelines.items import RawPageRecord

    store = fresh_store(directory)
    for item, page in pairs:
        store.save_raw_pages([RawPageRecord(item.url, page, item.fetched_at)], item.site, None)


def stage_end_to_end(items: Sequence[Any], directory: Path) -> Any:
    """The page-at-a-time path: `Ingestor.ingest` per page, one transaction each."""
    from pipelines.ingest import Ingestor

    ingestor = Ingestor(fresh_store(directory))
    outcomes: dict[str, int] = {}
    for item in items:
        _count(outcomes, ingestor.ingest(replace(item)))
    ingestor.close()
    return outcomes


def _count(outcomes: dict[str, int], result: Any) -> None:
    key = (result.relation if result.outcome != "rejected" else "rejected") or result.outcome
    outcomes[key] = outcomes.get(key, 0) + 1


#: Pages per transaction in the batched paths (what `policy-ingest reprocess` writes).
BATCH = 500


@dataclass
class WorkerCpu:
    """CPU seconds and peak RSS of a pool's worker processes, read from /proc (Linux)."""

    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0

    def read(self, pids: Sequence[int]) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        cpu, peak = 0.0, 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except (OSError, IndexError, ValueError):
                continue
        self.cpu_s, self.peak_rss_mb = cpu, peak


def stage_end_to_end_batched(items: Sequence[Any], directory: Path, pool: Any) -> Any:
    """The batch path (`reprocess`'s): `prepare_page` in the pool's worker processes (or here,
    without workers), each page ingested here as it arrives (`Ingestor.ingest_stream`), BATCH
    pages to a transaction."""
    from pipelines.ingest import Ingestor

    ingestor = Ingestor(fresh_store(directory))
    outcomes: dict[str, int] = {}
    pages = pool.prepare(replace(item) for item in items)
    for results in ingestor.ingest_stream(pages, BATCH):
        for result in results:
            _count(outcomes, result)
    ingestor.close()
    return outcomes


def stage_prepare(items: Sequence[Any]) -> list[Any]:
    """The pure part of ingestion (`prepare_page`): what worker processes run."""
    from pipelines.ingest import prepare_page

    return [prepare_page(replace(item)) for item in items]


def stage_serial(pages: Sequence[Any], directory: Path) -> Any:
    """The serial part: paragraph counts, decision, batched store writes. `pages` are used up
    (finish_item and the store annotate the items): pass a fresh copy for every run."""
    from pipelines.ingest import Ingestor

    ingestor = Ingestor(fresh_store(directory))
    for start in range(0, len(pages), BATCH):
        ingestor.ingest_prepared(pages[start : start + BATCH])
    return ingestor


def keep_raw_pages(docs: Sequence[Document], pages: Sequence[bytes], directory: Path) -> Any:
    """A store holding these pages as a crawl keeps them (`raw_pages`), nothing derived."""
    from pipelines.items import RawPageRecord

    store = fresh_store(directory)
    fetched = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)
    for start in range(0, len(docs), BATCH):
        def work(batch: Any, start: int = start) -> None:
            for doc, page in zip(docs[start : start + BATCH], pages[start : start + BATCH]):
                content_type = f"text/html; charset={doc.encoding}"
                batch.save_raw_pages([RawPageRecord(doc.url, page, fetched, content_type=content_type)],
                                     doc.site, None)
        store.write_batch(work)
    return store


def tempdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="policy-bench-")


def warm_up() -> None:
    """Import every stage and load opencc's tables before any timing (one-off costs)."""
    import datasketch  # noqa: F401

    import crawler.extractors  # noqa: F401
    import pipelines.ingest  # noqa: F401
    from pipelines.normalize import detect_script, to_simplified

    detect_script("發展")
    to_simplified("發展")
