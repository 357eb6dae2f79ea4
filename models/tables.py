"""The store's tables: one canonical row per article, its copies, rejections, cuts, runs and
attached files.

Names of tables and of the columns users and downstream jobs rely on (README, docs/schema.md)
are fixed; everything else here may grow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

# URLs on this web run long (query strings of TRS/PHPCMS dynamic pages); 2048 is the practical
# browser limit and keeps the unique index usable on every backend.
URL_LENGTH = 2048


class CrawlRun(Base):
    """One run of the crawler (or of `reprocess`), opened at start and completed at the end."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # running | ok | degraded | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    command: Mapped[str] = mapped_column(String(32), default="crawl")
    sites: Mapped[Optional[list[str]]] = mapped_column(JSON)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    copies_new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    spam_removed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # Attached files: fetched (downloaded or answered 304), stored as a new distinct file, and
    # ended without text (a fetch error, too large, no reader, a broken file); by status in
    # stats["stages"]["attachments/..."].
    attachments_fetched: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attachments_new: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attachments_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stats: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    message: Mapped[Optional[str]] = mapped_column(Text)
    hostname: Mapped[Optional[str]] = mapped_column(String(255))
    pid: Mapped[Optional[int]] = mapped_column(Integer)


class PolicyFields:
    """What a policy document says of itself (`crawler/extractors/policy.py`): its number, issuer,
    dates and standing, from the 政务公开 information table, the government-site meta tags, the
    title and the signature block. On `articles` from the canonical copy, on `article_copies` as
    each copy shows them; None where the page does not say."""

    # 发文字号 as shown (工信部联规〔2025〕12号), and folded to compare equal however written:
    # brackets unified, spaces removed, full/half width folded.
    doc_number: Mapped[Optional[str]] = mapped_column(String(128))
    doc_number_key: Mapped[Optional[str]] = mapped_column(String(128))
    issuer: Mapped[Optional[str]] = mapped_column(String(255))  # 发文机关
    written_at: Mapped[Optional[date]] = mapped_column(Date)  # 成文日期
    effective_at: Mapped[Optional[date]] = mapped_column(Date)  # 施行日期
    index_no: Mapped[Optional[str]] = mapped_column(String(128))  # 索引号
    topic: Mapped[Optional[str]] = mapped_column(String(255))  # 主题分类
    keywords: Mapped[Optional[str]] = mapped_column(String(500))  # 主题词
    validity: Mapped[Optional[str]] = mapped_column(String(16))  # 有效 / 失效 / 废止 / …
    doc_type: Mapped[Optional[str]] = mapped_column(String(16))  # 通知 / 意见 / 办法 / 解读 / …
    level: Mapped[Optional[str]] = mapped_column(String(16))  # national / provincial / city / county
    column_name: Mapped[Optional[str]] = mapped_column(String(255))  # <meta name="ColumnName">


