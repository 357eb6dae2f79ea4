"""Attached files of articles: their readable names, their text made ready for the store, and
what a file's text is to an article's body. Pure of Scrapy (the spider fetches, the ingest
pipeline stores, `pipelines.attachments` reads the formats).

A file goes through `prepare_attachment`: sha256 of the bytes as served, then (unless the store
holds that sha256 already: the same file on ten sites is read once) the reader's text, normalised
as article bodies are (Traditional -> Simplified, one line a paragraph), its content hash and
near-duplicate index entry. `text_relation` compares that entry with an article body's.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from pipelines.attachments.results import FAILED
from pipelines.dedup import DedupDoc, DedupParams, doc_from_entry, entry_sample
from pipelines.items import AttachmentItem
from pipelines.normalize import normalize_record

if TYPE_CHECKING:
    from pipelines.attachments import FileText


# Link texts that say "a file is here" without naming it.
_GENERIC_LINK = re.compile(
    r"^(?:点击|点此|请)?(?:此处)?(?:下载|查看|打开|浏览)?(?:相关)?"
    r"(?:附件|全文|原文|正文|文件|文档|pdf|word|docx?|xlsx?|excel)?版?(?:下载|查看)?"
    r"(?:download|here|click here)?[：:\s]*$",
    re.IGNORECASE,
)
# A leading "附件1：", "附件：", "1.", "（2）" before the name in a link's text.
_LINK_PREFIX = re.compile(r"^\s*(?:附件\s*\d{0,2}\s*[：:.、]?\s*)?(?:[(（]?\d{1,2}[)）.、．]\s*)?")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
# Characters no file name holds.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_NAME_LENGTH = 500


def disposition_filename(header: Optional[bytes]) -> Optional[str]:
    """The file name a Content-Disposition header gives, decoded: RFC 5987/6266 `filename*`
    (UTF-8 or another charset, percent-encoded) first; else `filename`, percent-decoded when the
    server encoded it so, and its raw bytes read as UTF-8 or else GB18030 (what Chinese servers
    send); None when the header names no file."""
    if not header:
        return None
    starred = _STARRED.search(header)
    if starred:
        value = _rfc5987(starred.group(1).strip().strip(b'"').decode("latin-1"))
        if value:
            return _clean_name(value)
    plain = _PLAIN.search(header)
    if plain is None:
        return None
    data = plain.group(1) if plain.group(1) is not None else plain.group(2).strip()
    if re.search(rb"%[0-9A-Fa-f]{2}", data):
        data = unquote_to_bytes(data)
    return _clean_name(_decode_name(data))


_STARRED = re.compile(rb"filename\*\s*=\s*([^;]+)", re.IGNORECASE)
_PLAIN = re.compile(rb'(?<![\w*])filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', re.IGNORECASE)


def _rfc5987(value: str) -> Optional[str]:
    charset, sep, rest = value.partition("'")
    if not sep:
        return unquote(value, encoding="utf-8", errors="replace")
    _language, _, encoded = rest.partition("'")
    data = unquote_to_bytes(encoded)
    try:
        return data.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return _decode_name(data)


def _decode_name(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _clean_name(name: str) -> Optional[str]:
    name = posixpath.basename(name.replace("\\", "/"))
    name = _UNSAFE.sub(" ", name).strip().strip('"').strip()
    return name[:_NAME_LENGTH] or None


def url_filename(url: str) -> Optional[str]:
    """The last path segment of a URL, percent-decoded (UTF-8, else GB18030)."""
    path = urlsplit(url).path
    segment = path.rsplit("/", 1)[-1]
    if not segment:
        return None
    return _clean_name(_decode_name(unquote_to_bytes(segment)))


def link_names_a_file(text: Optional[str]) -> bool:
    """True for a link text that names the file (`关于印发…的通知.pdf`, `附件1：申报表`), not
    one that only says there is one (`下载`, `附件`, `PDF`)."""
    if not text:
        return False
    stripped = _LINK_PREFIX.sub("", text).strip()
    return bool(stripped) and not _GENERIC_LINK.match(stripped) and len(stripped) >= 2


def attachment_name(
    url: str, link_text: Optional[str] = None, disposition: Optional[bytes] = None
) -> Optional[str]:
    """The readable name of a file: the Content-Disposition file name when the server gives one
    that is not just the URL's; else the link text when it names a file (with the URL's
    extension added when it has none); else the URL's file name."""
    from_url = url_filename(url)
    given = disposition_filename(disposition)
    if given and given != from_url:
        return given
    if link_names_a_file(link_text):
        name = _LINK_PREFIX.sub("", link_text or "").strip()
        extension = _EXTENSION.search(from_url or "")
        if extension and not _EXTENSION.search(name):
            name = f"{name}.{extension.group(1).lower()}"
        return _clean_name(name)
    return given or from_url


@dataclass
class PreparedAttachment:
    """A fetched file after `prepare_attachment`: what the store writes."""

    item: AttachmentItem
    name: Optional[str]
    sha256: Optional[str] = None  # None: no bytes were had (item.status says why)
    #: Set when the file was read (None: not read, the store holds its sha256 already, or no
    #: bytes).
    status: Optional[str] = None
    reason: Optional[str] = None
    media_type: Optional[str] = None
    pages: Optional[int] = None
    text: str = ""
    original_script: Optional[str] = None
    content_hash: Optional[str] = None
    doc: Optional[DedupDoc] = field(default=None, repr=False)
    dedup_entry: Optional[bytes] = field(default=None, repr=False)
    #: The bytes gzip-compressed for `attachment_files` (compressed here, off the caller's
    #: thread, when the file is new).
    body_gzip: Optional[bytes] = field(default=None, repr=False)

    @property
    def read(self) -> bool:
        return self.status is not None and self.sha256 is not None


