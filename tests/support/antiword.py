"""Debian's antiword for the tests that read Word 97 (.doc) and WPS (.wps) files, installed
with apt-get when missing and we are root (as tests/support/postgres.py installs PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_antiword() -> str:
    """The path of the antiword program, installing Debian's package when it is missing."""
    found = shutil.which("antiword")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError("antiword not found; install Debian's antiword package "
                           "(apt-get install antiword) to run the .doc/.wps tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "antiword"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("antiword")
    if found is None:
        raise RuntimeError("apt-get installed antiword but no antiword program was found")
    return found
