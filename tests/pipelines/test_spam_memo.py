"""The memos of pipelines.spam stay what their functions give when `prepare_item` seeds them
(`adopt_normalized`) and when the body's key is built from the paragraphs' (`remember_body_key`)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import normalize as N
from pipelines import spam as S
from pipelines.normalize import comparison_key, normalize_record, normalize_text
from tests.pipelines.test_normalize_fast import _texts, reference_key

_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def _clear() -> None:
    for memo in (S._NORM, S._KEY, S._HITS, S._TOPICS, S._HAN, S._LOWERED_KEY_LENGTH):
        memo.clear()
    N._KNOWN_KEYS.clear()
    N._CONVERTED.clear()


@_SETTINGS
@given(st.lists(_texts, max_size=8))
def test_adopted_keys_are_the_comparison_keys(paragraphs: list[str]) -> None:
    _clear()
    S.strip_repeated_body(paragraphs)  # keys the raw paragraphs, as prepare_item does
    normal = S.normalized_paragraphs(paragraphs)
    assert normal == [normalize_text(p) for p in paragraphs]
    record = normalize_record(None, paragraphs, normal)
    raw = [r for r, n in zip(paragraphs, normal) if n]
    S.adopt_normalized(raw, record.paragraphs)
    for paragraph in record.paragraphs:
        assert S._KEY[paragraph] == reference_key(paragraph)
        assert S._NORM[paragraph] == normalize_text(paragraph)
    _clear()


@_SETTINGS
@given(st.lists(_texts, min_size=1, max_size=8))
def test_remembered_body_key_is_the_comparison_key(paragraphs: list[str]) -> None:
    _clear()
    S.adopt_normalized(paragraphs, [normalize_text(p) for p in paragraphs])
    S.remember_body_key(paragraphs)
    body = "\n".join(paragraphs)
    assert comparison_key(body) == reference_key(body)
    _clear()


def test_adopt_skips_what_normalising_twice_changes() -> None:
    _clear()
    raw = "中,,x"
    once = normalize_text(raw)
    assert normalize_text(once) != once  # normalisation is not idempotent here
    S.adopt_normalized([raw], [once])
    assert once not in S._KEY or S._KEY[once] == comparison_key(once)
    assert S._KEY[once] == comparison_key(once)
    _clear()


@_SETTINGS
@given(st.integers(min_value=1, max_value=12), st.randoms(use_true_random=False))
def test_band_keys_equal_the_plain_definition(count: int, rng) -> None:  # type: ignore[no-untyped-def]
    hex_digits = bytes(rng.getrandbits(8) for _ in range(S._NEAR_BANDS * S._BAND_BYTES * count))
    hex_digits = hex_digits.hex().encode("ascii")
    hashes = S._fingerprints(hex_digits, 2 * S._BAND_BYTES)
    expected = [
        [(band << 58) ^ (value >> 6) for band, value in enumerate(hashes[k * 8 : (k + 1) * 8])]
        for k in range(count)
    ]
    got = S._band_keys(hex_digits)
    assert got == expected
    assert all(type(value) is int for row in got for value in row)
