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

from collections.abc import Sequence

from migrations.search_index import downgrade_search_index, upgrade_search_index

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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


def upgrade() -> None:
    upgrade_search_index(SQLITE_UPGRADE, "articles", PG_INDEXES)


def downgrade() -> None:
    downgrade_search_index(SQLITE_DOWNGRADE, PG_INDEXES)
