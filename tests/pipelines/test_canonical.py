"""The canonical copy is the original, not a repost or a mirror, in whatever order copies arrive.

Unit tests of `pipelines.canonical` (the 来源 naming another copy's site, the editor's note,
containment measured on the bodies), then whole ingestion through `Ingestor` and the store in
every arrival order: an original, a government repost that names it and opens with 编者按 and
cuts its last paragraph short, and a Traditional mirror; two sites carrying the same ministry
notice.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Optional, Sequence

import pytest
from sqlalchemy import select

from models import Article, ArticleCopy
from models.database import open_store
from pipelines.canonical import (
    Copy,
    choose_canonical,
    contained_in,
    names_site,
    opens_with_editor_note,
    rank_copies,
    site_names,
)
from pipelines.dedup import DedupIndex, ShingleSample, entry_sample
from pipelines.ingest import Ingestor
from pipelines.items import ArticleItem
from pipelines.store import ArticleStore
from tests.pipelines.policy_texts import s2t

# --- fixture texts -----------------------------------------------------------------------------

# An industry association's monthly figures, as its own site publishes them.
SALES_REPORT = [
    "9月，汽车产销分别完成327.6万辆和322.7万辆，环比分别增长16.4%和12.9%，同比分别增长17.1%和"
    "14.9%，产销量均创同期历史新高。1—9月，汽车产销累计完成2433.3万辆和2436.3万辆，同比分别"
    "增长13.3%和12.9%，增速较1—8月均有所扩大。",
    "分车型看，9月乘用车产销分别完成292.4万辆和286.5万辆，同比分别增长16.5%和14.4%；商用车"
    "产销分别完成35.2万辆和36.2万辆，同比分别增长22.3%和19.1%。商用车市场在以旧换新政策带动下"
    "延续恢复态势，重型货车和新能源轻型货车表现突出。",
    "新能源汽车方面，9月产销分别完成161.7万辆和160.4万辆，同比分别增长23.7%和24.6%，新能源"
    "汽车新车销量达到汽车新车总销量的49.7%。1—9月，新能源汽车产销累计完成1124.3万辆和1122.8万"
    "辆，同比分别增长35.2%和34.9%，其中插电式混合动力汽车增速有所回落，纯电动汽车占比继续提高。",
    "出口方面，9月汽车出口65.2万辆，环比增长6.7%，同比增长21.0%；其中新能源汽车出口22.2万辆，"
    "同比增长一倍。1—9月，汽车出口累计495万辆，同比增长14.8%，对中东、拉美和东盟市场的出口"
    "保持较快增长，对欧洲出口结构持续优化，整车企业海外本地化生产布局加快推进。",
    "协会分析认为，三季度以来，中央和地方促消费政策持续发力，汽车以旧换新补贴资金及时拨付，"
    "叠加企业新品密集上市，市场需求稳步释放。展望四季度，传统销售旺季将至，政策效应有望进一步"
    "显现，但也要看到，部分企业经营压力加大，行业内卷式竞争尚未根本扭转，出口面临的贸易壁垒有所"
    "增加，需要密切关注。协会将继续加强行业运行监测，及时反映企业诉求，引导企业规范价格行为，"
    "推动行业由规模扩张向质量效益转变，为全年目标任务完成提供有力支撑。",
]
SALES_NOTE = "编者按：中国汽车工业协会近日发布9月汽车工业产销数据，现予转载，供企业参考。"
# A long note: the repost is longer than the original although its last paragraph is cut.
SALES_LONG_NOTE = (
    "【编者按】汽车产业是我省工业经济的重要支柱。为便于各地及时掌握全国汽车市场走势，"
    "做好四季度生产经营安排，现将有关情况转载如下，请结合本地实际参考。"
)


def sales_repost(note: str) -> list[str]:
    """The repost: an editor's note on top, the last paragraph cut short (after its first
    sentences under the short note; only its last sentence under the long one)."""
    last = SALES_REPORT[-1]
    cut_at = "协会将继续" if note is SALES_NOTE else "推动行业由规模扩张"
    return [note, *SALES_REPORT[:-1], last[: last.index(cut_at)]]


# A ministry notice that two local sites carry, each naming the ministry as its 来源.
MINISTRY_NOTICE = [
    "各省、自治区、直辖市及计划单列市、新疆生产建设兵团工业和信息化主管部门：",
    "为贯彻落实党中央、国务院关于促进中小企业发展的决策部署，加快推进中小企业数字化转型，"
    "按照《中小企业数字化转型城市试点实施方案》要求，现就组织开展2025年中小企业数字化转型城市"
    "试点申报工作有关事项通知如下。",
    "一、申报主体。试点城市以地级市（含直辖市所辖区县）为申报主体，由城市人民政府牵头组织，"
    "会同工业和信息化、财政等部门编制实施方案。已入选前两批试点的城市不再重复申报。",
    "二、支持方向。重点支持试点城市围绕本地制造业细分行业，遴选一批数字化转型需求迫切、"
    "示范带动作用强的中小企业，推动数字化服务商开发“小快轻准”的产品和解决方案，"
    "形成可复制、可推广的行业转型路径，带动产业链上下游中小企业协同转型。",
    "三、工作要求。各地要严格审核申报材料，确保内容真实准确，按照竞争性评审结果择优推荐，"
    "每个省份推荐城市不超过2个。请于2025年11月15日前将推荐文件和实施方案报送工业和信息化部"
    "（中小企业局），逾期不予受理。联系电话：010-68205316。",
]

# A city's notice on work safety: the copy cut short and the correction for containment.
SAFETY_NOTICE = [
    "各区（县）人民政府，市政府各部门，各有关单位：",
    "当前正值岁末年初，企业生产经营任务重，人员流动频繁，冬季火灾、燃气泄漏、道路结冰等风险"
    "交织叠加，安全生产形势严峻复杂。为切实防范化解重大安全风险，坚决遏制重特大事故发生，"
    "经市政府同意，现就做好今冬明春安全生产工作通知如下。",
    "一、全面排查整治重点领域隐患。各区县要组织力量对危险化学品、建筑施工、城镇燃气、"
    "交通运输、人员密集场所等重点行业领域开展拉网式排查，对排查发现的问题隐患建立台账，"
    "明确整改责任人、整改措施和整改时限，实行闭环管理，确保整改到位。",
    "二、压紧压实安全生产责任。各级党委政府要落实属地管理责任，行业主管部门要按照“管行业必须"
    "管安全、管业务必须管安全、管生产经营必须管安全”的要求履行监管职责，企业主要负责人要对"
    "本单位安全生产工作全面负责，切实做到责任到人、措施到位。",
    "三、强化应急值守和信息报送。节假日和重要时段要严格执行领导带班和24小时值班制度，"
    "发生事故要按规定及时、准确上报，不得迟报、漏报、谎报、瞒报。各区县要加强应急救援队伍和"
    "物资准备，完善应急预案，组织开展针对性演练，提高快速处置能力。对工作不力、责任不落实导致"
    "事故发生的，依法依规严肃追究有关单位和人员责任。",
]

_INDEX = DedupIndex()


def sample_of(paragraphs: Sequence[str]) -> ShingleSample:
    """The shingle sample of a body, as the store reads it back from the copy's index entry."""
    doc = _INDEX.document("\n".join(paragraphs))
    sample = entry_sample(_INDEX.encode_entry(doc))
    assert sample is not None
    return sample


