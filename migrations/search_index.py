"""The search indexes' steps that more than one revision takes (0010 over articles, 0011 over
attachments): SQLite's version check for the FTS5 trigram tokenizer, and PostgreSQL's pg_trgm
GIN indexes, made only where the database's locale lets pg_trgm index Chinese."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence

from alembic import op
from sqlalchemy import Connection, text

log = logging.getLogger("alembic.runtime.migration")

SQLITE_TRIGRAM_MIN = (3, 34, 0)  # the FTS5 trigram tokenizer arrived in SQLite 3.34.0

# Four Chinese characters give five trigrams under a locale that classifies them as letters
# (C.UTF-8, zh_CN.UTF-8, en_US.UTF-8, ICU) and none under C/POSIX.
PG_PROBE = "SELECT cardinality(show_trgm('低空经济'))"


def check_sqlite() -> None:
    """Stop with what to do when this Python's SQLite has no trigram tokenizer."""
    if sqlite3.sqlite_version_info < SQLITE_TRIGRAM_MIN:
        raise RuntimeError(
            f"full-text search needs SQLite >= 3.34 (the FTS5 trigram tokenizer); this Python "
            f"links SQLite {sqlite3.sqlite_version}: use a Python built against a newer SQLite "
            f"(python.org and distribution builds since 2021 are), or a PostgreSQL store"
        )


def create_trigram_indexes(bind: Connection, table: str, indexes: Mapping[str, str]) -> None:
    """GIN `gin_trgm_ops` indexes on `table` (column -> index name), after creating pg_trgm;
    none, and a warning saying how to fix it, where the extension cannot be created or the
    database's LC_CTYPE gives Chinese characters no trigrams. Searching then works by a scan."""
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as exc:  # noqa: BLE001 - any refusal means the same: no extension, no index
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        log.warning(
            "full-text search: cannot create the extension pg_trgm (%s); searching works by a "
            "scan, without an index. Fix: have a superuser run CREATE EXTENSION pg_trgm in "
            "this database, then run the CREATE INDEX statements of docs/search.md", reason,
        )
        return
    if not bind.execute(text(PG_PROBE)).scalar():
        lc_ctype = bind.execute(text("SHOW lc_ctype")).scalar()
        log.warning(
            "full-text search: this database's LC_CTYPE is %r, under which pg_trgm takes no "
            "Chinese character into a trigram, so no search index is made on %s; searching "
            "works by a scan, correct but slow on a large store. Fix: create the database with "
            "a UTF-8 locale (CREATE DATABASE ... LC_CTYPE 'C.UTF-8' TEMPLATE template0), move "
            "the data there and run the CREATE INDEX statements of docs/search.md",
            lc_ctype, table,
        )
        return
    for column, name in indexes.items():
        bind.execute(text(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        ))


def upgrade_search_index(
    sqlite_statements: Sequence[str], table: str, pg_indexes: Mapping[str, str]
) -> None:
    """A revision's upgrade: the FTS5 statements on SQLite, the trigram indexes on PostgreSQL."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        check_sqlite()
        for statement in sqlite_statements:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        create_trigram_indexes(bind, table, pg_indexes)


def downgrade_search_index(sqlite_statements: Sequence[str], pg_indexes: Mapping[str, str]) -> None:
    """A revision's downgrade. pg_trgm stays: other objects of the database may use it, and
    it costs nothing idle."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in sqlite_statements:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for name in pg_indexes.values():
            op.execute(f"DROP INDEX IF EXISTS {name}")
