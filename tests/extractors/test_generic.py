"""GenericParser on small, realistic pages: one test per behaviour of the extractor."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.extractors import GenericParser, extract
from crawler.extractors.page import ExtractedPage
from crawler.items import item_from_page
from pipelines.clean import clean_item
from pipelines.normalize import normalize_text
from pipelines.spam.title import injected_title_segments

P1 = "近日，工业和信息化部会同有关部门召开新能源汽车产业发展推进会，总结产业发展成效，部署下一阶段重点任务。"
P2 = "会议指出，我国新能源汽车产业已由政策驱动转向市场驱动，正处于规模化、全球化发展的关键时期，要坚持创新驱动。"
P3 = "会议强调，要着力提升产业链供应链韧性和安全水平，加快关键技术攻关，推进整车企业与零部件企业协同发展。"
P4 = "在应用推广方面，会议提出继续开展新能源汽车下乡活动，加快县域充换电设施补短板，推动公共领域车辆电动化。"
PARAS = [P1, P2, P3, P4]
TITLE = "新能源汽车产业迈入规模化发展新阶段"

SIDEBAR = """<div class="pright"><dl class="tbox"><dt><strong>热门文章</strong></dt><dd><ul>
<li><a href="/a/1.html">专精特新中小企业加快颠覆式创新</a></li><li><a href="/a/2.html">工业互联网赋能制造业数字化转型</a></li>
<li><a href="/a/3.html">数字经济核心产业发展态势与政策</a></li><li><a href="/a/4.html">绿色工厂梯度培育及管理要点解读</a></li>
</ul></dd></dl></div>"""
FOOTER = """<div class="footer"><p>Copyright &copy; 2012-2025 高新院 版权所有</p>
<p>地址：北京市海淀区中关村南大街甲18号 电话：010-68150000 <a href="http://beian.miit.gov.cn/">京ICP备12034567号-1</a></p></div>"""


def dede_page(paras: list[str] = PARAS, *, title_tag: str | None = None, info: str | None = None,
              extra_body: str = "", after_body: str = "", head: str = "", mobile: bool = False) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    info = info if info is not None else '<small>来源:</small>工业和信息化部 <small>作者:</small>张三 <small>日期:</small>2025-10-20 <small>点击:</small><script src="/plus/count.php?view=yes&aid=121"></script>'
    mobile_html = ""
    if mobile:
        mobile_html = f"""<div class="m-view"><h1 class="am-article-title">{TITLE}</h1>
<p class="am-article-meta"><span>2025-10-20</span> 来源:<span>工业和信息化部</span> 点击:</p>
<div class="am-article-bd blog-content">{body}</div></div>"""
    return f"""<html><head><meta charset="utf-8"><title>{title_tag or TITLE + "_产业规划_高新院"}</title>{head}</head>
