"""`FileReader`: attached files read in separate processes with time and memory limits, so
that a hostile file (a zip bomb, a PDF that makes a parser spin or crash) costs one `failed`
result and never the crawl.

Layout: `processes` warm reader processes, started by a fork server that has imported the
readers once (so they start fast and never inherit the caller's threads or connections). A
reader process reads each file in a fork of itself (~2 ms on a warm process) that runs under
`RLIMIT_AS` (`memory_bytes`) and `RLIMIT_CPU` (`seconds`) and is killed at `seconds` of wall
time; a fork per file gives every file the whole budget, a clean heap, and an exact account of
how it ended (exit status and signal, read by `wait4`). Whatever happens to the fork, its
reader process answers: `failed` with "no answer within 60 s", "ran out of memory (limit
1 GiB)", "used more than 60 s of CPU" or "crashed with signal 11 (SIGSEGV)". Should a reader
process itself die (it reads no file itself: something killed it), the caller replaces it and
hands the file to the new one, once.

The fork reports the sniffed media type before it reads, so even a file that kills its reader
keeps its media type.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import queue
import resource
import select
import signal
import threading
import time
from multiprocessing.connection import Connection, wait
from typing import Any, Optional

from pipelines.attachments.read import import_readers, read_member
from pipelines.attachments.results import FAILED, FileText, ReadLimits, size_text
from pipelines.attachments.sniff import sniff_media_type

#: Exit status of a fork whose reader raised MemoryError.
_MEMORY_EXIT = 86
#: Bytes of a too-large file sniffed by the caller for its media type.
_HEAD_BYTES = 1 << 16
#: Resident share of the memory limit from which a fork that died counts as out of memory.
_MEMORY_SHARE = 0.75
#: Signals a C library dies by when an allocation fails (abort, a trap, a bad pointer).
_ALLOCATION_SIGNALS = frozenset({signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGTRAP,
                                 signal.SIGILL})
#: How much longer than the fork's own wall limit the caller waits for a reader process's
#: answer before it counts the process as hung (it kills the fork at `seconds` itself).
_CALLER_GRACE_S = 10.0
_PRELOAD = ["pipelines.attachments.sandbox", "pipelines.attachments.office",
            "pipelines.attachments.pdf", "pipelines.attachments.archives", "pipelines.attachments.ofd",
            "pipelines.attachments.legacy"]


class FileReader:
    """Attached files read in worker processes under `limits`; `read` is thread-safe and never
    raises for a bad file. A context manager; `close` stops the workers."""

    def __init__(self, limits: ReadLimits = ReadLimits(), processes: int = 1) -> None:
        if processes < 1:
            raise ValueError("FileReader needs at least one process")
        self.limits = limits
        self.processes = processes
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._idle: queue.SimpleQueue[Optional[_Worker]] = queue.SimpleQueue()
        for _ in range(processes):
            self._idle.put(None)  # a slot: its process starts on first use
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._closed = False

    def read(self, data: bytes, name: str) -> FileText:
        """The text of one file, read in a worker process (see the module doc)."""
        if self._closed:
            raise RuntimeError("FileReader is closed")
        if len(data) > self.limits.max_bytes:  # refused here: not worth a trip to a worker
            return read_member(data, name, self.limits, 0, sniff_media_type(data[:_HEAD_BYTES]))
        worker = self._idle.get()
        try:
            # A reader process reads each file in a fork, so no file kills it: one found dead
            # (killed from outside, between two files or during one) gets the file again, once.
            for attempt in range(2):
                if worker is None or not worker.alive():
                    if worker is not None:
                        self._retire(worker)
                    worker = self._start()
                result, worker_ok = worker.read(data, name, self.limits)
                if worker_ok:
                    return result
                self._retire(worker)
                worker = None
            return result
        finally:
            self._idle.put(worker)

    def worker_pids(self) -> list[int]:
        """Process ids of the running reader processes (for tests and measurements)."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self.limits)
        with self._lock:
            if self._closed:
                worker.stop()
                raise RuntimeError("FileReader is closed")
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.stop()


class _Worker:
    """One warm reader process and the caller's end of its pipe."""

    def __init__(self, context: Any, limits: ReadLimits) -> None:
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, limits),
                                       name="attachment-reader", daemon=True)
        self.process.start()
        child_end.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def read(self, data: bytes, name: str, limits: ReadLimits) -> tuple[FileText, bool]:
        """(result, whether this process can read the next file)."""
        try:
            self.connection.send((data, name))
        except (OSError, ValueError) as exc:
            return FileText(FAILED, f"reader process unreachable ({exc})", None, "", None), False
        ready = wait([self.connection, self.process.sentinel], timeout=limits.seconds + _CALLER_GRACE_S)
        if self.connection in ready:
            try:
                return self.connection.recv(), True
            except (EOFError, OSError):
                pass
        if not ready:
            return FileText(FAILED, f"no answer within {limits.seconds:g} s (reader process hung)",
                            None, "", None), False
        self.process.join(1.0)
        return FileText(FAILED, f"reader process died ({_ending(self.process.exitcode)})",
                        None, "", None), False

    def stop(self) -> None:
        self.connection.close()  # the process sees the end of its input and leaves
        self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)


