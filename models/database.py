"""The one place that opens the store: URL checks, engines, sessions and schema migration.

Nothing else in the project creates an engine. Every error raised here is a `StoreError` whose
message is one line that says what to fix, with any password masked.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Optional

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///data/policy.db"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Any constant works; it only has to be the same in every process that migrates this store.
_MIGRATION_LOCK_KEY = 0x706F6C6963795F6D  # "policy_m"

log = logging.getLogger(__name__)

#: Pages of write-ahead log (4 KB each) at which a SQLite connection checkpoints inside its own
#: COMMIT. SQLite's default is 1,000 (4 MB); ours is higher because a `WalCheckpointer` copies
#: large batches into the database file in the background. The log still starts afresh only
#: after a checkpoint that ends while no transaction reads it, which a stream of batches that
#: follow each other at once never leaves time for: the commit that crosses this mark does it,
#: cheaply, as the background has copied all but the last batch. So the log of a backfill
#: grows to ~64 MB and back (its commits took 0.06 s a 2,000-page run at this mark, 0.16 s at
#: 16 MB, 0.29 s at SQLite's own); a crawl's, with pauses between its batches, stays small.
SQLITE_WAL_AUTOCHECKPOINT = 16384


class StoreError(RuntimeError):
    """A store problem the user can fix; str() is one line, safe to print."""


def resolve_database_url(cli_value: str | None = None) -> str:
    """`--db` beats `DATABASE_URL`, which beats the SQLite default under the working directory."""
    return cli_value or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ***, also for strings SQLAlchemy cannot parse."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        # Unparsable: mask whatever sits between "user:" and the last "@".
        if "://" in url:
            return re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", url)
        return re.sub(r"([^/:@\s]*):[^@\s]*@", r"\1:***@", url)


def _scrub(exc: DBAPIError, url: URL) -> str:
    """The driver's message without the password, its first line only."""
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if url.password:
        message = message.replace(str(url.password), "***")
    return message.strip().splitlines()[0] if message.strip() else message


def parse_database_url(raw: str) -> URL:
    """Validate a database URL and bring it to the driver the project ships (psycopg 3)."""
    hint = "use sqlite:///data/policy.db or postgresql+psycopg://user:password@host:5432/db"
    try:
        url = make_url(raw)
        url.port  # a malformed port raises only when read
    except (ArgumentError, ValueError):
        raise StoreError(
            f"DATABASE_URL '{mask_url(raw)}' is not a SQLAlchemy URL; {hint}"
        ) from None
    backend = url.get_backend_name()
    # "postgres" is the Heroku-style scheme that SQLAlchemy no longer accepts; a bare
    # "postgresql" and "+psycopg2" are brought to the driver the project ships.
    if backend == "postgres" or (backend == "postgresql" and (
        "+" not in url.drivername or url.get_driver_name() in ("psycopg2", "")
    )):
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"DATABASE_URL '{mask_url(url)}' uses the unsupported backend '{backend}'; {hint}"
        )
    if backend == "postgresql" and not url.database:
        raise StoreError(f"DATABASE_URL '{mask_url(url)}' names no database; {hint}")
    if backend == "sqlite" and url.database in (None, ""):
        raise StoreError(
            f"DATABASE_URL '{mask_url(url)}' is an in-memory SQLite store, which a crawl would "
            f"lose at exit; {hint}"
        )
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # First: every later statement (the journal_mode switch included) waits for a lock held
    # by another process (a reader, a second command) instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL lets readers (analysts, `policy-ingest runs`) query while a crawl writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class WalCheckpointer:
    """Checkpoints a SQLite store's write-ahead log in a background thread.

    Left to itself, SQLite checkpoints inside the COMMIT that takes the log past its mark:
    the log is copied into the database file and both are synced while the writer waits (a
    batch of 500 pages: ~25 ms a commit, 5 % of ingestion's wall time). Here the commit of a
    large batch wakes this thread (`wake`, see `ArticleStore.write_batch`), whose PASSIVE
    checkpoint (one that never blocks a reader or the writer) runs beside the writer's next
    transaction; the sqlite3 module releases the GIL while it runs. At most one checkpoint
    starts every `interval` seconds. The thread ends after `idle_seconds` without a wake-up,
    so an idle store holds no thread and no connection.
    """

    def __init__(
        self, engine: Engine, idle_seconds: float = 5.0, interval: float = 0.5
    ) -> None:
        # Weak: the engine's entry in `_checkpointers` must not keep the engine alive.
        self._engine = weakref.ref(engine)
        self._idle_seconds = idle_seconds
        self._interval = interval
        self._last = float("-inf")  # time.monotonic() of the last checkpoint
        self._changed = threading.Condition()
        self._requested = 0  # wake-ups so far
        self._covered = 0  # wake-ups that a finished checkpoint came after
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self.runs = 0  # checkpoints run

    def wake(self) -> None:
        """A transaction committed: checkpoint the log it grew (soon, in the background)."""
        with self._changed:
            self._requested += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-wal-checkpoint", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until a checkpoint has run after the last `wake`; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._covered >= self._requested, timeout)

    @property
    def running(self) -> bool:
        with self._changed:
            return self._thread is not None

    def close(self) -> None:
        """Stop the thread (a checkpoint under way finishes first); `wake` starts it again."""
        with self._changed:
            self._closed = True
            thread = self._thread
            self._changed.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._changed:
            self._closed = False

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._changed.wait_for(
                    lambda: self._closed or self._covered < self._requested, self._idle_seconds
                ) or self._closed:
                    self._thread = None
                    return
                # Wake-ups until `interval` after the last checkpoint join this one.
                while (left := self._last + self._interval - time.monotonic()) > 0:
                    self._changed.wait(left)
                    if self._closed:
                        self._thread = None
                        return
                target = self._requested
            engine = self._engine()
            if engine is None:  # the store was closed and dropped: nothing left to checkpoint
                with self._changed:
                    self._thread = None
                return
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                self.runs += 1
            except Exception as exc:  # the commit happened; a missed checkpoint is caught up later
                log.debug("background WAL checkpoint failed: %s", exc)
            self._last = time.monotonic()
            with self._changed:
                self._covered = target
                self._changed.notify_all()


