"""A real PostgreSQL server on loopback for the tests, started once per test session.

Uses Debian's postgresql package (installed with apt-get when missing and we are root, so
`pytest` works on a fresh machine). The server runs as the `postgres` system user when the
tests run as root, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support.debian import ensure

PASSWORD = "s3cret-Pw%41"  # has a % so URL quoting and masking are exercised for real
USER = "policy"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bindir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def ensure_installed() -> Path:
    return ensure(find_bindir, "postgresql")


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = ensure_installed()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="policy-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> "PostgresServer":
        self.sockdir.mkdir(parents=True)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            os.chown(self.sockdir, pw.pw_uid, pw.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", USER,
            f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--locale=C.UTF-8",
        )
        self.resume()
        return self

    def resume(self) -> None:
        """Start (or start again) the server on the same port and data."""
        options = (
            f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )

    def pause(self) -> None:
        """Stop the server (as an outage would), keeping its data for `resume`."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        from urllib.parse import quote

        return (
            f"postgresql+psycopg://{USER}:{quote(password, safe='')}@127.0.0.1:{self.port}/{database}"
        )

    def create_database(self, locale: str | None = None) -> str:
        """A fresh, empty database (with this LC_COLLATE and LC_CTYPE, else the cluster's
        C.UTF-8); returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        options = f" TEMPLATE template0 LC_COLLATE '{locale}' LC_CTYPE '{locale}'" if locale else ""
        self._run(
            str(self.bindir / "psql"), "-h", str(self.sockdir), "-p", str(self.port),
            "-U", USER, "-d", "postgres", "-q", "-c", f'CREATE DATABASE "{name}"{options}',
        )
        return self.url(name)
