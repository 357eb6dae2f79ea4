"""The `policy-ingest` command: crawl, extract and the operator's other tools."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from models.database import StoreError, mask_url, open_store, resolve_database_url

# Exit codes the operator's scheduler can tell apart.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def scrapy_settings(db_url: str, overrides: tuple[str, ...], quiet: bool) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    if quiet:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            fail(f"-s expects NAME=VALUE, got {override!r}")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


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
@click.option("--db", "db", metavar="URL", help="Store URL (default: $DATABASE_URL or sqlite:///data/policy.db).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy/project setting, e.g. -s DOWNLOAD_DELAY=0.")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and the summary only.")
def crawl(site_names: tuple[str, ...], sites_file: str | None, db: str | None, overrides: tuple[str, ...], quiet: bool) -> None:
    """Crawl the registry's sites (or the named ones) through the whole pipeline into the store."""
    from crawler.registry import RegistryError, load_registry, select_sites

    try:
        sites = select_sites(load_registry(sites_file), list(site_names))
    except RegistryError as exc:
        fail(str(exc))
    db_url = resolve_database_url(db)
    try:
        open_store(db_url).dispose()
    except StoreError as exc:
        fail(str(exc))

    from scrapy.crawler import CrawlerProcess

    from crawler.extensions import run_figures
    from crawler.spiders.sites import SitesSpider

    settings = scrapy_settings(db_url, overrides, quiet)
    if sites_file:
        settings.set("SITES_FILE", str(Path(sites_file).resolve()), priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(SitesSpider)
    process.crawl(crawler, only=",".join(s.name for s in sites))
    process.start()

    stats = crawler.stats.get_stats() if crawler.stats else {}
    figures = run_figures(stats)
    status = stats.get("policy/run_status", "failed")
    print_summary(stats, figures, status, db_url)
    unreachable: dict[str, str] = stats.get("crawl/unreachable_hosts") or {}
    if status == "failed" and figures["pages"] == 0 and unreachable:
        hosts = ", ".join(sorted(unreachable))
        click.echo(
            f"error: cannot reach {hosts} ({next(iter(unreachable.values()))}); this machine "
            f"may be offline. Run `policy-ingest demo` to see the whole flow on a bundled "
            f"offline web.",
            err=True,
        )
    sys.exit(EXIT_OK if status == "ok" else EXIT_FAILED)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--url", help="The page's URL (resolves relative links; default: a file:// URL of FILE).")
@click.option("--site", help="Registry site name, to use its parser and selectors.")
@click.option("--charset", "declared", metavar="NAME", help="The charset the server declared, if known.")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Site registry for --site selectors.")
def extract(file: str, url: str | None, site: str | None, declared: str | None, sites_file: str | None) -> None:
    """Print one saved page as JSON, exactly as the pipeline would store it (after cleaning).

    Decodes the bytes itself (GBK, GB18030, UTF-8, BOM). Cross-page evidence (paragraphs planted
    on many pages of a site, duplicates) needs a crawl; everything else is applied here.
    """
    from datetime import datetime, timezone

    from crawler.extractors import extract as extract_page
    from crawler.items import item_from_page
    from pipelines.clean import clean_item

    body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    page_url = url or (Path(file).resolve().as_uri() if file != "-" else "file:///dev/stdin")
    selectors = None
    if site:
        from crawler.registry import RegistryError, load_registry, select_sites

        try:
            selectors = select_sites(load_registry(sites_file), [site])[0].selectors or None
        except RegistryError:
            selectors = None  # a site not in the registry: its built-in parser, if any
    page = extract_page(body, page_url, declared_encoding=declared, site=site, selectors=selectors)
    item = item_from_page(page, site=site or "-", fetched_at=datetime.now(timezone.utc))
    cleaned = clean_item(item)
    record = cleaned.item
    published = record.published_at.isoformat() if record.published_at else None
    output = {
        "url": record.url,
        "title": record.title,
        "published_at": published,
        "source": record.source,
        "author": record.author,
        "author_unit": record.author_unit,
        "editor": record.editor,
        "column_path": record.column_path,
        "body_text": record.body_text,
        "body_html": record.body_html,
        "attachments": record.attachments,
        "original_script": record.original_script,
        "page_kind": page.page_kind,
        "encoding": record.encoding,
        "next_pages": page.next_pages,
        "spam_page": cleaned.verdict.is_spam_page,
        "spam_reasons": list(cleaned.verdict.reasons),
        "removals": [{"kind": r.kind, "content": r.content} for r in record.removals],
    }
    click.echo(json.dumps(output, ensure_ascii=False, indent=2))


def print_summary(stats: dict[str, Any], figures: dict[str, Any], status: str, db_url: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"crawl run {stats.get('policy/run_id', '?')}: {status}")
    for column in ("site", "pages", "articles new", "copies new", "unchanged", "errors"):
        table.add_column(column, justify="left" if column == "site" else "right")
    for name, site in figures["stats"]["sites"].items():
        table.add_row(
            name, str(site["pages"]), str(site["articles_new"]), str(site["copies_new"]),
            str(site["unchanged"]), str(site["errors"]),
        )
    table.add_row(
        "all", str(figures["pages"]), str(figures["articles_new"]), str(figures["copies_new"]),
        str(figures["unchanged"]), str(figures["errors"]), style="bold",
    )
    console = Console(stderr=False)
    console.print(table)
    console.print(
        f"duplicates {figures['duplicates']} · spam removed {figures['spam_removed']} · "
        f"rejected {figures['rejected']} · store {mask_url(db_url)}"
    )


if __name__ == "__main__":
    main()
