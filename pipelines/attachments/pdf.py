"""PDF text with pypdfium2 (PDFium, Google's PDF engine; BSD-3-Clause/Apache-2.0): the text
layer page by page in reading order, wrapped lines joined (`text.join_wrapped`).

A font the PDF names but does not embed (common in Chinese notices: 仿宋_GB2312, STSong-Light)
gets PDFium's built-in stand-in, never a system font: the text comes from the PDF's own
encoding and widths either way, while a system CJK font (Noto CJK, 20-26 MB of CFF outlines)
would be read into memory for every document and every glyph's outline interpreted to find its
box: 90% of the reading time. Line geometry comes from the loose character box (advance width,
font ascent and descent: the PDF's own metrics), so the result is the same on every machine
whatever fonts it has.

Pages without a text layer are scans: a PDF with none is `needs_ocr`; a PDF with some says
which pages lack it. PDFium rebuilds a damaged cross-reference table by itself, so a
truncated file often still opens; pages it cannot load are named in the reason.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Optional

from pipelines.attachments.results import (
    ENCRYPTED,
    FAILED,
    NEEDS_OCR,
    OK,
    FileText,
    ReadLimits,
)
from pipelines.attachments.sniff import PDF
from pipelines.attachments.text import PrintedLine, clean_text, join_wrapped

#: PDFium keeps process-wide state and is not thread-safe: one document at a time per process
#: (the sandbox runs one file per worker process anyway; this guards in-process callers).
_PDFIUM = threading.Lock()
#: A page with fewer letters than this carries no real text layer (a scan may hold a page
#: number or a stamp's few characters).
MIN_PAGE_CHARS = 5
#: Full-width punctuation whose glyph sits in the left part of its box, and how far its ink
#: reaches (a share of the box).
_LEFT_PUNCTUATION = frozenset("。，、．")
_INK_THIRD = 0.35
_LINE = re.compile(r"[^\r\n]+")
_WORD = re.compile(r"\w")


def read_pdf(data: bytes, limits: ReadLimits) -> FileText:
    import pypdfium2 as pdfium

    with _PDFIUM:
        if pdfium.PdfSysfontBase.SINGLETON is None:
            _no_system_fonts().setup()
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            if code == pdfium.raw.FPDF_ERR_PASSWORD:
                return FileText(ENCRYPTED, "the PDF is encrypted with a password", PDF, "", None)
            if code == pdfium.raw.FPDF_ERR_SECURITY:
                return FileText(ENCRYPTED, "the PDF uses an unsupported security handler", PDF, "", None)
            cut_short = "" if data.rstrip().endswith(b"%%EOF") else "; it ends without %%EOF: cut short?"
            return FileText(FAILED, f"not a readable PDF ({_pdfium_message(exc)}){cut_short}", PDF, "", None)
        try:
            return _read_document(document, limits)
        finally:
            document.close()


def _read_document(document: object, limits: ReadLimits) -> FileText:
    import pypdfium2 as pdfium

    pages = len(document)  # type: ignore[arg-type]
    texts: list[str] = []
    chars = 0
    unreadable: list[int] = []
    no_text: list[int] = []
    cut_at: Optional[int] = None
    for number in range(pages):
        try:
            page = document[number]  # type: ignore[index]
            try:
                text = _page_text(page)
            finally:
                page.close()
        except pdfium.PdfiumError:
            unreadable.append(number + 1)
            continue
        if len(_WORD.findall(text)) < MIN_PAGE_CHARS:
            no_text.append(number + 1)
        if text:
            texts.append(text)
            chars += len(text)
        if chars > limits.max_chars:
            cut_at = number + 1
            break
    text = "\n".join(texts)
    notes = []
    if unreadable:
        notes.append(f"{_pages(unreadable)} of {pages} could not be read (damaged file)")
    if no_text and len(no_text) < pages:
        notes.append(f"{_pages(no_text)} of {pages} have no text layer (need OCR)")
    if cut_at is not None and cut_at < pages:
        notes.append(f"pages after {cut_at} not read: the text reached {limits.max_chars:,} characters")
    reason = "; ".join(notes) or None
    if pages == 0:
        return FileText(FAILED, "the PDF has no pages", PDF, "", 0)
    if len(unreadable) == pages:
        return FileText(FAILED, f"no page of the PDF could be read (damaged file, {pages} pages "
                        "listed)", PDF, "", pages)
    if not _WORD.search(text):
        return FileText(NEEDS_OCR, f"no text layer on any of its {pages} page(s): a scan, needs OCR"
                        + (f"; {reason}" if reason else ""), PDF, "", pages)
    return FileText(OK, reason, PDF, text, pages)


def _page_text(page: object) -> str:
    """The page's text, wrapped lines joined, one paragraph per line."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        if len(text) != count:  # characters beyond the BMP: no index-exact geometry
            return "\n".join(join_wrapped([PrintedLine(clean_text(t)) for t in text.splitlines()]))
        lines = []
        box = raw.FS_RECTF()
        for match in _LINE.finditer(text):
            line = clean_text(match.group())
            if not line:
                continue
            last = match.end() - 1
            while last > match.start() and text[last].isspace():
                last -= 1
            raw.FPDFText_GetLooseCharBox(textpage.raw, last, box)
            # Chinese fonts set 。，、 in the left third of their em box: the ink ends there.
            ink = _INK_THIRD if text[last] in _LEFT_PUNCTUATION else 1.0
            right = box.left + ink * (box.right - box.left)
            size = raw.FPDFText_GetFontSize(textpage.raw, last)
            lines.append(PrintedLine(line, right, size))
        return "\n".join(join_wrapped(lines, page.get_width()))  # type: ignore[attr-defined]
    finally:
        textpage.close()


def _no_system_fonts() -> Any:
    """A PDFium system font handler that offers no font (see the module doc)."""
    import pypdfium2 as pdfium

    class NoSystemFonts(pdfium.PdfSysfontBase):  # type: ignore[misc]
        def EnumFonts(self, _: object, mapper: object) -> None:
            return None

        def MapFont(self, *_: object) -> None:
            return None

        def GetFont(self, *_: object) -> None:
            return None

    return NoSystemFonts()


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (", …" if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"{len(numbers)} pages ({shown})"


def _pdfium_message(exc: Exception) -> str:
    message = str(exc)
    return message[message.find("PDFium: "):].rstrip(".)") if "PDFium: " in message else message
