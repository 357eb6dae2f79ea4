"""FileReader: files read in worker processes under time and memory limits; a file that kills
or hangs its worker ends `failed` with a reason and the next file reads as usual."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines.attachments import FileReader, ReadLimits, read_file
from tests.fixtures.attachment_files import char_f1, pdf_with_flate_bomb

pytestmark = pytest.mark.slow  # worker processes


def test_worker_reads_like_read_file_and_never_shares_the_callers_threads(
        good_files: tuple[Path, dict[str, str]]) -> None:
    directory, expected = good_files
    with FileReader(processes=2) as reader:
        results: dict[str, object] = {}

        def read(name: str) -> None:
            results[name] = reader.read((directory / name).read_bytes(), name)

        threads = [threading.Thread(target=read, args=(name,)) for name in expected]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name, text in expected.items():
            assert results[name] == read_file((directory / name).read_bytes(), name)
            assert char_f1(text, results[name].text) >= 0.99  # type: ignore[attr-defined]
        pids = reader.worker_pids()
        assert 1 <= len(pids) <= 2
        for pid in pids:  # started by the fork server: one thread each
            assert Path(f"/proc/{pid}/task").exists() and len(list(Path(f"/proc/{pid}/task").iterdir())) == 1


def test_memory_and_time_limits_fail_the_file_not_the_reader(
        good_files: tuple[Path, dict[str, str]]) -> None:
    directory, expected = good_files
    bomb = pdf_with_flate_bomb()  # ~1 MB that PDFium inflates to ~400 MB
    good = "P020251016398145672310.pdf"
    with FileReader(ReadLimits(memory_bytes=300 << 20)) as reader:
        result = reader.read(bomb, "P020251016000000000001.pdf")
        assert result.status == "failed" and result.media_type == "application/pdf"
        # "ran out of memory (limit 300 MiB; …)" when the fork died near the limit; PDFium may
        # also abort on the one large request that crossed it, with little resident.
        assert result.reason is not None and result.reason.startswith("worker ")
        assert "memory limit of 300 MiB" in result.reason or result.reason.startswith(
            "worker ran out of memory (limit 300 MiB")
        after = reader.read((directory / good).read_bytes(), good)
        assert after.status == "ok" and char_f1(expected[good], after.text) >= 0.99, after.reason
    with FileReader(ReadLimits(seconds=0.5)) as reader:
        result = reader.read(bomb, "slow.pdf")
        assert (result.status, result.reason) == ("failed", "no answer within 0.5 s")
        assert reader.read((directory / good).read_bytes(), good).status == "ok"


def test_too_large_is_refused_before_any_worker() -> None:
    with FileReader(ReadLimits(max_bytes=1000)) as reader:
        result = reader.read(b"%PDF-1.7\n" + bytes(2000), "big.pdf")
        assert (result.status, result.media_type) == ("too_large", "application/pdf")
        assert result.reason == "2,009 bytes, more than the limit of 1,000 (1000 B); not read"
        assert reader.worker_pids() == []
