"""A plain reference of the site paragraph counter (dicts of sets, no window): what
`ParagraphFrequency` must agree with while a site has fewer pages than its window. Test code
only."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from pipelines.minhash import MinHasher
from pipelines.minhash import SignatureScheme
from pipelines.spam.counter import _NEAR_MIN_BANDS, _NEAR_SCHEME, PageEvidence, page_evidence
from pipelines.spam.vocabulary import KIND_BOILERPLATE, KIND_INJECTED_PARAGRAPH


@dataclass(frozen=True)
class ParagraphEvidence:
    """One paragraph's part of a `PageEvidence`: its entry (exact fingerprint, then skeleton
    fingerprint and band keys where it has them; () when not tracked) and its spam flag."""

    entry: tuple[int, ...]
    has_spam: bool


def paragraph_evidence(paragraphs: Sequence[str], min_chars: int = 12) -> list[ParagraphEvidence]:
    return split_evidence(page_evidence(paragraphs, min_chars))


def split_evidence(page: PageEvidence) -> list[ParagraphEvidence]:
    """The evidence of each paragraph of a page, from the page's arrays."""
    out = [ParagraphEvidence((), False)] * page.paragraphs
    row_of = {int(t): r for r, t in enumerate(page.near)}
    for t, position in enumerate(page.tracked):
        entry: tuple[int, ...] = (int(page.exact[t]),)
        row = row_of.get(t)
        if row is not None:
            values = [int(v) for v in page.bands[row]]
            entry += tuple(values) if page.banded[row] else (values[0],)
        out[position] = ParagraphEvidence(entry, bool(page.spam[t]))
    return out


@dataclass
class _SiteCounts:
    # doc id -> its paragraph entries: (exact fingerprint, band keys...)
    docs: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    # value -> the docs holding it: one doc id as a plain string (most paragraphs are on one page:
    # no set object for them, which also spares the garbage collector), a set from the second.
    fp_docs: dict[int, str | set[str]] = field(default_factory=dict)
    band_docs: dict[int, str | set[str]] = field(default_factory=dict)
    spammy: set[int] = field(default_factory=set)  # fingerprints of paragraphs with spam terms


def _index_add(index: dict[int, str | set[str]], value: int, doc: str) -> None:
    held = index.get(value)
    if held is None:
        index[value] = doc
    elif held.__class__ is str:
        if held != doc:
            index[value] = {held, doc}  # type: ignore[assignment]
    else:
        held.add(doc)  # type: ignore[union-attr]


def _index_discard(index: dict[int, str | set[str]], value: int, doc: str) -> None:
    held = index.get(value)
    if held is None:
        return
    if held.__class__ is str:
        if held == doc:
            del index[value]
    else:
        held.discard(doc)  # type: ignore[union-attr]


def _index_docs(index: dict[int, str | set[str]], value: int) -> Iterable[str]:
    held = index.get(value)
    if held is None:
        return ()
    return (held,) if held.__class__ is str else held  # type: ignore[return-value]


def _index_size(index: dict[int, str | set[str]], value: int) -> int:
    held = index.get(value)
    if held is None:
        return 0
    return 1 if held.__class__ is str else len(held)


