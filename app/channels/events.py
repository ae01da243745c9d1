"""What every channel turns its wire format into, and what a sender answers: our own terms.

A provider module parses its webhooks into these events and renders our replies back into
its format; nothing past the channel module knows a provider's field names, its `CON `/`END `
prefix or how it marks a repeated turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class UssdTurn:
    """One turn of a USSD session, before the codec has read the caller's input out of it."""

    channel: str
    """The channel the turn arrived on (its name in the webhook URL)."""
    session_id: str
    service_code: str
    phone: str | None
    """E.164, read with the region of the municipality the code belongs to; None when the
    provider's number does not parse."""
    network_code: str
    wire_input: str
    """The input as the provider sent it (Africa's Talking: every input so far joined by `*`;
    other providers: the newest input only). Only the codec reads it."""


@dataclass(frozen=True)
class InboundSms:
    """An incoming SMS; `problem` says why it cannot be processed."""

    provider_id: str
    phone: str | None
    to_code: str
    text: str | None
    link_id: str
    network_code: str
    provider_date: dt.datetime | None
    problem: str | None
    channel: str = "africastalking"


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery report, with the provider's status kept as it came and mapped to ours."""

    message_id: str
    status: str
    """The provider's own word (kept on the row, including values it adds later)."""
    state: str | None
    """Ours: `sent`, `delivered`, `failed`, or None when the status settles nothing."""
    failure_reason: str | None
    phone: str | None
    network_code: str | None
    retry_count: int | None
    channel: str = "africastalking"


@dataclass(frozen=True)
class OptOutEvent:
    """A subscriber opted out through the provider's own mechanism (e.g. bulk SMS opt-out)."""

    phone: str | None
    sender_id: str
    channel: str = "africastalking"


@dataclass(frozen=True)
class RecipientResult:
    """One recipient's line of the provider's answer, with its meaning in our terms."""

    number: str
    status_code: int | None
    status: str
    message_id: str | None
    cost: str | None
    outcome: str = "accepted"
    """What the line means for our row: accepted, transient, blacklisted or permanent (the
    provider module decides it from its own codes)."""


class ProviderError(Exception):
    """The whole request failed; `transient` says whether trying later may help, and
    `ambiguous` that the provider may have accepted it anyway (an answer that never came)."""

    def __init__(self, reason: str, transient: bool, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.ambiguous = ambiguous


class SmsSender(Protocol):
    """Sends one text to many numbers in one provider request."""

    name: str

    def send(self, text: str, numbers: list[str], sender_id: str | None) -> list[RecipientResult]:
        """One result per number; raises ProviderError when the request as a whole fails."""
