"""Batch ingestion decides and stores exactly what page-by-page ingestion does, on both backends.

The pages are benchmark-corpus pages (benchmarks/corpus.py): five CMS families, Traditional
mirrors with spam lines, reposts with an editor's note, copies cut short, page 1 of 3.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from benchmarks.corpus import build_corpus, render_page
from crawler.extractors import extract
from crawler.items import item_from_page
from pipelines.items import ArticleItem
from models import Article, ArticleCopy, DedupEntry, ParagraphCount, Removal
from models.database import open_store
from pipelines.ingest import Ingestor
from pipelines.store import ArticleStore

FETCHED = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus_items() -> list[ArticleItem]:
    docs = build_corpus(90, seed=31, duplicate_share=0.35, traditional_share=0.15)
    assert {d.kind for d in docs} >= {"original", "mirror", "cut_short", "repost", "page1"}
    return [
        item_from_page(extract(render_page(doc), doc.url), site=doc.site, fetched_at=FETCHED)
        for doc in docs
    ]


def fresh(items: list[ArticleItem]) -> list[ArticleItem]:
    return [replace(item, paragraphs=list(item.paragraphs), removals=list(item.removals))
            for item in items]


@pytest.fixture
def store(db_url: str):
    engine = open_store(db_url)
    yield ArticleStore(engine)
    engine.dispose()


def snapshot(store: ArticleStore) -> dict[str, Any]:
    """The store's content, with ids replaced by what they point at (URLs)."""
    with store.sessions() as s:
        articles = {a.id: a for a in s.scalars(select(Article))}
        copies = {
            c.url: (articles[c.article_id].url, c.relation, round(c.similarity or 0, 6), c.content_hash)
            for c in s.scalars(select(ArticleCopy))
        }
        by_copy = {c.id: c.url for c in s.scalars(select(ArticleCopy))}
        removals = sorted((by_copy[r.copy_id], r.kind, r.content) for r in s.scalars(select(Removal)))
        entries = sorted((by_copy[e.copy_id], articles[e.article_id].url, bytes(e.entry))
                         for e in s.scalars(select(DedupEntry)))
        fields = sorted((a.url, a.title, a.body_text, a.source, a.published_at) for a in articles.values())
    return {"copies": copies, "removals": removals, "entries": entries, "articles": fields}


@pytest.mark.slow
@pytest.mark.parametrize("order", ["crawl order", "copies first"])
def test_batches_store_what_page_by_page_stores(
    corpus_items: list[ArticleItem], db_url: str, tmp_path: Any, order: str
) -> None:
    items = corpus_items if order == "crawl order" else corpus_items[::-1]
    one_by_one = ArticleStore(open_store(f"sqlite:///{tmp_path / 'one.db'}"))
    single = Ingestor(one_by_one)
    expected = [single.ingest(item) for item in fresh(items)]

    batched = ArticleStore(open_store(db_url))
    ingestor = Ingestor(batched)
    results = []
    for start in range(0, len(items), 25):
        results += ingestor.ingest_many(fresh(items[start : start + 25]))

    assert [(r.outcome, r.relation) for r in results] == [(r.outcome, r.relation) for r in expected]
    stored = snapshot(batched)
    assert stored == snapshot(one_by_one)
    assert {"mirror", "contained", "canonical"} <= {c[1] for c in stored["copies"].values()}
    # The index of a later run, rebuilt from the stored entries, decides like this one.
    again = Ingestor(batched).ingest_many(fresh(items[:10]))
    assert {r.outcome for r in again} == {"unchanged"}


def test_a_failed_batch_leaves_neither_rows_nor_index_entries(
    corpus_items: list[ArticleItem], store: ArticleStore
) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_many(fresh(corpus_items[:20]))
    indexed = len(ingestor.index)
    stored = snapshot(store)

    # A page pointing at a crawl run that does not exist breaks the batch's transaction
    # (foreign key) at its end, after every page of it was decided and indexed.
    broken = fresh(corpus_items[20:40])
    broken[-1].crawl_run_id = 987654
    with pytest.raises(Exception, match="(?i)foreign key"):
        ingestor.ingest_many(broken)
    assert len(ingestor.index) == indexed
    assert snapshot(store) == stored
    assert counted(store) == {item.url for item in corpus_items[:20]}

    # The same pages, fixed, come out as they would have without the failure.
    results = ingestor.ingest_many(fresh(corpus_items[20:40]))
    assert all(r.outcome in ("new_article", "new_copy", "rejected") for r in results)
    assert len(ingestor.index) == indexed + sum(r.save is not None for r in results)
    assert counted(store) == {item.url for item in corpus_items[:40]}


