"""One store per crawler process, opened from the DATABASE_URL setting and shared by components."""

from __future__ import annotations

from scrapy.crawler import Crawler

from models.database import open_store
from pipelines.store import ArticleStore

_ATTRIBUTE = "_policy_ingest_store"


def store_for(crawler: Crawler) -> ArticleStore:
    """The crawler's store, opened (and migrated) on first use."""
    store = getattr(crawler, _ATTRIBUTE, None)
    if store is None:
        engine = open_store(crawler.settings.get("DATABASE_URL"))
        store = ArticleStore(engine)
        setattr(crawler, _ATTRIBUTE, store)
    return store
