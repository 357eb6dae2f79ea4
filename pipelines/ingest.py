"""Ingestion of article pages: clean, decide their cluster, store them, index them.

The one orchestration of the stages, used by the crawl (through the Scrapy shell in
`pipelines.item_pipelines`) and by `policy-ingest reprocess`. Two halves:

* `prepare_page` — everything that is a pure function of one page (cleaning but for the site's
  paragraph counts, the comparison key and MinHash signature). It can run in worker processes
  (`pipelines.workers`), on both cores.
* `Ingestor.ingest_prepared` — the serial part, in one process: the site's paragraph counts,
  the near-duplicate decision against the index, and the store's writes, a whole batch of pages
  in one transaction. Decide-then-insert is atomic because one process does it; when the
  transaction fails, what the batch changed in the index is taken back before it is retried.
  `Ingestor.ingest_stream` does the same for pages still being prepared: each is written as it
  arrives, so the serial part and the workers run side by side from the first page on.

The `Ingestor` holds the heavy objects of a process: the near-duplicate index (rebuilt from the
store at start, so tomorrow's crawl recognises today's articles) and the per-site paragraph
counter (kept between runs).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from typing import Any, Optional, cast

from pipelines.attachments.stage import PreparedAttachment
from pipelines.clean import Cleaned, PreparedItem, finish_item, prepare_item
from pipelines.dedup import DedupDoc, DedupIndex, DedupParams, decide, doc_from_entry, relation_to
from pipelines.items import ArticleItem, RejectedPageItem, spam_cut_count
from pipelines.normalize import Script
from pipelines.spam.counter import ParagraphFrequency
from pipelines.store import (
    NEW_ARTICLE,
    NEW_COPY,
    UNCHANGED,
    UPDATED,
    ArticleStore,
    SaveOutcome,
    StoreBatch,
    content_hash,
    is_numbered_document,
)

log = logging.getLogger(__name__)

#: The relation of a copy joined to its article by document number and issuer alone.
SAME_NUMBER = "same_number"

#: Pages of a stream taken at a time (`Ingestor.ingest_stream`): their stored copies are read in
#: one query (~0.2 ms), and the first ones wait for no more than 64 pages to be prepared.
STREAM_GROUP = 64


@dataclass(frozen=True)
class IngestResult:
    """What happened to one page, for stats and run figures."""

    outcome: str  # new_article | new_copy | updated | unchanged | rejected
    relation: Optional[str] = None
    rejection: Optional[RejectedPageItem] = None
    save: Optional[SaveOutcome] = None
    cuts: Counter[str] = field(default_factory=Counter)
    #: The near-duplicate document indexed for the page (None when nothing was indexed).
    doc: Optional[DedupDoc] = None
    #: For an attached file: the file as stored (`outcome` is then a `FILE_*` outcome of
    #: `pipelines.attachments.store`).
    file: Optional[PreparedAttachment] = None


@dataclass(frozen=True)
class PreparedPage:
    """One page after the pure stages (`prepare_page`): what a worker process hands back."""

    prepared: PreparedItem
    #: The near-duplicate document and `content_hash` of the cleaned body (None when the page
    #: will be rejected): they hold unless the site's counts cut more.
    doc: Optional[DedupDoc]
    content_hash: Optional[str]

    @property
    def url(self) -> str:
        return self.prepared.cleaned.item.url


@lru_cache(maxsize=4)
def _documents(params: DedupParams) -> DedupIndex:
    # An empty index, for its `document()` (the hasher of these parameters): one per process.
    return DedupIndex(params)


def dedup_document(cleaned: Cleaned, params: DedupParams) -> DedupDoc:
    """The near-duplicate document of a cleaned page (a mirror hint when spam was cut)."""
    page = cleaned.item
    return _documents(params).document(
        page.body_text, original_script=page.original_script,
        is_mirror_hint=spam_cut_count(page.removals) > 0,
        key=cleaned.body_key or None,
    )


def text_document(text: str, original_script: str, params: DedupParams) -> DedupDoc:
    """The near-duplicate document of a normalised text that is no page (an attached file's)."""
    return _documents(params).document(text, original_script=cast(Script, original_script))


def encode_entry(doc: DedupDoc, params: DedupParams) -> bytes:
    """A document's index entry, as stored (`dedup_entries.entry`, `attachment_files`)."""
    return _documents(params).encode_entry(doc)


def prepare_page(item: ArticleItem, params: DedupParams = DedupParams()) -> PreparedPage:
    """The pure stages of ingestion for one page (see the module docstring)."""
    prepared = prepare_item(item)
    cleaned = prepared.cleaned
    if not cleaned.item.paragraphs or cleaned.verdict.is_spam_page:
        return PreparedPage(prepared, None, None)
    digest = content_hash(cleaned.item.body_text)
    return PreparedPage(prepared, dedup_document(cleaned, params), digest)


class Ingestor:
    def __init__(
        self, store: ArticleStore, params: DedupParams = DedupParams(), index: Any = None
    ) -> None:
        """`index`: a shared index (pipelines.shared_index) for distributed crawls; by default
        an in-memory `DedupIndex` rebuilt from the store's entries."""
        self.store = store
        self.params = params
        self.index = index if index is not None else DedupIndex.from_rows(store.dedup_rows(), params)
        self.frequencies = ParagraphFrequency.from_pages(store.paragraph_counts())
        log.info("dedup index loaded: %d stored copies", len(self.index))

    def ingest(self, item: ArticleItem) -> IngestResult:
        """Ingest one page in its own transaction."""
        return self.ingest_prepared([prepare_page(item, self.params)])[0]

    def ingest_many(self, items: Sequence[ArticleItem]) -> list[IngestResult]:
        """Ingest pages in one transaction, preparing them in this process."""
        return self.ingest_prepared([prepare_page(item, self.params) for item in items])

    def ingest_prepared(
        self, pages: Sequence[PreparedPage], rejections: Sequence[RejectedPageItem] = (),
        files: Sequence[PreparedAttachment] = (),
    ) -> list[IngestResult]:
        """Ingest prepared pages, in order, in one transaction (one per page with a shared
        index: another worker must see each insert before it decides). `rejections`, pages
        the crawl itself rejected, are recorded in the same transaction, and so are `files`,
        attached files, after the pages: a result for each page, then one for each file."""
        if getattr(self.index, "shared", False):
            if rejections or files:
                self.store.write_batch(lambda batch: [batch.save_rejection(r) for r in rejections])
            results = [result for page in pages for result in self._ingest_shared(page)]
            if files:
                results.extend(self.store.write_batch(
                    lambda batch: [self._ingest_file(batch, file) for file in files]))
            return results
        return self._ingest_batch(pages, rejections, files)

    def ingest_stream(
        self, pages: Iterable[PreparedPage], batch_size: int = 500
    ) -> Iterator[list[IngestResult]]:
        """Ingest pages as they come, `batch_size` to a transaction; yields the results of
        each transaction once it has committed.

        Unlike collecting `batch_size` pages and then calling `ingest_prepared`, a page is
        decided and written as soon as it arrives: when `pages` come from worker processes
        (`StagePool.prepare`), this process works on the first pages while the workers prepare
        the next ones, instead of waiting for a whole batch at the start and leaving the
        workers idle while it writes. A transaction that is retried goes over the pages it
        had taken again, then takes the rest of its batch.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        source = iter(pages)
        if getattr(self.index, "shared", False):
            for page in source:
                yield self.ingest_prepared([page])
            return
        while True:
            run = _PageRun(source, batch_size)
            results = self._ingest_batch(run)
            if results:
                yield results
            if run.exhausted:
                return

    def _ingest_batch(
        self, pages: Sequence[PreparedPage] | _PageRun, rejections: Sequence[RejectedPageItem] = (),
        files: Sequence[PreparedAttachment] = (),
    ) -> list[IngestResult]:
        undo: list[tuple[int, Optional[tuple[int, DedupDoc]]]] = []
        counted: list[Any] = []
        run = pages if isinstance(pages, _PageRun) else None

        def work(batch: StoreBatch) -> list[IngestResult]:
            undo.clear()
            batch.files.params = self.params
            for rejection in rejections:
                batch.save_rejection(rejection)
            results = []
            for group in run.groups() if run is not None else [pages]:
                batch.copy_states(page.url for page in group)
                results.extend(self._ingest_one(batch, page, undo) for page in group)
            results.extend(self._ingest_file(batch, file) for file in files)
            # The paragraph counts of these pages are kept with them, in the same transaction.
            counted[:] = self.frequencies.take_changes()
            batch.save_paragraph_counts(*counted)
            return results

        def take_back() -> None:
            # The transaction did not commit: the counter's changes are handed out again, the
            # index forgets what this attempt added and gets back what it removed (in reverse
            # order).
            if counted:
                self.frequencies.return_changes(*counted)
                counted.clear()
            for copy_id, previous in reversed(undo):
                if copy_id in self.index:
                    self.index.remove(copy_id)
                if previous is not None:
                    article_id, doc = previous
                    self.index.add(copy_id, doc, article_id=article_id)
            undo.clear()

        return self.store.write_batch(work, take_back)

    def _ingest_shared(self, page: PreparedPage) -> list[IngestResult]:
        results = self._ingest_batch([page])
        result = results[0]
        if result.save is not None and result.save.outcome in (NEW_ARTICLE, NEW_COPY) and result.doc:
            # After the commit: another worker may have created the same article meanwhile.
            results[0] = replace(result, save=self._reconcile(result.doc, result.save))
        return results

    def _ingest_one(
        self,
        batch: StoreBatch,
        prepared: PreparedPage,
        undo: list[tuple[int, Optional[tuple[int, DedupDoc]]]],
    ) -> IngestResult:
        cleaned = finish_item(prepared.prepared, self.frequencies)
        page = cleaned.item
        cuts = Counter(r.kind for r in page.removals)
        if cleaned.verdict.is_spam_page:
            return self._reject(batch, page, "spam_page", "; ".join(cleaned.verdict.reasons)
                                + f" (score {cleaned.verdict.score})", cuts)
        if not page.paragraphs:
            return self._reject(batch, page, "empty_body", "no body text left after cleaning", cuts)

        # The worker's document and hash hold when the counts cut nothing more.
        doc, digest = prepared.doc, prepared.content_hash
        if page.paragraphs != prepared.prepared.cleaned.item.paragraphs or digest is None:
            doc, digest = None, content_hash(page.body_text)
        page.content_hash = digest
        known = batch.copy_state(page.url)
        if known is not None and known[2] == page.content_hash:
            save = batch.save_article(page)  # refreshes fetch time and validators only
            return IngestResult(UNCHANGED, save.relation, save=save)
        if doc is None:
            doc = dedup_document(cleaned, self.params)  # the counts cut other paragraphs
        if known is not None and known[0] in self.index:
            # The page changed: judge its new text afresh (the old entry comes back on undo).
            undo.append((known[0], self._indexed(batch, known[0], known[1])))
            self.index.remove(known[0])

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
                page = self._same_number(batch, page, doc)
        save = batch.save_article(
            page, dedup_entry=self.index.encode_entry(doc), relations=relations
        )
        if save.outcome == NEW_ARTICLE or save.became_canonical or (
            save.outcome == UPDATED and save.relation == "canonical"
        ):
            batch.note_references(save.article_id, page)  # what it says of other documents
        if known is None:
            undo.append((save.copy_id, None))
        self.index.add(save.copy_id, doc, article_id=save.article_id)
        return IngestResult(save.outcome, save.relation, save=save, cuts=cuts, doc=doc)

    def _ingest_file(self, batch: StoreBatch, file: PreparedAttachment) -> IngestResult:
        """Store one fetched file: a new text is looked up in the index first, so that a file
        that is itself a stored article's body is linked to that article (the index is not
        changed: a file is no article)."""
        batch.files.params = self.params
        copies: list[tuple[int, float]] = []
        if file.doc is not None:
            for candidate in self.index.query(file.doc):
                judged = relation_to(candidate, file.doc, self.params)
                if judged is not None:
                    copies.append((int(candidate.article_id), judged[1]))  # type: ignore[arg-type]
        outcome = batch.files.save_file(file, copies)
        return IngestResult(outcome, file=file)

    def judge_files(self) -> int:
        """Every stored file's text looked up in the index again and every article's attachment
        links resolved and judged again (after `reprocess`, whose articles may be new rows);
        returns the links resolved."""
        copies: dict[int, list[tuple[int, float]]] = {}
        for attachment_id, entry in self.store.file_entries():
            doc = doc_from_entry(entry, self.params)
            for candidate in self.index.query(doc):
                judged = relation_to(candidate, doc, self.params)
                if judged is not None:
                    copies.setdefault(attachment_id, []).append(
                        (int(candidate.article_id), judged[1]))  # type: ignore[arg-type]
        return self.store.judge_attachment_links(copies)

    def _same_number(self, batch: StoreBatch, page: ArticleItem, doc: DedupDoc) -> ArticleItem:
        """`page` as a copy of the document with its number and issuer, when one is stored:
        the strongest key there is, whatever the layout of the two bodies (`same_number`,
        with the estimated Jaccard similarity of the bodies). A 解读, or a page without its own
        number, is never one (quoting a number does not make a page the document)."""
        if not is_numbered_document(page):
            return replace(page, relation="new", duplicate_of=None)
        found = batch.article_with_number(page.doc_number_key, page.issuer)  # type: ignore[arg-type]
        if found is None:
            return replace(page, relation="new", duplicate_of=None)
        article_id, entry = found
        similarity = 0.0
        if entry is not None and doc.signature is not None:
            other = doc_from_entry(entry, self.params).signature
            if other is not None:
                similarity = round(doc.signature.jaccard(other), 6)
        return replace(page, duplicate_of=article_id, relation=SAME_NUMBER, similarity=similarity)

    def _indexed(self, batch: StoreBatch, copy_id: int, article_id: int) -> Optional[tuple[int, DedupDoc]]:
        """The stored index entry of a copy, to put back if the transaction fails."""
        blob = batch.dedup_entry(copy_id)
        if blob is None:
            return None
        return article_id, doc_from_entry(blob, self.params)

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

    def _reject(
        self, batch: StoreBatch, page: ArticleItem, reason: str, detail: str, cuts: Counter[str]
    ) -> IngestResult:
        rejection = RejectedPageItem(
            url=page.url, site=page.site, reason=reason, detail=detail,
            http_status=page.http_status, fetched_at=page.fetched_at,
            crawl_run_id=page.crawl_run_id,
        )
        # The served bytes are kept whatever the verdict: `reprocess` can judge the page again.
        batch.save_rejection(rejection, raw_pages=page.raw_pages)
        return IngestResult("rejected", rejection=rejection, cuts=cuts)

    def close(self) -> None:
        """Nothing is left to save: the index entries and the paragraph counts are written
        with each batch of pages. Kept for callers that close what they open."""


class _PageRun:
    """The pages of one transaction of `Ingestor.ingest_stream`, taken from the stream as the
    transaction goes, `STREAM_GROUP` at a time; a retried transaction gets those it had taken
    again (as one group) before the stream's next ones."""

    def __init__(self, source: Iterator[PreparedPage], limit: int) -> None:
        self._source = source
        self._limit = limit
        self.pages: list[PreparedPage] = []
        self.exhausted = False  # the stream has ended

    def groups(self) -> Iterator[list[PreparedPage]]:
        if self.pages:
            yield list(self.pages)
        while not self.exhausted and len(self.pages) < self._limit:
            wanted = min(STREAM_GROUP, self._limit - len(self.pages))
            group = list(islice(self._source, wanted))
            if len(group) < wanted:
                self.exhausted = True
            if not group:
                return
            self.pages.extend(group)
            yield group

