"""Links between documents (`pipelines.references`, `article_links`): a 解读 and its policy,
citations, amendments and repeals, resolved when the document named arrives, in any order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import permutations

import pytest
from sqlalchemy import select

from models import Article, ArticleLink
from models.database import open_store
from pipelines.ingest import Ingestor
from pipelines.items import ArticleItem
from pipelines.references import references, title_key
from pipelines.store import ArticleStore

PLAN = "东海省中小企业数字化转型实施方案"


def test_the_key_of_a_notice_is_the_plan_it_carries() -> None:
    assert title_key(f"东海省工业和信息化厅关于印发《{PLAN}》的通知") == PLAN
    assert title_key("关于转发 《数据要素市场化配置改革方案》 的通知") == "数据要素市场化配置改革方案"
    assert title_key("东海省技术改造项目管理办法") == "东海省技术改造项目管理办法"
    assert title_key(None) is None


@pytest.mark.parametrize(
    ("title", "doc_type", "paragraphs", "expected"),
    [
        (f"《{PLAN}》政策解读", "解读", ["一、出台背景", "为贯彻落实《中华人民共和国中小企业促进法》，制定本方案。"],
         {("interprets", PLAN), ("cites", "中华人民共和国中小企业促进法")}),
        ("东海省技术改造项目管理办法", "办法",
         ["第三十条 本办法自2025年11月1日起施行，《东海省技术改造项目管理暂行办法》（东工信规〔2019〕2号）同时废止。"],
         {("repeals", "东海省技术改造项目管理暂行办法")}),
        ("东海省人民政府关于修改《东海省专项资金管理办法》的决定", "决定",
         ["依据《中华人民共和国预算法》等规定，省人民政府决定对《东海省专项资金管理办法》作如下修改：",
          "一、将第五条修改为……"],
         {("cites", "中华人民共和国预算法"), ("amends", "东海省专项资金管理办法")}),
        # A notice quoting its own plan's title names no other document.
        (f"关于印发《{PLAN}》的通知", "通知", [f"现将《{PLAN}》印发给你们，请认真贯彻执行。"], set()),
    ],
)
def test_what_a_document_says_of_others(title, doc_type, paragraphs, expected) -> None:
    assert {(r.kind, r.title) for r in references(title, doc_type, paragraphs)} == expected


def _page(url: str, title: str, body: list[str], doc_type: str) -> ArticleItem:
    return ArticleItem(url=url, site="gov", fetched_at=datetime(2025, 11, 3, tzinfo=UTC),
                       title=title, published_at=date(2025, 11, 3), paragraphs=body,
                       doc_type=doc_type)


PAGES = {
    "policy": _page(
        "http://www.gxt.gov.test/zcwj/t20251016_1.html", f"东海省工业和信息化厅关于印发《{PLAN}》的通知",
        ["各市工业和信息化主管部门，省有关单位：",
         f"现将《{PLAN}》印发给你们，请结合实际认真贯彻执行。执行中遇到的问题，请及时向省工业和信息化厅反映。",
         "到2027年，全省规模以上工业企业数字化改造基本实现全覆盖，重点行业骨干企业关键工序数控化率达到百分之七十。",
         "本方案自2025年11月1日起施行，《东海省中小企业上云用云行动计划》同时废止。"], "通知"),
    "reading": _page(
        "http://www.gxt.gov.test/zcjd/t20251020_2.html", f"《{PLAN}》政策解读",
        ["一、出台背景。近年来，我省中小企业数字化转型步伐加快，但仍面临不会转、不敢转、不能转等问题，省工业和信息化厅研究制定了实施方案。",
         "二、主要内容。方案提出了到2027年的目标任务，明确了诊断评估、标杆示范、平台支撑、人才培育、金融服务和安全保障六项举措。",
         "三、政策衔接。方案与《东海省数字经济发展三年行动计划》相互衔接，形成政策合力。"], "解读"),
    "old": _page(
        "http://www.gxt.gov.test/zcwj/t20200506_3.html", "东海省中小企业上云用云行动计划",
        ["为加快推动中小企业上云用云，降低企业数字化转型成本，制定本行动计划。",
         "一、主要目标。到2022年，全省新增上云企业五万家，培育上云标杆企业一百家，建设行业云平台二十个。",
         "二、重点任务。推动基础设施上云、业务系统上云和设备上云，支持云服务商开发适合中小企业的产品。"], "方案"),
}


@pytest.mark.parametrize("order", list(permutations(PAGES)), ids="-".join)
def test_links_are_resolved_whatever_arrives_first(db_url: str, order: tuple[str, ...]) -> None:
    engine = open_store(db_url)
    ingestor = Ingestor(ArticleStore(engine))
    for name in order:  # one transaction each: a 解读 before its policy, a repeal before the old
        ingestor.ingest(PAGES[name])
    with engine.connect() as conn:
        by_id = dict(conn.execute(select(Article.id, Article.url)).all())
        links = {
            (by_id[row.from_article_id], row.kind, row.to_title,
             by_id.get(row.to_article_id) if row.to_article_id else None)
            for row in conn.execute(select(ArticleLink))
        }
    engine.dispose()
    policy, reading, old = (PAGES[n].url for n in ("policy", "reading", "old"))
    assert links == {
        (reading, "interprets", PLAN, policy),
        (reading, "cites", "东海省数字经济发展三年行动计划", None),  # not stored: unresolved
        (policy, "repeals", "东海省中小企业上云用云行动计划", old),
    }


NOTICE = [
    "各市工业和信息化主管部门，省有关单位：",
    "为加快推进全省中小企业数字化转型，省工业和信息化厅制定了实施方案，现印发给你们，请认真贯彻执行。",
    "到2027年，全省规模以上工业企业数字化改造基本实现全覆盖，重点行业骨干企业关键工序数控化率达到百分之七十。",
    "一、开展诊断评估。组织服务机构为中小企业免费开展数字化水平诊断，形成改造方案，每年覆盖企业不少于五千家。",
    "二、培育标杆示范。每年遴选一百家数字化转型标杆企业，总结推广典型场景和解决方案，带动产业链上下游协同转型。",
    "三、强化要素保障。省级财政安排专项资金，对符合条件的改造项目按投资额给予一定比例补助，单个项目最高五百万元。",
]
# The same notice on a city site: retyped, reordered, with the city's own covering lines.
RETYPED = [
    "东海省工业和信息化厅关于中小企业数字化转型的通知已于近日印发，现转发如下，请各区县抓好落实。",
    "目标任务：到2027年全省规上工业企业数字化改造基本全覆盖，骨干企业关键工序数控化率达百分之七十。",
    "联系人：市工信局企业服务科，电话：0571-87654321。",
]


def _numbered(url: str, body: list[str], **fields: object) -> ArticleItem:
    return ArticleItem(url=url, site="gov", fetched_at=datetime(2025, 11, 3, tzinfo=UTC),
                       title="东海省工业和信息化厅关于加快中小企业数字化转型的通知",
                       published_at=date(2025, 10, 20), paragraphs=body, **fields)


def test_one_number_and_issuer_is_one_document_whatever_the_bodies(db_url: str) -> None:
    number = {"doc_number": "东工信规〔2025〕3号", "doc_number_key": "东工信规〔2025〕3号",
              "issuer": "东海省工业和信息化厅", "doc_type": "通知"}
    engine = open_store(db_url)
    ingestor = Ingestor(ArticleStore(engine))
    first = ingestor.ingest(_numbered("http://www.gxt.gov.test/zcwj/t1.html", NOTICE, **number))
    same = ingestor.ingest(_numbered("http://www.city.gov.test/zcwj/t2.html", RETYPED, **number))
    reading = ingestor.ingest(ArticleItem(
        url="http://www.gxt.gov.test/zcjd/t3.html", site="gov",
        fetched_at=datetime(2025, 11, 3, tzinfo=UTC), title="《东工信规〔2025〕3号》政策解读",
        paragraphs=["一、出台背景。东工信规〔2025〕3号文件明确了数字化转型的目标、任务和保障措施。",
                    "二、主要内容。文件提出了诊断评估、标杆示范、平台支撑、人才培育四方面的举措。"],
        **{**number, "doc_type": "解读"}))
    other_issuer = ingestor.ingest(_numbered(
        "http://www.other.gov.test/t4.html", ["西江省关于推进制造业绿色低碳发展的若干措施，自发布之日起施行。",
                                             "各地要加强组织领导，细化工作举措，确保各项任务落到实处。"],
        **{**number, "issuer": "西江省工业和信息化厅"}))
    engine.dispose()
    assert same.save.article_id == first.save.article_id and same.relation == "same_number"
    assert reading.save.article_id != first.save.article_id  # a 解读 quoting the number
    assert other_issuer.save.article_id != first.save.article_id  # another issuer's 3号


def test_a_short_name_given_to_a_citation_names_nothing_new() -> None:
    found = references(f"《{PLAN}》政策解读", "解读", [
        f"省工业和信息化厅近日印发《{PLAN}》（以下简称《实施方案》）。现就有关内容解读如下。",
        "《实施方案》提出了六项重点举措。"])
    assert {(r.kind, r.title) for r in found} == {("interprets", PLAN)}
