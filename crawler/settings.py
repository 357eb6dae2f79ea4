"""Scrapy settings and the project's own settings, with environment overrides.

The one home of configuration: stages receive values from here (through the crawler's
settings), nothing reads os.environ deeper in the code.
"""

from __future__ import annotations

import os

BOT_NAME = "policy_ingest"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- the store -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or "sqlite:///data/policy.db"

# --- site registry -------------------------------------------------------------------------
# A TOML registry (see crawler/sites.toml for the built-in one holding achie.org).
SITES_FILE = os.environ.get("POLICY_INGEST_SITES") or None

# --- politeness and limits -----------------------------------------------------------------
USER_AGENT = (
    "policy-ingest/0.1 (Chinese policy article archiver; "
    + (os.environ.get("POLICY_INGEST_CONTACT") or "contact: see the operator's site registry")
    + ")"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A 429/503 with Retry-After pauses its host that long before the retry (crawler.middlewares);
# a longer wait than RETRY_AFTER_MAX seconds is not retried in this run but recorded.
RETRY_AFTER_ENABLED = True
RETRY_AFTER_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    # After RetryMiddleware (550) in number, so before it on the way back: it sees the answer first.
    "crawler.middlewares.RetryAfterMiddleware": 560,
}
# Scrapy's list minus DNS failures: a host that does not resolve will not resolve in a second,
# and an offline machine should say so at once instead of after minutes of retries.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REDIRECT_MAX_TIMES = 5
# Pages answer 404/410/5xx too; the spider records them as rejected pages with the status.
HTTPERROR_ALLOWED_CODES = [404, 410]

# Work per page is bounded whatever the page holds: links considered on one page, and the
# text of one article (a bigger "article" is rejected as too_large).
PAGE_MAX_LINKS = 5000
ARTICLE_MAX_CHARS = 200_000

# Per-site cap when the registry gives none.
SITE_MAX_PAGES = 5000
# Follow discovered links this many hops from the start URLs at most. Pagination steps are not
# hops: a list's pages keep the depth of its first page (crawler.depth).
DEPTH_LIMIT = 8
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.depth.PaginationDepthMiddleware": 900,
}

# --- incremental crawls --------------------------------------------------------------------
# A site's lists are walked to the end on its first crawl; later runs stop paging a list at a
# page whose articles are all stored. CRAWL_FULL (`crawl --full`) walks every list again.
CRAWL_FULL = False
# Stored article pages are not fetched again; after this many days they are re-checked with a
# conditional request (If-None-Match / If-Modified-Since). 0 disables re-checks.
INCREMENTAL_RECHECK_DAYS = 7

# --- attached files -------------------------------------------------------------------------
# The files an article links (pdf, doc, xls, wps, ofd, zip...) are fetched after the article,
# through the same downloader (the site's slots, delays and AutoThrottle apply), below articles
# and lists in priority, on the site's domains and their registrable domain only. A file larger
# than ATTACHMENT_MAX_BYTES is not downloaded (refused on its Content-Length when the server
# sends one) and is recorded as too_large; at most ATTACHMENTS_PER_ARTICLE files of an article
# and ATTACHMENTS_PER_RUN files in a run are fetched (the others wait for a later run). A file
# stored once is not fetched again until INCREMENTAL_RECHECK_DAYS have passed, and then with a
# conditional request. Files are read in ATTACHMENT_READERS sandboxed processes (-1: one per
# core: files come last in a run, when the crawler's own core is free), each stopped after
# ATTACHMENT_READ_SECONDS or ATTACHMENT_READ_MEMORY bytes.
def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


ATTACHMENTS_ENABLED = os.environ.get("ATTACHMENTS_ENABLED", "1").lower() not in ("0", "false", "no", "off")
ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_BYTES", 50 * 1024 * 1024)
ATTACHMENTS_PER_ARTICLE = _env_int("ATTACHMENTS_PER_ARTICLE", 20)
ATTACHMENTS_PER_RUN = _env_int("ATTACHMENTS_PER_RUN", 5000)
ATTACHMENT_READERS = _env_int("ATTACHMENT_READERS", -1)
ATTACHMENT_READ_SECONDS = float(os.environ.get("ATTACHMENT_READ_SECONDS") or 60)
ATTACHMENT_READ_MEMORY = _env_int("ATTACHMENT_READ_MEMORY", 1024 * 1024 * 1024)

# --- store faults ----------------------------------------------------------------------------
# Items the store cannot take (server down, file locked) wait here and are retried every
# SPOOL_RETRY_INTERVAL seconds, at the end of the run for up to SPOOL_CLOSE_WAIT seconds, and
# by the next run.
SPOOL_DIR = os.environ.get("POLICY_INGEST_SPOOL") or "data/spool"
SPOOL_RETRY_INTERVAL = 5
SPOOL_CLOSE_WAIT = 300

# --- run report ----------------------------------------------------------------------------
# `policy-ingest crawl` writes the HTML report of each run (pipelines/report.py), run-N.html in
# REPORT_DIR; empty: a reports/ folder beside a SQLite store, data/reports/ under the working
# directory for PostgreSQL. `policy-ingest report` writes into the same folder by default.
REPORT_ENABLED = os.environ.get("POLICY_INGEST_REPORT", "1").lower() not in ("0", "false", "no", "off")
REPORT_DIR = os.environ.get("POLICY_INGEST_REPORT_DIR") or ""

# --- pipeline ------------------------------------------------------------------------------
# Pages are written INGEST_BATCH_SIZE to a transaction, after INGEST_BATCH_DELAY seconds, or
# when the pages waiting hold half of Scrapy's SCRAPER_SLOT_MAX_ACTIVE_SIZE (5 MB) in served
# bytes, whichever comes first: Scrapy fetches nothing more while the slot is full. Cleaning
# and signatures run in INGEST_WORKERS worker processes (-1: one per core but one; 0: in the
# crawler process), started once the crawl has passed
# INGEST_WORKERS_AFTER article pages (a small incremental crawl does not pay their start-up).
INGEST_BATCH_SIZE = 100
INGEST_BATCH_DELAY = 0.5
INGEST_WORKERS = -1
INGEST_WORKERS_AFTER = 200
ITEM_PIPELINES = {
    "pipelines.item_pipelines.IngestPipeline": 900,
}
EXTENSIONS = {
    "crawler.extensions.RunRecorder": 10,
    "crawler.extensions.ProgressReporter": 20,
    # After AutoThrottle (Scrapy's, at 0): quick 304/404/410 answers bring a host's delay down
    # again after a slow page (AutoThrottle alone lowers it on 200s only).
    "crawler.throttle.ThrottleRecovery": 30,
}
# live (a line per site on the terminal) | log (an INFO line per site every PROGRESS_INTERVAL
# seconds, for cron) | off. `policy-ingest crawl` picks live on a terminal, off with --quiet.
PROGRESS = "log"
PROGRESS_INTERVAL = 30

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_FORMATTER = "crawler.logs.PolicyLogFormatter"
LOG_LEVEL = os.environ.get("POLICY_INGEST_LOG_LEVEL", "INFO")
