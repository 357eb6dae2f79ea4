"""The attachment fixtures, written once per test session by the real libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.attachment_files import HostileFile, write_fixture_files, write_hostile_files


@pytest.fixture(scope="session")
def antiword() -> str:
    """The antiword program (.doc and .wps files), installed when missing."""
    from tests.support.debian import ensure_antiword

    return ensure_antiword()


@pytest.fixture(scope="session")
def good_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(directory, {file name: the text it was made from})."""
    directory = tmp_path_factory.mktemp("attachments")
    return directory, write_fixture_files(directory)


#: The over-size hostile file is this size + 1 (the tests read with this `max_bytes`).
HOSTILE_MAX_BYTES = 2 << 20


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, HostileFile]]:
    """(directory, {file name: the status and reason words reading it ends with})."""
    directory = tmp_path_factory.mktemp("hostile")
    return directory, write_hostile_files(directory, max_bytes=HOSTILE_MAX_BYTES)
