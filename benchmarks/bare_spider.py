"""The bare Scrapy spider of `python -m benchmarks crawl`: fetch every page, follow links, no pipeline.

It runs no script, so the pages a pager script writes are given to it as start URLs (`-a
also=FILE`, one URL a line): it fetches the pages the pipeline crawl reaches. With `-a files=1`
it follows links to files too (pdf, docx…: what Scrapy's link extractor leaves out by default)
and fetches them, as the pipeline fetches attached files.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: str = "", also: str = "", files: str = "", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.start_urls = start.split(",")
        if also:
            with open(also, encoding="utf-8") as lines:
                self.start_urls += [line.strip() for line in lines if line.strip()]
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls})
        extensions = {"deny_extensions": []} if files else {}
        self.links = LinkExtractor(allow_domains=self.allowed_domains, **extensions)

    def parse(self, response):  # type: ignore[no-untyped-def]
        if not isinstance(response, (HtmlResponse, XmlResponse)):
            self.crawler.stats.inc_value("bare/files")
            return
        self.crawler.stats.inc_value("bare/pages")
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)