def counted(store: ArticleStore) -> set[str]:
    """URLs whose paragraphs the stored paragraph counts hold."""
    with store.sessions() as s:
        return set(s.scalars(select(ParagraphCount.url)))


def test_one_url_twice_in_a_batch_is_one_copy_updated(
    corpus_items: list[ArticleItem], store: ArticleStore
) -> None:
    first = fresh(corpus_items[:1])[0]
    changed = replace(first, paragraphs=[*first.paragraphs[:-1], "本文件自发布之日起施行，由省发展改革委负责解释。"])
    results = Ingestor(store).ingest_many([first, changed])
    assert [r.outcome for r in results] == ["new_article", "updated"]
    with store.sessions() as s:
        copies = list(s.scalars(select(ArticleCopy)))
        article = s.scalars(select(Article)).one()
    assert len(copies) == 1 and copies[0].article_id == article.id
    assert article.body_text.endswith("由省发展改革委负责解释。")


def test_ids_reserved_by_a_batch_leave_later_writes_working(
    corpus_items: list[ArticleItem], store: ArticleStore
) -> None:
    ingestor = Ingestor(store)
    ingestor.ingest_many(fresh(corpus_items[:15]))
    single = ingestor.ingest(fresh(corpus_items[15:16])[0])
    assert single.save is not None
    ingestor.ingest_many(fresh(corpus_items[16:30]))
    with store.sessions() as s:
        ids = list(s.scalars(select(ArticleCopy.id)))
    assert len(ids) == len(set(ids)) >= 25


PLANTED = "澳门新葡京娱乐场官网注册就送88元，百家乐在线开户，六合彩开奖直播"
FOOTER = "本网站所载文章均为原创或经授权转载，转载请注明出处，违者必究，本站保留追究法律责任的权利。"


def planted(items: list[ArticleItem]) -> list[ArticleItem]:
    """One site of the corpus with a spam line and a footer planted on a third of its pages."""
    out = fresh(items)
    for k, item in enumerate(out):
        if k % 3 == 0:
            item.site = "planted.test"
            item.paragraphs = [*item.paragraphs[:2], PLANTED if k % 2 else FOOTER, *item.paragraphs[2:]]
    return out


def test_a_page_prepared_in_a_worker_is_finished_as_one_process_cleans_it(
    corpus_items: list[ArticleItem],
) -> None:
    """What a worker hands back (pickled) and the counter finishes is what `clean_item` makes
    of the page in one process, on pages the counter cuts and pages it does not."""
    import pickle

    from pipelines.clean import clean_item, finish_item
    from pipelines.ingest import prepare_page
    from pipelines.spam.counter import ParagraphFrequency

    reference, counter = ParagraphFrequency(), ParagraphFrequency()
    recut = 0
    for item in planted(corpus_items):
        expected = clean_item(replace(item, paragraphs=list(item.paragraphs)), reference)
        prepared = pickle.loads(pickle.dumps(prepare_page(item)))
        cleaned = finish_item(prepared.prepared, counter)
        assert cleaned == expected, item.url
        recut += cleaned.item.paragraphs != prepared.prepared.cleaned.item.paragraphs
    assert recut >= 10


@pytest.mark.slow
def test_batches_with_workers_store_what_page_by_page_stores(
    corpus_items: list[ArticleItem], store: ArticleStore, tmp_path: Any
) -> None:
    from pipelines.workers import StagePool

    items = planted(corpus_items)
    one_by_one = ArticleStore(open_store(f"sqlite:///{tmp_path / 'one.db'}"))
    single = Ingestor(one_by_one)
    for item in fresh(items):
        single.ingest(item)
    ingestor = Ingestor(store)
    with StagePool(1) as pool:
        ingestor.ingest_prepared(list(pool.prepare(fresh(items[:45]))))
        ingestor.ingest_prepared(list(pool.prepare(fresh(items[45:]))))
    stored = snapshot(store)
    assert stored == snapshot(one_by_one)
    assert {"injected_paragraph", "boilerplate"} <= {kind for _, kind, _ in stored["removals"]}
    # The hash a worker computed is used only for the body it hashed (the counts cut others).
    from pipelines.store import content_hash

    with store.sessions() as s:
        bodies = [(a.content_hash, a.body_text) for a in s.scalars(select(Article))]
    assert bodies and all(digest == content_hash(body) for digest, body in bodies)


# --- pages ingested as they arrive (Ingestor.ingest_stream) -------------------------------------


