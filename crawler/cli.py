"""The `policy-ingest` command: crawl, extract and the operator's other tools."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

import click

from crawler.runner import EXIT_LOCKED, EXIT_USAGE, CrawlOutcome
from models.database import StoreError, mask_url, open_store, resolve_database_url


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def parse_overrides(overrides: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name.strip():
            fail(f"-s expects NAME=VALUE, got {override!r}")
        parsed[name.strip()] = value
    return parsed


def logging_overrides(quiet: bool, json_logs: bool, log_file: str | None) -> dict[str, Any]:
    """Scrapy settings for how this run talks: live progress on a terminal, lines under cron."""
    settings: dict[str, Any] = {}
    if quiet:
        settings.update(LOG_LEVEL="WARNING", PROGRESS="off")
    elif sys.stderr.isatty() and not json_logs:
        # Live lines per site; the full log goes to --log-file if given.
        settings.update(PROGRESS="live", LOG_LEVEL="WARNING")
    else:
        settings.update(PROGRESS="log")
    if log_file:
        settings.update(LOG_FILE=log_file, LOG_LEVEL="INFO")
    if json_logs:
        settings.update(LOG_JSON=True)
    return settings


def open_checked_store(db: str | None) -> tuple[str, Any]:
    db_url = resolve_database_url(db)
    try:
        return db_url, open_store(db_url)
    except StoreError as exc:
        fail(str(exc))


def check_redis(redis_url: str) -> None:
    """A distributed crawl needs its Redis: say what is wrong in one line, password masked."""
    import redis

    shown = mask_url(redis_url)
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=10, socket_timeout=10)
        client.ping()
    except ValueError as exc:
        fail(f"REDIS_URL '{shown}' is not a Redis URL ({exc}); use redis://:password@host:6379/0")
    except redis.AuthenticationError:
        fail(f"Redis at {shown} refused the password; check REDIS_URL")
    except redis.RedisError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        password = redis.connection.parse_url(redis_url).get("password")
        if password:
            reason = reason.replace(str(password), "***")
        fail(f"cannot connect to Redis at {shown}: {reason}; check that the server is running "
             f"and that REDIS_URL names the right host and port")


def crawl_and_report(
    db_url: str, engine: Any, site_names: list[str], sites_file: str | None,
    settings: dict[str, Any], quiet: bool,
) -> CrawlOutcome:
    """Crawl under the store's run lock, print the summary, return the outcome."""
    from crawler.runner import run_crawl
    from models.database import RunLockHeld, run_lock

    if os.environ.get("REDIS_URL"):
        # A worker of a distributed crawl: workers cooperate through Redis, so the overlap
        # lock of scheduled single-process runs must not stop them.
        outcome = run_crawl(db_url, site_names, sites_file, settings)
    else:
        try:
            with run_lock(engine):
                outcome = run_crawl(db_url, site_names, sites_file,
                                    {**settings, "RUN_LOCK_HELD": True})
        except RunLockHeld as exc:
            fail(str(exc), EXIT_LOCKED)
    run_id = outcome.stats.get("policy/run_id")
    if run_id is not None:
        outcome.report = write_run_report(engine, db_url, run_id, settings)
    print_summary(outcome, db_url, quiet)
    for warning in outcome.stats.get("policy/warnings") or []:
        click.echo(f"warning: {warning}", err=True)
    return outcome


def report_dir(db_url: str, overrides: dict[str, Any] | None = None) -> str:
    from crawler.runner import project_settings

    return project_settings(db_url, overrides).get("REPORT_DIR") or ""


