"""Which links of a list page are the list's other pages, and which one is the next."""

from __future__ import annotations

import pytest

from crawler.spiders.pagination import MAX_SCRIPT_PAGES, list_pages, page_ref

H = "http://www.example.gov.test"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"{H}/zwgk/", f"{H}/zwgk/index_7.html"),  # TRS: the directory is page 0
        (f"{H}/zwgk/index.shtml", f"{H}/zwgk/index_1.shtml"),
        (f"{H}/a/chanye/list_3_1.html", f"{H}/a/chanye/list_3_12.html"),  # DedeCMS
        (f"{H}/col/col12/index.html?uid=4451&pageNum=2", f"{H}/col/col12/index.html?uid=4451&pageNum=9"),
        (f"{H}/list.php?catid=5&page=2", f"{H}/list.php?catid=5&page=30"),
    ],
)
def test_pages_of_one_list_share_a_series(first: str, second: str) -> None:
    a, b = page_ref(first), page_ref(second)
    assert a is not None and b is not None and a.series == b.series and a.number < b.number


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"{H}/zwgk/index_2.html", f"{H}/xwdt/index_2.html"),  # another column
        (f"{H}/list.php?catid=5&page=2", f"{H}/list.php?catid=6&page=2"),  # another category
        (f"{H}/a/chanye/list_3_2.html", f"{H}/a/chanye/list_4_2.html"),
    ],
)
def test_other_lists_are_other_series(first: str, second: str) -> None:
    a, b = page_ref(first), page_ref(second)
    assert a is None or b is None or a.series != b.series


def test_an_article_id_is_no_page_number() -> None:
    ref = page_ref(f"{H}/zwgk/202509/t20250928_692871.html")
    assert ref is not None and ref.number == 0  # six digits: an id, not a page


def test_a_script_only_pager_gives_every_page_and_the_next() -> None:
    script = 'var countPage = 150//共多少页\nvar currentPage = 3;\ncreatePageHTML(countPage, currentPage, "index", "html");'
    pages = list_pages(f"{H}/zwgk/index_3.html", [], script)
    assert len(pages.steps) == 149  # all but this one
    assert f"{H}/zwgk/index.html" in pages.steps and f"{H}/zwgk/index_149.html" in pages.steps
    assert pages.next_page == f"{H}/zwgk/index_4.html"


def test_a_pager_script_claiming_millions_is_capped() -> None:
    pages = list_pages(f"{H}/zwgk/", [], 'createPageHTML(9999999, 0, "index", "html");')
    assert len(pages.steps) == MAX_SCRIPT_PAGES - 1


def test_numbered_links_and_next_text() -> None:
    anchors = [
        (f"{H}/a/chanye/list_3_1.html", "首页"), (f"{H}/a/chanye/list_3_1.html", "上一页"),
        (f"{H}/a/chanye/list_3_1.html", "1"), (f"{H}/a/chanye/list_3_3.html", "3"),
        (f"{H}/a/chanye/list_3_4.html", "4"), (f"{H}/a/chanye/list_3_3.html", "下一页"),
        (f"{H}/a/chanye/list_3_40.html", "末页"),
        (f"{H}/a/chanye/2025/1105/456.html", "关于开展2025年度专精特新企业认定工作的通知"),
    ]
    pages = list_pages(f"{H}/a/chanye/list_3_2.html", anchors)
    assert pages.next_page == f"{H}/a/chanye/list_3_3.html"
    assert set(pages.steps) == {f"{H}/a/chanye/list_3_{n}.html" for n in (1, 3, 4, 40)}


def test_the_next_page_without_a_next_link() -> None:
    # The column's index is page 1 of a DedeCMS list; only numbers link the later pages.
    anchors = [(f"{H}/a/chanye/list_3_2.html", "2"), (f"{H}/a/chanye/list_3_3.html", "3")]
    assert list_pages(f"{H}/a/chanye/", anchors).next_page == f"{H}/a/chanye/list_3_2.html"
    # Same-series numbers: the nearest higher one.
    anchors = [(f"{H}/news/index_5.html", "5"), (f"{H}/news/index_3.html", "3")]
    assert list_pages(f"{H}/news/index_2.html", anchors).next_page == f"{H}/news/index_3.html"


def test_the_last_page_has_no_next() -> None:
    anchors = [(f"{H}/news/index_9.html", "上一页"), (f"{H}/news/index.html", "首页")]
    pages = list_pages(f"{H}/news/index_10.html", anchors)
    assert pages.next_page is None and len(pages.steps) == 2


def test_article_links_are_no_steps() -> None:
    anchors = [(f"{H}/art/2025/10/16/art_1621004_88.html", "市政府办公室关于印发…的通知"),
               (f"{H}/col/col12/index.html?uid=4451&pageNum=3", "下页")]
    pages = list_pages(f"{H}/col/col12/index.html?uid=4451&pageNum=2", anchors)
    assert pages.steps == [f"{H}/col/col12/index.html?uid=4451&pageNum=3"]
