"""An extracted page as the pipeline's `ArticleItem`: what a spider yields for an article."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.extractors import ExtractedPage
from crawler.extractors.page import POLICY_FIELDS
from pipelines.items import ArticleItem, RemovalRecord


def item_from_page(page: "ExtractedPage", *, site: str, fetched_at: datetime, **fetch: Any) -> ArticleItem:
    """The item for one extracted page; `fetch` carries http_status, etag, last_modified."""
    return ArticleItem(
        url=page.url,
        site=site,
        fetched_at=fetched_at,
        title=page.title,
        title_raw=page.title_raw,
        published_at=page.published_at,
        published_at_source=page.published_at_source,
        source=page.source,
        site_name=page.site_name,
        author=page.author,
        author_unit=page.author_unit,
        editor=page.editor,
        column_path=page.column_path,
        **{name: getattr(page, name) for name in POLICY_FIELDS},
        paragraphs=list(page.paragraphs),
        body_html=page.body_html,
        attachments=[{"url": a.url, "title": a.title or ""} for a in page.attachments],
        removals=[RemovalRecord(r.kind, r.content, r.detail) for r in page.removals],
        signals=dict(page.signals),
        encoding=page.encoding,
        **fetch,
    )
