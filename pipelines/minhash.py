"""Character-shingle MinHash signatures, numpy-vectorised and bit-identical to datasketch 2.0.

Why not datasketch's own `MinHash.update()`: it calls a Python hash function and does one numpy
round trip per shingle (~20 ms for a 3,000-character document); merely building the Python shingle
strings caps throughput near 2,500 docs/s. Here the text becomes one array of code points, the
shingle hash is computed for every window at once, and the permutation step is one broadcast over
all 128 permutations. The result is *the same* signature datasketch computes when given the same
hash function and seed, so it can be fed to `datasketch.MinHashLSH` and compared with signatures
made by datasketch itself (tested in tests/pipelines/test_minhash.py).

The scheme reproduced is datasketch 2.0's default, "affine32" (see `datasketch/minhash.py`):

* `hv = hashfunc(shingle)` -- a 32-bit integer;
* `hv = fmix32(hv)` -- the MurmurHash3 finalizer, applied once as a pre-mix (new in 2.0);
* for each permutation k: `phv_k = a_k * hv + b_k  (mod 2**32)`, `a_k` odd, where `a` and `b` come
  from `np.random.RandomState(seed)`: `a = randint(0, 2**31, n) * 2 + 1`, `b = randint(0, 2**32, n)`;
* signature_k = min over shingles of `phv_k`, as uint32; the empty set is all `2**32 - 1`.

Datasketch versions before 2.0 used another scheme ("legacy", mod a Mersenne prime), so signatures
are stored together with a `SignatureScheme` and checked with `SignatureScheme.check_compatible`.

Shingle hash: datasketch's default `sha1_hash32` needs one hashlib call per shingle. The default
here, "murmur3_32/utf-32-le", is MurmurHash3_x86_32 (seed 0) of the shingle's UTF-32-LE bytes: four
bytes per character, so each character is exactly one murmur block and the hash of every window can
be computed with a handful of array operations. `shingle_hash32` is the same function for one
shingle, to pass to datasketch as `hashfunc`. "sha1_32" (datasketch's default) is available too,
slower, for signatures that must match a plain `datasketch.MinHash()`.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from dataclasses import asdict, dataclass
from typing import Any, Callable

import datasketch
import numpy as np
from datasketch import LeanMinHash

from pipelines.normalize import comparison_key

__all__ = [
    "DEFAULT_SCHEME",
    "IncompatibleSignatureError",
    "SignatureScheme",
    "MinHasher",
    "Signature",
    "fmix32",
    "murmur3_32",
    "murmur_windows",
    "sha1_hash32",
    "shingle_hash32",
    "shingles",
    "sorted_distinct",
]

U32 = np.uint32
_MASK32 = 0xFFFFFFFF
_MAX_HASH = U32(_MASK32)

# MurmurHash3_x86_32 constants.
_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_N = 0xE6546B64

HASH_MURMUR3_UTF32 = "murmur3_32/utf-32-le"
HASH_SHA1_32 = "sha1_32"
_HASH_NAMES = (HASH_MURMUR3_UTF32, HASH_SHA1_32)

# Signatures are chunked over shingles so that the (shingles x permutations) intermediate stays
# in cache-friendly blocks (8,192 x 128 x 4 bytes = 4 MiB) however long the document is.
_CHUNK = 8192


class IncompatibleSignatureError(ValueError):
    """Stored signatures were made with another scheme and cannot be compared with new ones."""


@dataclass(frozen=True)
class SignatureScheme:
    """Everything that determines a signature; stored next to signatures so they stay comparable.

    `datasketch_version` is informational: the values depend only on the other fields (this
    module computes them itself), but it tells a reader which datasketch the index was fed to.
    """

    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    hash_name: str = HASH_MURMUR3_UTF32
    permutation: str = "affine32"
    datasketch_version: str = datasketch.__version__

    def __post_init__(self) -> None:
        if self.hash_name not in _HASH_NAMES:
            raise ValueError(f"hash_name {self.hash_name!r} unknown; use one of {_HASH_NAMES}")
        if self.permutation != "affine32":
            raise ValueError("only datasketch 2.0's 'affine32' permutation scheme is implemented")
        if self.shingle_size < 1 or self.num_perm < 2:
            raise ValueError("shingle_size must be >= 1 and num_perm >= 2")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureScheme:
        return cls(**data)

    def comparable_with(self, other: SignatureScheme) -> bool:
        return (
            self.shingle_size,
            self.num_perm,
            self.seed,
            self.hash_name,
            self.permutation,
        ) == (other.shingle_size, other.num_perm, other.seed, other.hash_name, other.permutation)

    def check_compatible(self, stored: SignatureScheme) -> None:
        """Raise `IncompatibleSignatureError` (saying what to do) when `stored` differs."""
        if not self.comparable_with(stored):
            raise IncompatibleSignatureError(
                f"stored signatures use {stored.to_dict()} but this process uses "
                f"{self.to_dict()}; they cannot be compared. Rebuild the dedup index from the "
                "article bodies (policy-ingest reprocess) or configure the stored scheme."
            )


DEFAULT_SCHEME = SignatureScheme()


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an array (flattened), sorted: `np.unique` costs several times
    more on the few hundred values of one query or one page (the index and the counter)."""
    values = np.sort(values, axis=None)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


