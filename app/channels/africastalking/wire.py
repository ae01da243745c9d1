"""Africa's Talking's form fields, read leniently (see shared/spec/africastalking.md).

Parsing never raises: a field that is missing or malformed becomes None (or empty), and the
caller decides what a polite answer is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from app.core.phones import PhoneError, normalise_phone

FIELD_MAX = 200
"""Longest value kept from any short form field (ids, codes, numbers)."""

PROVIDER = "africastalking"
"""The wire format's name in the channel registry."""


def field(form: Mapping[str, str], name: str, limit: int = FIELD_MAX) -> str:
    """A short form field, stripped and cut to `limit` ("" when missing)."""
    value = form.get(name) or ""
    return value.strip()[:limit]


def phone(form: Mapping[str, str], name: str, region: str) -> str | None:
    """A form field as an E.164 number read with `region`, or None when it does not parse."""
    try:
        return normalise_phone(form.get(name), region)
    except PhoneError:
        return None


def integer(value: str | None) -> int | None:
    """An integer field, or None."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_provider_date(value: str | None) -> dt.datetime | None:
    """Dates as the provider sends them (`2017-05-03T06:04:45Z`, `2017-05-03 06:04:45`,
    `2018-03-19T08:34:18.445Z`), all UTC; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()[:40].replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
