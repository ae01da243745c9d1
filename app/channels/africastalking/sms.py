"""Africa's Talking SMS: incoming messages, delivery reports and opt-outs in; sending out.

Sending keeps the official `africastalking` SDK (it builds the request: URL, headers, form
fields, number checks), but reads the HTTP status and body from the response itself: the SDK
would turn every non-2xx answer into an exception carrying only the body text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import requests
from africastalking.SMS import SMSService

from app.channels.africastalking.wire import PROVIDER, field, integer, parse_provider_date, phone
from app.channels.events import (
    DeliveryReport,
    InboundSms,
    OptOutEvent,
    ProviderError,
    RecipientResult,
)

TEXT_MAX = 1600
"""Longest inbound SMS text kept (ten concatenated segments); the rest is cut."""


def parse_inbound_sms(form: Mapping[str, str], region: str, channel: str = PROVIDER) -> InboundSms:
    """The incoming-message callback; never raises. `region` reads local numbers (the
    municipality's of the short code the message was sent to)."""
    sender = phone(form, "from", region)
    problem = None if sender else "unparsable from"
    text = form.get("text")
    if text is None:
        problem = problem or "missing text"
    provider_id = field(form, "id", 120)
    if not provider_id:
        # No id to de-duplicate on: derive one from what identifies the message.
        basis = "|".join(form.get(k) or "" for k in ("from", "to", "date", "text"))
        provider_id = "noid:" + hashlib.sha256(basis.encode()).hexdigest()[:40]
    return InboundSms(
        provider_id=provider_id,
        phone=sender,
        to_code=field(form, "to", 32),
        text=text[:TEXT_MAX] if text is not None else None,
        link_id=field(form, "linkId", 120),
        network_code=field(form, "networkCode", 16),
        provider_date=parse_provider_date(form.get("date")),
        problem=problem,
        channel=channel,
    )


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


def parse_delivery_report(
    form: Mapping[str, str], region: str, channel: str = PROVIDER
) -> DeliveryReport | None:
    """The delivery-report callback, or None when it names no message."""
    message_id = field(form, "id", 120)
    if not message_id:
        return None
    status = field(form, "status", 40) or "Unknown"
    return DeliveryReport(
        message_id=message_id,
        status=status,
        state=DELIVERY_STATES.get(status.lower()),
        failure_reason=field(form, "failureReason", 80) or None,
        phone=phone(form, "phoneNumber", region),
        network_code=field(form, "networkCode", 16) or None,
        retry_count=integer(form.get("retryCount")),
        channel=channel,
    )


def parse_bulk_optout(form: Mapping[str, str], region: str, channel: str = PROVIDER) -> OptOutEvent:
    """The bulk opt-out callback (the number may be None when unreadable)."""
    return OptOutEvent(
        phone=phone(form, "phoneNumber", region), sender_id=field(form, "senderId", 32), channel=channel
    )


# --- sending ------------------------------------------------------------------------------

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


def recipient_outcome(status_code: int | None) -> str:
    """A recipient's `statusCode` in our terms: accepted, transient, blacklisted or permanent."""
    if status_code in ACCEPTED:
        return "accepted"
    if status_code == BLACKLISTED:
        return "blacklisted"
    if status_code in TRANSIENT or status_code is None:
        return "transient"
    return "permanent"


def parse_send_result(result) -> list[RecipientResult]:
    """The provider's 201 answer (JSON text or a decoded dict) as one result per recipient;
    raises ProviderError."""
    if isinstance(result, str | bytes):
        try:
            result = json.loads(result)
        except ValueError:
            raise ProviderError("UnexpectedResponse", transient=True) from None
    data = (result or {}).get("SMSMessageData") or {} if isinstance(result, dict) else {}
    recipients = data.get("Recipients") or []
    if not recipients:
        # e.g. {"Message": "InvalidSenderId", "Recipients": []}: configuration, not luck.
        raise ProviderError(str(data.get("Message") or "NoRecipients")[:80], transient=False)
    out = []
    for item in recipients:
        message_id = item.get("messageId")
        code = integer(item.get("statusCode"))
        out.append(
            RecipientResult(
                number=str(item.get("number") or ""),
                status_code=code,
                status=str(item.get("status") or "")[:40],
                message_id=None if message_id in (None, "None", "") else str(message_id),
                cost=str(item.get("cost") or "")[:32] or None,
                outcome=recipient_outcome(code),
            )
        )
    return out


class _ResponseSMSService(SMSService):
    """The SDK's SMS service, answering with the HTTP response instead of raising on non-2xx.

    The SDK builds the request (URL, headers, form, number checks) and hands it to
    `_make_request`; this override sends it on a kept-alive session and returns the
    `requests.Response`, so the status code is read, not guessed from exception text."""

    def __init__(self, username: str, api_key: str, http: requests.Session) -> None:
        super().__init__(username, api_key)
        self._http = http

    def _make_request(self, url, method, headers, data, params, callback=None, timeout=None):
        return self._http.request(method, url, headers=headers, data=data, params=params, timeout=timeout)


def read_send_response(response: requests.Response) -> list[RecipientResult]:
    """The messaging endpoint's HTTP answer in our terms; raises ProviderError."""
    status = response.status_code
    if status in (401, 403):
        # A wrong or revoked key: an operator fixes it, then the retries go through.
        raise ProviderError("AuthenticationFailed", transient=True)
    if not 200 <= status < 300:
        # 5xx, 429 and the like: the provider is struggling; later attempts may pass.
        raise ProviderError("HTTPError", transient=True)
    return parse_send_result(response.text)


class AfricasTalkingSMS:
    """Sends through the official SDK's SMSService, built directly (no module globals)."""

    name = PROVIDER

    def __init__(
        self,
        username: str,
        api_key: str,
        api_url: str | None = None,
        timeout: tuple[float, float] = (3.05, 9.05),
    ) -> None:
        self._service = _ResponseSMSService(username, api_key, requests.Session())
        if api_url:
            # The SDK picks its base URL from the username only; point it elsewhere.
            self._service._baseUrl = api_url.rstrip("/") + "/version1"
            self._service._contentUrl = api_url.rstrip("/") + "/version1"
        self.timeout = timeout

    def send(self, text: str, numbers: list[str], sender_id: str | None) -> list[RecipientResult]:
        """Post one request for `numbers`; raises ProviderError when the request as a whole fails."""
        try:
            response = self._service.send(text, numbers, sender_id=sender_id, timeout=self.timeout)
        except requests.ConnectTimeout:
            raise ProviderError("Timeout", transient=True) from None
        except requests.ReadTimeout:
            # The request went out; the provider may have sent it. Only one-off messages
            # are retried; broadcast rows become `unknown` (never sent twice).
            raise ProviderError("Timeout", transient=True, ambiguous=True) from None
        except requests.RequestException:
            raise ProviderError("NetworkError", transient=True) from None
        except ValueError:
            # The SDK refuses a number that is not +E.164 before any request; its message
            # quotes the number, so it is not passed on.
            raise ProviderError("InvalidPhoneNumber", transient=False) from None
        return read_send_response(response)
