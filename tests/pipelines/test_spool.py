"""A full store gives a clear error and loses nothing: the item waits in the spool."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from models.database import open_store
from pipelines.spool import Spool
from pipelines.store import ArticleStore
from tests.pipelines.test_store import counts, make_item


def test_a_full_sqlite_store_errors_clearly_and_the_spooled_item_lands_later(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'full.db'}")
    store = ArticleStore(engine)
    limit = {"pages": 1}  # the "disk": SQLite may not grow past the pages it has
    engine.pool.dispose()

    @event.listens_for(engine, "connect")
    def cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        used = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={used + limit['pages']}")

    item = make_item(paragraphs=["科技创新逐渐成为推动全球经济发展的核心驱动力。" * 400] * 20)
    with pytest.raises(OperationalError, match="database or disk is full"):
        store.save_article(item)
    assert counts(store) == (0, 0, 0)  # nothing half-written

    spool = Spool(tmp_path / "spool")
    spool.put(item)
    # A later run (another process) adopts the spool file once space is back.
    later = Spool(tmp_path / "spool", owner="next-run")
    assert later.adopt_leftovers() == 1
    limit["pages"] = 100_000
    engine.pool.dispose()
    assert later.drain(store.save_article) == 1
    assert counts(store)[:2] == (1, 1)
    assert not list((tmp_path / "spool").glob("spool-*.pkl"))
    engine.dispose()
