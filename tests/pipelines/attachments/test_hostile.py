"""Hostile files: each ends with its status and a reason that says what the bytes are, and the
reader goes on with the next good file (0 crashes, 0 hangs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.attachments import FileReader, ReadLimits, read_file
from tests.fixtures.attachment_files import HostileFile, char_f1
from tests.pipelines.attachments.conftest import HOSTILE_MAX_BYTES

LIMITS = ReadLimits(max_bytes=HOSTILE_MAX_BYTES)


def test_each_hostile_file_has_its_status_and_reason_in_process(
        hostile_files: tuple[Path, dict[str, HostileFile]]) -> None:
    directory, outcomes = hostile_files
    for name, outcome in outcomes.items():
        result = read_file((directory / name).read_bytes(), name, LIMITS)
        assert result.status == outcome.status, (name, result)
        assert result.reason is not None and outcome.reason in result.reason, (name, result)
        if outcome.status != "ok":
            assert result.text == ""


def test_what_the_bytes_are_is_said(hostile_files: tuple[Path, dict[str, HostileFile]]) -> None:
    directory, _ = hostile_files
    page = read_file((directory / "P020251016398145670002.doc").read_bytes(), "P020251016398145670002.doc")
    assert page.media_type == "text/html"
    assert "title '404 页面不存在'" in (page.reason or "")  # GBK decoded
    assert "extension .doc but content is an HTML page" in (page.reason or "")
    docx = read_file((directory / "truncated.docx").read_bytes(), "truncated.docx")
    assert docx.media_type.endswith("wordprocessingml.document")  # type: ignore[union-attr]
    assert "extension" not in (docx.reason or "")  # damaged, but what it says it is
    cut = read_file((directory / "P020251016398145670001.pdf").read_bytes(), "x.pdf")
    assert "cut short" in (cut.reason or "")


@pytest.mark.slow  # worker processes
def test_the_sandbox_survives_every_hostile_file_and_reads_the_next_good_one(
        hostile_files: tuple[Path, dict[str, HostileFile]], good_files: tuple[Path, dict[str, str]]) -> None:
    directory, outcomes = hostile_files
    good_directory, expected = good_files
    good = "shenbaobiao.docx"
    with FileReader(LIMITS) as reader:
        for name, outcome in outcomes.items():
            result = reader.read((directory / name).read_bytes(), name)
            assert (result.status, outcome.reason in (result.reason or "")) == (outcome.status, True), (name, result)
            after = reader.read((good_directory / good).read_bytes(), good)
            assert after.status == "ok" and char_f1(expected[good], after.text) >= 0.99


@pytest.mark.slow  # worker processes
def test_a_reader_process_killed_between_files_is_replaced() -> None:
    import os
    import signal

    with FileReader(ReadLimits(seconds=20)) as reader:
        first = reader.read("正文".encode(), "a.txt")
        assert first.status == "ok"
        pid = reader.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)  # the reader process itself, between two files
        result = reader.read("通知".encode(), "b.txt")
        assert (result.status, result.text) == ("ok", "通知")
        assert reader.worker_pids() and reader.worker_pids()[0] != pid
