"""Export of the cleaned articles for downstream jobs: JSON lines, CSV or Parquet, streamed.

Rows are read in keyset-paginated batches (by id), so the table never sits in memory whole;
Parquet is written one row group per batch. With `files=True` (`export --attachments`) each
article carries its attached files (`FILE_FIELDS`: the link, the file's name, type, status and
text, and what it is to the article), in the page's order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Optional

from sqlalchemy import Engine, func, select

from models import Article, ArticleAttachment, ArticleCopy, Attachment, AttachmentUrl

FORMATS = ("jsonl", "csv", "parquet")
#: What `export --attachments` gives of each attached file (in the column `files`).
FILE_FIELDS = (
    "url", "link_text", "name", "media_type", "size", "pages", "status", "reason", "relation",
    "copy_of_article_id", "text",
)
POLICY = (
    "doc_number", "doc_number_key", "issuer", "written_at", "effective_at", "index_no", "topic",
    "keywords", "validity", "doc_type", "level", "site_name", "column_name",
)
COLUMNS = (
    "id", "url", "site", "title", "published_at", "source", "author", "author_unit", "editor",
    "column_path", "body_text", "body_html", "attachments", "original_script", "copies",
    "first_seen_at", "updated_at", *POLICY,
)


def _published(value: Optional[datetime], has_time: bool) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat() if has_time else value.date().isoformat()


def article_batches(
    engine: Engine, since: Optional[datetime] = None, batch_size: int = 1000, files: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """Articles changed (or new) since `since`, as plain dicts, `batch_size` at a time; with
    `files`, each with its attached files under `files`."""
    copies = (
        select(func.count(ArticleCopy.id))
        .where(ArticleCopy.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    last_id = 0
    while True:
        query = select(Article, copies).where(Article.id > last_id).order_by(Article.id).limit(batch_size)
        if since is not None:
            query = query.where(Article.updated_at >= since)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        batch = []
        for row in rows:
            record = {c: getattr(row, c) for c in COLUMNS if c not in ("published_at", "copies")}
            record["published_at"] = _published(row.published_at, row.published_has_time)
            record["copies"] = row[-1]
            record["first_seen_at"] = row.first_seen_at.isoformat()
            record["updated_at"] = row.updated_at.isoformat()
            for name in ("written_at", "effective_at"):
                record[name] = record[name].isoformat() if record[name] is not None else None
            batch.append({c: record[c] for c in COLUMNS})
        if files:
            attached = article_files(engine, [row.id for row in rows])
            for record in batch:
                record["files"] = attached.get(record["id"], [])
        yield batch
        last_id = rows[-1].id


def article_files(engine: Engine, article_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """article id -> its attached files (`FILE_FIELDS`), in the page's order; a file not
    fetched yet has its link only (status None)."""
    links, files, urls = ArticleAttachment.__table__, Attachment.__table__, AttachmentUrl.__table__
    query = (
        select(links.c.article_id, links.c.url, links.c.link_text, links.c.relation,
               links.c.copy_of_article_id,
               # The name the linked URL gives the file (the file may have another elsewhere).
               func.coalesce(urls.c.name, files.c.name).label("name"), files.c.media_type,
               files.c.size, files.c.pages, files.c.status, files.c.reason, files.c.text)
        .select_from(links.outerjoin(files, files.c.id == links.c.attachment_id)
                     .outerjoin(urls, urls.c.url == links.c.url))
        .where(links.c.article_id.in_(article_ids))
        .order_by(links.c.article_id, links.c.position, links.c.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            found.setdefault(row.article_id, []).append(
                {name: getattr(row, name) for name in FILE_FIELDS})
    return found


def write_jsonl(batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    count = 0
    for batch in batches:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in batch)
        count += len(batch)
    return count


def write_csv(batches: Iterator[list[dict[str, Any]]], out: IO[str], files: bool = False) -> int:
    """One row per article; `attachments` (and `files`) as JSON text in their cells."""
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "files"] if files else COLUMNS)
    writer.writeheader()
    count = 0
    for batch in batches:
        writer.writerows(
            {**record, **{name: json.dumps(record[name] or [], ensure_ascii=False)
                          for name in ("attachments", "files") if name in record}}
            for record in batch
        )
        count += len(batch)
    return count


def parquet_schema(files: bool = False) -> Any:
    import pyarrow as pa

    text = pa.string()
    fields = [
        ("id", pa.int64()), ("url", text), ("site", text), ("title", text),
        ("published_at", text), ("source", text), ("author", text), ("author_unit", text),
        ("editor", text), ("column_path", text), ("body_text", text), ("body_html", text),
        ("attachments", pa.list_(pa.struct([("url", text), ("title", text)]))),
        ("original_script", text), ("copies", pa.int64()),
        ("first_seen_at", text), ("updated_at", text), *((name, text) for name in POLICY),
    ]
    if files:
        numbers = {"size": pa.int64(), "pages": pa.int64(), "copy_of_article_id": pa.int64()}
        fields.append(("files", pa.list_(pa.struct(
            [(name, numbers.get(name, text)) for name in FILE_FIELDS]))))
    return pa.schema(fields)


def write_parquet(batches: Iterator[list[dict[str, Any]]], path: Path, files: bool = False) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(files)
    count = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export(engine: Engine, fmt: str, out: Optional[Path], since: Optional[datetime] = None,
           stdout: Optional[IO[str]] = None, files: bool = False) -> int:
    """Write the articles in `fmt` to `out` (or `stdout` for the text formats); return the count.
    `files`: with each article's attached files and their text."""
    batches = article_batches(engine, since, files=files)
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs --out PATH (it is a binary file)")
        return write_parquet(batches, out, files)
    if out is None:
        assert stdout is not None
        return _write_text(fmt, batches, stdout, files)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        return _write_text(fmt, batches, handle, files)


def _write_text(fmt: str, batches: Iterator[list[dict[str, Any]]], out: IO[str], files: bool) -> int:
    return write_jsonl(batches, out) if fmt == "jsonl" else write_csv(batches, out, files)


__all__ = ["FORMATS", "COLUMNS", "FILE_FIELDS", "article_batches", "export"]
