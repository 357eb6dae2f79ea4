"""Attached files in the store, on both backends: one row per distinct file, links that meet
their files in either order, failures kept with their reasons, relations to article bodies."""

from __future__ import annotations

import gzip
import io
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from models import ArticleAttachment, Attachment, AttachmentFile, AttachmentUrl
from models.database import open_store
from pipelines.attachments import read_file
from pipelines.attachments.results import COPY_OF_ARTICLE, FAILED, SAME_AS_BODY, TOO_LARGE
from pipelines.attachments.stage import PreparedAttachment, prepare_attachment
from pipelines.attachments.store import (
    FILE_FAILED,
    FILE_KNOWN,
    FILE_NEW,
    FILE_UNCHANGED,
)
from pipelines.dedup import DedupParams
from pipelines.ingest import Ingestor, encode_entry, prepare_page, text_document
from pipelines.items import ArticleItem, AttachmentItem
from pipelines.store import ArticleStore
from tests.pipelines.policy_texts import SEED_ARTICLE, s2t

FETCHED = datetime(2025, 10, 23, 8, 0, tzinfo=timezone.utc)
NOTICE = ["各市工业和信息化主管部门：",
          "现将《东海省中小企业数字化转型实施方案》印发给你们，请认真贯彻执行。",
          "东海省工业和信息化厅", "2025年10月16日"]
PLAN = [
    "东海省中小企业数字化转型实施方案",
    "一、总体要求。以数字化转型推动中小企业高质量发展，到2027年，全省规模以上工业中小企业"
    "基本实现数字化改造全覆盖，培育省级数字化转型标杆企业三百家以上。",
    "二、重点任务。（一）开展诊断评估，为企业提供免费数字化诊断服务；（二）推广适用技术，"
    "遴选发布一批小快轻准的数字化产品和解决方案；（三）建设公共平台，完善工业互联网服务体系。",
    "三、保障措施。统筹省级专项资金对转型成效明显的企业给予奖补，对服务商按服务企业数量给予支持。",
]


def docx(lines: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def article(url: str, paragraphs: list[str], files: list[tuple[str, str]], site: str = "gxt") -> ArticleItem:
    return ArticleItem(
        url=url, site=site, fetched_at=FETCHED, title="关于印发《东海省中小企业数字化转型实施方案》的通知",
        published_at=date(2025, 10, 16), paragraphs=list(paragraphs),
        attachments=[{"url": u, "title": t} for u, t in files],
    )


def fetched(url: str, body: bytes = b"", **fields: Any) -> AttachmentItem:
    return AttachmentItem(url=url, site=fields.pop("site", "gxt"), fetched_at=FETCHED, body=body,
                          http_status=fields.pop("http_status", 200), **fields)


@pytest.fixture
def ingestor(db_url: str):
    engine = open_store(db_url)
    yield Ingestor(ArticleStore(engine))
    engine.dispose()


def prepared(item: AttachmentItem, store: ArticleStore) -> PreparedAttachment:
    params = DedupParams()
    return prepare_attachment(
        item, read_file, lambda text, script: text_document(text, script, params),
        lambda doc: encode_entry(doc, params), store.has_file,
    )


def store_files(ingestor: Ingestor, *items: AttachmentItem) -> list[str]:
    files = [prepared(item, ingestor.store) for item in items]
    return [result.outcome for result in ingestor.ingest_prepared([], (), files)]


def store_articles(ingestor: Ingestor, *items: ArticleItem) -> list[Any]:
    return ingestor.ingest_prepared([prepare_page(item, ingestor.params) for item in items])


def rows(ingestor: Ingestor, model: Any) -> list[Any]:
    with ingestor.store.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id if hasattr(model, "id") else model.attachment_id)))


PDF_URL = "http://www.gxt.test/zcwj/202510/P020251016398145672310.pdf"
DOCX_URL = "http://www.gxt.test/zcwj/202510/P020251016398145672311.docx"


def test_links_meet_their_files_in_either_order(ingestor: Ingestor) -> None:
    plan = docx(PLAN)
    first = article("http://www.gxt.test/zcwj/t20251016_1.html", NOTICE,
                    [(DOCX_URL, "1. 东海省中小企业数字化转型实施方案")])
    # The article first, then its file.
    store_articles(ingestor, first)
    (link,) = rows(ingestor, ArticleAttachment)
    assert link.attachment_id is None and link.link_text == "1. 东海省中小企业数字化转型实施方案"
    assert store_files(ingestor, fetched(DOCX_URL, plan, link_text=link.link_text)) == [FILE_NEW]
    (link,) = rows(ingestor, ArticleAttachment)
    (file,) = rows(ingestor, Attachment)
    assert link.attachment_id == file.id and link.relation == "attachment"
    assert file.status == "ok" and file.name == "东海省中小企业数字化转型实施方案.docx"
    assert file.text.split("\n")[0] == PLAN[0] and "三百家以上" in file.text
    assert file.size == len(plan) and file.sha256 is not None
    (blob,) = rows(ingestor, AttachmentFile)
    assert gzip.decompress(blob.body_gzip) == plan and blob.dedup_entry is not None

    # The file first (the same bytes on another site), then the article that links it.
    mirror_url = "http://files.other.test/fj/shishi-fangan.docx"
    assert store_files(ingestor, fetched(mirror_url, plan, site="other")) == [FILE_KNOWN]
    second = article("http://www.other.test/zc/2025/1020/77.html", NOTICE[:2] + ["东海日报"],
                     [(mirror_url, "实施方案")], site="other")
    store_articles(ingestor, second)
    assert len(rows(ingestor, Attachment)) == 1  # one file, two URLs, two links
    assert {u.url for u in rows(ingestor, AttachmentUrl)} == {DOCX_URL, mirror_url}
    assert {(link.url, link.attachment_id) for link in rows(ingestor, ArticleAttachment)} == {
        (DOCX_URL, file.id), (mirror_url, file.id)}