class Article(PolicyFields, Base):
    """The canonical record of one distinct article; its fields come from its best copy."""

    __tablename__ = "articles"
    __table_args__ = (
        Index(None, "doc_number_key"),
        Index(None, "issuer"),
        Index(None, "written_at"),
        Index(None, "doc_type"),
        Index(None, "title_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[Optional[str]] = mapped_column(Text)
    # The name other documents cite this one by (`pipelines.references.title_key`): the plan a
    # 关于印发《X》的通知 carries, else the title. `article_links.to_title` is matched against it.
    title_key: Mapped[Optional[str]] = mapped_column(String(255))
    published_at: Mapped[Optional[datetime]] = mapped_column(DateTime, index=True)
    # False when the page gave a date only: published_at then sits at midnight, and exports
    # print the date alone instead of inventing a time.
    published_has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where published_at came from: meta, structured (JSON-LD), byline, text or url.
    published_at_source: Mapped[Optional[str]] = mapped_column(String(16))
    source: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    author: Mapped[Optional[str]] = mapped_column(String(255))
    author_unit: Mapped[Optional[str]] = mapped_column(Text)
    editor: Mapped[Optional[str]] = mapped_column(String(255))
    column_path: Mapped[Optional[str]] = mapped_column(Text)
    site_name: Mapped[Optional[str]] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[Optional[str]] = mapped_column(Text)
    attachments: Mapped[Optional[list[dict[str, str]]]] = mapped_column(JSON)
    original_script: Mapped[str] = mapped_column(String(16), default="simplified")
    # sha256 of the normalised body: exact duplicates are found with one indexed lookup.
    content_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    copies: Mapped[list["ArticleCopy"]] = relationship(back_populates="article")


class ArticleCopy(PolicyFields, Base):
    """A URL at which an article's body was seen, and why it belongs to that article."""

    __tablename__ = "article_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Estimated Jaccard similarity of the normalised body to the canonical copy's (1.0 for it).
    similarity: Mapped[float] = mapped_column(Float, default=1.0)
    # canonical | exact | near_duplicate | mirror | contained | contains | same_number
    relation: Mapped[str] = mapped_column(String(16))
    crawl_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[Optional[str]] = mapped_column(Text)
    published_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    published_at_source: Mapped[Optional[str]] = mapped_column(String(16))
    original_script: Mapped[str] = mapped_column(String(16), default="simplified")
    # What the canonical choice reads of a copy besides its dates and length: its 来源, the
    # display name its site gives itself, and whether its body opens with an editor's note
    # (pipelines.canonical).
    source: Mapped[Optional[str]] = mapped_column(String(255))
    site_name: Mapped[Optional[str]] = mapped_column(String(255))
    editor_note: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    body_length: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[Optional[str]] = mapped_column(String(64))
    spam_cuts: Mapped[int] = mapped_column(Integer, default=0)
    # Validators for conditional re-fetches in incremental crawls.
    etag: Mapped[Optional[str]] = mapped_column(String(255))
    last_modified: Mapped[Optional[str]] = mapped_column(String(64))
    encoding: Mapped[Optional[str]] = mapped_column(String(32))

    article: Mapped[Article] = relationship(back_populates="copies")
    removals: Mapped[list["Removal"]] = relationship(
        back_populates="copy", cascade="all, delete-orphan", passive_deletes=True
    )


class RejectedPage(Base):
    """A page that was fetched (or failed to fetch) but is not stored as an article."""

    __tablename__ = "rejected_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    # spam_page | not_article | empty_body | fetch_error | http_error | bad_encoding | too_large
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[Optional[str]] = mapped_column(Text)
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crawl_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class Removal(Base):
    """A piece of content cut from a kept page, kept as evidence of why."""

    __tablename__ = "removals"
    __table_args__ = (Index(None, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(
        ForeignKey("article_copies.id", ondelete="CASCADE"), index=True
    )
    # injected_title | hidden_block | link_farm | injected_paragraph | repeated_body | boilerplate
    kind: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    detail: Mapped[Optional[str]] = mapped_column(Text)

    copy: Mapped[ArticleCopy] = relationship(back_populates="removals")


class DedupEntry(Base):
    """The near-duplicate index entry of one stored copy (signature + verification sample).

    The in-memory index is rebuilt from these rows at the start of every run, so tomorrow's
    crawl recognises today's articles. `params` names the signature scheme; rows made with
    other parameters are refused with a message to re-process.
    """

    __tablename__ = "dedup_entries"

    copy_id: Mapped[int] = mapped_column(
        ForeignKey("article_copies.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    entry: Mapped[bytes] = mapped_column(LargeBinary)


class ParagraphCount(Base):
    """What the per-site paragraph counter (`pipelines.spam.ParagraphFrequency`) keeps of one
    page: the fingerprints of its paragraphs, which find paragraphs planted on many unrelated
    pages of a site. One row per page in its site's window (the last pages observed); written
    in the transaction that stores the page, deleted when the page leaves the window, read
    back at the start of every run. Derived data: `reprocess --rebuild` recomputes it.
    """

    __tablename__ = "paragraph_counts"
    __table_args__ = (Index("ix_paragraph_counts_site_seq", "site", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)  # observation order within the site
    # Little-endian uint64 arrays: distinct exact fingerprints of the tracked paragraphs; their
    # skeleton fingerprints and near-match band keys; the fingerprints of those with spam terms.
    exact: Mapped[bytes] = mapped_column(LargeBinary)
    bands: Mapped[bytes] = mapped_column(LargeBinary)
    spammy: Mapped[bytes] = mapped_column(LargeBinary)


class RawPage(Base):
    """The bytes of a fetched article page as served, kept so `reprocess` never needs the web.

    One row per URL (the latest fetch); `article_copies.url` and `rejected_pages.url` find it.
    The body is gzip-compressed (about 2.7:1 on the demo web).
    """

    __tablename__ = "raw_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    http_status: Mapped[int] = mapped_column(Integer, default=200)
    content_type: Mapped[Optional[str]] = mapped_column(String(255))
    etag: Mapped[Optional[str]] = mapped_column(String(255))
    last_modified: Mapped[Optional[str]] = mapped_column(String(64))
    body_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    body_length: Mapped[int] = mapped_column(Integer)
    # Page 2..N of a multi-page article: the URL of its page 1 (None for page 1 itself).
    part_of: Mapped[Optional[str]] = mapped_column(String(URL_LENGTH), index=True)
    crawl_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class ArticleLink(Base):
    """A document naming another (`pipelines.references`): a 解读 and its policy, a citation, an
    amendment, a repeal. `to_article_id` is NULL while no stored article answers to `to_title`,
    and is filled when one arrives."""

    __tablename__ = "article_links"
    __table_args__ = (UniqueConstraint("from_article_id", "kind", "to_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    to_article_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    to_title: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # interprets | cites | amends | repeals
    evidence: Mapped[Optional[str]] = mapped_column(Text)



class Attachment(Base):
    """A distinct attached file, by content: the same PDF linked from ten sites is one row.

    A file that could not be had (a fetch error, an HTTP error, larger than
    ATTACHMENT_MAX_BYTES, on a host outside the site) is a row too, with its status and reason
    and no `sha256`: `attachment_urls` points the URL at it, so nothing tried is lost. Its bytes
    are in `attachment_files`, apart, so that `SELECT * FROM attachments` stays light.
    """

    __tablename__ = "attachments"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the bytes as served (NULL for a file that was not downloaded).
    sha256: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    # The readable name: the Content-Disposition file name, else the link text when it names a
    # file (TRS serves P020251016398145672310.pdf), else the URL's file name.
    name: Mapped[Optional[str]] = mapped_column(String(500))
    media_type: Mapped[Optional[str]] = mapped_column(String(128))
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    pages: Mapped[Optional[int]] = mapped_column(Integer)
    # The file's text, normalised as article bodies are (Simplified), lines joined by \n.
    text: Mapped[str] = mapped_column(Text, default="")
    # ok | needs_ocr | no_reader | too_large | failed | skipped
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    original_script: Mapped[Optional[str]] = mapped_column(String(16))
    # sha256 of the normalised text, as articles.content_hash is of the body.
    content_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    # The stored article whose body this file's text is (a policy published both as a page and
    # as a file), found in the near-duplicate index when the file was stored (or reprocessed),
    # and how alike the two texts are.
    copy_of_article_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    copy_similarity: Mapped[Optional[float]] = mapped_column(Float)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crawl_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class AttachmentFile(Base):
    """The bytes of a stored file as served (gzip, like raw_pages), and the near-duplicate index
    entry of its text (`pipelines.dedup`), which compares it with article bodies."""

    __tablename__ = "attachment_files"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    body_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    body_length: Mapped[int] = mapped_column(BigInteger)
    dedup_entry: Mapped[Optional[bytes]] = mapped_column(LargeBinary)


class AttachmentUrl(Base):
    """A URL at which a file was fetched (or tried): the latest fetch, its validators for
    conditional re-fetches, and the `attachments` row it gave. Kept by URL like raw_pages, so
    that rebuilt articles find their files again without fetching."""

    __tablename__ = "attachment_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), index=True
    )
    # The readable name this URL gives its file (the same file may have another on another site).
    name: Mapped[Optional[str]] = mapped_column(String(500))
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    content_type: Mapped[Optional[str]] = mapped_column(String(255))
    etag: Mapped[Optional[str]] = mapped_column(String(255))
    last_modified: Mapped[Optional[str]] = mapped_column(String(64))
    # When the URL was last fetched or confirmed unchanged (a 304).
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crawl_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class ArticleAttachment(Base):
    """A link from an article to a file, as its pages show it. `attachment_id` is NULL until the
    URL has been fetched (or when the run's caps left it out); it is filled in when the file
    arrives, whichever comes first.

    `relation` says what the file is to the article: `attachment` (its own text), `same_as_body`
    (the file holds the article's body again: not counted twice), or `copy_of_article` (the
    file's text is the body of another stored article, `copy_of_article_id`). `similarity` is
    the measured likeness for the latter two.
    """

    __tablename__ = "article_attachments"
    __table_args__ = (UniqueConstraint("article_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    attachment_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(String(URL_LENGTH), index=True)
    link_text: Mapped[Optional[str]] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    relation: Mapped[str] = mapped_column(String(16), default="attachment")
    copy_of_article_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    similarity: Mapped[Optional[float]] = mapped_column(Float)
