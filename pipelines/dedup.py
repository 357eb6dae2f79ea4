"""Near-duplicate detection on the normalised, spam-free body: which article is this page a copy of?

Relations (`DedupDecision.relation`):

* `exact` — same comparison key (Simplified, punctuation and spacing gone): a verbatim copy.
* `near_duplicate` — Jaccard of character 5-gram sets ≥ 0.8 (a repost with an editor's note and
  another 来源, a correction of a few figures, paragraphs reordered).
* `mirror` — an exact or near duplicate that is a Traditional-script copy or comes from a host
  the caller knows is a mirror (`is_mirror_hint`).
* `contained` — ≥ 90 % of this document's shingles are in a longer indexed document: a repost
  cut short, page 1 of a paginated article.
* `contains` — the reverse: this document contains ≥ 90 % of a shorter indexed one (the full
  article arriving after its first page): the caller should make this copy the canonical one.
* `new` — none of these. A document quoting 40 % of another (an interpretation quoting the
  policy it explains, containment ≈ 0.4–0.6) is new.

Parameters and the measurements behind them (J = Jaccard of character 5-gram sets of the
comparison keys; measured on the seed article, ~5,900 key characters, by
tests/pipelines/test_dedup.py::test_measured_variants; FIELD_NOTES agree):

| variant                                 | J     | containment |
|-----------------------------------------|-------|-------------|
| Traditional copy, not normalised        | 0.083 | 0.15        |
| Traditional copy, after t2s             | 1.000 | 1.00        |
| repost + editor's note, other 来源       | 0.987 | 0.99        |
| correction, two figures changed         | 0.997 | 1.00        |
| paragraphs shuffled, one dropped        | 0.905 | 0.97        |
| truncated to 50 %                       | 0.558 | 1.00        |
| page 1 of 3                             | 0.377 | 1.00        |
| interpretation quoting ~45 % of a policy | 0.303 | 0.47        |
| two halves of one article (same topic)  | 0.013 | 0.02        |

* 5-grams of characters: Chinese has no spaces to make words, and 5 characters is long enough
  that unrelated policy texts share almost none (J ≤ 0.005) yet short enough that a changed
  figure disturbs only 5 shingles.
* 128 permutations: std of the Jaccard estimate ≤ 0.044; only used to pick and prune
  candidates — the decision is made on exact (sampled) shingle sets, see below.
* LSH banding 32 bands × 2 rows (one `datasketch.MinHashLSH`): the candidate probability
  1 − (1 − J²)³² is 0.97 at J = 0.32 (page 1 of 3), 0.87 at 0.25, ≥ 0.9999 at 0.5, 0.08 at
  0.05. Containment candidates have low Jaccard (a page 1 of 3 has J ≈ 0.32), so an LSH tuned
  to 0.5–0.8 misses them (datasketch's optimum for 0.8, 9 × 13, finds only 40 % of pairs *at*
  J = 0.8). A second LSH at a high threshold would only return a subset of these candidates
  for more memory, and `MinHashLSHEnsemble` needs the whole collection up front (it partitions
  by set size when built), which a crawl that adds one page at a time does not have.
* Verification: each indexed document keeps a *consistent sample* of its shingle hashes (those
  whose low k bits are zero, k chosen so that ≈ 256–512 remain; Broder's MODm sketch). Two
  documents are compared on the sample at the coarser rate, which gives containment in both
  directions and Jaccard with ~300 shared samples instead of MinHash's 128 coin flips: a
  page 1 of 3 measures 1.00 ± 0.01 rather than 0.97 ± 0.09 from the MinHash formula
  |A∩B| ≈ J(|A|+|B|)/(1+J). That formula (with the stored shingle counts) is only the cheap
  prefilter that decides which LSH candidates get verified.
* Memory (measured, 3,000 unrelated 3,000-character documents): ≈ 12.7 KB per indexed
  document — ≈ 9.5 KB in MinHashLSH's dict/set buckets (32 bands), 1.5 KB of verification
  sample, 0.5 KB of signature. ≈ 1.3 GB per 100,000 documents; past that, move the LSH to
  datasketch's Redis storage (same class) or a compact band table.
* Texts under 200 key characters get an exact hash only: a few sentences are too short for a
  stable shingle set, and short notices legitimately share most of their words.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Hashable, Iterable, Iterator, Literal, Optional, Sequence

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from pipelines.minhash import (
    DEFAULT_SCHEME,
    IncompatibleSignatureError,
    MinHasher,
    Signature,
    SignatureScheme,
)
from pipelines.normalize import Script, comparison_key

__all__ = [
    "Candidate",
    "Copy",
    "DedupDecision",
    "DedupDoc",
    "DedupIndex",
    "DedupParams",
    "Relation",
    "choose_canonical",
    "content_key_hash",
    "decide",
]

Relation = Literal["new", "exact", "near_duplicate", "mirror", "contained", "contains"]
DocId = Hashable

U32 = np.uint32


@dataclass(frozen=True)
class DedupParams:
    scheme: SignatureScheme = DEFAULT_SCHEME
    min_chars: int = 200  # comparison-key characters below which only the exact hash is used
    lsh_bands: int = 32
    lsh_rows: int = 2
    near_duplicate: float = 0.8  # Jaccard
    containment: float = 0.9
    sample_target: int = 256  # shingle hashes kept per document for verification (≥ this)
    prefilter: float = 0.5  # MinHash-estimated Jaccard or containment needed to verify

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["scheme"] = self.scheme.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DedupParams:
        values = dict(data)
        values["scheme"] = SignatureScheme.from_dict(values["scheme"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def index_shape(self) -> tuple[object, ...]:
        """What stored index entries depend on (thresholds may change freely)."""
        s = self.scheme
        return (s.shingle_size, s.num_perm, s.seed, s.hash_name, s.permutation, self.min_chars)


def content_key_hash(key: str) -> str:
    """sha1 of the comparison key: identical for every verbatim copy in any script."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DedupDoc:
    """What dedup knows about one body (build it with `DedupIndex.document`)."""

    content_hash: str
    key_length: int
    signature: Optional[Signature]  # None for texts under `min_chars`
    original_script: Script = "simplified"
    is_mirror_hint: bool = False


