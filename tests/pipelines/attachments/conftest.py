"""The attachment fixtures, written once per test session by the real libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.attachment_files import write_fixture_files


@pytest.fixture(scope="session")
def good_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(directory, {file name: the text it was made from})."""
    directory = tmp_path_factory.mktemp("attachments")
    return directory, write_fixture_files(directory)
