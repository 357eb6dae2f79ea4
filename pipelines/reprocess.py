"""Re-running extraction, cleaning and dedup over the kept raw pages, without fetching.

When an extractor or a threshold improves, past articles improve too. Two modes:

* in place (default): every kept page is extracted and cleaned again and goes through the
  ingest path like a fresh fetch of the same bytes. Rows keep their ids; changed fields and
  bodies are updated, cuts re-recorded. Idempotent: a second run changes nothing.
* rebuild: the derived tables (articles, copies, cuts, dedup index, spam/not-article
  rejections) are emptied and rebuilt from the raw pages in fetch order, exactly as a crawl
  would have built them. Article ids are renumbered. Only for the whole store.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Optional

from crawler.items import ArticleItem, RawPageRecord
from crawler.registry import Site
from pipelines.ingest import Ingestor, PreparedPage, prepare_page
from pipelines.store import ArticleStore
from pipelines.workers import ExtractJob, Extracted, StagePool, default_processes, extract_item

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

#: Pages written per transaction.
BATCH_SIZE = 500


@dataclass
class ReprocessReport:
    run_id: int
    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    missing_parts: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "articles_new": self.outcomes["new_article"],
            "copies_new": self.outcomes["new_article"] + self.outcomes["new_copy"],
            "duplicates": self.outcomes["new_copy"],
            "rejected": self.outcomes["rejected"],
            "unchanged": self.outcomes["unchanged"],
            "stats": {"outcomes": dict(self.outcomes), "missing_parts": self.missing_parts},
        }


def _join_parts(store: ArticleStore, job: ExtractJob, item: ArticleItem, next_pages: Sequence[str],
                report: ReprocessReport) -> None:
    for url in next_pages:
        part_raw = store.raw_page(url)
        if part_raw is None:
            report.missing_parts += 1
            item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
            continue
        part, _ = extract_item(replace(job, raw=part_raw))
        item.add_part(part)


def _job(site: str, raw: RawPageRecord, sites: dict[str, Site], ingestor: Ingestor) -> ExtractJob:
    registry_site = sites.get(site)
    judged = ingestor.frequencies.judged(site)  # to cut the page ahead in the worker
    if registry_site is None:
        return ExtractJob(site, raw, judged=judged)
    return ExtractJob(site, raw, registry_site.selectors or None, registry_site.parser, judged)


def reprocess(
    store: ArticleStore,
    *,
    site: Optional[str] = None,
    since: Optional[datetime] = None,
    rebuild: bool = False,
    sites: Optional[dict[str, Site]] = None,
    progress: Optional[Progress] = None,
    workers: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
) -> ReprocessReport:
    """Extract, clean and dedup the kept pages again (see the module docstring).

    `workers`: processes for extraction and cleaning (default: one per core but one; 0 runs
    everything in this process). Pages are written `batch_size` to a transaction.
    """
    if rebuild and (site or since):
        raise ValueError("--rebuild rebuilds the whole store; it cannot be combined with --site/--since")
    scope = [site] if site else store.raw_page_sites()
    run_id = store.start_run(scope, command="reprocess")
    report = ReprocessReport(run_id)
    status = "failed"
    registry = sites or {}
    try:
        if rebuild:
            store.clear_derived()
        ingestor = Ingestor(store)
        total = store.count_raw_pages(site, since)
        jobs = (_job(site_name, raw, registry, ingestor)
                for site_name, raw in store.raw_pages(site, since))

        last_url = ""  # of the last page taken: a batch ends with the page last taken

        def prepared_pages(pool: StagePool) -> Iterator[PreparedPage]:
            nonlocal last_url
            for job, extracted in zip_jobs(pool, jobs):
                prepared = extracted.prepared
                if prepared is None:
                    # A multi-page article: its later pages come from the store, here.
                    assert extracted.item is not None
                    _join_parts(store, job, extracted.item, extracted.next_pages, report)
                    prepared = prepare_page(extracted.item, ingestor.params)
                prepared.prepared.cleaned.item.crawl_run_id = run_id
                last_url = prepared.url
                yield prepared

        with StagePool(default_processes(caller_busy=False) if workers is None else workers,
                       ingestor.params) as pool:
            # Each page is written as it arrives, while the workers prepare the next ones.
            for results in ingestor.ingest_stream(prepared_pages(pool), batch_size):
                for result in results:
                    report.outcomes[result.outcome] += 1
                report.pages += len(results)
                if progress is not None:
                    progress(report.pages, total, last_url)
        ingestor.close()
        status = "ok"
    finally:
        store.finish_run(run_id, status, report.figures())
    return report


def zip_jobs(pool: StagePool, jobs: Iterable[ExtractJob]) -> Iterator[tuple[ExtractJob, Extracted]]:
    """(job, what the pool made of it), in order."""
    sent: deque[ExtractJob] = deque()

    def remember(jobs: Iterable[ExtractJob]) -> Iterator[ExtractJob]:
        for job in jobs:
            sent.append(job)
            yield job

    for extracted in pool.extract(remember(jobs)):
        yield sent.popleft(), extracted
