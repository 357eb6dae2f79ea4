"""The store: writes articles, their copies, cuts, rejections and run records.

Pure of Scrapy: `pipelines.ingest.Ingestor` drives it, `pipelines.item_pipelines` wraps that. Every
write is one short transaction that is safe to repeat: a URL is stored once (unique
constraints), so re-crawling or re-processing a page updates its row instead of adding one.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from datetime import time as time_of_day
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import (
    Connection, Engine, Table, bindparam, delete, func, insert, or_, select, text, update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from models import (
    Article,
    ArticleAttachment,
    ArticleCopy,
    ArticleLink,
    CrawlRun,
    DedupEntry,
    ParagraphCount,
    RawPage,
    RejectedPage,
    Removal,
)
from models.database import session_factory, wal_checkpointer
from pipelines.canonical import Copy, opens_with_editor_note, rank_copies
from pipelines.attachments.store import (
    FileWrites, KnownFile, file_entries, known_files, stored_sha256,
)
from pipelines.dedup import DedupParams, ShingleSample, entry_sample
from pipelines.items import (
    POLICY_FIELDS, ArticleItem, RawPageRecord, RejectedPageItem, spam_cut_count,
)
from pipelines.references import Reference, references, title_key
from pipelines.spam.counter import CountedPage

log = logging.getLogger(__name__)

T = TypeVar("T")

# gzip level of kept raw pages: on CMS pages (demo web, benchmark corpus) level 1 compresses
# 1.4-1.7x faster than level 6 for 7-8 % more bytes (2.6-3.3:1 instead of 2.7-3.6:1).
RAW_GZIP_LEVEL = 1

#: Rows a batch writes from which its commit wakes the background WAL checkpointer (SQLite):
#: ~20 pages' articles, copies, cuts, index entries and counts.
CHECKPOINT_AFTER_ROWS = 100

# Outcomes of saving one article page.
NEW_ARTICLE = "new_article"
NEW_COPY = "new_copy"
UPDATED = "updated"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SaveOutcome:
    outcome: str
    article_id: int
    copy_id: int
    relation: str
    #: True when this copy replaced the article's canonical copy.
    became_canonical: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def content_hash(body_text: str) -> str:
    """Hash of the normalised body; equal hashes mean an exact copy."""
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


def split_published(value: datetime | date | None) -> tuple[Optional[datetime], bool]:
    """Store dates as datetimes at midnight, remembering that the page gave no time."""
    if value is None:
        return None, False
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), True
    return datetime.combine(value, time_of_day()), False


def article_fields(item: ArticleItem) -> dict[str, Any]:
    """The `articles` columns an item fills (its canonical copy's fields)."""
    published_at, has_time = split_published(item.published_at)
    return {
        "title": item.title,
        "title_key": title_key(item.title),
        "published_at": published_at,
        "published_has_time": has_time,
        "published_at_source": item.published_at_source if published_at is not None else None,
        "source": item.source,
        "author": item.author,
        "author_unit": item.author_unit,
        "editor": item.editor,
        "column_path": item.column_path,
        "site_name": item.site_name,
        "body_text": item.body_text,
        "body_html": item.body_html,
        "attachments": item.attachments or None,
        "original_script": item.original_script,
        "content_hash": item.content_hash,
        **policy_fields(item),
    }


# The policy columns (`models.tables.PolicyFields`) carry the item's fields of the same names.
#: The doc_type of a 解读: it quotes its policy's number without being that document.
INTERPRETATION = "解读"


def is_numbered_document(item: ArticleItem) -> bool:
    """A page that is the document its number and issuer name (not a 解读 quoting them)."""
    return bool(item.doc_number_key and item.issuer) and item.doc_type != INTERPRETATION


_POLICY_LENGTHS = {
    name: getattr(ArticleCopy.__table__.c[name].type, "length", None) for name in POLICY_FIELDS
}


def policy_fields(item: ArticleItem) -> dict[str, Any]:
    """What the policy document says of itself, each value cut to its column's length."""
    values: dict[str, Any] = {}
    for name in POLICY_FIELDS:
        value = getattr(item, name)
        if isinstance(value, str):
            value = value[: _POLICY_LENGTHS[name]] or None
        elif isinstance(value, datetime):
            value = value.date()
        values[name] = value
    return values


def copy_fields(item: ArticleItem) -> dict[str, Any]:
    """The `article_copies` columns an item fills (as this copy shows them)."""
    published_at, _ = split_published(item.published_at)
    return {
        "site": item.site,
        "fetched_at": item.fetched_at,
        "title": item.title,
        "published_at": published_at,
        "published_at_source": item.published_at_source if published_at is not None else None,
        "source": item.source,
        "site_name": item.site_name,
        "editor_note": opens_with_editor_note(item.paragraphs),
        "original_script": item.original_script,
        "body_length": len(item.body_text),
        "content_hash": item.content_hash,
        "spam_cuts": spam_cut_count(item.removals),
        "etag": item.etag,
        "last_modified": item.last_modified,
        "encoding": item.encoding,
        **policy_fields(item),
    }


class ArticleStore:
    """Writes to one store; the caller owns the engine (see models.database)."""

    #: How often a transaction is retried after losing a race or a deadlock.
    MAX_ATTEMPTS = 5

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        # SQLite: the write-ahead log of large batches is checkpointed in the background, not
        # in our commits (see `write_batch`).
        self.checkpoints = wal_checkpointer(engine)

    # -- transactions ---------------------------------------------------------------------

    def _transaction(
        self, work: Callable[[Session], T], undo: Optional[Callable[[], None]] = None
    ) -> T:
        """Run `work` in one transaction, retrying races (unique violations) and deadlocks.

        `undo` is called whenever the transaction did not commit (before a retry, and before
        the error is raised): it takes back what `work` changed outside the database.
        """
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            try:
                with self.sessions.begin() as session:
                    return work(session)
            except BaseException as exc:
                if undo is not None:
                    undo()
                # IntegrityError: another writer stored the same URL between our read and our
                # insert; the retry reads its row and takes the update path.
                if not _is_transient(exc) or attempt == self.MAX_ATTEMPTS:
                    raise
            # Back off a little (10 ms, 20 ms, 40 ms…) so that racing writers interleave.
            time.sleep(0.01 * 2 ** (attempt - 1))
            log.debug("retrying store transaction (attempt %d)", attempt + 1)
        raise AssertionError("unreachable")

    def write_batch(
        self, work: Callable[["StoreBatch"], T], undo: Optional[Callable[[], None]] = None
    ) -> T:
        """Run `work` with a `StoreBatch`: all its writes in one transaction, retried as a whole.

        `work` may run more than once (after a lost race or a deadlock); `undo` takes back
        what a failed attempt changed outside the database (an index, counters).
        """

        written = 0

        def run(session: Session) -> T:
            nonlocal written
            batch = StoreBatch(session)
            result = work(batch)
            written = batch.flush()
            written += batch.flush_links()
            written += batch.files.flush()
            return result

        result = self._transaction(run, undo)
        # A large batch writes its rows at its end (`flush`): a checkpoint started now copies
        # them into the database file while the next batch reads and decides. Small
        # transactions leave it to SQLite, at its mark: one page a transaction, back to back,
        # ran 10-40 % slower with a background checkpoint after each (the writer always ahead
        # of it, the log only growing).
        if written >= CHECKPOINT_AFTER_ROWS and self.checkpoints is not None:
            self.checkpoints.wake()
        return result

    # -- articles -------------------------------------------------------------------------

    def save_article(
        self,
        item: ArticleItem,
        dedup_entry: Optional[bytes] = None,
        relations: Optional[Mapping[int, tuple[str, float]]] = None,
    ) -> SaveOutcome:
        """Store one article page in its own transaction (see `StoreBatch.save_article`)."""
        return self.write_batch(lambda batch: batch.save_article(item, dedup_entry, relations))

    def dedup_rows(self) -> Iterable[tuple[int, int, bytes]]:
        """(copy_id, article_id, entry) of every indexed copy, streamed in id order."""
        with self.sessions() as session:
            result = session.execute(
                select(DedupEntry.copy_id, DedupEntry.article_id, DedupEntry.entry)
                .order_by(DedupEntry.copy_id)
                .execution_options(yield_per=5000)
            )
            for copy_id, article_id, entry in result:
                yield copy_id, article_id, bytes(entry)

    def dedup_rows_for(self, copy_ids: Iterable[int]) -> list[tuple[int, int, bytes]]:
        """(copy_id, article_id, entry) of these copies (the shared index's verification)."""
        ids = list(copy_ids)
        if not ids:
            return []
        with self.sessions() as session:
            rows = session.execute(
                select(DedupEntry.copy_id, DedupEntry.article_id, DedupEntry.entry).where(
                    DedupEntry.copy_id.in_(ids)
                )
            )
            return [(copy_id, article_id, bytes(entry)) for copy_id, article_id, entry in rows]

    def merge_articles(self, article_ids: Iterable[int]) -> Optional[int]:
        """Merge clusters found to be one article (a race between workers) into the oldest.

        All copies move to the oldest article; the best of the clusters' canonical copies stays
        canonical (its fields are moved onto the kept row); the others become its copies.
        Safe to run concurrently from several workers: the rows are locked in id order and
        articles already merged away are skipped. Returns the id kept, or None.
        """
        ids = sorted(set(article_ids))
        if len(ids) < 2:
            return ids[0] if ids else None
        return self._transaction(lambda session: self._merge(session, ids))

    def _merge(self, session: Session, ids: list[int]) -> Optional[int]:
        articles = list(
            session.scalars(
                select(Article).where(Article.id.in_(ids)).order_by(Article.id).with_for_update()
            )
        )
        if len(articles) < 2:
            return articles[0].id if articles else None
        target = articles[0]
        members = list(
            session.scalars(
                select(ArticleCopy).where(ArticleCopy.article_id.in_([a.id for a in articles]))
            )
        )
        canonicals = [c for c in members if c.relation == "canonical"]
        entries = {
            copy_id: entry
            for copy_id, entry in session.execute(
                select(DedupEntry.copy_id, DedupEntry.entry).where(
                    DedupEntry.copy_id.in_([c.id for c in members])
                )
            )
        }
        copies = [_as_candidate(c, _sample_of_blob(entries.get(c.id))) for c in members]
        # The best-ranked canonical copy among all the copies: only a canonical copy's
        # fields are on an article row to keep.
        ranked = [copy.url for copy in rank_copies(copies)]
        best = min(canonicals, key=lambda c: ranked.index(c.url))
        source = next(a for a in articles if a.id == best.article_id)
        if source.id != target.id:
            for column in Article.__table__.columns:
                if column.key not in ("id", "url", "first_seen_at"):
                    setattr(target, column.key, getattr(source, column.key))
        target.first_seen_at = min(a.first_seen_at for a in articles)
        for copy in canonicals:
            if copy.id != best.id:
                copy.relation = _demoted_relation(copy, "near_duplicate")
        others = [a.id for a in articles[1:]]
        session.execute(update(ArticleCopy).where(ArticleCopy.article_id.in_(others))
                        .values(article_id=target.id))
        session.execute(update(DedupEntry).where(DedupEntry.article_id.in_(others))
                        .values(article_id=target.id))
        session.flush()
        if source.id != target.id:
            # The kept row takes the canonical URL: free it from the merged row first.
            source.url = f"merged:{source.id}:{source.url}"[:2048]
            session.flush()
            target.url = best.url
        for article in articles[1:]:
            session.delete(article)
        return target.id

    # -- paragraph counts -------------------------------------------------------------------

    def paragraph_counts(self, batch: int = 1000) -> Iterator[CountedPage]:
        """The paragraph counter's pages (`paragraph_counts`), by site, oldest first, streamed."""
        table = ParagraphCount.__table__
        query = select(table.c.site, table.c.url, table.c.seq, table.c.exact, table.c.bands,
                       table.c.spammy).order_by(table.c.site, table.c.seq)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=batch).execute(query)
            for row in result:
                yield CountedPage.from_row(*row)

    # -- raw pages ------------------------------------------------------------------------

    def save_raw_pages(self, pages: Iterable[RawPageRecord], site: str, run_id: Optional[int]) -> None:
        """Keep the served bytes of these pages (one row per URL: the latest fetch wins).

        The first page is the article's page 1; any further pages are its later pages.
        """
        pages = list(pages)
        if pages:
            self.write_batch(lambda batch: batch.save_raw_pages(pages, site, run_id))

    def raw_page(self, url: str) -> Optional[RawPageRecord]:
        with self.sessions() as session:
            row = session.scalar(select(RawPage).where(RawPage.url == url))
            return _raw_record(row) if row is not None else None

    def raw_pages(
        self, site: Optional[str] = None, since: Optional[datetime] = None, batch: int = 200
    ) -> Iterable[tuple[str, RawPageRecord]]:
        """(site, page 1) of kept articles in fetch order, streamed in batches (bounded memory).

        Later pages of multi-page articles are not listed: fetch them with `raw_page(url)`.
        """
        query = _pages_1(select(RawPage), site, since).order_by(RawPage.fetched_at, RawPage.id)
        with self.sessions() as session:
            for row in session.scalars(query.execution_options(yield_per=batch)):
                yield row.site, _raw_record(row)
                session.expunge(row)

    def raw_page_sites(self) -> list[str]:
        with self.sessions() as session:
            return sorted(session.scalars(select(RawPage.site).distinct()))

    def clear_derived(self) -> None:
        """Empty what `reprocess --rebuild` recomputes from the raw pages (one transaction)."""

        def work(session: Session) -> None:
            # The files and the URLs they came from stay (kept like raw pages); the links of
            # the rebuilt articles find them again by URL.
            for model in (Removal, DedupEntry, ArticleAttachment, ArticleCopy, Article, ParagraphCount):
                session.execute(delete(model))
            session.execute(
                delete(RejectedPage).where(
                    RejectedPage.reason.in_(("spam_page", "not_article", "empty_body"))
                )
            )

        self._transaction(work)

    def count_raw_pages(self, site: Optional[str] = None, since: Optional[datetime] = None) -> int:
        query = _pages_1(select(func.count()).select_from(RawPage), site, since)
        with self.sessions() as session:
            return int(session.scalar(query) or 0)

    # -- attached files -------------------------------------------------------------------

    def known_attachments(self, sites: Iterable[str]) -> dict[str, KnownFile]:
        """URL -> what the store knows of it, of every attachment URL of these sites."""
        with self.engine.connect() as connection:
            return known_files(connection, sites)

    def has_file(self, sha256: str) -> bool:
        """True when a file with these bytes is stored (it is linked, not read again)."""
        with self.engine.connect() as connection:
            return stored_sha256(connection, sha256)

    def file_entries(self) -> list[tuple[int, bytes]]:
        """(attachment id, near-duplicate index entry) of every stored file with text."""
        with self.engine.connect() as connection:
            return list(file_entries(connection))

    def judge_attachment_links(self, copies: dict[int, list[tuple[int, float]]]) -> int:
        """Resolve every article's attachment links by URL and judge them again (`reprocess`);
        `copies`: attachment id -> the stored articles its text is a copy of."""
        return self.write_batch(lambda batch: batch.files.judge_all(copies))

    # -- incremental crawls ---------------------------------------------------------------

    def known_pages(
        self, sites: Iterable[str]
    ) -> dict[str, tuple[Optional[str], Optional[str], Optional[datetime]]]:
        """URL -> (etag, last_modified, fetched_at) of every stored copy of these sites."""
        with self.sessions() as session:
            rows = session.execute(
                select(
                    ArticleCopy.url, ArticleCopy.etag, ArticleCopy.last_modified,
                    ArticleCopy.fetched_at,
                ).where(ArticleCopy.site.in_(list(sites)))
            )
            return {url: (etag, modified, fetched) for url, etag, modified, fetched in rows}

    def known_rejections(self, sites: Iterable[str], reasons: Iterable[str]) -> set[str]:
        """URLs of these sites rejected for a lasting reason (not worth fetching again)."""
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(RejectedPage.url).where(
                        RejectedPage.site.in_(list(sites)), RejectedPage.reason.in_(list(reasons))
                    )
                )
            )

    def walked_sites(self, sites: Iterable[str]) -> set[str]:
        """The sites of `sites` that a finished crawl ran through without reaching their page
        cap: their lists were followed as far as they go, so a run may stop paging a list where
        its articles are stored. (Runs recorded without the per-site cap figure never count.)"""
        wanted = set(sites)
        walked: set[str] = set()
        with self.sessions() as session:
            rows = session.execute(
                select(CrawlRun.stats).where(CrawlRun.status.in_(("ok", "degraded")))
            )
            for (stats,) in rows:
                for name, figures in ((stats or {}).get("sites") or {}).items():
                    if (name in wanted and isinstance(figures, dict)
                            and figures.get("capped") == 0 and figures.get("pages", 0) > 0):
                        walked.add(name)
        return walked

    # -- runs -----------------------------------------------------------------------------

    def start_run(self, sites: list[str], command: str = "crawl") -> int:
        def work(session: Session) -> int:
            run = CrawlRun(
                started_at=utcnow(), status="running", command=command, sites=sites,
                hostname=socket.gethostname(), pid=os.getpid(),
            )
            session.add(run)
            session.flush()
            return run.id

        return self._transaction(work)

    def mark_interrupted_runs(self) -> list[int]:
        """Runs left `running` by a dead process; call only while holding the run lock."""

        def work(session: Session) -> list[int]:
            ids = list(session.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")))
            if ids:
                session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.id.in_(ids))
                    .values(status="interrupted",
                            message="the process ended before finishing the run (killed or crashed)")
                )
            return ids

        return self._transaction(work)

    def site_coverage_history(self, site: str, before_run: int, limit: int = 20) -> list[dict[str, Any]]:
        """Coverage records of `site` from the finished runs before `before_run`, newest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(CrawlRun.stats)
                .where(CrawlRun.id < before_run, CrawlRun.status.in_(("ok", "degraded")))
                .order_by(CrawlRun.id.desc())
                .limit(limit)
            )
            history = []
            for stats in rows:
                record = ((stats or {}).get("sites") or {}).get(site, {}).get("coverage")
                if record:
                    history.append(record)
            return history

    def finish_run(self, run_id: int, status: str, figures: dict[str, Any]) -> None:
        columns = {c.key for c in CrawlRun.__table__.columns}
        values = {k: v for k, v in figures.items() if k in columns}
        self._transaction(
            lambda session: session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(finished_at=utcnow(), status=status, **values)
            )
        )


@dataclass
class _CopyRow:
    """The columns of a stored copy that placing and refreshing copies read."""

    id: int
    article_id: int
    url: str
    site: str
    relation: str
    similarity: Optional[float]
    content_hash: Optional[str]
    original_script: str
    published_at: Optional[datetime]
    fetched_at: Optional[datetime]
    body_length: int
    spam_cuts: int
    source: Optional[str]
    site_name: Optional[str]
    editor_note: bool


_COPY_ROW_COLUMNS = tuple(
    getattr(ArticleCopy.__table__.c, name) for name in _CopyRow.__dataclass_fields__
)
# Rows per `IN (...)` list: far below SQLite's and PostgreSQL's limits on bound parameters.
_IN_CHUNK = 500

# The lookups a batch makes page by page, built once: SQLAlchemy spends ~90 µs building and
# keying a select (a compiled one is cached, but its key is computed per statement object),
# four times what SQLite takes to answer it.
_CANONICAL_COPY = (
    select(*_COPY_ROW_COLUMNS)
    .where(ArticleCopy.__table__.c.article_id == bindparam("article_id"),
           ArticleCopy.__table__.c.relation == "canonical")
    .limit(1)
)
_ARTICLE_ID = select(Article.__table__.c.id).where(Article.__table__.c.id == bindparam("article_id"))
_ARTICLE_WITH_HASH = (
    select(Article.__table__.c.id).where(Article.__table__.c.content_hash == bindparam("digest")).limit(1)
)
_DEDUP_ENTRY = select(DedupEntry.__table__.c.entry).where(DedupEntry.__table__.c.copy_id == bindparam("copy_id"))


class _IdAllocator:
    """Primary keys for rows written later in the batch, so that one `executemany` inserts them.

    PostgreSQL: taken from the column's sequence in blocks that double from 1 to 64, so that a
    batch of one page takes one id and a large batch few round trips (ids left unused at the
    end are gaps, as with any rolled-back insert). SQLite: counted on from the largest id in
    the table; the transaction holds SQLite's single write lock from its first write, and
    should another connection have written first, the insert fails on the primary key or the
    snapshot and the whole batch is retried (`ArticleStore._transaction`).
    """

    MAX_BLOCK = 64

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table
        self._free: deque[int] = deque()
        self._block = 1
        self._next: Optional[int] = None

    def take(self) -> int:
        if self.connection.dialect.name == "postgresql":
            if not self._free:
                self._free.extend(self.connection.execute(
                    text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                         "FROM generate_series(1, :n)"),
                    {"table": self.table.name, "n": self._block},
                ).scalars())
                self._block = min(2 * self._block, self.MAX_BLOCK)
            return self._free.popleft()
        if self._next is None:
            self._next = int(self.connection.execute(
                select(func.coalesce(func.max(self.table.c.id), 0))
            ).scalar_one()) + 1
        self._next += 1
        return self._next - 1


class StoreBatch:
    """The writes of a batch of pages, in the caller's transaction (`ArticleStore.write_batch`).

    Written with Core statements rather than the ORM's unit of work, and inserted in bulk:
    new articles and copies get their ids at once (`_IdAllocator`) and are kept here until
    `flush`, which writes each table with one `executemany` (multi-row INSERTs), cuts, index
    entries, raw pages and rejections too. Everything a later page of the batch reads (its
    copy by URL, an article's canonical copy, an article by content hash) is answered from what
    the batch holds before the database is asked; rows stored before the batch that change
    (a demoted canonical copy, a refreshed copy) are updated at once.
    """

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        self.now = utcnow()
        self._article_ids = _IdAllocator(self.connection, Article.__table__)
        self._copy_ids = _IdAllocator(self.connection, ArticleCopy.__table__)
        self._copies: dict[str, Optional[_CopyRow]] = {}  # by URL; None: known to be absent
        self._canonical: dict[int, Optional[_CopyRow]] = {}  # by article id
        self._articles: set[int] = set()  # article ids known to exist
        self._references: dict[int, tuple[Optional[str], list[Reference]]] = {}
        # Attached files and the articles' links to them, written after the articles.
        self.files = FileWrites(self.connection, self.now, DedupParams())
        self._start_pending()

    def note_references(self, article_id: int, item: ArticleItem) -> None:
        """What the article's canonical copy says of other documents, linked at `flush_links`."""
        self._references[article_id] = (
            title_key(item.title), references(item.title, item.doc_type, item.paragraphs)
        )

    def flush_links(self) -> int:
        """Write the links of the articles noted, after `flush` (they may point at articles of
        this batch): each noted article's links replaced, their titles resolved by
        `articles.title_key`, and earlier unresolved links to a noted article's key resolved."""
        noted, self._references = self._references, {}
        if not noted:
            return 0
        links = ArticleLink.__table__
        articles = Article.__table__
        ids = sorted(noted)
        for start in range(0, len(ids), _IN_CHUNK):
            self.connection.execute(
                delete(links).where(links.c.from_article_id.in_(ids[start : start + _IN_CHUNK]))
            )
        wanted = sorted({r.title for _, refs in noted.values() for r in refs})
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            for key, article_id in self.connection.execute(
                select(articles.c.title_key, func.min(articles.c.id))
                .where(articles.c.title_key.in_(wanted[start : start + _IN_CHUNK]))
                .group_by(articles.c.title_key)
            ):
                found[key] = article_id
        rows = [
            {"from_article_id": article_id, "to_article_id": found.get(r.title),
             "to_title": r.title, "kind": r.kind, "evidence": r.evidence}
            for article_id, (_, refs) in noted.items() for r in refs
            if found.get(r.title) != article_id
        ]
        if rows:
            self.connection.execute(insert(links), rows)
        arrived = [{"b_key": key, "b_id": article_id} for article_id, (key, _) in noted.items() if key]
        if arrived:
            self.connection.execute(
                update(links)
                .where(links.c.to_article_id.is_(None), links.c.to_title == bindparam("b_key"),
                       links.c.from_article_id != bindparam("b_id"))
                .values(to_article_id=bindparam("b_id")),
                arrived,
            )
        return len(rows)

    def _start_pending(self) -> None:
        """Empty the rows that `flush` writes."""
        # Rows to insert, by id (changed in place until then).
        self._new_articles: dict[int, dict[str, Any]] = {}
        self._new_copies: dict[int, dict[str, Any]] = {}
        self._new_by_hash: dict[str, int] = {}  # content hash -> article id, of new articles
        # (document number key, issuer) -> article id, of new articles
        self._new_by_number: dict[tuple[str, str], int] = {}
        self._removals: dict[int, list[dict[str, Any]]] = {}  # by copy id
        self._dedup: dict[int, dict[str, Any]] = {}
        self._raw: dict[str, dict[str, Any]] = {}
        self._rejections: dict[str, dict[str, Any]] = {}
        # URLs stored as articles now: a rejection recorded for them earlier is out of date.
        self._not_rejected: set[str] = set()
        # The paragraph counter's pages to keep (by URL) and those that left its window.
        self._counted: dict[str, dict[str, Any]] = {}
        self._uncounted: set[str] = set()

    # -- reads ----------------------------------------------------------------------------

    def copy_states(self, urls: Iterable[str]) -> None:
        """Read the stored copies of these URLs in a few statements (before `copy_state`)."""
        wanted = [u for u in dict.fromkeys(urls) if u not in self._copies]
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found = {
                row.url: _CopyRow(*row)
                for row in self.connection.execute(
                    select(*_COPY_ROW_COLUMNS).where(ArticleCopy.__table__.c.url.in_(chunk))
                )
            }
            for url in chunk:
                self._copies[url] = found.get(url)

    def copy_state(self, url: str) -> Optional[tuple[int, int, Optional[str]]]:
        """(copy_id, article_id, content_hash) of the copy stored at `url`, if any."""
        row = self._copy(url)
        return (row.id, row.article_id, row.content_hash) if row is not None else None

    def dedup_entry(self, copy_id: int) -> Optional[bytes]:
        """The stored index entry of a copy (the one this batch will write, if any)."""
        pending = self._dedup.get(copy_id)
        if pending is not None:
            return bytes(pending["entry"])
        blob = self.connection.execute(_DEDUP_ENTRY, {"copy_id": copy_id}).scalar()
        return bytes(blob) if blob is not None else None

    def _copy(self, url: str) -> Optional[_CopyRow]:
        if url not in self._copies:
            self.copy_states([url])
        return self._copies[url]

    def _canonical_of(self, article_id: int) -> Optional[_CopyRow]:
        if article_id not in self._canonical:
            row = self.connection.execute(_CANONICAL_COPY, {"article_id": article_id}).first()
            self._canonical[article_id] = _CopyRow(*row) if row is not None else None
        return self._canonical[article_id]

    def _article_exists(self, article_id: int) -> bool:
        if article_id not in self._articles:
            # Its canonical copy, which the caller reads next anyway, proves it: a copy cannot
            # outlive its article (foreign key, ON DELETE CASCADE).
            if self._canonical_of(article_id) is None:
                if self.connection.execute(_ARTICLE_ID, {"article_id": article_id}).first() is None:
                    return False
            self._articles.add(article_id)
        return True

    def article_with_number(self, number_key: str, issuer: str) -> Optional[tuple[int, Optional[bytes]]]:
        """The article that is the document numbered `number_key` by `issuer` (not a 解读), and
        its canonical copy's index entry; None when none is stored."""
        key = (number_key, issuer)
        if key in self._new_by_number:
            article_id = self._new_by_number[key]
        else:
            articles = Article.__table__
            article_id = self.connection.execute(
                select(func.min(articles.c.id)).where(
                    articles.c.doc_number_key == number_key, articles.c.issuer == issuer,
                    or_(articles.c.doc_type.is_(None), articles.c.doc_type != INTERPRETATION),
                )
            ).scalar()
        if article_id is None:
            return None
        canonical = self._canonical_of(article_id)
        return article_id, self.dedup_entry(canonical.id) if canonical is not None else None

    def _article_with_hash(self, digest: str) -> Optional[int]:
        if digest in self._new_by_hash:
            return self._new_by_hash[digest]
        return self.connection.execute(_ARTICLE_WITH_HASH, {"digest": digest}).scalar()

    # -- articles -------------------------------------------------------------------------

    def save_article(
        self,
        item: ArticleItem,
        dedup_entry: Optional[bytes] = None,
        relations: Optional[Mapping[int, tuple[str, float]]] = None,
    ) -> SaveOutcome:
        """Store one article page: a new article, a new copy of one, or an update of a copy.

        `item.duplicate_of`/`relation`/`similarity` carry the dedup decision (None: a new
        article). `dedup_entry` is the copy's near-duplicate index entry, stored with it.
        `relations` maps stored copy ids to this page's relation and similarity to each, so
        that a copy records its relation to the canonical copy (not merely to the copy it
        matched), and a replaced canonical copy gets its relation to the new one.
        """
        if item.content_hash is None:
            item.content_hash = content_hash(item.body_text)
        relations = relations or {}
        # The served bytes go in the same transaction as the rows they explain.
        self.save_raw_pages(item.raw_pages, item.site, item.crawl_run_id)
        # A page rejected once (a 503, an empty body, a better extractor since) is an article now.
        self._rejections.pop(item.url, None)
        self._not_rejected.add(item.url)
        stored = self._copy(item.url)
        if stored is not None:
            refreshed = self._refresh_copy(stored, item)
            if dedup_entry is not None and refreshed.outcome == UPDATED:
                self._dedup[stored.id] = {
                    "copy_id": stored.id, "article_id": stored.article_id, "entry": dedup_entry,
                }
            self.files.note_links(refreshed.article_id, item.attachments)
            return refreshed

        article_id = item.duplicate_of
        relation = item.relation or "exact"
        similarity = item.similarity
        if article_id is None and item.relation is None and item.content_hash:
            # No dedup stage ran (plain store use): exact copies still join their article.
            article_id = self._article_with_hash(item.content_hash)
            relation, similarity = "exact", 1.0
        if article_id is not None and not self._article_exists(article_id):
            article_id = None  # the matched article was deleted meanwhile: start a new one

        fields = copy_fields(item)
        copy_id = self._copy_ids.take()
        # Relation and similarity are set once the copy is placed.
        row = _CopyRow(
            copy_id, 0, item.url, item.site, "", None, item.content_hash,
            fields["original_script"], fields["published_at"], fields["fetched_at"],
            fields["body_length"], fields["spam_cuts"], fields["source"], fields["site_name"],
            fields["editor_note"],
        )
        became_canonical = False
        if article_id is None:
            article_id = self._article_ids.take()
            self._new_articles[article_id] = {
                "id": article_id, "url": item.url, "site": item.site,
                "first_seen_at": self.now, "updated_at": self.now, **article_fields(item),
            }
            self._articles.add(article_id)
            if item.content_hash:
                self._new_by_hash.setdefault(item.content_hash, article_id)
            if is_numbered_document(item):
                self._new_by_number.setdefault((item.doc_number_key, item.issuer), article_id)
            relation, similarity, outcome = "canonical", 1.0, NEW_ARTICLE
            current = None
        else:
            outcome = NEW_COPY
            current = self._canonical_of(article_id)
            if current is not None and current.id in relations:
                relation, similarity = relations[current.id]
            became_canonical = current is None or self._outranks(row, dedup_entry, current)
        placed_relation, placed_similarity = (
            ("canonical", 1.0) if became_canonical or outcome == NEW_ARTICLE else (relation, similarity)
        )
        row.article_id, row.relation, row.similarity = article_id, placed_relation, placed_similarity
        self._new_copies[copy_id] = {
            "id": copy_id, "article_id": article_id, "url": item.url,
            "similarity": placed_similarity, "relation": placed_relation,
            "crawl_run_id": item.crawl_run_id, **fields,
        }
        self._copies[item.url] = row
        if outcome == NEW_ARTICLE:
            self._canonical[article_id] = row
        elif became_canonical:
            self._make_canonical(row, current, relation, similarity, item)
        # A brand-new copy has no earlier cuts or index entry to replace: plain inserts.
        self._removals[copy_id] = _removal_rows(copy_id, item)
        if dedup_entry is not None:
            self._dedup[copy_id] = {"copy_id": copy_id, "article_id": article_id, "entry": dedup_entry}
        self.files.note_links(article_id, item.attachments)
        return SaveOutcome(outcome, article_id, copy_id, placed_relation, became_canonical)

    def _outranks(self, new: _CopyRow, entry: Optional[bytes], current: _CopyRow) -> bool:
        """True when `new` ranks above `current` among all the copies of their article
        (`rank_copies`: whether a copy is a repost depends on the others)."""
        members = self._copies_of(current.article_id)
        members[current.id] = current
        entries = self._dedup_entries(list(members))
        copies = [
            _as_candidate(row, _sample_of_blob(entries.get(row.id))) for row in members.values()
        ]
        copies.append(_as_candidate(new, _sample_of_blob(entry)))
        order = [copy.url for copy in rank_copies(copies)]
        return order.index(new.url) < order.index(current.url)

    def _copies_of(self, article_id: int) -> dict[int, _CopyRow]:
        """The stored copies of an article by id, as this batch sees them."""
        table = ArticleCopy.__table__
        members: dict[int, _CopyRow] = {}
        for values in self.connection.execute(
            select(*_COPY_ROW_COLUMNS).where(table.c.article_id == article_id)
        ):
            stored = _CopyRow(*values)
            known = self._copies.get(stored.url)  # the batch's row has its changes
            members[stored.id] = known if known is not None and known.id == stored.id else stored
        for copy_id, pending in self._new_copies.items():
            if pending["article_id"] == article_id:
                members[copy_id] = self._copies[pending["url"]]  # type: ignore[assignment]
        return members

    def _dedup_entries(self, copy_ids: list[int]) -> dict[int, bytes]:
        """The index entries of these copies (those this batch will write, if any)."""
        entries = {i: bytes(self._dedup[i]["entry"]) for i in copy_ids if i in self._dedup}
        stored = [i for i in copy_ids if i not in entries]
        table = DedupEntry.__table__
        for start in range(0, len(stored), _IN_CHUNK):
            chunk = stored[start : start + _IN_CHUNK]
            for copy_id, blob in self.connection.execute(
                select(table.c.copy_id, table.c.entry).where(table.c.copy_id.in_(chunk))
            ):
                entries[copy_id] = bytes(blob)
        return entries

    def _make_canonical(
        self, new: _CopyRow, current: Optional[_CopyRow], relation: str,
        similarity: Optional[float], item: ArticleItem,
    ) -> None:
        """`new` replaces `current` as its article's canonical copy; the article takes its fields."""
        if current is not None:
            current.relation = _demoted_relation(current, relation)
            current.similarity = similarity
            self._update(ArticleCopy.__table__, self._new_copies, current.id,
                         {"relation": current.relation, "similarity": current.similarity})
        self._update(Article.__table__, self._new_articles, new.article_id,
                     {"url": new.url, "site": new.site, "updated_at": self.now,
                      **article_fields(item)})
        self._canonical[new.article_id] = new

    def _update(self, table: Table, pending: dict[int, dict[str, Any]], row_id: int,
                values: dict[str, Any]) -> None:
        """Change a row: in place when the batch has yet to insert it, else in the database."""
        if row_id in pending:
            pending[row_id].update(values)
        else:
            self.connection.execute(update(table).where(table.c.id == row_id).values(**values))

    def _refresh_copy(self, copy: _CopyRow, item: ArticleItem) -> SaveOutcome:
        """A page stored before: update its copy, and its article when it is the canonical one.

        The body may be unchanged while other fields improved (a better date parser in a
        `reprocess`): those are written too, and count as an update.
        """
        body_changed = copy.content_hash != item.content_hash
        self._update(ArticleCopy.__table__, self._new_copies, copy.id, copy_fields(item))
        copy.content_hash = item.content_hash
        fields_changed = False
        if body_changed:
            self._replace_removals(copy.id, item)
        if copy.relation == "canonical":
            values = article_fields(item)
            stored = self._article_values(copy.article_id, list(values))
            if stored is not None and any(stored[name] != value for name, value in values.items()):
                fields_changed = True
                if not body_changed:
                    self._replace_removals(copy.id, item)
                self._update(Article.__table__, self._new_articles, copy.article_id,
                             {"updated_at": self.now, **values})
        outcome = UPDATED if body_changed or fields_changed else UNCHANGED
        return SaveOutcome(outcome, copy.article_id, copy.id, copy.relation)

    def _article_values(self, article_id: int, names: list[str]) -> Optional[dict[str, Any]]:
        pending = self._new_articles.get(article_id)
        if pending is not None:
            return {name: pending[name] for name in names}
        articles = Article.__table__
        row = self.connection.execute(
            select(*(articles.c[name] for name in names)).where(articles.c.id == article_id)
        ).first()
        return dict(row._mapping) if row is not None else None

    def _replace_removals(self, copy_id: int, item: ArticleItem) -> None:
        # Replace, not append: re-processing a page must not pile up the same evidence twice.
        if copy_id not in self._new_copies:
            removals = Removal.__table__
            self.connection.execute(delete(removals).where(removals.c.copy_id == copy_id))
        self._removals[copy_id] = _removal_rows(copy_id, item)

    # -- raw pages and rejections ----------------------------------------------------------

    def save_raw_pages(self, pages: list[RawPageRecord], site: str, run_id: Optional[int]) -> None:
        for later in pages[1:]:
            later.part_of = later.part_of or pages[0].url
        for page in pages:
            self._raw[page.url] = {
                "url": page.url,
                "site": site,
                "fetched_at": page.fetched_at,
                "http_status": page.http_status,
                "content_type": page.content_type,
                "etag": page.etag,
                "last_modified": page.last_modified,
                "body_gzip": gzip.compress(page.body, compresslevel=RAW_GZIP_LEVEL, mtime=0),
                "body_length": len(page.body),
                "part_of": page.part_of,
                "crawl_run_id": run_id,
            }

    def save_rejection(self, item: RejectedPageItem, raw_pages: Iterable[RawPageRecord] = ()) -> None:
        """Record a rejected page, with its served bytes when kept (a later `reprocess` judges
        it again)."""
        pages = list(raw_pages)
        if pages:
            self.save_raw_pages(pages, item.site, item.crawl_run_id)
        self._not_rejected.discard(item.url)
        self._rejections[item.url] = {
            "url": item.url,
            "site": item.site,
            "reason": item.reason,
            "detail": (item.detail or "")[:4000] or None,
            "http_status": item.http_status,
            "fetched_at": item.fetched_at or utcnow(),
            "crawl_run_id": item.crawl_run_id,
        }

    def save_paragraph_counts(self, observed: Iterable[CountedPage], evicted: Iterable[str]) -> None:
        """Keep the paragraph counter's changes (`ParagraphFrequency.take_changes`)."""
        for page in observed:
            self._counted[page.doc] = page.to_row()
            self._uncounted.discard(page.doc)
        for url in evicted:
            self._counted.pop(url, None)
            self._uncounted.add(url)

    # -- writing what was collected ---------------------------------------------------------

    def flush(self) -> int:
        """Write the collected rows, one `executemany` per table, parents first; returns how
        many rows were written (deletions aside)."""
        written = (
            len(self._new_articles) + len(self._new_copies) + len(self._dedup) + len(self._raw)
            + len(self._rejections) + len(self._counted) + sum(map(len, self._removals.values()))
        )
        if self._new_articles:
            self.connection.execute(insert(Article.__table__), list(self._new_articles.values()))
        if self._new_copies:
            self.connection.execute(insert(ArticleCopy.__table__), list(self._new_copies.values()))
        removals = [row for rows in self._removals.values() for row in rows]
        if removals:
            self.connection.execute(insert(Removal.__table__), removals)
        for model, key, pending in (
            (DedupEntry, "copy_id", self._dedup), (RawPage, "url", self._raw),
            (RejectedPage, "url", self._rejections), (ParagraphCount, "url", self._counted),
        ):
            if pending:
                self._upsert(model.__table__, key, list(pending.values()))
        self._delete(RejectedPage.__table__, self._not_rejected)
        self._delete(ParagraphCount.__table__, self._uncounted)
        self._start_pending()
        return written

    def _delete(self, table: Table, urls: Iterable[str]) -> None:
        doomed = sorted(urls)
        for start in range(0, len(doomed), _IN_CHUNK):
            self.connection.execute(
                delete(table).where(table.c.url.in_(doomed[start : start + _IN_CHUNK]))
            )

    def _upsert(self, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
        """INSERT … ON CONFLICT (key) DO UPDATE: atomic when workers race for the same row."""
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if self.dialect == "postgresql" else sqlite
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={name: statement.excluded[name] for name in rows[0] if name != key},
        )
        self.connection.execute(statement, rows)


def _removal_rows(copy_id: int, item: ArticleItem) -> list[dict[str, Any]]:
    return [
        {"copy_id": copy_id, "kind": r.kind, "content": r.content, "detail": r.detail}
        for r in item.removals
    ]


def _pages_1(query: Select[Any], site: Optional[str], since: Optional[datetime]) -> Select[Any]:
    """Narrow a select of raw pages to the first pages of articles, of `site`, since `since`."""
    query = query.where(RawPage.part_of.is_(None))
    if site is not None:
        query = query.where(RawPage.site == site)
    if since is not None:
        query = query.where(RawPage.fetched_at >= since)
    return query


def _raw_record(row: RawPage) -> RawPageRecord:
    return RawPageRecord(
        url=row.url, body=gzip.decompress(row.body_gzip), fetched_at=row.fetched_at,
        content_type=row.content_type, http_status=row.http_status, etag=row.etag,
        last_modified=row.last_modified, part_of=row.part_of,
    )


def _as_candidate(copy: ArticleCopy | _CopyRow, sample: Optional[ShingleSample]) -> Copy:
    return Copy(
        url=copy.url,
        site=copy.site,
        original_script=copy.original_script,  # type: ignore[arg-type]
        published_at=copy.published_at,
        first_seen_at=copy.fetched_at,
        body_len=copy.body_length,
        spam_cut_count=copy.spam_cuts,
        source=copy.source,
        site_name=copy.site_name,
        editor_note=bool(copy.editor_note),
        sample=sample,
    )


def _sample_of_blob(blob: Optional[bytes]) -> Optional[ShingleSample]:
    return entry_sample(bytes(blob)) if blob is not None else None


def _demoted_relation(old_canonical: ArticleCopy | _CopyRow, new_relation: str) -> str:
    """What the former canonical copy is to the copy that replaced it."""
    if old_canonical.original_script != "simplified" or old_canonical.spam_cuts > 0:
        return "mirror"
    return {"contains": "contained", "contained": "contains", "mirror": "near_duplicate"}.get(
        new_relation, new_relation
    )


def _is_transient(exc: BaseException) -> bool:
    """Lost races, deadlocks, serialization failures and a busy SQLite file are worth a retry."""
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01") or (
        "database is locked" in str(exc.orig)
    )
