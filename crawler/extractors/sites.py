"""Per-site parsers: the generic extractor with selectors for what differs, versioned by layout.

When a site changes its layout, add a new class (``...V2``) with a ``matches`` sniff and keep the
old one, so pages saved under the old layout still parse the way they did. Selectors from the
TOML site registry (``[site.selectors]``) are layered on top of the class's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from .generic import GenericParser
from .page import ExtractedPage


class AchieParserV1(GenericParser):
    """achie.org, DedeCMS default PC template (article_article.htm), 2010s to today."""

    name = "achie"
    version = "1"
    selectors: ClassVar[Mapping[str, str]] = {
        "title": "div.title h2",
        "meta_line": "div.info",
        "body": "div.content",
        "column_path": "div.place",
    }

    @classmethod
    def matches(cls, root: Any, url: str) -> bool:
        return bool(root.xpath(
            "//div[contains(concat(' ', normalize-space(@class), ' '), ' content ')]"
        ))


class AchieMobileParserV1(GenericParser):
    """achie.org mobile template (article_article_m.htm, amazeui) served at /m/view.php?aid=."""

    name = "achie-mobile"
    version = "m1"
    selectors: ClassVar[Mapping[str, str]] = {
        "title": "//h1[contains(@class,'blog-title')] | //div[contains(@class,'blog-title')]",
        "body": "div.blog-content",
    }

    @classmethod
    def matches(cls, root: Any, url: str) -> bool:
        return "/m/view.php" in url or (
            bool(root.xpath("//*[contains(@class,'blog-content')]"))
            and not AchieParserV1.matches(root, url)
        )


class VersionedSiteParser(GenericParser):
    """Each page goes to the first version whose layout sniff matches it, else to the newest."""

    def __init__(
        self, versions: Sequence[type[GenericParser]], selectors: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(selectors)
        self._versions = list(versions)
        self._extra = dict(selectors or {})

    def choose(self, root: Any, url: str) -> GenericParser:
        for cls in self._versions:
            try:
                if cls.matches(root, url):
                    return cls(self._extra)
            except Exception:  # a sniff that breaks on odd markup just does not match
                continue
        return self._versions[0](self._extra)

    def parse_tree(self, root: Any, url: str, parse_limit: str | None = None) -> ExtractedPage:
        return self.choose(root, url).parse_tree(root, url, parse_limit=parse_limit)


# site name -> versions, newest layout first.
SITE_PARSERS: dict[str, list[type[GenericParser]]] = {
    "achie": [AchieMobileParserV1, AchieParserV1],
}


def _version_key(version: str) -> str:
    return version.strip().lower().removeprefix("v")


def parser_for(
    site_name: str | None = None,
    selectors: Mapping[str, str] | None = None,
    version: str | None = None,
) -> GenericParser:
    """The site's parser class (or layout dispatcher) plus registry selectors; an explicit
    ``version`` ("1", "v1", "m1" or the class name) wins. Unknown sites get the generic parser,
    so a registry entry with only ``name`` and ``start_urls`` works on any CMS.
    """
    versions = SITE_PARSERS.get((site_name or "").strip().lower())
    if not versions:
        return GenericParser(selectors)
    if version:
        wanted = _version_key(version)
        for cls in versions:
            if wanted in (_version_key(cls.version), cls.__name__.lower()):
                return cls(selectors)
        raise ValueError(
            f"site {site_name!r} has no parser version {version!r}; known: "
            + ", ".join(f"{c.__name__} (version {c.version})" for c in versions)
        )
    if len(versions) == 1:
        return versions[0](selectors)
    return VersionedSiteParser(versions, selectors)
