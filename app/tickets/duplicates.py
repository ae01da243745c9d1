"""Duplicate reports: the open ticket a new report is probably about, and the residents who
join it instead of filing another ("Already reported: burst pipe, Oak St.").

A resident added to a ticket follows it (they get its updates like its reporter) and
counts as a confirmation for staff: a `confirmed` event in its history, and
`confirmations` counts them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.phones import mask_phone
from app.models import Ticket, TicketFollower, utcnow
from app.places.municipalities import active_categories
from app.places.residents import get_or_create_resident
from app.tickets.lifecycle import record_event
from app.tickets.states import OPEN
from app.vocabulary import FollowerReason, TicketEventKind

DEFAULT_WINDOW_HOURS = 48
"""How far back a report looks for the same fault when its category does not say."""


def similar_open_ticket(
    session,
    municipality_id: int,
    ward_id: int | None,
    category_id: int,
    now: dt.datetime | None = None,
) -> Ticket | None:
    """The newest open ticket of `category_id` in `ward_id` logged within the category's
    `duplicate_window_hours` before `now` (0: the category never matches), or None.

    One query on `ix_tickets_similar` (the window comes from the cached categories): it
    runs on the USSD report path, between two screens."""
    if ward_id is None:
        return None
    category = next((c for c in active_categories(session, municipality_id) if c["id"] == category_id), None)
    if category is None:
        return None
    hours = category.get("duplicate_window_hours")
    hours = DEFAULT_WINDOW_HOURS if hours is None else hours
    if hours <= 0:
        return None
    now = now or utcnow()
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.municipality_id == municipality_id,
            Ticket.ward_id == ward_id,
            Ticket.category_id == category_id,
            Ticket.created_at >= now - dt.timedelta(hours=hours),
            Ticket.status.in_(OPEN),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def add_follower(
    session,
    ticket: Ticket,
    *,
    phone: str,
    resident_id: int | None = None,
    locale: str | None = None,
    reason: FollowerReason = FollowerReason.ADDED,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> bool:
    """Make the resident with `phone` (their row is found or created, and takes `locale` if
    it has none; `resident_id` when the caller knows it) follow `ticket`. True when they
    were added, False when they already followed it (reporter, earlier confirmation):
    adding twice has one effect.

    A resident `added` this way confirms the fault: the ticket gets a `confirmed` event
    by `actor`. The caller commits."""
    if resident_id is None:
        resident = get_or_create_resident(session, ticket.municipality_id, phone)
        if locale and not resident.locale:
            resident.locale = locale
        resident_id = resident.id
    already = select(TicketFollower.id).where(
        TicketFollower.ticket_id == ticket.id, TicketFollower.resident_id == resident_id
    )
    if session.scalar(already) is not None:
        return False
    now = now or utcnow()
    try:
        with session.begin_nested():  # a parallel request added them first: not twice
            session.add(
                TicketFollower(
                    ticket_id=ticket.id, resident_id=resident_id, phone=phone, reason=reason, created_at=now
                )
            )
    except IntegrityError:
        return False
    if reason == FollowerReason.ADDED:
        record_event(
            session,
            ticket,
            TicketEventKind.CONFIRMED,
            actor=actor,
            internal_note=f"reported again by {mask_phone(phone)}; now a follower",
            now=now,
        )
    return True


def confirmations(session, ticket: Ticket) -> int:
    """How many residents reported a ticket's fault again and follow it."""
    return session.scalar(
        select(func.count())
        .select_from(TicketFollower)
        .where(TicketFollower.ticket_id == ticket.id, TicketFollower.reason == FollowerReason.ADDED)
    )