# --- hash functions: scalar versions (for datasketch's `hashfunc`) ---------------------------


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK32


def _fmix32_int(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    return h ^ (h >> 16)


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of `data` (reference implementation, pure Python)."""
    h = seed & _MASK32
    nblocks = len(data) // 4
    for (k,) in struct.iter_unpack("<I", data[: nblocks * 4]):
        k = (k * _C1) & _MASK32
        k = _rotl32(k, 15)
        k = (k * _C2) & _MASK32
        h ^= k
        h = _rotl32(h, 13)
        h = (h * 5 + _N) & _MASK32
    tail = data[nblocks * 4 :]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * _C1) & _MASK32
        k = _rotl32(k, 15)
        k = (k * _C2) & _MASK32
        h ^= k
    h ^= len(data)
    return _fmix32_int(h)


def shingle_hash32(shingle: str | bytes) -> int:
    """The default shingle hash for one shingle: murmur3_32 of its UTF-32-LE bytes.

    Pass it as `datasketch.MinHash(hashfunc=shingle_hash32)` to get the signatures this module
    computes; it accepts the `str` shingle (or its UTF-32-LE bytes).
    """
    data = shingle.encode("utf-32-le") if isinstance(shingle, str) else shingle
    return murmur3_32(data)


def sha1_hash32(shingle: str | bytes) -> int:
    """datasketch's default `sha1_hash32` of the shingle's UTF-8 bytes."""
    data = shingle.encode("utf-8") if isinstance(shingle, str) else shingle
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


_SCALAR_HASHES: dict[str, Callable[[str | bytes], int]] = {
    HASH_MURMUR3_UTF32: shingle_hash32,
    HASH_SHA1_32: sha1_hash32,
}


def shingles(text: str, n: int = 5, *, keyed: bool = True) -> list[str]:
    """The character n-gram shingles of `comparison_key(text)` (or of `text` if not `keyed`).

    A key shorter than `n` characters is one shingle (so short texts still compare); an empty
    key has none. Used by tests and by callers that want the strings; signatures never build
    them.
    """
    key = comparison_key(text) if keyed else text
    if not key:
        return []
    if len(key) <= n:
        return [key]
    return [key[i : i + n] for i in range(len(key) - n + 1)]


# --- vectorised versions ---------------------------------------------------------------------


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << U32(r)) | (x >> U32(32 - r))


def fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> U32(16))
    h = h * U32(0x85EBCA6B)
    h = h ^ (h >> U32(13))
    h = h * U32(0xC2B2AE35)
    return h ^ (h >> U32(16))


def murmur_windows(codepoints: np.ndarray, n: int) -> np.ndarray:
    """murmur3_32 of every n-character window of `codepoints` (uint32), all at once."""
    length = len(codepoints)
    width = min(n, length)
    count = length - width + 1
    # The per-character block mix depends on the character only: do it once per character.
    k = codepoints * U32(_C1)
    k = _rotl(k, 15)
    k = k * U32(_C2)
    h = np.zeros(count, dtype=U32)
    for j in range(width):
        h ^= k[j : j + count]
        h = _rotl(h, 13)
        h = h * U32(5) + U32(_N)
    h ^= U32(4 * width)
    return fmix32(h)


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """`np.unique` of uint32 shingle hashes, ~5x faster than it on numpy 2 (whose unique
    does not sort)."""
    if values.size < 2:
        return values.copy()
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


_BUFFERS = threading.local()  # per thread: {rows: uint32 array (rows x columns)}


def _block_buffer(rows: int, columns: int) -> np.ndarray:
    """A scratch uint32 array of at least `columns` columns for `hashvalues`, kept per thread."""
    buffers = getattr(_BUFFERS, "arrays", None)
    if buffers is None:
        buffers = _BUFFERS.arrays = {}
    buffer = buffers.get(rows)
    if buffer is None or buffer.shape[1] < columns:
        width = 1024
        while width < columns:
            width *= 2
        buffer = buffers[rows] = np.empty((rows, width), dtype=U32)
    return buffer


def _sha1_windows(key: str, n: int) -> np.ndarray:
    return np.fromiter((sha1_hash32(s) for s in shingles(key, n, keyed=False)), dtype=U32)


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2.0's affine32 parameters (`MinHash._init_permutations`), reproduced."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=U32) * U32(2) + U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=U32)
    return a, b


@dataclass(frozen=True)
class Signature:
    """A document's MinHash signature plus what verification needs.

    `shingle_hashes` is the sorted set of distinct shingle hashes (before the fmix pre-mix):
    exact set operations on it give the true Jaccard/containment of two documents.
    """

    hashvalues: np.ndarray  # uint32[num_perm]
    shingle_hashes: np.ndarray  # sorted distinct uint32
    key_length: int
    scheme: SignatureScheme

    @property
    def shingle_count(self) -> int:
        return int(self.shingle_hashes.size)

    def lean(self) -> LeanMinHash:
        """The signature as a datasketch `LeanMinHash` (what `MinHashLSH` takes)."""
        return LeanMinHash(seed=self.scheme.seed, hashvalues=self.hashvalues, scheme="affine32")

    def jaccard(self, other: Signature) -> float:
        """MinHash estimate of the Jaccard similarity."""
        self.scheme.check_compatible(other.scheme)
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / self.hashvalues.size

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as bytes: worker processes send a signature with every page, and a numpy
        # array pickles ~10x slower than its bytes. The arrays come back read-only.
        return (_signature_from_bytes, (
            np.asarray(self.hashvalues, dtype=U32).tobytes(),
            np.asarray(self.shingle_hashes, dtype=U32).tobytes(), self.key_length, self.scheme,
        ))


def _signature_from_bytes(hashvalues: bytes, shingle_hashes: bytes, key_length: int,
                          scheme: SignatureScheme) -> Signature:
    return Signature(np.frombuffer(hashvalues, dtype=U32), np.frombuffer(shingle_hashes, dtype=U32),
                     key_length, scheme)


class MinHasher:
    """Builds signatures for one `SignatureScheme`; create once per process and reuse."""

    def __init__(self, scheme: SignatureScheme = DEFAULT_SCHEME) -> None:
        self.scheme = scheme
        self._a, self._b = _permutations(scheme.num_perm, scheme.seed)

    @property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        return self._a, self._b

    def shingle_hashes(self, key: str) -> np.ndarray:
        """Sorted distinct shingle hashes of an already computed comparison key."""
        if not key:
            return np.empty(0, dtype=U32)
        if self.scheme.hash_name == HASH_MURMUR3_UTF32:
            codepoints = np.frombuffer(key.encode("utf-32-le"), dtype="<u4").astype(U32)
            hashes = murmur_windows(codepoints, self.scheme.shingle_size)
        else:
            hashes = _sha1_windows(key, self.scheme.shingle_size)
        return _sorted_distinct(hashes)

    def hashvalues(self, shingle_hashes: np.ndarray) -> np.ndarray:
        """MinHash values of a set of shingle hashes (datasketch affine32 arithmetic)."""
        result = np.full(self.scheme.num_perm, _MAX_HASH, dtype=U32)
        if shingle_hashes.size == 0:
            return result
        mixed = fmix32(shingle_hashes.astype(U32, copy=False))
        a, b = self._a[:, None], self._b[:, None]
        buffer = _block_buffer(self.scheme.num_perm, min(mixed.size, _CHUNK))
        for start in range(0, mixed.size, _CHUNK):
            # (permutations x shingles): the min runs along contiguous rows, ~6x faster than the
            # transposed layout. uint32 arithmetic wraps mod 2**32 exactly as datasketch's does.
            # The block is written into a reused buffer: a fresh 1 MB array per document costs
            # page faults, which doubled the time of this loop.
            part = mixed[start : start + _CHUNK]
            block = buffer[:, : part.size]
            np.multiply(a, part, out=block)
            block += b
            np.minimum(result, block.min(axis=1), out=result)
        return result

    def signature_of_key(self, key: str) -> Signature:
        hashes = self.shingle_hashes(key)
        return Signature(self.hashvalues(hashes), hashes, len(key), self.scheme)

    def signature(self, text: str) -> Signature:
        """Signature of `text` (normalised to its comparison key first)."""
        return self.signature_of_key(comparison_key(text))

