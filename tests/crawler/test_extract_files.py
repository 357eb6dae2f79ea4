"""`policy-ingest extract FILE` on attached files, through the real console entry: one JSON
object read in the sandbox, `--text` for the text alone; saved pages keep their output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.attachment_files import char_f1, error_page, write_fixture_files

pytestmark = pytest.mark.slow  # the CLI in subprocesses

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crawler.cli"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("files")
    return directory, write_fixture_files(directory)


def test_extract_prints_a_files_text_as_json(files: tuple[Path, dict[str, str]]) -> None:
    tmp_path, expected = files
    for name in ("P020251016398145672310.pdf", "zijin-anpai.xlsx", "tongzhi.ofd", "scan.pdf"):
        proc = run_cli("extract", name, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        record = json.loads(proc.stdout)
        assert set(record) == {"name", "media_type", "status", "reason", "pages", "text"}
        assert record["name"] == name
        if name == "scan.pdf":
            assert (record["status"], record["pages"], record["text"]) == ("needs_ocr", 1, "")
            continue
        assert record["status"] == "ok" and char_f1(expected[name], record["text"]) >= 0.99


def test_extract_text_prints_the_text_alone_and_fails_when_there_is_none(
        files: tuple[Path, dict[str, str]]) -> None:
    tmp_path, expected = files
    proc = run_cli("extract", "--text", "shenbaobiao.docx", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == expected["shenbaobiao.docx"].replace("　" * 8, " ")
    scan = run_cli("extract", "--text", "scan.pdf", cwd=tmp_path)
    assert scan.returncode == 1 and scan.stdout == ""
    assert scan.stderr.startswith("needs_ocr: no text layer")


def test_a_docx_named_pdf_is_read_by_its_bytes(files: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    directory, expected = files
    (tmp_path / "P020251016398145670003.pdf").write_bytes((directory / "shenbaobiao.docx").read_bytes())
    record = json.loads(run_cli("extract", "P020251016398145670003.pdf", cwd=tmp_path).stdout)
    assert record["media_type"].endswith("wordprocessingml.document")
    assert record["reason"] == "extension .pdf but content is DOCX"
    assert char_f1(expected["shenbaobiao.docx"], record["text"]) >= 0.99


def test_html_keeps_the_page_extractor_even_named_doc(tmp_path: Path) -> None:
    page = tmp_path / "P020251016398145670002.doc"
    page.write_bytes(error_page())
    record = json.loads(run_cli("extract", str(page), cwd=tmp_path).stdout)
    assert "body_text" in record and "status" not in record
    assert record["title"] and "404" in record["title"]