def copy_of(url: str, site: str, paragraphs: Sequence[str], **fields: object) -> Copy:
    body_len = fields.pop("body_len", len("\n".join(paragraphs)))
    return Copy(url, site, body_len=body_len, sample=sample_of(paragraphs),  # type: ignore[arg-type]
                **fields)  # type: ignore[arg-type]


# --- what a copy says about itself ---------------------------------------------------------------


@pytest.mark.parametrize("opening", [
    "编者按：近日，省政府办公厅印发有关文件，现予刊发。",
    "编者按 近日，省政府办公厅印发有关文件，现予刊发。",
    "【编者按】近日，省政府办公厅印发有关文件，现予刊发。",
    "编者的话：本期刊发两篇调研报告。",
    "按语：此件转发各地参照执行。",
    "〔编者注〕本文有删节。",
])
def test_an_editors_note_opens_the_body(opening: str) -> None:
    assert opens_with_editor_note([opening, "正文第一段。"])
    # after a 转载 line or 原标题 line too
    assert opens_with_editor_note(["原标题：关于做好有关工作的通知", opening, "正文。"])


@pytest.mark.parametrize("paragraphs", [
    ["按照省委、省政府部署，现将有关事项通知如下。"],
    ["按语言文字规范要求，各单位公文应使用规范汉字。"],
    ["各市人民政府：", "为做好有关工作，现通知如下。", "编者按：此段在正文中间，不是开头的按语。"],
    [],
])
def test_a_body_without_an_opening_note(paragraphs: list[str]) -> None:
    assert not opens_with_editor_note(paragraphs)


