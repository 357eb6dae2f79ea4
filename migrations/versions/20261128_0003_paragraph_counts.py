"""paragraph counts kept page by page

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

The paragraph counter kept every page it had ever seen, as one JSON state in pipeline_state
written at the end of a run (3.8 KB a page, unbounded). It now counts a window of each site's
latest pages and keeps one row per page here, written with the page. The old state is read
once by the next run and moved into this table (pipelines.ingest).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paragraph_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("exact", sa.LargeBinary(), nullable=False),
        sa.Column("bands", sa.LargeBinary(), nullable=False),
        sa.Column("spammy", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paragraph_counts")),
        sa.UniqueConstraint("url", name=op.f("uq_paragraph_counts_url")),
    )
    op.create_index("ix_paragraph_counts_site_seq", "paragraph_counts", ["site", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_paragraph_counts_site_seq", table_name="paragraph_counts")
    op.drop_table("paragraph_counts")
