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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from datetime import time as time_of_day
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crawler.items import ArticleItem, RawPageRecord, RejectedPageItem
from models import (
    Article,
    ArticleCopy,
    CrawlRun,
    DedupEntry,
    PipelineState,
    RawPage,
    RejectedPage,
    Removal,
)
from models.database import session_factory
from pipelines.dedup import Copy, choose_canonical

log = logging.getLogger(__name__)

T = TypeVar("T")

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


def _article_fields(item: ArticleItem) -> dict[str, Any]:
    published_at, has_time = split_published(item.published_at)
    return {
        "title": item.title,
        "published_at": published_at,
        "published_has_time": has_time,
        "source": item.source,
        "author": item.author,
        "author_unit": item.author_unit,
        "editor": item.editor,
        "column_path": item.column_path,
        "body_text": item.body_text,
        "body_html": item.body_html,
        "attachments": item.attachments or None,
        "original_script": item.original_script,
        "content_hash": item.content_hash,
    }


def _copy_fields(item: ArticleItem) -> dict[str, Any]:
    published_at, _ = split_published(item.published_at)
    return {
        "site": item.site,
        "fetched_at": item.fetched_at,
        "title": item.title,
        "published_at": published_at,
        "original_script": item.original_script,
        "body_length": len(item.body_text),
        "content_hash": item.content_hash,
        "spam_cuts": sum(1 for r in item.removals if r.kind != "repeated_body"),
        "etag": item.etag,
        "last_modified": item.last_modified,
        "encoding": item.encoding,
    }