ASSOCIATION = site_names("http://www.auto-assoc.test/hyzx/2025/1011/4521.html", "autoassoc",
                         "中国汽车工业协会")
PROVINCE = site_names("https://gxt.donghai.gov.test/zwgk/t20251017_88.html", "donghai-gxt",
                      "东海省工业和信息化厅门户网站")


@pytest.mark.parametrize("source, names", [
    ("来源：中国汽车工业协会", ASSOCIATION),
    ("中国汽车工业协会官网", ASSOCIATION),
    ("转载自中国汽车工业协会网站", ASSOCIATION),
    ("来源：auto-assoc.test", ASSOCIATION),
    ("转自 www.auto-assoc.test", ASSOCIATION),
    ("本文来源于东海省工业和信息化厅网站", PROVINCE),
    ("东海省工业和信息化厅、省统计局", PROVINCE),
    ("来源：donghai.gov.test", PROVINCE),
])
def test_a_source_line_names_a_site(source: str, names: tuple[str, ...]) -> None:
    assert names_site(source, names)


@pytest.mark.parametrize("source, names", [
    ("来源：工业和信息化部", ASSOCIATION),  # a third party
    ("来源：中汽协会员单位", ASSOCIATION),
    ("来源：auto-assoc.test.example", ASSOCIATION),
    ("来源：my-auto-assoc.test", ASSOCIATION),
    ("东海省工业和信息化", PROVINCE),
    ("", PROVINCE),
    (None, PROVINCE),
])
def test_a_source_line_that_names_another_party(
    source: Optional[str], names: tuple[str, ...]
) -> None:
    assert not names_site(source, names)


def test_a_copy_cut_short_is_contained_measured_on_the_bodies() -> None:
    original = copy_of("https://a.test/1", "a", SAFETY_NOTICE)
    last = SAFETY_NOTICE[-1]
    cut = copy_of("https://b.test/1", "b", [*SAFETY_NOTICE[:-1], last[: last.index("各区县")]])
    # a 转载 line of its own does not outweigh what it lacks
    signed = copy_of("https://c.test/1", "c",
                     [*SAFETY_NOTICE[:-1], last[: last.index("对工作")], "（转载请注明出处）"])
    assert contained_in(cut, original) and contained_in(signed, original)
    assert not contained_in(original, cut) and not contained_in(original, signed)


def test_copies_that_each_lack_some_text_contain_neither() -> None:
    corrected = [p.replace("24小时", "全天候") for p in SAFETY_NOTICE]
    a = copy_of("https://a.test/1", "a", SAFETY_NOTICE)
    b = copy_of("https://b.test/1", "b", corrected)
    assert not contained_in(a, b) and not contained_in(b, a)
    # a note on top and a cut at the end: the note rule, not containment, tells the repost
    repost = copy_of("https://c.test/1", "c", sales_repost(SALES_LONG_NOTE))
    original = copy_of("https://d.test/1", "d", SALES_REPORT)
    assert not contained_in(repost, original) and not contained_in(original, repost)


