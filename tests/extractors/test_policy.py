"""Policy metadata (crawler/extractors/policy.py) on TRS-shaped government pages: the 政务公开
information table in several layouts, meta tags, numbers in the title and the first lines, the
signature block, interpretation and repeal pages; and the table kept out of the body."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from crawler.extractors import GenericParser
from crawler.extractors.page import POLICY_FIELDS, ExtractedPage, PolicyMetadata
from crawler.extractors.policy import doc_number_key, doc_type, level_of, normalize_validity
from crawler.items import item_from_page
from pipelines.items import ArticleItem, RemovalRecord, spam_cut_count

URL = "http://www.gdgxt.gov.test/zwgk/zcwj/202510/t20251020_4471203.html"
TITLE = "广东省工业和信息化厅关于印发广东省推动中小企业数字化转型若干措施的通知"
ADDRESSEES = "各地级以上市工业和信息化主管部门，省有关单位："
PROSE = [
    "为贯彻落实国家关于促进中小企业发展的决策部署，加快推动我省中小企业数字化转型，"
    "现将《广东省推动中小企业数字化转型若干措施》印发给你们，请认真组织实施。",
    "各地要结合本地产业特点，组织数字化服务商深入产业集群开展诊断评估，"
    "对转型成效明显的企业按规定给予支持，并及时报送工作进展情况。",
    "执行中遇到的问题，请径向省工业和信息化厅中小企业局反映。",
]
SIGNATURE = [
    '<p style="text-align: right;">广东省工业和信息化厅</p>',
    '<p style="text-align: right;">2025年10月16日</p>',
]


def trs_page(
    info: str = "", paras: list[str] | None = None, *, title: str = TITLE, head: str = "",
    info_in_body: str = "", tail: list[str] | None = None,
) -> str:
    """A TRS WCM provincial article page: head meta tags, an information table above the
    heading (`info`) or at the top of the text (`info_in_body`), the text and its signature."""
    paragraphs = [ADDRESSEES, *PROSE] if paras is None else paras
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    signature = "\n".join(SIGNATURE if tail is None else tail)
    return f"""<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}_政策文件_广东省工业和信息化厅</title>