<body><div class="header"><ul id="navMenu"><li><a href="/">主页</a></li><li><a href="/a/">新闻中心</a></li><li><a href="/a/chanye/">产业规划</a></li></ul></div>
<div class="pleft"><div class="place"><strong>当前位置:</strong> <a href='/'>主页</a> &gt; <a href='/a/'>新闻中心</a> &gt; <a href='/a/chanye/'>产业规划</a> &gt; </div>
<div class="viewbox"><div class="title"><h2>{TITLE}</h2></div><div class="info">{info}</div>
<div class="content"><table width="100%"><tr><td>
{body}{extra_body}
</td></tr></table></div>{after_body}
<div class="handle"><ul><li>上一篇：<a href="/a/chanye/120.html">工业互联网赋能制造业数字化转型的实践路径</a></li><li>下一篇：没有了</li></ul></div>
</div></div>{SIDEBAR}{mobile_html}{FOOTER}</body></html>"""


URL = "http://www.achie.test/a/chanye/2025/1020/121.html"


def parse(html: str, url: str = URL) -> ExtractedPage:
    page = GenericParser().parse(html, url)
    assert "extract_error" not in page.signals, page.signals.get("extract_error")
    return page


# --- body and metadata -------------------------------------------------------------------------

def test_dedecms_article() -> None:
    page = parse(dede_page(extra_body="<br />\n(责任编辑：李娜)"))
    assert page.page_kind == "article"
    assert page.title == TITLE
    assert page.title_raw == TITLE + "_产业规划_高新院"
    assert page.paragraphs == PARAS
    assert page.body_text == "\n".join(PARAS)
    assert page.published_at == date(2025, 10, 20)
    assert page.source == "工业和信息化部"
    assert page.author == "张三"
    assert page.editor == "李娜"
    assert page.column_path == "新闻中心 > 产业规划"
    assert page.article_score > 0.5
    assert not page.removals


def test_author_unit_line_leaves_body() -> None:
    unit = "作者单位:张雷,中国工信出版传媒集团华信研究院;庞贝贝,北京联合大学管理学院"
    page = parse(dede_page(extra_body=f"<p>{unit}</p>"))
    assert page.author_unit == "张雷,中国工信出版传媒集团华信研究院;庞贝贝,北京联合大学管理学院"
    assert page.paragraphs == PARAS


def test_dedecms_placeholders_give_none() -> None:
    info = "<small>来源:</small>未知 <small>作者:</small>admin <small>日期:</small>2025-10-24 <small>点击:</small>"
    page = parse(dede_page(info=info))
    assert page.source is None and page.author is None
    assert page.published_at == date(2025, 10, 24)


def test_traditional_labels() -> None:
    trad = ["近日，工業和信息化部會同有關部門召開新能源汽車產業發展推進會，總結產業發展成效，部署下一階段重點任務。",
            "會議指出，我國新能源汽車產業已由政策驅動轉向市場驅動，正處於規模化、全球化發展的關鍵時期，要堅持創新驅動。"]
    html = dede_page(trad, info="來源:高新院 achie.org 發佈時間:2025-10-22 09:30 點擊:", extra_body="<br/>(責任編輯：李娜)")
    html = html.replace("当前位置:", "當前位置:").replace(">主页<", ">主頁<")
    page = parse(html)
    assert page.source == "高新院 achie.org"
    assert page.published_at == datetime(2025, 10, 22, 9, 30)
    assert page.editor == "李娜"
    assert page.column_path == "新闻中心 > 产业规划"
    assert page.paragraphs == trad


def test_trs_gov_article_with_meta_tags_and_tools() -> None:
    html = f"""<html><head><meta charset="utf-8"><meta name="SiteName" content="东海省工业和信息化厅">