# --- choosing ------------------------------------------------------------------------------------

T0 = datetime(2025, 10, 11, 9, 0, tzinfo=UTC)


def test_a_repost_naming_the_original_site_is_not_canonical() -> None:
    original = copy_of("https://www.auto-assoc.test/hyzx/4521.html", "autoassoc", SALES_REPORT,
                       site_name="中国汽车工业协会", source="中国汽车工业协会",
                       published_at=date(2025, 10, 11), first_seen_at=T0 + timedelta(days=1))
    # without a note and with the whole text: only its 来源 says it is a repost
    repost = copy_of("https://gxt.donghai.gov.test/t20251011_1.html", "donghai-gxt",
                     SALES_REPORT, source="来源：中国汽车工业协会", body_len=original.body_len + 90,
                     published_at=date(2025, 10, 11), first_seen_at=T0)
    assert choose_canonical([repost, original]) is original
    assert choose_canonical([original, repost]) is original


def test_a_site_naming_itself_as_source_is_not_a_repost() -> None:
    own = copy_of("https://www.auto-assoc.test/a/1.html", "autoassoc", SALES_REPORT,
                  source="中国汽车工业协会", site_name="中国汽车工业协会",
                  first_seen_at=T0)
    page = copy_of("https://www.auto-assoc.test/m/1.html", "autoassoc", SALES_REPORT,
                   source="中国汽车工业协会", site_name="中国汽车工业协会",
                   first_seen_at=T0 + timedelta(hours=1))
    assert choose_canonical([page, own]) is own


def test_a_copy_with_an_editors_note_is_not_canonical() -> None:
    original = copy_of("https://z.test/1", "z", SALES_REPORT, first_seen_at=T0 + timedelta(days=2),
                       published_at=date(2025, 10, 11))
    noted = copy_of("https://a.test/1", "a", [SALES_NOTE, *SALES_REPORT], editor_note=True,
                    first_seen_at=T0, published_at=date(2025, 10, 11))
    assert choose_canonical([noted, original]) is original


def test_a_contained_copy_is_not_canonical_even_when_lengths_look_complete() -> None:
    last = SAFETY_NOTICE[-1]
    # equal lengths on purpose: only the bodies tell which one lacks text
    cut = copy_of("https://a.test/1", "a", [*SAFETY_NOTICE[:-1], last[: last.index("各区县")]],
                  body_len=1000, first_seen_at=T0)
    whole = copy_of("https://z.test/1", "z", SAFETY_NOTICE, body_len=1000,
                    first_seen_at=T0 + timedelta(days=1))
    assert choose_canonical([cut, whole]) is whole


def test_a_later_copy_adding_a_correction_contains_the_original_without_being_it() -> None:
    original = copy_of("https://z.test/1", "z", SAFETY_NOTICE, published_at=date(2025, 12, 1),
                       first_seen_at=T0 + timedelta(days=9))
    corrected = copy_of("https://a.test/1", "a", [
        *SAFETY_NOTICE, "（更正：本文此前版本中“领导带班”表述有误，应为“领导干部带班”，特此更正。）",
    ], published_at=date(2025, 12, 3), first_seen_at=T0)
    assert contained_in(original, corrected)
    assert choose_canonical([corrected, original]) is original


def test_a_hijacked_copy_contains_nothing() -> None:
    """A mirror's planted lines are text the original lacks, not the article's own."""
    original = copy_of("https://z.test/1", "z", SALES_REPORT, first_seen_at=T0)
    planted = copy_of("https://a.test/1", "a", [*SALES_REPORT, "澳门赌场线上娱乐注册就送彩金"],
                      spam_cut_count=1, first_seen_at=T0)
    assert choose_canonical([planted, original]) is original


