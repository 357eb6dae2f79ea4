"""A real Redis server on loopback for the tests, started once per test session.

Uses Debian's redis-server (installed with apt-get when missing and we are root, so `pytest`
works on a fresh machine). No persistence; a password, so masking is exercised for real.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.debian import ensure_program

PASSWORD = "r3dis-S3cret"


def ensure_installed() -> str:
    return ensure_program("redis-server")


class RedisServer:
    def __init__(self) -> None:
        self.binary = ensure_installed()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.root = Path(tempfile.mkdtemp(prefix="policy-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--requirepass", PASSWORD, "--dir", str(self.root),
             "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, password=PASSWORD)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        return self

    def url(self, db: int = 0) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        import redis

        redis.Redis(host="127.0.0.1", port=self.port, password=PASSWORD).flushall()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
