"""Attached files' names and text relations: the pure core of pipelines/attachments/stage.py."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from pipelines.attachments.stage import (
    attachment_name,
    disposition_filename,
    file_text,
    link_names_a_file,
    text_relation,
    url_filename,
)
from pipelines.dedup import DedupParams
from pipelines.ingest import encode_entry, text_document
from pipelines.normalize import normalize_text
from tests.pipelines.policy_texts import SEED_ARTICLE, s2t

TRS = "http://www.gxt-gov.test/zwgk/zcwj/202510/P020251016398145672310.pdf"
NAME = "关于印发《东海省中小企业数字化转型实施方案》的通知.pdf"


@pytest.mark.parametrize(("header", "expected"), [
    # RFC 5987 / 6266: UTF-8, percent-encoded, preferred over the plain fallback.
    (f"attachment; filename=\"fallback.pdf\"; filename*=UTF-8''{quote(NAME)}".encode(), NAME),
    # GBK bytes in a plain filename (what many Chinese servers send).
    (b'attachment; filename="' + "申报表.xlsx".encode("gbk") + b'"', "申报表.xlsx"),
    # UTF-8 bytes in a plain filename.
    (b'attachment; filename="' + "信用承诺书.docx".encode("utf-8") + b'"', "信用承诺书.docx"),
    # Percent-encoded UTF-8 in a plain filename (Java and IIS servers).
    (f'attachment;filename={quote("实施方案.pdf")}'.encode(), "实施方案.pdf"),
    # An RFC 5987 value in GBK.
    (b"attachment; filename*=GBK''" + quote("汇总表.xls", encoding="gbk").encode(), "汇总表.xls"),
    (b"inline", None),
    (None, None),
])
def test_content_disposition_names_are_decoded(header: bytes | None, expected: str | None) -> None:
    assert disposition_filename(header) == expected


def test_a_path_in_a_disposition_name_keeps_the_file_name_only() -> None:
    assert disposition_filename(b'attachment; filename="C:\\\\upload\\\\2025\\\\plan.pdf"') == "plan.pdf"


@pytest.mark.parametrize(("text", "names"), [
    ("关于印发《东海省中小企业数字化转型实施方案》的通知.pdf", True),
    ("附件1：2025年度专项资金申报表", True),
    ("1. 信用承诺书.docx", True),
    ("下载", False), ("附件：", False), ("点击下载", False), ("PDF", False), ("全文下载", False),
    ("下载附件", False), ("PDF版", False), ("", False), (None, False),
])
def test_link_text_names_a_file_or_only_points_at_one(text: str | None, names: bool) -> None:
    assert link_names_a_file(text) is names


def test_trs_files_take_the_link_text_as_their_name() -> None:
    assert attachment_name(TRS, "附件1：关于印发《东海省中小企业数字化转型实施方案》的通知") == NAME
    assert attachment_name(TRS, NAME) == NAME  # an extension given is not doubled
    assert attachment_name(TRS, "下载") == "P020251016398145672310.pdf"
    assert attachment_name(TRS, None) == "P020251016398145672310.pdf"


def test_a_readable_disposition_name_wins_over_the_link_text() -> None:
    header = f"attachment; filename*=UTF-8''{quote('申报指南.pdf')}".encode()
    assert attachment_name(TRS, "点击下载附件一", header) == "申报指南.pdf"
    # A disposition that repeats the URL's code name says nothing the link text does not.
    code = b'attachment; filename="P020251016398145672310.pdf"'
    assert attachment_name(TRS, "申报指南", code) == "申报指南.pdf"


def test_url_file_names_are_percent_decoded() -> None:
    assert url_filename("http://x.test/files/%E7%94%B3%E6%8A%A5%E8%A1%A8.xlsx?v=2") == "申报表.xlsx"
    assert url_filename("http://x.test/files/" + quote("汇总.xls", encoding="gbk")) == "汇总.xls"
    assert url_filename("http://x.test/") is None


def test_file_text_is_normalised_as_bodies_are() -> None:
    traditional = "\n".join(s2t(line) for line in SEED_ARTICLE[:5])
    text, script = file_text(traditional + "\n\n   \n")
    assert script == "traditional"
    assert text.split("\n") == [normalize_text(line) for line in SEED_ARTICLE[:5]]


def _entry(lines: list[str]) -> bytes:
    params = DedupParams()
    text, script = file_text("\n".join(lines))
    return encode_entry(text_document(text, script, params), params)


def test_a_file_holding_the_body_again_is_the_same_text() -> None:
    params = DedupParams()
    body = _entry(SEED_ARTICLE)
    assert text_relation(body, _entry(SEED_ARTICLE), params) == 1.0
    # The same text in Traditional script, with the file's own heading line.
    mirror = _entry(["附件", *(s2t(line) for line in SEED_ARTICLE)])
    assert text_relation(body, mirror, params) >= 0.9
    # Half of the body (a notice quoting its policy's first half) is contained in the policy.
    assert text_relation(_entry(SEED_ARTICLE[: len(SEED_ARTICLE) // 2]), body, params) >= 0.9


def test_other_texts_and_missing_entries_are_not_the_same() -> None:
    params = DedupParams()
    first, second = SEED_ARTICLE[: len(SEED_ARTICLE) // 2], SEED_ARTICLE[len(SEED_ARTICLE) // 2 :]
    assert text_relation(_entry(first), _entry(second), params) is None
    assert text_relation(None, _entry(first), params) is None
    # A short covering notice and its long attachment: different texts.
    notice = _entry(["现将《东海省中小企业数字化转型实施方案》印发给你们，请认真贯彻执行。"])
    assert text_relation(notice, _entry(SEED_ARTICLE), params) is None
