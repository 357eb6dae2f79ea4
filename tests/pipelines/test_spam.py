"""Spam cleaning: doubled bodies, hijacked titles, planted paragraphs, spam pages, and the
false-positive traps of the policy web."""

from __future__ import annotations


import pytest

from pipelines.normalize import normalize_record, normalize_text
from pipelines.spam.counter import CountedPage, ParagraphFrequency, is_addressee_line
from pipelines.spam.lexicon import strip_spam_paragraphs
from pipelines.spam.repeated import strip_repeated_body
from pipelines.spam.title import injected_title_segments
from pipelines.spam.verdict import PageSignals, classify_page
from pipelines.spam.vocabulary import KIND_BOILERPLATE, KIND_INJECTED_PARAGRAPH, KIND_SPLICED_SPAM, spam_term_hits
from tests.pipelines.policy_texts import (
    ANTI_GAMBLING_NEWS,
    BOILERPLATE,
    CULTURE_POLICY,
    DIGITAL_POLICY,
    LOTTERY_POLICY,
    PLANTED,
    SEED_ARTICLE,
    SEED_HEADING,
    SEED_LINES,
    SEED_SPAM_TITLE,
    SPAM_PAGE,
)

LEGITIMATE = {
    "lottery": LOTTERY_POLICY,
    "culture": CULTURE_POLICY,
    "digital": DIGITAL_POLICY,
    "anti_gambling": ANTI_GAMBLING_NEWS,
    "seed": SEED_ARTICLE,
}


# --- repeated body --------------------------------------------------------------------------


class TestRepeatedBody:
    def test_seed_body_printed_twice_is_kept_once(self) -> None:
        body = SEED_LINES[4:]  # breadcrumb, title, meta, body; then the mobile copy
        kept, removed = strip_repeated_body(body)
        kept_text = [p.strip() for p in kept if p.strip()]
        first_copy = [p.strip() for p in SEED_LINES[4:99] if p.strip()]
        assert kept_text == first_copy
        # The second copy went whole, with its own breadcrumb and reordered meta line.
        assert removed[0] == "主頁 > 新聞中心 > 產業規劃 >"
        assert "2025-10-22 來源:高新院 achie.org 點擊:" in removed
        assert len(removed) == len([p for p in SEED_LINES[102:] if p.strip()])

    def test_small_variations_and_a_meta_line_between(self) -> None:
        first = SEED_ARTICLE[:12]
        second = [p.replace("。", "；", 1) if i % 3 == 0 else p for i, p in enumerate(first)]
        second[4] = second[4] + "（图）"
        body = ["专精特新中小企业加快颠覆式创新", "来源：高新院 日期：2025-10-22", *first, "",
                "2025-10-22 来源：高新院 点击：", "", *second]
        kept, removed = strip_repeated_body(body)
        assert [p for p in kept if p] == body[:14]
        assert "2025-10-22 来源：高新院 点击：" in removed

    def test_repeated_headings_without_a_repeated_block_stay(self) -> None:
        body = ["一、发展现状", "（一）基本情况", DIGITAL_POLICY[1], "（二）存在问题", DIGITAL_POLICY[2],
                "二、下一步工作", "（一）基本情况", DIGITAL_POLICY[3], "（二）存在问题", DIGITAL_POLICY[4]]
        assert strip_repeated_body(body) == (body, [])

    def test_a_single_repeated_long_paragraph_is_not_a_doubled_body(self) -> None:
        body = [*LOTTERY_POLICY, LOTTERY_POLICY[2]]
        assert strip_repeated_body(body) == (body, [])

    def test_plain_article_unchanged(self) -> None:
        assert strip_repeated_body(SEED_ARTICLE) == (SEED_ARTICLE, [])


# --- injected title -------------------------------------------------------------------------


