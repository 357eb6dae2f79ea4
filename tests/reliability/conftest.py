"""The hostile web (tests/support/faults.py) and one crawl of it per backend, for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.demo.server import LoggedRequest
from models.database import create_store_engine
from tests.support.faults import HostileWeb, MeasuredCrawl, run_measured_crawl

# A short timeout (the slow page sleeps far longer; a 10 MB body still streams within it on a
# busy machine) and one retry keep the crawl under ~15 s.
CRAWL_SETTINGS = ("-s", "DOWNLOAD_TIMEOUT=4", "-s", "RETRY_TIMES=1")


@pytest.fixture(scope="session")
def hostile_web() -> Iterator[HostileWeb]:
    with HostileWeb() as web:
        yield web


@dataclass
class HostileCrawl:
    backend: str
    db_url: str
    engine: Engine
    result: MeasuredCrawl
    log: list[LoggedRequest]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def hostile_crawl(
    request: pytest.FixtureRequest, hostile_web: HostileWeb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileCrawl]:
    """One real crawl of the hostile web into a fresh store of each backend."""
    directory: Path = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        db_url = f"sqlite:///{directory / 'policy.db'}"
    else:
        db_url = request.getfixturevalue("postgres").create_database()
    hostile_web.request_log.clear()
    result = run_measured_crawl(db_url, hostile_web.proxy_env(), hostile_web.write_registry(directory), *CRAWL_SETTINGS)
    log = hostile_web.request_log.snapshot()
    engine = create_store_engine(db_url)
    yield HostileCrawl(request.param, db_url, engine, result, log)
    engine.dispose()
