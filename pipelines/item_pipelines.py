"""Thin Scrapy shells around the pure stages and the store.

One pipeline drives all stages (clean -> dedup -> store) through `pipelines.ingest.Ingestor`
because deciding an article's cluster and inserting its copy must happen as one step: split
over several Scrapy pipelines, two copies of one article could both be judged "new" between
the decision and the insert. This class only turns results into stats.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Optional

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.drift import coverage
from crawler.items import ArticleItem, RejectedPageItem
from pipelines.ingest import Ingestor
from pipelines.store_access import store_for

log = logging.getLogger(__name__)


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store_for(crawler)
        self.ingestor = Ingestor(self.store)
        # Per-site field coverage of freshly extracted articles, for drift warnings.
        self.coverage: dict[str, tuple[Counter[str], list[int]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IngestPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        run_id = self.stats.get_value("policy/run_id")
        if isinstance(item, RejectedPageItem):
            item.crawl_run_id = item.crawl_run_id or run_id
            self.store.save_rejection(item)
            self._count_rejection(item)
            return item
        if not isinstance(item, ArticleItem):
            return item
        item.crawl_run_id = item.crawl_run_id or run_id
        result = self.ingestor.ingest(item)
        for kind, count in result.cuts.items():
            self.stats.inc_value(f"spam/{kind}", count)
            if kind != "repeated_body":
                self.stats.inc_value("spam/removed", count)
        if result.rejection is not None:
            self._count_rejection(result.rejection)
            if result.rejection.reason == "spam_page":
                self.stats.inc_value("spam/page")
            raise DropItem(f"{result.rejection.reason}: {result.rejection.detail}")
        if result.outcome != "unchanged":
            self._observe_coverage(item)
        self.stats.inc_value(f"store/{result.outcome}")
        self.stats.inc_value(f"store/{result.outcome}/{item.site}")
        if result.relation and result.relation != "canonical" and result.outcome != "unchanged":
            self.stats.inc_value(f"dedup/{result.relation}")
        if result.save is not None and result.save.became_canonical:
            self.stats.inc_value("dedup/canonical_replaced")
        return item

    def _observe_coverage(self, item: ArticleItem) -> None:
        counts, lengths = self.coverage.setdefault(item.site, (Counter(), []))
        counts["articles"] += 1
        counts["published_at"] += item.published_at is not None
        counts["source"] += bool(item.source)
        counts["body"] += bool(item.paragraphs)
        lengths.append(len(item.body_text))

    def _count_rejection(self, item: RejectedPageItem) -> None:
        self.stats.inc_value("store/rejected")
        self.stats.inc_value(f"store/rejected/{item.reason}")
        self.stats.inc_value(f"store/rejected/{item.site}")

    def close_spider(self, spider: Optional[Spider] = None) -> None:
        # Runs before the spider_closed signal, so the run record sees the coverage.
        for site, (counts, lengths) in self.coverage.items():
            self.stats.set_value(
                f"coverage/{site}", coverage(counts["articles"], dict(counts), lengths)
            )
        self.ingestor.close()
