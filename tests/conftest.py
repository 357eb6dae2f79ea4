"""Session-wide real services for the tests: PostgreSQL on loopback, and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer

if TYPE_CHECKING:
    from crawler.demo.server import FixtureWeb
    from tests.support.browser import Browser
    from tests.support.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent

# The slow tier (`pytest -m "not slow"` leaves it out): a test is slow when it needs a server
# process — PostgreSQL, Redis — or a real crawl in a subprocess, through one of these fixtures
# (directly or through another fixture), or a headless Chromium ...
SLOW_FIXTURES = frozenset({"postgres", "pg_url", "redis_server", "hostile_crawl", "browser"})


def _starts_postgresql(param: object) -> bool:
    """... or the PostgreSQL side of a backend parameter (`db_url`, `backend`, `crawled`), whose
    fixture asks for the server with `request.getfixturevalue("postgres")` at run time."""
    return isinstance(param, str) and (param == "postgresql" or param.startswith("postgresql-"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or (
            params is not None and any(map(_starts_postgresql, params.params.values()))
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator["RedisServer"]:
    from tests.support.redis_server import RedisServer

    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'policy.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'policy.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """A headless Chromium (Debian's, installed when missing), started once per test module:
    Playwright's sync API holds this thread's event loop while it runs, which tests of other
    modules (asyncio.run, Scrapy's reactor) must find free."""
    from tests.support.browser import Browser

    chromium = Browser().start()
    try:
        yield chromium
    finally:
        chromium.stop()


@pytest.fixture(scope="session")
def fixture_web() -> Iterator["FixtureWeb"]:
    """The fixture web (crawler/demo/web) on loopback, started once per test session."""
    from crawler.demo.server import FixtureWeb

    with FixtureWeb() as web:
        yield web
