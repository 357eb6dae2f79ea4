"""Normalisation: NFKC choice, invisible characters, whitespace, script detection and t2s."""

from __future__ import annotations

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.normalize import (
    comparison_key,
    detect_script,
    normalize_record,
    normalize_text,
    to_simplified,
)
from tests.pipelines.policy_texts import (
    CULTURE_POLICY,
    LOTTERY_POLICY,
    SEED_ARTICLE,
    SEED_LINES,
    s2t,
)

_REFERENCE = opencc.OpenCC("t2s")


class TestNormalizeText:
    def test_fullwidth_letters_and_digits_become_ascii(self) -> None:
        assert normalize_text("ＧＤＰ增长５．２％") == "GDP增长5.2%"

    def test_chinese_punctuation_is_kept(self) -> None:
        text = "第一条，为规范管理（试行）：现通知如下；是否可行？是！"
        assert normalize_text(text) == text

    def test_ascii_punctuation_next_to_chinese_becomes_fullwidth(self) -> None:
        assert normalize_text("來源:高新院 日期:2025-10-22") == "來源：高新院 日期：2025-10-22"
        assert normalize_text("(一)发展现状") == "（一）发展现状"
        assert normalize_text("创新,发展;协调") == "创新，发展；协调"

    def test_ascii_punctuation_between_latin_or_digits_stays(self) -> None:
        assert normalize_text("1,000 RISC-V a:b 3.5 (AI)") == "1,000 RISC-V a:b 3.5 (AI)"
        assert normalize_text("共1.46万家") == "共1.46万家"

    def test_invisible_and_control_characters_are_removed(self) -> None:
        dirty = "\ufeff专\u200b精\u200d特\u2060新\u200e中\u202e小\x00企\x07业\u00ad"
        assert normalize_text(dirty) == "专精特新中小企业"

    def test_whitespace_collapses(self) -> None:
        assert normalize_text("  第一条\u3000\u3000为了\xa0规范&nbsp;管理\t\n\r 制定  ") == (
            "第一条 为了 规范 管理 制定"
        )

    def test_empty_and_none(self) -> None:
        assert normalize_text(None) == ""
        assert normalize_text(" \u3000\u200b ") == ""


class TestToSimplified:
    def test_seed_converts_like_opencc(self) -> None:
        text = "\n".join(SEED_LINES)
        assert to_simplified(text) == _REFERENCE.convert(text)

    def test_simplified_text_is_returned_unchanged(self) -> None:
        text = "\n".join(SEED_ARTICLE)
        assert to_simplified(text) == _REFERENCE.convert(text) == text

    @pytest.mark.parametrize(
        "text",
        [
            "反覆思量，沈默是金，他回覆了，我不瞭解，一目瞭然",  # phrases without trigger characters
            "颠覆式创新覆盖全省",  # 覆 maps to itself first: no conversion needed
            "乾隆年間，乾坤朗朗，衣服乾了",
            "臺灣、香港與澳門的體育彩票公益金",
            "混合文本：專精特新与专精特新、发展與發展",
            "",
            "English only, 1,000 RISC-V",
            "𠀀𪚥龘 emoji 😀 中文",
        ],
    )
    def test_fast_path_equals_full_opencc(self, text: str) -> None:
        assert to_simplified(text) == _REFERENCE.convert(text)

    @settings(max_examples=60, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.one_of(
                st.sampled_from(SEED_LINES[:120]),
                st.sampled_from(LOTTERY_POLICY + CULTURE_POLICY),
                st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=40),
                st.text(max_size=20),
            ),
            max_size=6,
        )
    )
    def test_fast_path_equals_full_opencc_property(self, pieces: list[str]) -> None:
        text = "".join(pieces)
        assert to_simplified(text) == _REFERENCE.convert(text)


class TestDetectScript:
    def test_seed_is_traditional(self) -> None:
        assert detect_script("\n".join(SEED_LINES[2:])) == "traditional"

    def test_converted_seed_is_simplified(self) -> None:
        assert detect_script("\n".join(SEED_ARTICLE)) == "simplified"

    def test_stray_traditional_characters_do_not_flip_a_simplified_page(self) -> None:
        text = "\n".join(LOTTERY_POLICY) + "（參考：臺灣地區）"
        assert detect_script(text) == "simplified"

    def test_simplified_page_with_a_traditional_block_is_mixed(self) -> None:
        text = "\n".join(LOTTERY_POLICY[:4]) + s2t("\n".join(CULTURE_POLICY[:4]))
        assert detect_script(text) == "mixed"

    def test_text_without_han(self) -> None:
        assert detect_script("RISC-V 2025") == "simplified"


class TestComparisonKey:
    def test_script_punctuation_and_spacing_do_not_matter(self) -> None:
        simplified = "截至2024年底，我国已累计培育“小巨人”企业1.46万家。"
        traditional = "截至 2024 年底,我國已累計培育\"小巨人\"企業 1.46 萬家."
        assert comparison_key(simplified) == comparison_key(traditional)

    def test_digits_are_kept(self) -> None:
        assert comparison_key("增长5%") != comparison_key("增长6%")
        assert comparison_key("增长5%") == "增长5"

    def test_latin_is_lowercased(self) -> None:
        assert comparison_key("RISC-V架构") == "riscv架构"


def test_normalize_record_on_the_seed() -> None:
    record = normalize_record(SEED_LINES[6], SEED_LINES[10:99])
    assert record.original_script == "traditional"
    assert record.title == "专精特新中小企业加快颠覆式创新的困境和突破路径"
    assert all(p.strip() for p in record.paragraphs)  # blank and NBSP-only lines dropped
    assert record.paragraphs[0].startswith("科技创新逐渐成为推动全球经济发展与社会进步的核心驱动力。")
    assert "，" in record.paragraphs[0] and "," not in record.paragraphs[0]
    assert detect_script(record.body_text) == "simplified"
