"""The store's side of attached files: `attachments`, `attachment_files`, `attachment_urls` and
`article_attachments`, written in the transaction of a batch of pages (`StoreBatch.files`).

A fetched file is written at once (its rows do not depend on the batch's articles); the links of
the batch's articles are written after the articles (`flush`), and then every link the batch
touched (an article stored, a file arrived) is resolved to its file by URL and judged: is the
file the article's own body again, a copy of another stored article, or a text of its own
(`pipelines.attachments.stage.text_relation`, and the near-duplicate index's answer for the file)? Links
and files meet whichever arrives first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from models import (
    Article,
    ArticleAttachment,
    ArticleCopy,
    Attachment,
    AttachmentFile,
    AttachmentUrl,
    DedupEntry,
)
from pipelines.attachments.results import (
    ATTACHMENT,
    COPY_OF_ARTICLE,
    FAILED,
    SAME_AS_BODY,
    SKIPPED,
    TOO_LARGE,
)
from pipelines.attachments.stage import PreparedAttachment, gzip_file, text_relation
from pipelines.dedup import DedupParams

# Rows per `IN (...)` list.
_IN_CHUNK = 500
_NAME_LENGTH = 500
_MEDIA_TYPE_LENGTH = 128
_HEADER_LENGTHS = {"content_type": 255, "etag": 255, "last_modified": 64}

#: Outcomes of storing one fetched file.
FILE_NEW = "new"  # a file the store did not hold: read and stored
FILE_KNOWN = "known"  # a file the store holds (by sha256): linked, not read again
FILE_UNCHANGED = "not_modified"  # answered 304: the stored file holds
FILE_FAILED = "unavailable"  # no bytes (fetch or HTTP error, too large, off the site): row with reason
FILE_KEPT = "kept"  # a re-check failed; the file stored before stays


@dataclass(frozen=True)
class KnownFile:
    """What the store knows of an attachment URL, for the spider's incremental rule."""

    etag: Optional[str]
    last_modified: Optional[str]
    fetched_at: Optional[datetime]
    #: The URL gave a file (sha256 stored), or failed for a lasting reason (too large, off the
    #: site, 404/410): not fetched again before the re-check age. Otherwise (a fetch error, a
    #: 5xx) it is tried again on the next run.
    settled: bool
    #: A file was stored from it (a conditional request re-checks it).
    stored: bool = False
    #: The text of a link to it (the file's readable name, should it have changed).
    link_text: Optional[str] = None
    site: str = ""


def known_files(connection: Connection, sites: Iterable[str]) -> dict[str, KnownFile]:
    """URL -> `KnownFile` of every attachment URL of these sites fetched before."""
    urls, files, links = AttachmentUrl.__table__, Attachment.__table__, ArticleAttachment.__table__
    link_text = (
        select(func.max(links.c.link_text)).where(links.c.url == urls.c.url).scalar_subquery()
    )
    rows = connection.execute(
        select(urls.c.url, urls.c.etag, urls.c.last_modified, urls.c.fetched_at,
               urls.c.http_status, files.c.sha256, files.c.status, link_text, urls.c.site)
        .join(files, files.c.id == urls.c.attachment_id)
        .where(urls.c.site.in_(list(sites)))
    )
    known = {}
    for url, etag, modified, fetched, http_status, sha256, status, text, site in rows:
        settled = sha256 is not None or status in (TOO_LARGE, SKIPPED) or http_status in (404, 410)
        known[url] = KnownFile(etag, modified, fetched, settled, sha256 is not None, text, site)
    # Links never fetched: left out by ATTACHMENTS_PER_ARTICLE / _PER_RUN, or made by
    # `reprocess` from pages stored before files were fetched. Their article pages are not
    # fetched again while unchanged, so the run asks for them itself.
    articles = Article.__table__
    pending = connection.execute(
        select(links.c.url, func.max(links.c.link_text), func.min(articles.c.site))
        .join(articles, articles.c.id == links.c.article_id)
        .where(links.c.attachment_id.is_(None), articles.c.site.in_(list(sites)),
               ~select(urls.c.id).where(urls.c.url == links.c.url).exists())
        .group_by(links.c.url)
    )
    for url, text, site in pending:
        known.setdefault(url, KnownFile(None, None, None, settled=False, link_text=text, site=site))
    return known


def stored_sha256(connection: Connection, digest: str) -> bool:
    files = Attachment.__table__
    return connection.execute(select(files.c.id).where(files.c.sha256 == digest)).first() is not None


