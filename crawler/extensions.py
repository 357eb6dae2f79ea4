"""Scrapy extensions of the project: the run record of every crawl, and live progress."""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from pipelines.drift import drift_warnings
from pipelines.store_access import store_for

log = logging.getLogger(__name__)

STAGE_PREFIXES = (
    "dedup/", "spam/", "store/", "rejected/", "incremental/", "crawl/", "robots/", "distributed/",
    "attachments/",
)


def site_figures(stats: dict[str, Any], name: str) -> dict[str, Any]:
    new_articles = stats.get(f"store/new_article/{name}", 0)
    return {
        "pages": stats.get(f"site/{name}/pages", 0),
        "articles_new": new_articles,
        "copies_new": new_articles + stats.get(f"store/new_copy/{name}", 0),
        "unchanged": stats.get(f"incremental/unchanged/{name}", 0),
        "rejected": stats.get(f"store/rejected/{name}", 0),
        "errors": stats.get(f"site/{name}/errors", 0),
        # Reached its page cap: some of its lists may not have been walked to the end.
        "capped": stats.get(f"site/{name}/capped", 0),
    }


def run_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The crawl_runs figures, derived from the crawler's stats (one place, used by the CLI too)."""
    new_articles = stats.get("store/new_article", 0)
    new_copies = stats.get("store/new_copy", 0)
    sites = stats.get("policy/sites") or []
    per_site = {name: site_figures(stats, name) for name in sites}
    for name in sites:
        if f"coverage/{name}" in stats:
            per_site[name]["coverage"] = stats[f"coverage/{name}"]
    return {
        # Pages: responses but those of attached files (counted under attachments_fetched).
        "pages": stats.get("downloader/response_count", 0) - stats.get("attachments/responses", 0),
        "articles_new": new_articles,
        "copies_new": new_articles + new_copies,
        "duplicates": new_copies,
        "spam_removed": stats.get("spam/removed", 0) + stats.get("spam/page", 0),
        "rejected": stats.get("store/rejected", 0),
        # Fetch failures (each counted once by the spider) and exceptions in our own code;
        # not Scrapy's ERROR log lines, which repeat the same failures ("Gave up retrying").
        "errors": stats.get("crawl/errors", 0) + sum(
            v for k, v in stats.items() if k.startswith("spider_exceptions/") and isinstance(v, int)
        ),
        "unchanged": stats.get("incremental/unchanged", 0),
        # Attached files: answered (bytes, 304 or an HTTP error), stored as new distinct files,
        # and ended without text (by status under stats["stages"]["attachments/status/..."]).
        "attachments_fetched": stats.get("attachments/fetched", 0),
        "attachments_new": stats.get("attachments/new", 0),
        "attachments_failed": stats.get("attachments/failed", 0),
        "stats": {
            "sites": per_site,
            "duration_s": stats.get("elapsed_time_seconds"),
            # Every stage's counters (dedup/near_duplicate, spam/hidden_block, store/rejected/…)
            "stages": {
                key: value for key, value in sorted(stats.items())
                if key.startswith(STAGE_PREFIXES) and isinstance(value, (int, float, str))
            },
        },
    }


def run_status(reason: str, figures: dict[str, Any], warnings: list[str]) -> str:
    if reason != "finished":
        return "failed"
    if figures["pages"] == 0 and figures["errors"] > 0:
        return "failed"  # nothing could be fetched at all (offline, DNS, every start URL dead)
    return "degraded" if warnings else "ok"


