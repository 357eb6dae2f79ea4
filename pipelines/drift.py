"""Drift warnings: a site whose field coverage or body length falls sharply since its last runs.

A layout change on a site rarely breaks a crawl; it silently empties a field (dates vanish,
bodies shrink to a teaser). Comparing each run's per-site coverage with the previous runs turns
that into a `degraded` run with a message naming the site and the field. Pure functions.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

#: Fields whose share of articles is watched, with the name used in messages.
WATCHED = {"published_at": "a publication date", "source": "a source", "body": "a body"}
MIN_ARTICLES = 5  # fewer new articles than this in a run say nothing about coverage
DROP = 0.5  # a share or median below half its recent level is a sharp drop
MIN_BASELINE = 0.3  # fields rarely present on a site are not watched
HISTORY = 5


def coverage(articles: int, with_field: dict[str, int], body_lengths: Sequence[int]) -> dict[str, Any]:
    """The coverage record of one site in one run (stored in crawl_runs.stats)."""
    record: dict[str, Any] = {"articles": articles}
    for field in WATCHED:
        record[field] = round(with_field.get(field, 0) / articles, 4) if articles else None
    record["median_body"] = int(statistics.median(body_lengths)) if body_lengths else None
    return record


def drift_warnings(site: str, current: dict[str, Any], history: Sequence[dict[str, Any]]) -> list[str]:
    """Messages for every sharp drop of `current` against the mean of comparable past runs."""
    if (current.get("articles") or 0) < MIN_ARTICLES:
        return []
    past = [h for h in history if (h.get("articles") or 0) >= MIN_ARTICLES][:HISTORY]
    if not past:
        return []
    warnings = []
    for field, label in WATCHED.items():
        shares = [h[field] for h in past if h.get(field) is not None]
        if not shares or current.get(field) is None:
            continue
        baseline = sum(shares) / len(shares)
        if baseline >= MIN_BASELINE and current[field] < baseline * DROP:
            warnings.append(
                f"site {site}: only {current[field]:.0%} of {current['articles']} articles have "
                f"{label} ({field}), down from {baseline:.0%} over the last {len(shares)} runs; "
                f"the site's layout may have changed"
            )
    lengths = [h["median_body"] for h in past if h.get("median_body")]
    if lengths and current.get("median_body") is not None:
        baseline_len = statistics.median(lengths)
        if current["median_body"] < baseline_len * DROP:
            warnings.append(
                f"site {site}: median body length fell to {current['median_body']} characters "
                f"from {int(baseline_len)} over the last {len(lengths)} runs; the body selector "
                f"may be picking a teaser or a sidebar"
            )
    return warnings
