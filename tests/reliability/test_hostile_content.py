"""Hostile content: the stored body_html is sanitised, at the extractor and after a real crawl.

No script, style, iframe, object/embed, form, svg/math; no on* event handlers, no style
attributes at all (so no expression()), no javascript:/vbscript:/data: URLs in any attribute.
"""

from __future__ import annotations

import re
from datetime import UTC

import lxml.html
import pytest
from sqlalchemy import select

from crawler.extractors import extract
from crawler.items import item_from_page
from models import Article
from pipelines.clean import clean_item
from tests.reliability.conftest import HostileCrawl
from tests.support.faults import PAGES, article_html, article_paragraphs

FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
                  "input", "button", "svg", "math", "link", "meta", "base", "noscript", "template"}
_BAD_URL = re.compile(r"^\s*(?:javascript|vbscript|data|livescript|mocha):", re.IGNORECASE)


def assert_sanitised(body_html: str) -> None:
    assert body_html, "no body HTML"
    low = body_html.lower()
    # A "<" in serialised HTML opens a tag (text holds "&lt;"); escaped text may say anything.
    for marker in ("<script", "<style", "<iframe", "<object", "<embed", "<svg", "<math", "<form"):
        assert marker not in low, marker
    fragment = lxml.html.fragment_fromstring(body_html, create_parent="div")
    for el in fragment.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in FORBIDDEN_TAGS, el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            assert name.lower() != "style", (el.tag, value)
            assert not _BAD_URL.match(value or ""), (el.tag, name, value)
            assert not (value or "").lower().lstrip().startswith("data:"), (el.tag, name)


HOSTILE_SNIPPETS = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=http://x.test/x.js></SCRIPT>',
    '<scr<script>ipt>alert(1)</script>',
    '<style>p{color:red}</style><p style="width:expression(alert(1));color:red">样式</p>',
    '<iframe src="http://x.test/"></iframe><frameset><frame src="x"></frameset>',
    '<object data="x.swf"><param name=a value=b></object><embed src="y.swf"><applet code="z"></applet>',
    '<p onclick="alert(1)" ONMOUSEOVER="alert(2)" onfocus=alert(3)>事件</p>',
    ('<a href="javascript:alert(1)">一</a><a href="JaVaScRiPt:alert(1)">二</a>'
    '<a href=" javascript:alert(1)">三</a><a href="java&#x09;script:alert(1)">四</a>'
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">五</a>'),
    '<a href="vbscript:msgbox(1)">六</a><a href="data:text/html;base64,PHNjcmlwdD4=">七</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=" onerror="alert(1)"><img src=x onerror=alert(1)>',
    '<svg onload="alert(1)"><script>alert(2)</script></svg><math><mtext><style>x</style></mtext></math>',
    '<form action="http://x.test/"><input name=q><button>提交</button></form>',
    '<base href="javascript:alert(1)//"><link rel=stylesheet href="javascript:x">',
    '<div style="background:url(javascript:alert(1))">背景</div><font style="behavior:url(x.htc)">字</font>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">x</p></noscript>',
    '<!--[if gte IE 4]><script>alert(1)</script><![endif]--><p>注释之后</p>',
    '<table background="javascript:alert(1)"><tr><td background="javascript:alert(2)">表格</td></tr></table>',
    '<a href="http://x.test/" target="_blank" rel="opener">外链</a><p><img src="/ok.png" alt="图"></p>',
]


@pytest.mark.parametrize("snippet", HOSTILE_SNIPPETS)
def test_extractor_body_html_is_sanitised(snippet: str) -> None:
    paragraphs = article_paragraphs(60)
    html = article_html(60, body_extra=snippet, paragraphs=paragraphs)
    page = extract(html.encode("utf-8"), "http://www.hostile.test/a/2025/1001/60.html")
    assert page.page_kind == "article"
    assert_sanitised(page.body_html)
    assert paragraphs[0][:20] in page.body_html  # the article itself survived
    cleaned = clean_item(item_from_page(page, site="hostile", fetched_at=page_time())).item
    assert_sanitised(cleaned.body_html or "")


def test_every_snippet_at_once_and_safe_markup_kept() -> None:
    html = article_html(61, body_extra="".join(HOSTILE_SNIPPETS))
    page = extract(html.encode("utf-8"), "http://www.hostile.test/a/2025/1001/61.html")
    assert_sanitised(page.body_html)
    fragment = lxml.html.fragment_fromstring(page.body_html, create_parent="div")
    assert fragment.find(".//p") is not None
    assert any(a.get("href", "").startswith("http") for a in fragment.iter("a"))
    assert any(img.get("src") == "http://www.hostile.test/ok.png" for img in fragment.iter("img"))


def test_stored_body_html_is_sanitised_after_a_real_crawl(hostile_crawl: HostileCrawl) -> None:
    with hostile_crawl.engine.connect() as conn:
        rows = conn.execute(select(Article.url, Article.body_html)).all()
    assert rows
    hostile = next(p for p in PAGES if p.name == "hostile_content")
    by_url = dict(rows)
    assert hostile.url in by_url
    for url, body_html in rows:
        assert_sanitised(body_html)
    assert "/images/map.png" in by_url[hostile.url]  # safe markup is kept


def page_time():
    from datetime import datetime

    return datetime(2025, 11, 1, tzinfo=UTC)
