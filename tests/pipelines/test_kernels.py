"""The compiled kernels (pipelines/_kernels.c) give exactly the arrays of the numpy code they
replace, they are built wherever a C compiler is, and bad arguments raise instead of reading
out of bounds."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import sysconfig

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import kernels, minhash, spam
from pipelines.dedup import DedupIndex, _count_code, _screen_limits, _screen_row, _subsample
from pipelines.minhash import DEFAULT_SCHEME, MinHasher, SignatureScheme, _murmur_windows_numpy
from tests.pipelines.policy_texts import DIGITAL_POLICY, LOTTERY_POLICY, SEED_ARTICLE
from tests.pipelines.test_dedup_scale import Corpus

needs_kernels = pytest.mark.skipif(not kernels.COMPILED, reason="compiled kernels not built here")


def test_the_kernels_are_built_where_a_c_compiler_is() -> None:
    # The install builds them when it can and carries on without them otherwise; a machine
    # with a compiler and the Python headers (CI) must have them, or every speed figure of
    # docs/performance.md is off by the kernels' share.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = sysconfig.get_paths()["include"]
    if shutil.which(compiler) is None or not os.path.exists(os.path.join(headers, "Python.h")):
        pytest.skip(f"no C compiler ({compiler}) or Python headers here")
    assert kernels.COMPILED, "pipelines._kernels was not built: run `pip install -e .` again"
    assert kernels.enabled()


def test_disabled_switches_to_numpy_and_back() -> None:
    before = kernels.enabled()
    with kernels.disabled():
        assert not kernels.enabled()
    assert kernels.enabled() == before


code_points = st.lists(
    st.one_of(st.integers(0x20, 0x7E), st.integers(0x4E00, 0x9FFF), st.integers(0, 0x10FFFF)),
    min_size=1, max_size=300,
)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(points=code_points, width=st.integers(1, 9))
def test_murmur_windows_equal_numpy(points: list[int], width: int) -> None:
    codepoints = np.array(points, dtype=np.uint32)
    width = min(width, codepoints.size)
    assert np.array_equal(kernels.murmur_windows(codepoints, width), _murmur_windows_numpy(codepoints, width))


@needs_kernels
@pytest.mark.parametrize("scheme", [DEFAULT_SCHEME, SignatureScheme(shingle_size=3, num_perm=16)])
@pytest.mark.parametrize("size", [1, 2, 7, 2047, 2048, 2049, 8192, 8193, 20_000])
def test_minhash_values_equal_numpy(scheme: SignatureScheme, size: int) -> None:
    hasher = MinHasher(scheme)
    hashes = np.unique(np.random.default_rng(size).integers(0, 2**32, size, dtype=np.uint32))
    compiled = hasher.hashvalues(hashes)
    with kernels.disabled():
        reference = hasher.hashvalues(hashes)
    assert compiled.dtype == np.uint32 and np.array_equal(compiled, reference)


@needs_kernels
@pytest.mark.parametrize("text", ["\n".join(SEED_ARTICLE), "\n".join(DIGITAL_POLICY), "\n".join(LOTTERY_POLICY), "短"])
def test_body_signatures_equal_numpy(text: str) -> None:
    hasher = MinHasher()
    compiled = hasher.signature(text)
    with kernels.disabled():
        reference = hasher.signature(text)
    assert np.array_equal(compiled.hashvalues, reference.hashvalues)
    assert np.array_equal(compiled.shingle_hashes, reference.shingle_hashes)


skeleton = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.sampled_from("，。、：；（）")),
    min_size=8, max_size=120,
)


@needs_kernels
@settings(max_examples=100, deadline=None)
@given(skeletons=st.lists(skeleton, min_size=1, max_size=40))
def test_paragraph_signatures_equal_numpy(skeletons: list[str]) -> None:
    assert spam._near_signatures(skeletons) == spam._near_signatures_numpy(skeletons)


@needs_kernels
def test_paragraph_signatures_across_numpy_batches() -> None:
    # The numpy version works in batches of 65,536 windows: a page this long spans several.
    rng = np.random.default_rng(3)
    skeletons = ["".join(map(chr, rng.integers(0x4E00, 0x9FFF, int(n)))) for n in rng.integers(8, 3000, 120)]
    assert sum(map(len, skeletons)) > 2 * spam._BATCH_WINDOWS
    assert spam._near_signatures(skeletons) == spam._near_signatures_numpy(skeletons)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 2**32 - 1), max_size=500), bits=st.integers(0, 31))
def test_subsamples_equal_numpy(values: list[int], bits: int) -> None:
    hashes = np.array(values, dtype=np.uint32)
    compiled = _subsample(hashes, bits)
    with kernels.disabled():
        reference = _subsample(hashes, bits)
    assert compiled.dtype == np.uint32 and np.array_equal(compiled, reference)


@needs_kernels
@pytest.mark.parametrize("perms", [16, 64, 100, 128, 256])
def test_screen_rows_equal_numpy(perms: int) -> None:
    rng = np.random.default_rng(perms)
    for _ in range(100):
        hashvalues = rng.integers(0, 2**32, perms, dtype=np.uint32)
        code = int(rng.integers(0, 256))
        compiled = _screen_row(hashvalues, code)
        with kernels.disabled():
            reference = _screen_row(hashvalues, code)
        assert compiled.dtype == reference.dtype and np.array_equal(compiled, reference)


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.one_of(st.characters(), st.characters(min_codepoint=0x4DF0, max_codepoint=0x4E10),
                                       st.characters(min_codepoint=0x9FF0, max_codepoint=0xA010))))
def test_han_counts_equal_the_regex(text: str) -> None:
    assert spam._han_count(text) == spam._han_count_regex(text)


def _filled_index(seed: int, count: int) -> tuple[DedupIndex, Corpus]:
    corpus = Corpus(seed)
    index = DedupIndex()
    for i in range(count):
        index.add(i, corpus.doc())
    return index, corpus


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.text(alphabet=st.one_of(st.sampled_from("政策文件发布通知ab1"), st.characters(blacklist_categories=("Cs",))),
                             min_size=3, max_size=80), min_size=2, max_size=30),
       repeat=st.booleans())
def test_trigram_screens_equal_numpy(keys: list[str], repeat: bool) -> None:
    if repeat:  # a body printed twice: every key has its twin
        keys = keys + [k[:-1] + "改" for k in keys]
    multiplier = int(spam._BUCKET_MULTIPLIER)
    assert kernels.trigram_screen(keys, multiplier) == spam._trigram_screen_numpy(keys)


def _counter_lookup(
    rng: np.random.Generator, min_bands: int, largest: int = 2000, needed: int = 3
) -> tuple[object, ...]:
    """Arguments of the counter's lookup: runs of exact fingerprints and of band values (values
    held by many docs, an empty run), docs beside them (some dead), a page of 60 paragraphs,
    some with a skeleton, most of those with band keys too; exact values, skeletons and band
    keys drawn from the runs' values (and some values above them all). Runs of up to `largest`
    postings."""
    def runs_of(count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        values, docs = [], []
        for r in range(count):
            size = int(rng.integers(1, largest + 1)) if r else 0
            pairs = np.unique(np.stack([rng.integers(0, 300, size), rng.integers(0, 500, size)], 1), axis=0)
            values.append(pairs[:, 0].astype(np.uint64) * np.uint64(2**50) + np.uint64(7))
            docs.append(pairs[:, 1].astype(np.uint32))  # a doc at most once under a value
        return values, docs

    exact_runs, exact_docs = runs_of(4)
    band_runs, band_docs = runs_of(5)
    live = rng.random(500) < 0.8
    pool = np.uint64(2**50) * rng.integers(0, 330, 2000).astype(np.uint64) + np.uint64(7)
    exact = rng.choice(pool, 60)
    row_of = np.full(60, -1, dtype=np.int64)
    near = np.sort(rng.choice(60, 35, replace=False))
    row_of[near] = np.arange(near.size)
    bands = rng.choice(pool, (near.size, spam._NEAR_BANDS + 1))
    banded = rng.random(near.size) < 0.7  # the band keys of the other rows must not count
    return exact_runs, exact_docs, band_runs, band_docs, live, exact, row_of, bands, banded, needed, min_bands


@needs_kernels
@pytest.mark.parametrize("seed,min_bands", [(1, 1), (2, 2), (3, 3), (4, 2)])
def test_counter_lookup_equals_numpy(seed: int, min_bands: int) -> None:
    args = _counter_lookup(np.random.default_rng(seed), min_bands)
    got = kernels.counter_candidates(*args)
    with kernels.disabled():
        want = spam.ParagraphFrequency._candidates_numpy(*args)
    assert [k for k, _ in got] == [k for k, _ in want]
    for (_, mine), (_, theirs) in zip(got, want):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    assert len(got) > 10 and sum(d.size for _, d in got) > 100  # paragraphs found, docs gathered
    # The band keys of a row without bands are not read: other values there change nothing.
    bands, banded = args[7].copy(), args[8]
    bands[~banded, 1:] = bands[banded, 1:][: 1][0] if banded.any() else 0
    other = (*args[:7], bands, *args[8:])
    assert [(k, d.tolist()) for k, d in kernels.counter_candidates(*other)] == [(k, d.tolist()) for k, d in got]
    with kernels.disabled():
        assert [(k, d.tolist()) for k, d in spam.ParagraphFrequency._candidates_numpy(*other)] == [
            (k, d.tolist()) for k, d in want]
    # No run, no banded paragraph: nothing, or exact postings only.
    empty = ([], [], [], [], *args[4:])
    assert kernels.counter_candidates(*empty) == [] == spam.ParagraphFrequency._candidates_numpy(*empty)


@needs_kernels
@pytest.mark.parametrize("size", [0, 1, 2, 3, 255, 256, 257, 3000, 20_000])
def test_sorted_distinct_equals_numpy(size: int) -> None:
    # The radix sort of shingle hashes: random values, many repeats, values that differ in one
    # byte only (the other passes skipped), all equal (every pass skipped), the extremes.
    rng = np.random.default_rng(size)
    cases = [
        rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32),
        rng.integers(0, max(1, size // 4), size).astype(np.uint32) * np.uint32(65_537),
        (rng.integers(0, 256, size).astype(np.uint32) << np.uint32(16)) | np.uint32(0x7F00_00FF),
        np.full(size, 0xFFFF_FFFF, dtype=np.uint32),
        np.resize(np.array([0, 0xFFFF_FFFF, 1, 0x8000_0000], dtype=np.uint32), size),
    ]
    for values in cases:
        before = values.copy()
        got = kernels.sorted_distinct_u32(values)
        with kernels.disabled():
            want = minhash._sorted_distinct_numpy(values)
        assert got.dtype == np.uint32 and np.array_equal(got, want)
        assert np.array_equal(values, before)  # the input is left as it was
    with pytest.raises(ValueError):  # too small an output
        kernels._kernels.sorted_distinct_u32(np.zeros(4, np.uint32), np.empty(2, np.uint32),
                                             np.empty(4, np.uint32))


@needs_kernels
@pytest.mark.parametrize("seed", range(8))
def test_postings_merge_equals_numpy(seed: int) -> None:
    # Runs as the counter holds them: sorted values, many shared by both runs (a's postings go
    # first among equal values), some docs dead; empty and one-posting runs too.
    rng = np.random.default_rng(seed)
    live = rng.random(300) < (0.7 if seed % 2 else 1.0)
    for size_a, size_b in [(0, 0), (0, 5), (7, 0), (1, 1), (40, 10), (1000, 250), (3, 2000)]:
        runs = []
        for size in (size_a, size_b):
            values = np.sort(rng.integers(0, 60, size).astype(np.uint64) * np.uint64(2**40))
            runs += [values, rng.integers(0, 300, size).astype(np.uint32)]
        got = kernels.merge_postings(*runs, live)
        with kernels.disabled():
            want = spam._merge_runs_numpy(*runs, live)
        assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    with pytest.raises(IndexError):  # a doc beyond `live`
        kernels.merge_postings(np.zeros(1, np.uint64), np.array([300], np.uint32),
                               np.zeros(0, np.uint64), np.zeros(0, np.uint32), live)
    with pytest.raises(ValueError):  # docs and values of different lengths
        kernels.merge_postings(np.zeros(2, np.uint64), np.zeros(1, np.uint32),
                               np.zeros(0, np.uint64), np.zeros(0, np.uint32), live)
    with pytest.raises(ValueError):
        kernels.merge_postings(np.zeros(1, np.uint64), np.zeros(1, np.uint32),
                               np.zeros(0, np.uint64), np.zeros(0, np.uint32), live.astype(np.uint8))


@needs_kernels
@pytest.mark.parametrize("largest", [1, 2, 3, 5, 8])
def test_counter_lookup_in_tiny_runs_equals_numpy(largest: int) -> None:
    # The search in a run (branch-free) at the sizes where an off-by-one shows: runs of 1 to
    # `largest` postings, values below, between, on and above theirs.
    for seed in range(20):
        args = _counter_lookup(np.random.default_rng(seed), 1, largest=largest, needed=1)
        got = kernels.counter_candidates(*args)
        with kernels.disabled():
            want = spam.ParagraphFrequency._candidates_numpy(*args)
        assert [k for k, _ in got] == [k for k, _ in want]
        for (_, mine), (_, theirs) in zip(got, want):
            assert np.array_equal(mine, theirs)


@needs_kernels
@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet=st.one_of(st.sampled_from(",:;()!? \u3000\t\n\u00a0\u2028政（）“”‘’ーa1"),
                                       st.characters()), max_size=24))
def test_punctuation_rule_equals_the_regex(text: str) -> None:
    # The general pattern (any whitespace: \u3000 is whitespace and CJK, which the regex's
    # backtracking finds), not only the single-space text normalize_text hands it.
    from pipelines.normalize import _ASCII_PUNCT_NEAR_CJK, _punct_to_fullwidth, normalize_text

    assert kernels.punct_to_fullwidth(text) == _ASCII_PUNCT_NEAR_CJK.sub(_punct_to_fullwidth, text)
    with kernels.disabled():
        expected = normalize_text(text)
    assert normalize_text(text) == expected


def _char_classes() -> list[kernels.CharClass]:
    from pipelines import clean, normalize

    tables = normalize._get_tables()
    return [normalize._NOT_PLAIN_CHARS, tables.t2s_maybe_chars, tables.traditional_only_chars,
            tables.simplified_only_chars, clean._UNSTORABLE_CHARS, clean._BIDI_CHARS]


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.one_of(st.characters(), st.sampled_from("發展国國\x00\u200e\ufffe\ud800 ，a")),
                    max_size=40))
def test_char_classes_search_and_count_as_their_patterns(text: str) -> None:
    for chars in _char_classes():
        assert chars.occurs_in(text) == (chars.pattern.search(text) is not None)
        assert chars.count(text) == len(chars.pattern.findall(text))
        assert chars.bmp_count(text) in (None, len(chars.pattern.findall(text)))
        with kernels.disabled():
            assert chars.occurs_in(text) == (chars.pattern.search(text) is not None)
            assert chars.count(text) == len(chars.pattern.findall(text)) and chars.bmp_count(text) is None


@needs_kernels
def test_char_class_bitmaps_hold_exactly_the_bmp_characters_their_patterns_match() -> None:
    bmp = "".join(map(chr, range(1 << 16)))
    for chars in _char_classes():
        members = np.unpackbits(np.frombuffer(chars.bitmap, dtype=np.uint8), bitorder="little")
        assert np.flatnonzero(members).tolist() == [m.start() for m in chars.pattern.finditer(bmp)]
        assert chars.count(bmp) == int(members.sum())  # every BMP character, in one pass
    assert kernels.CharClass(re.compile("[a-c]")).bmp_count("b\U00020000") is None  # beyond the BMP
    with pytest.raises(ValueError):
        kernels.CharClass(re.compile("ab")).bitmap  # not one character at a time


@needs_kernels
def test_key_chars_keep_what_the_re_module_calls_word_characters_but_the_underscore() -> None:
    from pipelines.normalize import _KEY_RUN

    for start in range(0, sys.maxunicode + 1, 4096):  # every code point, surrogates included
        text = "".join(map(chr, range(start, min(start + 4096, sys.maxunicode + 1))))
        assert kernels.key_chars(text) == "".join(_KEY_RUN.findall(text)), hex(start)


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.one_of(st.characters(), st.sampled_from("_ ，。a1Σ國")), max_size=60))
def test_key_chars_equal_the_regex(text: str) -> None:
    from pipelines.normalize import _KEY_RUN, key_of_normalized

    assert kernels.key_chars(text) == "".join(_KEY_RUN.findall(text))
    with kernels.disabled():
        expected = key_of_normalized(text)
    assert key_of_normalized(text) == expected


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=700))
def test_blake2b_equals_hashlib(data: bytes) -> None:
    # Lengths around the 128-byte block matter most: 0, 127, 128, 129, 256 are all drawn.
    assert kernels._kernels.blake2b_64(data) == int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@needs_kernels
@pytest.mark.parametrize("size", [0, 1, 127, 128, 129, 255, 256, 257, 1000])
def test_blake2b_at_block_boundaries(size: int) -> None:
    data = bytes(range(256)) * 4
    assert kernels._kernels.blake2b_64(data[:size]) == int.from_bytes(
        hashlib.blake2b(data[:size], digest_size=8).digest(), "little")


# Comparison keys: lower-case Latin and digits (dropped from the skeleton), Han, punctuation
# that keys keep out, and any other code point but surrogates.
key_text = st.text(
    alphabet=st.one_of(st.sampled_from("0123456789abcxyz"), st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),
                       st.characters(blacklist_categories=("Cs",))),
    min_size=1, max_size=200,
)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(keys=st.lists(key_text, min_size=1, max_size=30), banded=st.booleans())
def test_paragraph_entries_equal_python(keys: list[str], banded: bool) -> None:
    a, b = spam._NEAR_HASHER.permutations
    got = kernels.paragraph_entries(keys, a, b, 3, spam._MIN_SKELETON, banded)
    assert got == spam._entries_of_python(keys, banded)


@needs_kernels
def test_paragraph_entries_of_corpus_paragraphs() -> None:
    from pipelines.normalize import comparison_key

    keys = [comparison_key(p) for p in (*SEED_ARTICLE, *DIGITAL_POLICY, *LOTTERY_POLICY)]
    keys = [k for k in keys if k] + ["abc123", "短句", "12345678901234567890abcdefgh本办法自印发之日起施行"]
    a, b = spam._NEAR_HASHER.permutations
    entries = kernels.paragraph_entries(keys, a, b, 3, spam._MIN_SKELETON)
    assert entries == spam._entries_of_python(keys)
    assert {len(e) for e in entries} == {1, 10}  # both kinds of entry occur
    # Without band keys: the same fingerprints and skeletons, nothing computed after them.
    plain = kernels.paragraph_entries(keys, a, b, 3, spam._MIN_SKELETON, False)
    assert plain == spam._entries_of_python(keys, False) == [e[:2] for e in entries]


@needs_kernels
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_screen_and_prefilter_equal_numpy(seed: int) -> None:
    index, corpus = _filled_index(seed, 600)
    rows = np.random.default_rng(seed).integers(0, index._size, 2000)  # repeats, any order
    passed = 0
    for _ in range(20):
        signature = corpus.signature()
        limits = _screen_limits(128, index.params.prefilter)[_count_code(signature.shingle_count)]
        kept = kernels.screen_filter(index._screen, rows, _screen_row(signature.hashvalues), 4, limits)
        with kernels.disabled():
            assert np.array_equal(kept, rows[index._screen_passes(rows, signature)])
        positions, estimated = kernels.prefilter_rows(index._hv, index._numbers, rows, signature.hashvalues,
                                                      signature.shingle_count, index.params.prefilter)
        want_positions, want_estimated = index._prefilter_numpy(rows, signature)
        assert np.array_equal(positions, want_positions)
        assert estimated.tobytes() == want_estimated.tobytes()  # the same doubles, bit for bit
        passed += positions.size
    assert 0 < passed < 20 * rows.size  # some rows pass, not all


@needs_kernels
@pytest.mark.parametrize("count,prefilter", [(0, 0.5), (1, 0.0), (7, 0.3)])
def test_prefilter_edges_equal_numpy(count: int, prefilter: float) -> None:
    """Empty shingle sets (either side), a prefilter of 0 (every row passes), rows repeated."""
    index, corpus = _filled_index(9, 200)
    index._numbers[::3, 1] = 0  # stored rows with no shingles
    index.params = replace(index.params, prefilter=prefilter)
    rows = np.array([0, 0, 1, 2, 3, 5, 199, 3], dtype=np.int64)
    signature = replace(corpus.signature(), shingle_hashes=np.arange(count, dtype=np.uint32))
    got = kernels.prefilter_rows(index._hv, index._numbers, rows, signature.hashvalues, signature.shingle_count,
                                 prefilter)
    want = index._prefilter_numpy(rows, signature)
    assert np.array_equal(got[0], want[0]) and got[1].tobytes() == want[1].tobytes()


@needs_kernels
@pytest.mark.parametrize("count", [100, 300, 2500])  # in the buffer only; a few runs; merged runs
def test_band_table_lookups_equal_numpy(count: int) -> None:
    index, corpus = _filled_index(count, count)
    table = index._table
    assert table.runs or count < 256
    for _ in range(50):
        keys = table.keys(corpus.signature().hashvalues)
        compiled = table.matches(keys, index._screen)
        with kernels.disabled():
            reference = table.matches(keys)
        assert compiled.dtype == reference.dtype and np.array_equal(compiled, reference)


@needs_kernels
def test_queries_equal_numpy() -> None:
    index, corpus = _filled_index(9, 800)
    for _ in range(60):
        doc = corpus.doc()
        compiled = index.query(doc)
        with kernels.disabled():
            reference = index.query(doc)
        assert compiled == reference
    assert any(index.query(corpus.doc()) for _ in range(60))  # (the corpus does have candidates)


@needs_kernels
@pytest.mark.parametrize("seed", [4, 5])
def test_band_candidates_equal_numpy(seed: int) -> None:
    from pipelines.dedup import _shares_a_band
    from pipelines.minhash import sorted_distinct

    index, corpus = _filled_index(seed, 600)
    for copy_id in range(0, 600, 7):
        index.remove(copy_id)  # rows without a signature any more
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(40):
        keys = index._table.keys(corpus.signature().hashvalues)
        rows = np.concatenate([index._table.matches(keys), rng.integers(0, 600, 50)])  # repeats, misses
        expected = sorted_distinct(rows[index._has_signature[rows]])
        expected = expected[_shares_a_band(index._band_keys, expected, keys)]
        got = kernels.band_candidates(index._key_matrix(), rows, index._has_signature, keys)
        assert got.tolist() == expected.tolist()
        checked += expected.size
    assert checked > 0


# Words that share their first two characters (in both orders of length), overlap one another,
# or hold one another: where the alternation's order (the first word that matches at a
# position wins) and its leftmost, non-overlapping scan show.
_WORDS = ("赌球", "赌球场", "赌场", "赌博", "博彩", "彩票", "跨境赌", "境赌", "ab", "abc", "bca")
# Texts of words and their pieces side by side, so that occurrences touch and overlap.
_WORD_TEXT = st.lists(
    st.sampled_from([*_WORDS, *"赌球场博彩票跨境abc的 \n", "彩票场", "\U0001f600"]), max_size=14
).map("".join)


@needs_kernels
@settings(max_examples=400, deadline=None)
@given(text=_WORD_TEXT, order=st.permutations(_WORDS))
def test_literal_set_finds_what_the_alternation_finds(text: str, order: list[str]) -> None:
    words = kernels.LiteralSet(order)
    assert words.findall(text) == words.pattern.findall(text)
    assert words.occurs_in(text) == (words.pattern.search(text) is not None)


@needs_kernels
def test_literal_set_on_the_corpus_and_with_kernels_off() -> None:
    topic = spam._TOPIC_WORD_SET
    from benchmarks.corpus import build_corpus

    texts = [*SEED_ARTICLE, *DIGITAL_POLICY, *LOTTERY_POLICY]  # LOTTERY_POLICY: topic words
    texts += [p for d in build_corpus(60, seed=3, traditional_share=0.2) for p in d.paragraphs]
    texts += ["", "赌", "😀赌博😀", "ascii only text"]  # empty, one character, astral, one-byte kind
    for text in texts:
        assert topic.findall(text) == spam._ANY_TOPIC_WORD.findall(text)
    assert sum(bool(topic.findall(t)) for t in texts) > 10  # texts with topic words among them
    with kernels.disabled():
        assert all(topic.findall(t) == spam._ANY_TOPIC_WORD.findall(t) for t in texts)
    for bad in (["赌"], ["赌博", "x"], ["\U0001f600a"]):  # one character, beyond the BMP
        with pytest.raises(ValueError):
            kernels.LiteralSet(bad)
    with pytest.raises(ValueError):  # pairs out of order
        kernels._kernels.literal_table(bytes(8192), np.array([5, 3], np.uint32).tobytes(),
                                       np.array([0, 1, 2], np.int32).tobytes(), np.array([0, 0], np.int32).tobytes(),
                                       np.array([0, 2], np.int32).tobytes(), np.array([5, 3], np.uint16).tobytes())
    with pytest.raises(ValueError):  # a word index outside the words
        kernels._kernels.literal_table(bytes(8192), np.array([5], np.uint32).tobytes(),
                                       np.array([0, 1], np.int32).tobytes(), np.array([1], np.int32).tobytes(),
                                       np.array([0, 2], np.int32).tobytes(), np.array([0, 5], np.uint16).tobytes())


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(
    sorted({c for t in spam._TERM_CATEGORY for c in t + t.upper()} | set("的 .\u212a\u017f"))), max_size=30))
def test_term_prefilter_misses_no_term(text: str) -> None:
    # `_may_hold_terms` (a compiled scan of the Han terms, then a regex where letters are) is a
    # prefilter: wherever the terms' pattern matches, it must say so.
    for case in (text, text.lower()):
        if spam._TERM_PATTERN.search(case) is not None:
            assert spam._may_hold_terms(case)
        assert spam.spam_term_hits(case) == [
            spam.TermHit(m.group(0), spam._TERM_CATEGORY[m.group(0).lower()], m.start(), m.end())
            for m in spam._TERM_PATTERN.finditer(case)
        ]


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.one_of(st.sampled_from("國發數據經濟乾後這個們說話 a\ud800"), st.characters()),
                    max_size=80))
def test_translate_bmp_equals_str_translate(text: str) -> None:
    from pipelines.normalize import _get_fast

    fast = _get_fast()
    got = kernels.translate_bmp(text, fast.lut)
    if any(ord(c) > 0xFFFF for c in text):
        assert got is None  # beyond the BMP: str.translate does it
    else:
        assert got == text.translate(fast.table)
    with kernels.disabled():
        assert fast.translate(text) == text.translate(fast.table)
    with pytest.raises(ValueError):
        kernels.translate_bmp(text, fast.lut[:100])


@needs_kernels
def test_bad_arguments_raise() -> None:
    index, corpus = _filled_index(4, 10)
    query = _screen_row(corpus.signature().hashvalues)
    limits = np.zeros(256, np.uint16)
    with pytest.raises(IndexError):
        kernels.screen_filter(index._screen, np.array([index._screen.shape[0]]), query, 4, limits)
    signature = corpus.signature()
    with pytest.raises(IndexError):
        kernels.prefilter_rows(index._hv, index._numbers, np.array([-1]), signature.hashvalues, 10, 0.5)
    with pytest.raises(IndexError):  # a row of the matrix beyond the numbers
        kernels.prefilter_rows(index._hv, index._numbers[:1], np.array([1]), signature.hashvalues, 10, 0.5)
    with pytest.raises(ValueError):
        kernels.prefilter_rows(index._hv, index._numbers[:, :2], np.array([0]), signature.hashvalues, 10, 0.5)
    with pytest.raises(ValueError):
        kernels.prefilter_rows(index._hv, index._numbers, np.array([0]), signature.hashvalues[:100], 10, 0.5)
    with pytest.raises(ValueError):
        kernels.screen_filter(index._screen, np.array([0]), query, 3, limits)  # 8 words, not 3 planes
    with pytest.raises(ValueError):
        kernels.screen_filter(index._screen, np.array([0]), query[:4], 4, limits)
    with pytest.raises(IndexError):
        kernels.screen_filter(index._screen, np.array([-1]), query, 4, limits)
    with pytest.raises(ValueError):
        kernels.screen_filter(index._screen, np.array([0]), query, 4, limits[:255])
    with pytest.raises(ValueError):
        kernels.grouped_minhash(np.arange(10), np.array([5, 4]), 3, *MinHasher().permutations)
    with pytest.raises(ValueError):
        kernels.grouped_minhash(np.arange(10), np.array([8, 2]), 3, *MinHasher().permutations)
    table = index._table
    with pytest.raises(IndexError):
        kernels.bucket_rows(table.pairs, table.starts, np.array([table.starts.size - 1]), np.zeros(1, np.uint64))
    with pytest.raises(ValueError):
        kernels.bucket_rows(table.pairs, table.starts, np.array([0, 1]), np.zeros(1, np.uint64))
    with pytest.raises(ValueError):
        kernels._kernels.subsample(np.arange(4, dtype=np.uint32), 32, np.empty(4, dtype=np.uint32))
    with pytest.raises(ValueError):
        kernels._kernels.subsample(np.arange(4, dtype=np.uint32), 1, np.empty(3, dtype=np.uint32))
    with pytest.raises(ValueError):
        kernels._kernels.screen_row(np.arange(128, dtype=np.uint32), 4, 256, np.empty(8, dtype=np.uint64))
    with pytest.raises(ValueError):
        kernels._kernels.screen_row(np.arange(128, dtype=np.uint32), 4, 0, np.empty(7, dtype=np.uint64))
    with pytest.raises(TypeError):
        kernels.han_count(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kernels.key_chars(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kernels.punct_to_fullwidth(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        kernels._kernels.count_in_set("text", b"\0" * 100, False)  # not a bit per BMP code point
    keys = index._table.keys(corpus.signature().hashvalues)
    with pytest.raises(IndexError):
        kernels.band_candidates(index._key_matrix(), np.array([index._hv.shape[0]]), index._has_signature, keys)
    with pytest.raises(ValueError):
        kernels.band_candidates(index._key_matrix(), np.array([0]), index._has_signature[:-1], keys)
    with pytest.raises(ValueError):
        kernels._kernels.band_candidates(index._key_matrix(), 64, np.array([0]), index._has_signature.view(np.uint8),
                                         np.zeros(65, dtype=np.uint64))  # more keys than columns
    with pytest.raises(ValueError):
        kernels.trigram_screen(["政策文件", "政策"], 3)  # a key without a trigram
    with pytest.raises(TypeError):
        kernels.trigram_screen(["政策文件", 3], 3)  # type: ignore[list-item]
    args = list(_counter_lookup(np.random.default_rng(1), 2))
    with pytest.raises(ValueError):  # a run of docs shorter than its run of values
        kernels.counter_candidates(args[0], [d[:-1] for d in args[1]], *args[2:])
    with pytest.raises(IndexError):  # a paragraph's row beyond the bands
        kernels.counter_candidates(*args[:6], np.full(60, 40, dtype=np.int64), *args[7:])
    with pytest.raises(IndexError):  # docs beyond `live`
        kernels.counter_candidates(*args[:4], args[4][:10], *args[5:])
    with pytest.raises(ValueError):
        kernels.counter_candidates(*args[:4], args[4].astype(np.uint8), *args[5:])
    with pytest.raises(ValueError):
        kernels.counter_candidates(*args[:6], args[6][:-1], *args[7:])
    with pytest.raises(ValueError):  # a flag short of the rows of bands
        kernels.counter_candidates(*args[:8], args[8][:-1], *args[9:])
    with pytest.raises(ValueError):
        kernels.counter_candidates(*args[:8], args[8].astype(np.uint8), *args[9:])
    with pytest.raises(TypeError):  # not a buffer, after two lists of views were taken
        kernels._kernels.counter_candidates(args[0], args[1], [None] * len(args[3]), args[3], *args[4:7],
                                            args[7], args[8], args[7].shape[1], 3, 2)
    near = spam._NEAR_HASHER.permutations
    with pytest.raises(TypeError):
        kernels.paragraph_entries([b"bytes"], *near, 3, 8)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        kernels.paragraph_entries(["短句"], *MinHasher().permutations, 3, 8)  # 128 permutations, not 16
    with pytest.raises(ValueError):
        kernels.paragraph_entries(["短句"], *near, 3, 2)  # a skeleton shorter than a shingle
    with pytest.raises(UnicodeEncodeError):  # as str.encode("utf-8") of the Python version
        kernels.paragraph_entries(["政策\ud800文件发布通知内容"], *near, 3, 8)
    with pytest.raises(ValueError):
        kernels.minhash_values(np.arange(5), *MinHasher().permutations, np.empty(3, dtype=np.uint32))
