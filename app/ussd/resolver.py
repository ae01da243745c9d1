"""Answers the menu engine's needs from SQL and Redis; the only I/O of a USSD turn."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.broadcasts.councillors import verify_pin
from app.broadcasts.outages import outage_dict, ward_outages
from app.broadcasts.service import broadcasts_today, create_broadcast, reach, start
from app.channels.registry import DEFAULT_CHANNEL
from app.extensions import db, redis_store
from app.models import Broadcast, Councillor, Ticket
from app.places import municipalities as routing
from app.places.residents import save_profile
from app.tickets.duplicates import add_follower, similar_open_ticket
from app.tickets.service import (
    REFERENCE_ATTEMPTS,
    add_confirmation,
    create_ticket,
    find_ticket,
    recent_tickets,
    ticket_dict,
)
from app.ussd.callers import lookup_caller
from app.ussd.sessions import load_draft
from menus.engine import Need

log = logging.getLogger(__name__)


class Resolver:
    """Resolves `Need`s for one request (its DB session, a lookup connection for the
    caller's row, the fast Redis client).

    Messages it commits to the outbox are listed in `to_send`: the view queues their send
    jobs with the session save, in one Redis round trip."""

    def __init__(self, channel: str = DEFAULT_CHANNEL) -> None:
        self.channel = channel
        """The channel the turn arrived through: it routes the service code."""
        # The scoped session itself: a turn whose needs are all cached (or that has none)
        # never opens a database session.
        self.session = db.session
        self.to_send: list[int] = []
        self._callers: dict[tuple, tuple] = {}

    @property
    def redis(self):
        """The fast-failing client, looked up when a need first uses it (it may start the
        embedded server, which must happen inside the view's error handling)."""
        return redis_store.client

    def prefetch(self, session: dict) -> dict:
        """Facts handed to the first `step` so it does not stop to ask for them: the
        municipalities on a first turn (every first turn asks; from the routing cache, plus
        one query on a code shared by several councils) and the categories once the
        municipality is known (the report menu needs them; from the routing cache)."""
        facts: dict = {}
        if not session.get("screen") and session.get("code") is not None:
            facts[("municipalities", session["code"], session["phone"])] = self._municipalities(
                session["code"], session["phone"]
            )
        elif session.get("mid") is not None:
            facts[("categories", session["mid"])] = self._categories(session["mid"])
        return facts

    def resolve(self, need: Need):
        """The answer to one need; writes are idempotent by their key."""
        return getattr(self, "_" + need.kind)(
            *need.args, **({"payload": need.payload} if need.payload else {})
        )

    def _timezone(self, municipality_id: int) -> str:
        m = routing.municipality_info(self.session, municipality_id)
        return m["timezone"] if m else current_app.config["TIMEZONE"]

    # queries
    def _municipalities(self, code: str, phone: str) -> dict:
        choices = routing.municipalities_for_code(self.session, "ussd", code, self.channel)
        ids = [c["id"] for c in choices]
        return {"choices": choices, "remembered": routing.remembered_choice(self.session, phone, ids)}

    def _caller(self, municipality_id: int, phone: str) -> tuple:
        """Resident profile and councillor card, read together (the dial asks for both)."""
        key = (municipality_id, phone)
        if key not in self._callers:
            with db.reader.connect() as connection:
                self._callers[key] = lookup_caller(connection, municipality_id, phone)
        return self._callers[key]

    def _resident(self, municipality_id: int, phone: str):
        return self._caller(municipality_id, phone)[0]

    def _draft(self, municipality_id: int, phone: str):
        return load_draft(self.redis, municipality_id, phone)

    def _categories(self, municipality_id: int):
        return routing.active_categories(self.session, municipality_id)

    def _ward(self, municipality_id: int, number: int):
        return routing.find_ward(self.session, municipality_id, number)

    def _ticket(self, municipality_id: int, reference: str):
        ticket = find_ticket(self.session, municipality_id, reference)
        return ticket_dict(ticket, self._timezone(municipality_id)) if ticket else None

    def _recent_tickets(self, municipality_id: int, phone: str):
        tz = self._timezone(municipality_id)
        return [ticket_dict(t, tz) for t in recent_tickets(self.session, municipality_id, phone)]

    def _outages(self, municipality_id: int, ward_id: int):
        tz = self._timezone(municipality_id)
        return [outage_dict(o, tz) for o in ward_outages(self.session, municipality_id, ward_id)]

    def _similar(self, municipality_id: int, ward_id: int, category_id: int):
        ticket = similar_open_ticket(self.session, municipality_id, ward_id, category_id)
        if ticket is None:
            return None
        return {"id": ticket.id, "reference": ticket.reference, "location": ticket.location}

    # keyed writes
    def _save_profile(self, municipality_id: int, phone: str, field: str, value) -> bool:
        save_profile(self.session, municipality_id, phone, field, value)
        return True

    def _create_ticket(self, source_key: str, payload) -> dict:
        payload = dict(payload)
        municipality = routing.municipality_info(self.session, payload["municipality_id"])
        code = routing.sms_short_code(self.session, payload["municipality_id"])
        for _ in range(REFERENCE_ATTEMPTS):
            try:
                # A clash (key, reference, or a remembered resident row that is gone) is
                # raised by an insert or by the commit: the whole attempt is one unit.
                ticket = create_ticket(self.session, source="ussd", source_key=source_key, **payload)
                message_id = add_confirmation(
                    self.session, ticket, municipality, payload.get("locale"), payload["phone"]
                )
                self.session.commit()
            except IntegrityError:  # a repeated turn or resumed report won, or a reference clashed
                self.session.rollback()
                # The resident row remembered on the dial may be gone: look it up this time.
                payload["resident_id"] = None
                existing = self.session.scalar(select(Ticket).where(Ticket.source_key == source_key))
                if existing is not None:
                    return {"reference": existing.reference, "code": code}
                continue
            self.to_send.append(message_id)
            return {"reference": ticket.reference, "code": code}
        raise RuntimeError("could not create the ticket")

    def _follow_ticket(self, _sid: str, ticket_id: int, payload) -> dict:
        ticket = self.session.get(Ticket, ticket_id)
        add_follower(
            self.session,
            ticket,
            phone=payload["phone"],
            resident_id=payload.get("resident_id"),
            locale=payload.get("locale"),
            actor="ussd",
        )
        self.session.commit()
        return {"reference": ticket.reference}

    # councillors
    def _councillor(self, municipality_id: int, phone: str):
        return self._caller(municipality_id, phone)[1]

    def _check_pin(self, councillor_id: int, _sid: str, _turn, payload) -> str:
        councillor = self.session.get(Councillor, councillor_id)
        if councillor is None or not councillor.active:
            return "wrong"
        return verify_pin(self.session, councillor, payload["pin"])

    def _reach(self, municipality_id: int, ward_id: int) -> int:
        return reach(self.session, municipality_id, [ward_id])

    def _create_broadcast(self, source_key: str, payload) -> dict:
        councillor = self.session.get(Councillor, payload["councillor_id"])
        if councillor is None or not councillor.active:
            return {"status": "limit", "limit": 0}
        count = reach(self.session, councillor.municipality_id, [councillor.ward_id])
        existing = self.session.scalar(select(Broadcast).where(Broadcast.source_key == source_key))
        if existing is not None:
            return {"status": "queued", "count": count}
        limit = int(current_app.config["COUNCILLOR_DAILY_BROADCASTS"])
        timezone = self._timezone(councillor.municipality_id)
        if broadcasts_today(self.session, councillor, timezone) >= limit:
            return {"status": "limit", "limit": limit}
        broadcast = create_broadcast(
            self.session,
            municipality_id=councillor.municipality_id,
            ward_ids=[councillor.ward_id],
            texts={"*": payload["text"]},
            author=councillor.name,
            councillor_id=councillor.id,
            source_key=source_key,
        )
        self.session.commit()
        start(broadcast.id, broadcast.urgent)
        return {"status": "queued", "count": count}
