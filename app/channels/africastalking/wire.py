"""Africa's Talking: its webhook forms in, our replies out (see shared/spec/africastalking.md).

Parsing never raises: a field that is missing or malformed becomes None, and the
caller decides what a polite answer is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from app.core.phones import PhoneError, normalise_phone

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


def _phone(form: Mapping[str, str], name: str, region: str) -> str | None:
    """A form field as an E.164 number, or None when it is missing or does not parse."""
    try:
        return normalise_phone(form.get(name), region)
    except PhoneError:
        return None


def parse_ussd(form: Mapping[str, str], region: str, text_max: int) -> UssdEvent:
    """The provider's USSD callback form as a UssdEvent."""
    phone = _phone(form, "phoneNumber", region)
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
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_session_end(form: Mapping[str, str], region: str) -> dict:
    """The session-end notification as column values; lenient, any field may be missing."""
    phone = _phone(form, "phoneNumber", region)
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
        # Not kept: the joined input holds councillors' PINs and residents' free text.
        "input": None,
        "last_app_response": _field(form, "lastAppResponse", 400) or None,
        "error_message": _field(form, "errorMessage", 400) or None,
        "provider_date": parse_provider_date(form.get("date")),
    }


# --- SMS callbacks ---------------------------------------------------------------------

TEXT_MAX = 1600
"""Longest inbound SMS text kept (ten concatenated segments); the rest is cut."""


@dataclass(frozen=True)
class InboundSms:
    """An incoming SMS, in our terms; `problem` says why it cannot be processed."""

    provider_id: str
    phone: str | None
    to_code: str
    text: str | None
    link_id: str
    network_code: str
    provider_date: dt.datetime | None
    problem: str | None


def parse_inbound_sms(form: Mapping[str, str], region: str) -> InboundSms:
    """The incoming-message callback; never raises."""
    phone = _phone(form, "from", region)
    problem = None if phone else "unparsable from"
    text = form.get("text")
    if text is None:
        problem = problem or "missing text"
    provider_id = _field(form, "id", 120)
    if not provider_id:
        import hashlib

        # No id to de-duplicate on: derive one from what identifies the message.
        basis = "|".join(form.get(k) or "" for k in ("from", "to", "date", "text"))
        provider_id = "noid:" + hashlib.sha256(basis.encode()).hexdigest()[:40]
    return InboundSms(
        provider_id=provider_id,
        phone=phone,
        to_code=_field(form, "to", 32),
        text=text[:TEXT_MAX] if text is not None else None,
        link_id=_field(form, "linkId", 120),
        network_code=_field(form, "networkCode", 16),
        provider_date=parse_provider_date(form.get("date")),
        problem=problem,
    )


@dataclass(frozen=True)
class DeliveryReportEvent:
    """A delivery report, with the provider's status kept as it came."""

    message_id: str
    status: str
    failure_reason: str | None
    phone: str | None
    network_code: str | None
    retry_count: int | None


DELIVERY_STATES = {
    "sent": "sent",
    "submitted": "sent",
    "buffered": "sent",
    "success": "delivered",
    "rejected": "failed",
    "failed": "failed",
    "expired": "failed",
}
"""Provider delivery statuses -> our message states; others (AbsentSubscriber, and values
the provider adds later) are stored on the message but do not change its state."""


def parse_delivery_report(form: Mapping[str, str], region: str) -> DeliveryReportEvent | None:
    """The delivery-report callback, or None when it names no message."""
    message_id = _field(form, "id", 120)
    if not message_id:
        return None
    phone = _phone(form, "phoneNumber", region)
    return DeliveryReportEvent(
        message_id=message_id,
        status=_field(form, "status", 40) or "Unknown",
        failure_reason=_field(form, "failureReason", 80) or None,
        phone=phone,
        network_code=_field(form, "networkCode", 16) or None,
        retry_count=_int(form.get("retryCount")),
    )


def parse_bulk_optout(form: Mapping[str, str], region: str) -> tuple[str | None, str]:
    """The bulk opt-out callback: (phone or None, sender id)."""
    phone = _phone(form, "phoneNumber", region)
    return phone, _field(form, "senderId", 32)


# --- sending SMS -------------------------------------------------------------------------

