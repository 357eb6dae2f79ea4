"""The item contract: a multi-page article joined from its pages keeps all of them."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.extractors import extract
from crawler.items import item_from_page
from pipelines.clean import clean_item

FETCHED = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)

PAGE = """<html><head><meta charset="utf-8"><title>关于推进集成电路产业高质量发展的通知_产业规划</title></head>
<body><div class="nav"><a href="/">首页</a> &gt; <a href="/a/chanye/">产业规划</a></div>
<h1>关于推进集成电路产业高质量发展的通知</h1>
<div class="info">发布时间：2025-10-16 来源：高新院</div>
<div class="content">{paragraphs}</div>
<div class="pages">{pager}</div>
<div class="footer">版权所有 高新院</div></body></html>"""

FIRST = [
    "为加快推进集成电路产业高质量发展，进一步优化产业布局，现将有关事项通知如下。",
    "一、总体要求。坚持创新驱动和市场主导，强化企业主体地位，推动产业链上下游协同发展，到2027年形成较为完备的产业体系。",
    "二、重点任务。支持设计、制造、封装测试和装备材料企业加大研发投入，建设公共服务平台，培育一批具有核心竞争力的骨干企业。",
]
SECOND = [
    "三、保障措施。各地要建立工作协调机制，落实财政、金融、土地和人才支持政策，加强督促检查和评估，确保各项任务落到实处。",
    "四、本通知自印发之日起施行，有效期五年。各单位在执行中遇到的问题，请及时向省工业和信息化厅反映。",
]


def page(paragraphs: list[str], pager: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return PAGE.format(paragraphs=body, pager=pager).encode("utf-8")


def test_a_multi_page_article_keeps_every_page_in_its_text_and_html() -> None:
    url = "http://www.achie.test/a/chanye/2025/1016/1.html"
    first = extract(page(FIRST, '<a href="1_2.html">下一页</a>'), url)
    second = extract(page(SECOND, '<a href="1.html">上一页</a>'), url.replace("1.html", "1_2.html"))
    item = item_from_page(first, site="achie", fetched_at=FETCHED)
    item.add_part(item_from_page(second, site="achie", fetched_at=FETCHED))

    assert item.paragraphs[-len(SECOND):] == SECOND
    stored = clean_item(item).item
    assert stored.body_text.split("\n")[-len(SECOND):] == SECOND
    for paragraph in FIRST + SECOND:
        assert paragraph in stored.body_html  # both pages, not page 1 only
    assert stored.body_html.index(FIRST[0]) < stored.body_html.index(SECOND[0])