def test_two_sites_naming_the_ministry_are_ranked_by_date_then_completeness() -> None:
    first = copy_of("https://x.test/1", "x", MINISTRY_NOTICE, source="工业和信息化部",
                    site_name="东海省工业和信息化厅", published_at=date(2025, 10, 20),
                    first_seen_at=T0 + timedelta(days=3))
    later = copy_of("https://a.test/1", "a", MINISTRY_NOTICE, source="工业和信息化部",
                    site_name="西江市人民政府", published_at=date(2025, 10, 21), first_seen_at=T0)
    assert choose_canonical([later, first]) is first
    same_day = replace(later, published_at=date(2025, 10, 20))
    assert choose_canonical([same_day, first]) is same_day  # first seen
    # the ministry's own copy, once known, is the one both name
    ministry = copy_of("https://www.miit.gov.test/zwgk/1.html", "miit", MINISTRY_NOTICE,
                       site_name="工业和信息化部", published_at=date(2025, 10, 21),
                       first_seen_at=T0 + timedelta(days=5))
    assert choose_canonical([first, same_day, ministry]) is ministry


def test_the_ranking_is_of_the_set() -> None:
    original = copy_of("https://www.auto-assoc.test/1.html", "autoassoc", SALES_REPORT,
                       site_name="中国汽车工业协会", first_seen_at=T0 + timedelta(days=1))
    repost = copy_of("https://gxt.donghai.gov.test/1.html", "donghai-gxt",
                     sales_repost(SALES_NOTE), source="中国汽车工业协会", editor_note=True,
                     first_seen_at=T0)
    mirror = copy_of("https://www.auto-mirror.test/1.html", "automirror",
                     [s2t(p) for p in SALES_REPORT], original_script="traditional",
                     first_seen_at=T0 - timedelta(days=1))
    rankings = {tuple(c.url for c in rank_copies(list(order)))
                for order in itertools.permutations([original, repost, mirror])}
    assert rankings == {(original.url, repost.url, mirror.url)}


# --- ingestion in every arrival order --------------------------------------------------------------

ORIGINAL_URL = "http://www.auto-assoc.test/hyzx/2025/1011/4521.html"
REPOST_URL = "https://gxt.donghai.gov.test/xwdt/hyzx/202510/t20251013_90217.html"
MIRROR_URL = "http://www.auto-mirror.test/hyzx/2025/1011/4521.html"


def sales_pages(note: str) -> list[ArticleItem]:
    """The original, the repost (来源 naming it, the note, the last paragraph cut) and a
    Traditional mirror of the original, as the extractor hands them over."""
    fetched = datetime(2025, 10, 24, tzinfo=UTC)
    original = ArticleItem(
        ORIGINAL_URL, "autoassoc", fetched, title="2025年9月汽车工业产销情况简析",
        published_at=date(2025, 10, 11), source="中国汽车工业协会", site_name="中国汽车工业协会",
        paragraphs=list(SALES_REPORT),
    )
    repost = ArticleItem(
        REPOST_URL, "donghai-gxt", fetched, title="9月全国汽车产销双创同期新高",
        published_at=date(2025, 10, 11), source="中国汽车工业协会网站",
        site_name="东海省工业和信息化厅", paragraphs=sales_repost(note),
    )
    mirror = ArticleItem(
        MIRROR_URL, "automirror", fetched, title=s2t(original.title or ""),
        published_at=date(2025, 10, 11), source=s2t("中国汽车工业协会"),
        paragraphs=[s2t(p) for p in SALES_REPORT],
    )
    return [original, repost, mirror]


def arriving(items: Sequence[ArticleItem]) -> list[ArticleItem]:
    """The items in this order, each fetched an hour after the one before."""
    start = datetime(2025, 10, 24, 8, 0, tzinfo=UTC)
    return [replace(item, fetched_at=start + timedelta(hours=i), paragraphs=list(item.paragraphs),
                    removals=list(item.removals))
            for i, item in enumerate(items)]


def canonical_urls(store: ArticleStore) -> dict[str, str]:
    """URL of every copy -> its article's URL; each article has exactly one canonical copy."""
    with store.sessions() as session:
        articles = {a.id: a.url for a in session.scalars(select(Article))}
        copies = list(session.scalars(select(ArticleCopy)))
    for article_id, url in articles.items():
        canonical = [c.url for c in copies if c.article_id == article_id and c.relation == "canonical"]
        assert canonical == [url]
    return {c.url: articles[c.article_id] for c in copies}