@dataclass(frozen=True)
class Candidate:
    doc_id: DocId
    article_id: DocId
    exact: bool
    jaccard: float  # verified on the shingle samples (MinHash estimate if no sample)
    contained_in: float  # share of the *query's* shingles found in this candidate
    contains: float  # share of this candidate's shingles found in the query
    key_length: int
    estimated_jaccard: float


@dataclass(frozen=True)
class DedupDecision:
    relation: Relation
    article_id: Optional[DocId]
    similarity: float
    doc_id: Optional[DocId] = None  # the indexed entry that matched


@dataclass
class _Entry:
    article_id: DocId
    content_hash: str
    key_length: int
    shingle_count: int = 0
    sample_bits: int = 0
    sample: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=U32))
    hashvalues: Optional[np.ndarray] = None


def _sample_bits(count: int, target: int) -> int:
    return max(0, int(math.floor(math.log2(count / target)))) if count > target else 0


def _subsample(hashes: np.ndarray, bits: int) -> np.ndarray:
    if bits == 0:
        return hashes
    return hashes[(hashes & U32((1 << bits) - 1)) == 0]


_ENTRY_MAGIC = b"PIS1"


class DedupIndex:
    """In-memory index of bodies: exact hashes, a MinHashLSH and per-entry verification samples.

    `query`/`decide` never change the index; `add` does (the caller serialises writes). Entries
    are keyed by a `doc_id` (one per stored copy or per canonical body: the caller chooses) and
    carry the `article_id` they belong to.
    """

    def __init__(self, params: DedupParams = DedupParams()) -> None:
        self.params = params
        self.hasher = MinHasher(params.scheme)
        self._lsh = MinHashLSH(
            num_perm=params.scheme.num_perm, params=(params.lsh_bands, params.lsh_rows)
        )
        self._entries: dict[DocId, _Entry] = {}
        self._exact: dict[str, DocId] = {}

    # -- documents --
    def document(
        self,
        body_text: str,
        *,
        original_script: Script = "simplified",
        is_mirror_hint: bool = False,
    ) -> DedupDoc:
        """Prepare a normalised, spam-free body for `query`/`add`."""
        key = comparison_key(body_text)
        signature = self.hasher.signature_of_key(key) if len(key) >= self.params.min_chars else None
        return DedupDoc(content_key_hash(key), len(key), signature, original_script, is_mirror_hint)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: DocId) -> bool:
        return doc_id in self._entries

    # -- reading --
    def query(self, doc: DedupDoc) -> list[Candidate]:
        """Verified candidates for `doc`, most similar first (exact matches first of all)."""
        results: dict[DocId, Candidate] = {}
        exact_id = self._exact.get(doc.content_hash)
        if exact_id is not None:
            entry = self._entries[exact_id]
            results[exact_id] = Candidate(
                exact_id, entry.article_id, True, 1.0, 1.0, 1.0, entry.key_length, 1.0
            )
        signature = doc.signature
        if signature is not None:
            self.params.scheme.check_compatible(signature.scheme)
            for doc_id in self._lsh.query(signature.lean()):
                if doc_id in results:
                    continue
                candidate = self._verify(doc_id, signature)
                if candidate is not None:
                    results[doc_id] = candidate
        return sorted(
            results.values(),
            key=lambda c: (not c.exact, -max(c.jaccard, c.contained_in, c.contains), str(c.doc_id)),
        )

    def _verify(self, doc_id: DocId, signature: Signature) -> Optional[Candidate]:
        entry = self._entries[doc_id]
        assert entry.hashvalues is not None
        estimated = float(np.count_nonzero(entry.hashvalues == signature.hashvalues)) / len(
            entry.hashvalues
        )
        a, b = signature.shingle_count, entry.shingle_count
        overlap = estimated * (a + b) / (1 + estimated) if a and b else 0.0
        if max(estimated, overlap / max(a, 1), overlap / max(b, 1)) < self.params.prefilter:
            return None
        bits = max(entry.sample_bits, _sample_bits(a, self.params.sample_target))
        mine = _subsample(signature.shingle_hashes, bits)
        theirs = _subsample(entry.sample, bits)
        if mine.size == 0 or theirs.size == 0:
            return None
        shared = np.intersect1d(mine, theirs, assume_unique=True).size
        jaccard = shared / (mine.size + theirs.size - shared)
        return Candidate(
            doc_id,
            entry.article_id,
            False,
            round(jaccard, 4),
            round(shared / mine.size, 4),
            round(shared / theirs.size, 4),
            entry.key_length,
            estimated,
        )

    # -- writing --
    def add(self, doc_id: DocId, doc: DedupDoc, article_id: Optional[DocId] = None) -> None:
        """Index `doc` under `doc_id` (belonging to `article_id`, by default `doc_id`)."""
        if doc_id in self._entries:
            raise ValueError(f"dedup index already holds {doc_id!r}; remove it first")
        self._insert(doc_id, self._entry_for(doc, doc_id if article_id is None else article_id))

    def _entry_for(self, doc: DedupDoc, article_id: Optional[DocId]) -> _Entry:
        entry = _Entry(article_id, doc.content_hash, doc.key_length)
        signature = doc.signature
        if signature is not None:
            self.params.scheme.check_compatible(signature.scheme)
            bits = _sample_bits(signature.shingle_count, self.params.sample_target)
            entry.shingle_count = signature.shingle_count
            entry.sample_bits = bits
            entry.sample = _subsample(signature.shingle_hashes, bits).copy()
            entry.hashvalues = signature.hashvalues.copy()
        return entry

    def _insert(self, doc_id: DocId, entry: _Entry) -> None:
        self._entries[doc_id] = entry
        self._exact.setdefault(entry.content_hash, doc_id)
        if entry.hashvalues is not None:
            lean = LeanMinHash(
                seed=self.params.scheme.seed, hashvalues=entry.hashvalues, scheme="affine32"
            )
            self._lsh.insert(doc_id, lean, check_duplication=False)

    def remove(self, doc_id: DocId) -> None:
        entry = self._entries.pop(doc_id)
        if self._exact.get(entry.content_hash) == doc_id:
            del self._exact[entry.content_hash]
            for other_id, other in self._entries.items():  # another copy with the same text
                if other.content_hash == entry.content_hash:
                    self._exact[entry.content_hash] = other_id
                    break
        if entry.hashvalues is not None:
            self._lsh.remove(doc_id)

    def reassign(self, old_article_id: DocId, new_article_id: DocId) -> None:
        """Point entries of one article at another (when the caller merges two articles)."""
        for entry in self._entries.values():
            if entry.article_id == old_article_id:
                entry.article_id = new_article_id

    # -- persistence --
    def _scheme_tag(self) -> int:
        return zlib.crc32(json.dumps(self.params.index_shape()).encode())

    def encode_entry(self, doc: DedupDoc) -> bytes:
        """One entry as bytes for a database column (rebuild with `from_rows`)."""
        return self._encode_stored(self._entry_for(doc, None))

    def _decode_entry(self, blob: bytes, article_id: DocId) -> _Entry:
        magic, tag, content, key_length = struct.unpack_from("<4sI20sI", blob, 0)
        if magic != _ENTRY_MAGIC:
            raise IncompatibleSignatureError("not a dedup index entry (bad magic)")
        if tag != self._scheme_tag():
            raise IncompatibleSignatureError(
                f"dedup entry made with other parameters (tag {tag:#x}, expected "
                f"{self._scheme_tag():#x} for {self.params.index_shape()}): rebuild the index "
                "from the article bodies (policy-ingest reprocess) instead of loading it"
            )
        offset = struct.calcsize("<4sI20sI")
        count, bits, sample_size = struct.unpack_from("<IBI", blob, offset)
        offset += struct.calcsize("<IBI")
        entry = _Entry(article_id, content.hex(), key_length, count, bits)
        if count:
            perms = self.params.scheme.num_perm
            entry.hashvalues = np.frombuffer(blob, "<u4", perms, offset).astype(U32)
            offset += 4 * perms
            entry.sample = np.frombuffer(blob, "<u4", sample_size, offset).astype(U32)
        return entry

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[DocId, DocId, bytes]], params: DedupParams = DedupParams()
    ) -> DedupIndex:
        """Rebuild from `(doc_id, article_id, encode_entry(...))` rows, checking parameters."""
        index = cls(params)
        for doc_id, article_id, blob in rows:
            index._insert(doc_id, index._decode_entry(blob, article_id))
        return index

    def iter_rows(self) -> Iterator[tuple[DocId, DocId, bytes]]:
        for doc_id, entry in self._entries.items():
            yield doc_id, entry.article_id, self._encode_stored(entry)

    def _encode_stored(self, entry: _Entry) -> bytes:
        head = struct.pack(
            "<4sI20sI", _ENTRY_MAGIC, self._scheme_tag(), bytes.fromhex(entry.content_hash),
            entry.key_length,
        )
        if entry.hashvalues is None:
            return head + struct.pack("<IBI", 0, 0, 0)
        return (
            head
            + struct.pack("<IBI", entry.shingle_count, entry.sample_bits, entry.sample.size)
            + entry.hashvalues.astype("<u4").tobytes()
            + entry.sample.astype("<u4").tobytes()
        )

    def to_bytes(self) -> bytes:
        """The whole index (params + entries; ids must be JSON values: str or int)."""
        out = io.BytesIO()
        header = json.dumps({"format": 1, "params": self.params.to_dict()}).encode()
        out.write(b"PIDX" + struct.pack("<I", len(header)) + header)
        for doc_id, article_id, blob in self.iter_rows():
            ids = json.dumps([doc_id, article_id]).encode()
            out.write(struct.pack("<II", len(ids), len(blob)) + ids + blob)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, params: Optional[DedupParams] = None) -> DedupIndex:
        """Load `to_bytes()` output; with `params`, refuse an index built with other ones."""
        if data[:4] != b"PIDX":
            raise IncompatibleSignatureError("not a serialised DedupIndex")
        (header_len,) = struct.unpack_from("<I", data, 4)
        header = json.loads(data[8 : 8 + header_len])
        stored = DedupParams.from_dict(header["params"])
        if params is not None and params.index_shape() != stored.index_shape():
            raise IncompatibleSignatureError(
                f"serialised dedup index uses {stored.index_shape()}, this process "
                f"{params.index_shape()}: rebuild it from the article bodies"
            )
        use = params or stored
        offset = 8 + header_len

        def rows() -> Iterator[tuple[DocId, DocId, bytes]]:
            nonlocal offset
            while offset < len(data):
                ids_len, blob_len = struct.unpack_from("<II", data, offset)
                offset += 8
                doc_id, article_id = json.loads(data[offset : offset + ids_len])
                offset += ids_len
                yield doc_id, article_id, data[offset : offset + blob_len]
                offset += blob_len

        return cls.from_rows(rows(), use)


