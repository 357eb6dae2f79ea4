"""Attached files (PDF, Word, Excel, WPS, OFD, archives): read to text, prepared and stored.

Reading, pure of Scrapy: `read_file` reads one file in this process; `FileReader` reads files
in worker processes under time and memory limits (what a crawl uses for files from the web);
`sniff_media_type` tells a file's kind from its bytes; statuses and reasons: `results`; formats
and the library for each: docs/attachments.md. A fetched file's way on: `stage` (hash, name,
text normalised, its relation to the article's body) and `store` (the tables, written in the
pages' batch).
"""

from pipelines.attachments.read import read_file
from pipelines.attachments.results import STATUSES, FileText, ReadLimits
from pipelines.attachments.sandbox import FileReader
from pipelines.attachments.sniff import sniff_media_type

__all__ = ["STATUSES", "FileReader", "FileText", "ReadLimits", "read_file", "sniff_media_type"]
