"""Real-shaped pages that test what is the article: comment threads, forums, <td> layouts with
<br> paragraphs, headings under a chrome <title>, 原标题 lines, tables in a notice, and pages that
are not articles (search results, a login wall)."""

from __future__ import annotations

from crawler.extractors import GenericParser
from crawler.extractors.page import ExtractedPage

ARTICLE = [
    "东海市工业和信息化局近日印发通知，明确今年中小企业数字化改造专项资金的申报范围、支持方式和评审流程。",
    "通知提出，对完成生产设备联网、上线工业软件并通过第三方评估的企业，按项目实际投入给予一定比例的补助。",
    "市工信局有关负责人介绍，今年专项资金将向专精特新企业倾斜，单个项目最高补助额度较去年有所提高。",
    "申报企业须在本市依法登记注册，近三年无重大安全生产事故，项目须于今年年底前完成建设并投入使用。",
]
TITLE = "东海市启动中小企业数字化改造专项资金申报"

NAV = """<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xw/">新闻动态</a></li>
<li><a href="/zc/">政策文件</a></li><li><a href="/fw/">办事服务</a></li>
<li><a href="/hd/">互动交流</a></li></ul></div>"""
FOOT = """<div class="foot"><p>版权所有：东海市工业和信息化局 地址：东海市人民路1号 电话：0571-80000000</p>
<p><a href="http://beian.miit.gov.cn/">浙ICP备05000000号</a></p></div>"""
COMMENTS = [
    ("海风吹过", "3小时前", "这个政策来得及时，我们厂去年就做了设备联网，希望今年能赶上申报。"),
    ("老陈在路上", "3小时前", "评审流程能不能再简化一点？材料要求太多了，小企业根本没有专人来准备。"),
    ("东海小王", "5小时前", "请问个体工商户能不能申报？通知里好像没有写清楚，有没有懂行的朋友说一下。"),
    ("晨曦", "6小时前", "支持！数字化改造确实是方向，关键是补助资金要及时拨付到位，不要拖太久。"),
    ("匿名网友", "8小时前", "去年申报过一次，整个流程走了大半年，今年希望效率能高一些，早点出结果。"),
    ("一只猫", "昨天 21:10", "第三方评估的费用谁来出？这部分成本对小企业来说也不算少，希望能明确一下。"),
    ("路人甲", "昨天 19:42", "我们园区已经组织了几次培训，讲得很细，建议有意向的企业都去听一听再准备。"),
    ("阿明", "昨天 18:05", "最高补助额度提高是好事，但门槛也高了，真正能拿到的企业恐怕还是少数吧。"),
]


def parse(html: str, url: str = "http://www.dhgx.test/xw/2025/0312/4821.html") -> ExtractedPage:
    page = GenericParser().parse(html, url)
    assert "extract_error" not in page.signals, page.signals.get("extract_error")
    return page


def _comment_thread(tag: str = "div") -> str:
    items = "\n".join(
        f"""<{tag} class="comment-item"><div class="c-user"><a href="/u/{i}">{name}</a>
<span class="c-time">{when}</span></div><p class="c-text">{text}</p>
<div class="c-act"><a href="#">回复</a> <a href="#">赞 {i * 3}</a> <a href="#">举报</a></div></{tag}>"""
        for i, (name, when, text) in enumerate(COMMENTS, 1)
    )
    return f'<div class="comment-box"><h3>网友评论（{len(COMMENTS)}）</h3>{items}</div>'


def _news_page(comments_inside: bool) -> str:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE)
    thread = _comment_thread()
    inside, outside = (thread, "") if comments_inside else ("", thread)
    return f"""<html><head><meta charset="utf-8"><title>{TITLE}_新闻动态_东海新闻网</title></head>
<body>{NAV}<div class="main"><div class="left"><h1>{TITLE}</h1>
<div class="info">2025-03-12 09:30 来源：东海日报</div>
<div class="article">{paras}</div><p class="editor">责任编辑：周敏</p>{inside}</div>{outside}
<div class="right"><h3>热门新闻</h3><ul><li><a href="/xw/1.html">东海港集装箱吞吐量创新高</a></li>
<li><a href="/xw/2.html">全市一季度工业用电量稳步增长</a></li></ul></div></div>{FOOT}</body></html>"""


def test_comment_thread_inside_the_article_wrapper_is_left_out() -> None:
    page = parse(_news_page(comments_inside=True))
    assert page.title == TITLE
    assert page.paragraphs == ARTICLE
    assert page.page_kind == "article"


