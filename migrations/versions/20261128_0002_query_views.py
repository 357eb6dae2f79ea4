"""SQL views for the joins data engineers run every day

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

article_with_copies: one row per copy with its article's fields (what a copy belongs to).
daily_site_counts: articles per site per day (the publication day; the first-seen day when
the page gave no date).
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARTICLE_WITH_COPIES = """
CREATE VIEW article_with_copies AS
SELECT a.id AS article_id, a.url AS canonical_url, a.site AS canonical_site, a.title,
       a.published_at, a.source, a.author, a.column_path, a.original_script AS canonical_script,
       c.id AS copy_id, c.url AS copy_url, c.site AS copy_site, c.relation, c.similarity,
       c.original_script AS copy_script, c.fetched_at, c.spam_cuts, c.crawl_run_id
FROM articles a JOIN article_copies c ON c.article_id = a.id
"""

DAY = {
    "sqlite": "date(coalesce(published_at, first_seen_at))",
    "postgresql": "CAST(coalesce(published_at, first_seen_at AT TIME ZONE 'UTC') AS DATE)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(ARTICLE_WITH_COPIES)
    day = DAY.get(dialect, DAY["postgresql"])
    op.execute(
        f"""
CREATE VIEW daily_site_counts AS
SELECT site, {day} AS day, count(*) AS articles,
       sum(CASE WHEN published_at IS NULL THEN 0 ELSE 1 END) AS with_date
FROM articles
GROUP BY site, {day}
"""
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS daily_site_counts")
    op.execute("DROP VIEW IF EXISTS article_with_copies")
