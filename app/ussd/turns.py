"""One USSD turn, whatever the channel: session -> pure `step()` -> session, and the reply.

The channel module has parsed its wire format into a `UssdTurn`; its codec reads the
caller's newest input out of it (and spots a repeated turn) and renders our `Reply`.
Whatever fails here, the caller gets a short apology in their language, never an error:
the provider would end the session with an operator error instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.channels.events import UssdTurn
from app.core.logs import safe_id
from app.core.phones import mask_phone, phone_ref
from app.extensions import db, redis_store
from app.language.i18n import N_, gettext
from app.outbox.messages import dispatch
from app.ussd.resolver import Resolver
from app.ussd.sessions import add_session_save, load_session
from menus.engine import Menu, Reply, new_session, step
from menus.screens import CITIZEN_MENU

log = logging.getLogger(__name__)

MAX_ROUNDS = 8
"""Needs resolved per turn before we give up (a turn needs at most three or four)."""

APOLOGY = N_("Sorry, the service is busy. Please try again in a few minutes.")
NO_NUMBER = N_("Sorry, we could not read your phone number.")


@dataclass(frozen=True)
class Codec:
    """What the turn needs of a channel's USSD wire format."""

    read_input: Callable[[UssdTurn, Mapping | None], tuple[str | None, dict]]
    """(turn, the codec's memory of last turn) -> (newest input or None if repeated, memory)."""
    budget: int
    """GSM-7 characters of text a screen holds, the codec's own prefix excluded."""
    adopt: Callable[[dict], None] = lambda session: None
    """Brings a session saved by an older release to the codec's keys (in place)."""


def apology(locale: str | None, message: str = APOLOGY) -> Reply:
    """The polite end of a session that cannot go on, in the caller's language if known."""
    return Reply(gettext(locale or current_app.config["DEFAULT_LOCALE"], message), end=True)


def answer(turn: UssdTurn, codec: Codec, menu: Menu = CITIZEN_MENU) -> Reply:
    """The reply to one turn; never raises."""
    started = time.perf_counter()
    if not turn.session_id:
        return apology(None)
    if turn.phone is None:
        log.info("ussd %s: unreadable phone number", safe_id(turn.session_id))
        return apology(None, NO_NUMBER)
    resolver = Resolver(turn.channel)
    saving = False
    locale = None
    try:
        session = load_session(redis_store.client, turn.session_id)
        if session is None:
            session = new_session(turn.session_id, turn.phone, turn.service_code, turn.network_code)
        codec.adopt(session)
        locale = session.get("locale")
        typed, memory = codec.read_input(turn, session.get("wire"))
        stored = session.get("reply")
        if typed is None and isinstance(stored, list) and len(stored) == 2:
            # The same turn again (an operator retry): the same answer, no second effect.
            return Reply(str(stored[0]), bool(stored[1]))
        outcome = run_step(session, typed or "", resolver, menu, codec.budget)
        if outcome.reply is None:
            raise RuntimeError(f"menu needed more than {MAX_ROUNDS} rounds")
        outcome.session["wire"] = memory
        outcome.session["reply"] = [outcome.reply.text, outcome.reply.end]
        # The session, its draft and the send job of any SMS the turn committed: one round
        # trip (a retried EXEC may queue a job twice: the sender's claim sends it once).
        to_send = resolver.to_send
        pipe = redis_store.client.pipeline(transaction=bool(to_send))
        add_session_save(
            pipe,
            outcome.session,
            current_app.config["USSD_SESSION_TTL"],
            outcome.effects,
            current_app.config["USSD_RESUME_TTL"],
        )
        dispatch(to_send, queue="high", pipeline=pipe)
        saving = True
        pipe.execute()
        reply = outcome.reply
    except (RedisError, SQLAlchemyError) as exc:
        db.session.rollback()
        log.error("ussd %s: storage unavailable (%s)", safe_id(turn.session_id), type(exc).__name__)
        reply = apology(locale)
    except Exception:
        db.session.rollback()
        log.exception("ussd %s: failed", safe_id(turn.session_id))
        reply = apology(locale)
    if resolver.to_send and not saving:
        # The turn failed after committing an SMS and before its round trip: queue the SMS
        # on its own now. (When that round trip itself failed, Redis is in trouble and the
        # reaper will find the row still queued.) The caller's answer stands either way.
        try:
            dispatch(resolver.to_send, queue="high")
        except Exception:
            log.exception("ussd %s: SMS left to the reaper", safe_id(turn.session_id))
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "ussd %s %s %.1f ms",
            _who(turn.phone),
            safe_id(turn.session_id),
            (time.perf_counter() - started) * 1000,
        )
    return reply


def run_step(session: dict, typed: str, resolver: Resolver, menu: Menu, budget: int):
    """Call the pure engine, resolving its needs between calls, until it replies. The
    resolver lists the outbox messages the turn committed (`to_send`)."""
    facts = resolver.prefetch(session)
    outcome = step(session, typed, facts, menu, budget)
    for _ in range(MAX_ROUNDS):
        if outcome.reply is not None:
            break
        for need in outcome.needs:
            facts[need.key] = resolver.resolve(need)
        outcome = step(session, typed, facts, menu, budget)
    return outcome


def _who(phone: str) -> str:
    key = (current_app.config.get("PHONE_HASH_KEY") or "").encode()
    return f"{phone_ref(phone, key)}/{mask_phone(phone)}"
