"""SQLAlchemy 2 models of the store and the one module that opens it (`models.database`)."""

from models.base import Base
from models.tables import (
    Article,
    ArticleAttachment,
    ArticleCopy,
    Attachment,
    AttachmentFile,
    AttachmentUrl,
    ArticleLink,
    CrawlRun,
    DedupEntry,
    ParagraphCount,
    RawPage,
    RejectedPage,
    Removal,
)

__all__ = [
    "Base", "Article", "ArticleAttachment", "ArticleCopy", "Attachment", "AttachmentFile",
    "AttachmentUrl", "ArticleLink", "CrawlRun", "DedupEntry", "ParagraphCount",
    "RawPage", "RejectedPage", "Removal",
]
