"""Near-duplicate detection: relations on realistic variants, canonical choice, persistence."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.canonical import Copy, choose_canonical
from pipelines.dedup import DedupIndex, DedupParams, decide
from pipelines.minhash import IncompatibleSignatureError, MinHasher, SignatureScheme, shingles
from pipelines.normalize import normalize_record
from tests.pipelines.policy_texts import (
    ANTI_GAMBLING_NEWS,
    CULTURE_POLICY,
    DIGITAL_POLICY,
    INTERPRETATION,
    LOTTERY_POLICY,
    SEED_ARTICLE,
    SEED_LINES,
    s2t,
)


def body(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def normalized(paragraphs: list[str]) -> tuple[str, str]:
    record = normalize_record("", paragraphs)
    return record.body_text, record.original_script


def true_similarity(a: str, b: str, *, keyed: bool = True) -> tuple[float, float]:
    """(Jaccard, containment of a in b) of the 5-gram sets (of the comparison keys if keyed)."""
    sa, sb = set(shingles(a, keyed=keyed)), set(shingles(b, keyed=keyed))
    return len(sa & sb) / len(sa | sb), len(sa & sb) / len(sa)


@pytest.fixture(scope="module")
def index() -> DedupIndex:
    built = DedupIndex()
    for name, paragraphs in [
        ("seed", SEED_ARTICLE),
        ("lottery", LOTTERY_POLICY),
        ("digital", DIGITAL_POLICY),
        ("anti_gambling", ANTI_GAMBLING_NEWS),
    ]:
        built.add(f"copy-{name}", built.document(body(paragraphs)), article_id=name)
    return built


N = len(SEED_ARTICLE)
_shuffled = SEED_ARTICLE[1:]
random.Random(7).shuffle(_shuffled)

VARIANTS: dict[str, list[str]] = {
    "repost_with_note": [
        "来源：中国工业报  2025-10-23 09:12",
        "编者按：本文分析了专精特新中小企业推进颠覆式创新面临的困境，提出了突破路径，供读者参考。",
        *SEED_ARTICLE,
        "（责任编辑：李明）",
        "本文转载自高新院，版权归原作者所有。",
    ],
    "correction": [p.replace("14.1万", "14.6万").replace("1557", "1575") for p in SEED_ARTICLE],
    "shuffled_one_dropped": _shuffled,
    "truncated_half": SEED_ARTICLE[: N // 2],
    "page_1_of_3": SEED_ARTICLE[: N // 3],
}


@pytest.mark.parametrize(
    ("variant", "relation"),
    [
        ("repost_with_note", "near_duplicate"),
        ("correction", "near_duplicate"),
        ("shuffled_one_dropped", "near_duplicate"),
        ("truncated_half", "contained"),
        ("page_1_of_3", "contained"),
    ],
)
def test_variants_of_the_seed(index: DedupIndex, variant: str, relation: str) -> None:
    decision = decide(index.document(body(VARIANTS[variant])), index)
    assert (decision.relation, decision.article_id) == (relation, "seed")
    assert decision.similarity >= 0.8


def test_traditional_mirror_is_a_mirror(index: DedupIndex) -> None:
    text, script = normalized([s2t(p) for p in SEED_ARTICLE])
    assert script == "traditional"
    decision = decide(index.document(text, original_script=script), index)
    assert (decision.relation, decision.article_id) == ("mirror", "seed")


def test_seed_mirror_itself_after_cleaning(index: DedupIndex) -> None:
    """The real hijacked page: Traditional, its first body copy only (spam cuts upstream)."""
    text, script = normalized(SEED_LINES[10:99])
    decision = decide(index.document(text, original_script=script), index)
    assert (decision.relation, decision.article_id, decision.similarity) == ("mirror", "seed", 1.0)


def test_mirror_host_hint(index: DedupIndex) -> None:
    doc = index.document(body(VARIANTS["repost_with_note"]), is_mirror_hint=True)
    assert decide(doc, index).relation == "mirror"


def test_exact_copy(index: DedupIndex) -> None:
    decision = decide(index.document(body(LOTTERY_POLICY)), index)
    assert (decision.relation, decision.article_id, decision.similarity) == ("exact", "lottery", 1.0)


def test_interpretation_quoting_part_of_a_policy_is_new(index: DedupIndex) -> None:
    jaccard, containment = true_similarity(body(INTERPRETATION), body(LOTTERY_POLICY))
    assert 0.4 <= containment <= 0.6  # the case this test is about
    assert decide(index.document(body(INTERPRETATION)), index).relation == "new"


def test_unrelated_is_new(index: DedupIndex) -> None:
    assert decide(index.document(body(CULTURE_POLICY)), index).relation == "new"


def test_full_article_after_its_first_page_contains_it() -> None:
    index = DedupIndex()
    index.add("page1", index.document(body(SEED_ARTICLE[: N // 3])), article_id=7)
    decision = decide(index.document(body(SEED_ARTICLE)), index)
    assert (decision.relation, decision.article_id) == ("contains", 7)
    assert decision.similarity >= 0.9


def test_short_texts_use_the_exact_hash_only() -> None:
    index = DedupIndex()
    short = "本办法自2025年1月1日起施行，有效期至2029年12月31日。"
    index.add("notice", index.document(short))
    assert decide(index.document(short), index).relation == "exact"
    assert decide(index.document(short.replace("2029", "2030")), index).relation == "new"
    assert index.document(short).signature is None


def test_decide_does_not_change_the_index(index: DedupIndex) -> None:
    before = len(index)
    decide(index.document(body(CULTURE_POLICY)), index)
    assert len(index) == before


def test_measured_variants(capsys: pytest.CaptureFixture[str]) -> None:
    """The table in pipelines/dedup.py's docstring, measured on the seed article."""
    original = body(SEED_ARTICLE)
    rows = {name: true_similarity(body(v), original) for name, v in VARIANTS.items()}
    trad_raw = body([s2t(p) for p in SEED_ARTICLE])
    rows["traditional_not_normalised"] = true_similarity(trad_raw, original, keyed=False)
    rows["traditional_after_t2s"] = true_similarity(normalized([s2t(p) for p in SEED_ARTICLE])[0], original)
    rows["interpretation_40pct"] = true_similarity(body(INTERPRETATION), body(LOTTERY_POLICY))
    rows["unrelated_same_site"] = true_similarity(body(SEED_ARTICLE[:20]), body(SEED_ARTICLE[20:]))
    with capsys.disabled():
        print()
        for name, (jaccard, containment) in rows.items():
            print(f"  {name:28s} J={jaccard:.3f} containment={containment:.3f}")
    assert rows["traditional_after_t2s"][0] >= 0.99
    assert rows["traditional_not_normalised"][0] < 0.3
    assert rows["page_1_of_3"][0] < 0.45 and rows["page_1_of_3"][1] > 0.99
    assert rows["unrelated_same_site"][0] < 0.02


