"""The bare Scrapy spider of `python -m benchmarks crawl`: fetch every page, follow links, no pipeline."""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: str = "", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.start_urls = start.split(",")
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls})
        self.links = LinkExtractor(allow_domains=self.allowed_domains)

    def parse(self, response):  # type: ignore[no-untyped-def]
        self.crawler.stats.inc_value("bare/pages")
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)
