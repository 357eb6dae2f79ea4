"""The paragraph counter's compact, windowed layout and its rows in `paragraph_counts`.

The counter must judge exactly as a plain reference (tests/pipelines/frequency_reference.py)
while a site has fewer pages than its window, judge like a counter of the last `window` pages
once it has more, and come back from the store after a restart judging as if it had never left.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from benchmarks.corpus import build_corpus, render_page
from crawler.extractors import extract
from crawler.items import item_from_page
from pipelines.items import ArticleItem
from models import ParagraphCount
from models.database import open_store
from pipelines.clean import PreparedItem, prepare_item
from pipelines.ingest import Ingestor
from pipelines.spam.counter import ParagraphFrequency
from pipelines.store import ArticleStore
from tests.pipelines.frequency_reference import ReferenceFrequency, split_evidence

FETCHED = datetime(2025, 10, 23, 8, 0, tzinfo=UTC)
PLANTED = "澳门新葡京娱乐场官网注册就送88元，百家乐在线开户，六合彩开奖直播"
FOOTER = "本网站所载文章均为原创或经授权转载，转载请注明出处，违者必究，本站保留追究法律责任的权利。"


@pytest.fixture(scope="module")
def corpus() -> list[ArticleItem]:
    """Corpus pages of a few sites; on two of them a spam line or a footer (with a varying
    counter in it: near-exact copies) is planted on a share of the pages."""
    docs = build_corpus(360, seed=5, duplicate_share=0.3, traditional_share=0.1)
    items = [item_from_page(extract(render_page(d), d.url), site=d.site, fetched_at=FETCHED) for d in docs]
    rng = random.Random(11)
    for k, item in enumerate(items):
        item.site = ("a.test", "b.test", "c.test")[k % 3]
        if item.site != "c.test" and rng.random() < 0.4:
            line = PLANTED if item.site == "a.test" else FOOTER.replace("违者", f"第{k}号，违者")
            item.paragraphs = [*item.paragraphs[:2], line, *item.paragraphs[2:]]
    return items


@pytest.fixture(scope="module")
def prepared(corpus: list[ArticleItem]) -> list[PreparedItem]:
    return [prepare_item(replace(item, paragraphs=list(item.paragraphs))) for item in corpus]


def pages_in_order(prepared: list[PreparedItem], seed: int = 2) -> list[PreparedItem]:
    """The pages, then a tenth of them observed again (a changed page replaces its entry)."""
    rng = random.Random(seed)
    return prepared + [prepared[rng.randrange(len(prepared))] for _ in range(len(prepared) // 10)]


def observe_all(counter: ParagraphFrequency | ReferenceFrequency,
                pages: list[PreparedItem]) -> list[tuple[Any, ...]]:
    kinds = []
    for page in pages:
        item = page.cleaned.item
        if isinstance(counter, ReferenceFrequency):
            evidence = split_evidence(page.evidence)
            counter.observe_evidence(item.site, item.url, evidence)
            kinds.append(tuple(counter.kind_of(item.site, e) for e in evidence))
        else:
            counter.observe(item.site, item.url, page.evidence)
            kinds.append(tuple(counter.kinds(item.site, page.evidence)))
    return kinds


@pytest.mark.slow
def test_judges_exactly_as_the_plain_reference(prepared: list[PreparedItem]) -> None:
    pages = pages_in_order(prepared)
    new = observe_all(ParagraphFrequency(), pages)
    assert new == observe_all(ReferenceFrequency(), pages)
    judged = [k for kinds in new for k in kinds if k]
    assert "injected_paragraph" in judged and "boilerplate" in judged


@pytest.mark.slow
def test_a_full_window_judges_like_a_counter_of_its_last_pages(prepared: list[PreparedItem]) -> None:
    window = 40
    counter = ParagraphFrequency(window=window)
    pages = pages_in_order(prepared)
    observed: dict[str, dict[str, PreparedItem]] = {}  # site -> url -> page, oldest first
    for step, page in enumerate(pages):
        item = page.cleaned.item
        counter.observe(item.site, item.url, page.evidence)
        site = observed.setdefault(item.site, {})
        site.pop(item.url, None)
        site[item.url] = page
        if step % 37 == 36 or step == len(pages) - 1:
            reference = ReferenceFrequency()
            for last in list(site.values())[-window:]:
                reference.observe_evidence(item.site, last.cleaned.item.url, split_evidence(last.evidence))
            assert counter.site_docs(item.site) == min(window, len(site))
            assert counter.kinds(item.site, page.evidence) == [
                reference.kind_of(item.site, e) for e in split_evidence(page.evidence)
            ], step
    # Memory stays bounded: dead postings are dropped once they outnumber the live ones.
    for counts in counter._sites.values():
        assert sum(v.size for v in counts.bands.values) <= 2 * counts.live_postings + (1 << 16)


def test_changes_journal_what_the_store_must_write_and_delete() -> None:
    counter = ParagraphFrequency(window=5)
    for k in range(7):
        counter.observe("s", f"u{k}", counter.evidence([f"第{k}页的正文段落，内容各不相同，长度超过十二个字。"]))
    observed, evicted = counter.take_changes()
    assert [p.doc for p in observed] == [f"u{k}" for k in range(2, 7)]
    assert evicted == ["u0", "u1"]
    assert counter.take_changes() == ([], [])
    counter.observe("s", "u3", counter.evidence(["改过的正文段落，和原来的内容不一样，长度也超过十二个字。"]))
    observed, evicted = counter.take_changes()
    assert [p.doc for p in observed] == ["u3"] and evicted == []
    counter.return_changes(observed, ["u2"])
    again, gone = counter.take_changes()
    assert [p.doc for p in again] == ["u3"] and gone == ["u2"]


@pytest.mark.slow
def test_round_trip_keeps_every_page(prepared: list[PreparedItem]) -> None:
    counter = ParagraphFrequency()
    observe_all(counter, prepared[:120])
    restored = ParagraphFrequency.from_pages(counter.pages())
    for mine, theirs in zip(restored.pages(), counter.pages()):
        assert (mine.site, mine.doc) == (theirs.site, theirs.doc)
        assert np.array_equal(mine.exact, theirs.exact) and np.array_equal(mine.bands, theirs.bands)


def rows(store: ArticleStore) -> dict[str, int]:
    with store.sessions() as s:
        return dict(s.execute(select(ParagraphCount.site, func.count()).group_by(ParagraphCount.site)).all())


@pytest.mark.slow
def test_counts_are_stored_with_the_pages_and_come_back_after_a_restart(
    corpus: list[ArticleItem], db_url: str, tmp_path: Any
) -> None:
    engine = open_store(db_url)
    store = ArticleStore(engine)
    items = [replace(i, paragraphs=list(i.paragraphs)) for i in corpus]
    ingestor = Ingestor(store)
    first = ingestor.ingest_many(items[:200])
    assert rows(store) == {site: ingestor.frequencies.site_docs(site) for site in rows(store)}
    # No close(): a killed run keeps what its committed batches counted.
    restarted = Ingestor(store)
    assert [(p.site, p.doc, p.seq, p.exact.tolist(), p.bands.tolist()) for p in restarted.frequencies.pages()] \
        == [(p.site, p.doc, p.seq, p.exact.tolist(), p.bands.tolist()) for p in ingestor.frequencies.pages()]
    later = [replace(i, paragraphs=list(i.paragraphs)) for i in corpus[200:]]
    carried_on = restarted.ingest_many(later)

    uninterrupted = Ingestor(ArticleStore(open_store(f"sqlite:///{tmp_path / 'one.db'}")))
    expected = uninterrupted.ingest_many([replace(i, paragraphs=list(i.paragraphs)) for i in corpus])
    assert [r.cuts for r in first + carried_on] == [r.cuts for r in expected]
    assert any(r.cuts["injected_paragraph"] for r in carried_on)
    engine.dispose()


@pytest.mark.slow
def test_pages_leaving_the_window_leave_the_table(corpus: list[ArticleItem], db_url: str) -> None:
    engine = open_store(db_url)
    store = ArticleStore(engine)
    ingestor = Ingestor(store)
    ingestor.frequencies = ParagraphFrequency(window=30)
    ingestor.ingest_many([replace(i, paragraphs=list(i.paragraphs)) for i in corpus[:150]])
    assert rows(store) == {"a.test": 30, "b.test": 30, "c.test": 30}
    engine.dispose()
