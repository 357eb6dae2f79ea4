"""The store writes idempotently: the same page twice never makes a second row."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from pipelines.items import ArticleItem, RejectedPageItem, RemovalRecord
from models import Article, ArticleCopy, RejectedPage, Removal
from models.database import open_store
from pipelines.store import NEW_ARTICLE, NEW_COPY, UNCHANGED, UPDATED, ArticleStore, content_hash

BODY = [
    "科技创新逐渐成为推动全球经济发展与社会进步的核心驱动力。",
    "专精特新中小企业作为国民经济中不可或缺的“毛细血管”，肩负着补链强链、实现技术突破的重大使命。",
]


def make_item(url: str = "http://www.achie.test/a/chanye/2025/1022/123.html", **kw) -> ArticleItem:
    fields = dict(
        url=url,
        site="achie",
        fetched_at=datetime(2025, 10, 23, 8, 0, tzinfo=timezone.utc),
        title="专精特新中小企业加快颠覆式创新的困境和突破路径",
        published_at=date(2025, 10, 22),
        source="高新院 achie.org",
        column_path="新闻中心 > 产业规划",
        paragraphs=list(BODY),
        removals=[RemovalRecord("injected_title", "国产又大又长")],
    )
    fields.update(kw)
    return ArticleItem(**fields)


@pytest.fixture
def store(db_url: str):
    engine = open_store(db_url)
    yield ArticleStore(engine)
    engine.dispose()


def counts(store: ArticleStore) -> tuple[int, int, int]:
    with store.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Article)),
            s.scalar(select(func.count()).select_from(ArticleCopy)),
            s.scalar(select(func.count()).select_from(Removal)),
        )


def test_same_item_twice_leaves_one_article_and_one_copy(store: ArticleStore) -> None:
    first = store.save_article(make_item())
    second = store.save_article(make_item())
    assert first.outcome == NEW_ARTICLE and second.outcome == UNCHANGED
    assert first.article_id == second.article_id and first.copy_id == second.copy_id
    assert counts(store) == (1, 1, 1)
    with store.sessions() as s:
        article = s.scalars(select(Article)).one()
        assert article.body_text == "\n".join(BODY)
        assert article.published_at == datetime(2025, 10, 22) and not article.published_has_time
        assert article.content_hash == content_hash(article.body_text)
        copy = s.scalars(select(ArticleCopy)).one()
        assert (copy.relation, copy.similarity, copy.article_id) == ("canonical", 1.0, article.id)


def test_changed_page_updates_its_rows_in_place(store: ArticleStore) -> None:
    store.save_article(make_item())
    corrected = make_item(paragraphs=BODY + ["（更正：第三段数字已更正。）"], removals=[])
    assert store.save_article(corrected).outcome == UPDATED
    assert counts(store) == (1, 1, 0)
    with store.sessions() as s:
        assert s.scalars(select(Article.body_text)).one().endswith("已更正。）")


def test_exact_copy_elsewhere_joins_the_article(store: ArticleStore) -> None:
    store.save_article(make_item())
    later = datetime(2025, 10, 24, tzinfo=timezone.utc)
    outcome = store.save_article(
        make_item(url="http://news.portal.test/n/1.html", site="portal", fetched_at=later)
    )
    assert outcome.outcome == NEW_COPY and outcome.relation == "exact"
    assert not outcome.became_canonical
    assert counts(store)[:2] == (1, 2)


def test_a_copy_of_an_article_deleted_meanwhile_starts_a_new_article(store: ArticleStore) -> None:
    # Dedup matched the page to an article that an operator deleted since (with its copies):
    # the page must not point at a missing article.
    first = store.save_article(make_item())
    with store.sessions.begin() as s:
        s.execute(delete(Article).where(Article.id == first.article_id))  # its copies go too
    near = make_item(url="http://news.portal.test/n/2.html", site="portal",
                     duplicate_of=first.article_id, relation="near_duplicate", similarity=0.9)
    outcome = store.save_article(near)
    assert outcome.outcome == NEW_ARTICLE and outcome.relation == "canonical"
    assert counts(store)[:2] == (1, 1)
    with store.sessions() as s:
        assert s.get(Article, outcome.article_id).url == near.url


def test_a_copy_of_an_article_stored_earlier_joins_it(store: ArticleStore) -> None:
    first = store.save_article(make_item())
    near = make_item(url="http://news.portal.test/n/3.html", site="portal",
                     duplicate_of=first.article_id, relation="near_duplicate", similarity=0.9)
    outcome = store.save_article(near)
    assert outcome.outcome == NEW_COPY and outcome.article_id == first.article_id
    assert counts(store)[:2] == (1, 2)


def test_a_better_copy_arriving_later_becomes_canonical(store: ArticleStore) -> None:
    mirror = make_item(
        url="http://www.achie-mirror.test/a/chanye/2025/1022/123.html", site="achie_mirror",
        original_script="traditional", relation=None,
    )
    first = store.save_article(mirror)
    original = make_item(
        fetched_at=datetime(2025, 10, 25, tzinfo=timezone.utc), removals=[],
        duplicate_of=first.article_id, relation="near_duplicate", similarity=0.97,
    )
    second = store.save_article(original)
    assert second.became_canonical and second.article_id == first.article_id
    with store.sessions() as s:
        article = s.get(Article, first.article_id)
        assert article.url == original.url and article.site == "achie"
        relations = dict(s.execute(select(ArticleCopy.url, ArticleCopy.relation)).all())
        assert relations == {original.url: "canonical", mirror.url: "mirror"}


def reject(store: ArticleStore, item: RejectedPageItem) -> None:
    store.write_batch(lambda batch: batch.save_rejection(item))


def test_rejections_are_stored_once_per_url(store: ArticleStore) -> None:
    item = RejectedPageItem(url="http://x.test/spam.html", site="x", reason="spam_page", detail="a")
    reject(store, item)
    reject(store, RejectedPageItem(url=item.url, site="x", reason="spam_page", detail="b"))
    with store.sessions() as s:
        rows = s.scalars(select(RejectedPage)).all()
        assert [(r.reason, r.detail) for r in rows] == [("spam_page", "b")]


def test_a_page_stored_as_an_article_loses_its_earlier_rejection(store: ArticleStore) -> None:
    item = make_item()
    other = RejectedPageItem(url="http://x.test/list.html", site="x", reason="not_article")
    reject(store, RejectedPageItem(url=item.url, site="achie", reason="http_error",
                                   detail="503 Service Unavailable"))
    reject(store, other)
    store.save_article(item)  # fetched again later: an article now
    with store.sessions() as s:
        assert list(s.scalars(select(RejectedPage.url))) == [other.url]
    # Within one batch the last word counts: stored, then rejected again.
    store.write_batch(lambda batch: (batch.save_article(make_item(url=other.url)),
                                     batch.save_rejection(other)))
    with store.sessions() as s:
        assert list(s.scalars(select(RejectedPage.url))) == [other.url]


def test_runs_are_opened_and_completed(store: ArticleStore) -> None:
    run_id = store.start_run(["achie"])
    store.finish_run(run_id, "ok", {"pages": 3, "articles_new": 1, "bogus": 9})
    from models import CrawlRun

    with store.sessions() as s:
        run = s.get(CrawlRun, run_id)
        assert (run.status, run.pages, run.articles_new) == ("ok", 3, 1)
        assert run.finished_at is not None


def test_clusters_created_in_a_race_are_merged_into_the_oldest(store: ArticleStore) -> None:
    """Two workers both judged copies of one article new: merging leaves one article."""
    mirror = make_item(url="http://www.achie-mirror.test/a/1.html", site="achie_mirror",
                       original_script="traditional", relation="new")
    original = make_item(relation="new", removals=[],
                         fetched_at=datetime(2025, 10, 24, tzinfo=timezone.utc))
    first = store.save_article(mirror)
    second = store.save_article(original)
    assert first.article_id != second.article_id
    kept = store.merge_articles([second.article_id, first.article_id])
    assert kept == first.article_id
    assert store.merge_articles([first.article_id, second.article_id]) == first.article_id  # again: no-op
    with store.sessions() as s:
        (article,) = s.scalars(select(Article)).all()
        assert article.id == first.article_id and article.url == original.url
        relations = dict(s.execute(select(ArticleCopy.url, ArticleCopy.relation)).all())
    assert relations == {original.url: "canonical", mirror.url: "mirror"}


def test_a_locked_sqlite_store_is_retried_with_back_off(tmp_path) -> None:
    """A writer that finds the file locked waits and retries instead of losing the item."""
    import sqlite3
    import threading

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    engine = open_store(url)
    store = ArticleStore(engine)
    blocker = sqlite3.connect(tmp_path / "locked.db", timeout=0, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    # Our connections wait up to busy_timeout (30 s); shorten it so the retry path is taken.
    from sqlalchemy import event

    engine.pool.dispose()

    event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA busy_timeout=50"))
    timer = threading.Timer(0.1, blocker.rollback)
    timer.start()
    try:
        outcome = store.save_article(make_item())
    finally:
        timer.join()
        blocker.close()
    assert outcome.outcome == NEW_ARTICLE
    assert counts(store)[:2] == (1, 1)
    engine.dispose()
