"""decode_html: every charset trap of the Chinese policy web (docs/web.md, charsets)."""

from __future__ import annotations

import codecs

import pytest

from crawler.extractors.encoding import decode_html, looks_like_mojibake, normalize_charset

TEXT = "省工业和信息化厅副厅长陈堃、朱镕基同志讲话。专精特新中小企业加快颠覆式创新的困境和突破路径，推动产业高质量发展。"


def page(charset_meta: str | None, text: str = TEXT, title: str = "标题") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}" />' if charset_meta else ""
    return f"<html><head>{meta}<title>{title}</title></head><body><div class='TRS_Editor'><p>{text}</p></div></body></html>"


def test_gbk_only_characters_in_gb2312_declared_page_decode_as_gb18030() -> None:
    body = page("gb2312").encode("gbk")  # 堃 and 镕 are outside GB2312
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")
    result = decode_html(body, "gb2312")
    assert result.encoding == "gb18030"
    assert "陈堃" in result.text and "朱镕基" in result.text
    assert result.declared == "gb2312"


def test_meta_only_declaration_is_used() -> None:
    result = decode_html(page("GBK").encode("gbk"))
    assert result.encoding == "gb18030"
    assert TEXT in result.text
    assert "meta" in result.evidence


def test_html5_meta_charset() -> None:
    html = f'<html><head><meta charset="gb2312"><title>x</title></head><body><p>{TEXT}</p></body></html>'
    assert TEXT in decode_html(html.encode("gbk")).text


def test_no_declaration_gbk_bytes_detected() -> None:
    result = decode_html(page(None).encode("gbk"))
    assert result.encoding == "gb18030"
    assert TEXT in result.text
    assert "detected" in result.evidence


def test_utf8_bytes_declared_gb2312_are_utf8() -> None:
    result = decode_html(page("gb2312").encode("utf-8"), "gb2312")
    assert result.encoding == "utf-8"
    assert TEXT in result.text
    assert "although" in result.evidence


def test_utf8_bom_wins() -> None:
    result = decode_html(codecs.BOM_UTF8 + page("gbk").encode("utf-8"), "gbk")
    assert result.encoding == "utf-8"
    assert result.confidence == "certain"
    assert not result.text.startswith("\ufeff")
    assert TEXT in result.text


def test_utf16_bom() -> None:
    result = decode_html(page("utf-16").encode("utf-16"))
    assert TEXT in result.text


@pytest.mark.parametrize("header", ["ISO-8859-1", "iso-8859-1", "windows-1252", "us-ascii"])
def test_latin1_header_on_gbk_bytes_gives_no_mojibake(header: str) -> None:
    result = decode_html(page(None).encode("gbk"), header)
    assert TEXT in result.text
    assert not looks_like_mojibake(result.text)


def test_latin1_header_on_utf8_bytes() -> None:
    result = decode_html(page(None).encode("utf-8"), "ISO-8859-1")
    assert result.encoding == "utf-8"
    assert TEXT in result.text


def test_double_decoded_page_is_repaired() -> None:
    # A client read UTF-8 bytes as Latin-1 and saved the result as UTF-8.
    mangled = page("utf-8").encode("utf-8").decode("latin-1").encode("utf-8")
    result = decode_html(mangled)
    assert TEXT in result.text


def test_big5_page() -> None:
    trad = "專精特新中小企業加快顛覆式創新的困境和突破路徑，來源：高新院。發佈時間：2025年10月22日。這是國家的政策。"
    result = decode_html(page("big5", trad, "標題").encode("big5"))
    assert trad in result.text


def test_pure_ascii() -> None:
    result = decode_html(b"<html><body>&#x4E2D;&#x6587;</body></html>")
    assert result.confidence == "high"
    assert "&#x4E2D;" in result.text


def test_corrupt_gbk_bytes_are_replaced_not_raised() -> None:
    body = page("gbk").encode("gbk")
    broken = body[:200] + b"\xff\xfe\x81" + body[200:]
    result = decode_html(broken, "gbk")
    assert "推动产业高质量发展" in result.text


@pytest.mark.parametrize("body", [b"", b"\x00" * 10, bytes(range(256)) * 3, b"\x81" * 1000, "x".encode()])
def test_never_raises(body: bytes) -> None:
    result = decode_html(body, "no-such-charset")
    assert isinstance(result.text, str)


def test_normalize_charset_aliases() -> None:
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("gb_2312-80") == "gb18030"
    assert normalize_charset("x-gbk") == "gb18030"
    assert normalize_charset("cp936") == "gb18030"
    assert normalize_charset("UTF8") == "utf-8"
    assert normalize_charset("big5") == "big5hkscs"
    assert normalize_charset("bogus") is None
    assert normalize_charset(None) is None


def test_looks_like_mojibake() -> None:
    assert looks_like_mojibake(TEXT.encode("utf-8").decode("latin-1"))
    assert looks_like_mojibake(TEXT.encode("gbk").decode("latin-1"))
    assert looks_like_mojibake(TEXT.encode("utf-8").decode("gb18030", "replace"))
    assert not looks_like_mojibake(TEXT)
    assert not looks_like_mojibake("Plain English text, café and naïve.")
    assert not looks_like_mojibake("")


def test_charset_of_content_type() -> None:
    from crawler.extractors import charset_of_content_type

    assert charset_of_content_type("text/html; charset=gb2312") == "gb2312"
    assert charset_of_content_type('text/html;Charset="UTF-8"') == "UTF-8"
    assert charset_of_content_type("text/html") is None
    assert charset_of_content_type(None) is None
