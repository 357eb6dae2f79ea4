"""A disk spool for items the store could not take (server down, disk full, file locked).

Nothing is lost while the store is away: items are appended to a spool file, retried while the
crawl goes on, again at its end, and by the next run if the store is still away then. Items are
pickled (they are the project's own dataclasses, raw page bytes included).
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: str | Path, owner: str | None = None) -> None:
        """`owner` names this spool's file (default: the process id)."""
        self.directory = Path(directory)
        self.pending: list[Any] = []  # this process's spooled items, oldest first
        self._file = self.directory / f"spool-{owner or os.getpid()}.pkl"

    def __len__(self) -> int:
        return len(self.pending)

    def put(self, item: Any) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self._file, "ab") as handle:
            pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        self.pending.append(item)

    def adopt_leftovers(self) -> int:
        """Take over the spool files of earlier (finished or dead) processes."""
        if not self.directory.is_dir():
            return 0
        adopted = 0
        for path in sorted(self.directory.glob("spool-*.pkl")):
            if path == self._file:
                continue
            items = list(_read(path))
            for item in items:
                self.put(item)
            path.unlink()
            adopted += len(items)
        return adopted

    def drain(self, write: Callable[[Any], None]) -> int:
        """Write pending items in order until one fails; return how many landed."""
        landed = 0
        while self.pending:
            write(self.pending[0])  # raises when the store is still away: the rest waits
            self.pending.pop(0)
            landed += 1
            self._rewrite()
        return landed

    def _rewrite(self) -> None:
        if not self.pending:
            self._file.unlink(missing_ok=True)
            return
        tmp = self._file.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            for item in self.pending:
                pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self._file)


def _read(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return
            except Exception as exc:  # a torn last record from a process killed mid-write
                log.warning("spool file %s ends with a damaged record (%s); kept the rest", path, exc)
                return