<meta name="ColumnName" content="政策解读"><meta name="ArticleTitle" content="{TITLE}">
<meta name="PubDate" content="2025-10-22 10:15"><meta name="ContentSource" content="东海省工业和信息化厅">
<title>{TITLE}_东海省工业和信息化厅</title></head><body>
<div class="nav"><ul><li><a href="/">首页</a><div class="subnav" style="display:none;"><a href="/zwgk/zcwj/">政策文件</a><a href="/zwgk/zcjd/">政策解读</a></div></li></ul></div>
<div class="position">当前位置：<a href="../../../">首页</a>&nbsp;&gt;&nbsp;<a href="../../">政务公开</a>&nbsp;&gt;&nbsp;<a href="../">政策解读</a></div>
<div class="article-box"><h1 class="article-title">{TITLE}</h1>
<div class="article-info"><span>发布时间：2025年10月22日</span><span>来源：东海省工业和信息化厅</span>
<span>字号：[<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>]</span></div>
<div class="article-con" id="zoom"><div class="TRS_Editor"><style>.TRS_Editor P{{line-height:2}}</style>
{"".join(f'<p style="text-indent: 2em;">{p}</p>' for p in PARAS)}
<p style="text-align:center"><img src="./W020251022538812907745.jpg" oldsrc="W020251022538812907745.jpg"/></p>
</div></div>
<div class="fujian"><p>附件：</p><p><a href="./P020251022361028457193.pdf">若干措施.pdf</a></p></div>
<div class="bjzr">责任编辑：刘珺</div>
<div class="article-tools">【<a href="javascript:window.print();">打印本页</a>】【<a href="javascript:window.close();">关闭窗口</a>】</div>
</div>{FOOTER}</body></html>"""
    url = "http://www.gxt-gov.test/zwgk/zcjd/202510/t20251022_693227.html"
    page = parse(html, url)
    assert page.title == TITLE
    assert page.paragraphs == PARAS
    assert page.published_at == datetime(2025, 10, 22, 10, 15)  # PubDate meta beats the visible day
    assert page.source == "东海省工业和信息化厅"
    assert page.editor == "刘珺"
    assert page.column_path == "政务公开 > 政策解读"
    assert [(a.url, a.title) for a in page.attachments] == [
        ("http://www.gxt-gov.test/zwgk/zcjd/202510/P020251022361028457193.pdf", "若干措施.pdf")]
    assert "http://www.gxt-gov.test/zwgk/zcjd/202510/W020251022538812907745.jpg" in page.body_html
    assert page.meta["pubdate"] == "2025-10-22 10:15"
    # The hidden sub-menu is a legitimate gov menu: no removal, but counted.
    assert page.signals["hidden_elements"] >= 1
    assert page.signals["hidden_blocks"] == 0
    assert not [r for r in page.removals if r.kind == "hidden_block"]


def test_br_separated_paragraphs_and_entities() -> None:
    body = "<p>" + "".join(f"\u3000\u3000{p.replace('，', '&#xFF0C;', 1)}<br />\n" for p in PARAS) + "</p>"
    html = dede_page([]).replace("<td>\n\n</td>", f"<td>{body}</td>")
    page = parse(html)
    assert page.paragraphs == PARAS


def test_data_table_rows_become_paragraphs() -> None:
    table = ("<table border='1'><tr><th>培育层级</th><th>认定主体</th></tr>"
             "<tr><td>国家级绿色工厂</td><td>工业和信息化部</td></tr></table>")
    page = parse(dede_page(PARAS[:2], extra_body=table + f"<p>{P3}</p>"))
    assert page.paragraphs == [P1, P2, "培育层级 认定主体", "国家级绿色工厂 工业和信息化部", P3]


def test_ideographic_space_inside_a_line_is_kept() -> None:
    line = "东海省工业和信息化厅\u3000东海省发展和改革委员会"
    page = parse(dede_page(PARAS + [line]))
    assert page.paragraphs[-1] == line


def test_phpcms_meta_line_inside_h1() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE} - 中小企业政策服务网</title></head><body>
<div class="crumbs"><a href="/">首页</a><span> &gt; </span><a href="/html/zcfg/">政策法规</a> &gt;  正文</div>
<div id="Article"><h1>{TITLE}<br /><span>2025-09-30 14:20:11&nbsp;&nbsp;&nbsp;来源：中小企业政策服务网综合&nbsp;&nbsp;&nbsp;评论：<a href="#c">0</a> 点击：<span id="hits"></span></span></h1>
<div class="content">{"".join(f"<p>{p}</p>" for p in PARAS)}</div></div>{SIDEBAR}</body></html>"""
    page = parse(html, "http://www.phpcms.test/html/2025/zcfg_0930/88.html")
    assert page.title == TITLE
    assert page.published_at == datetime(2025, 9, 30, 14, 20, 11)
    assert page.source == "中小企业政策服务网综合"
    assert page.column_path == "政策法规"
    assert page.paragraphs == PARAS


