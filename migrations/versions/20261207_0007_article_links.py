"""article_links: what a document says of others; articles.title_key

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

A 解读 and the policy it interprets, citations, amendments and repeals
(`pipelines.references`), resolved to stored articles by `articles.title_key`. Articles stored
before this revision get their key and links on `reprocess`.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("title_key", sa.String(length=255), nullable=True))
    op.create_index(op.f("ix_articles_title_key"), "articles", ["title_key"])
    op.create_table(
        "article_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_article_id", sa.Integer(), nullable=False),
        sa.Column("to_article_id", sa.Integer(), nullable=True),
        sa.Column("to_title", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["from_article_id"], ["articles.id"],
                                name=op.f("fk_article_links_from_article_id_articles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_article_id"], ["articles.id"],
                                name=op.f("fk_article_links_to_article_id_articles"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_links")),
        sa.UniqueConstraint("from_article_id", "kind", "to_title",
                            name=op.f("uq_article_links_from_article_id_kind_to_title")),
    )
    for column in ("from_article_id", "to_article_id", "to_title"):
        op.create_index(op.f(f"ix_article_links_{column}"), "article_links", [column])


def downgrade() -> None:
    for column in ("to_title", "to_article_id", "from_article_id"):
        op.drop_index(op.f(f"ix_article_links_{column}"), table_name="article_links")
    op.drop_table("article_links")
    op.drop_index(op.f("ix_articles_title_key"), table_name="articles")
    op.drop_column("articles", "title_key")
