"""Logging: phone numbers never reach a log line whole, secrets never at all."""

from __future__ import annotations

import logging
import re

from app.core.phones import redact_numbers

_TOKEN_RE = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    """Masks phone numbers and `token=` values in every record, whatever the logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Tracebacks quote values too: redact them before any formatter prints them.
            record.exc_text = _redact(logging.Formatter().formatException(record.exc_info))
        return True


def _redact(text: str) -> str:
    return _TOKEN_RE.sub(r"\1[redacted]", redact_numbers(text))


def configure_logging(level: str = "INFO") -> None:
    """Once per process (the CLI and gunicorn call it; importing wardlink does not)."""
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's access log prints the query string, and with it the webhook token.
    logging.getLogger("werkzeug").addFilter(RedactingFilter())


def safe_id(value: str | None, limit: int = 40) -> str:
    """An identifier from outside (a session or message id) as a log field: cut to `limit`
    characters, with control characters escaped so it cannot forge a log line."""
    text = (value or "")[:limit]
    if text.isprintable():
        return text
    return text.encode("unicode_escape").decode("ascii")
