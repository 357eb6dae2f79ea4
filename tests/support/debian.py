"""Debian packages the tests need (PostgreSQL, Redis, antiword, libarchive, Chromium and a CJK font), installed
with apt-get when missing and we are root, so that `pytest` works on a fresh machine."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def ensure(find: Callable[[], T | None], *packages: str) -> T:
    """What `find` finds, installing Debian's `packages` first when it finds nothing."""
    found = find()
    if found is not None:
        return found
    names = " ".join(packages)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"missing: install Debian's {names} (apt-get install {names}) "
                           "to run these tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    found = find()
    if found is None:
        raise RuntimeError(f"apt-get installed {names} but the tests still cannot find it")
    return found


def ensure_program(program: str, package: str | None = None) -> str:
    """The path of `program`, installing its package (default: the program's name)."""
    return ensure(lambda: shutil.which(program), package or program)


def ensure_antiword() -> str:
    """antiword, the reader of Word 97 (.doc) and WPS (.wps) files."""
    return ensure_program("antiword")


def ensure_libarchive() -> str:
    """The libarchive shared library libarchive-c loads (RAR and 7z archives)."""
    return ensure(lambda: ctypes.util.find_library("archive"), "libarchive13")