<meta name="SiteName" content="广东省工业和信息化厅"><meta name="SiteIDCode" content="4400000085">
<meta name="ColumnName" content="政策文件"><meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2025-10-20 09:15"><meta name="ContentSource" content="广东省工业和信息化厅">
{head}</head>
<body><div class="header"><div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a>
<a href="/zwgk/zcwj/">政策文件</a><a href="/hdjl/">互动交流</a></div></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt;
<a href="/zwgk/zcwj/">政策文件</a></div>
<div class="main">{info}
<div class="article"><h1 class="article-title">{title}</h1>
<div class="article-meta">发布时间：2025-10-20 来源：本网
字号：[<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>]</div>
<div class="article-content"><div class="TRS_Editor"><div class="Custom_UnionStyle">
{info_in_body}{body}
{signature}
</div></div></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】
【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div></div>
<div class="footer"><p>主办：广东省工业和信息化厅 版权所有</p><p>网站标识码：4400000085 粤ICP备05070829号</p></div>
</body></html>"""


def parse(html: str, url: str = URL) -> ExtractedPage:
    page = GenericParser().parse(html, url)
    assert "extract_error" not in page.signals, page.signals.get("extract_error")
    return page


# --- the information table in four layouts ---------------------------------------------------

TABLE = """<div class="xxgk-head"><table class="xxgk_table" cellspacing="0" width="100%"><tbody>
<tr><td class="td-label">索&nbsp;&nbsp;引&nbsp;&nbsp;号：</td><td>11440000006939429X/2025-01234</td>
<td class="td-label">主题分类：</td><td>工业、交通\\中小企业</td></tr>
<tr><td class="td-label">发文机关：</td><td>广东省工业和信息化厅</td>
<td class="td-label">成文日期：</td><td>2025-10-16</td></tr>
<tr><td class="td-label">标　　题：</td><td colspan="3">广东省工业和信息化厅关于印发广东省推动中小企业数字化转型若干措施的通知</td></tr>
<tr><td class="td-label">发文字号：</td><td>粤工信规字〔2025〕5号</td>
<td class="td-label">发布日期：</td><td>2025-10-20</td></tr>
<tr><td class="td-label">主&nbsp;题&nbsp;词：</td><td>中小企业 数字化</td>
<td class="td-label">时&nbsp;&nbsp;效：</td><td>有效</td></tr>
</tbody></table></div>"""

UL_LI = """<div class="zw-info"><ul class="clearfix">
<li class="w50"><b>索 引 号：</b><span>11440000006939429X/2025-01234</span></li>
<li class="w50"><b>分　　类：</b><span>工业、交通\\中小企业</span></li>
<li class="w50"><b>发布机构：</b><span>广东省工业和信息化厅</span></li>
<li class="w50"><b>印发日期：</b><span>2025年10月16日</span></li>
<li class="w100"><b>名　　称：</b><span>广东省工业和信息化厅关于印发广东省推动中小企业数字化转型若干措施的通知</span></li>
<li class="w50"><b>文　　号：</b><span>粤工信规字[2025]5号</span></li>
<li class="w50"><b>发布日期：</b><span>2025年10月20日</span></li>
<li class="w50"><b>主 题 词：</b><span></span></li>
<li class="w50"><b>效力状态：</b><span>现行有效</span></li>
</ul></div>"""

DL = """<div class="meta-box"><dl class="gk-dl">
<dt>索引号</dt><dd>11440000006939429X/2025-01234</dd>
<dt>主题分类</dt><dd>工业、交通\\中小企业</dd>
<dt>发文单位</dt><dd>广东省工业和信息化厅</dd>
<dt>成文日期</dt><dd>2025年10月16日</dd>
<dt>文号</dt><dd></dd>
<dt>发布日期</dt><dd>2025年10月20日</dd>
<dt>有效性</dt><dd>已废止</dd>
</dl></div>"""

DIV_ROWS = """<div class="policy-attr">
<div class="attr-row">
<div class="attr"><span class="k">索引号</span>
<span class="v">11440000006939429X/2025-01234</span></div>
<div class="attr"><span class="k">主题分类</span><span class="v">工业、交通\\中小企业</span></div></div>
<div class="attr-row">
<div class="attr"><span class="k">发布机构</span><span class="v">广东省工业和信息化厅</span></div>
<div class="attr"><span class="k">成文日期</span><span class="v">2025-10-16</span></div></div>
<div class="attr-row">
<div class="attr"><span class="k">发文字号</span><span class="v">粤工信规字（2025）第5号</span></div>
<div class="attr"><span class="k">发布日期</span><span class="v">2025-10-20</span></div></div>
<div class="attr-row">
<div class="attr"><span class="k">时效性</span><span class="v">部分失效</span></div>
<div class="attr"><span class="k">主题词</span><span class="v"></span></div></div>
</div>"""

NUMBER_KEY = "粤工信规字〔2025〕5号"


@pytest.mark.parametrize("info, number, validity, keywords", [
    (TABLE, "粤工信规字〔2025〕5号", "有效", "中小企业、数字化"),
    (UL_LI, "粤工信规字[2025]5号", "有效", None),
    (DL, None, "废止", None),
    (DIV_ROWS, "粤工信规字（2025）第5号", "部分修改", None),
], ids=["table", "ul-li", "dl", "div-rows"])
def test_information_table_layouts(info: str, number: str | None, validity: str,
                                   keywords: str | None) -> None:
    page = parse(trs_page(info))
    assert page.index_no == "11440000006939429X/2025-01234"
    assert page.topic == "工业、交通\\中小企业"
    assert page.issuer == "广东省工业和信息化厅"
    assert page.written_at == date(2025, 10, 16)
    assert page.doc_number == number  # the dl's 文号 cell is empty: not the next label's value
    assert page.doc_number_key == (NUMBER_KEY if number else None)
    assert page.validity == validity
    assert page.keywords == keywords
    assert page.level == "provincial"
    assert page.doc_type == "通知"
    assert page.column_name == "政策文件"
    assert page.paragraphs[0] == ADDRESSEES


@pytest.mark.parametrize("info", [TABLE, UL_LI, DL, DIV_ROWS], ids=["table", "ul-li", "dl", "div"])
def test_information_table_inside_the_text_is_cut_from_the_body(info: str) -> None:
    page = parse(trs_page(info_in_body=info))
    assert page.index_no == "11440000006939429X/2025-01234"
    assert page.written_at == date(2025, 10, 16)
    assert page.paragraphs[0] == ADDRESSEES, page.paragraphs[:3]
    labels = ("索引号", "索 引 号", "主题分类", "发文机关", "发布机构", "文号", "时效", "11440000006939429X")
    assert not [p for p in page.paragraphs if any(label in p for label in labels)]
    assert "11440000006939429X" not in page.body_html
    cuts = [r for r in page.removals if r.kind == "info_table"]
    assert len(cuts) == 1 and "11440000006939429X/2025-01234" in cuts[0].content


def test_information_rows_as_paragraphs_of_the_text() -> None:
    rows = ["索引号：11440000006939429X/2025-01234", "发文机关：广东省工业和信息化厅",
            "成文日期：2025年10月16日", "文号：粤工信规字〔2025〕5号", "时效性：有效"]
    page = parse(trs_page(paras=[*rows, ADDRESSEES, *PROSE]))
    assert page.doc_number == "粤工信规字〔2025〕5号"
    assert page.validity == "有效"
    assert page.paragraphs == [ADDRESSEES, *PROSE, "广东省工业和信息化厅", "2025年10月16日"]
    assert [r.kind for r in page.removals] == ["info_table"]


def test_an_information_table_is_not_a_spam_cut() -> None:
    item = item_from_page(parse(trs_page(info_in_body=TABLE)), site="gdgxt",
                          fetched_at=datetime(2025, 10, 21, tzinfo=UTC))
    assert [r.kind for r in item.removals] == ["info_table"]
    assert spam_cut_count(item.removals) == 0
    assert spam_cut_count([RemovalRecord("hidden_block", "x"), *item.removals]) == 1


def test_a_meta_line_with_one_policy_label_is_not_a_table() -> None:
    info = '<div class="info">发布机构：广东省工业和信息化厅  发布时间：2025-10-20  浏览次数：</div>'
    page = parse(trs_page(info))
    assert page.index_no is None and page.removals == []
    assert page.issuer == "广东省工业和信息化厅"  # from the title


# --- without a table: meta tags, title, first lines, signature -------------------------------

def test_missing_fields_are_none() -> None:
    page = parse(trs_page(paras=PROSE, tail=[], title="省工业和信息化厅召开中小企业数字化转型现场推进会",
                          head='<meta name="Keywords" content="省工业和信息化厅召开中小企业数字化转型现场推进会">'))
    for name in ("doc_number", "doc_number_key", "issuer", "written_at", "effective_at",
                 "index_no", "topic", "keywords", "validity", "doc_type"):
        assert getattr(page, name) is None, name
    assert page.level == "provincial"  # the site's name
    assert page.column_name == "政策文件"


def test_number_only_in_the_first_lines_and_issuers_in_the_signature() -> None:
    title = "关于印发广东省推动中小企业数字化转型若干措施的通知"
    paras = ["广东省工业和信息化厅　广东省财政厅文件", "粤工信规字〔2025〕5号", title, ADDRESSEES, *PROSE,
             "本措施自2025年11月1日起施行，有效期3年。"]
    tail = ['<p style="text-align:right">广东省工业和信息化厅　　广东省财政厅</p>',
            '<p style="text-align:right">2025年10月16日</p>', "<p>（此件主动公开）</p>"]
    page = parse(trs_page(paras=paras, title=title, tail=tail))
    assert page.doc_number == "粤工信规字〔2025〕5号"
    assert page.issuer == "广东省工业和信息化厅、广东省财政厅"
    assert page.written_at == date(2025, 10, 16)
    assert page.effective_at == date(2025, 11, 1)
    assert page.level == "provincial"
    assert page.validity is None


def test_signature_on_two_lines_before_the_document_it_issues() -> None:
    title = "工业和信息化部 国家发展改革委关于印发新型储能制造业高质量发展行动方案的通知"
    paras = ["各省、自治区、直辖市工业和信息化、发展改革主管部门：",
             "现将《新型储能制造业高质量发展行动方案》印发给你们，请结合实际认真贯彻落实。",
             "工业和信息化部", "国家发展改革委", "二〇二五年十月九日", "（此件公开发布）",
             "新型储能制造业高质量发展行动方案",
             "新型储能是建设新型能源体系的重要支撑，为推动新型储能制造业高质量发展，制定本方案。",
             "本方案自印发之日起施行。", "附件：重点任务分工"]
    page = parse(trs_page(paras=paras, title=title, tail=[]),
                 "http://www.miit.gov.test/zwgk/zcwj/202510/t20251011_9981.html")
    assert page.issuer == "工业和信息化部、国家发展改革委"  # from the title
    assert page.written_at == date(2025, 10, 9)
    assert page.effective_at == date(2025, 10, 9)  # 自印发之日起
    assert page.level == "national"
    assert page.doc_number is None


def test_number_closing_the_title_and_announcement_numbers() -> None:
    title = "国务院办公厅关于进一步优化政务服务提升行政效能的意见（国办发〔2025〕7号）"
    page = parse(trs_page(paras=PROSE, title=title, tail=[]))
    assert (page.doc_number, page.issuer, page.doc_type) == ("国办发〔2025〕7号", "国务院办公厅", "意见")
    assert page.level == "national"
    page = parse(trs_page(paras=["广东省工业和信息化厅公告2025年第3号", *PROSE], tail=[],
                          title="广东省工业和信息化厅关于2025年省级专精特新中小企业名单的公告"))
    assert page.doc_number == "广东省工业和信息化厅公告2025年第3号"
    assert page.doc_type == "公告"


def test_interpretation_does_not_take_the_policy_number() -> None:
    title = "《广东省推动中小企业数字化转型若干措施》（粤工信规字〔2025〕5号）政策解读"
    paras = [
        "近日，省工业和信息化厅印发了《广东省推动中小企业数字化转型若干措施》（粤工信规字〔2025〕5号）。"
        "现就有关内容解读如下。",
        "粤工信规字〔2025〕5号",
        "一、出台背景。中小企业是数字化转型的主力军，推动中小企业数字化转型是发展新质生产力的重要抓手。",
        "二、主要内容。《措施》从诊断评估、服务供给、资金支持等方面提出了十条具体措施。",
    ]
    page = parse(trs_page(paras=paras, title=title, tail=[]))
    assert page.doc_type == "解读"
    assert page.doc_number is None and page.doc_number_key is None
    assert doc_type("关于做好政策解读工作的通知") == "通知"
    assert doc_type("一图读懂《广东省推动中小企业数字化转型若干措施》") == "解读"


def test_repeal_phrase_names_another_document() -> None:
    title = "广东省工业和信息化厅关于印发广东省工业和信息化领域专项资金管理办法的通知"
    paras = [ADDRESSEES, *PROSE,
             "本办法自2025年12月1日起施行，有效期5年。《广东省工业和信息化专项资金管理办法》"
             "（粤工信规字〔2020〕3号）同时废止。"]
    page = parse(trs_page(paras=paras, title=title))
    assert page.validity is None  # 同时废止 speaks of the 2020 document
    assert page.doc_number is None
    assert page.effective_at == date(2025, 12, 1)
    assert page.doc_type == "通知"
    marked = parse(trs_page(paras=PROSE, title="广东省工业和信息化专项资金管理办法【已废止】"))
    assert (marked.validity, marked.doc_type) == ("废止", "办法")


# --- the pure helpers ------------------------------------------------------------------------

def test_doc_number_key_folds_brackets_width_spaces_and_di() -> None:
    written = ["工信部联规〔2025〕12号", "工信部联规[2025]12号", "工信部联规［２０２５］１２号",
               "工信部联规（2025）12号", "工信部联规(2025)第12号", "工信部联规 【2025】 12 号"]
    assert {doc_number_key(w) for w in written} == {"工信部联规〔2025〕12号"}
    assert doc_number_key("工信部联规〔2025〕13号") != doc_number_key("工信部联规〔2025〕12号")
    assert doc_number_key(None) is None


@pytest.mark.parametrize("name, level", [
    ("国务院办公厅", "national"), ("工业和信息化部", "national"), ("国家市场监督管理总局", "national"),
    ("广东省市场监督管理局", "provincial"), ("北京市人民政府", "provincial"),
    ("新疆维吾尔自治区工业和信息化厅", "provincial"), ("深圳市工业和信息化局", "city"),
    ("上海市浦东新区人民政府", "county"), ("长沙县发展和改革局", "county"),
    ("中国汽车工业协会", None), ("高新院", None), (None, None),
])
def test_level_of(name: str | None, level: str | None) -> None:
    assert level_of(name) == level


@pytest.mark.parametrize("written, value", [
    ("有效", "有效"), ("现行有效", "有效"), ("已失效", "失效"), ("废止", "废止"), ("已废止", "废止"),
    ("部分修改", "部分修改"), ("部分失效", "部分修改"), ("尚未生效", "尚未生效"), ("其他", None),
])
def test_validity_vocabulary(written: str, value: str | None) -> None:
    assert normalize_validity(written) == value


@pytest.mark.parametrize("title, kind", [
    ("关于印发广东省推动中小企业数字化转型若干措施的通知", "通知"),
    ("广东省工业和信息化专项资金管理办法（试行）", "办法"),
    ("深圳市关于加快发展新型储能产业的实施意见", "意见"),
    ("国家知识产权局公告（第六〇一号）", "公告"),
    ("国务院关于同意设立深圳数字经济创新发展试验区的批复", "批复"),
    ("关于征求《专项资金管理办法（征求意见稿）》意见的函", "函"),
    ("省工业和信息化厅召开现场推进会", None),
])
def test_doc_type_from_the_title(title: str, kind: str | None) -> None:
    assert doc_type(title) == kind


def test_field_names_are_the_same_on_page_item_and_record() -> None:
    names = set(POLICY_FIELDS)
    assert names == {f.name for f in fields(PolicyMetadata)}
    assert names <= {f.name for f in fields(ExtractedPage)}
    assert names <= {f.name for f in fields(ArticleItem)}
    from crawler.cli import extracted_record

    record = extracted_record(trs_page(TABLE).encode(), URL)
    assert record["doc_number"] == "粤工信规字〔2025〕5号"
    assert record["written_at"] == "2025-10-16"
    assert names <= set(record)
    assert parse(trs_page(TABLE)).to_dict()["written_at"] == "2025-10-16"