def write_run_report(engine: Any, db_url: str, run_id: int, settings: dict[str, Any]) -> Path | None:
    """The HTML report of the run just finished (REPORT_ENABLED, in REPORT_DIR); a report that
    cannot be written is a warning, never a failed crawl."""
    from crawler.runner import project_settings
    from pipelines.report import default_report_path, gather_report
    from pipelines.report_html import write_report

    project = project_settings(db_url, settings)
    if not project.getbool("REPORT_ENABLED"):
        return None
    path = default_report_path(engine.url, run_id, project.get("REPORT_DIR"))
    try:
        return write_report(gather_report(engine, run_id), mask_url(db_url), path)
    except Exception as exc:  # the crawl's outcome stands whatever happens to its report
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"warning: the report of run {run_id} could not be written to {path}: "
                   f"{reason}", err=True)
        return None


db_option = click.option(
    "--db", "db", metavar="URL",
    help="Store URL (default: $DATABASE_URL or sqlite:///data/policy.db).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-ingest")
def main() -> None:
    """Crawl Chinese policy sites into one clean table of articles.

    The store is chosen by --db or DATABASE_URL (default: sqlite:///data/policy.db under the
    working directory); it is created and migrated on first use.
    """


@main.command()
@click.argument("site_names", metavar="[SITE ...]", nargs=-1)
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Site registry (TOML); default: the built-in one holding achie.org.")
@db_option
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy/project setting, e.g. -s DOWNLOAD_DELAY=0.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; warnings and a one-line summary only (for cron).")
@click.option("--json-logs", is_flag=True, help="Log lines as JSON objects (for log collectors).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the full log to this file.")
@click.option("--full", is_flag=True, help="Walk every list page again (a backfill); a normal run stops paging a list where its articles are stored.")
def crawl(site_names: tuple[str, ...], sites_file: str | None, db: str | None, overrides: tuple[str, ...], quiet: bool, json_logs: bool, log_file: str | None, full: bool) -> None:
    """Crawl the registry's sites (or the named ones) through the whole pipeline into the store.

    A site's first crawl walks its lists to the last page; later runs stop paging a list at a
    page whose articles are all stored (`--full`, or `backfill = true` in the registry, walks
    everything again).

    The run's HTML report is written to reports/run-N.html beside a SQLite store (REPORT_DIR
    to choose, -s REPORT_ENABLED=false for none); the summary names it.

    Exit codes: 0 ok, 1 failed, 2 bad arguments or store, 3 degraded (a site's extraction
    looks broken: see the warning), 75 another crawl of this store is running.
    """
    from crawler.registry import RegistryError, load_registry, select_sites

    try:
        sites = select_sites(load_registry(sites_file), list(site_names))
    except RegistryError as exc:
        fail(str(exc))
    settings = {**logging_overrides(quiet, json_logs, log_file), **parse_overrides(overrides)}
    if full:
        settings["CRAWL_FULL"] = True
    db_url, engine = open_checked_store(db)
    if os.environ.get("REDIS_URL"):
        check_redis(os.environ["REDIS_URL"])
    outcome = crawl_and_report(db_url, engine, [s.name for s in sites], sites_file, settings, quiet)
    unreachable = outcome.unreachable_hosts
    if outcome.status == "failed" and outcome.figures["pages"] == 0 and unreachable:
        hosts = ", ".join(sorted(unreachable))
        click.echo(
            f"error: cannot reach {hosts} ({next(iter(unreachable.values()))}); this machine "
            f"may be offline. Run `policy-ingest demo` to see the whole flow on a bundled "
            f"offline web.",
            err=True,
        )
    sys.exit(outcome.exit_code)