class ReferenceFrequency:
    """Counts paragraphs across the pages of each site to find planted ones.

    A paragraph is *injected* when it appears on at least `min_docs` pages of one site — and on
    at least `min_share` of the site's pages — that are otherwise unrelated (two pages are
    copies of one article when the rest of their paragraphs overlap, Jaccard ≥ 0.5). It is judged only once the site has `min_site_docs` pages. Matching is
    exact on the comparison key's hash; near-exact on the key's skeleton (digits and Latin
    removed: random ids, counters, domains) and with a 16-permutation MinHash of the skeleton's
    character trigrams in 8 bands of 2, a match needing 4 of the 8 bands (≈ 0.86 at trigram
    Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5 — and it takes `min_docs` pages to count).

    `kind()` separates spam (`injected_paragraph`: the paragraph has lexicon terms) from
    site boilerplate (`boilerplate`: "本网站所载文章…转载请注明出处"). Paragraphs under
    `min_chars` key characters without spam terms are never judged: short lines such as
    "特此通知。" or "本办法自印发之日起施行。" legitimately recur on many policy pages.
    """

    VERSION = 1

    def __init__(
        self,
        min_docs: int = 5,
        min_share: float = 0.02,
        min_site_docs: int = 5,
        min_chars: int = 12,
    ) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self.min_site_docs = min_site_docs
        self.min_chars = min_chars
        self._sites: dict[str, _SiteCounts] = {}
        self._hasher = MinHasher(_NEAR_SCHEME)
        self._cache: dict[tuple[str, int], tuple[int, bool]] = {}
        self._judged: dict[str, dict[int, str]] = {}

    # -- building --
    def evidence(self, paragraphs: Sequence[str]) -> list[ParagraphEvidence]:
        """What the counter needs of each paragraph (see `paragraph_evidence`)."""
        return paragraph_evidence(paragraphs, self.min_chars)

    def observe(self, site: str, doc_id: str | int, paragraphs: Iterable[str]) -> None:
        """Record a page's paragraphs (observing the same doc id again replaces its entry)."""
        self.observe_evidence(site, doc_id, self.evidence(list(paragraphs)))

    def observe_evidence(
        self, site: str, doc_id: str | int, evidence: Sequence[ParagraphEvidence]
    ) -> None:
        """`observe` with the paragraphs' evidence computed beforehand (in a worker process)."""
        doc = str(doc_id)
        counts = self._sites.setdefault(site, _SiteCounts())
        self._cache.clear()
        if doc in counts.docs:
            self._forget(counts, doc)
        tracked = [e for e in evidence if e.entry]
        for item in tracked:
            if item.has_spam:
                counts.spammy.add(item.entry[0])
        self._add(counts, doc, [e.entry for e in tracked])

    def _add(self, counts: _SiteCounts, doc: str, entries: list[tuple[int, ...]]) -> None:
        counts.docs[doc] = entries
        fp_docs, band_docs = counts.fp_docs, counts.band_docs
        for entry in entries:
            _index_add(fp_docs, entry[0], doc)
            for band in entry[1:]:
                _index_add(band_docs, band, doc)

    def _forget(self, counts: _SiteCounts, doc: str) -> None:
        for entry in counts.docs.pop(doc):
            _index_discard(counts.fp_docs, entry[0], doc)
            for band in entry[1:]:
                _index_discard(counts.band_docs, band, doc)

    # -- judging --
    def site_docs(self, site: str) -> int:
        counts = self._sites.get(site)
        return len(counts.docs) if counts else 0

    def _docs_with(self, counts: _SiteCounts, entry: tuple[int, ...]) -> set[str]:
        docs = set(_index_docs(counts.fp_docs, entry[0]))
        if len(entry) > 1:
            docs.update(_index_docs(counts.band_docs, entry[1]))  # same skeleton
            band_hits: Counter[str] = Counter()
            for band in entry[2:]:
                band_hits.update(_index_docs(counts.band_docs, band))
            docs.update(d for d, n in band_hits.items() if n >= _NEAR_MIN_BANDS)
        return docs

    def _most_docs_with(self, counts: _SiteCounts, entry: tuple[int, ...]) -> int:
        """An upper bound of `len(self._docs_with(counts, entry))`, from set sizes only."""
        bound = _index_size(counts.fp_docs, entry[0])
        if len(entry) > 1:
            # Inlined `_index_size` over the skeleton and band keys: this runs for every
            # paragraph of every page, and most keys are held by one page (a str).
            get = counts.band_docs.get
            bands = 0
            for value in entry[2:]:
                held = get(value)
                if held is not None:
                    bands += 1 if held.__class__ is str else len(held)  # type: ignore[arg-type]
            bound += _index_size(counts.band_docs, entry[1]) + bands // _NEAR_MIN_BANDS
        return bound

    def _unrelated_count(self, counts: _SiteCounts, fp: int, docs: set[str], needed: int) -> int:
        """Greedy count of pages that are not copies of one another (stops at `needed`).

        Two pages are copies of one article when their other paragraphs (this one and those
        with spam terms left out) overlap with Jaccard ≥ 0.5; a planted paragraph sits in
        pages whose own paragraphs share nothing.
        """
        representatives: list[set[int]] = []
        for doc in sorted(docs):
            others = {
                e[0] for e in counts.docs.get(doc, ()) if e[0] != fp and e[0] not in counts.spammy
            }
            for seen in representatives:
                union = len(seen | others)
                if union and len(seen & others) / union >= 0.5:
                    break
            else:
                representatives.append(others)
                if len(representatives) >= needed:
                    break
        return len(representatives)

    def kind(self, site: str, paragraph: str) -> Optional[str]:
        """`injected_paragraph`, `boilerplate` or None for one paragraph of a page of `site`."""
        counts = self._sites.get(site)
        if counts is None or len(counts.docs) < self.min_site_docs:
            return None
        return self.kind_of(site, self.evidence([paragraph])[0])

    def kind_of(self, site: str, evidence: ParagraphEvidence) -> Optional[str]:
        """`kind` of the paragraph whose evidence this is."""
        counts = self._sites.get(site)
        if counts is None or len(counts.docs) < self.min_site_docs or not evidence.entry:
            return None
        entry, has_spam = evidence.entry, evidence.has_spam
        needed = max(self.min_docs, math.ceil(self.min_share * len(counts.docs)))
        if self._most_docs_with(counts, entry) < needed:
            return None  # cheap bound: most paragraphs are on one page or a few
        docs = self._docs_with(counts, entry)
        if len(docs) < needed:
            return None
        cache_key = (site, entry[0])
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == len(docs):
            frequent = cached[1]
        else:
            frequent = self._unrelated_count(counts, entry[0], docs, needed) >= needed
            self._cache[cache_key] = (len(docs), frequent)
        if not frequent:
            return None
        kind = KIND_INJECTED_PARAGRAPH if has_spam else KIND_BOILERPLATE
        self._judged.setdefault(site, {})[entry[0]] = kind
        return kind

    def judged(self, site: str) -> dict[int, str]:
        """Exact fingerprints of the site's paragraphs judged planted or boilerplate so far, and
        their kind: a guess for cleaning the site's next pages ahead (`clean.prepare_item`)."""
        return dict(self._judged.get(site, {}))

    def injected(self, site: str, paragraph: str) -> bool:
        """True when the paragraph is planted on (or boilerplate of) many unrelated pages."""
        return self.kind(site, paragraph) is not None

    # -- persistence --
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.VERSION,
            "params": {
                "min_docs": self.min_docs,
                "min_share": self.min_share,
                "min_site_docs": self.min_site_docs,
                "min_chars": self.min_chars,
                "near_scheme": _NEAR_SCHEME.to_dict(),
            },
            "sites": {
                site: {
                    "docs": {doc: [list(e) for e in entries] for doc, entries in c.docs.items()},
                    "spammy": sorted(c.spammy),
                }
                for site, c in self._sites.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceFrequency:
        if data.get("version") != cls.VERSION:
            raise ValueError(
                f"paragraph counts of version {data.get('version')!r}, expected {cls.VERSION}: "
                "rebuild them by observing the stored articles again"
            )
        params = dict(data["params"])
        near = SignatureScheme.from_dict(params.pop("near_scheme"))
        _NEAR_SCHEME.check_compatible(near)
        freq = cls(**params)
        for site, payload in data["sites"].items():
            counts = freq._sites.setdefault(site, _SiteCounts())
            counts.spammy = set(payload.get("spammy", ()))
            for doc, entries in payload["docs"].items():
                freq._add(counts, doc, [tuple(int(v) for v in e) for e in entries])
        return freq
