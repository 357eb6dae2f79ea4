"""full-text search: articles_fts (SQLite FTS5 trigram) and pg_trgm indexes (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

SQLite: `articles_fts`, an FTS5 table with the trigram tokenizer over articles.title and
articles.body_text (external content: the text lives once, in `articles`), kept in step by
three triggers on `articles`, so every write path (crawl, reprocess --rebuild, a canonical copy
replaced) updates it in the same transaction. Filled for the rows already stored.

PostgreSQL: GIN trigram indexes (pg_trgm, gin_trgm_ops) on articles.title and
articles.body_text, which serve LIKE '%term%' (docs/search.md says why trigrams and not a
segmented tsvector). pg_trgm only takes alphanumeric characters into its trigrams, and under a
`C`/`POSIX` LC_CTYPE no Chinese character is one: such a database gets no index (searching
stays correct, by a scan) and a warning that says how to fix it.

A batch-mode migration of `articles` on SQLite (one that copies the table) drops the triggers:
it must create them again, as `upgrade` does here.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_TRIGRAM_MIN = (3, 34, 0)  # the FTS5 trigram tokenizer arrived in SQLite 3.34.0

SQLITE_UPGRADE = (
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body_text, content='articles', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body_text)
        VALUES (new.id, new.title, new.body_text);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
    END""",
    # Only a change of the indexed text touches the index: the store rewrites dates, copies'
    # figures and policy fields far more often than the text.
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF id, title, body_text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
        INSERT INTO articles_fts(rowid, title, body_text)
        VALUES (new.id, new.title, new.body_text);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)

PG_INDEXES = {"title": "ix_articles_title_trgm", "body_text": "ix_articles_body_text_trgm"}
# Four Chinese characters give five trigrams under a locale that classifies them as letters
# (C.UTF-8, zh_CN.UTF-8, en_US.UTF-8, ICU) and none under C/POSIX.
PG_PROBE = "SELECT cardinality(show_trgm('低空经济'))"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _check_sqlite()
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        # pg_trgm stays: other objects of the database may use it, and it costs nothing idle.
        for name in PG_INDEXES.values():
            op.execute(f"DROP INDEX IF EXISTS {name}")


def _check_sqlite() -> None:
    if sqlite3.sqlite_version_info < SQLITE_TRIGRAM_MIN:
        raise RuntimeError(
            f"full-text search needs SQLite >= 3.34 (the FTS5 trigram tokenizer); this Python "
            f"links SQLite {sqlite3.sqlite_version}: use a Python built against a newer SQLite "
            f"(python.org and distribution builds since 2021 are), or a PostgreSQL store"
        )


def _upgrade_postgresql(bind: Connection) -> None:
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
            "Chinese character into a trigram, so no search index is made; searching works by a "
            "scan, correct but slow on a large store. Fix: create the database with a UTF-8 "
            "locale (CREATE DATABASE ... LC_CTYPE 'C.UTF-8' TEMPLATE template0), move the data "
            "there and run the CREATE INDEX statements of docs/search.md", lc_ctype,
        )
        return
    for column, name in PG_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON articles USING gin ({column} gin_trgm_ops)")
