"""Bad values: stored cleanly or rejected with a reason, never an exception that drops the batch.

Pure level: the extractor and the clean stage on pages with dates in the future or before 1949,
titles of 5,000 characters, NUL bytes and control characters, lone surrogates, bidi marks and
entities in titles. Store level, on both backends: a batch holding such items is written whole
through the real ingestion path (clean -> dedup -> store).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from crawler.extractors import GenericParser, extract
from crawler.items import item_from_page
from pipelines.items import ArticleItem, RawPageRecord, RemovalRecord
from models import Article, ArticleCopy, Removal
from models.database import open_store
from pipelines.clean import SHORT_FIELDS_MAX_CHARS, TITLE_MAX_CHARS, clean_item
from pipelines.ingest import Ingestor
from pipelines.store import ArticleStore
from tests.support.faults import article_html, article_paragraphs, article_title

URL = "http://www.hostile.test/a/2025/1001/{}.html"
NOW = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)


def unstorable(text: str | None) -> list[str]:
    """The characters of `text` that a store must never receive, or that spoof what is read."""
    if not text:
        return []
    text.encode("utf-8")  # raises on a lone surrogate
    return [
        c for c in text
        if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff"
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    ]


def assert_storable(item: ArticleItem) -> None:
    for name in ("title", "source", "author", "author_unit", "editor", "column_path", "body_html"):
        assert not unstorable(getattr(item, name)), (name, getattr(item, name)[:200])
    for paragraph in item.paragraphs:
        assert not unstorable(paragraph), paragraph[:200]
    for removal in item.removals:
        assert not unstorable(removal.content) and not unstorable(removal.detail)
    for attachment in item.attachments:
        assert not any(unstorable(v) for v in attachment.values())
    assert item.title is None or len(item.title) <= TITLE_MAX_CHARS
    for name in ("source", "author", "editor"):
        value = getattr(item, name)
        assert value is None or len(value) <= SHORT_FIELDS_MAX_CHARS


def cleaned_page(html: str | bytes, n: int = 1):
    body = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html
    page = extract(body, URL.format(n))
    assert "extract_error" not in page.signals, page.signals["extract_error"]
    item = item_from_page(page, site="hostile", fetched_at=NOW)
    cleaned = clean_item(item)
    assert_storable(cleaned.item)
    return page, cleaned.item


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shown", ["2999-01-01", "2031年5月1日", "1900-01-01", "1948-12-31 10:00", "0000-00-00"])
def test_implausible_dates_on_a_page_are_never_stored(shown: str) -> None:
    _, item = cleaned_page(article_html(40, date=shown))
    # Only the URL's day is left (/2025/1001/), and the record says so.
    assert (item.published_at, item.published_at_source) == (date(2025, 10, 1), "url")
    assert item.paragraphs  # the article itself is kept


def test_the_founding_day_and_today_are_kept() -> None:
    _, item = cleaned_page(article_html(41, date="1949-10-01"))
    assert item.published_at == date(1949, 10, 1)
    _, item = cleaned_page(article_html(41, date="2025-10-22 09:30"))
    assert item.published_at == datetime(2025, 10, 22, 9, 30)


@pytest.mark.parametrize("value", [date(1900, 1, 1), datetime(2999, 1, 1, 0, 0), date(1, 1, 1), date(9999, 12, 31)])
def test_implausible_dates_reaching_the_clean_stage_are_dropped_and_said(value: date) -> None:
    item = ArticleItem(url=URL.format(42), site="hostile", fetched_at=NOW, title=article_title(42),
                       paragraphs=article_paragraphs(42), published_at=value)
    cleaned = clean_item(item).item
    assert cleaned.published_at is None
    assert cleaned.signals["published_at_dropped"]


# --- titles ---------------------------------------------------------------------------------


def test_a_title_of_5000_characters_is_cut_to_the_documented_length() -> None:
    title = "关于" + "进一步加强和改进" * 625 + "的通知"
    assert len(title) >= 5000
    _page, item = cleaned_page(article_html(43, title=title))
    assert item.title is not None and len(item.title) == TITLE_MAX_CHARS
    assert item.title == title[:TITLE_MAX_CHARS]
    assert item.signals["title_truncated_from"] == len(title)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("&#x56FD;&#x52A1;&#x9662;&#x5173;&#x4E8E;印发《方案》的通知", "国务院关于印发《方案》的通知"),
        ("关于&lt;script&gt;alert(1)&lt;/script&gt;的通知", "关于<script>alert(1)</script>的通知"),
        ("关于&nbsp;&nbsp;加强&#12288;管理的通知", "关于 加强 管理的通知"),
    ],
)
def test_entities_in_titles_are_decoded(markup: str, expected: str) -> None:
    _, item = cleaned_page(article_html(44, title=markup))
    assert item.title is not None
    assert item.title.replace("\u3000", " ") == expected


def test_entities_in_titles_are_decoded_once_and_broken_ones_never_raise() -> None:
    _, item = cleaned_page(article_html(44, title="关于&amp;lt;双重转义&amp;gt;的通知"))
    assert item.title is not None and "&lt" in item.title and "<" not in item.title
    _, item = cleaned_page(article_html(44, title="关于&bogus;&#xZZ;&#99999999;&#x110000;的通知"))
    assert item.title is not None and item.title.startswith("关于") and "99999999" not in item.title


# --- control characters, NUL, surrogates, bidi --------------------------------------------------


def test_nul_and_control_bytes_in_the_page_bytes() -> None:
    html = article_html(45).encode("utf-8")
    html = html.replace("，".encode(), b"\x00\x01\x1b\x7f" + "，".encode(), 3)
    _, item = cleaned_page(html.replace(b"<h1>", b"<h1>\x00\x08"))
    assert item.title == article_title(45)


def test_control_characters_as_entities() -> None:
    paragraphs = article_paragraphs(46)
    paragraphs[0] += "&#0;&#x1;&#x7;&#27;&#x80;&#x9F;&#xFFFE;&#xFFFF;"
    _, item = cleaned_page(article_html(46, title=article_title(46) + "&#x0;&#x8;", paragraphs=paragraphs))
    assert item.title.startswith(article_title(46))


def test_surrogates_as_entities_and_in_the_decoded_text() -> None:
    paragraphs = article_paragraphs(47)
    paragraphs[0] += "&#xD800;&#xDFFF;&#55296;"
    paragraphs[1] += "\ud800\udc00\udfff"  # lone surrogates in a str handed to the parser
    html = article_html(47, title=article_title(47) + "\ud83d", paragraphs=paragraphs)
    _, _item = cleaned_page(html)
    page = GenericParser().parse(html, URL.format(47))  # the str path, no decoding at all
    cleaned = clean_item(item_from_page(page, site="hostile", fetched_at=NOW)).item
    assert_storable(cleaned)
    assert cleaned.title == article_title(47)


def test_bidi_marks_and_overrides_go() -> None:
    paragraphs = article_paragraphs(48)
    paragraphs[0] = "\u202e" + paragraphs[0] + "&#x202E;&#x200F;\u2066"
    _, item = cleaned_page(article_html(48, title="\u202b" + article_title(48) + "\u200f", paragraphs=paragraphs))
    assert item.title == article_title(48)
    assert "\u202e" not in item.body_html


def test_hand_built_item_with_every_bad_value_is_made_storable() -> None:
    item = bad_item(49)
    cleaned = clean_item(item).item
    assert_storable(cleaned)
    assert cleaned.signals["source_truncated_from"] == 300
    assert cleaned.published_at is None


def bad_item(n: int, url: str | None = None) -> ArticleItem:
    paragraphs = article_paragraphs(n)
    paragraphs[0] = "\x00\u202e" + paragraphs[0] + "\ud800\x1b"
    return ArticleItem(
        url=url or URL.format(n),
        site="hostile",
        fetched_at=NOW,
        title="\x00" + article_title(n) + "\udfff" + "长" * 5000,
        title_raw="\x00raw\ud800",
        published_at=datetime(2999, 1, 1),
        source="来源\x00" + "很" * 298,
        author="\ud800作者\x07",
        editor="编辑\x00",
        author_unit="单位\x00\ud800",
        column_path="政策\x00 > 文件\udc00",
        paragraphs=paragraphs,
        body_html="<p>\x00\ud800" + "</p><p>".join(paragraphs) + "\u202e</p>",
        attachments=[{"url": "http://www.hostile.test/f\x00.pdf", "title": "附件\x00\ud800"}],
        removals=[RemovalRecord("hidden_block", "百家乐\x00\ud800", "style\x00")],
        raw_pages=[RawPageRecord(url=url or URL.format(n), body=b"\x00\xff\xfe raw bytes", fetched_at=NOW)],
    )


# --- the store, both backends -------------------------------------------------------------------


def test_a_batch_with_bad_values_is_written_whole(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        ingestor = Ingestor(ArticleStore(engine))
        batch = [
            item_from_page(extract(article_html(50).encode(), URL.format(50)), site="hostile", fetched_at=NOW),
            bad_item(51),
            item_from_page(extract(article_html(52, title="关于" + "加强" * 3000 + "的通知", date="2999-01-01")
                                   .replace("，", "\x00，", 2).encode(), URL.format(52)),
                           site="hostile", fetched_at=NOW),
            bad_item(53, url="http://www.hostile.test/a/2025/1001/53.html?\u202e=1"),
            item_from_page(extract(article_html(54).encode(), URL.format(54)), site="hostile", fetched_at=NOW),
        ]
        outcomes = [ingestor.ingest(item).outcome for item in batch]
        assert outcomes == ["new_article"] * len(batch)
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(ArticleCopy)) == len(batch)
            for article in conn.execute(select(Article)):
                for text in (article.title, article.body_text, article.body_html, article.source,
                             article.author, article.editor, article.author_unit, article.column_path):
                    assert not unstorable(text), (article.url, text and text[:100])
                assert len(article.title) <= TITLE_MAX_CHARS
                assert article.published_at is None or article.published_at.year < 2100
            for content, detail in conn.execute(select(Removal.content, Removal.detail)):
                assert not unstorable(content) and not unstorable(detail)
    finally:
        engine.dispose()


# --- the fast path: an item storable as it is comes back itself ----------------------------------


def one_bad_value_each() -> list[tuple[str, ArticleItem]]:
    """A clean item, and copies of it with one bad value each (every field storable_item mends)."""
    from dataclasses import replace

    good = ArticleItem(
        url=URL.format(60), site="hostile", fetched_at=NOW, title=article_title(60), title_raw="标题",
        published_at=datetime(2025, 10, 1), source="来源", author="作者", editor="编辑",
        author_unit="单位", column_path="政策 > 文件", paragraphs=article_paragraphs(60),
        body_html="<p>" + "</p><p>".join(article_paragraphs(60)) + "</p>",
        attachments=[{"url": "http://www.hostile.test/f.pdf", "title": "附件"}],
        removals=[RemovalRecord("hidden_block", "百家乐", "style")],
    )
    bad = {
        "title": {"title": "标题\x00"}, "long title": {"title": "长" * (TITLE_MAX_CHARS + 1)},
        "title_raw": {"title_raw": "\ud800"}, "source": {"source": "来源\x07"},
        "long source": {"source": "很" * (SHORT_FIELDS_MAX_CHARS + 1)},
        "long author": {"author": "作" * (SHORT_FIELDS_MAX_CHARS + 1)},
        "long editor": {"editor": "编" * (SHORT_FIELDS_MAX_CHARS + 1)},
        "author": {"author": "\x1b作者"}, "editor": {"editor": "编辑\ufffe"},
        "author_unit": {"author_unit": "单位\x00"}, "column_path": {"column_path": "政策\udc00"},
        "future date": {"published_at": datetime(2999, 1, 1)}, "old date": {"published_at": date(1900, 1, 1)},
        "paragraph": {"paragraphs": ["正文\x00", *article_paragraphs(60)]},
        "empty paragraph": {"paragraphs": ["", *article_paragraphs(60)]},
        "body_html": {"body_html": "<p>\x9f</p>"}, "bidi in body_html": {"body_html": "<p>\u202e正文</p>"},
        "attachment": {"attachments": [{"url": "http://www.hostile.test/f\x00.pdf", "title": "附件"}]},
        "attachment None": {"attachments": [{"url": "http://www.hostile.test/f.pdf", "title": None}]},
        "removal": {"removals": [RemovalRecord("hidden_block", "百家乐\x00", None)]},
        "removal detail": {"removals": [RemovalRecord("hidden_block", "百家乐", "\ud800")]},
        "removal None": {"removals": [RemovalRecord("hidden_block", None, None)]},  # type: ignore[arg-type]
    }
    return [("good", good), *((name, replace(good, **changes)) for name, changes in bad.items())]


@pytest.mark.parametrize("name,item", one_bad_value_each(), ids=lambda v: v if isinstance(v, str) else "")
def test_only_a_storable_item_comes_back_as_it_is(name: str, item: ArticleItem) -> None:
    from pipelines.clean import _storable_copy, storable_item

    stored = storable_item(item)
    assert (stored is item) == (name == "good")
    assert stored == _storable_copy(item)  # the fast path changes nothing the full one keeps


def test_corpus_items_are_storable_as_they_are() -> None:
    from benchmarks.corpus import build_corpus, render_page
    from pipelines.clean import _storable_copy, storable_item

    for doc in build_corpus(30, seed=11, traditional_share=0.3):
        item = clean_item(item_from_page(extract(render_page(doc), doc.url), site=doc.site, fetched_at=NOW)).item
        assert storable_item(item) is item
        assert _storable_copy(item) == item