_checkpointers: "weakref.WeakKeyDictionary[Engine, WalCheckpointer]" = weakref.WeakKeyDictionary()
_checkpointers_lock = threading.Lock()


def wal_checkpointer(engine: Engine) -> Optional[WalCheckpointer]:
    """The background checkpointer of a SQLite store's engine (one per engine); None for a
    PostgreSQL store or an in-memory database, which need none."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    with _checkpointers_lock:
        found = _checkpointers.get(engine)
        if found is None:
            found = _checkpointers[engine] = WalCheckpointer(engine)
        return found


def create_store_engine(raw_url: str, *, echo: bool = False) -> Engine:
    """An engine for the store, with its connection checked; raises StoreError when unusable."""
    url = parse_database_url(raw_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if url.database != ":memory:" and not str(url.database).startswith("file:"):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the directory of the SQLite store '{path}': {exc.strerror}; "
                    f"choose a writable path with --db or DATABASE_URL"
                ) from None
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10, "application_name": "policy-ingest"},
        )
    check_connection(engine)
    return engine


def check_connection(engine: Engine) -> None:
    url = engine.url
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        reason = _scrub(exc, url)
        if url.get_backend_name() == "sqlite":
            raise StoreError(
                f"cannot open the SQLite store '{url.database}': {reason}; check the path and "
                f"its permissions, or choose another with --db"
            ) from None
        where = f"{url.host or 'localhost'}:{url.port or 5432}"
        raise StoreError(
            f"cannot connect to PostgreSQL at {where} ({mask_url(url)}): {reason}; check that "
            f"the server is running and that DATABASE_URL names the right host, user and database"
        ) from None
    except NoSuchModuleError as exc:
        raise StoreError(f"no driver for '{mask_url(url)}': {exc}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: pipeline code reads ids and fields after committing.
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None):  # type: ignore[no-untyped-def]
    """An Alembic Config that works from any directory (the console script is run anywhere)."""
    from alembic.config import Config

    import migrations

    # stdout as it is now: Config's default is bound when alembic is first imported, which may
    # be a stream that is closed since (a test runner's capture, a daemonised process).
    cfg = Config(stdout=sys.stdout)
    cfg.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        # ConfigParser interpolation: a literal % in a password must be doubled.
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to `revision`; safe when several processes start at once."""
    from alembic import command

    cfg = alembic_config(engine.url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Serialise concurrent first starts (distributed workers) on one store.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the store on first use; a no-op when it is already at head."""
    try:
        if current_revision(engine) == head_revision():
            return
        upgrade_schema(engine)
    except (OperationalError, DBAPIError) as exc:
        reason = _scrub(exc, engine.url)
        raise StoreError(f"cannot migrate the store {mask_url(engine.url)}: {reason}") from None


def open_store(raw_url: str | None = None) -> Engine:
    """Resolve, validate, connect and migrate: what every command does first."""
    engine = create_store_engine(resolve_database_url(raw_url))
    ensure_schema(engine)
    return engine


class RunLockHeld(StoreError):
    """Another crawl of the same store is running."""


@contextmanager
def run_lock(engine: Engine, name: str = "crawl") -> Iterator[None]:
    """Hold the store's run lock for the duration of a crawl; raise RunLockHeld when taken.

    PostgreSQL: a session advisory lock (released by the server when the process dies).
    SQLite: an flock on `<db>.lock` beside the database file (released by the kernel).
    Either way a killed run never leaves a stale lock behind.
    """
    key = _MIGRATION_LOCK_KEY + zlib.crc32(name.encode())
    if engine.dialect.name == "postgresql":
        conn = engine.connect()
        try:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                raise RunLockHeld(
                    f"another {name} of {mask_url(engine.url)} is running; this one exits "
                    f"without doing anything (see `policy-ingest runs`)"
                )
            conn.commit()
            try:
                yield
            finally:
                # The server may have restarted meanwhile: the lock went with the session.
                with suppress(OperationalError, DBAPIError):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        finally:
            with suppress(OperationalError, DBAPIError):
                conn.close()
        return
    import fcntl

    database = engine.url.database or "policy.db"
    lock_path = Path(f"{database}.{name}.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            raise RunLockHeld(
                f"another {name} of {database} is running ({holder}); this one exits without "
                f"doing anything (see `policy-ingest runs`)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