class TestInjectedTitle:
    def test_seed_spam_title_before_the_heading(self) -> None:
        raw = f"{SEED_SPAM_TITLE}-{SEED_HEADING}_产业规划_高新院"
        assert injected_title_segments(raw, SEED_HEADING, "") == [
            "国产又大又长又粗又硬免费",
            "中文字幕美丽人妻被公操",
            "日本一二三在线不卡视频",
            "中文字幕不卡高清dvd",
        ]

    def test_unrelated_prefix_goes_the_site_suffix_stays(self) -> None:
        body = "\n".join(SEED_ARTICLE)
        raw = f"加微信领取优惠-{SEED_HEADING}_产业规划_高新院"
        assert injected_title_segments(raw, SEED_HEADING, body) == ["加微信领取优惠"]

    def test_a_prefix_that_belongs_to_the_article_stays(self) -> None:
        body = "\n".join(SEED_ARTICLE)
        assert injected_title_segments(f"专精特新 | {SEED_HEADING}", SEED_HEADING, body) == []

    def test_spam_after_the_title_goes(self) -> None:
        heading = "关于印发《2025-2027年RISC-V产业发展行动计划》的通知"
        raw = f"{heading} - 中国政府网 - 澳门新葡京"
        assert injected_title_segments(raw, heading, "") == ["澳门新葡京"]

    def test_without_a_title_only_spam_segments_go(self) -> None:
        assert injected_title_segments("澳门新葡京_产业规划_高新院", None, "") == ["澳门新葡京"]

    def test_clean_title_untouched(self) -> None:
        assert injected_title_segments(SEED_HEADING, SEED_HEADING, "") == []
        assert injected_title_segments(None, SEED_HEADING, "") == []


# --- lexicon and false-positive traps -------------------------------------------------------


class TestLexicon:
    @pytest.mark.parametrize(
        "sentence",
        [
            "省体育彩票公益金重点支持全民健身和青少年体育。",
            "加强与香港、澳门在文化演艺领域合作。",
            "支持数字娱乐、电竞等文化娱乐新业态发展。",
            "办好成人教育和社区教育，推动成人学历教育。",
            "人工智能大模型打破国外垄断，推动国产CPU自主化，解决卡脖子问题。",
            "加强港口建设，新建码头3个，具有码头装卸资质的企业……",
        ],
    )
    def test_legitimate_sentences_have_no_hits(self, sentence: str) -> None:
        assert spam_term_hits(sentence) == []

    def test_spam_terms_are_found(self) -> None:
        hits = spam_term_hits(normalize_text(SEED_SPAM_TITLE).lower())
        assert {h.category for h in hits} == {"porn"}
        assert len(hits) >= 4
        assert [h.term for h in spam_term_hits("百家乐真人娱乐")] == ["百家乐", "真人娱乐"]

    def test_ascii_terms_need_boundaries(self) -> None:
        assert spam_term_hits("bet365官网") != []
        assert spam_term_hits("alphabet3650") == []


@pytest.mark.parametrize("name", sorted(LEGITIMATE))
def test_legitimate_articles_survive_intact(name: str) -> None:
    paragraphs = list(normalize_record("", LEGITIMATE[name]).paragraphs)
    kept, removals = strip_spam_paragraphs(paragraphs)
    assert (kept, removals) == (paragraphs, [])
    verdict = classify_page("政策文件", paragraphs)
    assert not verdict.is_spam_page
    assert verdict.score < 0.3, verdict.reasons


def test_lottery_policy_is_not_spam_even_with_link_signals() -> None:
    verdict = classify_page(
        "关于印发省本级体育彩票公益金使用管理办法的通知",
        LOTTERY_POLICY,
        {"offsite_link_ratio": 0.2, "hidden_blocks": 120},  # gov menus: display:none everywhere
    )
    assert not verdict.is_spam_page


# --- spam pages -----------------------------------------------------------------------------


class TestClassifyPage:
    def test_parasite_page_is_spam(self) -> None:
        verdict = classify_page("澳门新葡京娱乐场官网-百家乐", SPAM_PAGE)
        assert verdict.is_spam_page
        assert any(r.startswith("keyword_stuffing") for r in verdict.reasons)
        assert "no_running_text" in verdict.reasons

    def test_link_farm_with_cloaking_is_spam(self) -> None:
        verdict = classify_page(
            "首页",
            ["友情链接：百家乐 太阳城 六合彩"],
            PageSignals(cloaking_redirect=True, offsite_link_ratio=0.9, link_text_ratio=0.8),
        )
        assert verdict.is_spam_page
        assert {"link_farm", "cloaking_redirect"} <= set(verdict.reasons)

    def test_hijacked_mirror_of_a_real_article_is_kept_for_cleaning(self) -> None:
        paragraphs = [*SEED_ARTICLE[:10], SPAM_PAGE[0]]
        verdict = classify_page(
            SEED_SPAM_TITLE,
            paragraphs,
            {"cloaking_redirect": True, "hidden_blocks": 3, "hidden_spam_terms": 12},
        )
        assert not verdict.is_spam_page  # the article is real: clean it, dedup makes it a mirror
        assert verdict.score >= 0.6
        assert {"spam_title", "cloaking_redirect"} <= set(verdict.reasons)


# --- spliced terms and whole spam paragraphs ------------------------------------------------


