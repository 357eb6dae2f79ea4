"""attachment text in full-text search: attachments_fts (SQLite), a pg_trgm index (PostgreSQL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

SQLite: `attachments_fts`, an FTS5 table with the trigram tokenizer over attachments.text
(external content, like `articles_fts`), kept in step by three triggers on `attachments` and
filled for the files already stored. PostgreSQL: a GIN trigram index on attachments.text, under
the same locale check as revision 0010 (`migrations.search_index`). Which links make a file's
text an article's (`article_attachments.relation`) is decided by the query, not the index:
docs/search.md.
"""
from __future__ import annotations

from collections.abc import Sequence

from migrations.search_index import downgrade_search_index, upgrade_search_index

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UPGRADE = (
    """CREATE VIRTUAL TABLE attachments_fts USING fts5(
        text, content='attachments', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER attachments_fts_insert AFTER INSERT ON attachments BEGIN
        INSERT INTO attachments_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER attachments_fts_delete AFTER DELETE ON attachments BEGIN
        INSERT INTO attachments_fts(attachments_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END""",
    # The store rewrites a file's status, figures and copy fields more often than its text.
    """CREATE TRIGGER attachments_fts_update AFTER UPDATE OF id, text ON attachments BEGIN
        INSERT INTO attachments_fts(attachments_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO attachments_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO attachments_fts(attachments_fts) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS attachments_fts_update",
    "DROP TRIGGER IF EXISTS attachments_fts_delete",
    "DROP TRIGGER IF EXISTS attachments_fts_insert",
    "DROP TABLE IF EXISTS attachments_fts",
)

PG_INDEXES = {"text": "ix_attachments_text_trgm"}


def upgrade() -> None:
    upgrade_search_index(SQLITE_UPGRADE, "attachments", PG_INDEXES)


def downgrade() -> None:
    downgrade_search_index(SQLITE_DOWNGRADE, PG_INDEXES)