def relation_to(
    candidate: Candidate, doc: DedupDoc, params: DedupParams
) -> Optional[tuple[Relation, float, int]]:
    """How `doc` relates to one verified candidate: (relation, similarity, rank) or None.

    Rank orders relations by strength (exact first) when several candidates match.
    """
    relation: Relation
    if candidate.exact:
        relation, similarity, rank = "exact", 1.0, 0
    elif candidate.jaccard >= params.near_duplicate:
        relation, similarity, rank = "near_duplicate", candidate.jaccard, 1
    elif candidate.contained_in >= params.containment and doc.key_length <= candidate.key_length:
        relation, similarity, rank = "contained", candidate.contained_in, 2
    elif candidate.contains >= params.containment and candidate.key_length <= doc.key_length:
        relation, similarity, rank = "contains", candidate.contains, 3
    else:
        return None
    if relation in ("exact", "near_duplicate") and (
        doc.original_script != "simplified" or doc.is_mirror_hint
    ):
        relation = "mirror"
    return relation, similarity, rank


def decide(
    doc: DedupDoc, index: DedupIndex, candidates: Optional[Sequence[Candidate]] = None
) -> DedupDecision:
    """How `doc` relates to what the index holds (a pure query: the index is not changed).

    `candidates` may pass a result of `index.query(doc)` the caller already has.
    """
    best: Optional[tuple[int, float, Candidate, Relation]] = None
    for candidate in index.query(doc) if candidates is None else candidates:
        judged = relation_to(candidate, doc, index.params)
        if judged is None:
            continue
        relation, similarity, rank = judged
        if best is None or (rank, -similarity) < (best[0], -best[1]):
            best = (rank, similarity, candidate, relation)
    if best is None:
        return DedupDecision("new", None, 0.0)
    _, similarity, candidate, relation = best
    return DedupDecision(relation, candidate.article_id, similarity, candidate.doc_id)