def test_comment_thread_longer_than_the_article_loses_to_it() -> None:
    page = parse(_news_page(comments_inside=False))
    assert page.paragraphs == ARTICLE
    assert "海风吹过" not in page.body_html


FIRST_POST = [
    "上周去东海市政务服务中心办理了数字化改造补助的申报，把整个过程记录下来，给准备申报的朋友参考。",
    "首先要在网上填报系统注册企业账号，上传营业执照、近一年财务报表和项目可行性报告，这一步大概用了两天。",
    "然后是窗口预审，工作人员会逐项核对材料，缺什么当场告诉你，我们补交了一份设备采购合同的复印件。",
    "预审通过后等第三方评估机构联系，现场看了设备联网情况和软件使用记录，前后大约一个星期就出了结论。",
]
REPLIES = [
    "谢谢楼主分享，正好我们公司也在准备，请问可行性报告是自己写的还是找机构做的？",
    "收藏了，楼主写得很详细，比政府网站上的指南好懂多了，希望申报顺利通过。",
    "我们去年也申报过，评估环节确实很快，不过资金拨付用了差不多三个月时间。",
    "请问楼主，设备采购合同需要原件吗？还是复印件加盖公章就可以了？",
    "顶一下，这种经验帖太有用了，建议版主加精，让更多需要的企业都能看到。",
    "补充一点：财务报表要和税务系统里的数据一致，不然预审会被退回来重新提交。",
]


def test_forum_thread_gives_the_first_post() -> None:
    posts = [("东海老张", "楼主", "<br />\n".join(FIRST_POST))]
    posts += [(f"会员{i:03d}", f"{i + 1}#", text) for i, text in enumerate(REPLIES, 1)]
    blocks = "\n".join(
        f"""<div id="post_{i}"><table class="plhin"><tr><td class="pls"><div class="authi">
<a href="/space/{i}" class="xw1">{user}</a></div><p>积分：{i * 37}</p></td>
<td class="plc"><div class="pi"><strong><a href="#post_{i}">{floor}</a></strong>
<em>发表于 2025-3-{10 + i} 20:1{i}</em> | <a href="#">只看该作者</a></div>
<div class="t_fsz"><table><tr><td class="t_f" id="postmessage_{i}">{text}</td></tr></table></div>
<div class="po"><a href="#">回复</a> <a href="#">支持</a> <a href="#">举报</a></div>
</td></tr></table></div>"""
        for i, (user, floor, text) in enumerate(posts)
    )
    head = "数字化改造补助申报全过程记录"
    html = f"""<html><head><meta charset="gbk"><title>{head} - 企业服务 - 东海社区</title></head>
<body><div id="hd"><a href="/">东海社区</a> <a href="/forum.php">论坛</a>
<a href="/search.php">搜索</a></div>
<div id="pt"><a href="/">东海社区</a> &rsaquo; <a href="/f-12.html">企业服务</a></div>
<div id="ct"><div id="postlist"><table><tr><td><h1><span id="thread_subject">{head}</span></h1>
</td></tr></table>{blocks}</div></div></body></html>"""
    page = parse(html, "http://bbs.dhsq.test/thread-52817-1-1.html")
    assert page.title == head
    assert page.paragraphs == FIRST_POST
    assert page.page_kind == "article"


def test_td_layout_with_br_paragraphs_and_a_chrome_title() -> None:
    text = "<br>\n<br>\n".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{p}" for p in ARTICLE)
    html = f"""<html><head><meta charset="gb2312"><title>东海市工业和信息化局</title></head>
<body><table width="980" align="center"><tr><td><img src="/images/banner.jpg"></td></tr></table>
<table width="980" align="center"><tr>
<td width="200" valign="top"><table><tr><td><a href="/">首页</a></td></tr>
<tr><td><a href="/xw/">新闻动态</a></td></tr>
<tr><td><a href="/zc/">政策文件</a></td></tr><tr><td><a href="/fw/">办事服务</a></td></tr></table></td>
<td width="780" valign="top"><table width="100%">
<tr><td class="dh">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/xw/">新闻动态</a></td></tr>
<tr><td align="center" height="40"><font size="4"><b>{TITLE}</b></font></td></tr>
<tr><td align="center">发布日期：2025-03-12 &nbsp; 浏览次数：128</td></tr>
<tr><td class="wz">{text}</td></tr></table></td></tr></table>
<table width="980" align="center"><tr><td align="center">版权所有：东海市工业和信息化局</td></tr></table>
</body></html>"""
    page = parse(html, "http://www.dhgx.test/show.asp?id=4821")
    assert page.paragraphs == ARTICLE
    assert page.title == TITLE
    assert page.page_kind == "article"


