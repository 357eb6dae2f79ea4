"""The site registry: which sites to crawl and how, read from TOML (schema in README.md)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

BUILTIN_REGISTRY = "sites.toml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KNOWN_KEYS = {
    "name", "start_urls", "allowed_domains", "article_url_pattern", "max_pages", "selectors",
    "parser", "list_url_pattern", "enabled", "backfill",
}


class RegistryError(ValueError):
    """A registry problem; str() names the file, the site and what to fix."""


@dataclass(frozen=True)
class Site:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_url_pattern: Optional[re.Pattern[str]] = None
    list_url_pattern: Optional[re.Pattern[str]] = None
    max_pages: Optional[int] = None
    selectors: dict[str, Any] = field(default_factory=dict)
    parser: Optional[str] = None
    #: Walk every list page on every run (as `crawl --full` does), not only up to stored articles.
    backfill: bool = False

    def allows(self, url: str) -> bool:
        """True when `url` is on one of the site's domains (or their subdomains)."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _compile(pattern: Any, where: str, key: str) -> Optional[re.Pattern[str]]:
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise RegistryError(f"{where}: {key} must be a string (a regular expression)")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RegistryError(f"{where}: {key} is not a valid regular expression: {exc}") from None


def parse_site(raw: dict[str, Any], where: str) -> Site:
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(
            f"{where}: every [[site]] needs a name of letters, digits, '-', '_' or '.'"
        )
    where = f"{where}: site '{name}'"
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}")
    start_urls = raw.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not start_urls or not all(isinstance(u, str) for u in start_urls):
        raise RegistryError(f"{where}: start_urls must be a non-empty list of URLs")
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"{where}: start URL '{url}' is not an http(s) URL")
    domains = raw.get("allowed_domains")
    if domains is None:
        domains = sorted({urlsplit(u).hostname or "" for u in start_urls})
    if isinstance(domains, str):
        domains = [domains]
    domains = tuple(d.lower().lstrip(".") for d in domains)
    max_pages = raw.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages <= 0):
        raise RegistryError(f"{where}: max_pages must be a positive whole number")
    backfill = raw.get("backfill", False)
    if not isinstance(backfill, bool):
        raise RegistryError(f"{where}: backfill must be true or false")
    selectors = raw.get("selectors") or {}
    if not isinstance(selectors, dict):
        raise RegistryError(f"{where}: [site.selectors] must be a table of field = selector")
    site = Site(
        name=name,
        start_urls=tuple(start_urls),
        allowed_domains=domains,
        article_url_pattern=_compile(raw.get("article_url_pattern"), where, "article_url_pattern"),
        list_url_pattern=_compile(raw.get("list_url_pattern"), where, "list_url_pattern"),
        max_pages=max_pages,
        selectors=dict(selectors),
        parser=raw.get("parser"),
        backfill=backfill,
    )
    outside = [u for u in site.start_urls if not site.allows(u)]
    if outside:
        raise RegistryError(f"{where}: start URLs {outside} are outside allowed_domains {domains}")
    return site


def parse_registry(text: str, where: str = "registry") -> list[Site]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{where}: not valid TOML: {exc}") from None
    raw_sites = data.get("site")
    if not isinstance(raw_sites, list) or not raw_sites:
        raise RegistryError(f"{where}: no [[site]] entries")
    sites = [parse_site(raw, where) for raw in raw_sites if raw.get("enabled", True)]
    seen: set[str] = set()
    for site in sites:
        if site.name in seen:
            raise RegistryError(f"{where}: site name '{site.name}' is used twice")
        seen.add(site.name)
    return sites


def load_registry(path: str | Path | None = None) -> list[Site]:
    """Sites from `path`, or the built-in registry (achie.org) when no path is given."""
    if path is None:
        text = resources.files("crawler").joinpath(BUILTIN_REGISTRY).read_text("utf-8")
        return parse_registry(text, "built-in registry")
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read site registry '{file}': {exc.strerror}") from None
    return parse_registry(text, str(file))


def select_sites(sites: list[Site], names: list[str] | tuple[str, ...]) -> list[Site]:
    if not names:
        return sites
    by_name = {s.name: s for s in sites}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise RegistryError(
            f"unknown site(s) {', '.join(missing)}; the registry has: {', '.join(by_name)}"
        )
    return [by_name[n] for n in names]