def test_spliced_brand_is_cut_from_the_sentence_only() -> None:
    sentence = "加快发展新质生产力，澳门新葡京娱乐场官网推动传统产业转型升级。"
    paragraphs = [*DIGITAL_POLICY[:3], sentence]
    kept, removals = strip_spam_paragraphs(paragraphs)
    assert kept[-1] == "加快发展新质生产力，推动传统产业转型升级。"
    assert [(r.kind, r.content) for r in removals] == [(KIND_SPLICED_SPAM, "澳门新葡京娱乐场官网")]


def test_whole_spam_paragraph_is_removed() -> None:
    paragraphs = [*DIGITAL_POLICY[:3], SPAM_PAGE[1]]
    kept, removals = strip_spam_paragraphs(paragraphs)
    assert kept == DIGITAL_POLICY[:3]
    assert [r.kind for r in removals] == [KIND_INJECTED_PARAGRAPH]


def test_anti_gambling_news_keeps_its_quoted_terms() -> None:
    spliced = ANTI_GAMBLING_NEWS + ["六合彩"]
    kept, removals = strip_spam_paragraphs(ANTI_GAMBLING_NEWS)
    assert (kept, removals) == (ANTI_GAMBLING_NEWS, [])
    assert strip_spam_paragraphs(spliced)[0][:-1] == ANTI_GAMBLING_NEWS


# --- paragraph frequency --------------------------------------------------------------------

UNRELATED_BODIES = [
    SEED_ARTICLE[0:8],
    SEED_ARTICLE[8:16],
    SEED_ARTICLE[16:24],
    LOTTERY_POLICY,
    DIGITAL_POLICY,
    CULTURE_POLICY,
]


def _site_with(planted: str | None, bodies: list[list[str]]) -> ParagraphFrequency:
    freq = ParagraphFrequency()
    for number, body in enumerate(bodies):
        page = [*body[:2], planted, *body[2:]] if planted else list(body)
        freq.observe("mirror.example", f"doc{number}", freq.evidence(page))
    return freq


