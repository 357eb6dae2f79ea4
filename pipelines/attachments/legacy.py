"""Word 97-2003 documents (.doc) and WPS Office writer files (.wps, which WPS writes in the
same binary format) read by an installed program, since no maintained Python library reads
that format:

1. antiword (Debian package `antiword`, GPL-2.0 program run as a separate process, so its
   licence does not extend to this project): ~5 ms a file, Chinese text as UTF-8, tables as
   `|cell|cell|` lines (turned into tab-separated rows here);
2. else LibreOffice headless (`soffice --headless --convert-to txt`, MPL-2.0), when installed:
   the most faithful reader, ~2 s a file for its start; also reads RTF and OpenDocument text;
3. else `no_reader`, with the package to install in the reason.

Both programs run with the caller's limits (in the sandbox: the fork's memory and CPU limits,
inherited) and a wall timeout of `ReadLimits.seconds`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Optional

from pipelines.attachments.results import ENCRYPTED, FAILED, NO_READER, OK, FileText, ReadLimits
from pipelines.attachments.sniff import describe
from pipelines.attachments.text import clean_text

INSTALL_HINT = "install antiword (Debian: apt-get install antiword) or LibreOffice"
_TABLE_ROW = re.compile(r"^\|(.*)\|\s*$")


def read_word97(data: bytes, media_type: str, limits: ReadLimits) -> FileText:
    """A .doc/.wps file's text through antiword, else LibreOffice, else `no_reader`."""
    antiword = shutil.which("antiword")
    if antiword:
        return _antiword(antiword, data, media_type, limits)
    return read_with_libreoffice(data, media_type, limits, suffix=".doc")


def read_with_libreoffice(data: bytes, media_type: str, limits: ReadLimits, suffix: str) -> FileText:
    """Text through `soffice --headless --convert-to txt`, or `no_reader` without LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return FileText(NO_READER, f"{describe(media_type)} needs a reader program here: "
                        f"{INSTALL_HINT}", media_type, "", None)
    with tempfile.TemporaryDirectory(prefix="policy-attachment-") as work:
        source = os.path.join(work, "file" + suffix)
        with open(source, "wb") as handle:
            handle.write(data)
        command = [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless",
                   "--norestore", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", work, source]
        finished = _run(command, limits)
        if isinstance(finished, FileText):
            return finished
        target = os.path.join(work, "file.txt")
        if not os.path.exists(target):
            message = _first_line(finished.stderr) or "no output"
            return FileText(FAILED, f"LibreOffice could not convert it ({message})", media_type, "", None)
        with open(target, "rb") as handle:
            text = handle.read().decode("utf-8-sig", "replace")
    return FileText(OK, None, media_type, clean_text(text), None)


def _antiword(antiword: str, data: bytes, media_type: str, limits: ReadLimits) -> FileText:
    with tempfile.NamedTemporaryFile(prefix="policy-attachment-", suffix=".doc") as source:
        source.write(data)
        source.flush()
        finished = _run([antiword, "-m", "UTF-8.txt", "-w", "0", source.name], limits)
    if isinstance(finished, FileText):
        return finished
    message = _first_line(finished.stderr).replace(source.name, "the file")
    if finished.returncode != 0 or not finished.stdout.strip():
        if "encrypt" in message.lower():
            return FileText(ENCRYPTED, "the Word document is encrypted with a password", media_type, "", None)
        return FileText(FAILED, f"antiword could not read it ({message or 'no text'})", media_type, "", None)
    text = finished.stdout.decode("utf-8", "replace")
    return FileText(OK, None, media_type, clean_text("\n".join(_table_rows(text.splitlines()))), None)


def _table_rows(lines: list[str]) -> list[str]:
    """antiword's `|cell   |cell   |` lines as tab-separated cells."""
    rows = []
    for line in lines:
        match = _TABLE_ROW.match(line)
        rows.append("\t".join(cell.strip() for cell in match.group(1).split("|")) if match else line)
    return rows


def _run(command: list[str], limits: ReadLimits) -> "subprocess.CompletedProcess[bytes] | FileText":
    try:
        return subprocess.run(command, capture_output=True, timeout=limits.seconds,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return FileText(FAILED, f"{os.path.basename(command[0])} gave no answer within "
                        f"{limits.seconds:g} s", None, "", None)
    except OSError as exc:
        return FileText(FAILED, f"cannot run {os.path.basename(command[0])} ({exc})", None, "", None)


def _first_line(output: Optional[bytes]) -> str:
    lines = (output or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[0][:200] if lines else ""
