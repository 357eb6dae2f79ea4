"""Articles whose text goes on in sibling blocks of one container: split across divs, broken by
an ad, a figure, a share bar, a related box or a page break, rows of a <td> layout. The whole
article is the body, the chrome between its parts is not; and the blocks that only sit beside
or after an article (a sidebar, a comment thread, a related-news list) never join it."""

from __future__ import annotations

import pytest

from crawler.extractors import GenericParser
from crawler.extractors.page import ExtractedPage

TITLE = "东海市出台制造业数字化转型三年行动方案"
ARTICLE = [
    "日前，东海市人民政府办公厅印发《东海市制造业数字化转型三年行动方案》，提出到2027年规上工业企业数字化改造全覆盖。",
    "方案明确了智能工厂培育、工业互联网平台建设、中小企业数字化赋能等八项重点任务，并逐项落实牵头部门和完成时限。",
    "在资金保障方面，市财政每年安排不少于两亿元专项资金，对认定的智能工厂和数字化车间分别给予一次性奖励。",
    "市经信局有关负责人表示，将建立重点项目清单和月度调度机制，确保各项任务按期落地见效。",
    "下一步，东海市还将组织开展数字化转型诊断服务，为企业免费提供改造方案和供应商对接。",
]
NAV = """<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xw/">新闻中心</a></li>
<li><a href="/zc/">政策文件</a></li><li><a href="/fw/">办事服务</a></li></ul></div>"""
FOOT = """<div class="footer"><p>版权所有：东海市经济和信息化局 地址：东海市人民路1号 电话：0571-80000000</p>
<p><a href="http://beian.miit.gov.cn/">浙ICP备05000000号</a></p></div>"""
RELATED = """<div class="related"><h3>相关新闻</h3><ul>
<li><a href="/xw/2025/0301/4701.html">东海市召开全市工业经济运行分析会</a><span>2025-03-01</span></li>
<li><a href="/xw/2025/0227/4688.html">东海市新增省级数字化车间十二家</a><span>2025-02-27</span></li>
<li><a href="/xw/2025/0225/4672.html">东海经济开发区工业互联网平台上线运行</a><span>2025-02-25</span></li>
<li><a href="/xw/2025/0220/4650.html">东海市发布中小企业数字化转型指南</a><span>2025-02-20</span></li>
<li><a href="/xw/2025/0218/4631.html">全市智能制造工作推进会召开</a><span>2025-02-18</span></li>
<li><a href="/xw/2025/0214/4617.html">东海市工业技改投资同比增长两成</a><span>2025-02-14</span></li>
<li><a href="/xw/2025/0210/4598.html">东海市五家企业入选国家级专精特新小巨人</a><span>2025-02-10</span></li>
<li><a href="/xw/2025/0205/4580.html">东海市经信局部署二〇二五年重点工作</a><span>2025-02-05</span></li>
</ul></div>"""
SHARE = """<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>"""
PREV_NEXT = """<div class="prev-next"><p>上一篇：<a href="/xw/2025/0311/4811.html">东海市召开一季度安全生产工作会议</a></p>
<p>下一篇：<a href="/xw/2025/0313/4830.html">东海市新能源汽车产业链招商推介会举行</a></p></div>"""
URL = "http://www.dhjx.test/xw/2025/0312/4821.html"

INTERRUPTIONS = {
    "an ad": """<div class="ad-box"><a href="http://c.dhad.test/click?id=318">
<img src="http://img.dhad.test/640x90.jpg"></a><span>广告</span></div>""",
    "an inline figure": """<div class="pic-box"><img src="/upload/2025/03/12/a1.jpg">
<p class="pic-note">东海市一家企业的数字化车间</p></div>""",
    "a share bar": SHARE,
    "a related box": """<div class="related-inline"><h4>相关阅读</h4><ul>
<li><a href="/xw/2025/0227/4688.html">东海市新增省级数字化车间十二家</a></li>
<li><a href="/xw/2025/0220/4650.html">东海市发布中小企业数字化转型指南</a></li></ul></div>""",
    "a page break": """<div class="page-break" style="page-break-after:always"><span>&nbsp;</span></div>""",
}


def parse(html: str, url: str = URL) -> ExtractedPage:
    page = GenericParser().parse(html, url)
    assert "extract_error" not in page.signals, page.signals.get("extract_error")
    return page


