"""USSD webhooks: provider form -> event -> session -> pure `step()` -> session -> CON/END.

Whatever arrives, the provider gets HTTP 200 and a valid `CON`/`END` body: a 4xx or
a malformed body would end the caller's session with an operator error instead.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.channels.africastalking import wire as at
from app.core.phones import mask_phone, phone_ref
from app.core.security import require_token
from app.extensions import db, redis_store
from app.language.i18n import N_, gettext
from app.models import UssdSessionEnd
from app.outbox.messages import dispatch
from app.ussd.resolver import Resolver
from app.ussd.sessions import add_session_save, load_session
from menus.engine import Reply, new_session, step

log = logging.getLogger(__name__)
bp = Blueprint("ussd", __name__)

MAX_ROUNDS = 8
"""Needs resolved per turn before we give up (a turn needs at most three or four)."""

APOLOGY = N_("Sorry, the service is busy. Please try again in a few minutes.")
NO_NUMBER = N_("Sorry, we could not read your phone number.")


def _apology(locale: str | None, message: str = APOLOGY) -> str:
    return Reply(gettext(locale or current_app.config["DEFAULT_LOCALE"], message), end=True).body


@bp.post("/webhooks/africastalking/ussd")
@require_token
def ussd():
    """One turn of a USSD session."""
    started = time.perf_counter()
    locale = None
    try:
        event = at.parse_ussd(request.form, current_app.config["DEFAULT_REGION"],
                              current_app.config["USSD_TEXT_MAX"])
    except HTTPException:  # body too large or not a form
        return at.render_ussd(_apology(None))
    if not event.session_id:
        return at.render_ussd(_apology(None))
    if event.phone is None:
        log.info("ussd %s: unreadable phone number", event.session_id[:40])
        return at.render_ussd(_apology(None, NO_NUMBER))
    resolver = Resolver()
    saving = False
    try:
        session = load_session(redis_store.client, event.session_id)
        if session is None:
            session = new_session(event.session_id, event.phone, event.service_code,
                                  event.network_code)
        locale = session.get("locale")
        outcome = run_step(session, event.text, resolver)
        if outcome.reply is None:
            raise RuntimeError(f"menu needed more than {MAX_ROUNDS} rounds")
        if not outcome.repeated:
            # The session, its draft and the send job of any SMS the turn committed: one
            # round trip (a retried EXEC may queue a job twice: the sender's claim on the
            # row sends it once).
            to_send = resolver.to_send
            pipe = redis_store.client.pipeline(transaction=bool(to_send))
            add_session_save(pipe, outcome.session, current_app.config["USSD_SESSION_TTL"],
                             outcome.effects, current_app.config["USSD_RESUME_TTL"])
            dispatch(to_send, queue="high", pipeline=pipe)
            saving = True
            pipe.execute()
        body = outcome.reply.body
    except (RedisError, SQLAlchemyError) as exc:
        db.session.rollback()
        log.error("ussd %s: storage unavailable (%s)", event.session_id[:40], type(exc).__name__)
        body = _apology(locale)
    except Exception:
        db.session.rollback()
        log.exception("ussd %s: failed", event.session_id[:40])
        body = _apology(locale)
    if resolver.to_send and not saving:
        # The turn failed after committing an SMS and before its round trip: queue the SMS
        # on its own now. (When that round trip itself failed, Redis is in trouble and the
        # reaper will find the row still queued.) The caller's answer stands either way.
        try:
            dispatch(resolver.to_send, queue="high")
        except Exception:
            log.exception("ussd %s: SMS left to the reaper", event.session_id[:40])
    if log.isEnabledFor(logging.DEBUG):
        log.debug("ussd %s %s %.1f ms", _who(event.phone), event.session_id[:40],
                  (time.perf_counter() - started) * 1000)
    return at.render_ussd(body)


def run_step(session: dict, text: str, resolver: Resolver):
    """Call the pure engine, resolving its needs between calls, until it replies. The
    resolver lists the outbox messages the turn committed (`to_send`)."""
    facts = resolver.prefetch(session)
    outcome = step(session, text, facts)
    for _ in range(MAX_ROUNDS):
        if outcome.reply is not None:
            break
        for need in outcome.needs:
            facts[need.key] = resolver.resolve(need)
        outcome = step(session, text, facts)
    return outcome


def _who(phone: str) -> str:
    key = (current_app.config.get("PHONE_HASH_KEY") or "").encode()
    return f"{phone_ref(phone, key)}/{mask_phone(phone)}"


@bp.post("/webhooks/africastalking/ussd/events")
@require_token
def ussd_events():
    """The provider's session-end notification, stored for reporting."""
    try:
        values = at.parse_session_end(request.form, current_app.config["DEFAULT_REGION"])
    except HTTPException:
        return jsonify(error="bad request"), 400
    try:
        with db.begin() as session:
            session.add(UssdSessionEnd(**values))
    except SQLAlchemyError:
        log.error("ussd session end %s not stored", values["session_id"][:40])
        # Non-200 makes the provider try again later instead of losing the report.
        return jsonify(error="unavailable"), 503
    return "OK", 200, {"Content-Type": "text/plain"}
