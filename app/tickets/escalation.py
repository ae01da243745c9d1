"""Overdue tickets are told upwards, once per level: at its due time to the supervisor of the
ticket's department (level 1), one more service target later to the councillor of its ward
(level 2). Each is an SMS through the outbox and an `escalated` event.

The reaper runs `escalate_overdue` every minute (`workers/reaper.py`). A level is claimed by
a conditional UPDATE of the ticket before its SMS is written, so two runs never send one
level twice. A ticket past both times (after downtime) is told to both in one run.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.core.db import on_commit
from app.language.i18n import gettext
from app.language.labels import category_label
from app.models import Councillor, Ticket
from app.outbox.messages import add_message, dispatch
from app.places.municipalities import municipality_info
from app.tickets.lifecycle import record_event
from app.tickets.states import OPEN
from app.tickets.targets import due_time
from app.tickets.templates import OVERDUE_COUNCILLOR, OVERDUE_SUPERVISOR
from app.vocabulary import MessagePurpose, TicketEventKind

TOP_LEVEL = 2
"""Level 1: the department's supervisor; level 2: the ward councillor."""
BATCH = 500
"""Tickets escalated per run at most (the next run takes the rest)."""
ACTOR = "system"
"""Who the escalation events name."""
DUE_FORMAT = "%Y-%m-%d %H:%M"
"""The due time in the SMS, in the municipality's local time."""


def escalation_times(ticket: Ticket, timezone: str, region: str) -> dict[int, dt.datetime]:
    """When each level is due: level 1 at the ticket's due time, level 2 one service target
    later (the category's target counted again from the due time)."""
    category = ticket.category
    second = due_time(
        ticket.due_at,
        hours=category.target_hours,
        working_days=category.target_working_days,
        timezone=timezone,
        region=region,
    )
    if second is None:  # the category lost its target since: the same span once more
        second = ticket.due_at + (ticket.due_at - ticket.created_at)
    return {1: ticket.due_at, 2: second}


def _claim(session, ticket: Ticket, level: int) -> bool:
    """Raise the ticket's level from level-1 to `level`, unless another run did."""
    claimed = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.escalation_level == level - 1)
        # Not a change a resident sees: "Updated" on their screen stays as it was.
        .values(escalation_level=level, updated_at=Ticket.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        set_committed_value(ticket, "escalation_level", level)
    return claimed == 1


def _recipients(session, ticket: Ticket, level: int) -> tuple[list[str], str]:
    """The phones to tell at `level`, and how the event names them (or why nobody)."""
    if level == 1:
        department = ticket.department
        if department is None:
            return [], "overdue; no department to tell"
        if not department.supervisor_phone:
            return [], f"overdue; {department.name} has no supervisor phone"
        who = department.supervisor_name or "the supervisor"
        return [department.supervisor_phone], f"overdue; {who} of {department.name} told by SMS"
    if ticket.ward_id is None:
        return [], "still overdue; no ward, so no councillor to tell"
    phones = list(
        session.scalars(
            select(Councillor.phone)
            .where(Councillor.ward_id == ticket.ward_id, Councillor.active.is_(True))
            .order_by(Councillor.id)
        )
    )
    number = ticket.ward.number
    if not phones:
        return [], f"still overdue; ward {number} has no active councillor"
    return phones, f"still overdue; the councillor(s) of ward {number} told by SMS"


def _text(ticket: Ticket, level: int, place: dict) -> str:
    locale = place["locales"][0]
    category = {"code": ticket.category.code, "labels": dict(ticket.category.labels or {})}
    return gettext(
        locale,
        OVERDUE_SUPERVISOR if level == 1 else OVERDUE_COUNCILLOR,
        reference=ticket.reference,
        category=category_label(locale, category),
        ward=ticket.ward.number if ticket.ward is not None else "-",
        due=ticket.due_at.astimezone(ZoneInfo(place["timezone"])).strftime(DUE_FORMAT),
    )


def escalate_overdue(session, now: dt.datetime) -> int:
    """Tell the next level about every open ticket whose escalation time has come; returns
    how many levels were escalated. The SMS are queued once the caller commits."""
    tickets = session.scalars(
        select(Ticket)
        .options(joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.ward))
        .where(Ticket.status.in_(OPEN), Ticket.due_at <= now, Ticket.escalation_level < TOP_LEVEL)
        .order_by(Ticket.due_at, Ticket.id)
        .limit(BATCH)
    ).all()
    messages = []
    escalated = 0
    for ticket in tickets:
        place = municipality_info(session, ticket.municipality_id)
        times = escalation_times(ticket, place["timezone"], place["region"])
        for level in range(ticket.escalation_level + 1, TOP_LEVEL + 1):
            if now < times[level] or not _claim(session, ticket, level):
                break
            phones, note = _recipients(session, ticket, level)
            text = _text(ticket, level, place) if phones else None
            for phone in phones:
                messages.append(
                    add_message(
                        session,
                        phone=phone,
                        text=text,
                        purpose=MessagePurpose.ESCALATION,
                        essential=True,  # work, not marketing: an opted-out resident is still staff
                        municipality_id=ticket.municipality_id,
                        sender_id=place["sender_id"],
                    )
                )
            record_event(
                session,
                ticket,
                TicketEventKind.ESCALATED,
                actor=ACTOR,
                internal_note=f"level {level}: {note}",
                now=now,
            )
            escalated += 1
    if messages:
        session.flush()
        ids = [m.id for m in messages]
        on_commit(session, lambda: dispatch(ids))
    return escalated
