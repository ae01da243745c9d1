"""The citizen hears back: one SMS to every follower of a ticket for each change that
matters to them, in each follower's language, through the outbox.

`notify_followers` is a `lifecycle.CHANGE_LISTENERS` function, called inside the change's
transaction: the SMS exist exactly when the change does, and are queued once it commits.
Where the municipality has an SMS short code they go out from it, so a reply (STATUS, or
the answer to "Is it fixed?") reaches us; the resolved SMS names it.

What is told: acknowledged (with the expected date, in the municipality's time zone, when
the ticket has a due time), in progress with a public note (a public note on a ticket in
progress too), resolved (with "Is it fixed?", which opens a `TicketQuestion` per follower's
phone), rejected (with the reason), merged into another ticket. Nothing else is sent.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.config import SUPPORTED_LOCALES
from app.core.db import on_commit
from app.language.gsm import count_segments, gsm_length, to_gsm
from app.language.i18n import gettext
from app.language.labels import category_label
from app.models import Resident, Ticket, TicketEvent, TicketFollower, TicketQuestion
from app.outbox.messages import add_message, dispatch
from app.places.municipalities import municipality_info, sms_short_code
from app.tickets.templates import (
    ACKNOWLEDGED,
    ACKNOWLEDGED_DUE,
    IN_PROGRESS,
    MERGED,
    REJECTED,
    RESOLVED,
    RESOLVED_CODE,
)
from app.vocabulary import MessagePurpose, QuestionEnd, TicketEventKind, TicketStatus

SEGMENT = 160
"""One GSM-7 SMS: every notice fits it, a note is cut to what the sentence leaves."""
NOTE_MIN = 50
"""The room a note (public note, rejection reason) has at least, in every language with the
longest values (tests check it); in English it gets about 80 characters."""
ELLIPSIS = "..."
"""Ends a note that was cut."""
DATE_FORMAT = "%Y-%m-%d"
"""The expected date, as the USSD ticket screen shows dates."""


def follower_locale(locale: str | None, place: dict) -> str:
    """A follower's language: their own when set and known, else the municipality's first."""
    return locale if locale in SUPPORTED_LOCALES else place["locales"][0]


def fit_note(render, note: str) -> str:
    """`render(note)` as GSM-7 in one segment, cutting `note` (with an ellipsis) as needed."""
    note = " ".join(to_gsm(note or "").split())
    text = to_gsm(render(note))
    if count_segments(text).segments == 1 and gsm_length(text) <= SEGMENT:
        return text
    room = SEGMENT - gsm_length(to_gsm(render(""))) - len(ELLIPSIS)
    cut = note[: max(room, 0)]
    while cut:
        text = to_gsm(render(cut.rstrip() + ELLIPSIS))
        if gsm_length(text) <= SEGMENT:
            return text
        cut = cut[:-1]  # an extension character (e.g. '[') counts twice
    return to_gsm(render(ELLIPSIS))


def _notice(ticket: Ticket, event: TicketEvent, code: str | None) -> tuple[str, str | None] | None:
    """(template, note) for an event the followers hear of, or None."""
    if event.kind == TicketEventKind.STATE:
        to = event.to_state
        if to == TicketStatus.ACKNOWLEDGED:
            return (ACKNOWLEDGED_DUE if ticket.due_at else ACKNOWLEDGED), None
        if to == TicketStatus.IN_PROGRESS and event.public_note:
            return IN_PROGRESS, event.public_note
        if to == TicketStatus.RESOLVED:
            return (RESOLVED_CODE if code else RESOLVED), None
        if to == TicketStatus.REJECTED:
            return REJECTED, event.public_note or ticket.rejection_reason or ""
    if event.kind == TicketEventKind.PUBLIC_NOTE and ticket.status == TicketStatus.IN_PROGRESS:
        return IN_PROGRESS, event.public_note
    if event.kind == TicketEventKind.MERGED and event.to_state == TicketStatus.DUPLICATE:
        return MERGED, None
    return None


def close_open_questions(session, ticket_id: int, reason: QuestionEnd) -> int:
    """End every open "Is it fixed?" question of a ticket; returns how many."""
    return session.execute(
        update(TicketQuestion)
        .where(TicketQuestion.ticket_id == ticket_id, TicketQuestion.closed_reason.is_(None))
        .values(closed_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount


def notify_followers(session, ticket: Ticket, event: TicketEvent) -> None:
    """Tell every follower of `ticket` about `event` if it matters to them (see the module)."""
    if event.kind == TicketEventKind.STATE and event.to_state != TicketStatus.RESOLVED:
        close_open_questions(session, ticket.id, QuestionEnd.MOVED_ON)
    code = sms_short_code(session, ticket.municipality_id)
    notice = _notice(ticket, event, code)
    if notice is None:
        return
    template, note = notice
    place = municipality_info(session, ticket.municipality_id)
    params = {"reference": ticket.reference}
    if code:
        params["code"] = code
    if ticket.due_at is not None:
        params["date"] = ticket.due_at.astimezone(ZoneInfo(place["timezone"])).strftime(DATE_FORMAT)
    if template == MERGED:
        params["into"] = session.scalar(select(Ticket.reference).where(Ticket.id == ticket.merged_into_id))
    category = {"code": ticket.category.code, "labels": dict(ticket.category.labels or {})}
    rows = session.execute(
        select(TicketFollower.phone, TicketFollower.resident_id, Resident.locale)
        .join(Resident, Resident.id == TicketFollower.resident_id)
        .where(TicketFollower.ticket_id == ticket.id)
        .order_by(TicketFollower.id)
    ).all()
    messages, asked = [], set()
    for phone, resident_id, locale in rows:
        if phone in asked:
            continue  # one SMS per phone, whatever rows name it
        asked.add(phone)
        locale = follower_locale(locale, place)
        values = {**params, "category": category_label(locale, category)}
        text = fit_note(lambda n, lc=locale, v=values: gettext(lc, template, **v, note=n), note or "")
        messages.append(
            add_message(
                session,
                phone=phone,
                text=text,
                purpose=MessagePurpose.TICKET_UPDATE,
                essential=True,  # about the resident's own report, like the confirmation
                queue="high",
                municipality_id=ticket.municipality_id,
                resident_id=resident_id,
                sender_id=code or place["sender_id"],
            )
        )
        if template in (RESOLVED, RESOLVED_CODE):
            session.add(TicketQuestion(ticket_id=ticket.id, phone=phone, asked_at=event.created_at))
    if messages:
        session.flush()
        ids = [m.id for m in messages]
        on_commit(session, lambda: dispatch(ids, queue="high"))
