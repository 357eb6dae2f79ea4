"""The site paragraph counter: paragraphs planted on many unrelated pages of one site (spam
injected into a hijacked site's templates) and a site's own boilerplate, found by counting each
paragraph's fingerprints across the site's recent pages.

A page's `PageEvidence` (fingerprints and band keys of its paragraphs) is pure of the counts, so
a worker process computes it; the counter itself lives in the one process that ingests, and its
changes are saved page by page with the articles (`paragraph_counts`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from pipelines.minhash import MinHasher, SignatureScheme, fmix32, murmur_windows, sorted_distinct
from pipelines.spam.vocabulary import KIND_BOILERPLATE, KIND_INJECTED_PARAGRAPH
from pipelines.text import paragraphs_of

__all__ = ["CountedPage", "PageEvidence", "ParagraphFrequency", "is_addressee_line", "page_evidence"]

# --- a paragraph's fingerprints ------------------------------------------------------------------

def _fingerprint(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def _band_keys(hex_digits: bytes) -> list[list[int]]:
    """The band keys of each signature, from the hex digits of the signatures' bytes: band b of
    a paragraph is `(b << 58) ^ (_fingerprint of its hex digits >> 6)`, in uint64 arithmetic
    for all bands at once (the values are < 2**61: the same integers)."""
    width = 2 * _BAND_BYTES
    blake2b = hashlib.blake2b
    digests = b"".join(
        [
            blake2b(hex_digits[i : i + width], digest_size=8).digest()
            for i in range(0, len(hex_digits), width)
        ]
    )
    values = np.frombuffer(digests, dtype="<u8").reshape(-1, _NEAR_BANDS) >> np.uint64(6)
    values ^= _BAND_HIGH_BITS
    return values.tolist()


_NEAR_SCHEME = SignatureScheme(shingle_size=3, num_perm=16)
_NEAR_BANDS = 8
_NEAR_ROWS = 2
_NEAR_MIN_BANDS = 4  # of 8: P(match) ≈ 0.86 at trigram Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5
_SKELETON_DROP = re.compile(r"[0-9a-z]+")
_MIN_SKELETON = 8  # skeleton characters for near-exact matching (shorter: exact only)
_NEAR_HASHER = MinHasher(_NEAR_SCHEME)
_BAND_BYTES = 4 * _NEAR_ROWS  # bytes of a band's uint32 values
assert _NEAR_SCHEME.num_perm == _NEAR_BANDS * _NEAR_ROWS
_BAND_HIGH_BITS = np.arange(_NEAR_BANDS, dtype=np.uint64) << np.uint64(58)
_BATCH_WINDOWS = 1 << 16  # shingles per numpy pass (16 x 65,536 x 4 bytes = 4 MiB)


def _near_signatures(skeletons: Sequence[str]) -> bytes:
    """`_NEAR_HASHER.signature_of_key(s).hashvalues` of every skeleton (≥ 8 characters), as the
    bytes of one (skeletons x permutations) uint32 array: one numpy pass for all of them.

    The trigram hashes of the concatenated skeletons are computed at once and the windows that
    straddle two skeletons dropped; the minimum over each skeleton's windows is a `reduceat`.
    A minimum does not care about repeated shingles, so this equals the per-key signature.
    """
    a, b = _NEAR_HASHER.permutations
    size = _NEAR_SCHEME.shingle_size
    out: list[bytes] = []
    start = 0
    while start < len(skeletons):
        stop, windows = start, 0
        while stop < len(skeletons) and (stop == start or windows + len(skeletons[stop]) <= _BATCH_WINDOWS):
            windows += len(skeletons[stop]) - size + 1
            stop += 1
        group = skeletons[start:stop]
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        points = np.frombuffer("".join(group).encode("utf-32-le"), dtype="<u4").astype(np.uint32)
        hashes = murmur_windows(points, size)
        counts = lengths - size + 1
        ends = np.cumsum(counts)
        owner = np.repeat(np.arange(len(group)), counts)
        offsets = np.cumsum(lengths) - lengths
        starts = np.arange(int(ends[-1])) - np.repeat(ends - counts, counts) + offsets[owner]
        block = np.multiply.outer(a, fmix32(hashes[starts]))
        block += b[:, None]
        minima = np.minimum.reduceat(block, ends - counts, axis=1)  # (permutations x skeletons)
        out.append(np.ascontiguousarray(minima.T).tobytes())
        start = stop
    return b"".join(out)


def _entries_of(keys: Sequence[str], banded: bool) -> list[tuple[int, ...]]:
    """The counter's entry of each comparison key: its exact fingerprint, then, when its skeleton
    is long enough, the skeleton's fingerprint, and if `banded` the skeleton's 8 band keys."""
    entries: list[tuple[int, ...]] = []
    near: list[int] = []
    skeletons: list[str] = []
    for key in keys:
        skeleton = _SKELETON_DROP.sub("", key)
        exact = _fingerprint(key)
        if len(skeleton) >= _MIN_SKELETON:
            near.append(len(entries))
            skeletons.append(skeleton)
            entries.append((exact, (1 << 63) | ((exact if skeleton == key else _fingerprint(skeleton)) >> 1)))
        else:
            entries.append((exact,))
    if banded and skeletons:
        signatures = _near_signatures(skeletons)
        # A band key hashes the hex digits of its values' bytes: 2 hex digits a byte.
        hex_digits = signatures.hex().encode("ascii")
        for position, bands in zip(near, _band_keys(hex_digits)):
            entries[position] = (*entries[position], *bands)
    return entries


# 主送机关, the addressee line of an official document (GB/T 9704-2012 §7.3.3): under the title,
# the bodies the document is sent to, separated by "，" or "、", the last followed by a full-width
# colon ("各县（市、区）人民政府，省直有关部门："). A site's notices are sent to the same bodies, so
# the line recurs verbatim on unrelated pages like a template; it is their text.
ADDRESSEE_LINES = 3  # paragraphs from the top where it is looked for (a document number may come first)
_ADDRESSEE = re.compile(r"[^。！？；!?;：:]{2,160}：")
_ADDRESSEE_BODIES = (
    "政府", "部门", "单位", "委", "委员会", "厅", "局", "办", "办公室", "机构", "党组",
    "院", "公司", "企业", "学校", "高校", "协会", "中心", "银行", "集团", "处", "所", "站",
)


def is_addressee_line(paragraph: str) -> bool:
    """True for a 主送机关 line: groups of bodies separated by "，", ending in "：" (normalised
    text), each group's last name an institution ("各县（市、区）人民政府", "省直有关部门",
    "市政府各委、办、局"). "当前位置：", "附件：" or a notice that ends in "：" are not."""
    text = paragraph.strip()
    if not _ADDRESSEE.fullmatch(text):
        return False
    return all(group.endswith(_ADDRESSEE_BODIES) for group in text[:-1].split("，"))


@dataclass(frozen=True)
class PageEvidence:
    """What the counter reads of one page's paragraphs, as arrays (`page_evidence`).

    A paragraph is *tracked* when its comparison key has at least `min_chars` characters or
    vocabulary terms (and it is not an addressee line near the top). Its entry is the exact
    fingerprint of the key, then, when the key's skeleton (digits and Latin dropped: random
    ids, counters, domains vary between planted copies) is long enough, the skeleton's
    fingerprint, and for a paragraph with spam terms the 8 band keys of a 16-permutation
    MinHash of the skeleton's trigrams: the bands catch the other small edits an injector makes
    to each copy. A site's own boilerplate recurs as it is, up to such numbers: matched near, a
    templated sentence of real articles ("省商务厅关于加快新材料高质量发展的若干措施如下。")
    would be judged boilerplate and cut from each.
    """

    tracked: tuple[int, ...]  # positions of the tracked paragraphs
    exact: np.ndarray  # uint64, their exact fingerprints, in that order
    near: np.ndarray  # intp, which of them (positions in `tracked`) have near-match keys
    #: uint64, (len(near) x 9): skeleton fingerprint and band keys of each (zeros, not read,
    #: where it has no band keys)
    bands: np.ndarray
    banded: np.ndarray  # bool, which rows of `bands` have band keys
    spammy: np.ndarray  # uint64, sorted distinct fingerprints of those with spam terms
    spam: np.ndarray  # bool, which of the tracked paragraphs have spam terms
    paragraphs: int  # all the page's paragraphs, tracked or not
    #: What the page's postings hold, sorted and distinct (`CountedPage`): its exact
    #: fingerprints, and its skeletons with the band keys of the rows that have them.
    held_exact: np.ndarray
    held_bands: np.ndarray


def page_evidence(paragraphs: Sequence[str], min_chars: int = 12) -> PageEvidence:
    """The evidence of a page's paragraphs (normalised text), fingerprints in batched passes."""
    texts = paragraphs_of(paragraphs)
    tracked: list[int] = []
    keys: list[str] = []
    spam: list[bool] = []
    for position, paragraph in enumerate(texts):
        key = paragraph.key
        has_spam = bool(key) and bool(paragraph.hits)
        if position < ADDRESSEE_LINES and not has_spam and is_addressee_line(paragraph):
            continue
        if key and (len(key) >= min_chars or has_spam):
            tracked.append(position)
            keys.append(key)
            spam.append(has_spam)
    entries: list[tuple[int, ...]] = [()] * len(tracked)
    for banded in (False, True):
        which = [i for i, s in enumerate(spam) if s == banded]
        for i, entry in zip(which, _entries_of([keys[i] for i in which], banded) if which else ()):
            entries[i] = entry
    width = _NEAR_BANDS + 1
    near = [i for i, entry in enumerate(entries) if len(entry) > 1]
    band_rows = [entries[i][1:] if len(entries[i]) > 2 else (entries[i][1],) + (0,) * (width - 1)
                 for i in near]
    exact = np.array([entry[0] for entry in entries], dtype=_U64)
    bands = np.array(band_rows, dtype=_U64).reshape(-1, width)
    banded_rows = np.array([len(entries[i]) > 2 for i in near], dtype=bool)
    return PageEvidence(
        tuple(tracked), exact, np.array(near, dtype=np.intp), bands, banded_rows,
        np.array(sorted({e[0] for e, s in zip(entries, spam) if s}), dtype=_U64),
        np.array(spam, dtype=bool), len(texts), sorted_distinct(exact),
        sorted_distinct(np.concatenate([bands[:, 0], bands[banded_rows, 1:].ravel()])),
    )


