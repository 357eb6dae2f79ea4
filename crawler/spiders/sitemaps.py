"""Sitemaps as one more source of links: `sitemap.xml` at a site's root and the `Sitemap:` lines
of its robots.txt. Pure; no Scrapy.

A sitemap lists a site's pages (`<urlset><url><loc>`) or other sitemaps (`<sitemapindex>`), as
XML, gzip-compressed or not. Reading one costs a request and finds the articles a list no
longer shows on its first pages. Its size is bounded (`MAX_SITEMAP_BYTES` unpacked,
`MAX_SITEMAP_URLS` locations), its XML read without entities or network.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from io import BytesIO

import lxml.etree

__all__ = ["MAX_SITEMAP_BYTES", "MAX_SITEMAP_URLS", "SitemapLinks", "read_sitemap", "robots_sitemaps"]

# The sitemap protocol's own limits: 50,000 URLs and 50 MB (uncompressed) a file.
MAX_SITEMAP_URLS = 50_000
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass
class SitemapLinks:
    """What one sitemap file lists: pages, and further sitemaps (of a sitemap index)."""

    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def read_sitemap(body: bytes) -> SitemapLinks:
    """The locations a sitemap file lists; nothing for what is no sitemap (an HTML error page)."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=BytesIO(body)) as unpacked:
                body = unpacked.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError, zlib.error):
            return SitemapLinks()
    if len(body) > MAX_SITEMAP_BYTES:
        return SitemapLinks()
    links = SitemapLinks()
    try:
        for _, element in lxml.etree.iterparse(
            BytesIO(body), events=("end",), recover=True, resolve_entities=False, no_network=True,
            huge_tree=False, remove_comments=True, remove_pis=True,
        ):
            tag = _local(element.tag)
            if tag == "loc" and element.text:
                parent = element.getparent()
                kind = _local(parent.tag) if parent is not None else ""
                target = links.sitemaps if kind == "sitemap" else links.pages
                if kind in ("url", "sitemap") and len(links.pages) + len(links.sitemaps) < MAX_SITEMAP_URLS:
                    target.append(element.text.strip())
            elif tag in ("url", "sitemap"):
                element.clear()
    except lxml.etree.LxmlError:
        pass  # what was read before the damage stands
    return links


def robots_sitemaps(robots_txt: bytes) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt."""
    found = []
    for line in robots_txt.decode("utf-8", errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
