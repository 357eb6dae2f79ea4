"""Injected `<title>` segments: keyword stuffing put in front of the real title, and spam
segments after it, cut from what a page's `<title>` says. The title itself is the extractor's
choice (its heading, else the `<title>` segment that reads like the body).
"""

from __future__ import annotations

import re

from pipelines.spam.vocabulary import count_terms
from pipelines.text import bigrams, containment

__all__ = ["TITLE_SEPARATOR", "injected_title_segments"]

# What CMSs put between a title, its column and the site's name ("标题_产业规划_高新院").
TITLE_SEPARATOR = re.compile(r"\s*(?:_+|\s[-–—|｜]\s|[-–—|｜]+)\s*")

# A prefix segment of <title> sharing less than this with the title and body is injected.
INJECTED_MAX_CONTAINMENT = 0.25


def injected_title_segments(
    title_raw: str | None, title: str | None, body_text: str
) -> list[str]:
    """Segments of `title_raw` (as served) before the `title` unrelated to it and the body, or
    carrying spam terms, and segments after it carrying spam terms."""
    if not title_raw:
        return []
    reference: set[str] | None = None  # built on first use: most titles have no prefix
    pos = title_raw.find(title) if title else -1
    if pos >= 0 and title:
        prefix, suffix = title_raw[:pos], title_raw[pos + len(title):]
    else:
        prefix, suffix = "", title_raw
    injected: list[str] = []
    for segment in TITLE_SEPARATOR.split(prefix):
        seg = segment.strip()
        if not seg:
            continue
        if count_terms(seg):
            injected.append(seg)
            continue
        if reference is None:
            reference = bigrams((title or "") + body_text[:3000])
        if containment(seg, reference) < INJECTED_MAX_CONTAINMENT:
            injected.append(seg)
    for segment in TITLE_SEPARATOR.split(suffix):
        seg = segment.strip()
        if seg and count_terms(seg):
            injected.append(seg)
    return injected
