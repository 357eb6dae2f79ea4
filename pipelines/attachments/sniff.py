"""The media type of an attached file from its bytes (magic numbers, and a look inside zip and
OLE containers), never from its name: policy sites serve error pages as `.doc` and name DOCX
files `.pdf`.

Containers decide most formats, so sniffing opens them: a zip is DOCX (`word/document.xml`),
XLSX (`xl/workbook.xml`), OFD (`OFD.xml`) or a plain archive; an OLE compound file (the
pre-2007 Office format, also what WPS Office writes as .wps/.et) is Word (`WordDocument`
stream), Excel (`Workbook`/`Book`) or an encrypted OOXML file (`EncryptionInfo`).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Optional

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
OFD = "application/ofd"
ZIP = "application/zip"
RAR = "application/vnd.rar"
SEVEN_ZIP = "application/x-7z-compressed"
OLE = "application/x-ole-storage"  # an OLE compound file of no kind read here
ENCRYPTED_OFFICE = "application/x-encrypted-office"  # OOXML with a password: an OLE wrapper
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODT = "application/vnd.oasis.opendocument.text"
HTML = "text/html"
XML = "application/xml"
TEXT = "text/plain"
RTF = "application/rtf"

#: Short names for reasons ("extension .pdf but content is DOCX").
DESCRIPTIONS = {
    PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", DOC: "a Word 97-2003 document (.doc/.wps)",
    XLS: "an Excel 97-2003 workbook (.xls/.et)", OFD: "OFD", ZIP: "a zip archive",
    RAR: "a RAR archive", SEVEN_ZIP: "a 7z archive", OLE: "an OLE compound file",
    ENCRYPTED_OFFICE: "an encrypted Office document", ODS: "an OpenDocument spreadsheet",
    ODT: "an OpenDocument text", HTML: "an HTML page", XML: "XML", TEXT: "plain text",
    RTF: "RTF", "image/png": "a PNG image", "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image", "image/bmp": "a BMP image", "image/tiff": "a TIFF image",
    "image/webp": "a WebP image", "application/gzip": "a gzip file",
    "application/x-tar": "a tar archive", "video/mp4": "an MP4 video",
    "application/x-shockwave-flash": "a Flash file",
}

#: The extensions that name each media type (the first is the usual one).
EXTENSIONS = {
    PDF: (".pdf",), DOCX: (".docx", ".docm", ".dotx"), XLSX: (".xlsx", ".xlsm"),
    DOC: (".doc", ".dot", ".wps", ".wpt"), XLS: (".xls", ".xlt", ".et", ".ett"),
    OFD: (".ofd",), ZIP: (".zip",), RAR: (".rar",), SEVEN_ZIP: (".7z",), HTML: (".html", ".htm", ".shtml"),
    TEXT: (".txt", ".csv"), XML: (".xml",), RTF: (".rtf", ".doc"), ODS: (".ods",), ODT: (".odt",),
    "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/tiff": (".tif", ".tiff"),
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"Rar!\x1a\x07", RAR),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"{\\rtf", RTF),
    (b"\x1f\x8b", "application/gzip"),
    (b"FWS", "application/x-shockwave-flash"),
    (b"CWS", "application/x-shockwave-flash"),
)
#: A part that names an OOXML or OFD package in a damaged zip's local headers.
_PARTS = ((b"word/document.xml", DOCX), (b"xl/workbook.xml", XLSX), (b"OFD.xml", OFD))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|script|div|table|p)\b",
                         re.IGNORECASE | re.DOTALL)
_XML_START = re.compile(rb"^\s*<\?xml\b")
#: How far a PDF's header may sit after junk some servers put in front of it.
PDF_HEADER_WINDOW = 1024


def sniff_media_type(data: bytes, name: Optional[str] = None) -> Optional[str]:
    """The media type of `data` from its bytes; None when they match no known kind.

    `name` is only used where bytes alone cannot tell: never to contradict them.
    """
    head = data[:16]
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data)
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            if media_type == "image/bmp" and len(data) < 26:
                continue
            return media_type
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "application/x-tar"
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return PDF
    return _text_kind(data)


def describe(media_type: Optional[str]) -> str:
    """A few words for a media type, for reasons."""
    if media_type is None:
        return "of no known kind"
    return DESCRIPTIONS.get(media_type, media_type)


def extension_note(name: Optional[str], media_type: Optional[str]) -> Optional[str]:
    """`extension .pdf but content is DOCX` when the name's extension names another kind."""
    if not name or media_type is None or "." not in name.rsplit("/", 1)[-1]:
        return None
    extension = "." + name.rsplit(".", 1)[-1].lower()
    if extension in EXTENSIONS.get(media_type, ()):
        return None
    known = {ext for exts in EXTENSIONS.values() for ext in exts}
    if extension not in known:
        return None  # .bin, .aspx, no useful claim
    return f"extension {extension} but content is {describe(media_type)}"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        # Damaged (cut short: no central directory): the local headers still name the parts.
        for part, media_type in _PARTS:
            if part in data[: 1 << 20]:
                return media_type
        return ZIP
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return XLSX
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names}:
        return OFD
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return ODS
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return ODT
    return ZIP


def _ole_kind(data: bytes) -> str:
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, RecursionError, TypeError):
        return OLE
    if "encryptioninfo" in streams and "encryptedpackage" in streams:
        return ENCRYPTED_OFFICE
    if "worddocument" in streams:
        return DOC
    if "workbook" in streams or "book" in streams:
        return XLS
    return OLE


def _text_kind(data: bytes) -> Optional[str]:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "ignore").encode()
    elif head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if _HTML_START.match(head) or (_XML_START.match(head) and b"<html" in head.lower()):
        return HTML
    if _XML_START.match(head):
        return XML
    if not head:
        return None
    # Text: few control bytes (tabs and line ends aside) in the first 4 KB.
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return TEXT if controls <= len(head) // 100 else None
