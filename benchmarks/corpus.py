"""Reproducible benchmark corpus: policy-like documents, near-duplicates, Traditional copies, page HTML.

`build_corpus(n, seed=…)` returns `n` documents of ~3,000 Chinese characters each, always the
same for the same arguments. Text is recombined from real policy paragraphs (the seed article
and notices of tests/pipelines/policy_texts.py, the articles of the bundled demo web): clauses
are drawn at random and given other places, industries, figures and years, so that unrelated
documents share about as little as unrelated real notices do (measured: character 5-gram
Jaccard ≈ 0.01–0.02, stock phrases like 深入贯彻落实 included).

Near-duplicates, a chosen share of the documents, copy an earlier original in one of the
shapes seen on the policy web (docs/web.md): a repost (another 来源, an editor's note), a copy
cut short (the first 40–70 %), page 1 of a multi-page article, and a mirror (converted to
Traditional with opencc `s2t`, a spam keyword line first). A further share of originals is
itself written in Traditional (a Hong Kong/Taiwan re-publication) so that the Traditional share
of the corpus is the one asked for.

`render_page(doc)` wraps a document in the page HTML of one of five CMS families (DedeCMS,
TRS WCM, PHPCMS, EmpireCMS, Hanweb), with navigation, related-article lists and footers that
bring a page to ~30 KB as on the real sites; some DedeCMS pages are served GBK-encoded.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

Kind = Literal["original", "repost", "cut_short", "page1", "mirror"]
FAMILIES = ("dedecms", "trs", "phpcms", "empire", "hanweb")

PLACES = (
    "江苏省", "浙江省", "广东省", "山东省", "四川省", "湖北省", "湖南省", "河南省", "福建省", "安徽省",
    "南京市", "苏州市", "杭州市", "宁波市", "广州市", "深圳市", "成都市", "武汉市", "长沙市", "郑州市",
    "合肥市", "厦门市", "青岛市", "济南市", "西安市", "重庆市", "天津市", "昆明市", "南宁市", "贵阳市",
    "高新区", "经开区", "自贸试验区", "滨海新区", "两江新区", "雄安新区",
)
INDUSTRIES = (
    "集成电路", "新型显示", "生物医药", "高端装备", "新能源汽车", "工业互联网", "人工智能", "低空经济",
    "新材料", "智能网联汽车", "现代种业", "海洋经济", "储能产业", "氢能", "物联网", "区块链",
    "北斗导航", "数字文创", "跨境电商", "现代物流", "康养产业", "节能环保", "先进计算", "信创产业",
)
DEPARTMENTS = (
    "省发展改革委", "省工业和信息化厅", "省科技厅", "省财政厅", "省商务厅", "市场监管局", "省教育厅",
    "省人力资源社会保障厅", "省生态环境厅", "省农业农村厅", "市人民政府办公室", "省政府国资委",
)
SOURCES = ("人民网", "新华网", "中国政府网", "经济日报", "科技日报", "本网", "高新院", "中国经济网")
EDITORS = ("王晓", "李明", "张婷", "刘洋", "陈静", "杨帆", "赵磊", "周敏")
SPAM_LINES = (
    "一本道无码中文字幕在线 国产精品 日韩av 熟女人妻",
    "澳门新葡京娱乐场官网 百家乐 真人娱乐 开户送彩金",
    "六合彩开奖结果 时时彩计划 北京pk10 太阳城娱乐城",
)
_CLAUSE_SPLIT = re.compile(r"(?<=[，。；：！？])")
_SLOTS = (
    (re.compile(r"[\u4e00-\u9fff]{1,3}[省市区县]"), PLACES),
    (re.compile(r"\d+(?:\.\d+)?%"), None),
    (re.compile(r"\d{4}年"), None),
    (re.compile(r"\d+(?:\.\d+)?(?:万|亿)?(?:元|个|家|项|台|吨)"), None),
)


@dataclass
class Document:
    doc_id: int
    kind: Kind
    original_of: int | None  # for copies: the doc_id they copy
    script: Literal["simplified", "traditional"]
    family: str
    site: str
    url: str
    title: str
    published: date
    source: str
    author: str
    column: str
    paragraphs: list[str] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


@lru_cache(maxsize=1)
def source_clauses() -> tuple[str, ...]:
    """Clauses of real policy prose (Simplified) to recombine."""
    from tests.pipelines import policy_texts as texts

    paragraphs = [
        *texts.SEED_ARTICLE, *texts.LOTTERY_POLICY, *texts.CULTURE_POLICY, *texts.DIGITAL_POLICY,
        *texts.INTERPRETATION,
    ]
    clauses = []
    for paragraph in paragraphs:
        for clause in _CLAUSE_SPLIT.split(paragraph.strip()):
            clause = clause.strip()
            if 6 <= len(clause) <= 80:
                clauses.append(clause)
    return tuple(clauses)


def _vary(clause: str, rng: random.Random) -> str:
    """The clause with other places, figures, years and (often) an inserted industry."""
    for pattern, choices in _SLOTS:
        if choices is not None:
            clause = pattern.sub(lambda m: rng.choice(choices), clause)
        else:
            clause = pattern.sub(lambda m: _figure(m.group(0), rng), clause)
    if rng.random() < 0.6 and len(clause) > 8:
        cut = rng.randrange(2, len(clause) - 3)
        clause = clause[:cut] + rng.choice(INDUSTRIES) + clause[cut:]
    return clause


def _figure(text: str, rng: random.Random) -> str:
    if text.endswith("年"):
        return f"{rng.randint(2015, 2030)}年"
    if text.endswith("%"):
        return f"{rng.randint(1, 95)}%"
    unit = re.sub(r"^[\d.]+", "", text)
    return f"{rng.randint(2, 999)}{unit}"


def _paragraph(rng: random.Random, clauses: tuple[str, ...]) -> str:
    parts = [_vary(rng.choice(clauses), rng) for _ in range(rng.randint(4, 9))]
    text = "".join(parts)
    return text if text.endswith(("。", "！", "？")) else text.rstrip("，；：") + "。"


def _article_paragraphs(rng: random.Random, chars: int) -> list[str]:
    clauses = source_clauses()
    head = f"{rng.choice(DEPARTMENTS)}关于加快{rng.choice(INDUSTRIES)}高质量发展的若干措施"
    paragraphs = [f"各{rng.choice(('市', '县（市、区）'))}人民政府，{rng.choice(DEPARTMENTS)}：", head + "如下。"]
    total = sum(len(p) for p in paragraphs)
    number = 1
    while total < chars:
        if rng.random() < 0.15:
            paragraph = f"（{_CN_NUMBERS[number % len(_CN_NUMBERS)]}）{rng.choice(INDUSTRIES)}发展重点"
            number += 1
        else:
            paragraph = _paragraph(rng, clauses)
        paragraphs.append(paragraph)
        total += len(paragraph)
    return paragraphs


_CN_NUMBERS = "一二三四五六七八九十"


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


def build_corpus(
    n: int,
    *,
    seed: int = 20251022,
    duplicate_share: float = 0.2,
    traditional_share: float = 0.1,
    chars: int = 3000,
) -> list[Document]:
    """`n` documents; `duplicate_share` of them copy an earlier one; `traditional_share` are Traditional."""
    rng = random.Random(seed)
    docs: list[Document] = []
    originals: list[int] = []
    mirrors_wanted = duplicate_share * 0.3  # a third of the copies are Traditional mirrors
    extra_traditional = max(0.0, traditional_share - mirrors_wanted * 1.0) / max(1e-9, 1 - duplicate_share)
    start = date(2024, 1, 1)
    for doc_id in range(n):
        family = FAMILIES[doc_id % len(FAMILIES)]
        site = f"{family}-{doc_id % 7}"
        published = start + timedelta(days=rng.randrange(600))
        if originals and rng.random() < duplicate_share:
            source_doc = docs[rng.choice(originals)]
            roll = rng.random()
            kind: Kind = (
                "mirror" if roll < 0.3 else "repost" if roll < 0.6 else "cut_short" if roll < 0.8 else "page1"
            )
            doc = _copy(doc_id, source_doc, kind, family, site, rng)
        else:
            paragraphs = _article_paragraphs(rng, chars)
            title = paragraphs[1].rstrip("如下。")
            script: Literal["simplified", "traditional"] = (
                "traditional" if rng.random() < extra_traditional else "simplified"
            )
            doc = Document(
                doc_id, "original", None, "simplified", family, site, _url(family, site, doc_id, published),
                title, published, rng.choice(SOURCES), rng.choice(EDITORS), rng.choice(INDUSTRIES),
                paragraphs,
            )
            if script == "traditional":
                doc = _traditional(doc)
            else:
                originals.append(doc_id)
        if family == "dedecms" and doc_id % 4 == 1:
            doc.encoding = "gbk"
        docs.append(doc)
    return docs


def _traditional(doc: Document) -> Document:
    s2t = _s2t()
    doc.script = "traditional"
    doc.title = s2t.convert(doc.title)
    doc.column = s2t.convert(doc.column)
    doc.source = s2t.convert(doc.source)
    doc.paragraphs = [s2t.convert(p) for p in doc.paragraphs]
    return doc


def _copy(doc_id: int, original: Document, kind: Kind, family: str, site: str, rng: random.Random) -> Document:
    paragraphs = list(original.paragraphs)
    published = original.published + timedelta(days=rng.randint(0, 5))
    source = original.source
    if kind == "repost":
        source = rng.choice(SOURCES)
        paragraphs = [f"来源：{source}", *paragraphs, f"（责任编辑：{rng.choice(EDITORS)}）"]
        if rng.random() < 0.5 and len(paragraphs) > 6:  # a figure corrected
            i = rng.randrange(2, len(paragraphs) - 1)
            paragraphs[i] = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), paragraphs[i], count=1)
    elif kind == "cut_short":
        paragraphs = paragraphs[: max(3, int(len(paragraphs) * rng.uniform(0.4, 0.7)))]
    elif kind == "page1":
        paragraphs = paragraphs[: max(3, len(paragraphs) // 3)]
    doc = Document(
        doc_id, kind, original.doc_id, "simplified", family, site, _url(family, site, doc_id, published),
        original.title, published, source, original.author, original.column, paragraphs,
    )
    if kind == "mirror":
        doc.paragraphs = [rng.choice(SPAM_LINES), *paragraphs]
        doc = _traditional(doc)
    return doc


def _url(family: str, site: str, doc_id: int, day: date) -> str:
    host = f"www.{site}.test"
    if family == "dedecms":
        return f"http://{host}/a/chanye/{day:%Y}/{day:%m%d}/{doc_id}.html"
    if family == "trs":
        return f"http://{host}/zwgk/zcwj/{day:%Y%m}/t{day:%Y%m%d}_{doc_id}.html"
    if family == "phpcms":
        return f"http://{host}/html/zcfg/{day:%Y}/{day:%m%d}/{doc_id}.html"
    if family == "empire":
        return f"http://{host}/news/zcjd/{day:%Y-%m-%d}/{doc_id}.html"
    return f"http://{host}/art/{day:%Y/%m/%d}/art_1621004_{doc_id}.html"


# --- page HTML -----------------------------------------------------------------------------

def _links(rng: random.Random, host: str, count: int, titles: list[str]) -> str:
    items = []
    for i in range(count):
        title = html.escape(rng.choice(titles)[:28])
        items.append(f'<li><a href="http://{host}/a/{rng.randint(1, 9999)}.html" title="{title}">{title}</a>'
                     f'<span>{2024 + i % 2}-{1 + i % 12:02d}-{1 + i % 28:02d}</span></li>')
    return "\n".join(items)


_NAV = ("首页", "新闻中心", "政务公开", "政策文件", "政策解读", "产业规划", "通知公告", "办事服务", "互动交流",
        "专题专栏", "数据发布", "关于我们")


def render_page(
    doc: Document, related_titles: list[str] | None = None,
    attachments: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The document as a realistic article page of its CMS family, encoded as served;
    `attachments` ((href, link text) pairs) are listed under the body (附件：…)."""
    rng = random.Random(doc.doc_id)
    host = doc.url.split("/")[2]
    titles = related_titles or [_vary(c, rng) for c in rng.sample(source_clauses(), 40)]
    title = html.escape(doc.title)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in doc.paragraphs)
    if attachments:
        body += "\n<p>附件：</p>" + "".join(
            f'\n<p><a href="{html.escape(href)}" target="_blank">{html.escape(text)}</a></p>'
            for href, text in attachments)
    nav = "".join(f'<li><a href="/{i}/">{name}</a></li>' for i, name in enumerate(_NAV))
    related = _links(rng, host, 30, titles)
    hot = _links(rng, host, 20, titles)
    friends = "".join(f'<a href="http://www.site{i}.gov.test/" target="_blank">{name}</a> '
                      for i, name in enumerate(DEPARTMENTS))
    day = doc.published.isoformat()
    script = "<script type=\"text/javascript\">var _hmt=_hmt||[];(function(){var hm=document.createElement('script');})();</script>"
    footer = (f'<div class="footer"><div class="links">友情链接：{friends}</div>'
              f'<p>主办单位：{html.escape(doc.source)} 版权所有 ICP备{doc.doc_id % 90000 + 10000}号</p>'
              f'<p>地址：{rng.choice(PLACES)}政务服务中心 电话：0{rng.randint(10, 999)}-{rng.randint(1000000, 9999999)}</p></div>')
    charset = "gb2312" if doc.encoding == "gbk" else "utf-8"
    head = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
            f"<title>{title}_{html.escape(doc.column)}_{html.escape(doc.source)}</title>"
            f'<meta name="keywords" content="{html.escape(doc.column)},政策" />'
            f'<meta name="description" content="{html.escape(doc.paragraphs[0][:80])}" />')
    if doc.family == "dedecms":
        page = (f"{head}{script}</head><body><div class=\"header\"><ul id=\"navMenu\">{nav}</ul></div>"
                f'<div class="place">当前位置:<a href="/">主页</a> > <a href="/a/">新闻中心</a> > <a href="/a/chanye/">{html.escape(doc.column)}</a> ></div>'
                f'<div class="viewbox"><div class="title"><h2>{title}</h2></div>'
                f'<div class="info"><small>时间:</small>{day} <small>来源:</small>{html.escape(doc.source)} <small>作者:</small>{html.escape(doc.author)} <small>点击:</small><script src="/plus/count.php?view=yes&aid={doc.doc_id}&mid=1"></script>次</div>'
                f'<div class="content"><table width="100%"><tr><td>{body}</td></tr></table></div></div>'
                f'<div class="sidebar"><h3>相关文章</h3><ul class="c1 ico2">{related}</ul><h3>热点关注</h3><ul>{hot}</ul></div>{footer}</body></html>')
    elif doc.family == "trs":
        page = (f'{head}<meta name="SiteName" content="{html.escape(doc.source)}"><meta name="ColumnName" content="{html.escape(doc.column)}">'
                f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{day} 09:30">'
                f'<meta name="ContentSource" content="{html.escape(doc.source)}">{script}</head><body>'
                f'<div class="nav"><ul>{nav}</ul></div><div class="crumb">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政策文件</div>'
                f'<div class="article"><h1 class="tit">{title}</h1><div class="fbxx">发布时间：{doc.published.year}年{doc.published.month}月{doc.published.day}日 来源：{html.escape(doc.source)} 字号：[<a>大</a> <a>中</a> <a>小</a>]</div>'
                f'<div class="TRS_Editor"><div class="Custom_UnionStyle">{body}</div></div>'
                f'<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div></div>'
                f'<div class="xgwz"><h3>相关信息</h3><ul>{related}</ul></div><div class="hot"><ul>{hot}</ul></div>{footer}</body></html>')
    elif doc.family == "phpcms":
        page = (f'{head}{script}</head><body><div class="nav"><ul>{nav}</ul></div>'
                f'<div class="crumbs"><a href="/">首页</a><span> > </span><a href="/html/zcfg/">政策法规</a> > 正文</div>'
                f'<div id="Article"><h1>{title}<br /><span>{day} 10:12:00  来源：{html.escape(doc.source)}  点击：<span id="hits"></span></span></h1>'
                f'<div class="content">{body}</div></div><div class="box"><h5>相关热词搜索：</h5><ul>{related}</ul></div><div class="box"><ul>{hot}</ul></div>{footer}</body></html>')
    elif doc.family == "empire":
        page = (f'{head}{script}</head><body><table class="nav"><tr><td><ul>{nav}</ul></td></tr></table>'
                f'<table><tr><td>您当前的位置：<a href="/">首页</a>&nbsp;>&nbsp;<a href="/news/">政策解读</a></td></tr></table>'
                f'<table class="main"><tr><td><h1>{title}</h1></td></tr><tr><td class="info_text">时间：{day} 08:00:00 来源：{html.escape(doc.source)} 作者：{html.escape(doc.author)} 点击：<script src="/e/public/ViewClick/?classid=2&id={doc.doc_id}&addclick=1"></script></td></tr>'
                f'<tr><td id="text"><font id="zoom">{body}</font></td></tr></table><div class="right"><ul>{related}</ul><ul>{hot}</ul></div>{footer}</body></html>')
    else:
        page = (f'{head}{script}</head><body><div class="nav"><ul>{nav}</ul></div>'
                f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1621004/index.html">{html.escape(doc.column)}</a></div>'
                f'<div class="article"><div class="title">{title}</div><div class="info">发布日期：{day} 信息来源：{html.escape(doc.source)}</div>'
                f'<div class="con"><!--<$[信息内容]>begin-->{body}<!--<$[信息内容]>end--></div></div>'
                f'<div class="xglj"><ul>{related}</ul><ul>{hot}</ul></div>{footer}</body></html>')
    if doc.encoding == "gbk":
        return page.encode("gbk", errors="xmlcharrefreplace")
    return page.encode("utf-8")
