"""Africa's Talking: its webhook forms in, our replies out (see shared/spec/africastalking.md).

Parsing never raises: a field that is missing or malformed becomes None, and the
caller decides what a polite answer is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from app.phones import PhoneError, normalise_phone

FIELD_MAX = 200
"""Longest value kept from any short form field (ids, codes, numbers)."""


@dataclass(frozen=True)
class UssdEvent:
    """One turn of a USSD session, in our terms."""

    session_id: str
    service_code: str
    phone: str | None
    """E.164, or None when the provider's number did not parse."""
    network_code: str
    text: str
    """Every input of the session so far, joined by `*` (the provider's cumulative text)."""


def _field(form: Mapping[str, str], name: str, limit: int = FIELD_MAX) -> str:
    value = form.get(name) or ""
    return value.strip()[:limit]


def parse_ussd(form: Mapping[str, str], region: str, text_max: int) -> UssdEvent:
    """The provider's USSD callback form as a UssdEvent."""
    try:
        phone = normalise_phone(form.get("phoneNumber"), region)
    except PhoneError:
        phone = None
    # `text` is kept whole up to the limit (no strip: its length anchors the next turn).
    text = (form.get("text") or "")[:text_max]
    return UssdEvent(
        session_id=_field(form, "sessionId", 120),
        service_code=_field(form, "serviceCode", 32),
        phone=phone,
        network_code=_field(form, "networkCode", 16),
        text=text,
    )


def render_ussd(body: str) -> tuple[str, int, dict[str, str]]:
    """Our `CON ...`/`END ...` body as the provider expects it: 200, text/plain."""
    return body, 200, {"Content-Type": "text/plain; charset=utf-8"}


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
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_session_end(form: Mapping[str, str], region: str) -> dict:
    """The session-end notification as column values; lenient, any field may be missing."""
    try:
        phone = normalise_phone(form.get("phoneNumber"), region)
    except PhoneError:
        phone = None
    return {
        "session_id": _field(form, "sessionId", 120) or "-",
        "service_code": _field(form, "serviceCode", 32) or None,
        "network_code": _field(form, "networkCode", 16) or None,
        "phone": phone,
        "status": _field(form, "status", 32) or None,
        "cost": _field(form, "cost", 32) or None,
        "duration_ms": _int(form.get("durationInMillis")),
        "hops_count": _int(form.get("hopsCount")),
        "hops_metadata": _field(form, "hopsMetadata", 2000) or None,
        "input": _field(form, "input", 4000) or None,
        "last_app_response": _field(form, "lastAppResponse", 400) or None,
        "error_message": _field(form, "errorMessage", 400) or None,
        "provider_date": parse_provider_date(form.get("date")),
    }
