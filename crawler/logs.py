"""Logging for crawl runs: JSON lines for collectors, and a filter that keeps secrets out."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from urllib.parse import quote

from scrapy.logformatter import LogFormatter
from sqlalchemy.engine import make_url


class PolicyLogFormatter(LogFormatter):
    """Scrapy's item log lines, made short: a dropped page is its URL and the reason (the
    reason is stored in rejected_pages too), never the item with its raw bytes."""

    def dropped(self, item, exception, response, spider=None):  # type: ignore[no-untyped-def,override]
        return {
            "level": logging.INFO,
            "msg": "Dropped %(url)s: %(exception)s",
            "args": {"url": getattr(item, "url", "?"), "exception": exception},
        }

    def scraped(self, item, response, spider=None):  # type: ignore[no-untyped-def,override]
        return {
            "level": logging.DEBUG,
            "msg": "Stored %(url)s",
            "args": {"url": getattr(item, "url", "?")},
        }


def url_secrets(urls: Iterable[str | None]) -> list[str]:
    """The passwords inside these URLs (database, Redis), to be masked wherever they appear."""
    secrets = []
    for url in urls:
        if not url:
            continue
        try:
            password = make_url(url).password
        except Exception:
            continue
        if password:
            secrets += [str(password), quote(str(password), safe="")]
    return sorted(set(secrets), key=len, reverse=True)


class SecretsFilter(logging.Filter):
    """Replaces known secrets in every record (message and arguments) by ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def install(secrets: Iterable[str], json_lines: bool) -> None:
    """Apply the secrets filter (and JSON formatting) to every handler of the root logger."""
    secret_filter = SecretsFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(secret_filter)
        if json_lines:
            handler.setFormatter(JsonFormatter())
