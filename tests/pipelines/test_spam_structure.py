"""The page verdict from the shape of a page: spam in words the vocabulary does not hold is
rejected by its structure (keyword lists, repeated slogans, contact spam, keyword titles, link
pages), and legitimate pages of the same shapes (a 名单, a table, an agenda, a notice with a
phone number, an anti-gambling notice quoting 百家乐) are kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from pipelines.clean import clean_item
from pipelines.items import ArticleItem
from pipelines.normalize import normalize_record
from pipelines.spam.structure import (
    is_document_title,
    is_keyword_title,
    page_structure,
    paragraph_shape,
)
from pipelines.spam.verdict import SpamVerdict, classify_page
from pipelines.spam.vocabulary import spam_term_hits
from pipelines.text import paragraphs_of
from tests.pipelines.structure_pages import (
    HANDWRITTEN_SPAM,
    HARD_NEGATIVES,
    HIJACKED_ARTICLES,
    VOCABULARIES,
    Page,
    Vocabulary,
    spam_pages,
)
from tests.pipelines.policy_texts import SEED_ARTICLE

STRUCTURAL_SIGNALS = {"keyword_title", "keyword_list", "repeated_phrase", "contact_spam",
                      "no_sentences", "no_running_text", "link_farm"}
SPAM = {page.name: page for page in (*spam_pages(), *HANDWRITTEN_SPAM)}
KEPT = {page.name: page for page in (*HARD_NEGATIVES, *HIJACKED_ARTICLES)}
# Legitimate pages without sentences: kept on their shape, whatever their title.
SENTENCELESS = ("name_list", "data_table", "conference_agenda", "enquiry_notice")


def judged(page: Page) -> SpamVerdict:
    """The verdict on `page` as cleaning reaches it: normalised, converted to Simplified."""
    normalized = normalize_record(page.title, page.paragraphs)
    return classify_page(normalized.title, list(normalized.paragraphs), page.signals)


def signal_names(verdict: SpamVerdict) -> set[str]:
    return {reason.split(":")[0] for reason in verdict.reasons}


def test_the_fixtures_cover_several_vocabularies_shapes_and_scripts() -> None:
    names = [page.name for page in spam_pages()]
    assert len({name.split("/")[0] for name in names}) >= 6
    assert len({name.split("/")[1] for name in names}) >= 6
    assert sum(name.endswith("/traditional") for name in names) >= 4


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.name)
def test_the_spam_vocabularies_are_unknown_to_the_vocabulary(vocabulary: Vocabulary) -> None:
    words = [*vocabulary.keywords, *vocabulary.slogans, *vocabulary.contacts]
    assert [word for word in words if spam_term_hits(word.lower())] == []


@pytest.mark.parametrize("name", sorted(SPAM))
def test_a_pure_spam_page_is_rejected_by_its_structure(name: str) -> None:
    verdict = judged(SPAM[name])
    assert verdict.is_spam_page, verdict
    assert signal_names(verdict) & STRUCTURAL_SIGNALS, verdict.reasons
    assert verdict.clean_chars < 100


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("certificates/comma_list", "keyword_list"),
        ("gambling_brands/repeated_slogan", "repeated_phrase"),
        ("invoices/contact_page", "contact_spam"),
        ("porn/link_page", "link_farm"),
        ("certificates/enumeration_list", "keyword_list"),
        ("surrogacy/run_thrice", "repeated_phrase"),
        ("porn/space_list", "keyword_title"),
    ],
)
def test_the_reasons_name_the_shape(name: str, signal: str) -> None:
    assert signal in signal_names(judged(SPAM[name]))


def test_a_page_titled_by_a_slogan_is_given_away_by_its_body() -> None:
    pages = [page for page in SPAM.values() if not is_keyword_title(page.title)]
    assert len(pages) >= 6
    for page in pages:
        verdict = judged(page)
        assert verdict.is_spam_page and "keyword_title" not in verdict.reasons, page.name


def test_topic_words_clear_nothing_on_a_page_that_is_no_article() -> None:
    verdict = judged(SPAM["known_terms/with_topic_words"])
    assert verdict.is_spam_page
    assert "spam_terms" in signal_names(verdict)


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_legitimate_page_is_kept(name: str) -> None:
    verdict = judged(KEPT[name])
    assert not verdict.is_spam_page, verdict
    assert verdict.score < 0.5, verdict.reasons


@pytest.mark.parametrize("name", SENTENCELESS)
def test_a_page_without_sentences_is_kept_without_its_document_title(name: str) -> None:
    verdict = judged(replace(KEPT[name], title="政务动态"))
    assert not verdict.is_spam_page, verdict


def test_the_hard_negatives_quote_what_traps_keyword_filters() -> None:
    text = "\n".join(p for page in HARD_NEGATIVES for p in [page.title, *page.paragraphs])
    for word in ("百家乐", "六合彩", "体育彩票公益金", "成人教育", "福利", "电话：010-12345678"):
        assert word in text


def test_a_hijacked_article_stays_on_its_running_text() -> None:
    verdict = judged(KEPT["hijacked_seed_mirror/traditional"])
    assert verdict.clean_chars >= 2000


@pytest.mark.parametrize(
    "name",
    [name for name in sorted({**SPAM, **KEPT}) if name.endswith("/traditional")],
)
def test_cleaning_judges_a_traditional_page_as_its_simplified_form(name: str) -> None:
    page = {**SPAM, **KEPT}[name]
    item = ArticleItem(
        url=f"http://mirror.test/{name}.html", site="mirror",
        fetched_at=datetime(2025, 11, 1, tzinfo=timezone.utc),
        title=page.title, paragraphs=list(page.paragraphs), signals=dict(page.signals),
    )
    cleaned = clean_item(item)
    assert cleaned.item.original_script == "traditional"
    assert cleaned.verdict.is_spam_page == (name in SPAM)


# --- the evidence itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "document", "keywords"),
    [
        ("关于公布2025年度专精特新中小企业名单的通知", True, False),
        ("东海省数字经济发展三年行动工作方案（征求意见稿）", True, False),
        ("2024年度市本级体育彩票公益金使用情况报告", True, False),
        ("代孕_试管婴儿包成功_供卵-代孕公司", False, True),
        ("亚博体育官网|开云体育|九游会登录", False, True),
        ("麻豆传媒 蜜桃视频 果冻传媒 免费看片", False, True),
        ("关于_办证_刻章_学历认证", False, True),
        ("我市成人教育和社区教育工作取得新进展", False, False),
        ("新能源汽车产业迈入规模化发展新阶段 多部门部署推动高质量发展", False, False),
        # Latin model names between spaces are no segments of a keyword string.
        ("华为 Mate 70 系列手机 今日正式发布", False, False),
    ],
)
def test_document_and_keyword_titles(title: str, document: bool, keywords: bool) -> None:
    assert (is_document_title(title), is_keyword_title(title)) == (document, keywords)


@pytest.mark.parametrize(
    ("paragraph", "is_list"),
    [
        ("代开各类发票，增值税专用发票，普通发票代开，建筑业发票，运输发票，餐饮发票。", True),
        ("代孕、供卵、三代试管、包性别、借腹生子", True),
        ("麻豆传媒 蜜桃视频 果冻传媒 草榴社区", True),
        # Enumerations inside sentences, a table row, an agenda line: no list.
        ("一、丰富文化娱乐业态。支持演艺、动漫、电竞、数字娱乐等新业态发展，鼓励剧场、书店、"
         "博物馆延长开放时间，推动传统娱乐场所转型升级，提升服务品质。", False),
        ("东海市 5.3 3617.5 4.3 203.4 3.1", False),
        ("09:20—09:50 主旨演讲 数字化转型的路径与方法", False),
        ("1. 东海市华远智能装备有限公司", False),
        # Prose whose clauses are joined by commas alone (no sentence mark), as web copy often is.
        ("面料柔软透气，穿着不紧绷，版型显高又显瘦，搭配运动鞋更有活力，通勤和周末出游都合适", False),
        ("水洗做旧工艺，裤脚收口设计，走路不会拖地，颜色也很耐看，秋冬季节可以直接穿", False),
    ],
)
def test_what_a_keyword_list_is(paragraph: str, is_list: bool) -> None:
    assert paragraph_shape(paragraph).is_list == is_list


@pytest.mark.parametrize(
    ("lines", "contacts"),
    [
        (["联系人：张三，电话：010-12345678"], 0),
        (["联系人：李四，13912345678；王五，138 8765 4321"], 2),
        (["加微信kp20250801", "QQ：3312458790", "咨询热线：186-8881-2345"], 3),
        (["关注微信公众号“东海发布”获取更多信息"], 0),
    ],
)
def test_contacts_counted(lines: list[str], contacts: int) -> None:
    assert page_structure(None, paragraphs_of(lines)).contacts == contacts


def test_a_phrase_said_three_times_on_a_long_page_is_no_stuffing() -> None:
    prose = "各地要坚持稳中求进工作总基调，统筹推进产业发展和民生保障各项工作。"
    page = [*SEED_ARTICLE[:10], prose, *SEED_ARTICLE[10:20], prose, *SEED_ARTICLE[20:30], prose]
    assert page_structure(None, paragraphs_of(page)).repeated_phrase is None