def _chrome_title_page(heading: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return f"""<html><head><meta charset="utf-8"><title>首页 - 新闻动态</title></head>
<body><div class="top"><h1 class="logo"><a href="/">东海市工业和信息化局</a></h1></div>
{NAV}
<div class="wrap"><div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw/">新闻动态</a></div>
{heading}<div class="meta">发布时间：2025-03-12 浏览：86</div>
<div class="detail">{paras}</div></div>{FOOT}</body></html>"""


def test_heading_in_h2_under_a_chrome_title() -> None:
    page = parse(_chrome_title_page(f"<h2>{TITLE}</h2>"))
    assert page.title == TITLE
    assert page.paragraphs == ARTICLE


def test_heading_in_div_title_under_a_chrome_title() -> None:
    page = parse(_chrome_title_page(f'<div class="title">{TITLE}</div>'))
    assert page.title == TITLE
    assert page.paragraphs == ARTICLE


ORIGINAL = "数字化改造专项资金今起申报 最高补助比例提高"


def test_original_title_line_is_cut_from_title_and_body() -> None:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE)
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}_东海新闻网</title></head>
<body>{NAV}<div class="post"><h1>{TITLE}</h1><div class="info">2025-03-12 09:30 来源：东海日报</div>
<div class="post_text"><p class="otitle">（原标题：{ORIGINAL}）</p>{paras}</div></div>
{FOOT}</body></html>"""
    page = parse(html)
    assert page.title == TITLE
    assert page.paragraphs == ARTICLE


def test_original_title_label_is_cut_when_it_opens_the_body_or_ends_the_title() -> None:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE)
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}（原标题：{ORIGINAL}）</title></head>
<body>{NAV}<div class="article"><p>原标题：{ORIGINAL}</p>{paras}</div>{FOOT}</body></html>"""
    page = parse(html)
    assert page.title == TITLE
    assert page.paragraphs == ARTICLE


SUBSIDIES = [
    ("设备联网改造", "按设备投入的20%补助，最高50万元", "2025年4月30日"),
    ("工业软件应用", "按软件采购费用的30%补助，最高30万元", "2025年4月30日"),
    ("数字化车间", "经认定后一次性奖励100万元", "2025年5月31日"),
]


def test_policy_notice_keeps_its_subsidy_table() -> None:
    rows = "".join(
        f"<tr><td><p>{a}</p></td><td><p>{b}</p></td><td><p>{c}</p></td></tr>"
        for a, b, c in SUBSIDIES
    )
    table = (f'<table border="1" cellspacing="0"><tbody><tr><td><p><b>支持方向</b></p></td>'
             f"<td><p><b>支持标准</b></p></td><td><p><b>申报截止</b></p></td></tr>{rows}</tbody></table>")
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}_通知公告_东海市工业和信息化局</title></head>
<body>{NAV}<div class="article-box"><h1>{TITLE}</h1><div class="article-info">发布时间：2025-03-12</div>
<div class="TRS_Editor"><p>{ARTICLE[0]}</p><p>{ARTICLE[1]}</p><p>一、支持方向和标准</p>{table}
<p>{ARTICLE[3]}</p></div></div>{FOOT}</body></html>"""
    page = parse(html, "http://www.dhgx.test/tzgg/202503/t20250312_4821.html")
    rows_text = ["支持方向 支持标准 申报截止"] + [" ".join(row) for row in SUBSIDIES]
    assert page.paragraphs == [ARTICLE[0], ARTICLE[1], "一、支持方向和标准", *rows_text, ARTICLE[3]]
    assert page.body_html.count("<tr>") == 4 and "最高50万元" in page.body_html
    assert page.page_kind == "article"


def test_search_results_page_is_not_an_article() -> None:
    hits = "\n".join(
        f"""<div class="result"><h3><a href="/xw/2025/03{i:02d}/{4800 + i}.html">{t}</a></h3>
