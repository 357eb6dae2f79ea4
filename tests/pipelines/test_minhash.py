"""The numpy MinHash is bit-identical to datasketch 2.0's.

Its speed against datasketch's own update() loop is a benchmark figure (`python -m benchmarks run`:
"MinHash vs naive datasketch loop"), not an assertion here."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.minhash import (
    DEFAULT_SCHEME,
    IncompatibleSignatureError,
    MinHasher,
    SignatureScheme,
    murmur3_32,
    shingle_hash32,
    shingles,
)
from pipelines.normalize import comparison_key
from tests.pipelines.policy_texts import DIGITAL_POLICY, LOTTERY_POLICY, SEED_ARTICLE

SEED_TEXT = "\n".join(SEED_ARTICLE)


def _datasketch(key: str, hashfunc=shingle_hash32, num_perm: int = 128, n: int = 5, **kw) -> MinHash:
    reference = MinHash(num_perm=num_perm, hashfunc=hashfunc, **kw)
    for shingle in shingles(key, n, keyed=False):
        reference.update(shingle)
    return reference


def test_murmur3_reference_vectors() -> None:
    # Published MurmurHash3_x86_32 test vectors.
    assert murmur3_32(b"") == 0
    assert murmur3_32(b"", 1) == 0x514E28B7
    assert murmur3_32(b"\xff\xff\xff\xff") == 0x76293B50
    assert murmur3_32(b"!Ce\x87") == 0xF55B516B
    assert murmur3_32(b"Hello, world!", 1234) == 0xFAF6CDB3
    assert murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747B28C) == 0x2FA826CD


@pytest.mark.parametrize("length", [1, 4, 5, 6, 200, 3000])
def test_signature_identical_to_datasketch(length: int) -> None:
    key = comparison_key(SEED_TEXT)[:length]
    hasher = MinHasher()
    ours = hasher.signature_of_key(key)
    reference = _datasketch(key)
    assert reference.scheme == "affine32"
    assert ours.hashvalues.dtype == np.uint32
    np.testing.assert_array_equal(ours.hashvalues, reference.hashvalues)


def test_empty_text_matches_empty_datasketch_minhash() -> None:
    np.testing.assert_array_equal(
        MinHasher().signature("").hashvalues, MinHash(num_perm=128).hashvalues
    )


def test_sha1_scheme_identical_to_default_datasketch() -> None:
    key = comparison_key("\n".join(LOTTERY_POLICY))
    ours = MinHasher(SignatureScheme(hash_name="sha1_32")).signature_of_key(key)
    reference = MinHash(num_perm=128)  # datasketch's defaults: sha1_hash32 of bytes, seed 1
    for shingle in shingles(key, 5, keyed=False):
        reference.update(shingle.encode("utf-8"))
    np.testing.assert_array_equal(ours.hashvalues, reference.hashvalues)


def test_other_seed_and_sizes_identical() -> None:
    key = comparison_key("\n".join(DIGITAL_POLICY))
    scheme = SignatureScheme(shingle_size=3, num_perm=64, seed=42)
    ours = MinHasher(scheme).signature_of_key(key)
    np.testing.assert_array_equal(ours.hashvalues, _datasketch(key, num_perm=64, n=3, seed=42).hashvalues)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(st.text(min_size=0, max_size=60))
def test_signature_identical_for_any_text(key: str) -> None:
    np.testing.assert_array_equal(
        MinHasher().signature_of_key(key).hashvalues, _datasketch(key).hashvalues
    )


def test_signature_feeds_datasketch_lsh() -> None:
    hasher = MinHasher()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    lsh.insert("seed", hasher.signature(SEED_TEXT).lean())
    reference = _datasketch(comparison_key(SEED_TEXT))
    assert lsh.query(reference) == ["seed"]
    assert hasher.signature(SEED_TEXT).lean().jaccard(reference) == 1.0


def test_shingle_count_is_the_distinct_shingles() -> None:
    key = comparison_key(SEED_TEXT)
    assert MinHasher().signature_of_key(key).shingle_count == len(set(shingles(key, keyed=False)))


def test_scheme_compatibility_is_checked() -> None:
    stored = SignatureScheme.from_dict(DEFAULT_SCHEME.to_dict())
    DEFAULT_SCHEME.check_compatible(stored)
    with pytest.raises(IncompatibleSignatureError, match="Rebuild"):
        DEFAULT_SCHEME.check_compatible(SignatureScheme(hash_name="sha1_32"))
    with pytest.raises(IncompatibleSignatureError):
        DEFAULT_SCHEME.check_compatible(SignatureScheme(num_perm=256))
    # Another datasketch version does not change our values: still comparable.
    DEFAULT_SCHEME.check_compatible(SignatureScheme(datasketch_version="2.0.1"))
