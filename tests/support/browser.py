"""A real headless Chromium for the tests, started once per test module.

Uses Debian's `chromium` with a CJK font (`fonts-noto-cjk`), both installed with apt-get when
missing and we are root, so `pytest` works on a fresh machine; the way tests/support/postgres.py
installs PostgreSQL. Playwright drives the system browser (`executable_path`): it downloads no
browser of its own. A visit collects what a person would notice: console errors, uncaught
exceptions and failed requests.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.debian import ensure

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ("chromium", "fonts-noto-cjk")


def cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return bool(fonts.strip())


def ensure_installed() -> Path:
    def found() -> Path | None:
        return CHROMIUM if CHROMIUM.exists() and cjk_font_installed() else None

    return ensure(found, *PACKAGES)


@dataclass
class Visit:
    """One page opened in the browser, and what went wrong while it loaded."""

    page: Any  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for

    def screenshot_colours(self) -> int:
        """How many distinct colours a screenshot of the whole page holds."""
        from PIL import Image

        image = Image.open(io.BytesIO(self.page.screenshot(full_page=True))).convert("RGB")
        return len(image.getcolors(maxcolors=1 << 20) or ())

    def renders_glyphs(self, first: str, second: str) -> bool:
        """Whether two different characters, set in the page's own font, draw differently: a
        missing font draws both as the same empty box (tofu)."""
        shots = []
        for char in (first, second):
            handle = self.page.evaluate_handle(
                """(char) => { const s = document.createElement('span');
                   s.textContent = char; s.style.fontSize = '40px';
                   document.body.appendChild(s); return s; }""", char)
            shots.append(handle.as_element().screenshot())
            self.page.evaluate("(s) => s.remove()", handle)
        return shots[0] != shots[1]

    def close(self) -> None:
        self.page.close()


class Browser:
    def __init__(self) -> None:
        self.executable = ensure_installed()
        self._playwright: Any = None
        self._browser: Any = None

    def start(self) -> "Browser":
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(self.executable), headless=True,
            args=["--disable-gpu", "--disable-dev-shm-usage"],
        )
        return self

    def open(self, url: str, width: int = 1280, height: int = 900) -> Visit:
        """Open `url` in a fresh page and wait until it has loaded."""
        page = self._browser.new_page(viewport={"width": width, "height": height})
        visit = Visit(page)
        page.on("console", lambda message: visit.errors.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.on("request", lambda request: visit.requests.append(request.url))
        page.on("pageerror", lambda error: visit.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: visit.errors.append(
            f"request failed: {request.url} ({request.failure})"))
        response = page.goto(url, wait_until="load")
        if response is not None and not response.ok and not url.startswith("file:"):
            visit.errors.append(f"HTTP {response.status} for {url}")
        return visit

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
