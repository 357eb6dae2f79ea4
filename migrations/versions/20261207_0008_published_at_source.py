"""where each publication date came from

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

`published_at_source` on articles and on every copy: meta, structured (JSON-LD), byline, text
or url, as the extractor chose it (crawler.extractors.metadata). NULL where there is no date,
and on rows stored before this revision until `reprocess` stores their pages again.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, as in 0004: the views of 0002 read both tables.
def upgrade() -> None:
    op.add_column("articles", sa.Column("published_at_source", sa.String(length=16), nullable=True))
    op.add_column(
        "article_copies", sa.Column("published_at_source", sa.String(length=16), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("article_copies", "published_at_source")
    op.drop_column("articles", "published_at_source")