class TestParagraphFrequency:
    def test_paragraph_planted_on_five_unrelated_pages(self) -> None:
        freq = _site_with(PLANTED, UNRELATED_BODIES[:5])
        assert freq.kind("mirror.example", PLANTED) is not None
        assert freq.kind("mirror.example", PLANTED) == KIND_INJECTED_PARAGRAPH
        assert freq.kind("mirror.example", LOTTERY_POLICY[2]) is None
        assert freq.kind("other.example", PLANTED) is None

    def test_near_exact_variants_count_together(self) -> None:
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES[:5]):
            variant = PLANTED.replace("多少", f"多少{number}{number * 7}")
            freq.observe("mirror.example", number, freq.evidence([*body, variant]))
        assert freq.kind("mirror.example", PLANTED.replace("多少", "多少99")) is not None

    def test_planted_spam_varied_in_its_words_counts_together(self) -> None:
        # Injectors vary each copy (a word swapped, not only numbers): matched near, by bands.
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES[:5]):
            freq.observe("mirror.example", number, freq.evidence([*body, PLANTED.replace("多少", "多少" + "呢吗啊呀哦"[number])]))
        assert freq.kind("mirror.example", PLANTED.replace("多少", "多少嘛")) == KIND_INJECTED_PARAGRAPH

    def test_a_sentence_real_articles_share_but_for_their_subject_is_kept(self) -> None:
        # The same template sentence, its subject different on each page, on unrelated pages:
        # the articles' own text, not the site's boilerplate (which repeats as it is).
        subjects = ["新材料", "低空经济", "现代物流", "海洋经济", "先进计算", "康养产业", "区块链"]
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES):
            freq.observe("gov.example", number, freq.evidence([*body, f"省商务厅关于加快{subjects[number]}高质量发展的若干措施如下。"]))
        assert freq.kind("gov.example", f"省商务厅关于加快{subjects[6]}高质量发展的若干措施如下。") is None
        # Boilerplate with its numbers changed on every page is still boilerplate.
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES):
            freq.observe("gov.example", number, freq.evidence([*body, f"{BOILERPLATE}联系电话：0571-8705{number:04d}"]))
        assert freq.kind("gov.example", f"{BOILERPLATE}联系电话：0571-87059999") == KIND_BOILERPLATE

    def test_four_pages_are_not_enough(self) -> None:
        freq = _site_with(PLANTED, UNRELATED_BODIES[:4])
        freq.observe("mirror.example", "clean", freq.evidence(DIGITAL_POLICY))
        assert freq.kind("mirror.example", PLANTED) is None

    def test_reposts_of_one_article_are_not_injection(self) -> None:
        freq = _site_with(None, UNRELATED_BODIES)
        for number in range(2):
            freq.observe("mirror.example", f"repost{number}", freq.evidence(LOTTERY_POLICY))
        assert freq.kind("mirror.example", LOTTERY_POLICY[2]) is None
        # Even five reposts of one article share their other paragraphs: still one article.
        for number in range(2, 6):
            freq.observe("mirror.example", f"repost{number}", freq.evidence(LOTTERY_POLICY))
        assert freq.kind("mirror.example", LOTTERY_POLICY[2]) is None

    def test_site_boilerplate_is_recorded_as_such(self) -> None:
        freq = _site_with(BOILERPLATE, UNRELATED_BODIES)
        assert freq.kind("mirror.example", BOILERPLATE) == KIND_BOILERPLATE

    def test_the_addressee_line_of_notices_is_their_text_not_boilerplate(self) -> None:
        # A site's notices go to the same bodies: the 主送机关 line under the title recurs
        # verbatim on unrelated pages, as a footer would. At the top it is kept; the same line
        # anywhere else, and the site's real boilerplate, are still cut.
        addressee = "各县（市、区）人民政府，省直有关部门："
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES):
            freq.observe("gov.example", number, freq.evidence([addressee, *body, BOILERPLATE]))
        page = [addressee, *DIGITAL_POLICY[:3], BOILERPLATE]
        kinds = freq.kinds("gov.example", freq.evidence(page))
        assert kinds[0] is None and kinds[-1] == KIND_BOILERPLATE
        freq = ParagraphFrequency()
        for number, body in enumerate(UNRELATED_BODIES):
            freq.observe("gov.example", number, freq.evidence([*body, addressee]))
        assert freq.kinds("gov.example", freq.evidence([*DIGITAL_POLICY[:3], addressee]))[-1] == KIND_BOILERPLATE

    @pytest.mark.parametrize(("line", "addressee"), [
        ("各市人民政府，省政府国资委：", True),
        ("各省、自治区、直辖市人民政府，国务院各部委、各直属机构：", True),
        ("各区县人民政府，市政府各委、办、局：", True),
        ("各有关单位：", True),
        ("当前位置：", False),
        ("附件：", False),
        ("经研究，现就有关事项通知如下：", False),
        ("本网站所载文章均为原创，转载请注明出处：", False),
        ("各县（市、区）人民政府，省直有关部门。", False),
    ])
    def test_what_an_addressee_line_is(self, line: str, addressee: bool) -> None:
        assert is_addressee_line(line) is addressee

    def test_short_common_lines_are_never_judged(self) -> None:
        freq = _site_with("特此通知。", UNRELATED_BODIES)
        assert freq.kind("mirror.example", "特此通知。") is None

    def test_minimum_site_pages_before_judging(self) -> None:
        freq = ParagraphFrequency(min_docs=2, min_site_docs=10)
        for number, body in enumerate(UNRELATED_BODIES):
            freq.observe("s", number, freq.evidence([*body, PLANTED]))
        assert freq.kind("s", PLANTED) is None

    def test_observing_again_replaces(self) -> None:
        freq = _site_with(PLANTED, UNRELATED_BODIES[:5])
        freq.observe("mirror.example", "doc0", freq.evidence(UNRELATED_BODIES[0]))
        assert freq.kind("mirror.example", PLANTED) is None

    def test_round_trip_through_the_stored_rows(self) -> None:
        freq = _site_with(PLANTED, UNRELATED_BODIES[:5])
        rows = [page.to_row() for page in freq.pages()]
        restored = ParagraphFrequency.from_pages(CountedPage.from_row(**row) for row in rows)
        assert restored.kind("mirror.example", PLANTED) is not None
        assert restored.site_docs("mirror.example") == 5
        assert [page.to_row() for page in restored.pages()] == rows

    def test_strip_spam_paragraphs_uses_the_counts(self) -> None:
        freq = _site_with(PLANTED, UNRELATED_BODIES[:5])
        page = [*DIGITAL_POLICY[:3], PLANTED, *DIGITAL_POLICY[3:]]
        kept, removals = strip_spam_paragraphs(page, freq.kinds("mirror.example", freq.evidence(page)))
        assert kept == DIGITAL_POLICY
        assert [(r.kind, r.content) for r in removals] == [(KIND_INJECTED_PARAGRAPH, PLANTED)]