# --- the counter's storage: postings in sorted runs ------------------------------------------------

_U64 = np.uint64
_NO_VALUES = np.empty(0, dtype=_U64)
# A page's values become one sorted run, merged with the newest runs while those are at most
# this many times its size: a few runs of geometrically growing size hold a site's postings.
_POSTING_RUN_RATIO = 4


class _Postings:
    """A multimap value -> doc numbers, as sorted runs of (value, doc) postings (LSM-style).

    12 bytes a posting, where a dict of sets took ~70. A page adds its distinct values as one
    small run; a lookup is one `searchsorted` per run for all the values of a page. Postings of
    docs that no longer count (evicted, observed again) stay until a merge rewrites their run:
    `live` (by doc number) says which count.
    """

    __slots__ = ("values", "docs")

    def __init__(self) -> None:
        self.values: list[np.ndarray] = []
        self.docs: list[np.ndarray] = []

    @property
    def size(self) -> int:
        return sum(v.size for v in self.values)

    def add(self, values: np.ndarray, doc: int, live: np.ndarray) -> None:
        """Add `doc` under each of `values` (sorted, distinct uint64)."""
        if not values.size:
            return
        run_values, run_docs = values, np.full(values.size, doc, dtype=np.uint32)
        while self.values and self.values[-1].size <= _POSTING_RUN_RATIO * run_values.size:
            run_values, run_docs = _merge_runs(
                self.values.pop(), self.docs.pop(), run_values, run_docs, live
            )
        self.values.append(run_values)
        self.docs.append(run_docs)

    def rebuild(self, live: np.ndarray, renumber: np.ndarray) -> None:
        """One run of the live postings, doc numbers mapped through `renumber`."""
        values = np.concatenate(self.values) if self.values else _NO_VALUES
        docs = np.concatenate(self.docs) if self.docs else np.empty(0, dtype=np.uint32)
        alive = live[docs]
        values, docs = values[alive], renumber[docs[alive]]
        order = np.argsort(values, kind="stable")
        self.values, self.docs = [values[order]], [docs[order].astype(np.uint32)]

    def find(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of `values` lies in each run: (first, end), each (runs x values)."""
        first = np.empty((len(self.values), values.size), dtype=np.int64)
        end = np.empty((len(self.values), values.size), dtype=np.int64)
        for r, run in enumerate(self.values):
            first[r] = np.searchsorted(run, values, "left")
            end[r] = np.searchsorted(run, values, "right")
        return first, end

    @staticmethod
    def counts(found: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
        """Postings under each value `find` looked up, dead docs included (an upper bound of
        the live docs holding it)."""
        first, end = found
        if not first.size:
            return np.zeros(size, dtype=np.int64)
        return (end - first).sum(axis=0)  # type: ignore[no-any-return]

    def postings(
        self, found: tuple[np.ndarray, np.ndarray], which: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(doc numbers, value position) of every posting under the values at positions
        `which` of those `find` looked up."""
        docs, owners = [], []
        for first, end, run_docs in zip(found[0], found[1], self.docs):
            first, held = first[which], end[which] - first[which]
            total = int(held.sum())
            if not total:
                continue
            starts = np.cumsum(held) - held
            docs.append(run_docs[np.repeat(first - starts, held) + np.arange(total)])
            owners.append(np.repeat(which, held))
        if not docs:
            return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
        return np.concatenate(docs), np.concatenate(owners)


def _merge_runs(
    values_a: np.ndarray, docs_a: np.ndarray, values_b: np.ndarray, docs_b: np.ndarray,
    live: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs of postings as one, a's first among equal values, without the postings
    of dead docs."""
    merged_values = np.concatenate((values_a, values_b))
    merged_docs = np.concatenate((docs_a, docs_b))
    order = np.argsort(merged_values, kind="stable")  # timsort: a linear merge of two runs
    run_values, run_docs = merged_values[order], merged_docs[order]
    alive = live[run_docs]
    if not alive.all():
        run_values, run_docs = run_values[alive], run_docs[alive]
    return run_values, run_docs


@dataclass(frozen=True)
class CountedPage:
    """What the counter keeps of one page (and the store keeps in `paragraph_counts`): the
    distinct exact fingerprints of its tracked paragraphs, their skeleton and band keys, and
    the fingerprints of those with spam terms. `seq` orders a site's pages as observed."""

    site: str
    doc: str
    seq: int
    exact: np.ndarray  # uint64, sorted, distinct
    bands: np.ndarray  # uint64, sorted, distinct (skeleton fingerprints and band keys)
    spammy: np.ndarray  # uint64

    def to_row(self) -> dict[str, Any]:
        def little_endian(values: np.ndarray) -> bytes:
            return np.asarray(values, dtype="<u8").tobytes()  # no copy on little-endian machines

        return {"site": self.site, "url": self.doc, "seq": self.seq, "exact": little_endian(self.exact),
                "bands": little_endian(self.bands), "spammy": little_endian(self.spammy)}

    @classmethod
    def from_row(cls, site: str, url: str, seq: int, exact: bytes, bands: bytes, spammy: bytes) -> CountedPage:
        return cls(site, url, seq, np.frombuffer(exact, "<u8").astype(_U64),
                   np.frombuffer(bands, "<u8").astype(_U64), np.frombuffer(spammy, "<u8").astype(_U64))


class _SiteCounts:
    """One site's window of pages: postings of their fingerprints and band keys, and per page
    its exact fingerprints (to tell copies of one article from unrelated pages)."""

    def __init__(self) -> None:
        self.exact = _Postings()  # exact fingerprint -> docs
        self.bands = _Postings()  # skeleton fingerprint or band key -> docs
        self.number_of: dict[str, int] = {}  # live doc id -> doc number
        self.doc_of: dict[int, str] = {}  # doc number -> doc id (live only)
        self.fingerprints: dict[int, np.ndarray] = {}  # doc number -> its exact fingerprints
        self.postings: dict[int, int] = {}  # doc number -> postings it holds (live only)
        self.order: deque[int] = deque()  # doc numbers, oldest first (dead ones skipped)
        self.live = np.zeros(64, dtype=bool)
        self.next_number = 0
        self.next_seq = 0
        self.live_postings = 0
        self.dead_postings = 0
        self.spammy: set[int] = set()  # fingerprints of paragraphs with spam terms

    def __len__(self) -> int:
        return len(self.number_of)

    def add(self, page: CountedPage) -> None:
        number = self.next_number
        self.next_number += 1
        if number >= self.live.size:
            live = np.zeros(2 * self.live.size, dtype=bool)
            live[: self.live.size] = self.live
            self.live = live
        self.live[number] = True
        self.number_of[page.doc] = number
        self.doc_of[number] = page.doc
        self.fingerprints[number] = page.exact
        self.postings[number] = page.exact.size + page.bands.size
        self.live_postings += self.postings[number]
        self.order.append(number)
        self.next_seq = max(self.next_seq, page.seq + 1)
        self.exact.add(page.exact, number, self.live)
        self.bands.add(page.bands, number, self.live)

    def forget(self, doc: str) -> None:
        number = self.number_of.pop(doc)
        del self.doc_of[number], self.fingerprints[number]
        self.live[number] = False
        held = self.postings.pop(number)
        self.live_postings -= held
        self.dead_postings += held
        if self.dead_postings > max(self.live_postings, 1 << 16):
            self._compact()

    def oldest(self) -> str:
        while not self.live[self.order[0]]:
            self.order.popleft()
        return self.doc_of[self.order[0]]

    def _compact(self) -> None:
        """Drop the dead postings and renumber the live docs 0..n-1 (in observation order)."""
        numbers = [n for n in self.order if self.live[n]]
        renumber = np.zeros(self.live.size, dtype=np.uint32)
        renumber[numbers] = np.arange(len(numbers), dtype=np.uint32)
        self.exact.rebuild(self.live, renumber)
        self.bands.rebuild(self.live, renumber)
        self.doc_of = {i: self.doc_of[n] for i, n in enumerate(numbers)}
        self.number_of = {doc: i for i, doc in self.doc_of.items()}
        self.fingerprints = {i: self.fingerprints[n] for i, n in enumerate(numbers)}
        self.postings = {i: self.postings[n] for i, n in enumerate(numbers)}
        self.order = deque(range(len(numbers)))
        self.live = np.zeros(max(64, 2 * len(numbers)), dtype=bool)
        self.live[: len(numbers)] = True
        self.next_number = len(numbers)
        self.dead_postings = 0


class ParagraphFrequency:
    """Counts paragraphs across the pages of each site to find planted ones.

    A paragraph is *injected* when it appears on at least `min_docs` pages of one site — and on
    at least `min_share` of the site's pages — that are otherwise unrelated (two pages are
    copies of one article when the rest of their paragraphs overlap, Jaccard ≥ 0.5). It is
    judged only once the site has `min_site_docs` pages. Matching is exact on the comparison
    key's hash; near-exact on the key's skeleton (digits and Latin removed: random ids,
    counters, domains); and, for paragraphs with spam terms, which injectors vary from copy to
    copy, with a 16-permutation MinHash of the skeleton's character trigrams in 8 bands of 2,
    a match needing 4 of the 8 bands (≈ 0.86 at trigram Jaccard 0.8, 0.99 at 0.9, 0.11 at 0.5
    — and it takes `min_docs` pages to count). Boilerplate is matched up to its skeleton only:
    a site's template repeats as it is, while a sentence that real articles share but for their
    subject ("省商务厅关于加快新材料高质量发展的若干措施如下。") is their text.

    `kind()` separates spam (`injected_paragraph`: the paragraph has lexicon terms) from
    site boilerplate (`boilerplate`: "本网站所载文章…转载请注明出处"). Paragraphs under
    `min_chars` key characters without spam terms are never judged: short lines such as
    "特此通知。" or "本办法自印发之日起施行。" legitimately recur on many policy pages.

    Memory is bounded: each site counts its last `window` pages observed (a planted paragraph
    or a footer recurs on a share of *recent* pages; a million-page backfill must not hold a
    million pages). About 3 KB a page (sorted runs of 12-byte postings, see `_Postings`).
    What each observed page adds, and the pages that left a window, are journaled for the
    store (`take_changes`; the table `paragraph_counts`), so the counts are saved page by page
    with the articles, not as one large state at the end of a run.
    """

    WINDOW = 2000

    def __init__(
        self,
        min_docs: int = 5,
        min_share: float = 0.02,
        min_site_docs: int = 5,
        min_chars: int = 12,
        window: int = WINDOW,
    ) -> None:
        if window < max(min_docs, min_site_docs):
            raise ValueError(f"window {window} is smaller than min_docs/min_site_docs")
        self.min_docs = min_docs
        self.min_share = min_share
        self.min_site_docs = min_site_docs
        self.min_chars = min_chars
        self.window = window
        self._sites: dict[str, _SiteCounts] = {}
        self._cache: dict[tuple[str, int], tuple[int, bool]] = {}
        self._observed: dict[str, CountedPage] = {}  # since the last `take_changes`, by doc
        self._evicted: set[str] = set()  # docs that left their window, likewise

    # -- building --
    def evidence(self, paragraphs: Sequence[str]) -> PageEvidence:
        """What the counter reads of a page's paragraphs (`page_evidence`)."""
        return page_evidence(paragraphs, self.min_chars)

    def observe(self, site: str, doc_id: str | int, evidence: PageEvidence) -> None:
        """Count a page (observing the same doc id again replaces its entry)."""
        counts = self._sites.get(site)
        seq = counts.next_seq if counts is not None else 0
        self._remember(CountedPage(
            site, str(doc_id), seq, evidence.held_exact, evidence.held_bands, evidence.spammy
        ))

    def _remember(self, page: CountedPage, journal: bool = True) -> None:
        counts = self._sites.get(page.site)
        if counts is None:
            counts = self._sites[page.site] = _SiteCounts()
        self._cache.clear()
        if page.doc in counts.number_of:
            counts.forget(page.doc)
        elif len(counts) >= self.window:
            oldest = counts.oldest()
            counts.forget(oldest)
            self._evicted.add(oldest)
            self._observed.pop(oldest, None)
        counts.spammy.update(page.spammy.tolist())
        counts.add(page)
        if journal:
            self._observed[page.doc] = page
            self._evicted.discard(page.doc)

    def take_changes(self) -> tuple[list[CountedPage], list[str]]:
        """(pages observed, doc ids that left their site's window) since the last call: what
        the store must write and delete for its `paragraph_counts` to match this counter."""
        observed, evicted = list(self._observed.values()), sorted(self._evicted)
        self._observed, self._evicted = {}, set()
        return observed, evicted

    def return_changes(self, observed: Iterable[CountedPage], evicted: Iterable[str]) -> None:
        """Put back what `take_changes` gave when the store could not write it (a failed
        transaction): the next `take_changes` hands it out again, unless superseded."""
        for page in observed:
            self._observed.setdefault(page.doc, page)
        for doc in evicted:
            if doc not in self._observed:
                self._evicted.add(doc)

    @classmethod
    def from_pages(cls, pages: Iterable[CountedPage], **params: Any) -> ParagraphFrequency:
        """A counter holding `pages` (as stored: by site, oldest first). Pages beyond a site's
        window are evicted at once, and journaled as such for the store."""
        freq = cls(**params)
        for page in pages:
            freq._remember(page, journal=False)
        return freq

    # -- judging --
    def site_docs(self, site: str) -> int:
        counts = self._sites.get(site)
        return len(counts) if counts else 0

    def kind(self, site: str, paragraph: str) -> Optional[str]:
        """The kind of one paragraph on a page of `site` (see `kinds`)."""
        return self.kinds(site, self.evidence([paragraph]))[0]

    def kinds(self, site: str, evidence: PageEvidence) -> list[Optional[str]]:
        """For each paragraph of a page of `site`: `injected_paragraph` (planted, with spam
        terms), `boilerplate` (the site's template) or None, all looked up at once."""
        kinds: list[Optional[str]] = [None] * evidence.paragraphs
        counts = self._sites.get(site)
        if counts is None or len(counts) < self.min_site_docs or not evidence.tracked:
            return kinds
        needed = max(self.min_docs, math.ceil(self.min_share * len(counts)))
        for k, docs in _candidates(counts, evidence, needed):
            if docs.size >= needed:
                kinds[evidence.tracked[k]] = self._judge(
                    site, counts, int(evidence.exact[k]), bool(evidence.spam[k]),
                    set(docs.tolist()), needed,
                )
        return kinds

    def _judge(
        self, site: str, counts: _SiteCounts, fp: int, has_spam: bool, docs: set[int], needed: int
    ) -> Optional[str]:
        """The kind of a paragraph (exact fingerprint `fp`) held by `docs` (live doc numbers, at
        least `needed`)."""
        cache_key = (site, fp)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == len(docs):
            frequent = cached[1]
        else:
            frequent = self._unrelated_count(counts, fp, docs, needed) >= needed
            self._cache[cache_key] = (len(docs), frequent)
        if not frequent:
            return None
        return KIND_INJECTED_PARAGRAPH if has_spam else KIND_BOILERPLATE

    @staticmethod
    def _unrelated_count(counts: _SiteCounts, fp: int, docs: set[int], needed: int) -> int:
        """Greedy count of pages that are not copies of one another (stops at `needed`).

        Two pages are copies of one article when their other paragraphs (this one and those
        with spam terms left out) overlap with Jaccard ≥ 0.5; a planted paragraph sits in
        pages whose own paragraphs share nothing.
        """
        representatives: list[set[int]] = []
        for number in sorted(docs, key=counts.doc_of.__getitem__):  # by doc id, as observed
            others = {
                v for v in counts.fingerprints[number].tolist() if v != fp and v not in counts.spammy
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

    def pages(self) -> Iterator[CountedPage]:
        """Every page counted, by site, oldest first (what `from_pages` takes back)."""
        for site, counts in self._sites.items():
            numbers = [n for n in counts.order if counts.live[n]]
            bands = _values_by_doc(counts.bands, counts.live)
            for seq, number in enumerate(numbers):
                fps = counts.fingerprints[number]
                yield CountedPage(
                    site, counts.doc_of[number], seq, fps, bands.get(number, _NO_VALUES),
                    np.array(sorted(set(fps.tolist()) & counts.spammy), dtype=_U64),
                )


def _candidates(
    counts: _SiteCounts, evidence: PageEvidence, needed: int
) -> list[tuple[int, np.ndarray]]:
    """(tracked paragraph, sorted live docs of the site holding it) of the paragraphs of a page
    whose bound reaches `needed`.

    A bound first, from the number of postings under each value: most paragraphs are on one
    page or a few, and only those that may reach the threshold have their pages counted
    exactly: by exact fingerprint, skeleton, or `_NEAR_MIN_BANDS` band keys (a row's band keys
    count only where it is `banded`)."""
    exact, near, bands, banded, live = (
        evidence.exact, evidence.near, evidence.bands, evidence.banded, counts.live
    )
    exact_found = counts.exact.find(exact)
    bound = counts.exact.counts(exact_found, exact.size)
    width = bands.shape[1]
    band_found = counts.bands.find(bands.ravel())
    if near.size:
        held = counts.bands.counts(band_found, bands.size).reshape(-1, width)
        bound[near] += held[:, 0] + (held[:, 1:].sum(axis=1) * banded) // _NEAR_MIN_BANDS
    candidates = np.flatnonzero(bound >= needed)
    if not candidates.size:
        return []
    # (paragraph, live doc) pairs by exact key, skeleton, or enough band keys.
    docs, owner = counts.exact.postings(exact_found, candidates)
    pairs = [owner * live.size + docs]
    row_of = np.full(exact.size, -1, dtype=np.intp)  # a tracked paragraph's row of `bands`
    row_of[near] = np.arange(near.size)
    rows = row_of[candidates]
    rows = rows[rows >= 0]
    if rows.size:
        columns = (np.arange(width) == 0) | banded[rows][:, None]
        which = (rows[:, None] * width + np.arange(width))[columns]
        docs, position = counts.bands.postings(band_found, which)
        key = near[position // width] * live.size + docs
        skeleton = position % width == 0
        pairs.append(key[skeleton])
        band_keys = np.sort(key[~skeleton])
        # A pair is held through enough bands when it recurs _NEAR_MIN_BANDS times in a row.
        steps = _NEAR_MIN_BANDS - 1
        if band_keys.size > steps:
            pairs.append(band_keys[steps:][band_keys[steps:] == band_keys[:-steps]])
    pairs_all = sorted_distinct(np.concatenate(pairs))
    owner, docs = np.divmod(pairs_all, live.size)
    alive = live[docs]
    owner, docs = owner[alive], docs[alive]
    first = np.searchsorted(owner, candidates, "left")
    end = np.searchsorted(owner, candidates, "right")
    return [(k, docs[a:b].astype(np.uint32))
            for k, a, b in zip(candidates.tolist(), first.tolist(), end.tolist())]


def _values_by_doc(postings: _Postings, live: np.ndarray) -> dict[int, np.ndarray]:
    """The live postings regrouped by doc number: {doc: its values, sorted}."""
    if not postings.values:
        return {}
    values, docs = np.concatenate(postings.values), np.concatenate(postings.docs)
    alive = live[docs]
    values, docs = values[alive], docs[alive]
    order = np.lexsort((values, docs))
    values, docs = values[order], docs[order]
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1]))) if docs.size else []
    bounds = [*starts, docs.size]
    return {int(docs[a]): values[a:b] for a, b in zip(bounds, bounds[1:])}
