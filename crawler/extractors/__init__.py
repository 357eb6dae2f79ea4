"""Pure extraction layer: page bytes + URL -> ExtractedPage. Never imports Scrapy.

    from crawler.extractors import extract
    page = extract(body, url, declared_encoding=response_charset, site="achie")
"""

from __future__ import annotations

from collections.abc import Mapping

from .dates import find_dates, parse_date
from .encoding import charset_of_content_type, decode_html
from .generic import GenericParser
from .page import ExtractedPage
from .sites import AchieMobileParserV1, AchieParserV1, parser_for
from .tree import parse_html
from .urls import classify_url

__all__ = [
    "AchieMobileParserV1", "AchieParserV1", "ExtractedPage", "GenericParser",
    "charset_of_content_type", "classify_url", "decode_html", "extract", "find_dates",
    "parse_date", "parse_html", "parser_for",
]


def extract(
    body: bytes,
    url: str,
    *,
    declared_encoding: str | None = None,
    site: str | None = None,
    selectors: Mapping[str, str] | None = None,
    version: str | None = None,
) -> ExtractedPage:
    decoded = decode_html(body, declared_encoding)
    page = parser_for(site, dict(selectors) if selectors else None, version).parse(decoded.text, url)
    page.encoding = decoded.encoding
    page.signals["encoding_evidence"] = decoded.evidence
    page.signals["encoding_confidence"] = decoded.confidence
    if decoded.declared:
        page.signals["encoding_declared"] = decoded.declared
    return page
