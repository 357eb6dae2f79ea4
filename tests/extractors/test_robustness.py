"""The extractor never raises: random bytes, mutated HTML, pathological nesting."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extractors import ExtractedPage, decode_html, extract, find_dates, parse_date

SAMPLE = """<html><head><meta charset="gb2312"><title>标题-栏目_站名</title></head><body>
<div class="place">当前位置：<a href="/">首页</a> &gt; <a href="/a/">新闻</a></div><h1>标题</h1>
<div class="info">来源：新华社 发布时间：2025-10-22 09:30 作者：张三</div>
<div class="TRS_Editor"><p>第一段，内容。</p><p style="display:none"><a href="http://x.test/">百家乐</a></p>
<table><tr><td>甲</td><td>乙</td></tr></table><p>(责任编辑：李四)</p></div>
<script>document.write("\\u003cdiv style=\\u0022display:none\\u0022\\u003e");createPageHTML(2,0,"t1","html");</script>
</body></html>"""
# FUZZ_EXAMPLES=2000 for a longer local run.
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(page: ExtractedPage) -> None:
    signals = page.signals
    assert "extract_error" not in signals, signals.get("extract_error")


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes(body: bytes) -> None:
    check(extract(body, "http://x.test/a/2025/1022/1.html"))


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from([None, "gb2312", "utf-8", "iso-8859-1", "bogus", ""]))
def test_decode_random_bytes(body: bytes, declared: str | None) -> None:
    assert isinstance(decode_html(body, declared).text, str)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE)), st.integers(0, 40), st.text(max_size=12)), max_size=8))
def test_mutated_html(edits: list[tuple[int, int, str]]) -> None:
    html = SAMPLE
    for pos, cut, insert in edits:
        html = html[:pos] + insert + html[pos + cut:]
    check(extract(html.encode("gb18030", "replace"), "http://x.test/t20251022_1.html"))


@SETTINGS
@given(st.text(max_size=200))
def test_dates_never_raise(text: str) -> None:
    parse_date(text)
    find_dates(text)


@SETTINGS
@given(st.text(alphabet="<>/=\"' abcdiv pa的。：:来源日期2025-10-", max_size=500), st.text(max_size=50))
def test_tag_soup_and_odd_urls(html: str, url: str) -> None:
    check(extract(html.encode("utf-8"), url))


def test_deep_nesting() -> None:
    html = "<div>" * 5000 + "正文，内容。" * 50 + "</div>" * 5000
    check(extract(html.encode("utf-8"), "http://x.test/1.html"))


def test_empty_and_whitespace() -> None:
    for body in (b"", b"   ", b"<html></html>", b"<?xml version='1.0' encoding='gbk'?><html><body>x</body></html>", b"\x00\x00"):
        check(extract(body, ""))


def test_a_page_url_that_cannot_be_split_is_read_as_no_url() -> None:
    """`//：` (found by hypothesis): its host is invalid under NFKC and urlsplit raises."""
    for url in ("//：", "http://[::1", "http://a：b.test/1.html"):
        check(extract("<div>来源：东海日报 2025-10-12</div><p>正文内容，测试。</p>".encode(), url))