def _paras(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _portal(article: str, after: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}_新闻中心_东海经信网</title>
</head><body>{NAV}<div class="main"><div class="left"><h1>{TITLE}</h1>
<div class="info">2025-03-12 09:30 来源：东海日报</div>
{article}<p class="editor">责任编辑：周敏</p>{SHARE}{PREV_NEXT}{RELATED}{after}</div>
<div class="right"><h3>热点</h3><ul><li><a href="/xw/1.html">东海港集装箱吞吐量创新高</a></li>
<li><a href="/xw/2.html">全市一季度工业用电量稳步增长</a></li></ul></div></div>{FOOT}</body></html>"""


@pytest.mark.parametrize("between", list(INTERRUPTIONS))
def test_text_split_across_sibling_blocks_is_one_body(between: str) -> None:
    article = (f'<div class="article-content">{_paras(ARTICLE[:3])}</div>{INTERRUPTIONS[between]}'
               f'<div class="article-content">{_paras(ARTICLE[3:])}</div>')
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE
    assert page.body_html.count("<p>") == len(ARTICLE)
    assert "东海日报" == page.source and page.page_kind == "article"
    for chrome in ("广告", "分享到", "相关阅读", "相关新闻", "上一篇", "周敏"):
        assert chrome not in page.body_text and chrome not in page.body_html


def test_the_longer_part_after_an_interruption_takes_the_lead_in_with_it() -> None:
    # The part the scores prefer comes second: the first one is found walking back.
    article = (f'<div class="article-content">{_paras(ARTICLE[:1])}</div>{INTERRUPTIONS["an ad"]}'
               f'<div class="article-content">{_paras(ARTICLE[1:])}</div>')
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE


def test_wechat_sections_split_by_pictures() -> None:
    pic = '<section style="text-align:center"><img data-src="https://mmbiz.qpic.cn/a/640"></section>'
    sections = "".join(
        f'<section style="line-height:1.75em">{_paras(ARTICLE[i:j])}</section>{pic}'
        for i, j in ((0, 2), (2, 4), (4, 5))
    )
    recent = "".join(f'<section><a href="https://mp.weixin.qq.com/s/{i}">{t}</a></section>'
                     for i, t in enumerate(("东海市召开全市工业经济运行分析会",
                                            "东海市新增省级数字化车间十二家",
                                            "东海经济开发区工业互联网平台上线运行",
                                            "东海市发布中小企业数字化转型指南"), 1))
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body>
<div class="rich_media_content" id="js_content"><section>{sections}
<section><strong>往期推荐</strong></section>{recent}
<section>点击下方“阅读原文”查看方案全文</section></section></div>
<div class="qr_code_pc"><p>微信扫一扫</p><p>关注该公众号</p></div></body></html>"""
    page = parse(html, "https://mp.weixin.qq.com/s/Xk3aQ9mJ2vL8pW5nT7rB1c")
    assert page.paragraphs == ARTICLE


def _gov_td_page(rows: str) -> str:
    return f"""<html><head><meta charset="gb2312"><title>东海市经济和信息化局</title></head>
<body><table width="980" align="center"><tr><td><img src="/images/banner.jpg"></td></tr></table>
<table width="980" align="center"><tr>
<td width="200" valign="top"><table><tr><td><a href="/">首页</a></td></tr>
<tr><td><a href="/xw/">新闻动态</a></td></tr><tr><td><a href="/zc/">政策文件</a></td></tr></table></td>
<td width="780" valign="top"><table width="100%">
<tr><td class="dh">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/xw/">新闻动态</a></td></tr>
<tr><td align="center" height="40"><font size="4"><b>{TITLE}</b></font></td></tr>
<tr><td align="center">发布日期：2025-03-12 &nbsp; 浏览次数：128</td></tr>
{rows}
<tr><td align="right">（编辑：李娜）</td></tr>
<tr><td>相关链接：<a href="/xw/4701.html">东海市召开全市工业经济运行分析会</a>
<a href="/xw/4688.html">东海市新增省级数字化车间十二家</a>
<a href="/xw/4650.html">东海市发布中小企业数字化转型指南</a>
<a href="/xw/4631.html">全市智能制造工作推进会召开</a></td></tr>
</table></td></tr></table>
<table width="980" align="center"><tr><td align="center">版权所有：东海市经济和信息化局</td></tr></table>
</body></html>"""


def _br_text(paragraphs: list[str]) -> str:
    return "<br>\n<br>\n".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{p}" for p in paragraphs)


def test_br_text_going_on_in_the_next_row_of_a_td_layout() -> None:
    rows = (f'<tr><td class="wz">{_br_text(ARTICLE[:3])}</td></tr>'
            '<tr><td align="center"><img src="/upload/20250312/1.jpg"><br>走访企业现场</td></tr>'
            f"<tr><td>{_br_text(ARTICLE[3:])}</td></tr>")
    page = parse(_gov_td_page(rows), "http://www.dhjx.test/show.asp?id=4821")
    assert page.paragraphs == ARTICLE
    assert page.title == TITLE and page.page_kind == "article"


# --- what sits beside or after an article never joins it -------------------------------------

def test_a_row_of_cells_side_by_side_is_columns_not_the_text_going_on() -> None:
    notices = "通知公告<br>" + "<br>".join(
        f'<a href="/tzgg/{i}.html">{t}</a>'
        for i, t in enumerate(("关于公布2025年度第一批数字化车间名单的通知",
                               "关于开展工业企业亩均效益评价的通知",
                               "东海市经信局2024年度部门决算公开"), 1))
    rows = (f'<tr><td class="wz" colspan="2">{_br_text(ARTICLE[:4])}</td></tr>'
            '<tr><td align="center" colspan="2"><img src="/upload/20250312/1.jpg"></td></tr>'
            f"<tr><td>{_br_text(ARTICLE[4:])}</td><td>{notices}</td></tr>")
    page = parse(_gov_td_page(rows), "http://www.dhjx.test/show.asp?id=4821")
    assert page.paragraphs == ARTICLE[:4]
    assert "通知公告" not in page.body_html and "决算" not in page.body_html


def test_a_sibling_block_of_short_items_stays_out() -> None:
    items = "".join(f"<p>{t}</p>" for t in (
        "3月11日，市经信局召开一季度工作例会。", "市经信局开展安全生产大检查。",
        "全市工业投资项目集中开工。", "东海经开区举办企业服务日活动。"))
    article = f"<div>{_paras(ARTICLE)}</div>{INTERRUPTIONS['an ad']}<div>{items}</div>"
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE


COMMENTS = [
    ("海风吹过", "3小时前", "方案来得及时，我们厂去年就做了设备联网，希望今年能赶上奖励申报。"),
    ("老陈在路上", "3小时前", "专项资金的申报流程能不能再简化一点？小企业没有专人来准备材料。"),
    ("东海小王", "5小时前", "请问诊断服务怎么预约？通知里好像没有写清楚，有没有懂行的朋友说一下。"),
    ("晨曦", "6小时前", "支持！数字化改造确实是方向，关键是奖励资金要及时拨付到位。"),
]


def test_a_comment_thread_after_the_article_stays_out() -> None:
    # The replies are blocks of the article's own shape (<div> without a class), one per reply.
    thread = "".join(
        f'<div><p><a href="/u/{i}">{user}</a> {when}</p><p>{text}</p>'
        f'<p><a href="#">回复</a> <a href="#">举报</a></p></div>'
        for i, (user, when, text) in enumerate(COMMENTS, 1)
    )
    article = f"<div>{_paras(ARTICLE[:3])}</div>{SHARE}<div>{_paras(ARTICLE[3:])}</div>{thread}"
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE
    assert "海风吹过" not in page.body_html


def test_a_related_news_list_with_summaries_stays_out() -> None:
    teasers = "".join(
        f'<div><a href="/xw/2025/02{20 + i}/46{i}0.html">{title}</a><p>{summary}</p></div>'
        for i, (title, summary) in enumerate((
            ("东海市发布中小企业数字化转型指南", "指南从诊断评估、改造实施到成效评价，给出了中小企业转型的路线图。"),
            ("东海经济开发区工业互联网平台上线运行", "平台已接入企业三百余家，提供设备管理、能耗监测等二十余项服务。"),
            ("东海市新增省级数字化车间十二家", "新认定的车间主要分布在汽车零部件、纺织服装和食品加工等行业。"),
        ))
    )
    article = f"<div>{_paras(ARTICLE[:3])}</div>{SHARE}<div>{_paras(ARTICLE[3:])}</div>{teasers}"
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE
    assert "路线图" not in page.body_text


def test_a_recommended_list_of_titles_and_summaries_weighs_against_its_container() -> None:
    # Each entry opens with its title link and goes on with a summary: more prose than a short
    # article, and no part of it.
    entries = "".join(
        f'<dl><dd class="tit"><a href="/xw/2025/03{10 + i}/48{i}0.html">{title}</a></dd>'
        f'<dd class="exp">{summary}</dd><dd class="sj">2025-03-{10 + i} 10:2{i}</dd></dl>'
        for i, (title, summary) in enumerate((
            ("东海市发布中小企业数字化转型指南", "指南从诊断评估、改造实施到成效评价，给出了中小企业转型的路线图。"),
            ("东海经济开发区工业互联网平台上线运行", "平台已接入企业三百余家，提供设备管理、能耗监测等二十余项服务。"),
            ("东海市新增省级数字化车间十二家", "新认定的车间主要分布在汽车零部件、纺织服装和食品加工等行业。"),
            ("全市智能制造工作推进会召开", "会议总结了去年智能制造工作成效，部署了今年的十项重点任务。"),
        ))
    )
    article = (f'<div class="box"><div class="txt_con">{_paras(ARTICLE[:2])}</div>'
               f'<div class="box"><h2>为你推荐</h2><div>{entries}</div></div></div>')
    page = parse(_portal(article))
    assert page.paragraphs == ARTICLE[:2]
    assert "路线图" not in page.body_html and page.page_kind == "article"
