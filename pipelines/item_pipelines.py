"""Thin Scrapy shells around the pure stages and the store.

Each class builds its heavy objects once, calls the pure core and turns the result into an
item, a DropItem or a stats increment. No stage logic lives here.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import ArticleItem, RejectedPageItem
from pipelines.store import ArticleStore
from pipelines.store_access import store_for

log = logging.getLogger(__name__)


class StorePipeline:
    """Writes each item in its own short transaction (idempotent by URL)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store: ArticleStore = store_for(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        run_id = self.stats.get_value("policy/run_id")
        if isinstance(item, RejectedPageItem):
            item.crawl_run_id = item.crawl_run_id or run_id
            self.store.save_rejection(item)
            self.stats.inc_value("store/rejected")
            self.stats.inc_value(f"store/rejected/{item.reason}")
            return item
        if isinstance(item, ArticleItem):
            item.crawl_run_id = item.crawl_run_id or run_id
            outcome = self.store.save_article(item)
            self.stats.inc_value(f"store/{outcome.outcome}")
            self.stats.inc_value(f"store/{outcome.outcome}/{item.site}")
            if outcome.relation not in ("canonical",):
                self.stats.inc_value(f"dedup/{outcome.relation}")
            return item
        return item
