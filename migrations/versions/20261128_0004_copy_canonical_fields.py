"""what the canonical choice reads of every copy

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Whether a copy is a repost depends on the other copies of its article: its 来源 naming another
copy's site, an editor's note at its start (pipelines.canonical). The store re-ranks all the
copies of an article when one arrives, so each copy keeps its 来源, its site's display name
and the editor's-note flag. Rows stored before this revision have none of them until
`reprocess` stores their pages again.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch copy of the table: the views of 0002 read article_copies, and
# SQLite refuses to rename a table into their place (ADD/DROP COLUMN: SQLite 3.35 and later).
def upgrade() -> None:
    op.add_column("article_copies", sa.Column("source", sa.String(length=255), nullable=True))
    op.add_column("article_copies", sa.Column("site_name", sa.String(length=255), nullable=True))
    op.add_column(
        "article_copies",
        sa.Column("editor_note", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("article_copies", "editor_note")
    op.drop_column("article_copies", "site_name")
    op.drop_column("article_copies", "source")