# --- properties ---------------------------------------------------------------------------

CORPUS = SEED_ARTICLE + LOTTERY_POLICY + DIGITAL_POLICY + CULTURE_POLICY + ANTI_GAMBLING_NEWS


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CORPUS), min_size=3, max_size=8, unique=True))
def test_traditional_conversion_is_a_near_duplicate(paragraphs: list[str]) -> None:
    index = DedupIndex()
    original, _ = normalized(paragraphs)
    index.add("original", index.document(original))
    converted, script = normalized([s2t(p) for p in paragraphs])
    decision = decide(index.document(converted, original_script=script), index)
    assert decision.article_id == "original"
    assert decision.relation in ("mirror", "exact", "near_duplicate")


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(st.sampled_from(CORPUS), min_size=4, max_size=12, unique=True),
    st.integers(min_value=0, max_value=1000),
)
def test_estimated_jaccard_tracks_true_jaccard(paragraphs: list[str], cut: int) -> None:
    hasher = MinHasher()
    split = 1 + cut % (len(paragraphs) - 1)
    a = body(paragraphs)
    b = body(paragraphs[split:] + CORPUS[cut % len(CORPUS) : cut % len(CORPUS) + 3])
    jaccard, _ = true_similarity(a, b)
    estimate = hasher.signature(a).jaccard(hasher.signature(b))
    assert abs(estimate - jaccard) <= 0.15


