"""`read_file`: the text of one attached file, in this process, whatever its bytes are.

The media type comes from the bytes (`sniff`); each kind goes to its reader; anything that
goes wrong ends as a `FileText` with a status and a reason, never an exception. This runs
the readers in the calling process, with no time or memory limit: for files the caller trusts
(`policy-ingest extract FILE` hands files to the sandbox, `FileReader`, which calls this in a
limited process).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Optional

from pipelines.attachments import sniff
from pipelines.attachments.results import (
    ENCRYPTED,
    FAILED,
    NO_READER,
    OK,
    TOO_LARGE,
    FileText,
    ReadLimits,
    size_text,
)
from pipelines.attachments.text import clean_text, cut

Reader = Callable[[bytes, str, ReadLimits, int], FileText]
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def read_file(data: bytes, name: str, limits: ReadLimits = ReadLimits()) -> FileText:
    """The text of `data` (a file named `name`), read in this process. Never raises for a bad
    file; `MemoryError` ends as `failed` too."""
    return read_member(data, name, limits, depth=0)


def read_member(data: bytes, name: str, limits: ReadLimits, depth: int,
                media_type: Optional[str] = None, memory_error: bool = False) -> FileText:
    """`read_file` at archive nesting `depth` (0: the file itself), the media type known or not.

    `memory_error`: let `MemoryError` through (the sandbox reports the limit it hit).
    """
    if len(data) > limits.max_bytes:
        media_type = sniff.sniff_media_type(data[: 1 << 16], name) if media_type is None else media_type
        return FileText(TOO_LARGE, f"{len(data):,} bytes, more than the limit of {limits.max_bytes:,} "
                        f"({size_text(limits.max_bytes)}); not read", media_type, "", None)
    try:
        if media_type is None:
            media_type = sniff.sniff_media_type(data, name)
        result = _read_known(data, name, media_type, limits, depth, memory_error)
    except MemoryError:
        if memory_error:
            raise
        return FileText(FAILED, "ran out of memory while reading", media_type, "", None)
    except Exception as exc:  # a reader's bug or a library's unexpected error: say which
        return FileText(FAILED, f"reader error ({type(exc).__name__}: {str(exc)[:200]})", media_type, "", None)
    text, cut_note = cut(result.text, limits.max_chars)
    if cut_note:
        result = FileText(result.status, result.reason, result.media_type, text, result.pages).with_note(cut_note)
    return result.with_note(sniff.extension_note(name, media_type))


def _read_known(data: bytes, name: str, media_type: Optional[str], limits: ReadLimits,
                depth: int, memory_error: bool) -> FileText:
    reader = _readers().get(media_type or "")
    if reader is not None:
        return reader(data, media_type or "", limits, depth)
    if media_type == sniff.HTML:
        return FileText(NO_READER, _html_reason(data), media_type, "", None)
    if media_type == sniff.ENCRYPTED_OFFICE:
        return FileText(ENCRYPTED, "an Office document encrypted with a password", media_type, "", None)
    if media_type is not None and media_type.startswith("image/"):
        return FileText(NO_READER, f"the bytes are {sniff.describe(media_type)}: its text would "
                        "need OCR", media_type, "", None)
    if media_type is None:
        if not data:
            return FileText(FAILED, "the file is empty", None, "", None)
        return FileText(NO_READER, f"the bytes are of no known kind (they start with "
                        f"{data[:8].hex(' ')})", None, "", None)
    return FileText(NO_READER, f"the bytes are {sniff.describe(media_type)}, which has no reader",
                    media_type, "", None)


def import_readers() -> None:
    """Import every reader and its library now (a process that forks per file calls this once)."""
    import docx  # noqa: F401
    import lxml.etree  # noqa: F401
    import olefile  # noqa: F401
    import pypdfium2  # noqa: F401
    import python_calamine  # noqa: F401

    try:
        import libarchive  # noqa: F401
    except (ImportError, OSError):
        pass  # RAR and 7z say so when they come
    _readers()


def _readers() -> dict[str, Reader]:
    from pipelines.attachments import archives, legacy, ofd, office, pdf

    def archive(data: bytes, media_type: str, limits: ReadLimits, depth: int) -> FileText:
        return archives.read_archive(data, media_type, limits, depth, read_member)

    def spreadsheet(data: bytes, media_type: str, limits: ReadLimits, depth: int) -> FileText:
        return office.read_spreadsheet(data, media_type, limits)

    def converted(data: bytes, media_type: str, limits: ReadLimits, depth: int) -> FileText:
        suffix = {sniff.RTF: ".rtf", sniff.ODT: ".odt"}[media_type]
        return legacy.read_with_libreoffice(data, media_type, limits, suffix)

    return {
        sniff.PDF: lambda data, media_type, limits, depth: pdf.read_pdf(data, limits),
        sniff.DOCX: lambda data, media_type, limits, depth: office.read_docx(data, media_type, limits),
        sniff.XLSX: spreadsheet, sniff.XLS: spreadsheet, sniff.ODS: spreadsheet,
        sniff.OFD: lambda data, media_type, limits, depth: ofd.read_ofd(data, media_type, limits),
        sniff.DOC: lambda data, media_type, limits, depth: legacy.read_word97(data, media_type, limits),
        sniff.ZIP: archive, sniff.RAR: archive, sniff.SEVEN_ZIP: archive,
        sniff.RTF: converted, sniff.ODT: converted,
        sniff.TEXT: _plain_text,
    }


def _plain_text(data: bytes, media_type: str, limits: ReadLimits, depth: int) -> FileText:
    return FileText(OK, None, media_type, clean_text(decode_text(data)), None)


def decode_text(data: bytes) -> str:
    """Text bytes as text: a BOM, else UTF-8, else GB18030 (what gb2312/GBK files really are)."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def _html_reason(data: bytes) -> str:
    title = _TITLE.search(decode_text(data[:8192]))
    shown = " ".join(title.group(1).split())[:80] if title else ""
    return ("the bytes are an HTML page, not a document (an error or login page served in the "
            "file's place?)" + (f": title '{shown}'" if shown else ""))