def _cut(value: Optional[str], length: int) -> Optional[str]:
    return value[:length] if value else None


class FileWrites:
    """The attachment writes of one batch (see the module docstring)."""

    def __init__(self, connection: Connection, now: datetime, params: DedupParams) -> None:
        self.connection = connection
        self.now = now
        self.params = params
        # article id -> [(url, link text)], in the page's order
        self._links: dict[int, list[tuple[str, Optional[str]]]] = {}
        self._arrived: set[str] = set()  # URLs of files stored in this batch
        # attachment id -> stored articles its text is a copy of, (article id, similarity)
        self._copies: dict[int, list[tuple[int, float]]] = {}

    # -- links --------------------------------------------------------------------------

    def note_links(self, article_id: int, attachments: Sequence[dict[str, str]]) -> None:
        """The attachment links of an article's stored page (written at `flush`)."""
        links = self._links.setdefault(article_id, [])
        seen = {url for url, _ in links}
        for attachment in attachments:
            url = attachment.get("url")
            if url and url not in seen:
                seen.add(url)
                links.append((url, attachment.get("title") or None))

    # -- files --------------------------------------------------------------------------

    def save_file(
        self, prepared: PreparedAttachment, copies: Sequence[tuple[int, float]] = ()
    ) -> str:
        """Store one fetched file (or why there is none) and point its URL at it; the outcome.

        `copies`: the stored articles whose bodies the file's text is (from the index).
        """
        item = prepared.item
        urls, files = AttachmentUrl.__table__, Attachment.__table__
        current = self.connection.execute(
            select(urls.c.attachment_id, files.c.sha256)
            .join(files, files.c.id == urls.c.attachment_id)
            .where(urls.c.url == item.url)
        ).first()
        if item.not_modified:
            if current is None:
                return FILE_FAILED  # a 304 for a URL never stored: nothing to keep
            self.connection.execute(
                update(urls).where(urls.c.url == item.url).values(
                    fetched_at=item.fetched_at, crawl_run_id=item.crawl_run_id,
                    **self._validators(prepared),
                )
            )
            self._arrived.add(item.url)
            return FILE_UNCHANGED
        if prepared.sha256 is None:
            if current is not None and current.sha256 is not None:
                return FILE_KEPT
            values = {
                "name": _cut(prepared.name, _NAME_LENGTH), "size": item.size, "text": "",
                "status": item.status or FAILED, "reason": item.reason,
                "fetched_at": item.fetched_at, "crawl_run_id": item.crawl_run_id,
            }
            if current is not None:
                attachment_id = current.attachment_id
                self.connection.execute(
                    update(files).where(files.c.id == attachment_id).values(**values)
                )
            else:
                attachment_id = self._insert_file(values)
            outcome = FILE_FAILED
        else:
            found = self.connection.execute(
                select(files.c.id).where(files.c.sha256 == prepared.sha256)
            ).scalar()
            if found is not None:
                attachment_id, outcome = found, FILE_KNOWN
            else:
                attachment_id = self._insert_file({
                    "sha256": prepared.sha256, "name": _cut(prepared.name, _NAME_LENGTH),
                    "media_type": _cut(prepared.media_type, _MEDIA_TYPE_LENGTH),
                    "size": len(item.body), "pages": prepared.pages, "text": prepared.text,
                    "status": prepared.status or FAILED,
                    "reason": prepared.reason if prepared.status else "the file was not read",
                    "original_script": prepared.original_script,
                    "content_hash": prepared.content_hash,
                    "copy_of_article_id": copies[0][0] if copies else None,
                    "copy_similarity": copies[0][1] if copies else None,
                    "fetched_at": item.fetched_at, "crawl_run_id": item.crawl_run_id,
                })
                self.connection.execute(insert(AttachmentFile.__table__), {
                    "attachment_id": attachment_id,
                    "body_gzip": prepared.body_gzip or gzip_file(item.body),
                    "body_length": len(item.body), "dedup_entry": prepared.dedup_entry,
                })
                outcome = FILE_NEW
            if copies:
                self._copies[attachment_id] = list(copies)
        self._point_url(prepared, attachment_id)
        if current is not None and current.sha256 is None and current.attachment_id != attachment_id:
            # The URL failed before and gave its file now: the failure row has served.
            self.connection.execute(delete(files).where(files.c.id == current.attachment_id))
        self._arrived.add(item.url)
        return outcome

    def _insert_file(self, values: dict[str, Any]) -> int:
        files = Attachment.__table__
        return int(self.connection.execute(insert(files).returning(files.c.id), values).scalar_one())

    def _validators(self, prepared: PreparedAttachment) -> dict[str, Any]:
        item = prepared.item
        values = {"etag": item.etag, "last_modified": item.last_modified}
        return {k: _cut(v, _HEADER_LENGTHS[k]) for k, v in values.items() if v}

    def _point_url(self, prepared: PreparedAttachment, attachment_id: int) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        item = prepared.item
        row = {
            "url": item.url, "site": item.site, "attachment_id": attachment_id,
            "name": _cut(prepared.name, _NAME_LENGTH), "http_status": item.http_status,
            "content_type": _cut(item.content_type, _HEADER_LENGTHS["content_type"]),
            "etag": _cut(item.etag, 255), "last_modified": _cut(item.last_modified, 64),
            "fetched_at": item.fetched_at, "crawl_run_id": item.crawl_run_id,
        }
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        table = AttachmentUrl.__table__
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.url],
            set_={name: statement.excluded[name] for name in row if name != "url"},
        )
        self.connection.execute(statement, row)

    # -- after the batch's articles ---------------------------------------------------------

    def flush(self) -> int:
        """Write the noted links, resolve and judge every link the batch touched; rows written."""
        noted, self._links = self._links, {}
        arrived, self._arrived = self._arrived, set()
        copies, self._copies = self._copies, {}
        if not noted and not arrived:
            return 0
        links = ArticleAttachment.__table__
        rows = [
            {"article_id": article_id, "url": url, "link_text": text, "position": position,
             "relation": ATTACHMENT}
            for article_id, found in noted.items() for position, (url, text) in enumerate(found)
        ]
        if rows:
            self._upsert_links(rows)
        urls = AttachmentUrl.__table__
        attachment_of = (
            select(urls.c.attachment_id).where(urls.c.url == links.c.url).scalar_subquery()
        )
        touched: list[Any] = []
        for column, values in ((links.c.article_id, sorted(noted)), (links.c.url, sorted(arrived))):
            for start in range(0, len(values), _IN_CHUNK):
                chunk = values[start : start + _IN_CHUNK]
                self.connection.execute(
                    update(links).where(column.in_(chunk)).values(attachment_id=attachment_of)
                )
                touched.extend(self.connection.execute(
                    select(links.c.id, links.c.article_id, links.c.attachment_id)
                    .where(column.in_(chunk), links.c.attachment_id.is_not(None))
                ))
        self._judge({row.id: (row.article_id, row.attachment_id) for row in touched}, copies)
        return len(rows)

    def _upsert_links(self, rows: list[dict[str, Any]]) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        table = ArticleAttachment.__table__
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.article_id, table.c.url],
            set_={"link_text": statement.excluded.link_text,
                  "position": statement.excluded.position},
        )
        self.connection.execute(statement, rows)

    def _judge(
        self, links: dict[int, tuple[int, int]], copies: dict[int, list[tuple[int, float]]]
    ) -> None:
        """Set the relation of these links (id -> (article id, attachment id))."""
        if not links:
            return
        attachment_ids = sorted({a for _, a in links.values()})
        article_ids = sorted({a for a, _ in links.values()})
        file_entries = self._file_entries(attachment_ids)
        body_entries = self._body_entries(article_ids)
        known_copies = self._copies_from_links(attachment_ids)
        for attachment_id, found in copies.items():
            known_copies[attachment_id] = list(found) + known_copies.get(attachment_id, [])
        updates = []
        for link_id, (article_id, attachment_id) in links.items():
            relation, copy_of, similarity = ATTACHMENT, None, None
            similarity_to = dict(reversed(known_copies.get(attachment_id, [])))
            same = similarity_to.get(article_id)
            if same is None:
                same = text_relation(
                    body_entries.get(article_id), file_entries.get(attachment_id), self.params
                )
            if same is not None:
                relation, copy_of, similarity = SAME_AS_BODY, article_id, same
            else:
                others = [(a, s) for a, s in known_copies.get(attachment_id, []) if a != article_id]
                if others:
                    (copy_of, similarity), relation = others[0], COPY_OF_ARTICLE
            updates.append({"b_id": link_id, "b_relation": relation, "b_copy": copy_of,
                            "b_similarity": similarity})
        table = ArticleAttachment.__table__
        self.connection.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                relation=bindparam("b_relation"), copy_of_article_id=bindparam("b_copy"),
                similarity=bindparam("b_similarity"),
            ),
            updates,
        )

    def _file_entries(self, attachment_ids: list[int]) -> dict[int, bytes]:
        table = AttachmentFile.__table__
        entries: dict[int, bytes] = {}
        for start in range(0, len(attachment_ids), _IN_CHUNK):
            for attachment_id, entry in self.connection.execute(
                select(table.c.attachment_id, table.c.dedup_entry).where(
                    table.c.attachment_id.in_(attachment_ids[start : start + _IN_CHUNK]),
                    table.c.dedup_entry.is_not(None),
                )
            ):
                entries[attachment_id] = bytes(entry)
        return entries

    def _body_entries(self, article_ids: list[int]) -> dict[int, bytes]:
        """The index entries of these articles' canonical copies (their bodies)."""
        entries_table, copies = DedupEntry.__table__, ArticleCopy.__table__
        entries: dict[int, bytes] = {}
        for start in range(0, len(article_ids), _IN_CHUNK):
            for article_id, entry in self.connection.execute(
                select(copies.c.article_id, entries_table.c.entry)
                .join(entries_table, entries_table.c.copy_id == copies.c.id)
                .where(copies.c.article_id.in_(article_ids[start : start + _IN_CHUNK]),
                       copies.c.relation == "canonical")
            ):
                entries[article_id] = bytes(entry)
        return entries

    def _copies_from_links(self, attachment_ids: list[int]) -> dict[int, list[tuple[int, float]]]:
        """The articles these files were found to be copies of: when they were stored
        (`attachments.copy_of_article_id`), and by the links judged before."""
        links, files = ArticleAttachment.__table__, Attachment.__table__
        found: dict[int, list[tuple[int, float]]] = {}
        for start in range(0, len(attachment_ids), _IN_CHUNK):
            chunk = attachment_ids[start : start + _IN_CHUNK]
            for query in (
                select(files.c.id, files.c.copy_of_article_id, files.c.copy_similarity)
                .where(files.c.id.in_(chunk), files.c.copy_of_article_id.is_not(None)),
                select(links.c.attachment_id, links.c.copy_of_article_id, links.c.similarity)
                .where(links.c.attachment_id.in_(chunk), links.c.copy_of_article_id.is_not(None))
                .distinct(),
            ):
                for attachment_id, article_id, similarity in self.connection.execute(query):
                    found.setdefault(attachment_id, []).append((article_id, similarity or 0.0))
        return found

    # -- re-judging every link (reprocess) --------------------------------------------------

    def judge_all(self, copies: dict[int, list[tuple[int, float]]]) -> int:
        """Resolve and judge every link again (`reprocess`): `copies` from the index, by file."""
        links, files = ArticleAttachment.__table__, Attachment.__table__
        urls = AttachmentUrl.__table__
        self.connection.execute(update(files).values(copy_of_article_id=None, copy_similarity=None))
        found = [{"b_id": attachment_id, "b_copy": articles[0][0], "b_similarity": articles[0][1]}
                 for attachment_id, articles in copies.items() if articles]
        if found:
            self.connection.execute(
                update(files).where(files.c.id == bindparam("b_id")).values(
                    copy_of_article_id=bindparam("b_copy"), copy_similarity=bindparam("b_similarity")),
                found,
            )
        self.connection.execute(update(links).values(
            attachment_id=select(urls.c.attachment_id).where(urls.c.url == links.c.url)
            .scalar_subquery(),
            copy_of_article_id=None, relation=ATTACHMENT, similarity=None,
        ))
        rows = self.connection.execute(
            select(links.c.id, links.c.article_id, links.c.attachment_id)
            .where(links.c.attachment_id.is_not(None))
        ).all()
        self._judge({row.id: (row.article_id, row.attachment_id) for row in rows}, copies)
        return len(rows)


def file_entries(connection: Connection) -> Iterable[tuple[int, bytes]]:
    """(attachment id, index entry) of every stored file with text."""
    table = AttachmentFile.__table__
    for attachment_id, entry in connection.execute(
        select(table.c.attachment_id, table.c.dedup_entry).where(table.c.dedup_entry.is_not(None))
    ):
        yield attachment_id, bytes(entry)