# --- canonical ----------------------------------------------------------------------------

T0 = datetime(2025, 10, 22, 8, 0, tzinfo=timezone.utc)


def test_original_before_traditional_mirror() -> None:
    original = Copy("https://www.achie.org/a/123.html", "achie", published_at=date(2025, 10, 22),
                    first_seen_at=T0.replace(day=25), body_len=5900)
    mirror = Copy("https://mirror.example/a/123.html", "mirror", original_script="traditional",
                  published_at=date(2025, 10, 22), first_seen_at=T0, body_len=5941)
    assert choose_canonical([mirror, original]) is original


def test_mirror_host_and_spam_cuts_lose() -> None:
    clean = Copy("https://b.example/1", "b", body_len=5000, first_seen_at=T0.replace(day=30))
    hijacked = Copy("https://a.example/1", "a", body_len=5000, spam_cut_count=3, first_seen_at=T0)
    flagged = Copy("https://c.example/1", "c", body_len=5000, is_mirror_host=True, first_seen_at=T0)
    assert choose_canonical([hijacked, flagged, clean]) is clean


def test_earlier_publication_wins() -> None:
    early = Copy("https://z.example/1", "z", published_at=datetime(2025, 10, 22, 9, 0), body_len=5000)
    late = Copy("https://a.example/1", "a", published_at=date(2025, 10, 23), body_len=5050)
    assert choose_canonical([late, early]) is early


def test_complete_before_first_page_seen_earlier() -> None:
    page1 = Copy("https://s.example/a/1.html", "s", body_len=2000, first_seen_at=T0)
    whole = Copy("https://s.example/a/1_all.html", "s", body_len=6000, first_seen_at=T0.replace(day=23))
    assert choose_canonical([page1, whole]) is whole


def test_tie_break_by_url_is_deterministic() -> None:
    a = Copy("https://a.example/1", "a", body_len=100)
    b = Copy("https://b.example/1", "b", body_len=100)
    assert choose_canonical([b, a]) is a and choose_canonical([a, b]) is a


# --- persistence --------------------------------------------------------------------------


def test_round_trip_through_the_stored_rows(index: DedupIndex) -> None:
    restored = DedupIndex.from_rows(index.iter_rows(), DedupParams())
    assert len(restored) == len(index)
    for variant in ("truncated_half", "repost_with_note"):
        doc = index.document(body(VARIANTS[variant]))
        assert decide(doc, restored) == decide(doc, index)


def test_rows_round_trip_and_incompatible_params() -> None:
    index = DedupIndex()
    docs = {"seed": index.document(body(SEED_ARTICLE)), "short": index.document("特此通知。")}
    rows = [(name, name, index.encode_entry(doc)) for name, doc in docs.items()]
    rebuilt = DedupIndex.from_rows(rows)
    assert decide(index.document(body(SEED_ARTICLE[:40])), rebuilt).article_id == "seed"
    assert decide(index.document("特此通知。"), rebuilt).relation == "exact"
    other = DedupParams(scheme=SignatureScheme(shingle_size=4))
    with pytest.raises(IncompatibleSignatureError, match="rebuild"):
        DedupIndex.from_rows(rows, other)


def test_signature_from_another_scheme_is_refused(index: DedupIndex) -> None:
    foreign = DedupIndex(DedupParams(scheme=SignatureScheme(hash_name="sha1_32")))
    with pytest.raises(IncompatibleSignatureError):
        index.query(foreign.document(body(SEED_ARTICLE)))


def test_remove_and_readd() -> None:
    index = DedupIndex()
    doc = index.document(body(DIGITAL_POLICY))
    index.add("d", doc)
    index.remove("d")
    assert decide(doc, index).relation == "new"
    index.add("d", doc)
    assert decide(doc, index).relation == "exact"


def test_memory_per_document_is_bounded() -> None:
    """Verification samples stay ≈ 256–512 hashes whatever the length."""
    index = DedupIndex()
    doc = index.document(body(SEED_ARTICLE * 3))
    index.add("long", doc)
    entry = index._entry_at(index._row_of["long"])
    assert 256 <= entry.sample.size <= 600
    assert entry.sample.dtype == np.uint32
