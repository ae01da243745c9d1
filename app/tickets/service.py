"""Tickets: faults reported by residents, each with a reference that carries a check digit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.errors import InvalidError, NotFoundError
from app.language.i18n import gettext
from app.language.labels import category_label
from app.models import Resident, Ticket, TicketEvent, TicketFollower, utcnow
from app.outbox.messages import insert_message
from app.places.municipalities import active_categories, get_municipality, municipality_info, sms_short_code
from app.places.residents import get_or_create_resident
from app.tickets.references import clean_reference, is_valid_reference, new_reference
from app.tickets.targets import due_time
from app.tickets.templates import TICKET_CONFIRMATION, TICKET_CONFIRMATION_CODE
from app.vocabulary import FollowerReason, TicketEventKind, TicketStatus

REFERENCE_ATTEMPTS = 3
"""Commits a caller tries before giving up (a reference clash is rare: 10 million of them)."""

RECENT_LIMIT = 5
"""How many of a caller's own tickets "my recent reports" lists."""


class TicketError(InvalidError):
    """A ticket could not be created as asked."""


@dataclass(frozen=True)
class NewTicket:
    """What the caller of `create_ticket` gets back."""

    id: int
    reference: str
    resident_id: int | None
    category_id: int
    due_at: dt.datetime | None = None
    """When its category's service target runs out (None: no target)."""


_INSERT = Ticket.__table__.insert().returning(Ticket.__table__.c.id)
"""A plain insert on the session's connection: half the CPU of the ORM's unit of work, on
the one write of the busiest USSD turn (column defaults still apply)."""
_FOLLOW = TicketFollower.__table__.insert()
"""The reporter as first follower, a plain insert like the ticket's."""
_EVENT = TicketEvent.__table__.insert()
"""The `created` event, a plain insert like the ticket's."""


def create_ticket(
    session,
    *,
    source: str,
    source_key: str,
    municipality_id: int,
    phone: str,
    category_id: int,
    ward_id: int | None,
    location: str,
    locale: str | None = None,
    resident_id: int | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> NewTicket:
    """Insert a ticket in the caller's transaction and return it.

    The ticket goes to its category's department, is due by its category's service target
    (`app.tickets.targets`), has its reporter as first follower and a `created` event by
    `actor` (default: the source). All are plain inserts: this is the write of the busiest
    USSD turn.

    The caller commits it together with what belongs to it (the confirmation SMS, the
    inbound message). The unique `source_key` and `reference` decide the rare clashes,
    raised here as IntegrityError: the USSD resolver rolls back and looks the key up (see
    `REFERENCE_ATTEMPTS`); an SMS command lets it fail the callback with 503, so the
    provider retries the message.

    `resident_id` may be given when the caller already read the resident row and its
    language is set (the USSD session knows both); otherwise the row is found or created
    here and takes `locale` if it has none. The hint is trusted for the few minutes of a
    session because wardlink never deletes resident rows (opt-outs are flags, imports
    upsert); a row deleted by hand fails the foreign key and the resolver looks again.
    """
    category = next((c for c in active_categories(session, municipality_id) if c["id"] == category_id), None)
    if category is None:
        raise TicketError("category does not belong to the municipality", field="category")
    if resident_id is None:
        resident = get_or_create_resident(session, municipality_id, phone)
        if locale and not resident.locale:
            resident.locale = locale
        resident_id = resident.id
    now = now or utcnow()
    place = municipality_info(session, municipality_id)
    due_at = due_time(
        now,
        hours=category.get("target_hours"),
        working_days=category.get("target_working_days"),
        timezone=place["timezone"],
        region=place["region"],
    )
    reference = new_reference()
    # Pending ORM changes (the resident's language) are flushed first, then the inserts.
    session.flush()
    connection = session.connection()
    ticket_id = connection.execute(
        _INSERT,
        {
            "reference": reference,
            "municipality_id": municipality_id,
            "ward_id": ward_id,
            "category_id": category_id,
            "resident_id": resident_id,
            "location": location[:160],
            "source": source,
            "source_key": source_key,
            "department_id": category.get("department_id"),
            "due_at": due_at,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    connection.execute(
        _FOLLOW,
        {
            "ticket_id": ticket_id,
            "resident_id": resident_id,
            "phone": phone,
            "reason": FollowerReason.REPORTER,
            "created_at": now,
        },
    )
    connection.execute(
        _EVENT,
        {
            "ticket_id": ticket_id,
            "kind": TicketEventKind.CREATED,
            "to_state": TicketStatus.RECEIVED,
            "actor": actor or source,
            "created_at": now,
        },
    )
    return NewTicket(ticket_id, reference, resident_id, category_id, due_at)


def find_ticket(session, municipality_id: int, reference: str) -> Ticket | None:
    """A municipality's ticket by reference (another council's tickets are not found)."""
    return session.scalar(
        select(Ticket)
        .options(joinedload(Ticket.category))
        .where(Ticket.reference == reference, Ticket.municipality_id == municipality_id)
    )


def ticket_by_reference(session, municipality: str | None, reference: str) -> Ticket:
    """A municipality's ticket by its reference, as staff type it (spaces and dashes allowed).

    Raises InvalidError (a reference whose check digit is wrong) or NotFoundError, with
    field "reference"; "municipality" errors come from `get_municipality`."""
    place = get_municipality(session, municipality)
    cleaned = clean_reference(reference or "")
    if not cleaned or not is_valid_reference(cleaned):
        raise InvalidError(f"{(reference or '')[:20]!r} is not a ticket reference", field="reference")
    ticket = find_ticket(session, place.id, cleaned)
    if ticket is None:
        raise NotFoundError(f"no ticket {cleaned} in {place.name}", field="reference")
    return ticket


def recent_tickets(session, municipality_id: int, phone: str) -> list[Ticket]:
    """The caller's newest tickets in a municipality."""
    return list(
        session.scalars(
            select(Ticket)
            .options(joinedload(Ticket.category))
            .join(Resident, Resident.id == Ticket.resident_id)
            .where(Resident.phone == phone, Ticket.municipality_id == municipality_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(RECENT_LIMIT)
        )
    )


def local_date(moment: dt.datetime, timezone: str) -> str:
    """A stored UTC time as a date in the municipality's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")


def ticket_dict(ticket: Ticket, timezone: str) -> dict:
    """A ticket as the menus and SMS replies see it."""
    return {
        "reference": ticket.reference,
        "category": {"code": ticket.category.code, "labels": dict(ticket.category.labels or {})},
        "status": ticket.status,
        "updated": local_date(ticket.updated_at, timezone),
    }


def add_confirmation(session, ticket: NewTicket, municipality: dict, locale: str | None, phone: str) -> int:
    """Put the "your report is logged" SMS in the outbox (same transaction as the ticket),
    from the municipality's SMS short code and naming it where it has one.

    `municipality` is `municipalities.municipality_info`; returns the message's id."""
    category = next(
        c for c in active_categories(session, municipality["id"]) if c["id"] == ticket.category_id
    )
    locale = locale or municipality["locales"][0]
    code = sms_short_code(session, municipality["id"])
    text = gettext(
        locale,
        TICKET_CONFIRMATION_CODE if code else TICKET_CONFIRMATION,
        name=municipality["name"],
        reference=ticket.reference,
        category=category_label(locale, category),
        **({"code": code} if code else {}),
    )
    return insert_message(
        session,
        phone=phone,
        text=text,
        purpose="ticket",
        essential=True,
        queue="high",
        municipality_id=municipality["id"],
        resident_id=ticket.resident_id,
        sender_id=code or municipality["sender_id"],  # a short code takes the STATUS reply
    )
