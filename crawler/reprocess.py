"""Re-running extraction, cleaning and dedup over the kept raw pages, without fetching.

When an extractor or a threshold improves, past articles improve too. Two modes:

* in place (default): every kept page is extracted and cleaned again and goes through the
  ingest path like a fresh fetch of the same bytes. Rows keep their ids; changed fields and
  bodies are updated, cuts re-recorded. Idempotent: a second run changes nothing.
* rebuild: the derived tables (articles, copies, cuts, dedup index, spam/not-article
  rejections, the articles' attachment links) are emptied and rebuilt from the raw pages in
  fetch order, exactly as a crawl would have built them. Article ids are renumbered. Only for
  the whole store.

Attached files are kept in both modes (never fetched nor read again): the articles' links are
made again from their pages, find their files by URL (`attachment_urls`), and every link is
judged again at the end (is the file the article's body, a copy of another article?).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import tee
from typing import Any, Optional

from crawler.extractors import charset_of_content_type, decode_html, parser_for
from crawler.items import item_from_page
from crawler.registry import Site
from pipelines.dedup import DedupParams
from pipelines.ingest import Ingestor, PreparedPage, prepare_page
from pipelines.items import ArticleItem, RawPageRecord
from pipelines.store import ArticleStore
from pipelines.workers import StagePool, default_processes

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
    #: Attachment links of the articles resolved to a stored file.
    files_linked: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "articles_new": self.outcomes["new_article"],
            "copies_new": self.outcomes["new_article"] + self.outcomes["new_copy"],
            "duplicates": self.outcomes["new_copy"],
            "rejected": self.outcomes["rejected"],
            "unchanged": self.outcomes["unchanged"],
            "stats": {"outcomes": dict(self.outcomes), "missing_parts": self.missing_parts,
                      "files_linked": self.files_linked},
        }


@dataclass(frozen=True)
class ExtractJob:
    """One kept page 1 to extract again, and what its site's registry entry says."""

    site: str
    raw: RawPageRecord
    selectors: Optional[dict[str, Any]] = None
    parser: Optional[str] = None
    params: DedupParams = DedupParams()


@dataclass(frozen=True)
class Extracted:
    """What a worker made of an `ExtractJob`: the prepared page when it is complete; otherwise
    (`next_pages`: its later pages must be joined first, which needs the store) the extracted
    `item`, for the caller to finish."""

    prepared: Optional[PreparedPage]
    item: Optional[ArticleItem]
    next_pages: tuple[str, ...] = ()


def extract_item(job: ExtractJob) -> tuple[ArticleItem, list[str]]:
    """The article item of one kept page, and the URLs of its later pages."""
    raw = job.raw
    decoded = decode_html(raw.body, charset_of_content_type(raw.content_type))
    page = parser_for(job.site, job.selectors or None, job.parser).parse(decoded.text, raw.url)
    page.encoding = decoded.encoding
    item = item_from_page(
        page, site=job.site, fetched_at=raw.fetched_at, http_status=raw.http_status,
        etag=raw.etag, last_modified=raw.last_modified,
    )
    return item, list(page.next_pages)


def extract_and_prepare(job: ExtractJob) -> Extracted:
    """What runs in a worker: extraction, and the pure stages of a complete page."""
    item, next_pages = extract_item(job)
    if next_pages:
        return Extracted(None, item, tuple(next_pages))
    return Extracted(prepare_page(item, job.params), None)


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


def _job(site: str, raw: RawPageRecord, sites: dict[str, Site], params: DedupParams) -> ExtractJob:
    registry_site = sites.get(site)
    if registry_site is None:
        return ExtractJob(site, raw, params=params)
    return ExtractJob(site, raw, registry_site.selectors or None, registry_site.parser, params)


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
        jobs = (_job(site_name, raw, registry, ingestor.params)
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
                       ingestor.params, preload=["crawler.reprocess"]) as pool:
            # Each page is written as it arrives, while the workers prepare the next ones.
            for results in ingestor.ingest_stream(prepared_pages(pool), batch_size):
                for result in results:
                    report.outcomes[result.outcome] += 1
                report.pages += len(results)
                if progress is not None:
                    progress(report.pages, total, last_url)
        report.files_linked = ingestor.judge_files()
        ingestor.close()
        status = "ok"
    finally:
        store.finish_run(run_id, status, report.figures())
    return report


def zip_jobs(pool: StagePool, jobs: Iterable[ExtractJob]) -> Iterator[tuple[ExtractJob, Extracted]]:
    """(job, what the pool made of it), in order."""
    kept, sent = tee(jobs)
    return zip(kept, pool.map(extract_and_prepare, sent))
