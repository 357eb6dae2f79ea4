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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from crawler.extractors import decode_html, parser_for
from crawler.items import ArticleItem, RawPageRecord, RejectedPageItem, item_from_page
from crawler.registry import Site
from pipelines.ingest import Ingestor
from pipelines.store import ArticleStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


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


def _charset(content_type: Optional[str]) -> Optional[str]:
    if content_type and "charset=" in content_type.lower():
        return content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
    return None


def rebuild_item(store: ArticleStore, site: str, raw: RawPageRecord, sites: dict[str, Site],
                 report: ReprocessReport) -> ArticleItem:
    """The article item of one kept page 1, its later pages joined from the kept parts."""
    registry_site = sites.get(site)
    parser = parser_for(site, (registry_site.selectors or None) if registry_site else None,
                        registry_site.parser if registry_site else None)

    def extract(record: RawPageRecord) -> tuple[ArticleItem, list[str]]:
        """The page's item, and the URLs of its later pages."""
        decoded = decode_html(record.body, _charset(record.content_type))
        page = parser.parse(decoded.text, record.url)
        page.encoding = decoded.encoding
        return item_from_page(
            page, site=site, fetched_at=record.fetched_at, http_status=record.http_status,
            etag=record.etag, last_modified=record.last_modified,
        ), page.next_pages

    item, next_pages = extract(raw)
    for url in next_pages:
        part_raw = store.raw_page(url)
        if part_raw is None:
            report.missing_parts += 1
            item.signals["missing_parts"] = item.signals.get("missing_parts", 0) + 1
            continue
        part, _ = extract(part_raw)
        item.add_part(part)
    return item


def reprocess(
    store: ArticleStore,
    *,
    site: Optional[str] = None,
    since: Optional[datetime] = None,
    rebuild: bool = False,
    sites: Optional[dict[str, Site]] = None,
    progress: Optional[Progress] = None,
) -> ReprocessReport:
    if rebuild and (site or since):
        raise ValueError("--rebuild rebuilds the whole store; it cannot be combined with --site/--since")
    scope = [site] if site else store.raw_page_sites()
    run_id = store.start_run(scope, command="reprocess")
    report = ReprocessReport(run_id)
    status = "failed"
    try:
        if rebuild:
            store.clear_derived()
        ingestor = Ingestor(store)
        total = store.count_raw_pages(site, since)
        for site_name, raw in store.raw_pages(site, since):
            item = rebuild_item(store, site_name, raw, sites or {}, report)
            item.crawl_run_id = run_id
            if item.paragraphs:
                result = ingestor.ingest(item)
                report.outcomes[result.outcome] += 1
            else:
                store.save_rejection(RejectedPageItem(
                    url=item.url, site=site_name, reason="empty_body",
                    detail="no body text on re-extraction", fetched_at=raw.fetched_at,
                    crawl_run_id=run_id,
                ))
                report.outcomes["rejected"] += 1
            report.pages += 1
            if progress is not None:
                progress(report.pages, total, raw.url)
        ingestor.close()
        status = "ok"
    finally:
        store.finish_run(run_id, status, report.figures())
    return report
