"""Alembic environment: migrates the store named by --db / DATABASE_URL, like the crawler."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import Connection

from models import Base
from models.database import StoreError, create_store_engine, resolve_database_url

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    """The URL set by models.database, else --db/DATABASE_URL like every other command."""
    if config.file_config.has_section(config.config_ini_section):
        url = config.get_main_option("sqlalchemy.url")
        if url:
            return url
    return resolve_database_url()


# The full-text search objects (revision 0010, docs/search.md) are made by the migrations
# alone, unlike the models' tables: SQLite's FTS5 tables (`articles_fts` and its shadow tables
# `articles_fts_data`, `_idx`, `_docsize`, `_config`) and PostgreSQL's trigram indexes exist
# on one backend only, and on PostgreSQL only where the database's locale lets pg_trgm index
# Chinese. `alembic check` leaves them out of its comparison.
SEARCH_OBJECT = re.compile(r"^(\w+_fts(_(data|idx|content|docsize|config))?|ix_\w+_trgm)$")


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    return not (type_ in ("table", "index") and name and SEARCH_OBJECT.match(name))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        # SQLite cannot ALTER most things in place; batch mode recreates tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from models.database.upgrade_schema
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    try:
        engine = create_store_engine(_database_url())
    except StoreError as exc:
        raise SystemExit(f"error: {exc}") from None
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