<p class="summary">{s}</p><span class="url">www.dhgx.test/xw/ 2025-03-{i:02d}</span></div>"""
        for i, (t, s) in enumerate(zip(
            ["数字化改造专项资金申报指南", "中小企业数字化转型政策解读", "数字化车间认定结果公示",
             "工业软件应用补助名单公布", "设备联网改造项目验收通知", "专精特新企业培育工作会召开"],
            ARTICLE + ARTICLE[:2], strict=True), 1)
    )
    html = f"""<html><head><meta charset="utf-8"><title>搜索结果 - 东海市工业和信息化局</title></head>
<body>{NAV}<div class="search"><form action="/search"><input name="q" value="数字化">
<button>搜索</button></form>
<p class="stat">找到相关结果约 6 条，用时 0.02 秒</p>{hits}
<div class="pager"><a href="?q=数字化&p=1">1</a> <a href="?q=数字化&p=2">2</a>
<a href="?q=数字化&p=2">下一页</a></div>
</div>{FOOT}</body></html>"""
    page = parse(html, "http://www.dhgx.test/search?q=%E6%95%B0%E5%AD%97%E5%8C%96")
    assert page.page_kind != "article"


def test_login_wall_is_not_an_article() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>{TITLE}_东海新闻网</title></head>
<body>{NAV}<div class="login-box"><h2>会员登录</h2>
<p>本文为会员专享内容，请登录后继续阅读。还没有账号？<a href="/reg">立即注册</a>，注册即可免费阅读全部文章。</p>
<form action="/login" method="post"><label>用户名</label><input name="user"><label>密码</label>
<input type="password" name="pwd"><button>登录</button></form>
<p><a href="/forget">忘记密码？</a> 登录即表示您同意《用户服务协议》和《隐私政策》，我们将依法保护您的个人信息。</p></div>
{FOOT}</body></html>"""
    page = parse(html)
    assert page.page_kind != "article"


def _byline_page(byline: str, after_body: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}_东海新闻网</title>'
            f'</head><body>{NAV}<div class="main"><h1 class="main-title">{TITLE}</h1>{byline}'
            f'<div class="article" id="article">{paragraphs}</div>{after_body}</div>{FOOT}'
            "</body></html>")


def test_a_byline_element_named_for_the_source_is_the_source() -> None:
    # Portals mark the outlet by the element's name alone, without a 来源 label.
    for byline in (
        '<div class="date-source"><span class="date">2025年03月12日 09:41</span>'
        '<a href="http://www.dhrb.test/" class="source ent-source">东海日报</a></div>',
        '<div class="a_Info"><span class="a_source">东海日报</span>'
        '<span class="a_time">2025-03-12 09:41</span></div>',
    ):
        assert parse(_byline_page(byline)).source == "东海日报", byline


def test_a_source_named_element_outside_the_byline_is_not_the_source() -> None:
    side = '<div class="side"><div class="source-list"><a href="/zt/">更多专题</a></div></div>'
    page = parse(_byline_page('<div class="info"><span>2025-03-12</span></div>', side))
    assert page.source is None


def test_a_badge_in_front_of_the_heading_is_no_part_of_the_title() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}</title></head><body>'
            f'{NAV}<div class="article"><h2 class="title"><span class="tag">原创</span>{TITLE}</h2>'
            f'<div class="art-con">{paragraphs}</div></div>{FOOT}</body></html>')
    page = parse(html)
    assert page.title == TITLE
    assert not any(TITLE in p for p in page.paragraphs)
    # A heading that merely begins with the word keeps it.
    html = html.replace(f'<span class="tag">原创</span>{TITLE}', f"原创{TITLE}")
    assert parse(html).title == f"原创{TITLE}"


def test_words_the_title_tag_appends_after_a_space_are_no_part_of_the_title() -> None:
    """<title> runs on past the heading shown on the page (a department, a column) after a space,
    and the heading sits in an inline element of a centred old-layout cell."""
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    for appended in ("市经信局", "政务动态 工作信息"):
        html = (f'<html><head><meta charset="gbk"><title>{TITLE} {appended}_东海网</title></head>'
                f'<body>{NAV}<table><tr><td><div align="center"><span class="bt"><b>{TITLE}</b>'
                f'</span><br></div></td></tr><tr><td>{paragraphs}</td></tr></table>{FOOT}'
                '</body></html>')
        assert parse(html).title == TITLE, appended
    # A title whose words after a space are shown with it keeps them.
    html = html.replace(f"<b>{TITLE}</b>", f"<b>{TITLE} {appended}</b>")
    assert parse(html).title == f"{TITLE} {appended}"