def test_portal_meta_spans_without_spaces() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}_产经观察网</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{TITLE}","datePublished":"2025-10-24T11:20:00+08:00","author":{{"name":"许宁"}}}}</script></head>
<body><div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/news/">产经</a> &gt; <span>正文</span></div>
<article><h1 class="article-title">{TITLE}</h1><div class="article-meta"><span class="date">2025-10-24 11:20</span><span class="source">来源：产经观察网</span><span class="author">作者：许宁</span><a class="font-size" href="javascript:;">A+</a></div>
<div class="article-body">{"".join(f"<p>{p}</p>" for p in PARAS)}</div><p class="article-editor">责任编辑：郑凯</p>
<div class="share-bar">分享到：<a href="javascript:;">微信</a><a href="javascript:;">微博</a></div></article></body></html>"""
    page = parse(html, "http://news.portal.test/news/show-1188.html")
    assert (page.source, page.author, page.editor) == ("产经观察网", "许宁", "郑凯")
    assert page.published_at == datetime(2025, 10, 24, 11, 20)
    assert page.column_path == "产经"


def test_missing_fields_are_none() -> None:
    html = f"<html><body><div><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>"
    page = parse(html, "http://example.test/x.html")
    assert page.paragraphs == [P1, P2, P3]
    assert page.published_at is None
    assert page.source is None and page.author is None and page.editor is None
    assert page.column_path is None and page.title_raw is None
    assert page.attachments == [] and page.next_pages == []


def test_body_dates_are_not_publication_dates() -> None:
    html = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1><div class='con'><p>{P1}</p><p>2024年1月31日，会议召开。{P2}</p><p>{P3}</p></div></body></html>"
    assert parse(html, "http://example.test/x.html").published_at is None


def test_a_closing_date_line_under_the_text_is_taken() -> None:
    html = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1><div class='con'><p>{P1}</p><p>2024年1月31日，会议召开。{P2}</p><p>{P3}</p><p>2025年10月16日</p></div></body></html>"
    page = parse(html)
    assert (page.published_at, page.published_at_source) == (date(2025, 10, 16), "text")


# --- spam evidence ------------------------------------------------------------------------------

SPAM_LINKS = "".join(f'<a href="http://www.xpj{i}.test/">澳门新葡京真人百家乐{i}</a>' for i in range(6))


def test_injected_title_segments() -> None:
    spam_title = f"国产又大又长又粗又硬免费-中文字幕美丽人妻被公操-{TITLE}_产业规划_高新院"
    page = parse(dede_page(title_tag=spam_title))
    assert page.title == TITLE
    assert page.title_raw == spam_title  # the cleaner cuts the segments (pipelines.spam.title)
    assert injected_title_segments(page.title_raw, page.title, page.body_text) == [
        "国产又大又长又粗又硬免费", "中文字幕美丽人妻被公操"]
    assert page.signals["spam_terms_title"] >= 2


def test_entity_encoded_title_with_script_restore() -> None:
    segs = "&#x6FB3;&#x95E8;&#x65B0;&#x8461;&#x4EAC;_&#x5A01;&#x5C3C;&#x65AF;&#x4EBA;"
    head = f'<script>document.title="{TITLE}_产业规划_高新院";</script>'
    page = parse(dede_page(title_tag=f"{segs}_{TITLE}_产业规划_高新院", head=head))
    assert page.title == TITLE
    assert injected_title_segments(page.title_raw, page.title, page.body_text) == ["澳门新葡京", "威尼斯人"]
    assert page.signals["script_title"] == TITLE + "_产业规划_高新院"


@pytest.mark.parametrize("style", [
    "display:none", "visibility:hidden;height:0;overflow:hidden", "position:absolute;left:-9999px;top:-9999px",
    "font-size:0;line-height:0", "color:#ffffff;background:#ffffff",
    "color: rgb(255, 255, 255); background-color: rgb(255,255,255)",
])
def test_hidden_spam_block_is_removed(style: str) -> None:
    page = parse(dede_page(extra_body=f'<div style="{style}">{SPAM_LINKS}</div>'))
    assert page.paragraphs == PARAS
    hidden = [r for r in page.removals if r.kind == "hidden_block"]
    assert len(hidden) == 1 and "澳门新葡京" in hidden[0].content
    assert page.signals["hidden_blocks"] == 1 and page.signals["hidden_spam_terms"] >= 6
    assert "新葡京" not in page.body_html


def test_one_pixel_marquee() -> None:
    page = parse(dede_page(after_body=f'<marquee width="1" height="1">{SPAM_LINKS}</marquee>'))
    assert [r.kind for r in page.removals] == ["hidden_block"]


def test_document_write_hidden_markup() -> None:
    inner = f'<div style="display:none">{SPAM_LINKS}</div>'
    escaped = inner.replace("<", "\\u003c").replace(">", "\\u003e").replace('"', "\\u0022")
    page = parse(dede_page(after_body=f'<script>document.write("{escaped}");</script>'))
    hidden = [r for r in page.removals if r.kind == "hidden_block"]
    assert hidden and "document.write" in (hidden[0].detail or "")
    assert page.signals["document_write_hidden"] is True


def test_text_in_two_functional_colours_is_visible() -> None:
    # Editors style code and quotes as rgb() pairs: the values differ, only the word "rgb" agrees.
    code = ('<pre><code style="color: rgb(56, 58, 66); background: rgb(250, 250, 250);">'
            "client = redis.Redis()\nhandler = pymongo.MongoClient().test.data</code></pre>")
    page = parse(dede_page(extra_body=code))
    assert any("client = redis.Redis()" in p for p in page.paragraphs)
    assert page.signals["hidden_elements"] == 0


def test_legitimate_hidden_tabs_are_not_spam() -> None:
    tabs = "".join(
        f'<ul class="tab-con" style="display:none;"><li><a href="/zwgk/{i}.html">关于印发政策文件的通知{i}</a><span>2025-10-0{i}</span></li></ul>'
        for i in range(1, 6))
    share = '<span class="share" style="display:none"><a href="http://service.weibo.com/share/share.php?url=x">微博</a><a href="http://sns.qzone.qq.com/cgi-bin/qzshare">QQ空间</a></span>'
    page = parse(dede_page(after_body=tabs + share))
    assert page.paragraphs == PARAS
    assert not page.removals
    assert page.signals["hidden_elements"] == 6 and page.signals["hidden_blocks"] == 0


def test_link_farm() -> None:
    farm = '<div class="links"><strong>友情链接：</strong>' + "".join(
        f'<a href="http://spam{i}.test/">{t}</a> ' for i, t in enumerate(["太阳城集团", "六合彩开奖结果", "真人百家乐", "棋牌游戏下载", "成人影片在线观看"]))
    page = parse(dede_page().replace('<div class="footer">', farm + '</div><div class="footer">'))
    farms = [r for r in page.removals if r.kind == "link_farm"]
    assert len(farms) == 1 and "真人百家乐" in farms[0].content
    assert page.paragraphs == PARAS


def test_real_friend_links_are_not_a_farm() -> None:
    links = '<div class="flink">友情链接：<a href="http://www.miit.gov.cn/">工业和信息化部</a> <a href="http://www.most.gov.cn/">科学技术部</a> <a href="http://www.ndrc.gov.cn/">国家发展改革委</a> <a href="http://www.caict.ac.cn/">中国信通院</a></div>'
    page = parse(dede_page(after_body=links))
    assert not page.removals


def test_state_lottery_article_is_not_spam() -> None:
    paras = ["统筹省级体育彩票公益金，支持全民健身设施建设和体育赛事活动，带动运动装备消费。",
             "面向香港、澳门游客推出工业旅游精品线路，支持职业院校和成人教育机构开设娱乐产业课程。"] + PARAS
    page = parse(dede_page(paras))
    assert page.paragraphs == paras
    assert page.signals["spam_terms"] == 0 and not page.removals


def test_cloaking_redirect_signal() -> None:
    cloak = ('<script>(function(){var r=document.referrer,u=navigator.userAgent;'
             'if(/baidu|sogou|so.com|sm.cn/.test(r)&&/mobile|android/i.test(u)){window.location.replace(atob("aHR0cDovL3g="));}})();</script>')
    assert parse(dede_page(head=cloak)).signals["cloaking_redirect"] is True
    assert parse(dede_page()).signals["cloaking_redirect"] is False


def test_pc_and_mobile_copies_give_one_body() -> None:
    page = parse(dede_page(mobile=True))
    assert page.paragraphs == PARAS
    repeated = [r for r in page.removals if r.kind == "repeated_body"]
    assert len(repeated) == 1 and P1 in repeated[0].content
    assert page.signals["repeated_body"] is True


def test_mobile_copy_hidden_inline_is_still_recorded() -> None:
    html = dede_page(mobile=True).replace('<div class="m-view">', '<div class="m-view" style="display:none">')
    page = parse(html)
    assert page.paragraphs == PARAS
    assert [r.kind for r in page.removals] == ["repeated_body"]


def test_body_printed_twice_in_one_container_is_cut_by_the_cleaner() -> None:
    page = parse(dede_page(PARAS + PARAS))
    assert page.paragraphs == PARAS + PARAS  # the extractor reads; the cleaner cuts, once
    assert page.removals == []
    cleaned = clean_item(item_from_page(page, site="dedecms", fetched_at=datetime(2025, 10, 23, tzinfo=UTC)))
    assert cleaned.item.paragraphs == [normalize_text(p) for p in PARAS]
    assert [r.kind for r in cleaned.cuts] == ["repeated_body"]


# --- structure ----------------------------------------------------------------------------------

def test_dedecms_next_pages() -> None:
    pager = ("<div class='dede_pages'><ul class='pagelist'><li><a>共3页: </a></li><li><a href='#'>上一页</a></li>"
             "<li class='thisclass'><a href='#'>1</a></li><li><a href='456_2.html'>2</a></li><li><a href='456_3.html'>3</a></li>"
             "<li><a href='456_2.html'>下一页</a></li></ul></div>")
    url = "http://www.achie.test/a/chanye/2025/1105/456.html"
    page = parse(dede_page(after_body=pager), url)
    assert page.next_pages == ["http://www.achie.test/a/chanye/2025/1105/456_2.html",
                               "http://www.achie.test/a/chanye/2025/1105/456_3.html"]
    second = parse(dede_page(after_body=pager.replace("456_2.html'>2", "456.html'>1")),
                   "http://www.achie.test/a/chanye/2025/1105/456_2.html")
    assert second.next_pages == [url, "http://www.achie.test/a/chanye/2025/1105/456_3.html"]


def test_dedecms_total_pages_fills_missing_links() -> None:
    pager = "<ul class='pagelist'><li><a>共4页: </a></li><li><a href='77_2.html'>2</a></li><li><a href='77_2.html'>下一页</a></li></ul>"
    page = parse(dede_page(after_body=pager), "http://www.achie.test/a/b/2025/0101/77.html")
    assert page.next_pages == [f"http://www.achie.test/a/b/2025/0101/77_{i}.html" for i in (2, 3, 4)]


def test_trs_create_page_html_zero_based() -> None:
    script = '<div class="page"><script>createPageHTML(3, 0, "t20250928_692871", "html");</script></div>'
    page = parse(dede_page(after_body=script), "http://www.gov.test/zwgk/zcwj/202509/t20250928_692871.html")
    assert page.next_pages == ["http://www.gov.test/zwgk/zcwj/202509/t20250928_692871_1.html",
                               "http://www.gov.test/zwgk/zcwj/202509/t20250928_692871_2.html"]


def test_list_pagination_is_not_next_pages() -> None:
    html = dede_page(after_body="<a href='list_3_2.html'>下一页</a>")
    assert parse(html, "http://www.achie.test/a/chanye/list_3_1.html").next_pages == []


def test_attachments_and_sanitisation() -> None:
    evil = ('<p onclick="steal()">含有<a href="javascript:alert(1)">恶意链接</a>和<img src="data:image/png;base64,AAAA" onerror="x()">。</p>'
            '<script>alert(1)</script><iframe src="http://evil.test/"></iframe><style>p{}</style>'
            '<p>附件：<a href="/uploads/soft/办法.docx">关于印发管理办法的通知</a> <a href="files/表.xls">申报表.xls</a></p>')
    page = parse(dede_page(extra_body=evil))
    html = page.body_html
    for bad in ("onclick", "javascript:", "data:", "<script", "<iframe", "<style", "onerror"):
        assert bad not in html
    assert [(a.url, a.title) for a in page.attachments] == [
        ("http://www.achie.test/uploads/soft/办法.docx", "关于印发管理办法的通知"),
        ("http://www.achie.test/a/chanye/2025/1020/files/表.xls", "申报表.xls"),
    ]
    assert 'href="http://www.achie.test/uploads/soft/' in html  # relative links made absolute


def test_list_page_kind() -> None:
    items = "".join(
        f'<li><a href="/a/chanye/2025/10{i:02d}/{100 + i}.html" class="title">关于推进产业发展的第{i}项重点工作安排</a>'
        f'<span class="info">日期：2025-10-{i:02d}</span><p class="intro">为深入贯彻落实有关部署，推动产业高质量发展，现将有关事项通知如下……</p></li>'
        for i in range(1, 11))
    html = f"<html><head><title>产业规划_高新院</title></head><body><div class='place'>当前位置: <a href='/'>主页</a> &gt; <a href='/a/chanye/'>产业规划</a></div><ul class='e2'>{items}</ul>{SIDEBAR}{FOOTER}</body></html>"
    page = parse(html, "http://www.achie.test/a/chanye/list_3_2.html")
    assert page.page_kind == "list"
    assert page.signals["dated_list_items"] >= 10


def test_short_page_is_other() -> None:
    html = f"""<html><head><title>关于我们_高新院</title></head><body>{SIDEBAR}
<div class="content"><p>高新院是一家专注于产业经济研究和政策咨询服务的研究机构，长期跟踪专精特新、数字经济、绿色制造等领域的政策动态。</p><p>联系电话：010-6815XXXX</p></div>{FOOTER}</body></html>"""
    assert parse(html, "http://www.achie.test/a/guanyu/index.html").page_kind == "other"


def test_extract_decodes_and_reports_encoding() -> None:
    html = dede_page().replace('<meta charset="utf-8">', '<meta charset="gb2312">')
    page = extract(html.encode("gbk"), URL, declared_encoding="gb2312")
    assert page.encoding == "gb18030"
    assert page.paragraphs == PARAS
    assert "encoding_evidence" in page.signals


def test_to_dict_is_json_ready() -> None:
    import json

    data = parse(dede_page()).to_dict()
    assert data["published_at"] == "2025-10-20"
    json.dumps(data, ensure_ascii=False)
