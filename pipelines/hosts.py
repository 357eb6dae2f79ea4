"""Host names as the crawler and the pipeline compare them: the registrable domain of a host."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["registered_domain"]

_SECOND_LEVEL = {"com", "net", "org", "gov", "edu", "ac", "co", "mil", "ltd", "biz", "info"}


@lru_cache(maxsize=8192)
def registered_domain(host: str | None) -> str:
    """"www.sz.gov.cn" -> "sz.gov.cn"; "news.achie.org" -> "achie.org" (no public-suffix list)."""
    if not host:
        return ""
    host = host.lower().strip(".").split(":")[0]
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
