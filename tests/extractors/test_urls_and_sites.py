"""classify_url heuristics and the per-site parser registry (selectors, versions)."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.extractors import (
    AchieMobileParserV1,
    AchieParserV1,
    GenericParser,
    classify_url,
    extract,
    parser_for,
)
from crawler.extractors.sites import VersionedSiteParser


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://www.achie.org/a/chanye/2025/1022/123.html", "article"),
        ("http://www.achie.org/a/chanye/2025/1022/123_2.html", "article"),
        ("http://www.gov.cn/zwgk/zcjd/202510/t20251022_693227.html", "article"),
        ("http://www.gov.cn/zwgk/zcjd/202510/t20251022_693227_1.shtml", "article"),
        ("http://www.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html", "article"),
        ("http://www.gov.cn/zhengce/content/2025-10/22/content_7044521.htm", "article"),
        ("http://www.phpcms.test/index.php?m=content&c=index&a=show&catid=9&id=88", "article"),
        ("http://news.portal.test/news/show-1188.html", "article"),
        ("http://www.achie.org/m/view.php?aid=123", "article"),
        ("http://www.achie.org/a/chanye/list_3_2.html", "list"),
        ("http://www.achie.org/a/chanye/index.html", "list"),
        ("http://www.gov.cn/zwgk/index_1.html", "list"),
        ("http://www.zj.gov.cn/col/col1621004/index.html", "list"),
        ("http://www.phpcms.test/html/zcfg/2.html", "list"),
        ("http://www.phpcms.test/index.php?m=content&c=index&a=lists&catid=9", "list"),
        ("http://www.achie.org/plus/list.php?tid=3", "list"),
        ("http://www.achie.org/a/chanye/", "list"),
        ("http://www.example.test/about.html", "unknown"),
        ("not a url", "unknown"),
    ],
)
def test_classify_url(url: str, kind: str) -> None:
    assert classify_url(url) == kind


ACHIE_HTML = """<html><head><meta charset="utf-8"><title>工业互联网赋能制造业数字化转型的实践路径_产业规划_高新院</title></head>
<body><div class="place">当前位置: <a href='/'>主页</a> &gt; <a href='/a/'>新闻中心</a> &gt; <a href='/a/chanye/'>产业规划</a> &gt;</div>
<div class="title"><h2>工业互联网赋能制造业数字化转型的实践路径</h2></div>
<div class="info"><small>来源:</small>高新院 achie.org <small>作者:</small>陈思远 <small>日期:</small>2025-11-05 <small>点击:</small></div>
<div class="content"><p>工业互联网是新一代信息技术与制造业深度融合的产物，是实现产业数字化、网络化、智能化发展的重要基础设施。</p>
<p>经过多年发展，我国工业互联网已从概念普及走向实践深耕，网络、平台、安全三大体系基本建成。</p></div></body></html>"""
URL = "http://www.achie.org/a/chanye/2025/1105/456.html"


def test_parser_for_unknown_site_is_generic() -> None:
    parser = parser_for("no-such-site")
    assert type(parser) is GenericParser
    assert type(parser_for(None)) is GenericParser


def test_achie_dispatches_by_layout() -> None:
    parser = parser_for("achie")
    assert isinstance(parser, VersionedSiteParser)
    page = parser.parse(ACHIE_HTML, URL)
    assert page.parser == "achie/v1"
    assert page.title == "工业互联网赋能制造业数字化转型的实践路径"
    assert page.author == "陈思远" and page.published_at == date(2025, 11, 5)
    assert page.column_path == "新闻中心 > 产业规划"


def test_achie_mobile_layout() -> None:
    html = """<html><head><title>标题_高新院</title></head><body><h1 class="am-article-title blog-title">工业互联网赋能制造业数字化转型</h1>
<p class="am-article-meta"><span>2025-11-05</span> 来源:<span>高新院 achie.org</span> 点击:</p>
<div class="am-article-bd blog-content"><p>工业互联网是新一代信息技术与制造业深度融合的产物，是实现产业数字化、网络化、智能化发展的重要基础设施。</p></div></body></html>"""
    page = parser_for("achie").parse(html, "http://www.achie.org/m/view.php?aid=456")
    assert page.parser == "achie-mobile/vm1"
    assert page.title == "工业互联网赋能制造业数字化转型"
    assert page.source == "高新院 achie.org"
    assert page.published_at == date(2025, 11, 5)


def test_explicit_version() -> None:
    assert type(parser_for("achie", version="1")) is AchieParserV1
    assert type(parser_for("achie", version="AchieMobileParserV1")) is AchieMobileParserV1
    with pytest.raises(ValueError, match="no parser version"):
        parser_for("achie", version="9")


def test_registry_selectors_css_and_xpath() -> None:
    html = """<html><head><title>站名</title></head><body>
<div class="hd"><span class="tt">真正的标题在这里</span><em class="when">发布于 2025年3月4日</em><i id="src">来源：某某日报</i></div>
<div class="main-text"><p>这是正文第一段，内容足够长，用来确保正文提取能够正常工作并通过测试。</p><p>这是正文第二段，同样包含中文标点符号。</p></div>
<div class="crumb-x">首页 / 新闻 / 地方动态</div></body></html>"""
    selectors = {
        "title": "span.tt",
        "published_at": "//em[@class='when']/text()",
        "source": "#src",
        "column_path": "div.crumb-x",
        "body": "(//div[@class='main-text'])[1]",
    }
    page = parser_for("unknown-cms", selectors).parse(html, "http://x.test/a/1.html")
    assert page.title == "真正的标题在这里"
    assert page.published_at == date(2025, 3, 4)
    assert page.source == "某某日报"
    assert page.column_path == "新闻 > 地方动态"
    assert page.paragraphs[0].startswith("这是正文第一段")


def test_bad_selector_falls_back_to_generic() -> None:
    page = parser_for(None, {"title": "div[[[", "body": "//*[bad xpath"}).parse(ACHIE_HTML, URL)
    assert "extract_error" not in page.signals
    assert page.title == "工业互联网赋能制造业数字化转型的实践路径"


def test_extract_with_site() -> None:
    page = extract(ACHIE_HTML.encode("utf-8"), URL, site="achie")
    assert page.parser == "achie/v1" and page.encoding == "utf-8"
