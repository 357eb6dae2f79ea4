"""Each format read in process: the text each fixture was made from comes back (character
F1 >= 0.99), Chinese intact, structure as lines; the media type from the bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.attachments import FileText, ReadLimits, read_file, sniff_media_type
from pipelines.attachments.text import PrintedLine, clean_text, join_wrapped
from tests.fixtures.attachment_files import SUBSIDY_TABLE, char_f1

# What mojibake of Chinese looks like: GBK bytes read as Latin-1/cp1252, UTF-8 read as GBK
# (锟斤拷 and its kin), replacement characters.
MOJIBAKE = re.compile(r"[ÃÂÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ\ufffd]|锟斤拷|烫烫|屯屯")


def assert_chinese_intact(text: str) -> None:
    assert not MOJIBAKE.search(text), MOJIBAKE.search(text)
    lines = text.splitlines()
    run = 0
    for line in lines:
        run = run + 1 if len(line.strip()) == 1 else 0
        assert run < 3, f"a run of one-character lines in {text[:200]!r}"
    assert "\x00" not in text


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".xlsx", ".ofd", ".zip", ".7z", ".doc", ".wps"])
def test_good_files_read_to_the_text_they_were_made_from(
        good_files: tuple[Path, dict[str, str]], suffix: str, request: pytest.FixtureRequest) -> None:
    if suffix in (".doc", ".wps"):
        request.getfixturevalue("antiword")
    directory, expected = good_files
    assert any(name.endswith(suffix) for name in expected)
    for name, text in expected.items():
        if not name.endswith(suffix):
            continue
        result = read_file((directory / name).read_bytes(), name)
        assert result.status == "ok", result
        assert result.reason is None
        assert char_f1(text, result.text) >= 0.99, (name, result.text)
        assert_chinese_intact(result.text)


def test_pdf_keeps_pages_paragraphs_and_table_rows(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    result = read_file((directory / "P020251016398145672310.pdf").read_bytes(), "申报指南.pdf")
    assert result.media_type == "application/pdf" and result.pages == 2
    lines = result.text.splitlines()
    # The long paragraph was printed over several lines: it comes back as one.
    assert any(line.startswith("为深入贯彻落实") and line.endswith("确保资金规范高效使用。") for line in lines)
    # Headings and table rows stay lines of their own.
    assert "一、总体要求" in lines and "四、申报程序" in lines
    assert " ".join(SUBSIDY_TABLE[1]) in lines


def test_docx_tables_in_document_order_with_tab_separated_cells(
        good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    text = read_file((directory / "shenbaobiao.docx").read_bytes(), "shenbaobiao.docx").text
    lines = text.splitlines()
    assert lines[0].startswith("附件1：")
    assert lines[1] == "企业名称\t长沙市智造科技有限公司\t统一社会信用代码\t91430100MA4L123456"
    assert lines[4].startswith("项目简介\t建设车间")  # a merged cell once
    assert lines[-1].startswith("申报单位（盖章）")


def test_xlsx_sheet_name_lines_then_rows(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    lines = read_file((directory / "zijin-anpai.xlsx").read_bytes(), "a.xlsx").text.splitlines()
    assert lines[0] == "[申报汇总]" and "[资金安排]" in lines
    assert "3\t湘潭电机配件厂\t湘潭市\t首台（套）装备保险补偿\t85.5\t2025-11-03" in lines
    assert "研发投入补助\t3000\t1250\t按季度拨付" in lines


def test_ofd_lines_by_baseline_wrapped_paragraphs_joined(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, expected = good_files
    result = read_file((directory / "tongzhi.ofd").read_bytes(), "tongzhi.ofd")
    assert (result.media_type, result.pages) == ("application/ofd", 2)
    assert result.text.splitlines() == expected["tongzhi.ofd"].splitlines()


def test_zip_members_under_their_names_gbk_decoded(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    result = read_file((directory / "fujian.zip").read_bytes(), "fujian.zip")
    headers = [line for line in result.text.splitlines() if line.startswith("=== ")]
    assert headers == ["=== 附件1：申报表.docx ===", "=== 附件2：信用承诺书.docx ==="]


def test_word97_and_wps_without_a_reader_program_are_no_reader(
        good_files: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    directory, _ = good_files
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine with neither antiword nor LibreOffice
    for name in ("xinyong-chengnuoshu.doc", "P020251016398145672311.wps"):
        result = read_file((directory / name).read_bytes(), name)
        assert (result.status, result.media_type) == ("no_reader", "application/msword")
        assert "apt-get install antiword" in (result.reason or "")


def test_nested_archives_stop_at_depth_two(good_files: tuple[Path, dict[str, str]]) -> None:
    import io
    import zipfile

    directory, _ = good_files
    layer = (directory / "fujian.zip").read_bytes()
    for level in range(3):  # fujian.zip inside three more zips
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(f"level{level}.zip", layer)
        layer = out.getvalue()
    result = read_file(layer, "outer.zip")
    assert result.status == "no_reader"
    assert "level2.zip/level1.zip (no_reader: an archive nested deeper than 2 levels)" in (result.reason or "")
    two_deep = read_file(zipfile_of("a.zip", (directory / "fujian.zip").read_bytes()), "b.zip")
    assert two_deep.status == "ok" and "=== a.zip/附件1：申报表.docx ===" in two_deep.text


def zipfile_of(name: str, data: bytes) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


def test_scan_needs_ocr(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    result = read_file((directory / "scan.pdf").read_bytes(), "scan.pdf")
    assert (result.status, result.text, result.pages) == ("needs_ocr", "", 1)
    assert "no text layer" in (result.reason or "")


def test_media_type_comes_from_the_bytes_and_a_lying_extension_is_said(
        good_files: tuple[Path, dict[str, str]]) -> None:
    directory, expected = good_files
    data = (directory / "shenbaobiao.docx").read_bytes()
    assert sniff_media_type(data, "x.pdf") == sniff_media_type(data) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    result = read_file(data, "P020251016398145672310.pdf")
    assert result.status == "ok" and char_f1(expected["shenbaobiao.docx"], result.text) >= 0.99
    assert result.reason == "extension .pdf but content is DOCX"
    assert sniff_media_type((directory / "zijin-anpai.xlsx").read_bytes()).endswith("spreadsheetml.sheet")
    assert sniff_media_type(b"<!DOCTYPE html><html><title>404</title>") == "text/html"
    assert sniff_media_type(b"\x89PNG\r\n\x1a\n" + bytes(100)) == "image/png"
    assert sniff_media_type(bytes(range(256)) * 4) is None


def test_text_is_cut_at_max_chars_and_the_reason_says_so(good_files: tuple[Path, dict[str, str]]) -> None:
    directory, _ = good_files
    result = read_file((directory / "zijin-anpai.xlsx").read_bytes(), "a.xlsx", ReadLimits(max_chars=40))
    assert result.status == "ok" and len(result.text) == 40
    assert result.reason is not None and "text cut at 40 characters" in result.reason


def test_clean_text_drops_controls_and_keeps_lines() -> None:
    raw = "\u3000\u3000一、总体要求\x00\r\n\r\n为  深入\x07贯彻\x0b落实\t \t党中央\x0c"
    assert clean_text(raw) == "一、总体要求\n为 深入贯彻\n落实\t党中央"


def test_join_wrapped_joins_lines_that_reach_the_margin_only() -> None:
    lines = [
        PrintedLine("一、总体要求", 150.0, 12),
        PrintedLine("为深入贯彻落实党中央、国务院关于促进中小企业", 500.0, 12),
        PrintedLine("发展的决策部署，制定本指南。", 300.0, 12),
        PrintedLine("（一）支持对象为在本省依法注册的中小", 499.0, 12),
        PrintedLine("企业。", 60.0, 12),
        PrintedLine("项目 金额 截止日期和申报的方式及其材料要求", 500.0, 12),
        PrintedLine("研发 50 2025年12月31日", 200.0, 12),
        *(PrintedLine(c, 20.0, 12) for c in "附件清单"),
    ]
    assert join_wrapped(lines) == [
        "一、总体要求",
        "为深入贯彻落实党中央、国务院关于促进中小企业发展的决策部署，制定本指南。",
        "（一）支持对象为在本省依法注册的中小企业。",
        "项目 金额 截止日期和申报的方式及其材料要求",
        "研发 50 2025年12月31日",
        "附件清单",
    ]


def test_pdf_paragraph_ending_in_a_full_stop_short_of_the_margin_is_not_joined() -> None:
    """A paragraph's last line ending in 。 two characters short of the right edge ends the
    paragraph (Chinese fonts ink 。 in the left third of its box), whichever fonts the machine
    has: the PDF names STSong-Light without embedding it."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    size = 11
    per_line = int((A4[0] - 2 * inch - 12) // size)  # the default frame, less its padding
    words = "推进数字经济与实体经济深度融合加快建设现代化产业体系支持中小企业专精特新发展" * 8
    paragraphs = [
        words[: 2 * per_line - 3] + "。",  # the second line two characters short of the edge
        "二是" + words[5:70] + "。",
        words[9: per_line + 12] + "。",
        "三是完善政策体系。",
    ]
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=size, leading=18, wordWrap="CJK")
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([Paragraph(p, style) for p in paragraphs])
    result = read_file(out.getvalue(), "tongzhi.pdf")
    assert result.status == "ok", result.reason
    assert result.text.splitlines() == paragraphs


def test_a_result_is_a_plain_frozen_record() -> None:
    result = FileText("ok", None, "text/plain", "正文", None)
    with pytest.raises(AttributeError):
        result.text = "x"  # type: ignore[misc]
    assert read_file("通知正文".encode("gb18030"), "a.txt").text == "通知正文"