@main.command()
@click.option("--db", "db", metavar="URL", help="Store for the demo (default: a fresh sqlite:///demo/policy.db).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def demo(db: str | None, quiet: bool) -> None:
    """Serve the bundled offline demo web on loopback and crawl it into a fresh store.

    Five sites of four CMS families (DedeCMS, a TRS government portal in GBK, PHPCMS, a news
    portal) and a hijacked Traditional-Chinese mirror full of spam: the whole flow, no network.
    """
    from crawler.demo.server import DEMO_REGISTRY, FIXTURE_WEB, FixtureWeb

    if db is None:
        path = Path("demo") / "policy.db"
        for stale in path.parent.glob("policy.db*"):
            stale.unlink()  # a fresh store each time: the demo's own files only
        db = f"sqlite:///{path}"
    db_url, engine = open_checked_store(db)
    with FixtureWeb() as web:
        os.environ.update(web.proxy_env())  # loopback only: every demo host is a reserved .test name
        os.environ.pop("no_proxy", None)
        os.environ.pop("NO_PROXY", None)
        settings = {
            **logging_overrides(quiet, False, None),
            "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        }
        outcome = crawl_and_report(db_url, engine, [], str(DEMO_REGISTRY), settings, quiet)
    shown = mask_url(db_url)
    sqlite_path = engine.url.database if engine.dialect.name == "sqlite" else None
    click.echo("\nThe demo store is ready. Next, try:")
    click.echo(f"  policy-ingest runs --db {shown}")
    click.echo(f"  policy-ingest search 专精特新 --db {shown}")
    click.echo(f"  policy-ingest export --format jsonl --db {shown} --out demo/articles.jsonl")
    click.echo(f"  policy-ingest export --format jsonl --attachments --db {shown} "
               f"--out demo/with-files.jsonl")
    if sqlite_path:
        click.echo(
            f"  sqlite3 {sqlite_path} \"select a.title, c.relation, c.url from article_copies c "
            f"join articles a on a.id = c.article_id order by a.id\""
        )
        click.echo(f"  sqlite3 {sqlite_path} \"select kind, count(*) from removals group by kind\"")
        click.echo(
            f"  sqlite3 {sqlite_path} \"select l.link_text, f.status, l.relation, "
            f"substr(f.text, 1, 40) from article_attachments l join attachments f "
            f"on f.id = l.attachment_id\""
        )
    mirror_page = FIXTURE_WEB / "www.achie-mirror.test" / "a/chanye/2025/1022/123.html"
    click.echo(f"  policy-ingest extract {mirror_page}")
    click.echo("  (queries for data engineers: docs/schema.md)")
    if outcome.report is not None:
        click.echo(f"The run's report, to open in a browser: {outcome.report}")
    if sqlite_path:
        from crawler.browse import DEFAULT_PORT

        click.echo(f"Browse the store: policy-ingest browse --db {shown}  "
                   f"(Datasette on http://127.0.0.1:{DEFAULT_PORT}/)")
    sys.exit(outcome.exit_code)


@main.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, help="How many recent runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
def runs(db: str | None, limit: int, as_json: bool) -> None:
    """Recent crawl runs with their figures (unfinished runs show as running or interrupted)."""
    from sqlalchemy import select

    from models import CrawlRun
    from pipelines.store import as_utc

    _, engine = open_checked_store(db)
    with engine.connect() as conn:
        rows = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)).all()
    figures = ("pages", "articles_new", "copies_new", "duplicates", "spam_removed", "rejected",
               "errors", "unchanged", "attachments_fetched", "attachments_new",
               "attachments_failed")
    if as_json:
        columns = ("id", "command", "started_at", "finished_at", "status", *figures, "message")
        for row in rows:
            record = {c: getattr(row, c) for c in columns}
            record["sites"] = row.sites
            click.echo(json.dumps(record, default=str, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"recent runs ({mask_url(engine.url)})")
    for column in ("run", "started (UTC)", "took", "status", "pages", "new", "copies", "dups",
                   "spam", "rejected", "errors", "unchanged", "files", "files new",
                   "files failed", "message"):
        table.add_column(column, overflow="fold")
    for row in rows:
        took = "-" if row.finished_at is None else f"{(as_utc(row.finished_at) - as_utc(row.started_at)).total_seconds():.0f}s"
        status = row.status if row.finished_at or row.status != "running" else "running (unfinished)"
        table.add_row(
            str(row.id), as_utc(row.started_at).strftime("%Y-%m-%d %H:%M"), took, status,
            *(str(getattr(row, c)) for c in figures), row.message or "",
        )
    Console(width=160).print(table)


@main.command()
@click.option("--run", "run_id", type=click.IntRange(min=1), help="The run to report on (default: the latest).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="The HTML file to write (default: run-N.html in REPORT_DIR: reports/ beside a SQLite store, else data/reports/ under the working directory).")
@db_option
def report(run_id: int | None, out: Path | None, db: str | None) -> None:
    """One self-contained HTML report of a crawl run, with charts (opens with no network).

    Pages, new articles and copies per site; rejection reasons; spam cut by kind; duplicate
    clusters by size; field coverage per site with drift warnings; the run's new documents.
    """
    from pipelines.report import ReportError, default_report_path, gather_report
    from pipelines.report_html import write_report

    db_url, engine = open_checked_store(db)
    try:
        run_report = gather_report(engine, run_id)
    except ReportError as exc:
        fail(str(exc))
    path = out or default_report_path(engine.url, run_report.run_id, report_dir(db_url))
    try:
        write_report(run_report, mask_url(db_url), path)
    except OSError as exc:
        fail(f"cannot write the report to {path}: {exc.strerror or exc}")
    click.echo(f"report of run {run_report.run_id} ({run_report.status}): {path}")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port on 127.0.0.1 (default: 8001, Datasette's own).")
@db_option
def browse(port: int | None, db: str | None) -> None:
    """Serve the store in Datasette, read-only, on http://127.0.0.1:8001/ (or --port).

    Tables and columns carry their descriptions from docs/schema.md, the example queries of
    that doc are canned queries, and articles facet by site, issuer, document type, year and
    validity. SQLite stores only; docs/operations.md says how to browse a PostgreSQL store.
    """
    from models.database import parse_database_url

    db_url = resolve_database_url(db)
    try:
        url = parse_database_url(db_url)
    except StoreError as exc:
        fail(str(exc))
    if url.get_backend_name() != "sqlite":
        fail(f"browse serves SQLite stores, and {mask_url(url)} is PostgreSQL; browse it with "
             f"pgweb or another PostgreSQL client (docs/operations.md, 'Browsing the store')")
    path = Path(url.database or "")
    if not path.is_file():
        fail(f"no store at {path}; run `policy-ingest crawl` (or `policy-ingest demo`) first")
    from crawler.browse import DEFAULT_PORT, HOST, listen, make_datasette, serve

    port = port or DEFAULT_PORT
    datasette = make_datasette(path)
    try:
        sock = listen(port)
    except OSError as exc:
        fail(f"cannot listen on {HOST}:{port} ({exc.strerror or exc}); is another browse "
             f"running? Choose another port with --port")
    click.echo(f"Serving {mask_url(url)} read-only at http://{HOST}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        serve(datasette, sock)
    except KeyboardInterrupt:
        pass


def extracted_record(body: bytes, url: str, *, site: str | None = None,
                     declared: str | None = None,
                     selectors: dict[str, str] | None = None) -> dict[str, Any]:
    """One page's fields as the pipeline stores them (after cleaning), as `extract` prints them.

    The extraction benchmark scores this same record against labelled real pages.
    """
    from crawler.extractors import extract as extract_page
    from crawler.extractors.page import POLICY_FIELDS
    from crawler.items import item_from_page
    from pipelines.clean import clean_item

    page = extract_page(body, url, declared_encoding=declared, site=site, selectors=selectors)
    item = item_from_page(page, site=site or "-", fetched_at=datetime.now(timezone.utc))
    cleaned = clean_item(item)
    record = cleaned.item
    policy = {name: getattr(record, name) for name in POLICY_FIELDS}
    return {
        "url": record.url,
        "title": record.title,
        "published_at": record.published_at.isoformat() if record.published_at else None,
        "published_at_source": record.published_at_source if record.published_at else None,
        **{name: getattr(record, name) for name in (
            "source", "author", "author_unit", "editor", "column_path", "body_text", "body_html",
            "attachments", "original_script",
        )},
        **{name: v.isoformat() if isinstance(v, date) else v for name, v in policy.items()},
        "page_kind": page.page_kind,
        "encoding": record.encoding,
        "next_pages": page.next_pages,
        "spam_page": cleaned.verdict.is_spam_page,
        "spam_reasons": list(cleaned.verdict.reasons),
        "removals": [{"kind": r.kind, "content": r.content} for r in record.removals],
    }


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--url", help="The page's URL (resolves relative links; default: a file:// URL of FILE).")
@click.option("--site", help="Registry site name, to use its parser and selectors.")
@click.option("--charset", "declared", metavar="NAME", help="The charset the server declared, if known.")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Site registry for --site selectors.")
@click.option("--text", "text_only", is_flag=True, help="Print only the text (a page's body text, a file's text).")
def extract(file: str, url: str | None, site: str | None, declared: str | None, sites_file: str | None,
            text_only: bool) -> None:
    """Print one saved page, or one attached file, as JSON.

    A page (HTML): exactly as the pipeline would store it (after cleaning); the bytes are
    decoded here (GBK, GB18030, UTF-8, BOM). Cross-page evidence (paragraphs planted on many
    pages of a site, duplicates) needs a crawl; everything else is applied here.

    A file (PDF, DOCX, XLSX/XLS/ET, DOC/WPS, OFD, zip/rar/7z, told by its bytes, not its name):
    {name, media_type, status, reason, pages, text}, read in a worker process under the
    attachment limits, as a crawl reads it. With --text, exit status 1 when nothing was read.
    """
    body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    if is_attached_file(body):
        print_file_text(body, "stdin" if file == "-" else Path(file).name, text_only)
        return
    page_url = url or (Path(file).resolve().as_uri() if file != "-" else "file:///dev/stdin")
    selectors = None
    if site:
        from crawler.registry import RegistryError, load_registry, select_sites

        try:
            selectors = select_sites(load_registry(sites_file), [site])[0].selectors or None
        except RegistryError:
            selectors = None  # a site not in the registry: its built-in parser, if any
    output = extracted_record(body, page_url, site=site, declared=declared, selectors=selectors)
    if text_only:
        click.echo(output["body_text"] or "")
        return
    click.echo(json.dumps(output, ensure_ascii=False, indent=2))


def is_attached_file(body: bytes) -> bool:
    """Bytes that are a document, archive or image rather than a page: what `extract` hands to
    the attachment readers. Anything that may be markup or text stays with the page extractor."""
    from pipelines.attachments import sniff_media_type
    from pipelines.attachments.sniff import HTML, TEXT, XML

    media_type = sniff_media_type(body)
    if media_type is None:
        return b"\x00" in body[:4096]  # binary of no known kind; text of no known kind is a page
    return media_type not in (HTML, TEXT, XML)


def print_file_text(body: bytes, name: str, text_only: bool) -> None:
    from pipelines.attachments import FileReader

    with FileReader() as reader:
        result = reader.read(body, name)
    if text_only:
        if result.text:
            click.echo(result.text)
        if result.status != "ok" or result.reason:
            click.echo(f"{result.status}: {result.reason}" if result.reason else result.status, err=True)
        if not result.text:
            sys.exit(1)
        return
    record = {"name": name, "media_type": result.media_type, "status": result.status,
              "reason": result.reason, "pages": result.pages, "text": result.text}
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), required=True, help="Output format.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), help="Only articles new or changed since this date (UTC).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: standard output; required for parquet).")
@click.option("--attachments", "with_files", is_flag=True, help="Include each article's attached files with their text (a list under `files`).")
@db_option
def export(fmt: str, since: Any, out: Path | None, with_files: bool, db: str | None) -> None:
    """The cleaned articles for downstream use, streamed in batches."""
    from pipelines.export import export as export_articles

    if fmt == "parquet" and out is None:
        fail("--format parquet writes a binary file: give --out PATH")
    _, engine = open_checked_store(db)
    count = export_articles(engine, fmt, out, as_utc_option(since), stdout=sys.stdout,
                            files=with_files)
    if out is not None:
        click.echo(f"{count} articles written to {out}", err=True)


@main.command()
@click.option("--site", help="Only this site's pages.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), help="Only pages fetched since this date (UTC).")
@click.option("--rebuild", is_flag=True, help="Empty the derived tables and rebuild them from the raw pages (renumbers articles).")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Site registry, for per-site selectors.")
@db_option
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes for extraction and cleaning (default: one per core; 0: none).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def reprocess(site: str | None, since: Any, rebuild: bool, sites_file: str | None, db: str | None,
              workers: int | None, quiet: bool) -> None:
    """Re-run extraction, cleaning and dedup over the kept raw pages, without fetching."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from crawler.registry import RegistryError, load_registry
    from crawler.reprocess import reprocess as run_reprocess
    from models.database import RunLockHeld, run_lock
    from pipelines.store import ArticleStore

    if rebuild and (site or since):
        fail("--rebuild rebuilds the whole store; it cannot be combined with --site or --since")
    try:
        registry = {s.name: s for s in load_registry(sites_file)} if sites_file else {}
    except RegistryError as exc:
        fail(str(exc))
    _, engine = open_checked_store(db)
    store = ArticleStore(engine)
    bar = Progress(TextColumn("reprocess"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} pages/s"), TimeRemainingColumn(),
                   disable=quiet, transient=True)
    task_id = bar.add_task("pages", total=None, rate="-")
    started = time.monotonic()

    def progress(done: int, total: int, url: str) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        bar.update(task_id, completed=done, total=total, rate=f"{done / elapsed:.0f}")

    try:
        with run_lock(engine), bar:
            report = run_reprocess(store, site=site, since=as_utc_option(since), rebuild=rebuild,
                                   sites=registry, progress=progress, workers=workers)
    except RunLockHeld as exc:
        fail(str(exc), EXIT_LOCKED)
    took = time.monotonic() - started
    o = report.outcomes
    click.echo(
        f"reprocess run {report.run_id}: {report.pages} pages in {took:.1f}s "
        f"({report.pages / max(took, 1e-6):.0f} pages/s) · new articles {o['new_article']} · "
        f"new copies {o['new_copy']} · updated {o['updated']} · unchanged {o['unchanged']} · "
        f"rejected {o['rejected']} · missing later pages {report.missing_parts} · attachment "
        f"links to stored files {report.files_linked}"
    )


@main.command()
@click.argument("words", metavar="QUERY", nargs=-1)
@click.option("--site", help="Only articles with a copy on this site (registry name).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only articles published on or after this day (first seen, for those without a date).")
@click.option("--issuer", help="Only articles whose 发文机关 contains this text.")
@click.option("--doc-type", "doc_type", help="Only this document type (通知, 意见, 办法, 解读, …).")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result.")
@db_option
def search(words: tuple[str, ...], site: str | None, since: Any, issuer: str | None,
           doc_type: str | None, limit: int, as_json: bool, db: str | None) -> None:
    """Full-text search of titles, bodies and attachment text, in Chinese, best first.

    Every word must appear, in the title, the body or an attached file's text (Traditional is
    searched as Simplified); "a quoted phrase" is one term, spaces included. Words of one or
    two characters are found by a scan, slower on a large store. Each result shows a snippet
    with the hits (from the attached file when the hits are there), the canonical URL and how
    many copies of the article were seen.
    """
    from pipelines.search import QueryError, build_query, missing_index_notice
    from pipelines.search import search as run_search

    try:
        query = build_query(" ".join(words), site=site, since=since.date() if since else None,
                            issuer=issuer, doc_type=doc_type, limit=limit)
    except QueryError as exc:
        fail(str(exc))
    _, engine = open_checked_store(db)
    with engine.connect() as conn:
        notice = missing_index_notice(conn)
        hits = run_search(conn, query)
    if notice:
        click.echo(f"warning: {notice}", err=True)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.as_record(), ensure_ascii=False))
        return
    shown = " ".join(f'"{t}"' if " " in t else t for t in query.terms)
    if not hits:
        click.echo(f"no results for {shown}")
        return
    print_hits(hits, shown)


def print_hits(hits: list[Any], shown: str) -> None:
    """Search results as a table: title and snippet (hits highlighted), date, document, copies."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pipelines.search import MARK_END, MARK_START

    def marked(snippet: str) -> Text:
        text = Text(style="dim")
        for n, piece in enumerate(snippet.replace(MARK_END, MARK_START).split(MARK_START)):
            text.append(piece, style="bold yellow" if n % 2 else None)
        return text

    table = Table(title=f"{len(hits)} result(s) for {shown}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("article", ratio=3, overflow="fold")
    table.add_column("date")
    table.add_column("issuer · number · type", ratio=1, overflow="fold")
    table.add_column("copies", justify="right")
    for n, hit in enumerate(hits, 1):
        cell = Text(hit.title or "(no title)", style="bold")
        if hit.snippet_from:
            cell.append(f"\nin the attached file {hit.snippet_from}:", style="italic")
        cell.append("\n").append_text(marked(hit.snippet)).append("\n")
        cell.append(hit.url, style="cyan")
        document = " · ".join(v for v in (hit.issuer, hit.doc_number, hit.doc_type) if v)
        table.add_row(str(n), cell, hit.day.isoformat() if hit.day else "-", document or "-",
                      str(hit.copies))
    Console(width=140).print(table)


def as_utc_option(moment: datetime | None) -> datetime | None:
    """A --since date as UTC (click's DateTime gives a naive datetime)."""
    return moment.replace(tzinfo=timezone.utc) if moment else None


def print_summary(outcome: CrawlOutcome, db_url: str, quiet: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    figures = outcome.figures
    line = (
        f"crawl run {outcome.stats.get('policy/run_id', '?')}: {outcome.status} · "
        f"pages {figures['pages']} · articles new {figures['articles_new']} · copies new "
        f"{figures['copies_new']} · duplicates {figures['duplicates']} · spam removed "
        f"{figures['spam_removed']} · rejected {figures['rejected']} · unchanged "
        f"{figures['unchanged']} · errors {figures['errors']} · files fetched "
        f"{figures['attachments_fetched']} · files new {figures['attachments_new']} · files "
        f"failed {figures['attachments_failed']} · store {mask_url(db_url)}"
    )
    if outcome.report is not None:
        line += f" · report {outcome.report}"
    console = Console(width=120)
    if quiet:
        console.print(line, soft_wrap=True, highlight=False)
        return
    table = Table(title=f"crawl run {outcome.stats.get('policy/run_id', '?')}: {outcome.status}")
    columns = ("pages", "articles_new", "copies_new", "unchanged", "rejected", "errors")
    table.add_column("site")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, site in figures["stats"]["sites"].items():
        table.add_row(name, *(str(site[c]) for c in columns))
    table.add_row("all", *(str(figures[c]) for c in columns), style="bold")
    console.print(table)
    by_status = {
        key.removeprefix("attachments/status/"): value
        for key, value in sorted(outcome.stats.items()) if key.startswith("attachments/status/")
    }
    if by_status:
        console.print("attached files by status: " + ", ".join(
            f"{status} {count}" for status, count in by_status.items()), highlight=False)
    console.print(line, soft_wrap=True, highlight=False)


if __name__ == "__main__":
    main()
