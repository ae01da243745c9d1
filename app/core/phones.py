"""Phone numbers: parsed to E.164 at the boundary, masked or hashed for logs."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

import phonenumbers


class PhoneError(ValueError):
    """The text is not a phone number we can reach."""


MAX_PHONE_INPUT = 32
"""Longer input is not a phone number and is not parsed at all."""


def normalise_phone(raw: str | None, region: str = "ZA") -> str:
    """Parse `raw` (E.164, or local to `region`) into E.164, or raise PhoneError."""
    if not raw or len(raw) > MAX_PHONE_INPUT:
        raise PhoneError("missing or oversized phone number")
    # Form decoding turns an unescaped '+' into a space; put it back.
    text = raw.strip()
    if text and text[0].isdigit() and raw.startswith(" "):
        text = "+" + text
    return _parse_e164(text, region.upper())


@functools.lru_cache(maxsize=4096)
def _parse_e164(text: str, region: str) -> str:
    """Parsing costs a tenth of a USSD hop and a session sends the same number every turn."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(str(exc)) from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneError("not a possible number")
    # The sandbox and some test ranges are not "valid" in the metadata; we accept
    # possible numbers so a real subscriber on a new range is never refused.
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """`+27821234567` -> `+27*******567`: enough to talk about, not enough to dial."""
    if not phone:
        return "-"
    digits = phone.lstrip("+")
    if len(digits) <= 5:
        return "***"
    return "+" + digits[:2] + "*" * (len(digits) - 5) + digits[-3:]


def phone_ref(phone: str, key: bytes) -> str:
    """A keyed hash of the number: a stable correlation id for logs that reveals nothing."""
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()[:12]


_NUMBER_RE = re.compile(r"(?<![\w])(\+|%2B)?(\d[\d \-]{7,}\d)")


def redact_numbers(text: str) -> str:
    """Mask every run that looks like a phone number (a net under the log formatter)."""

    def _mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(2))
        if len(digits) < 9:
            return match.group(0)
        return mask_phone("+" + digits)

    return _NUMBER_RE.sub(_mask, text)
