"""policy fields: document number, issuer, dates written and in force, standing, type, level

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

What a policy document says of itself (`crawler/extractors/policy.py`), on `articles` from the
canonical copy and on `article_copies` as each copy shows them, plus the site's display name
on `articles`. Rows stored before this revision have none of them until `reprocess` reads their
pages again.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("doc_number", sa.String(length=128)),
    ("doc_number_key", sa.String(length=128)),
    ("issuer", sa.String(length=255)),
    ("written_at", sa.Date()),
    ("effective_at", sa.Date()),
    ("index_no", sa.String(length=128)),
    ("topic", sa.String(length=255)),
    ("keywords", sa.String(length=500)),
    ("validity", sa.String(length=16)),
    ("doc_type", sa.String(length=16)),
    ("level", sa.String(length=16)),
    ("column_name", sa.String(length=255)),
)
INDEXED = ("doc_number_key", "issuer", "written_at", "doc_type")


# Plain ALTER TABLE (as 0004): the views of 0002 read both tables.
def upgrade() -> None:
    op.add_column("articles", sa.Column("site_name", sa.String(length=255), nullable=True))
    for table in ("articles", "article_copies"):
        for name, kind in COLUMNS:
            op.add_column(table, sa.Column(name, kind, nullable=True))
    for name in INDEXED:
        op.create_index(op.f(f"ix_articles_{name}"), "articles", [name])


def downgrade() -> None:
    for name in INDEXED:
        op.drop_index(op.f(f"ix_articles_{name}"), table_name="articles")
    for table in ("article_copies", "articles"):
        for name, _ in reversed(COLUMNS):
            op.drop_column(table, name)
    op.drop_column("articles", "site_name")
