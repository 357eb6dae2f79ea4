"""`MinHasher.hashvalues` writes its blocks into a reused buffer: the values stay those of the
plain broadcast, for any size and in any order of sizes."""

from __future__ import annotations

import numpy as np

from pipelines.minhash import _CHUNK, MinHasher, SignatureScheme, fmix32


def _plain(hasher: MinHasher, hashes: np.ndarray) -> np.ndarray:
    if hashes.size == 0:
        return np.full(hasher.scheme.num_perm, 0xFFFFFFFF, dtype=np.uint32)
    a, b = hasher.permutations
    block = np.multiply.outer(a, fmix32(hashes.astype(np.uint32)))
    block += b[:, None]
    return block.min(axis=1)


def test_hashvalues_equal_the_plain_broadcast() -> None:
    rng = np.random.default_rng(3)
    for scheme in (SignatureScheme(), SignatureScheme(shingle_size=3, num_perm=16)):
        hasher = MinHasher(scheme)
        for size in (0, 1, 7, 1023, 1024, 1025, 3000, 200, _CHUNK, _CHUNK + 1, 3 * _CHUNK + 5, 5):
            hashes = np.unique(rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32))
            assert np.array_equal(hasher.hashvalues(hashes), _plain(hasher, hashes))