class ArticleStore:
    """Writes to one store; the caller owns the engine (see models.database)."""

    #: How often a transaction is retried after losing a race or a deadlock.
    MAX_ATTEMPTS = 5

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    # -- transactions ---------------------------------------------------------------------

    def _transaction(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, retrying races (unique violations) and deadlocks."""
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            try:
                with self.sessions.begin() as session:
                    return work(session)
            except IntegrityError:
                # Another writer stored the same URL between our read and our insert: the
                # retry reads its row and takes the update path.
                if attempt == self.MAX_ATTEMPTS:
                    raise
            except OperationalError as exc:
                if not _is_transient(exc) or attempt == self.MAX_ATTEMPTS:
                    raise
            # Back off a little (10 ms, 20 ms, 40 ms…) so that racing writers interleave.
            time.sleep(0.01 * 2 ** (attempt - 1))
            log.debug("retrying store transaction (attempt %d)", attempt + 1)
        raise AssertionError("unreachable")

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
        return self._transaction(
            lambda session: self._save_article(session, item, dedup_entry, relations or {})
        )

    def _save_article(
        self,
        session: Session,
        item: ArticleItem,
        dedup_entry: Optional[bytes],
        relations: Mapping[int, tuple[str, float]],
    ) -> SaveOutcome:
        now = utcnow()
        # The served bytes go in the same transaction as the rows they explain.
        self._write_raw_pages(session, item.raw_pages, item.site, item.crawl_run_id)
        copy = session.scalar(select(ArticleCopy).where(ArticleCopy.url == item.url))
        if copy is not None:
            refreshed = self._refresh_copy(session, copy, item, now)
            if dedup_entry is not None and refreshed.outcome == UPDATED:
                self._write_dedup_entry(session, copy.id, copy.article_id, dedup_entry)
            return refreshed

        article_id = item.duplicate_of
        relation = item.relation or "exact"
        similarity = item.similarity
        if article_id is None and item.relation is None and item.content_hash:
            # No dedup stage ran (plain store use): exact copies still join their article.
            article_id = session.scalar(
                select(Article.id).where(Article.content_hash == item.content_hash).limit(1)
            )
            relation, similarity = "exact", 1.0
        if article_id is not None and session.get(Article, article_id) is None:
            article_id = None  # the matched article was deleted meanwhile: start a new one
        became_canonical = False
        if article_id is None:
            article = Article(
                url=item.url, site=item.site, first_seen_at=now, updated_at=now,
                **_article_fields(item),
            )
            session.add(article)
            session.flush()
            article_id, relation, similarity, outcome = article.id, "canonical", 1.0, NEW_ARTICLE
        else:
            outcome = NEW_COPY
        copy = ArticleCopy(
            article_id=article_id,
            url=item.url,
            similarity=similarity,
            relation=relation,
            crawl_run_id=item.crawl_run_id,
            **_copy_fields(item),
        )
        session.add(copy)
        session.flush()
        if outcome == NEW_COPY:
            became_canonical = self._place_copy(session, copy, item, now, relations)
            relation = copy.relation
        # A brand-new copy has no earlier cuts or index entry to replace: plain inserts.
        session.add_all(
            Removal(copy_id=copy.id, kind=r.kind, content=r.content, detail=r.detail)
            for r in item.removals
        )
        if dedup_entry is not None:
            session.add(DedupEntry(copy_id=copy.id, article_id=article_id, entry=dedup_entry))
        return SaveOutcome(outcome, article_id, copy.id, relation, became_canonical)

    def _place_copy(
        self,
        session: Session,
        new: ArticleCopy,
        item: ArticleItem,
        now: datetime,
        relations: Mapping[int, tuple[str, float]],
    ) -> bool:
        """Relate `new` to the canonical copy, and make it canonical when it is the better one."""
        current = session.scalar(
            select(ArticleCopy).where(
                ArticleCopy.article_id == new.article_id,
                ArticleCopy.relation == "canonical",
                ArticleCopy.id != new.id,
            )
        )
        if current is not None and current.id in relations:
            new.relation, new.similarity = relations[current.id]
        if current is not None:
            best_url = choose_canonical([_as_candidate(current), _as_candidate(new)]).url
            if best_url != new.url:
                return False
            relation, similarity = new.relation, new.similarity
            current.relation = _demoted_relation(current, relation)
            current.similarity = similarity
        new.relation, new.similarity = "canonical", 1.0
        session.execute(
            update(Article)
            .where(Article.id == new.article_id)
            .values(url=new.url, site=new.site, updated_at=now, **_article_fields(item))
        )
        return True

    @staticmethod
    def _write_dedup_entry(session: Session, copy_id: int, article_id: int, entry: bytes) -> None:
        row = session.get(DedupEntry, copy_id)
        if row is None:
            session.add(DedupEntry(copy_id=copy_id, article_id=article_id, entry=entry))
        else:
            row.article_id, row.entry = article_id, entry

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
        canonicals = list(
            session.scalars(
                select(ArticleCopy).where(
                    ArticleCopy.article_id.in_([a.id for a in articles]),
                    ArticleCopy.relation == "canonical",
                )
            )
        )
        best_url = choose_canonical([_as_candidate(c) for c in canonicals]).url
        best = next(c for c in canonicals if c.url == best_url)
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

    def copy_state(self, url: str) -> Optional[tuple[int, int, Optional[str]]]:
        """(copy_id, article_id, content_hash) of the stored copy at `url`, if any."""
        with self.sessions() as session:
            row = session.execute(
                select(ArticleCopy.id, ArticleCopy.article_id, ArticleCopy.content_hash).where(
                    ArticleCopy.url == url
                )
            ).first()
            return (row[0], row[1], row[2]) if row else None

    # -- state that survives runs ----------------------------------------------------------

    def load_state(self, name: str) -> Optional[dict[str, Any]]:
        with self.sessions() as session:
            row = session.get(PipelineState, name)
            return dict(row.data) if row is not None else None

    def save_state(self, name: str, data: dict[str, Any]) -> None:
        def work(session: Session) -> None:
            row = session.get(PipelineState, name)
            if row is None:
                session.add(PipelineState(name=name, data=data, updated_at=utcnow()))
            else:
                row.data, row.updated_at = data, utcnow()

        self._transaction(work)

    def _refresh_copy(
        self, session: Session, copy: ArticleCopy, item: ArticleItem, now: datetime
    ) -> SaveOutcome:
        """A page stored before: update its copy, and its article when it is the canonical one.

        The body may be unchanged while other fields improved (a better date parser in a
        `reprocess`): those are written too, and count as an update.
        """
        body_changed = copy.content_hash != item.content_hash
        fields_changed = False
        for name, value in _copy_fields(item).items():
            setattr(copy, name, value)
        if body_changed:
            self._write_removals(session, copy.id, item)
        if copy.relation == "canonical":
            article = session.get(Article, copy.article_id)
            values = _article_fields(item)
            if article is not None and any(getattr(article, k) != v for k, v in values.items()):
                fields_changed = True
                if not body_changed:
                    self._write_removals(session, copy.id, item)
                for name, value in values.items():
                    setattr(article, name, value)
                article.updated_at = now
        outcome = UPDATED if body_changed or fields_changed else UNCHANGED
        return SaveOutcome(outcome, copy.article_id, copy.id, copy.relation)

    @staticmethod
    def _write_removals(session: Session, copy_id: int, item: ArticleItem) -> None:
        # Replace, not append: re-processing a page must not pile up the same evidence twice.
        session.execute(delete(Removal).where(Removal.copy_id == copy_id))
        session.add_all(
            Removal(copy_id=copy_id, kind=r.kind, content=r.content, detail=r.detail)
            for r in item.removals
        )

    # -- raw pages ------------------------------------------------------------------------

    def save_raw_pages(self, pages: Iterable[RawPageRecord], site: str, run_id: Optional[int]) -> None:
        """Keep the served bytes of these pages (one row per URL: the latest fetch wins).

        The first page is the article's page 1; any further pages are its later pages.
        """
        pages = list(pages)
        if pages:
            self._transaction(lambda session: self._write_raw_pages(session, pages, site, run_id))

    @staticmethod
    def _write_raw_pages(
        session: Session, pages: list[RawPageRecord], site: str, run_id: Optional[int]
    ) -> None:
        for later in pages[1:]:
            later.part_of = later.part_of or pages[0].url
        for page in pages:
            fields = {
                "site": site,
                "fetched_at": page.fetched_at,
                "http_status": page.http_status,
                "content_type": page.content_type,
                "etag": page.etag,
                "last_modified": page.last_modified,
                "body_gzip": gzip.compress(page.body, compresslevel=6, mtime=0),
                "body_length": len(page.body),
                "part_of": page.part_of,
                "crawl_run_id": run_id,
            }
            _upsert_by_url(session, RawPage, page.url, fields)

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
        query = (
            select(RawPage).where(RawPage.part_of.is_(None)).order_by(RawPage.fetched_at, RawPage.id)
        )
        if site is not None:
            query = query.where(RawPage.site == site)
        if since is not None:
            query = query.where(RawPage.fetched_at >= since)
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
            for model in (Removal, DedupEntry, ArticleCopy, Article):
                session.execute(delete(model))
            session.execute(
                delete(RejectedPage).where(
                    RejectedPage.reason.in_(("spam_page", "not_article", "empty_body"))
                )
            )
            session.execute(delete(PipelineState))

        self._transaction(work)

    def count_raw_pages(self, site: Optional[str] = None, since: Optional[datetime] = None) -> int:
        query = select(func.count()).select_from(RawPage).where(RawPage.part_of.is_(None))
        if site is not None:
            query = query.where(RawPage.site == site)
        if since is not None:
            query = query.where(RawPage.fetched_at >= since)
        with self.sessions() as session:
            return int(session.scalar(query) or 0)

    # -- rejections -----------------------------------------------------------------------

    def save_rejection(
        self, item: RejectedPageItem, raw_pages: Iterable[RawPageRecord] = ()
    ) -> None:
        """Record a rejected page (with its served bytes, when kept, so a later `reprocess`
        can judge it again)."""
        pages = list(raw_pages)

        def work(session: Session) -> None:
            if pages:
                self._write_raw_pages(session, pages, item.site, item.crawl_run_id)
            self._save_rejection(session, item)

        self._transaction(work)

    @staticmethod
    def _save_rejection(session: Session, item: RejectedPageItem) -> None:
        fields = {
            "site": item.site,
            "reason": item.reason,
            "detail": (item.detail or "")[:4000] or None,
            "http_status": item.http_status,
            "fetched_at": item.fetched_at or utcnow(),
            "crawl_run_id": item.crawl_run_id,
        }
        _upsert_by_url(session, RejectedPage, item.url, fields)

    def forget_rejection(self, url: str) -> None:
        """A page that was rejected once and is an article now (fixed site, better extractor)."""
        self._transaction(
            lambda session: session.execute(delete(RejectedPage).where(RejectedPage.url == url))
        )

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


def _upsert_by_url(session: Session, model: type[Any], url: str, fields: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT (url) DO UPDATE: one statement, atomic when workers race."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(url=url, **fields)
    session.execute(
        statement.on_conflict_do_update(index_elements=[model.url], set_=fields)
    )


def _raw_record(row: RawPage) -> RawPageRecord:
    return RawPageRecord(
        url=row.url, body=gzip.decompress(row.body_gzip), fetched_at=row.fetched_at,
        content_type=row.content_type, http_status=row.http_status, etag=row.etag,
        last_modified=row.last_modified, part_of=row.part_of,
    )


def _as_candidate(copy: ArticleCopy) -> Copy:
    return Copy(
        url=copy.url,
        site=copy.site,
        original_script=copy.original_script,  # type: ignore[arg-type]
        published_at=copy.published_at,
        first_seen_at=copy.fetched_at,
        body_len=copy.body_length,
        spam_cut_count=copy.spam_cuts,
    )


def _demoted_relation(old_canonical: ArticleCopy, new_relation: str) -> str:
    """What the former canonical copy is to the copy that replaced it."""
    if old_canonical.original_script != "simplified" or old_canonical.spam_cuts > 0:
        return "mirror"
    return {"contains": "contained", "contained": "contains", "mirror": "near_duplicate"}.get(
        new_relation, new_relation
    )


def _is_transient(exc: OperationalError) -> bool:
    """Deadlocks, serialization failures and a busy SQLite file are worth another try."""
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01"):
        return True
    return "database is locked" in str(exc.orig)
