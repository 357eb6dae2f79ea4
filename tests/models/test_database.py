"""Opening the store: defaults, URL checks, and one-line errors that never show a password."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from models.database import (
    DEFAULT_DATABASE_URL,
    SQLITE_WAL_AUTOCHECKPOINT,
    StoreError,
    WalCheckpointer,
    create_store_engine,
    mask_url,
    open_store,
    parse_database_url,
    resolve_database_url,
    wal_checkpointer,
)
from tests.support.postgres import PASSWORD, PostgresServer


def test_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert resolve_database_url() == DEFAULT_DATABASE_URL == "sqlite:///data/policy.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    assert resolve_database_url() == "sqlite:///env.db"
    assert resolve_database_url("sqlite:///cli.db") == "sqlite:///cli.db"


@pytest.mark.parametrize(
    "raw",
    ["postgres://u:pw@h/db", "postgresql://u:pw@h/db", "postgresql+psycopg2://u:pw@h/db"],
)
def test_postgres_urls_use_the_shipped_driver(raw: str) -> None:
    assert parse_database_url(raw).drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not a url", "is not a SQLAlchemy URL"),
        ("mysql://root:hunter2@db/x", "unsupported backend 'mysql'"),
        ("postgresql+psycopg://u:hunter2@localhost", "names no database"),
        ("sqlite://", "in-memory"),
    ],
)
def test_bad_urls_give_one_line_without_password(raw: str, expected: str) -> None:
    with pytest.raises(StoreError) as err:
        parse_database_url(raw)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and "hunter2" not in message
    assert "postgresql+psycopg://" in message  # says what to use instead


def test_mask_url_hides_passwords_even_in_unparsable_strings() -> None:
    assert "hunter2" not in mask_url("postgresql+psycopg://u:hunter2@h/db")
    assert "hunter2" not in mask_url("weird://u:hunter2@h:notaport/db")


def test_unreachable_server_is_one_clear_line(postgres: PostgresServer) -> None:
    # A port nothing listens on (the server's own port + a closed neighbour is not reliable;
    # port 1 on loopback is privileged and unused here).
    url = f"postgresql+psycopg://policy:{PASSWORD}@127.0.0.1:1/policy"
    with pytest.raises(StoreError) as err:
        create_store_engine(url)
    message = str(err.value)
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in message
    assert PASSWORD not in message and "\n" not in message


def test_wrong_password_is_reported_without_it(postgres: PostgresServer) -> None:
    url = postgres.url(password="wrong-Passw0rd")
    with pytest.raises(StoreError) as err:
        create_store_engine(url)
    assert "password authentication failed" in str(err.value)
    assert "wrong-Passw0rd" not in str(err.value)


def test_sqlite_default_is_created_migrated_and_in_wal_mode(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = open_store()
    assert (tmp_path / "data" / "policy.db").exists()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 0
    engine.dispose()


def test_unwritable_sqlite_location_is_one_clear_line(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as err:
        create_store_engine(f"sqlite:///{blocker}/sub/policy.db")
    assert "SQLite store" in str(err.value) and "\n" not in str(err.value)


def test_open_store_twice_is_a_no_op_migration(db_url: str) -> None:
    open_store(db_url).dispose()
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def _write_raw_pages(store, batches: int, pages: int, size: int, start: int = 0) -> None:
    """`batches` transactions of `pages` raw pages of `size` random bytes each."""
    from datetime import datetime, timezone

    from pipelines.items import RawPageRecord

    fetched = datetime(2026, 11, 28, tzinfo=timezone.utc)
    n = start
    for _ in range(batches):
        records = []
        for _ in range(pages):
            records.append(RawPageRecord(f"https://example.gov.cn/{n}.html", os.urandom(size), fetched))
            n += 1
        store.write_batch(lambda batch, records=records: [batch.save_raw_pages([r], "example", None)
                                                         for r in records])


def test_sqlite_log_of_large_batches_is_checkpointed_in_the_background(tmp_path) -> None:
    from pipelines.store import CHECKPOINT_AFTER_ROWS, ArticleStore

    engine = open_store(f"sqlite:///{tmp_path / 'policy.db'}")
    store = ArticleStore(engine)
    checkpoints = store.checkpoints
    assert checkpoints is not None and checkpoints is wal_checkpointer(engine)
    with engine.connect() as conn:
        # A commit does not copy the log into the database file itself before this mark.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_WAL_AUTOCHECKPOINT
    empty = (tmp_path / "policy.db").stat().st_size
    # 2.4 MB of log, far below the commits' own mark, in two batches large enough to wake it.
    _write_raw_pages(store, 2, CHECKPOINT_AFTER_ROWS, 12_000)
    assert checkpoints.wait(timeout=60)
    assert checkpoints.runs >= 1
    # Only a checkpoint writes the database file: the rows reached it.
    assert (tmp_path / "policy.db").stat().st_size > empty + 2_000_000
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM raw_pages").scalar() == 2 * CHECKPOINT_AFTER_ROWS
    engine.dispose()


def test_small_transactions_leave_the_log_to_sqlite(tmp_path) -> None:
    # One page at a time, back to back: a background checkpoint could never finish the log
    # (the writer is always ahead of it) and would only cost time; none is started.
    from pipelines.store import ArticleStore

    engine = open_store(f"sqlite:///{tmp_path / 'policy.db'}")
    store = ArticleStore(engine)
    _write_raw_pages(store, 30, 1, 10_000)
    assert store.checkpoints is not None
    assert store.checkpoints.runs == 0 and not store.checkpoints.running
    engine.dispose()


def test_wal_checkpointer_leaves_when_idle_and_comes_back(tmp_path) -> None:
    from pipelines.store import CHECKPOINT_AFTER_ROWS, ArticleStore

    engine = open_store(f"sqlite:///{tmp_path / 'policy.db'}")
    store = ArticleStore(engine)
    store.checkpoints = checkpoints = WalCheckpointer(engine, idle_seconds=0.05, interval=0)
    _write_raw_pages(store, 1, CHECKPOINT_AFTER_ROWS, 1_000)
    assert checkpoints.wait(timeout=60) and checkpoints.runs >= 1
    thread = checkpoints._thread
    assert thread is not None
    thread.join(timeout=60)  # nothing to do for 50 ms: the thread ends, its connection returned
    assert not thread.is_alive() and not checkpoints.running
    runs = checkpoints.runs
    _write_raw_pages(store, 1, CHECKPOINT_AFTER_ROWS, 1_000, start=CHECKPOINT_AFTER_ROWS)
    assert checkpoints.wait(timeout=60) and checkpoints.runs > runs
    engine.dispose()


def test_wal_checkpoints_of_a_stream_of_batches_are_at_most_one_an_interval(tmp_path) -> None:
    from pipelines.store import CHECKPOINT_AFTER_ROWS, ArticleStore

    engine = open_store(f"sqlite:///{tmp_path / 'policy.db'}")
    store = ArticleStore(engine)
    store.checkpoints = checkpoints = WalCheckpointer(engine, interval=3600)
    _write_raw_pages(store, 5, CHECKPOINT_AFTER_ROWS, 100)
    # The first batch's wake-up checkpoints at once; the others wait for the interval to pass.
    assert not checkpoints.wait(timeout=0.2)
    assert checkpoints.runs == 1 and checkpoints.running
    checkpoints.close()
    assert not checkpoints.running and checkpoints.runs == 1
    engine.dispose()


def test_only_a_sqlite_file_store_has_a_wal_checkpointer(pg_url: str) -> None:
    engine = create_store_engine(pg_url)
    assert wal_checkpointer(engine) is None
    engine.dispose()
    from sqlalchemy import create_engine

    assert wal_checkpointer(create_engine("sqlite://")) is None
