"""What the extractor returns for one page: plain dataclasses, no behaviour beyond serialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pipelines.items import POLICY_FIELDS, PolicyMetadata

PageKind = Literal["article", "list", "other"]
# Where a page's publication date came from: a <meta> tag, JSON-LD, the byline next to the
# title or the source, another place in the visible text, the URL.
DateSource = Literal["meta", "structured", "byline", "text", "url"]


@dataclass(frozen=True)
class Attachment:
    url: str  # absolute
    title: str | None


@dataclass(frozen=True)
class Removal:
    """A piece of content cut from the page, kept as evidence for the spam stage and audits."""

    kind: str  # hidden_block, link_farm, repeated_body, info_table; the pipelines add their own
    content: str
    detail: str | None = None




@dataclass
class ExtractedPage(PolicyMetadata):
    url: str
    encoding: str | None = None
    page_kind: PageKind = "other"
    article_score: float = 0.0  # 0..1: how much this looks like one article page
    title: str | None = None
    title_raw: str | None = None  # the <title> text as served
    published_at: datetime | date | None = None  # naive Beijing time; a date when no time shown
    published_at_source: DateSource | None = None
    source: str | None = None
    site_name: str | None = None  # the display name the page gives its own site
    author: str | None = None
    author_unit: str | None = None
    editor: str | None = None
    column_path: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    signals: dict[str, object] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    parser: str = "generic"  # name/version of the parser that produced this record

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO 8601)."""
        data = asdict(self)
        for name in ("published_at", "written_at", "effective_at"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat()
        return data
