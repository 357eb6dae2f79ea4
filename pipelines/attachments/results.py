"""What reading an attached file gives (`FileText`) and the limits it is read under (`ReadLimits`).

Statuses, each with a `reason` sentence unless the file was read whole and is what its name says:

- `ok`: text read (a `reason` may still say something worth knowing: the extension lies, the
  text was cut at `max_chars`, some pages had no text layer, some archive members were not read);
- `needs_ocr`: a PDF (or an archive of them) whose pages carry no text layer: scanned images;
- `no_reader`: no reader for these bytes here (an image, an HTML page served as a file, a format
  without a reader, or a .doc/.wps with neither antiword nor LibreOffice installed);
- `too_large`: more bytes than `max_bytes` (or an archive that unpacks beyond its limits); not read;
- `encrypted`: password protected (PDF, Office, archive members);
- `failed`: the reader could not read it (truncated, corrupt, malformed) or the sandbox stopped
  it (time, memory, crash); nothing usable was read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

OK = "ok"
NEEDS_OCR = "needs_ocr"
NO_READER = "no_reader"
TOO_LARGE = "too_large"
ENCRYPTED = "encrypted"
FAILED = "failed"
STATUSES = (OK, NEEDS_OCR, NO_READER, TOO_LARGE, ENCRYPTED, FAILED)
#: The stored status of a file the crawl did not ask for (a host outside the site): no reader's.
SKIPPED = "skipped"

#: What a link to a file is to the article that links it (`article_attachments.relation`).
ATTACHMENT = "attachment"  # the file's own text
SAME_AS_BODY = "same_as_body"  # the file holds the article's body again: not counted twice
COPY_OF_ARTICLE = "copy_of_article"  # the file's text is the body of another stored article


@dataclass(frozen=True)
class ReadLimits:
    """Limits of one file's reading; `seconds` and `memory_bytes` bind in the sandbox only."""

    max_bytes: int = 50 * 1024 * 1024  # bigger input -> too_large, not read
    seconds: float = 60.0  # wall time per file in the sandbox (CPU time too)
    memory_bytes: int = 1 << 30  # address space reading a file may add in a sandbox worker
    max_chars: int = 2_000_000  # text beyond this is cut (the reason says so)
    max_members: int = 100  # archive members read
    max_unpacked_bytes: int = 200 * 1024 * 1024  # an archive's (or an Office zip's) unpacked bytes


@dataclass(frozen=True)
class FileText:
    """One file's text as the file holds it (not converted to Simplified), and how it went."""

    status: str  # one of STATUSES
    reason: Optional[str]  # a sentence for anything that is not a plain `ok`
    media_type: Optional[str]  # from the bytes (magic), not from the name
    text: str  # '' when nothing was read
    pages: Optional[int]  # PDF, OFD: pages; other formats: None

    def with_note(self, note: Optional[str]) -> FileText:
        """The same result with `note` added to its reason."""
        if not note:
            return self
        return replace(self, reason=f"{self.reason}; {note}" if self.reason else note)


def failed(reason: str, media_type: Optional[str] = None) -> FileText:
    return FileText(FAILED, reason, media_type, "", None)


def size_text(size: float) -> str:
    """`1 GiB`, `50 MiB`, `312 KiB`: sizes in reasons."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if size == int(size) or unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
