"""Archives (zip with the standard library; RAR and 7z with libarchive through libarchive-c)
unpacked in memory under limits, each member read by its own kind.

Limits (`ReadLimits`): `max_members` members read in all (the rest are named in the reason),
`max_unpacked_bytes` for everything unpacked (what the directories declare is checked first,
and no member is unpacked past what it declared), a member that would unpack more than
`MAX_RATIO` times its packed size beyond `RATIO_FROM_BYTES` is a bomb, and archives inside
archives are unpacked down to `MAX_DEPTH` levels. The text of each member that has any
follows a line `=== member/path ===`.

Zip member names: a zip made on a Chinese Windows stores GBK names without the UTF-8 flag;
the standard library reads them as cp437, so they are re-read as UTF-8 if they are that, else
as GB18030.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Callable, Optional

from pipelines.attachments import sniff
from pipelines.attachments.results import (
    ENCRYPTED,
    FAILED,
    NEEDS_OCR,
    NO_READER,
    OK,
    TOO_LARGE,
    FileText,
    ReadLimits,
    size_text,
)

#: Archives inside archives are unpacked to this depth (the file itself is depth 0).
MAX_DEPTH = 2
#: Packed-to-unpacked ratio beyond which a member counts as a compression bomb ...
MAX_RATIO = 200
#: ... once it unpacks to more than this (small files of repeated text compress well).
RATIO_FROM_BYTES = 1 << 20
ARCHIVES = (sniff.ZIP, sniff.RAR, sniff.SEVEN_ZIP)
#: How a member is read: read_member(data, name, limits, depth).
MemberReader = Callable[[bytes, str, ReadLimits, int], FileText]


@dataclass
class _Budget:
    members: int
    unpacked: int


@dataclass
class _Entry:
    name: str
    size: int
    packed: Optional[int]
    encrypted: bool
    read: Callable[[], bytes]


@dataclass
class _Outcome:
    parts: list[str] = field(default_factory=list)
    statuses: list[tuple[str, FileText]] = field(default_factory=list)
    skipped: int = 0


class _Bomb(Exception):
    pass


def read_archive(data: bytes, media_type: str, limits: ReadLimits, depth: int,
                 read_member: MemberReader) -> FileText:
    budget = _Budget(limits.max_members, limits.max_unpacked_bytes)
    outcome = _Outcome()
    try:
        _unpack(data, media_type, "", limits, depth, budget, outcome, read_member)
    except _Bomb as exc:
        return FileText(TOO_LARGE, f"{exc}: not unpacked (a zip bomb?)", media_type, "", None)
    except _Unreadable as exc:
        return FileText(exc.status, str(exc), media_type, "", None)
    return _summary(outcome, media_type)


class _Unreadable(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _unpack(data: bytes, media_type: str, prefix: str, limits: ReadLimits, depth: int,
            budget: _Budget, outcome: _Outcome, read_member: MemberReader) -> None:
    entries = list(_entries(data, media_type, budget))
    declared = sum(entry.size for entry in entries)
    if declared > budget.unpacked:
        raise _Bomb(f"{prefix or 'the archive'} unpacks to {size_text(declared)}, more than the "
                    f"{size_text(budget.unpacked)} left of the limit")
    for entry in entries:
        name = prefix + entry.name
        if entry.packed is not None and entry.size > RATIO_FROM_BYTES and entry.size > MAX_RATIO * max(entry.packed, 1):
            raise _Bomb(f"{name} unpacks {entry.packed:,} bytes to {size_text(entry.size)} "
                        f"({entry.size // max(entry.packed, 1):,}:1)")
        if budget.members <= 0:
            outcome.skipped += 1
            continue
        budget.members -= 1
        if entry.encrypted:
            outcome.statuses.append((name, FileText(ENCRYPTED, "encrypted", None, "", None)))
            continue
        try:
            content = entry.read()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
            outcome.statuses.append((name, FileText(FAILED, f"cannot unpack ({exc})", None, "", None)))
            continue
        budget.unpacked -= len(content)
        kind = sniff.sniff_media_type(content, entry.name)
        if kind in ARCHIVES:
            if depth + 1 >= MAX_DEPTH:
                outcome.statuses.append((name, FileText(NO_READER, f"an archive nested deeper than "
                                                        f"{MAX_DEPTH} levels", kind, "", None)))
                continue
            outcome.statuses.append((name, FileText(OK, None, kind, "", None)))
            _unpack(content, kind, name + "/", limits, depth + 1, budget, outcome, read_member)
            continue
        result = read_member(content, entry.name, limits, depth + 1)
        outcome.statuses.append((name, result))
        if result.text:
            outcome.parts.append(f"=== {name} ===\n{result.text}")


def _summary(outcome: _Outcome, media_type: str) -> FileText:
    missing = [(name, r) for name, r in outcome.statuses if r.status != OK]
    notes = []
    if missing:
        shown = "; ".join(f"{name} ({r.status}{': ' + r.reason if r.reason else ''})" for name, r in missing[:5])
        more = f"; and {len(missing) - 5} more" if len(missing) > 5 else ""
        notes.append(f"{len(missing)} of {len(outcome.statuses)} members not read: {shown}{more}")
    if outcome.skipped:
        notes.append(f"{outcome.skipped} members beyond the first {len(outcome.statuses)} not read")
    reason = "; ".join(notes) or None
    if outcome.parts:
        return FileText(OK, reason, media_type, "\n".join(outcome.parts), None)
    statuses = {r.status for _, r in missing}
    if not outcome.statuses:
        return FileText(FAILED, reason or "the archive is empty", media_type, "", None)
    for status in (NEEDS_OCR, ENCRYPTED, TOO_LARGE, NO_READER):
        if status in statuses:
            return FileText(status, reason, media_type, "", None)
    return FileText(FAILED, reason or "no member has text", media_type, "", None)


def _entries(data: bytes, media_type: str, budget: _Budget) -> Iterator[_Entry]:
    if media_type == sniff.ZIP:
        yield from _zip_entries(data)
    else:
        yield from _libarchive_entries(data, media_type, budget)


def _zip_entries(data: bytes) -> Iterator[_Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _Unreadable(FAILED, f"not a readable zip ({exc})") from exc
    for info in archive.infolist():
        if info.is_dir():
            continue
        yield _Entry(zip_member_name(info), info.file_size, info.compress_size,
                     bool(info.flag_bits & 0x1), functools.partial(archive.read, info))


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: UTF-8 when flagged; else UTF-8 if the bytes are
    that, else GB18030 (a Chinese Windows zip tool's GBK)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _libarchive_entries(data: bytes, media_type: str, budget: _Budget) -> Iterator[_Entry]:
    """The members of a RAR or 7z archive, unpacked as they come (these formats declare no
    sizes to check first): unpacking stops at the budget's bytes and members."""
    try:
        import libarchive
    except (ImportError, OSError) as exc:  # the Python binding, or the C library, is missing
        raise _Unreadable(NO_READER, f"{sniff.describe(media_type)} needs libarchive (Debian: "
                          f"apt-get install libarchive13; Python: pip install libarchive-c): {exc}") from exc
    members: list[_Entry] = []
    unpacked = 0
    try:
        with libarchive.memory_reader(data) as archive:
            for entry in archive:
                if entry.isdir or not entry.isreg:
                    continue
                if len(members) >= budget.members:
                    members.append(_Entry(entry.pathname or "?", 0, None, False, bytes))
                    continue  # counted as skipped, not unpacked
                encrypted = bool(getattr(entry, "is_encrypted", False))
                blocks = []
                for block in ([] if encrypted else entry.get_blocks()):
                    unpacked += len(block)
                    if unpacked > budget.unpacked:
                        raise _Bomb(f"the {sniff.describe(media_type)} unpacks to more than the "
                                    f"{size_text(budget.unpacked)} left of the limit")
                    blocks.append(block)
                content = b"".join(blocks)
                members.append(_Entry(entry.pathname or "?", len(content), None, encrypted,
                                      functools.partial(bytes, content)))
    except libarchive.ArchiveError as exc:
        message = str(exc)
        if "ncrypt" in message or "assphrase" in message or "password" in message.lower():
            raise _Unreadable(ENCRYPTED, f"{sniff.describe(media_type)} encrypted with a password") from exc
        raise _Unreadable(FAILED, f"not a readable {sniff.describe(media_type)} ({message[:200]})") from exc
    yield from members
