"""Running a crawl in this process: settings, lock, Scrapy, outcome. Used by the CLI commands.

Exit codes (for cron and systemd): 0 ok, 1 failed, 2 bad arguments or unusable store,
3 degraded (finished, but a site's extraction looks broken), 75 another run holds the lock.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DEGRADED = 3
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later

EXIT_CODES = {"ok": EXIT_OK, "degraded": EXIT_DEGRADED, "failed": EXIT_FAILED}


@dataclass
class CrawlOutcome:
    status: str
    stats: dict[str, Any]
    figures: dict[str, Any]
    report: Optional[Path] = None  # the run's HTML report, once written (crawler.cli)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, EXIT_FAILED)

    @property
    def unreachable_hosts(self) -> dict[str, str]:
        return self.stats.get("crawl/unreachable_hosts") or {}


def project_settings(db_url: str, overrides: dict[str, Any] | None = None) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(
    db_url: str,
    site_names: list[str],
    sites_file: Optional[str],
    settings_overrides: dict[str, Any] | None = None,
) -> CrawlOutcome:
    """Crawl the named sites of the registry in this process (Scrapy's reactor runs once)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.extensions import run_figures
    from crawler.spiders.sites import SitesSpider

    settings = project_settings(db_url, settings_overrides)
    redis_url = settings.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        from crawler.distributed import InflightLinks, WorkerCoordinator, distributed_settings

        for name, value in distributed_settings(redis_url, db_url).items():
            settings.set(name, value, priority="cmdline")
        settings.set_in_component_priority_dict("EXTENSIONS", WorkerCoordinator, 30)
        # Nearest the engine, so that it sees the requests the engine will schedule.
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", InflightLinks, 1)
    if sites_file:
        settings.set("SITES_FILE", str(Path(sites_file).resolve()), priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    process = CrawlerProcess(settings)
    _quiet_third_party_loggers()
    from crawler import logs

    logs.install(
        logs.url_secrets([db_url, os.environ.get("REDIS_URL")]),
        json_lines=settings.getbool("LOG_JSON"),
    )
    crawler = process.create_crawler(SitesSpider)
    process.crawl(crawler, only=",".join(site_names))
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    status = stats.get("policy/run_status", "failed")
    return CrawlOutcome(status, stats, run_figures(stats))


def _quiet_third_party_loggers() -> None:
    # Scrapy logs every setting at INFO; the operator reads the progress and the summary instead.
    for name in ("scrapy.utils.log", "scrapy.middleware", "scrapy.extensions.telnet",
                 "scrapy.crawler", "scrapy.addons"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # A robots.txt that cannot be fetched is logged with a full traceback; the page requests
    # that follow fail the same way and are recorded (and summarised) by the spider.
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
