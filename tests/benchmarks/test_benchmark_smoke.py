"""The benchmark keeps working (a tiny run, no timing assertions), and the fast t2s is exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import opencc
import pytest
from datasketch import LeanMinHash, MinHashLSH

from benchmarks.__main__ import main
from benchmarks.corpus import build_corpus, render_page
from pipelines.dedup import DedupIndex
from pipelines.normalize import to_simplified

STAGES = (
    "extraction", "normalise + t2s", "t2s alone", "spam stages", "MinHash", "LSH query + insert",
    "DB write (", "DB write batched", "raw page write", "ingest page by page", "prepare_page",
    "serial part", "END TO END, 1 process",
)


@pytest.mark.slow
def test_tiny_run_reports_every_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert main(["run", "--quick", "--docs", "30", "--scale", "300,600", "--backfill", "20",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))
    names = [stage["stage"] for stage in result["stages"]]
    for stage in STAGES:
        assert any(name.startswith(stage) for name in names), stage
        assert stage in printed
    assert any(name.startswith("END TO END") and "worker proc" in name for name in names)
    for stage in result["stages"]:
        assert stage["docs"] > 0 and stage["docs_per_s"] > 0 and stage["cpu_s"] >= 0
        assert stage["ratio_to_naive"] > 0
        if stage["notes"].get("workers"):  # memory of worker processes: their peak RSS
            assert stage["notes"]["worker_peak_rss_mb"] > 0 and stage["notes"]["worker_cpu_s"] >= 0
            # The figure is the median of the timed runs (each one rounded in the notes).
            runs = stage["notes"]["runs_docs_per_s"]
            assert len(runs) == 3 and abs(stage["docs_per_s"] - sorted(runs)[1]) <= 1
        else:
            assert stage["peak_mb"] is not None
    assert result["ratios"]["minhash_vs_naive"] > 0
    assert result["long_page_repeated_body"]["chars"] == 150_000 and "repeated body of one" in printed
    # The backfill runs the real command (in its own processes) over 20 kept pages, twice.
    rebuild, in_place = result["backfill"]
    assert rebuild["pages"] == in_place["pages"] == 20 and rebuild["processes"] >= 2
    assert "new articles" in rebuild["summary"] and "unchanged 20" in in_place["summary"]
    modes = {(r["mode"], r.get("stored")) for r in result["lsh_scale"]}
    assert {("background", 300), ("background", 600), ("uniform", 600)} <= modes
    curve = {r["stored"]: r for r in result["lsh_scale"] if r["mode"] == "background"}
    # Each size against the smallest, part by part: the smallest against itself is exactly 1.
    assert curve[300]["ratio_to_smallest"] == 1.0 and curve[600]["ratio_to_smallest"] > 0
    assert "the median of" in printed
    assert "LSH scale curve" in printed


@pytest.mark.slow
def test_corpus_is_reproducible_and_shaped() -> None:
    a, b = build_corpus(60, seed=3), build_corpus(60, seed=3)
    assert [d.body_text for d in a] == [d.body_text for d in b]
    assert render_page(a[5]) == render_page(b[5])
    assert {d.kind for d in build_corpus(200, seed=3)} >= {"original", "mirror", "repost", "cut_short"}
    traditional = sum(d.script == "traditional" for d in build_corpus(500, seed=3))
    assert 25 <= traditional <= 80  # ~10 %
    assert all(2500 <= len(d.body_text) for d in a if d.kind == "original")


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    texts = []
    for doc in build_corpus(120, seed=11, traditional_share=0.5):
        texts.append(doc.title)
        texts.extend(doc.paragraphs)
    return texts


@pytest.mark.slow
def test_fast_t2s_equals_opencc_full_conversion(corpus_texts: list[str]) -> None:
    """The faster Traditional->Simplified gives opencc-python-reimplemented's output exactly."""
    reference = opencc.OpenCC("t2s")
    traditional = [t for t in corpus_texts if reference.convert(t) != t]
    assert len(traditional) > 300  # the check really covers converted text
    for text in corpus_texts:
        assert to_simplified(text) == reference.convert(text)
    whole = "\n".join(corpus_texts)
    assert to_simplified(whole) == reference.convert(whole)


def test_fast_t2s_phrase_overlaps() -> None:
    """Overlapping dictionary phrases: opencc takes the longest, then the leftmost."""
    reference = opencc.OpenCC("t2s")
    for text in ("立傷亡枕藉助於", "傷亡枕藉助於人", "藉助於", "反覆沈默", "乾元乾象國"):
        assert to_simplified(text) == reference.convert(text)


def test_band_table_candidates_equal_datasketch_minhashlsh() -> None:
    """DedupIndex's LSH returns the candidates datasketch's MinHashLSH (32 x 2) would."""
    rng = np.random.default_rng(5)
    common = rng.integers(0, 2**32, size=(4, 128), dtype=np.uint32)
    hv = rng.integers(0, 2**32, size=(1400, 128), dtype=np.uint32)
    mask = rng.random(hv.shape) < 0.3  # shared values: many band collisions and long chains
    hv[mask] = common[rng.integers(0, 4, size=hv.shape), np.arange(128)][mask]
    lsh = MinHashLSH(num_perm=128, params=(32, 2))
    index = DedupIndex()
    table = index._table
    for i in range(1000):
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=hv[i], scheme="affine32"), check_duplication=False)
        index._grow(i + 1)
        index._size = i + 1
        index._hv[i] = hv[i]
        index._has_signature[i] = True
        index._table_insert(np.array([i]))
    for q in range(1000, 1400):
        expected = set(lsh.query(LeanMinHash(seed=1, hashvalues=hv[q], scheme="affine32")))
        got = set(table.candidates(table.keys(hv[q]), index._band_keys).tolist())
        assert got == expected


@pytest.mark.slow
def test_attachments_benchmark_reports_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "attachments.json"
    assert main(["attachments", "--repeat", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    kinds = {row["media_type"] for row in figures["formats"]}
    assert {"application/pdf", "application/ofd", "application/zip", "application/msword"} <= kinds
    assert all(row["sandbox_files_per_s"] > 0 and row["inline_files_per_s"] > 0 for row in figures["formats"])
    assert "mixed batch" in capsys.readouterr().out
def test_tiny_search_run_reports_latency_and_costs(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "search.json"
    assert main(["search", "--docs", "300", "--pg-docs", "0", "--runs", "1",
                 "--write-pages", "40", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))["sqlite"]
    assert result["store"]["articles"] == 300 and result["store"]["index_mb"] > 0
    names = {m["name"] for m in result["latency"]}
    assert {"3+ characters, all single terms", "1-2 characters (scan)"} <= names
    assert all(m["p95_ms"] >= m["p50_ms"] > 0 and m["timed_runs"] > 0 for m in result["latency"])
    # Every query set finds something in the generated store (the terms are in its text).
    assert all(m["median_hits"] > 0 for m in result["latency"]), result["latency"]
    assert result["write_cost"]["ingest_ratio"] > 0 and result["write_cost"]["insert_ratio"] > 0
    assert "goal: p95 < 100 ms on SQLite" in printed
    assert any(m["name"].startswith("3+ characters, held by") for m in result["latency"])