def ingest_in_order(items: Sequence[ArticleItem], path: Path, batched: bool) -> dict[str, str]:
    store = ArticleStore(open_store(f"sqlite:///{path / 'store.db'}"))
    try:
        ingestor = Ingestor(store)
        if batched:
            ingestor.ingest_many(arriving(items))
        else:
            for item in arriving(items):
                ingestor.ingest(item)
        return canonical_urls(store)
    finally:
        store.engine.dispose()


ORDERS = list(itertools.permutations(range(3)))


@pytest.mark.parametrize("note", [SALES_NOTE, SALES_LONG_NOTE], ids=["short_note", "long_note"])
@pytest.mark.parametrize("batched", [False, True], ids=["page_by_page", "one_batch"])
def test_the_original_is_canonical_in_every_arrival_order(
    note: str, batched: bool, tmp_path: Path
) -> None:
    pages = sales_pages(note)
    if note is SALES_LONG_NOTE:  # the repost is the longer copy
        assert len(pages[1].body_text) > len(pages[0].body_text)
    for n, order in enumerate(ORDERS):
        where = tmp_path / str(n)
        where.mkdir()
        placed = ingest_in_order([pages[i] for i in order], where, batched)
        assert placed == {url: ORIGINAL_URL for url in (ORIGINAL_URL, REPOST_URL, MIRROR_URL)}, order


def ministry_pages(cut_later: bool) -> list[ArticleItem]:
    """Two provincial sites carrying the ministry's notice, both naming the ministry."""
    fetched = datetime(2025, 10, 22, tzinfo=UTC)
    last = MINISTRY_NOTICE[-1]
    later_body = [*MINISTRY_NOTICE[:-1], last[: last.index("请于")]] if cut_later else MINISTRY_NOTICE
    first = ArticleItem(
        "https://gxt.donghai.gov.test/zwgk/tzgg/202510/t20251020_90301.html", "donghai-gxt",
        fetched, title="关于组织开展2025年中小企业数字化转型城市试点申报工作的通知",
        published_at=date(2025, 10, 20), source="工业和信息化部", site_name="东海省工业和信息化厅",
        paragraphs=list(MINISTRY_NOTICE),
    )
    second = ArticleItem(
        "http://jxw.xijiang.gov.test/art/2025/10/21/art_1203_5531.html", "xijiang-jxw", fetched,
        title="工业和信息化部关于组织开展中小企业数字化转型城市试点申报的通知",
        published_at=date(2025, 10, 20 if cut_later else 21), source="来源：工业和信息化部",
        site_name="西江市经济和信息化委员会", paragraphs=list(later_body),
    )
    return [first, second]


@pytest.mark.parametrize("cut_later", [False, True], ids=["later_date", "same_date_cut_short"])
def test_two_sites_carrying_a_ministry_notice_agree_in_every_order(
    cut_later: bool, tmp_path: Path
) -> None:
    pages = ministry_pages(cut_later)
    for n, order in enumerate(itertools.permutations(pages)):
        where = tmp_path / str(n)
        where.mkdir()
        placed = ingest_in_order(order, where, batched=False)
        assert set(placed.values()) == {pages[0].url}, [p.url for p in order]


@pytest.mark.slow
def test_the_original_is_canonical_with_worker_processes(tmp_path: Path) -> None:
    from pipelines.workers import StagePool

    pages = sales_pages(SALES_LONG_NOTE)
    with StagePool(2) as pool:
        for n, order in enumerate(ORDERS):
            store = ArticleStore(open_store(f"sqlite:///{tmp_path / f'{n}.db'}"))
            try:
                prepared = pool.prepare(arriving([pages[i] for i in order]))
                for _ in Ingestor(store).ingest_stream(prepared, batch_size=1):
                    pass
                assert set(canonical_urls(store).values()) == {ORIGINAL_URL}, order
            finally:
                store.engine.dispose()
