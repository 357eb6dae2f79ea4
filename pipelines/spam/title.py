"""Injected `<title>` segments: the spam and the site suffix cut from a page's `<title>`, the
run of segments that matches the article kept (used when the page shows no heading of its own).
"""

from __future__ import annotations

import re
from typing import Optional

from pipelines.normalize import comparison_key, normalize_text

__all__ = ["strip_injected_title"]

_TITLE_SEPARATOR = re.compile(r"\s*[-_|｜–—]+\s*|\s+")
_SUFFIX_SEPARATORS = ("_", "|", "｜")


def _title_segments(title: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _TITLE_SEPARATOR.finditer(title):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(title):
        spans.append((start, len(title)))
    return spans


def _bigrams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)} or ({key} if key else set())


def strip_injected_title(
    title_raw: Optional[str], heading: Optional[str], body_text: Optional[str] = None
) -> tuple[str, list[str]]:
    """Cut spam segments and the site suffix from a `<title>`; return (title, removed_segments).

    The title is split on `- _ |` and spaces; the kept part is the contiguous run of segments
    that best matches the article's heading (F1 of character bigrams ≥ 0.6) — so injected spam
    segments and "_产业规划_高新院" fall away while "2025-2027年" or "RISC-V" stay joined. When
    no run matches the heading, the heading itself is the title (the `<title>` was all spam).
    Without a heading, segments are scored against the body: bigrams found in it count for a run,
    bigrams not found count twice against it, and every `_`/`|` inside the run costs (that is how
    CMSs attach column and site names).
    """
    raw = normalize_text(title_raw)
    head = normalize_text(heading)
    if not raw:
        return head, []
    spans = _title_segments(raw)
    seg_keys = [comparison_key(raw[s:e]) for s, e in spans]
    if head:
        reference = _bigrams(comparison_key(head))
    else:
        reference = _bigrams(comparison_key((body_text or "")[:5000]))
    if not reference:
        return raw, []

    best: Optional[tuple[float, int, int]] = None
    for i in range(len(spans)):
        run_key = ""
        for j in range(i, len(spans)):
            run_key += seg_keys[j]
            grams = _bigrams(run_key)
            if not grams:
                continue
            common = len(grams & reference)
            if head:
                precision = common / len(grams)
                recall = common / len(reference)
                score = 2 * precision * recall / (precision + recall) if common else 0.0
                if score < 0.6:
                    continue
            else:
                inner = raw[spans[i][0] : spans[j][1]]
                suffix_joints = sum(inner.count(sep) for sep in _SUFFIX_SEPARATORS)
                score = common - 2 * (len(grams) - common) - 3 * suffix_joints
                if common < 0.5 * len(grams) or score <= 0:
                    continue
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        if head:
            return head, [raw[s:e] for s, e in spans]
        return raw, []
    _, first, last = best
    title = raw[spans[first][0] : spans[last][1]]
    removed = [raw[s:e] for k, (s, e) in enumerate(spans) if k < first or k > last]
    return title, removed
