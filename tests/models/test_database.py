"""Opening the store: defaults, URL checks, and one-line errors that never show a password."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.database import (
    DEFAULT_DATABASE_URL,
    StoreError,
    create_store_engine,
    mask_url,
    open_store,
    parse_database_url,
    resolve_database_url,
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
