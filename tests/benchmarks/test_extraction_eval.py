"""The extraction evaluation: its scorer, its label file and its exit when the pages are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.extraction import (
    LABEL_FIELDS,
    LABELS,
    Extracted,
    Label,
    bigram_f1,
    bigram_prf,
    date_match,
    expected_body,
    load_labels,
    score,
)

LONGEST_FACT = 200  # characters: a title fits, a paragraph of a page does not


def test_bigram_f1_of_identical_disjoint_and_partial_texts() -> None:
    assert bigram_f1("国务院发布通知", "国务院发布通知") == 1.0
    assert bigram_f1("国务院发布通知", "天气晴朗") == 0.0
    # whitespace and punctuation are not scored
    assert bigram_f1("国务院，发布 通知。", "国务院发布通知") == 1.0
    # 4 bigrams expected, 2 of them found among 2 -> precision 1, recall 0.5
    precision, recall, f1 = bigram_prf("甲乙丙丁戊", "甲乙丙")
    assert (precision, recall) == (1.0, 0.5)
    assert f1 == pytest.approx(2 / 3)


def test_bigrams_are_counted_as_multisets() -> None:
    # 2 bigrams expected; 5 given, the 2 expected among them (twice each): precision 2/5
    precision, recall, _ = bigram_prf("甲乙丙", "甲乙丙甲乙丙")
    assert recall == 1.0
    assert precision == pytest.approx(2 / 5)


def test_empty_texts() -> None:
    assert bigram_f1("", "") == 1.0
    assert bigram_f1("国务院", "") == 0.0


def test_date_comparison_forms() -> None:
    assert date_match("2019-09-07", "2019-09-07T13:43:45+08:00") == (True, None)
    assert date_match("2019-09-07", "2019-09-08") == (False, None)
    assert date_match("2019-09-07T13:43", "2019-09-07T13:43:45") == (True, True)
    assert date_match("2019-09-07T13:43", "2019-09-07 13:43") == (True, True)
    assert date_match("2019-09-07T13:43:45", "2019-09-07T13:43:00") == (True, False)
    assert date_match("2019-09-07T13:43", "2019-09-07") == (True, False)
    assert date_match("2019-09-07T13:43", None) == (False, False)
    assert date_match(None, None) == (True, None)
    assert date_match(None, "2019-09-07") == (False, None)


def test_score_names_the_failures() -> None:
    label = Label("a.html", "标题", "2020-01-02", None, "//div")
    got = Extracted("（原标题：旧标题）", None, "来源网", "正文正文")
    s = score(label, "正文正文", got)
    assert s.body_f1 == 1.0
    assert s.failures == ["title: the （原标题：…） line", "date: none",
                          "source: given where the page shows none"]


def test_title_compared_after_width_and_whitespace_folding() -> None:
    label = Label("a.html", "评:运营商  识别?", None, None, "//div")
    assert score(label, "", Extracted("评：运营商 识别？", None, None, "")).title_ok


def test_expected_body_leaves_out_the_excluded_parts() -> None:
    html = ("<html><body><div id='a'><p>第一段</p><script>var x = 1;</script>"
            "<p class='editor'>责任编辑</p><p>第二段</p></div></body></html>")
    label = Label("a.html", "t", None, None, '//div[@id="a"]', ('.//p[@class="editor"]',))
    assert expected_body(html, label) == "第一段第二段"


def test_label_file_holds_facts_and_paths_only() -> None:
    labels = load_labels(LABELS)
    assert len(labels) == len({label.file for label in labels}) >= 50
    import json

    for entry in json.loads(LABELS.read_text(encoding="utf-8")):
        assert set(entry) == set(LABEL_FIELDS), entry["file"]
        assert entry["file"].endswith(".html") and entry["title"] and entry["body_xpath"]
        assert isinstance(entry["exclude_xpaths"], list)
        for name in ("file", "title", "published", "source"):
            value = entry[name]
            assert value is None or (isinstance(value, str) and len(value) <= LONGEST_FACT)
        if entry["published"] is not None:
            assert date_match(entry["published"], entry["published"])[0]


def test_missing_folder_is_one_line_and_exit_zero(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    absent = tmp_path / "no-such-folder"
    assert main(["extraction", str(absent), "--json", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and str(absent) in printed[0]
    assert not (tmp_path / "r.json").exists()