def _serve(connection: Connection, limits: ReadLimits) -> None:
    """A reader process: one file at a time from `connection`, each read in a fork."""
    import_readers()  # once here, not in every fork
    while True:
        try:
            data, name = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_read_in_fork(data, name, limits))


def _read_in_fork(data: bytes, name: str, limits: ReadLimits) -> FileText:
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: limits, read, answer, leave without running the parent's exit code
        os.close(readable)
        code = 0
        try:
            _limit(limits)
            media_type = sniff_media_type(data, name) if len(data) <= limits.max_bytes else None
            head = pickle.dumps(media_type)
            _write_all(writable, len(head).to_bytes(4, "big") + head)
            result = read_member(data, name, limits, 0, media_type, memory_error=True)
            _write_all(writable, pickle.dumps(result))
        except MemoryError:
            code = _MEMORY_EXIT
        except BaseException:
            code = 1
        os._exit(code)
    os.close(writable)
    chunks, finished = _collect(readable, pid, limits.seconds)
    os.close(readable)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    resident = usage.ru_maxrss * 1024  # Linux reports KiB
    answer = b"".join(chunks)
    head_end = 4 + int.from_bytes(answer[:4], "big") if len(answer) >= 4 else 0
    sniffed = _loaded(answer[4:head_end]) if 4 < head_end <= len(answer) else None
    media_type = sniffed if isinstance(sniffed, str) else None
    body = answer[head_end:] if head_end else b""
    if finished and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and body:
        answered = _loaded(body)
        if isinstance(answered, FileText):
            return answered
    if not finished:
        reason = f"no answer within {limits.seconds:g} s"
    elif os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        reason = f"used more than {_cpu_seconds(limits)} s of CPU"
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == _MEMORY_EXIT:
        reason = f"worker ran out of memory (limit {size_text(limits.memory_bytes)})"
    elif resident >= _MEMORY_SHARE * limits.memory_bytes:
        # A C library (PDFium, calamine) whose allocation failed under RLIMIT_AS aborts
        # (SIGABRT) or crashes: with the limit nearly reached, that is what happened.
        reason = (f"worker ran out of memory (limit {size_text(limits.memory_bytes)}; it "
                  f"{_ending(os.waitstatus_to_exitcode(status))} at {size_text(resident)} resident)")
    elif os.WIFSIGNALED(status) and os.WTERMSIG(status) in _ALLOCATION_SIGNALS:
        # Below the share the failed allocation may still have been the one large request
        # that crossed the limit: the reason gives both figures rather than a verdict.
        reason = (f"worker {_ending(os.waitstatus_to_exitcode(status))} at "
                  f"{size_text(resident)} resident, under a memory limit of "
                  f"{size_text(limits.memory_bytes)} (a library that cannot allocate ends so)")
    else:
        reason = f"worker {_ending(os.waitstatus_to_exitcode(status))}"
    return FileText(FAILED, reason, media_type, "", None)


def _limit(limits: ReadLimits) -> None:
    # The limit is on what reading adds: the reader process comes from a fork server that may
    # have been started by another pool (`pipelines.workers`) with numpy and its thread arenas
    # mapped, hundreds of MB of address space that no file asked for.
    ceiling = _address_space() + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    cpu = _cpu_seconds(limits)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _address_space() -> int:
    """This process's mapped address space in bytes (VmSize)."""
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(limits: ReadLimits) -> int:
    return max(1, math.ceil(limits.seconds))


def _collect(readable: int, pid: int, seconds: float) -> tuple[list[bytes], bool]:
    """What the fork writes until it closes its end (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return chunks, False
        ready, _, _ = select.select([readable], [], [], remaining)
        if not ready:
            return chunks, False
        chunk = os.read(readable, 1 << 20)
        if not chunk:
            return chunks, True
        chunks.append(chunk)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _loaded(payload: bytes) -> object:
    try:
        return pickle.loads(payload)
    except Exception:  # a fork that died mid-write
        return None


def _ending(exitcode: Optional[int]) -> str:
    """`crashed with signal 11 (SIGSEGV)` / `exited with status 1`."""
    if exitcode is None:
        return "did not exit"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown"
        return f"crashed with signal {-exitcode} ({name})"
    return f"exited with status {exitcode}"