# --- canonical copy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """One copy of an article, as far as choosing the canonical one goes."""

    url: str
    site: str
    original_script: Script = "simplified"
    published_at: Optional[date] = None  # a date or a datetime
    first_seen_at: Optional[datetime] = None
    body_len: int = 0
    spam_cut_count: int = 0
    is_mirror_host: bool = False


def _naive(moment: Optional[date]) -> datetime:
    """A comparable naive UTC datetime; unknown dates sort last."""
    if moment is None:
        return datetime.max
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def choose_canonical(copies: Sequence[Copy]) -> Copy:
    """The best copy of one article. In order:

    1. the original source before a mirror: not Traditional, no spam cut, host not a mirror;
    2. Simplified before Traditional/mixed;
    3. the earlier publication date (unknown dates last);
    4. the complete copy over a contained one (the longer body; lengths within 2 % of the
       longest count as complete, so an editor's note does not outweigh the other criteria);
    5. the earlier first-seen (crawl order is an accident, so it comes after completeness:
       page 1 of an article seen first must not stay canonical once the whole is known);
    6. fewer spam cuts;
    7. the URL, so the choice is deterministic.
    """
    if not copies:
        raise ValueError("choose_canonical needs at least one copy")
    longest = max(c.body_len for c in copies)

    def rank(copy: Copy) -> tuple[object, ...]:
        mirror_like = copy.is_mirror_host or copy.original_script == "traditional" or copy.spam_cut_count > 0
        missing = 0 if copy.body_len >= 0.98 * longest else longest - copy.body_len
        return (
            mirror_like,
            copy.original_script != "simplified",
            _naive(copy.published_at),
            missing,
            _naive(copy.first_seen_at),
            copy.spam_cut_count,
            copy.url,
        )

    return min(copies, key=rank)
