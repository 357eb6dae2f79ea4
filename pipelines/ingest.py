"""Ingestion of one article page: clean, decide its cluster, store it, index it.

The one orchestration of the stages, used by the crawl (through the Scrapy shell in
`pipelines.item_pipelines`) and by `policy-ingest reprocess`. Holds the heavy objects of a
process: the near-duplicate index (rebuilt from the store at start, so tomorrow's crawl
recognises today's articles) and the per-site paragraph counter (kept between runs).

Writes are serialised by the caller (Scrapy calls `ingest` from one thread), which is what
makes decide-then-insert atomic within one process.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from crawler.items import ArticleItem, RejectedPageItem
from pipelines.clean import clean_item
from pipelines.dedup import DedupDoc, DedupIndex, DedupParams, decide, relation_to
from pipelines.spam import ParagraphFrequency
from pipelines.store import (
    NEW_ARTICLE,
    NEW_COPY,
    UNCHANGED,
    ArticleStore,
    SaveOutcome,
    content_hash,
)

log = logging.getLogger(__name__)

FREQUENCY_STATE = "paragraph_frequency/v1"


@dataclass(frozen=True)
class IngestResult:
    """What happened to one page, for stats and run figures."""

    outcome: str  # new_article | new_copy | updated | unchanged | rejected
    relation: Optional[str] = None
    rejection: Optional[RejectedPageItem] = None
    save: Optional[SaveOutcome] = None
    cuts: Counter[str] = field(default_factory=Counter)


class Ingestor:
    def __init__(
        self, store: ArticleStore, params: DedupParams = DedupParams(), index: Any = None
    ) -> None:
        """`index`: a shared index (pipelines.shared_index) for distributed crawls; by default
        an in-memory `DedupIndex` rebuilt from the store's entries."""
        self.store = store
        self.params = params
        self.index = index if index is not None else DedupIndex.from_rows(store.dedup_rows(), params)
        state = store.load_state(FREQUENCY_STATE)
        self.frequencies = (
            ParagraphFrequency.from_dict(state) if state else ParagraphFrequency()
        )
        log.info("dedup index loaded: %d stored copies", len(self.index))

    def ingest(self, item: ArticleItem) -> IngestResult:
        cleaned = clean_item(item, self.frequencies)
        page = cleaned.item
        cuts = Counter(r.kind for r in page.removals)
        if cleaned.verdict.is_spam_page:
            return self._reject(page, "spam_page", "; ".join(cleaned.verdict.reasons)
                                + f" (score {cleaned.verdict.score})", cuts)
        if not page.paragraphs:
            return self._reject(page, "empty_body", "no body text left after cleaning", cuts)

        page.content_hash = content_hash(page.body_text)
        known = self.store.copy_state(page.url)
        if known is not None and known[2] == page.content_hash:
            save = self.store.save_article(page)  # refreshes fetch time and validators only
            return IngestResult(UNCHANGED, save.relation, save=save)
        if known is not None and known[0] in self.index:
            self.index.remove(known[0])  # the page changed: judge its new text afresh

        spam_cuts = sum(1 for r in page.removals if r.kind != "repeated_body")
        doc = self.index.document(
            page.body_text, original_script=page.original_script,
            is_mirror_hint=spam_cuts > 0,
        )
        relations: dict[int, tuple[str, float]] = {}
        if known is None:
            candidates = self.index.query(doc)
            for candidate in candidates:
                judged = relation_to(candidate, doc, self.params)
                if judged is not None:
                    relations[int(candidate.doc_id)] = judged[:2]  # type: ignore[arg-type]
            decision = decide(doc, self.index, candidates)
            if decision.relation != "new":
                page = replace(
                    page, duplicate_of=int(decision.article_id),  # type: ignore[arg-type]
                    relation=decision.relation, similarity=decision.similarity,
                )
            else:
                page = replace(page, relation="new", duplicate_of=None)
        save = self.store.save_article(
            page, dedup_entry=self.index.encode_entry(doc), relations=relations
        )
        self.index.add(save.copy_id, doc, article_id=save.article_id)
        if getattr(self.index, "shared", False) and save.outcome in (NEW_ARTICLE, NEW_COPY):
            save = self._reconcile(doc, save)
        return IngestResult(save.outcome, save.relation, save=save, cuts=cuts)

    def _reconcile(self, doc: DedupDoc, save: SaveOutcome) -> SaveOutcome:
        """After inserting into a shared index: merge clusters another worker created at the
        same moment for the same article (the later inserter always sees the earlier one)."""
        articles = {save.article_id}
        for candidate in self.index.query(doc):
            if relation_to(candidate, doc, self.params) is not None:
                articles.add(int(candidate.article_id))  # type: ignore[arg-type]
        if len(articles) == 1:
            return save
        kept = self.store.merge_articles(articles)
        log.info("merged articles %s found to be one (concurrent workers) into %s",
                 sorted(articles), kept)
        return replace(save, article_id=kept or save.article_id)

    def _reject(self, page: ArticleItem, reason: str, detail: str, cuts: Counter[str]) -> IngestResult:
        rejection = RejectedPageItem(
            url=page.url, site=page.site, reason=reason, detail=detail,
            http_status=page.http_status, fetched_at=page.fetched_at,
            crawl_run_id=page.crawl_run_id,
        )
        # The served bytes are kept whatever the verdict: `reprocess` can judge the page again.
        self.store.save_rejection(rejection, raw_pages=page.raw_pages)
        return IngestResult("rejected", rejection=rejection, cuts=cuts)

    def close(self) -> None:
        """Keep what must survive the run (the index itself lives in the store already)."""
        self.store.save_state(FREQUENCY_STATE, self.frequencies.to_dict())
