"""DOCX with python-docx (MIT) and spreadsheets (XLSX, XLS, ET, ODS) with python-calamine (MIT,
the Rust calamine reader).

DOCX: paragraphs and tables in document order; a table row is one line with its cells
separated by a tab (a character that never occurs inside a cell's text here: a cell's own
line breaks become spaces), a merged cell once, nested tables after their row.
Spreadsheets: for each sheet a line `[sheet name]`, then each non-empty row as a line of
tab-separated cells (numbers as written: 50, not 50.0; dates as 2025-12-31).

Both are zip (or OLE) containers: before opening one, the unpacked size its directory
declares is held against `max_unpacked_bytes`, so a few KB cannot unpack into gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from pipelines.attachments.results import FAILED, OK, TOO_LARGE, FileText, ReadLimits, size_text
from pipelines.attachments.text import clean_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def zip_too_large(data: bytes, limits: ReadLimits, media_type: str) -> Optional[FileText]:
    """A `too_large` result when the zip declares more unpacked bytes than the limit allows."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # the reader reports the damage
    if unpacked > limits.max_unpacked_bytes:
        return FileText(TOO_LARGE, f"unpacks to {size_text(unpacked)}, more than the limit of "
                        f"{size_text(limits.max_unpacked_bytes)} (a zip bomb?)", media_type, "", None)
    return None


def read_docx(data: bytes, media_type: str, limits: ReadLimits) -> FileText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    refused = zip_too_large(data, limits, media_type)
    if refused:
        return refused
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return FileText(FAILED, f"not a readable DOCX ({type(exc).__name__}: {exc})", media_type, "", None)
    text = clean_text("\n".join(_body_lines(document.element.body)))
    return FileText(OK, None, media_type, text, None)


def _body_lines(container: Any) -> Iterator[str]:
    """Paragraph and table lines of a body, a cell or a content control, in document order."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            yield _paragraph_text(child)
        elif tag == f"{_W}tbl":
            yield from _table_lines(child)
        elif tag in (f"{_W}sdt", f"{_W}customXml", f"{_W}sdtContent"):
            content = child.find(f"{_W}sdtContent")
            yield from _body_lines(content if content is not None else child)


def _paragraph_text(paragraph: Any) -> str:
    """The paragraph's text: runs, hyperlinks, fields' shown results; w:br and w:cr as a line
    break, w:tab as a tab."""
    parts = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}delText"):
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)


def _table_lines(table: Any) -> Iterator[str]:
    nested: list[Any] = []
    for row in table.iterchildren(f"{_W}tr"):
        cells = []
        for cell in row.iterchildren(f"{_W}tc"):
            if _continues_vertical_merge(cell):
                cells.append("")
                continue
            texts = []
            for child in cell.iterchildren():
                if child.tag == f"{_W}p":
                    texts.append(_paragraph_text(child))
                elif child.tag == f"{_W}tbl":
                    nested.append(child)
            cells.append(" ".join(" ".join(texts).split()))
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            yield "\t".join(cells)
        for inner in nested:
            yield from _table_lines(inner)
        nested.clear()


def _continues_vertical_merge(cell: Any) -> bool:
    merge = cell.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(f"{_W}val", "continue") == "continue"


def read_spreadsheet(data: bytes, media_type: str, limits: ReadLimits) -> FileText:
    from python_calamine import CalamineWorkbook

    if data.startswith(b"PK"):
        refused = zip_too_large(data, limits, media_type)
        if refused:
            return refused
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        return FileText(FAILED, f"not a readable workbook ({_first_line(exc)})", media_type, "", None)
    lines: list[str] = []
    chars = 0
    unreadable = []
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).iter_rows()
            sheet_lines = [f"[{name}]"]
            for row in rows:
                cells = [_cell_text(value) for value in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    line = "\t".join(cells)
                    sheet_lines.append(line)
                    chars += len(line)
                    if chars > limits.max_chars:
                        break
        except Exception as exc:  # one damaged sheet: keep the others
            unreadable.append(f"{name} ({_first_line(exc)})")
            continue
        lines.extend(sheet_lines)
        if chars > limits.max_chars:
            break
    reason = f"sheets not read: {', '.join(unreadable)}" if unreadable else None
    if unreadable and len(unreadable) == len(workbook.sheet_names):
        return FileText(FAILED, reason, media_type, "", None)
    return FileText(OK, reason, media_type, clean_text("\n".join(lines)), None)


def _cell_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return " ".join(str(value).split())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