def test_failures_are_rows_with_reasons_and_give_way_to_the_file(ingestor: Ingestor) -> None:
    store_articles(ingestor, article("http://www.gxt.test/zcwj/t20251016_2.html", NOTICE,
                                     [(PDF_URL, "申报指南"), (DOCX_URL, "实施方案")]))
    outcomes = store_files(
        ingestor,
        fetched(PDF_URL, http_status=404, status=FAILED, reason="HTTP 404", link_text="申报指南"),
        fetched(DOCX_URL, http_status=200, status=TOO_LARGE, size=80_000_000,
                reason="80000000 bytes, above ATTACHMENT_MAX_BYTES 52428800; not downloaded"),
    )
    assert outcomes == [FILE_FAILED, FILE_FAILED]
    failures = {f.status: f for f in rows(ingestor, Attachment)}
    assert set(failures) == {FAILED, TOO_LARGE}
    assert failures[FAILED].sha256 is None and failures[FAILED].reason == "HTTP 404"
    assert failures[TOO_LARGE].size == 80_000_000 and failures[FAILED].name == "申报指南.pdf"
    assert all(link.attachment_id is not None for link in rows(ingestor, ArticleAttachment))

    # The same URL fails again: still one row for it, updated.
    store_files(ingestor, fetched(PDF_URL, http_status=503, status=FAILED, reason="HTTP 503"))
    assert len(rows(ingestor, Attachment)) == 2
    # Then it serves its file: the failure row has served and goes.
    assert store_files(ingestor, fetched(DOCX_URL, docx(PLAN))) == [FILE_NEW]
    statuses = sorted(f.status for f in rows(ingestor, Attachment))
    assert statuses == [FAILED, "ok"]
    (url_row,) = [u for u in rows(ingestor, AttachmentUrl) if u.url == DOCX_URL]
    ok = next(f for f in rows(ingestor, Attachment) if f.status == "ok")
    assert url_row.attachment_id == ok.id
    assert {l.url: l.attachment_id for l in rows(ingestor, ArticleAttachment)}[DOCX_URL] == ok.id


def test_a_304_keeps_the_file_and_a_failed_recheck_loses_nothing(ingestor: Ingestor) -> None:
    store_files(ingestor, fetched(DOCX_URL, docx(PLAN), etag='"abc"'))
    later = FETCHED + timedelta(days=8)
    not_modified = replace(fetched(DOCX_URL, http_status=304), not_modified=True, fetched_at=later)
    assert store_files(ingestor, not_modified) == [FILE_UNCHANGED]
    (url_row,) = rows(ingestor, AttachmentUrl)
    assert url_row.etag == '"abc"' and url_row.fetched_at.replace(tzinfo=timezone.utc) == later
    store_files(ingestor, fetched(DOCX_URL, http_status=500, status=FAILED, reason="HTTP 500"))
    (file,) = rows(ingestor, Attachment)
    assert file.status == "ok" and file.sha256 is not None


def test_a_file_holding_the_body_is_linked_as_such_and_a_copy_finds_its_article(
    ingestor: Ingestor,
) -> None:
    # A page that prints the policy in full and attaches it as a Word file as well.
    full = article("http://www.gxt.test/zcwj/t20251016_3.html", SEED_ARTICLE,
                   [(DOCX_URL, "全文下载")])
    store_articles(ingestor, full)
    store_files(ingestor, fetched(DOCX_URL, docx(SEED_ARTICLE)))
    (link,) = rows(ingestor, ArticleAttachment)
    assert link.relation == SAME_AS_BODY and link.copy_of_article_id == link.article_id
    assert link.similarity >= 0.9
    # A covering notice elsewhere attaches the same text in Traditional script, as a PDF name:
    # the file is a copy of the stored article, linked to it.
    other_url = "http://www.other.test/files/fangan.docx"
    notice = article("http://www.other.test/zc/1.html", NOTICE, [(other_url, "附件")], site="other")
    store_files(ingestor, fetched(other_url, docx([s2t(line) for line in SEED_ARTICLE]), site="other"))
    store_articles(ingestor, notice)
    by_url = {l.url: l for l in rows(ingestor, ArticleAttachment)}
    assert by_url[other_url].relation == COPY_OF_ARTICLE
    assert by_url[other_url].copy_of_article_id == link.article_id
    traditional = next(f for f in rows(ingestor, Attachment) if f.id == by_url[other_url].attachment_id)
    assert traditional.original_script == "traditional" and SEED_ARTICLE[0][:10] in traditional.text


def test_a_rebuild_finds_the_files_again(ingestor: Ingestor) -> None:
    store_articles(ingestor, article("http://www.gxt.test/zcwj/t20251016_4.html", NOTICE,
                                     [(DOCX_URL, "实施方案")]))
    store_files(ingestor, fetched(DOCX_URL, docx(PLAN)))
    store = ingestor.store
    store.clear_derived()
    assert rows(ingestor, ArticleAttachment) == [] and len(rows(ingestor, Attachment)) == 1
    rebuilt = Ingestor(store)
    store_articles(rebuilt, article("http://www.gxt.test/zcwj/t20251016_4.html", NOTICE,
                                    [(DOCX_URL, "实施方案")]))
    (link,) = rows(rebuilt, ArticleAttachment)
    (file,) = rows(rebuilt, Attachment)
    assert link.attachment_id == file.id
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AttachmentUrl)) == 1
