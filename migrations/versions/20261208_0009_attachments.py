"""attached files: attachments, attachment_files, attachment_urls, article_attachments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08

The files the articles link (PDF, Word, spreadsheets, OFD, archives): one `attachments` row per
distinct file by content (sha256), or per URL that gave no file (with its status and reason);
their bytes in `attachment_files`; the URLs fetched in `attachment_urls`; the links from
articles in `article_attachments`. Run figures for files on `crawl_runs`. Articles stored
before this revision get their links on the next crawl or `reprocess`.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUN_FIGURES = ("attachments_fetched", "attachments_new", "attachments_failed")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("media_type", sa.String(length=128), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("original_script", sa.String(length=16), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("copy_of_article_id", sa.Integer(), nullable=True),
        sa.Column("copy_similarity", sa.Float(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        _fk("attachments", "copy_of_article_id", "articles", "SET NULL"),
        _fk("attachments", "crawl_run_id", "crawl_runs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("sha256", name=op.f("uq_attachments_sha256")),
    )
    _indexes("attachments", "content_hash", "copy_of_article_id", "crawl_run_id", "status")
    op.create_table(
        "attachment_files",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("body_gzip", sa.LargeBinary(), nullable=False),
        sa.Column("body_length", sa.BigInteger(), nullable=False),
        sa.Column("dedup_entry", sa.LargeBinary(), nullable=True),
        _fk("attachment_files", "attachment_id", "attachments", "CASCADE"),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachment_files")),
    )
    op.create_table(
        "attachment_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        _fk("attachment_urls", "attachment_id", "attachments", "CASCADE"),
        _fk("attachment_urls", "crawl_run_id", "crawl_runs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_urls")),
        sa.UniqueConstraint("url", name=op.f("uq_attachment_urls_url")),
    )
    _indexes("attachment_urls", "attachment_id", "crawl_run_id", "site")
    op.create_table(
        "article_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("link_text", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("copy_of_article_id", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        _fk("article_attachments", "article_id", "articles", "CASCADE"),
        _fk("article_attachments", "attachment_id", "attachments", "SET NULL"),
        _fk("article_attachments", "copy_of_article_id", "articles", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_attachments")),
        sa.UniqueConstraint("article_id", "url", name=op.f("uq_article_attachments_article_id_url")),
    )
    _indexes("article_attachments", "article_id", "attachment_id", "copy_of_article_id", "url")
    # Plain ALTER TABLE, as in 0004 and 0008.
    for name in _RUN_FIGURES:
        op.add_column(
            "crawl_runs", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    for name in reversed(_RUN_FIGURES):
        op.drop_column("crawl_runs", name)
    for table, columns in (
        ("article_attachments", ("article_id", "attachment_id", "copy_of_article_id", "url")),
        ("attachment_urls", ("attachment_id", "crawl_run_id", "site")),
        ("attachment_files", ()),
        ("attachments", ("content_hash", "copy_of_article_id", "crawl_run_id", "status")),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
