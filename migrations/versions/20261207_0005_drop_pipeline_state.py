"""drop pipeline_state

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

`pipeline_state` held named state between runs; the paragraph counter, its only user, keeps
its pages in `paragraph_counts` (0003), and nothing reads or writes the table any more.
Downgrading creates it again, empty.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("pipeline_state")


def downgrade() -> None:
    op.create_table(
        "pipeline_state",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipeline_state")),
    )