class RunRecorder:
    """Opens a `crawl_runs` row when the spider opens and completes it when it closes.

    A process killed before `spider_closed` leaves its row `running` with no `finished_at`:
    visibly unfinished, never silently "ok". The next run that holds the store's run lock
    marks such rows `interrupted` (their process is certainly gone).
    """

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("RUN_RECORDS_ENABLED", True):
            raise NotConfigured("RUN_RECORDS_ENABLED is off")
        self.crawler = crawler
        self.run_id: Optional[int] = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunRecorder":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        stats = self.crawler.stats
        store = store_for(self.crawler)
        sites = list(getattr(spider, "sites", None) or [spider.name])
        stats.set_value("policy/sites", sites)
        if self.crawler.settings.getbool("RUN_LOCK_HELD"):
            for run_id in store.mark_interrupted_runs():
                log.warning("crawl run %d never finished (its process died); marked interrupted", run_id)
        self.run_id = store.start_run(sites, command=spider.name)
        stats.set_value("policy/run_id", self.run_id)
        log.info("crawl run %d started for %s", self.run_id, ", ".join(sites))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        stats = self.crawler.stats
        store = store_for(self.crawler)
        figures = run_figures(stats.get_stats())
        warnings: list[str] = []
        for name, site in figures["stats"]["sites"].items():
            if "coverage" in site:
                history = store.site_coverage_history(name, before_run=self.run_id)
                warnings.extend(drift_warnings(name, site["coverage"], history))
        for warning in warnings:
            log.warning("drift: %s", warning)
        status = run_status(reason, figures, warnings)
        stats.set_value("policy/run_status", status)
        stats.set_value("policy/warnings", warnings)
        message = "; ".join(warnings) or (None if reason == "finished" else f"closed: {reason}")
        if stats.get_value("store/spool_left"):
            message = (f"{stats.get_value('store/spool_left')} items still spooled (store "
                       f"unreachable at the end); the next run writes them first")
        elif stats.get_value("store/spooled"):
            message = ((message + "; ") if message else "") + (
                f"store was unreachable during the run: {stats.get_value('store/spooled')} "
                f"items spooled and written when it came back")
        if status == "failed" and stats.get_value("crawl/unreachable_hosts"):
            hosts = ", ".join(sorted(stats.get_value("crawl/unreachable_hosts")))
            message = f"cannot reach {hosts}"
        try:
            store.finish_run(self.run_id, status, {**figures, "message": message})
        except Exception as exc:  # the store is away at the very end: the run shows unfinished
            log.error("could not complete the record of run %d: %s", self.run_id,
                      str(getattr(exc, "orig", exc)).splitlines()[0])


class ProgressReporter:
    """A live line per site on the terminal, or a periodic log line when not on a terminal.

    PROGRESS = live | log | off (the CLI picks live on a terminal, log under cron, off with -q).
    """

    def __init__(self, crawler: Crawler) -> None:
        mode = crawler.settings.get("PROGRESS", "log")
        if mode not in ("live", "log"):
            raise NotConfigured("PROGRESS is off")
        self.crawler = crawler
        self.mode = mode
        self.interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 0.5 if mode == "live" else 30)
        self.started = time.monotonic()
        self.live: Any = None
        self.loop: Optional[task.LoopingCall] = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProgressReporter":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.sites = list(getattr(spider, "sites", None) or [spider.name])
        if self.mode == "live":
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self.render(), console=Console(stderr=True), refresh_per_second=4,
                             transient=True)
            self.live.start()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def rows(self) -> list[tuple[str, dict[str, Any], float]]:
        """(site, figures, pages per minute) for every site of the crawl."""
        stats = self.crawler.stats.get_stats()
        minutes = max((time.monotonic() - self.started) / 60, 1 / 60)
        return [(name, f, f["pages"] / minutes)
                for name, f in ((n, site_figures(stats, n)) for n in self.sites)]

    def lines(self) -> list[str]:
        return [
            f"{name}: {f['pages']} pages ({rate:.0f}/min), {f['articles_new']} new articles, "
            f"{f['copies_new'] - f['articles_new']} new copies, {f['unchanged']} unchanged, "
            f"{f['rejected']} rejected, {f['errors']} errors"
            for name, f, rate in self.rows()
        ]

    def render(self) -> Any:
        """The live view: one row per site, narrow enough for an 80-column terminal."""
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("site", "pages", "/min", "new", "copies", "unchanged", "rejected", "errors"):
            table.add_column(column, justify="left" if column == "site" else "right")
        for name, f, rate in self.rows():
            table.add_row(
                name, str(f["pages"]), f"{rate:.0f}", str(f["articles_new"]),
                str(f["copies_new"] - f["articles_new"]), str(f["unchanged"]),
                str(f["rejected"]), str(f["errors"]),
            )
        return table

    def tick(self) -> None:
        if self.live is not None:
            self.live.update(self.render())
        else:
            for line in self.lines():
                log.info("progress %s", line)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.stop()
