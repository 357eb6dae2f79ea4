"""`policy-ingest browse`: the SQLite store in Datasette, read-only, on 127.0.0.1.

The store is opened the way Datasette opens a mutable file, `mode=ro`: every query sees what
a crawl running beside it has committed (its write-ahead log included), and the connection
cannot write. Datasette's immutable mode (`immutable=1`) is not used: it ignores the
write-ahead log, so a store being crawled would show stale or torn pages. The one connection
Datasette could open for writing is refused (`ReadOnlyDatabase`).

Descriptions and canned queries come from docs/schema.md (`crawler/browse_metadata.json`,
made by `crawler.schema_doc`); facets and the full-text search table are set here.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database, QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from crawler.schema_doc import METADATA_FILE

DEFAULT_PORT = 8001  # Datasette's own default
HOST = "127.0.0.1"
FTS_TABLE = "articles_fts"  # full-text index of titles and bodies, when the store has one

#: Facets shown on each table's page ({"year": column}: the year of a date, YearFacet).
FACETS: dict[str, list[Any]] = {
    "articles": ["site", "issuer", "doc_type", {"year": "published_at"}, "validity"],
    "article_copies": ["site", "relation"],
    "rejected_pages": ["site", "reason"],
    "removals": ["kind"],
    "article_links": ["kind"],
    "crawl_runs": ["status", "command"],
}
SORT_DESC = {"articles": "published_at", "crawl_runs": "id", "article_copies": "fetched_at"}
#: Derived index data that says nothing to a reader (binary signatures, fingerprints).
HIDDEN = ("dedup_entries", "paragraph_counts", "alembic_version")


class ReadOnlyDatabase(Database):
    """A Datasette database that never opens a connection able to write."""

    def connect(self, write: bool = False) -> sqlite3.Connection:
        if write:
            raise PermissionError("policy-ingest browse serves the store read-only")
        return super().connect(write=False)


class YearFacet(Facet):
    """Facet by the year of a date column ({"year": "published_at"}); selecting a year filters
    with `column__startswith=YYYY` (dates are stored as ISO text in SQLite)."""

    type = "year"

    async def suggest(self) -> list[Any]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            year = f"substr({escape_sqlite(column)}, 1, 4)"
            sql = (f"select {year} as value, count(*) as count from ({self.sql}) "
                   f"where {escape_sqlite(column)} is not null "
                   f"group by {year} order by value desc limit {size + 1}")
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:  # the facet took longer than facet_time_limit_ms
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                key = f"{column}__startswith"
                selected = args.get(key) == row["value"]
                path = (path_with_removed_args(self.request, {key: row["value"]}) if selected
                        else path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"],
                               "count": row["count"], "selected": selected,
                               "toggle_url": self.ds.absolute_url(self.request, path)})
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.absolute_url(self.request, path_with_removed_args(
                    self.request, {"_facet_year": column})),
                "truncated": len(rows.rows) > size,
            })
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    """Datasette plugin hook: this module is registered as a plugin by `make_datasette`."""
    return [YearFacet]


def browse_metadata(database: str, has_fts: bool) -> dict[str, Any]:
    """Datasette metadata for the store served as `database`: the doc's descriptions and
    queries, facets, and the full-text search of articles when the store has its index."""
    doc = json.loads(METADATA_FILE.read_text("utf-8"))
    tables: dict[str, dict[str, Any]] = {}
    for name, described in doc["tables"].items():
        table: dict[str, Any] = {}
        if described.get("description"):
            table["description"] = described["description"]
        if described.get("columns"):
            table["columns"] = described["columns"]
        tables[name] = table
    for name, facets in FACETS.items():
        tables.setdefault(name, {})["facets"] = facets
    for name, column in SORT_DESC.items():
        tables.setdefault(name, {})["sort_desc"] = column
    for name in HIDDEN:
        tables.setdefault(name, {})["hidden"] = True
    tables.setdefault("articles", {})["label_column"] = "title"  # copies and links show titles
    if has_fts:
        tables["articles"].update(fts_table=FTS_TABLE, fts_pk="id")
        tables.setdefault(FTS_TABLE, {})["hidden"] = True
    return {
        "title": "policy-ingest store",
        "description": "Chinese policy articles, their copies, rejections and spam cuts, "
                       "read-only. Tables and queries: docs/schema.md.",
        "databases": {database: {"tables": tables, "queries": doc["queries"]}},
    }


def has_table(path: Path, name: str) -> bool:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone() is not None


def make_datasette(path: Path) -> Datasette:
    """A Datasette serving the SQLite store at `path` read-only, with the store's metadata."""
    from datasette.plugins import pm

    if not pm.has_plugin("policy_ingest_facets"):
        pm.register(sys.modules[__name__], name="policy_ingest_facets")
    name = path.stem
    datasette = Datasette(
        [], metadata=browse_metadata(name, has_table(path, FTS_TABLE)),
        settings={"truncate_cells_html": 300, "default_page_size": 50},
    )
    datasette.add_database(ReadOnlyDatabase(datasette, path=str(path), is_mutable=True), name=name)
    return datasette


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:port (OSError when the port is taken): connections
    made once this returns wait in its queue until the server takes them."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(datasette: Datasette, sock: socket.socket) -> None:
    """Serve `datasette` on the listening `sock` until interrupted (Ctrl-C, SIGTERM)."""
    import uvicorn

    async def run() -> None:
        await datasette.invoke_startup()
        config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
        await uvicorn.Server(config).serve(sockets=[sock])

    asyncio.run(run())