@pytest.mark.slow
def test_a_stream_from_workers_stores_what_page_by_page_stores(
    corpus_items: list[ArticleItem], store: ArticleStore, tmp_path: Any
) -> None:
    from pipelines.workers import StagePool

    items = planted(corpus_items)
    single = Ingestor(ArticleStore(open_store(f"sqlite:///{tmp_path / 'one.db'}")))
    expected = [single.ingest(item) for item in fresh(items)]
    ingestor = Ingestor(store)
    batches = []
    with StagePool(1) as pool:
        # 70 a transaction: taken 64 and 6, then the last 20 (the stream's groups are of 64).
        for results in ingestor.ingest_stream(pool.prepare(fresh(items)), 70):
            batches.append(results)
    assert [len(b) for b in batches] == [70, len(items) - 70]
    got = [r for batch in batches for r in batch]
    assert [(r.outcome, r.relation) for r in got] == [(r.outcome, r.relation) for r in expected]
    stored = snapshot(store)
    assert stored == snapshot(single.store)
    assert {"injected_paragraph", "boilerplate"} <= {kind for _, kind, _ in stored["removals"]}
    assert counted(store) == {item.url for item in items if item.paragraphs}


def test_a_stream_transaction_that_lost_a_race_takes_its_pages_again(
    corpus_items: list[ArticleItem], db_url: str
) -> None:
    """Another writer stores a page of the open transaction first: the transaction fails on
    the unique URL, is retried over the pages it had taken, and goes on with the stream."""
    from pipelines.ingest import prepare_page

    items = fresh(corpus_items[:40])
    ours, theirs = ArticleStore(open_store(db_url)), ArticleStore(open_store(db_url))
    ingestor = Ingestor(ours)
    taken: list[str] = []

    def pages():
        for k, item in enumerate(items):
            if k == 30:  # in the second transaction, which has taken 25..29 already
                Ingestor(theirs).ingest(fresh(items[27:28])[0])
            taken.append(item.url)
            yield prepare_page(item)

    results = [r for batch in ingestor.ingest_stream(pages(), 25) for r in batch]
    assert taken == [item.url for item in items]  # each page taken from the stream once
    assert len(results) == len(items)
    assert results[27].outcome == "unchanged"  # stored by the other writer, found on the retry
    with ours.sessions() as s:
        urls = list(s.scalars(select(ArticleCopy.url)))
    assert sorted(urls) == sorted(item.url for item in items if item.paragraphs)
    # The retry took back what the failed attempt indexed: the index holds each copy this
    # ingestor stored once (the other writer's copy is in the stored entries, for the next run).
    assert len(ingestor.index) == sum(r.outcome in ("new_article", "new_copy") for r in results) == len(urls) - 1


SPLICED = ("为加快推进集成电路产业高质量发展，进一步优化营商环境，现将有关事项通知如下。请各地结合实际认真贯彻执行，"
           "确保各项政策措施落地见效，一本道，并于每季度末报送工作进展情况，加强统筹协调和督促检查，"
           "及时研究解决政策实施中遇到的困难和问题，重大情况及时报告。")


def test_a_page_cut_again_is_judged_as_classify_page_judges_its_paragraphs(
    corpus_items: list[ArticleItem],
) -> None:
    """A page the counter cuts, finished from what a worker handed over: its verdict is
    `classify_page`'s of the paragraphs it keeps, and the body key dedup signs is the body's."""
    import pickle
    import random

    from pipelines.clean import cut_paragraphs, prepare_item
    from pipelines.normalize import comparison_key
    from pipelines.spam.lexicon import assemble_spam_cuts
    from pipelines.spam.verdict import classify_page

    rng = random.Random(7)
    items = planted(corpus_items)
    for item in items[::4]:
        item.paragraphs = [*item.paragraphs[:3], SPLICED, *item.paragraphs[3:]]
    spliced = verdicts = 0
    for item in items:
        prepared = prepare_item(item)
        handed = pickle.loads(pickle.dumps(prepared))  # as a worker hands it over
        spliced += any(cut.kept is not None and cut.cuts for cut in prepared.lexicon)
        title = prepared.cleaned.item.title
        uncut, _ = assemble_spam_cuts(prepared.paragraphs, [None] * len(prepared.paragraphs), prepared.lexicon)
        assert prepared.cleaned.verdict == classify_page(title, [str(p) for p in uncut], item.signals)
        for _ in range(3):
            kinds = [rng.choice((None, None, "boilerplate")) for _ in prepared.paragraphs]
            cut = cut_paragraphs(handed, kinds)
            kept, _ = assemble_spam_cuts(prepared.paragraphs, kinds, prepared.lexicon)
            assert cut.verdict == classify_page(title, [str(p) for p in kept], item.signals), item.url
            verdicts += 1
            body = cut.item.body_text
            assert cut.body_key == (comparison_key(body) if body and not cut.verdict.is_spam_page else "")
    assert spliced >= 5 and verdicts == 3 * len(items)
