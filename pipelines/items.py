"""The items that travel from the crawl through the cleaning stages to the store.

A spider yields an `ArticleItem` for every page it recognised as an article (with the
extractor's fields filled in), a `RejectedPageItem` for every page it fetched or tried to
fetch but will not store as an article, and an `AttachmentItem` for every attached file it
fetched or tried to. The cleaning stages fill in the rest of the
`ArticleItem` (normalised text, cuts, dedup decision) before the store writes it. The date
bounds every stored publication date keeps to are here too: the extractor and the cleaner
both apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Optional

#: No publication date before the People's Republic: earlier dates on a page are history.
MIN_DATE = date(1949, 10, 1)
#: How far past the fetch a publication date may lie (clock skew, time zones).
FUTURE_TOLERANCE = timedelta(days=2)


@dataclass(kw_only=True)
class PolicyMetadata:
    """A policy document's metadata, as `crawler/extractors/policy.py` reads it, on the extracted
    page and on the item (the store's columns of the same names); None where the page does not say."""

    doc_number: str | None = None  # 发文字号 as shown
    doc_number_key: str | None = None  # the number in one form, for matching
    issuer: str | None = None  # 发文机关; several joined by 、
    written_at: date | None = None  # 成文日期
    effective_at: date | None = None  # 施行日期 / 生效日期
    index_no: str | None = None  # 索引号
    topic: str | None = None  # 主题分类
    keywords: str | None = None  # 主题词, joined by 、
    validity: str | None = None  # 有效, 失效, 废止, 部分修改, 尚未生效
    doc_type: str | None = None  # 通知, 意见, 办法… or 解读, from the title
    level: str | None = None  # national, provincial, city, county
    column_name: str | None = None  # the ColumnName meta tag


POLICY_FIELDS = tuple(f.name for f in fields(PolicyMetadata))


@dataclass
class RemovalRecord:
    """A piece of content cut from a kept page, with the reason as `kind`."""

    kind: str
    content: str
    detail: Optional[str] = None


#: Cuts that are page furniture, not spam: a second copy of the body, the 政务公开 information
#: table (its values are fields of the article).
NOT_SPAM_CUTS = frozenset({"repeated_body", "info_table"})


def spam_cut_count(removals: list[RemovalRecord]) -> int:
    """How many of a page's cuts were spam."""
    return sum(1 for r in removals if r.kind not in NOT_SPAM_CUTS)


@dataclass
class RawPageRecord:
    """One fetched page as served: what `reprocess` re-extracts from."""

    url: str
    body: bytes = field(repr=False)
    fetched_at: datetime
    content_type: Optional[str] = None
    http_status: int = 200
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    part_of: Optional[str] = None


@dataclass
class ArticleItem(PolicyMetadata):
    url: str
    site: str
    fetched_at: datetime
    # Filled by the spider from the extractor.
    title: Optional[str] = None
    title_raw: Optional[str] = None
    published_at: Optional[datetime | date] = None
    # Where the date came from: meta, structured (JSON-LD), byline, text or url.
    published_at_source: Optional[str] = None
    source: Optional[str] = None
    # The display name the page gives its own site (<meta name="SiteName">, og:site_name).
    site_name: Optional[str] = None
    author: Optional[str] = None
    author_unit: Optional[str] = None
    editor: Optional[str] = None
    column_path: Optional[str] = None
    paragraphs: list[str] = field(default_factory=list)
    body_html: Optional[str] = None
    attachments: list[dict[str, str]] = field(default_factory=list)
    removals: list[RemovalRecord] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)
    encoding: Optional[str] = None
    http_status: int = 200
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    # The raw pages (page 1, then the later pages of a multi-page article), kept in the store so
    # that `reprocess` can re-run extraction without fetching.
    raw_pages: list[RawPageRecord] = field(default_factory=list, repr=False)
    # Filled by the pipeline stages.
    original_script: str = "simplified"
    content_hash: Optional[str] = None
    # Dedup decision: which article this copy belongs to and why (None: a new article).
    relation: Optional[str] = None
    duplicate_of: Optional[int] = None
    similarity: float = 1.0
    crawl_run_id: Optional[int] = None

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)

    def add_part(self, part: "ArticleItem") -> None:
        """Join page 2..N of a multi-page article to this page 1, in order: its paragraphs,
        its body HTML, its attachments and its cuts."""
        self.paragraphs.extend(part.paragraphs)
        if part.body_html:
            self.body_html = "\n".join(filter(None, (self.body_html, part.body_html)))
        self.attachments.extend(a for a in part.attachments if a not in self.attachments)
        self.removals.extend(part.removals)


@dataclass
class RejectedPageItem:
    url: str
    site: str
    reason: str
    detail: Optional[str] = None
    http_status: Optional[int] = None
    fetched_at: Optional[datetime] = None
    crawl_run_id: Optional[int] = None


@dataclass
class AttachmentItem:
    """An attached file as fetched, or why it was not (`status`, `reason`)."""

    url: str
    site: str
    fetched_at: datetime
    #: The article page that links it, and the link's text (the readable name on TRS sites).
    article_url: Optional[str] = None
    link_text: Optional[str] = None
    body: bytes = field(default=b"", repr=False)
    http_status: Optional[int] = None
    content_type: Optional[str] = None
    content_disposition: Optional[bytes] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    #: Answered 304 to a conditional request: the stored file holds.
    not_modified: bool = False
    #: Set when no file was had: too_large, failed (fetch or HTTP error), skipped (off the site).
    status: Optional[str] = None
    reason: Optional[str] = None
    #: The size the server announced, when the file was refused for it.
    size: Optional[int] = None
    crawl_run_id: Optional[int] = None
