"""Export of the cleaned articles for downstream jobs: JSON lines, CSV or Parquet, streamed.

Rows are read in keyset-paginated batches (by id), so the table never sits in memory whole;
Parquet is written one row group per batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Optional

from sqlalchemy import Engine, func, select

from models import Article, ArticleCopy

FORMATS = ("jsonl", "csv", "parquet")
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
    engine: Engine, since: Optional[datetime] = None, batch_size: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """Articles changed (or new) since `since`, as plain dicts, `batch_size` at a time."""
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
        yield batch
        last_id = rows[-1].id


def write_jsonl(batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    count = 0
    for batch in batches:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in batch)
        count += len(batch)
    return count


def write_csv(batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for batch in batches:
        writer.writerows(
            {**record, "attachments": json.dumps(record["attachments"] or [], ensure_ascii=False)}
            for record in batch
        )
        count += len(batch)
    return count


def parquet_schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    return pa.schema([
        ("id", pa.int64()), ("url", text), ("site", text), ("title", text),
        ("published_at", text), ("source", text), ("author", text), ("author_unit", text),
        ("editor", text), ("column_path", text), ("body_text", text), ("body_html", text),
        ("attachments", pa.list_(pa.struct([("url", text), ("title", text)]))),
        ("original_script", text), ("copies", pa.int64()),
        ("first_seen_at", text), ("updated_at", text), *((name, text) for name in POLICY),
    ])


def write_parquet(batches: Iterator[list[dict[str, Any]]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export(engine: Engine, fmt: str, out: Optional[Path], since: Optional[datetime] = None,
           stdout: Optional[IO[str]] = None) -> int:
    """Write the articles in `fmt` to `out` (or `stdout` for the text formats); return the count."""
    batches = article_batches(engine, since)
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs --out PATH (it is a binary file)")
        return write_parquet(batches, out)
    writer = write_jsonl if fmt == "jsonl" else write_csv
    if out is None:
        assert stdout is not None
        return writer(batches, stdout)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        return writer(batches, handle)


__all__ = ["FORMATS", "COLUMNS", "article_batches", "export"]
