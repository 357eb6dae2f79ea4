"""Scrapy extensions of the project: the run record of every crawl."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pipelines.store_access import store_for

log = logging.getLogger(__name__)


STAGE_PREFIXES = ("dedup/", "spam/", "store/", "rejected/", "incremental/", "crawl/", "robots/")


def run_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The crawl_runs figures, derived from the crawler's stats (one place, used by the CLI too)."""
    new_articles = stats.get("store/new_article", 0)
    new_copies = stats.get("store/new_copy", 0)
    sites = stats.get("policy/sites") or []
    per_site = {
        name: {
            "pages": stats.get(f"site/{name}/pages", 0),
            "articles_new": stats.get(f"store/new_article/{name}", 0),
            "copies_new": stats.get(f"store/new_article/{name}", 0)
            + stats.get(f"store/new_copy/{name}", 0),
            "unchanged": stats.get(f"incremental/unchanged/{name}", 0),
            "errors": stats.get(f"site/{name}/errors", 0),
        }
        for name in sites
    }
    return {
        "pages": stats.get("downloader/response_count", 0),
        "articles_new": new_articles,
        "copies_new": new_articles + new_copies,
        "duplicates": new_copies,
        "spam_removed": stats.get("spam/removed", 0) + stats.get("spam/page", 0),
        "rejected": stats.get("store/rejected", 0),
        "errors": stats.get("crawl/errors", 0) + stats.get("log_count/ERROR", 0),
        "unchanged": stats.get("incremental/unchanged", 0),
        "stats": {
            "sites": per_site,
            # Every stage's counters (dedup/near_duplicate, spam/hidden_block, store/rejected/…)
            "stages": {
                key: value for key, value in sorted(stats.items())
                if key.startswith(STAGE_PREFIXES) and isinstance(value, (int, float))
            },
        },
    }


def run_status(reason: str, figures: dict[str, Any]) -> str:
    if reason != "finished":
        return "failed"
    if figures["pages"] == 0 and figures["errors"] > 0:
        return "failed"  # nothing could be fetched at all (offline, DNS, every start URL dead)
    return "ok"


class RunRecorder:
    """Opens a `crawl_runs` row when the spider opens and completes it when it closes.

    A process killed before `spider_closed` leaves its row `running` with no `finished_at`:
    visibly unfinished, never silently "ok".
    """

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("RUN_RECORDS_ENABLED", True):
            raise NotConfigured("RUN_RECORDS_ENABLED is off")
        self.crawler = crawler
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunRecorder":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        stats = self.crawler.stats
        sites = list(getattr(spider, "sites", None) or [spider.name])
        stats.set_value("policy/sites", sites)
        self.run_id = store_for(self.crawler).start_run(sites, command=spider.name)
        stats.set_value("policy/run_id", self.run_id)
        log.info("crawl run %d started for %s", self.run_id, ", ".join(sites))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        figures = run_figures(self.crawler.stats.get_stats())
        status = run_status(reason, figures)
        self.crawler.stats.set_value("policy/run_status", status)
        store_for(self.crawler).finish_run(self.run_id, status, {**figures, "message": None if reason == "finished" else f"closed: {reason}"})