# gzip level of kept files, as of raw pages (`pipelines.store.RAW_GZIP_LEVEL`).
FILE_GZIP_LEVEL = 1


def gzip_file(data: bytes) -> bytes:
    """The bytes as `attachment_files.body_gzip` keeps them."""
    return gzip.compress(data, compresslevel=FILE_GZIP_LEVEL, mtime=0)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_text(lines: str) -> tuple[str, str]:
    """(text, original_script) of a file's text as the reader gave it: each line normalised as
    a body paragraph is (Simplified), empty lines dropped, joined by newlines."""
    normalized = normalize_record(None, lines.splitlines())
    return normalized.body_text, normalized.original_script


def prepare_attachment(
    item: AttachmentItem,
    read: Optional[Callable[[bytes, str], "FileText"]],
    document: Callable[[str, str], DedupDoc],
    encode: Callable[[DedupDoc], bytes],
    known: Callable[[str], bool] = lambda sha256: False,
) -> PreparedAttachment:
    """The store's view of one fetched file.

    `read(data, name)` gives the file's text (`pipelines.attachments.FileReader.read`; it never
    raises for a bad file); `known(sha256)` says whether the store holds the file already (then
    it is not read again); `document(text, script)` and `encode(doc)` make its near-duplicate
    index entry (`pipelines.ingest.text_document`, `DedupIndex.encode_entry`).
    """
    name = attachment_name(item.url, item.link_text, item.content_disposition)
    if item.status is not None or item.not_modified:
        return PreparedAttachment(item, name, status=item.status, reason=item.reason)
    digest = sha256_of(item.body)
    prepared = PreparedAttachment(item, name, sha256=digest)
    if known(digest) or read is None:
        return prepared
    prepared.body_gzip = gzip_file(item.body)
    try:
        result = read(item.body, name or url_filename(item.url) or "file")
    except Exception as exc:  # noqa: BLE001 - the reader itself broke: the file is kept, unread
        prepared.status, prepared.reason = FAILED, f"reader failed: {type(exc).__name__}: {exc}"
        return prepared
    prepared.status, prepared.reason = result.status, result.reason
    prepared.media_type, prepared.pages = result.media_type, result.pages
    if result.text:
        prepared.text, prepared.original_script = file_text(result.text)
    if prepared.text:
        from pipelines.store import content_hash  # the store imports this module

        prepared.content_hash = content_hash(prepared.text)
        prepared.doc = document(prepared.text, prepared.original_script or "simplified")
        prepared.dedup_entry = encode(prepared.doc)
    return prepared


def text_relation(
    body_entry: Optional[bytes], file_entry: Optional[bytes], params: DedupParams
) -> Optional[float]:
    """How alike an article's body and a file's text are, from their index entries: the
    similarity when they are one text (the same comparison key, a near duplicate, or one
    contained in the other, by the thresholds dedup uses), else None."""
    if body_entry is None or file_entry is None:
        return None
    body, text = doc_from_entry(body_entry, params), doc_from_entry(file_entry, params)
    if body.content_hash == text.content_hash:
        return 1.0
    mine, theirs = entry_sample(body_entry), entry_sample(file_entry)
    if mine is None or theirs is None:
        return None
    overlap = mine.overlap(theirs)
    if overlap is None:
        return None
    shared, in_body, in_text = overlap
    jaccard = shared / max(in_body + in_text - shared, 1)
    if jaccard >= params.near_duplicate:
        return round(jaccard, 6)
    contained = shared / max(min(in_body, in_text), 1)
    return round(contained, 6) if contained >= params.containment else None


class FilePreparer:
    """Prepares fetched files away from the caller's thread (a crawl's reactor never waits on a
    parse): `threads` threads share a `pipelines.attachments.FileReader` of as many sandboxed
    processes, each file read under time and memory limits. Hashing, normalising and
    compressing run in the threads too."""

    def __init__(
        self,
        limits: Any,
        threads: int,
        document: Callable[[str, str], DedupDoc],
        encode: Callable[[DedupDoc], bytes],
        known: Callable[[str], bool],
    ) -> None:
        self.limits = limits
        self.threads = max(1, threads)
        self.document, self.encode, self.known = document, encode, known
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="file-reader")
        self._reader: Any = None
        self._lock = threading.Lock()
        # sha256 of the files read by this process: a second copy arriving before the first
        # is stored is not read again.
        self._seen: set[str] = set()

    def submit(self, item: AttachmentItem) -> "Future[PreparedAttachment]":
        return self._executor.submit(self.prepare, item)

    def prepare(self, item: AttachmentItem) -> PreparedAttachment:
        """Prepare one file in the calling thread (see `prepare_attachment`)."""
        prepared = prepare_attachment(item, self._read, self.document, self.encode, self._known)
        if prepared.sha256 is not None:
            with self._lock:
                self._seen.add(prepared.sha256)
        return prepared

    def _known(self, sha256: str) -> bool:
        with self._lock:
            if sha256 in self._seen:
                return True
        return self.known(sha256)

    def _read(self, data: bytes, name: str) -> "FileText":
        with self._lock:
            if self._reader is None:
                from pipelines.attachments import FileReader

                self._reader = FileReader(self.limits, processes=self.threads)
            reader = self._reader
        return reader.read(data, name)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
