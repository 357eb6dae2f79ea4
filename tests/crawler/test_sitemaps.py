"""Reading sitemaps and the Sitemap: lines of robots.txt (crawler.spiders.sitemaps)."""

from __future__ import annotations

import gzip

from crawler.spiders import sitemaps
from crawler.spiders.sitemaps import read_sitemap, robots_sitemaps

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
URLSET = (f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>'
          "<url><loc>http://www.gov.test/zwgk/202510/t20251016_1.html</loc><lastmod>2025-10-16</lastmod></url>"
          "<url><loc>\n  http://www.gov.test/zwgk/202510/t20251017_2.html  \n</loc></url>"
          "</urlset>").encode()


def test_a_urlset_lists_pages() -> None:
    found = read_sitemap(URLSET)
    assert found.pages == ["http://www.gov.test/zwgk/202510/t20251016_1.html",
                           "http://www.gov.test/zwgk/202510/t20251017_2.html"]
    assert found.sitemaps == []


def test_a_gzip_sitemap_reads_as_the_plain_one() -> None:
    assert read_sitemap(gzip.compress(URLSET)) == read_sitemap(URLSET)


def test_an_index_lists_sitemaps() -> None:
    index = (f"<sitemapindex {NS}><sitemap><loc>http://www.gov.test/s/1.xml.gz</loc></sitemap>"
             "<sitemap><loc>http://www.gov.test/s/2.xml</loc></sitemap></sitemapindex>").encode()
    found = read_sitemap(index)
    assert found.sitemaps == ["http://www.gov.test/s/1.xml.gz", "http://www.gov.test/s/2.xml"]
    assert found.pages == []


def test_what_is_no_sitemap_lists_nothing() -> None:
    for body in (b"", b"<html><body><h1>404 Not Found</h1></body></html>", b"\x1f\x8b\x08broken",
                 b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                 b"<urlset><url><loc>&e;</loc></url></urlset>"):
        found = read_sitemap(body)
        assert [u for u in found.pages if "passwd" in u or "root:" in u] == []
        assert found.sitemaps == []


def test_a_truncated_sitemap_keeps_what_came_before_the_cut() -> None:
    assert read_sitemap(URLSET[:-40]).pages[:1] == ["http://www.gov.test/zwgk/202510/t20251016_1.html"]


def test_a_sitemap_is_read_up_to_the_protocols_limits(monkeypatch) -> None:
    monkeypatch.setattr(sitemaps, "MAX_SITEMAP_URLS", 1)
    assert len(read_sitemap(URLSET).pages) == 1
    monkeypatch.setattr(sitemaps, "MAX_SITEMAP_BYTES", 100)
    assert read_sitemap(gzip.compress(URLSET)).pages == []  # unpacks past the limit: refused


def test_robots_txt_names_its_sitemaps() -> None:
    robots = (b"User-agent: *\nDisallow: /search/\n# Sitemap: http://www.gov.test/old.xml\n"
              b"Sitemap: http://www.gov.test/sitemap_index.xml\nsitemap:http://www.gov.test/s.xml.gz\n")
    assert robots_sitemaps(robots) == ["http://www.gov.test/sitemap_index.xml",
                                       "http://www.gov.test/s.xml.gz"]
