"""An inbound SMS: stored once per provider id, dispatched, answered through the outbox.

The inbound row, whatever the command changed and the reply are one transaction: a
retried callback finds the row and does nothing twice; a database failure leaves
nothing half-done and the provider retries (it does so for 12 hours).
"""

from __future__ import annotations

import logging
import time

import phonenumbers
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.channels.events import InboundSms
from app.extensions import db, redis_store
from app.language.i18n import gettext
from app.models import InboundMessage, Suppression
from app.outbox.messages import add_message
from app.outbox.optouts import opt_out
from app.places import municipalities as routing
from app.places.residents import find_resident
from app.sms.commands import SmsContext
from app.sms.keywords import parse
from app.sms.table import COMMANDS, EXTRA_WORDS, ROLE_CHECKS
from app.tickets.notifications import follower_locale
from app.tickets.questions import answer_sms

log = logging.getLogger(__name__)


def _municipality_for(session, event: InboundSms) -> dict | None:
    choices = routing.municipalities_for_code(session, "sms", event.to_code, event.channel)
    if len(choices) <= 1:
        return choices[0] if choices else None
    # A short code shared by several councils: the one that knows this number, else
    # the one in the number's country, else the first.
    remembered = routing.remembered_choice(session, event.phone, [c["id"] for c in choices])
    if remembered is not None:
        return next(c for c in choices if c["id"] == remembered)
    region = phonenumbers.region_code_for_number(phonenumbers.parse(event.phone))
    return next((c for c in choices if c["region"] == region), choices[0])


def _over_rate(phone: str) -> bool:
    limit = int(current_app.config["SMS_INBOUND_PER_MINUTE"])
    try:
        key = f"wl:sms:rate:{phone}:{int(time.time() // 60)}"
        pipe = redis_store.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count = pipe.execute()[0]
    except RedisError:
        return False  # the limit protects airtime; losing a message would be worse
    return count > limit


def process_inbound(event: InboundSms) -> int | None:
    """Store and handle one inbound SMS; returns the reply's message id (None: no reply)."""
    session = db.session()
    if (
        session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.channel == event.channel, InboundMessage.provider_id == event.provider_id
            )
        )
        is not None
    ):
        return None  # the provider retried a message we already have
    inbound = InboundMessage(
        channel=event.channel,
        provider_id=event.provider_id,
        phone=event.phone,
        to_code=event.to_code,
        text=event.text,
        link_id=event.link_id or None,
        network_code=event.network_code or None,
        provider_date=event.provider_date,
        status="received",
    )
    session.add(inbound)
    parsed = parse(event.text or "", EXTRA_WORDS)
    municipality = None if event.problem else _municipality_for(session, event)
    reason = event.problem or (None if municipality else "unknown short code")
    if reason is None and parsed.command != "stop" and _over_rate(event.phone):
        reason = "rate limited"  # STOP is never rate limited
        if parsed.command == "start" and session.get(Suppression, event.phone) is not None:
            reason = None  # nor is a START that lifts a STOP: it is honoured and answered
    if reason:
        inbound.status, inbound.reason = "rejected", reason
        if event.phone and parsed.command == "stop":
            # Whatever else is wrong, a STOP from a readable number is honoured.
            opt_out(session, event.phone, "sms", evidence=f"inbound {event.provider_id}"[:200])
            inbound.command = "stop"
        return _commit(session, inbound, None)

    inbound.municipality_id = municipality["id"]
    session.flush()
    command = COMMANDS.get(parsed.command, COMMANDS["unknown"])
    resident = find_resident(session, municipality["id"], event.phone)
    ctx = SmsContext(
        session=session,
        municipality=municipality,
        phone=event.phone,
        inbound_id=inbound.id,
        provider_id=event.provider_id,
        resident=resident,
        typed_in=parsed.languages,
    )
    # An answer to "Is it fixed?" comes before the keywords; anything else falls through.
    answered = answer_sms(session, municipality["id"], event.phone, event.text or "")
    if answered is not None:
        message, reference = answered
        locale = follower_locale(resident.locale if resident is not None else None, municipality)
        text = gettext(locale, message, reference=reference)
        inbound.status, inbound.command = "processed", "answer"
    else:
        if command.role != "resident":
            check = ROLE_CHECKS.get(command.role)
            if check is None or not check(session, municipality["id"], event.phone):
                parsed, command = parsed, COMMANDS["unknown"]
        text = command.handler(ctx, parsed.argument)
        _remember_language(ctx, parsed.command, known=resident is not None)
        inbound.status, inbound.command = "processed", parsed.command
    reply = add_message(
        session,
        phone=event.phone,
        text=text,
        purpose="reply",
        essential=True,
        queue="high",
        municipality_id=municipality["id"],
        resident_id=ctx.resident.id if ctx.resident is not None else None,
        # From the number the resident wrote to: the next reply reaches us too.
        sender_id=event.to_code if 0 < len(event.to_code or "") <= 16 else municipality.get("sender_id"),
        reply_to_id=inbound.id,
    )
    # What a command queued with `on_commit` (a confirmed broadcast) runs inside the commit.
    return _commit(session, inbound, reply)


def _remember_language(ctx: SmsContext, command: str, known: bool) -> None:
    """A number's first message keeps the language its keyword was written in ("UNCEDO":
    isiXhosa), so later replies are in it too. After that a saved language changes only
    with LANG (or the USSD settings); a STOP creates nothing."""
    typed = ctx.typed_locale
    if known or typed is None or command == "stop":
        return
    resident = ctx.get_resident()
    resident.locale = resident.locale or typed


def _commit(session, inbound, reply) -> int | None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if (
            session.scalar(
                select(InboundMessage.id).where(
                    InboundMessage.channel == inbound.channel,
                    InboundMessage.provider_id == inbound.provider_id,
                )
            )
            is not None
        ):
            return None  # the same provider id arrived twice at once; the other request has it
        raise  # anything else: the view answers 503 and the provider retries
    log.info(
        "sms %s: %s%s",
        inbound.id,
        inbound.status,
        f" ({inbound.command})" if inbound.command else f" ({inbound.reason})",
    )
    return reply.id if reply is not None else None


def store_failed(event: InboundSms) -> None:
    """Keep a message whose command crashed, for a person or a later run to look at."""
    session = db.session()
    session.rollback()
    if (
        session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.channel == event.channel, InboundMessage.provider_id == event.provider_id
            )
        )
        is None
    ):
        session.add(
            InboundMessage(
                channel=event.channel,
                provider_id=event.provider_id,
                phone=event.phone,
                to_code=event.to_code,
                text=event.text,
                network_code=event.network_code or None,
                provider_date=event.provider_date,
                status="failed",
                reason="internal error",
            )
        )
        session.commit()