ACCEPTED = frozenset({100, 101, 102})
"""Processed, Sent, Queued: the provider took the message (not yet delivered)."""
TRANSIENT = frozenset({405, 500, 501})
"""InsufficientBalance, InternalServerError, GatewayError: try again later."""
BLACKLISTED = 406
"""UserInBlacklist: the subscriber blocked us; treat as opted out."""
# Everything else (401 RiskHold, 402 InvalidSenderId, 403 InvalidPhoneNumber, 404
# UnsupportedNumberType, 407 CouldNotRoute, 409 DoNotDisturbRejection, 502...) is
# permanent for that number.

BATCH_MAX = 1000
"""Most numbers in one request (the provider documents no limit; 1,000 is its advice)."""


@dataclass(frozen=True)
class RecipientResult:
    """One recipient's line of the provider's answer."""

    number: str
    status_code: int | None
    status: str
    message_id: str | None
    cost: str | None

    @property
    def outcome(self) -> str:
        """accepted, transient, blacklisted or permanent."""
        if self.status_code in ACCEPTED:
            return "accepted"
        if self.status_code == BLACKLISTED:
            return "blacklisted"
        if self.status_code in TRANSIENT or self.status_code is None:
            return "transient"
        return "permanent"


class ProviderError(Exception):
    """The whole request failed; `transient` says whether trying later may help, and
    `ambiguous` that the provider may have accepted it anyway (an answer that never came)."""

    def __init__(self, reason: str, transient: bool, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.ambiguous = ambiguous


def parse_send_result(result) -> list[RecipientResult]:
    """The provider's 201 answer as one result per recipient; raises ProviderError."""
    import json

    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            raise ProviderError("UnexpectedResponse", transient=True) from None
    data = (result or {}).get("SMSMessageData") or {}
    recipients = data.get("Recipients") or []
    if not recipients:
        # e.g. {"Message": "InvalidSenderId", "Recipients": []}: configuration, not luck.
        raise ProviderError(str(data.get("Message") or "NoRecipients")[:80], transient=False)
    out = []
    for item in recipients:
        message_id = item.get("messageId")
        out.append(RecipientResult(
            number=str(item.get("number") or ""),
            status_code=_int(item.get("statusCode")),
            status=str(item.get("status") or "")[:40],
            message_id=None if message_id in (None, "None", "") else str(message_id),
            cost=str(item.get("cost") or "")[:32] or None,
        ))
    return out


class AfricasTalkingSMS:
    """Sends through the official SDK's SMSService, built directly (no module globals)."""

    name = "africastalking"

    def __init__(self, username: str, api_key: str, api_url: str | None = None,
                 timeout: tuple[float, float] = (3.05, 9.05)) -> None:
        from africastalking.SMS import SMSService

        self._service = SMSService(username, api_key)
        if api_url:
            # The SDK picks its base URL from the username only; point it elsewhere.
            self._service._baseUrl = api_url.rstrip("/") + "/version1"
            self._service._contentUrl = api_url.rstrip("/") + "/version1"
        self.timeout = timeout

    def send(self, text: str, numbers: list[str], sender_id: str | None) -> list[RecipientResult]:
        """Post one request for `numbers`; raises ProviderError when the request as a whole fails."""
        import requests
        from africastalking.Service import AfricasTalkingException

        try:
            result = self._service.send(text, numbers, sender_id=sender_id, timeout=self.timeout)
        except requests.ConnectTimeout:
            raise ProviderError("Timeout", transient=True) from None
        except requests.ReadTimeout:
            # The request went out; the provider may have sent it. Only one-off messages
            # are retried; broadcast rows become `unknown` (never sent twice).
            raise ProviderError("Timeout", transient=True, ambiguous=True) from None
        except requests.RequestException:
            raise ProviderError("NetworkError", transient=True) from None
        except AfricasTalkingException as exc:
            # The SDK drops the HTTP status; a bad API key says so in the body.
            body = str(exc)[:200].lower()
            if "authentication" in body or "apikey" in body or "api key" in body:
                raise ProviderError("AuthenticationFailed", transient=True) from None
            raise ProviderError("HTTPError", transient=True) from None
        return parse_send_result(result)
