"""OFD (GB/T 33190, China's fixed-layout format: a zip of XML) read from its own text layer
with lxml: OFD.xml names each document's Document.xml, which lists the pages; each page's
Content.xml holds TextObjects (a Boundary box, a font Size) whose TextCode elements carry the
text at X/Y offsets. Text pieces are grouped into lines by their baseline (Y), ordered by X,
and wrapped lines joined as for PDF (`text.join_wrapped`); a wide gap inside a line (a table's
columns) becomes a tab.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any, Optional

from pipelines.attachments.office import zip_too_large
from pipelines.attachments.results import FAILED, NEEDS_OCR, OK, FileText, ReadLimits
from pipelines.attachments.text import PrintedLine, clean_text, join_wrapped

#: Two pieces of text are on one line when their baselines differ by less than this share of
#: the font size.
SAME_LINE = 0.5
#: A gap wider than this many font sizes between two pieces of a line separates table cells.
CELL_GAP = 2.0


class OfdError(Exception):
    """A structural fault of the OFD package, said in a sentence."""


@dataclass(frozen=True)
class _Piece:
    x: float
    y: float
    right: float
    size: float
    text: str


def read_ofd(data: bytes, media_type: str, limits: ReadLimits) -> FileText:
    refused = zip_too_large(data, limits, media_type)
    if refused:
        return refused
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            pages = _page_paths(package)
            width = _page_width(package)
            texts = [_page_text(_xml(package, path), width) for path in pages]
    except OfdError as exc:
        return FileText(FAILED, f"malformed OFD: {exc}", media_type, "", None)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return FileText(FAILED, f"malformed OFD ({type(exc).__name__}: {exc})", media_type, "", None)
    text = clean_text("\n".join(texts))
    if not pages:
        return FileText(FAILED, "malformed OFD: its documents list no pages", media_type, "", 0)
    if not text:
        return FileText(NEEDS_OCR, f"no text on any of its {len(pages)} page(s): images only, needs OCR",
                        media_type, "", len(pages))
    return FileText(OK, None, media_type, text, len(pages))


def _page_paths(package: zipfile.ZipFile) -> list[str]:
    names = {name.lstrip("/"): name for name in package.namelist()}
    entry = next((names[n] for n in names if n.lower() == "ofd.xml"), None)
    if entry is None:
        raise OfdError("no OFD.xml")
    roots = [node.text.strip() for node in _xml(package, entry).iter("{*}DocRoot") if node.text]
    if not roots:
        raise OfdError("OFD.xml names no DocRoot")
    pages = []
    for root in roots:
        document = _resolve(names, "", root)
        base = posixpath.dirname(document)
        for page in _xml(package, names[document]).iter("{*}Page"):
            location = page.get("BaseLoc")
            if location:
                pages.append(names[_resolve(names, base, location)])
    return pages


def _resolve(names: dict[str, str], base: str, location: str) -> str:
    """A package path from a location written absolute (/Doc_0/…) or relative to `base`."""
    location = location.strip()
    path = posixpath.normpath(location.lstrip("/") if location.startswith("/") else posixpath.join(base, location))
    if path not in names:
        raise OfdError(f"{location} is named but not in the package")
    return path


def _xml(package: zipfile.ZipFile, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(package.read(name), parser)
    except etree.XMLSyntaxError as exc:
        raise OfdError(f"{name} is not well-formed XML ({exc})") from exc


def _page_width(package: zipfile.ZipFile) -> Optional[float]:
    """The width of the first document's pages (its PhysicalBox), if it says."""
    for name in package.namelist():
        if name.lower().endswith("document.xml"):
            box = _xml(package, name).find(".//{*}PageArea/{*}PhysicalBox")
            numbers = _numbers(box.text if box is not None else None)
            return numbers[2] if len(numbers) == 4 and numbers[2] > 0 else None
    return None


def _page_text(page: Any, width: Optional[float]) -> str:
    pieces = []
    for text_object in page.iter("{*}TextObject"):
        box = _numbers(text_object.get("Boundary"))
        if len(box) < 4:
            continue
        size = _number(text_object.get("Size"), 3.5)
        for code in text_object.iter("{*}TextCode"):
            if not code.text:
                continue
            x = box[0] + _number(code.get("X"), 0.0)
            y = box[1] + _number(code.get("Y"), size)
            delta = code.get("DeltaX")
            advance = _advance(delta) if delta else size * (len(code.text) - 1)
            pieces.append(_Piece(x, y, x + advance + size, size, code.text))
    return "\n".join(join_wrapped(_lines(pieces), width))


def _lines(pieces: list[_Piece]) -> list[PrintedLine]:
    pieces.sort(key=lambda p: (p.y, p.x))
    rows: list[list[_Piece]] = []
    for piece in pieces:
        if rows and abs(piece.y - rows[-1][0].y) < SAME_LINE * max(piece.size, rows[-1][0].size):
            rows[-1].append(piece)
        else:
            rows.append([piece])
    lines = []
    for row in rows:
        row.sort(key=lambda p: p.x)
        text = row[0].text
        for before, piece in zip(row, row[1:]):
            gap = piece.x - before.right
            text += ("\t" if gap > CELL_GAP * piece.size else "") + piece.text
        lines.append(PrintedLine(text, max(p.right for p in row), max(p.size for p in row)))
    return lines


def _advance(value: str) -> float:
    """The sum of DeltaX values, with the `g N d` shorthand (N times d) counted as N * d."""
    tokens = value.split()
    total = 0.0
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            total += _number(tokens[i + 1], 0.0) * _number(tokens[i + 2], 0.0)
            i += 3
        else:
            total += _number(tokens[i], 0.0)
            i += 1
    return total


def _numbers(value: Optional[str]) -> list[float]:
    return [_number(token, 0.0) for token in (value or "").split()]


def _number(value: Optional[str], default: float) -> float:
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default
