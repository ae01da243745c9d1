"""What staff do to a ticket: move it through its states, note, assign, merge, and log one
for a caller. Each change is a ticket event; the caller commits.

Every event goes through `record_event`, which calls each function of `CHANGE_LISTENERS`
with (session, ticket, event) inside the same transaction: the place where the citizen's
SMS about a change will be written to the outbox, so the SMS exists exactly when the change
does (see the README's "Tickets" section).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.core.db import on_commit
from app.core.phones import PhoneError, normalise_phone
from app.errors import ConflictError, InvalidError, NotFoundError
from app.models import (
    Category,
    Department,
    Resident,
    StaffRoleGrant,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketFollower,
    UTCDateTime,
    utcnow,
)
from app.outbox.messages import dispatch
from app.places.municipalities import find_ward, get_municipality, municipality_info
from app.tickets.notifications import notify_followers
from app.tickets.references import clean_reference, is_valid_reference
from app.tickets.service import (
    REFERENCE_ATTEMPTS,
    NewTicket,
    add_confirmation,
    create_ticket,
    ticket_by_reference,
)
from app.tickets.states import CLOSED, NEEDS_REASON, OPEN, check_move, parse_state
from app.tickets.targets import due_time
from app.vocabulary import FollowerReason, StaffRole, TicketEventKind, TicketSource, TicketStatus

ChangeListener = Callable[[object, Ticket, TicketEvent], None]
"""Called as listener(session, ticket, event) for every event, inside its transaction."""

CHANGE_LISTENERS: tuple[ChangeListener, ...] = (notify_followers,)
"""Who hears of every ticket event (the citizen notifier goes here). A listener adds rows
in the session (outbox messages) and queues work with `app.core.db.on_commit`; it must not
commit, and an exception it raises refuses the change."""

PUBLIC_NOTE_MAX = 300
"""A public note may be sent to the reporters: a few lines, not a letter."""
INTERNAL_NOTE_MAX = 2000
"""An internal note stays with staff."""
REASON_MAX = 200
"""A rejection's reason (kept on the ticket, told to the reporters)."""
ACTOR_MAX = 64
"""The length of the actor column ("user:12", "cli", "sms", "system")."""
REOPEN_PRIORITY = 1
"""How much a reopening raises a ticket's priority (an unfixed fault goes to the top)."""
LOCATION_MIN = 3
"""A location staff type for a caller must say something."""
ON_BEHALF = (TicketSource.PHONE, TicketSource.COUNTER)
"""The channels staff log tickets through for residents."""


def _text(value: str | None, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidError(f"{field.replace('_', ' ')} is longer than {limit} characters", field=field)
    return text or None


def _actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > ACTOR_MAX:
        raise InvalidError(f"the actor is empty or longer than {ACTOR_MAX} characters", field="actor")
    return actor


def record_event(
    session,
    ticket: Ticket,
    kind: TicketEventKind,
    *,
    actor: str,
    from_state: TicketStatus | None = None,
    to_state: TicketStatus | None = None,
    public_note: str | None = None,
    internal_note: str | None = None,
    now: dt.datetime | None = None,
) -> TicketEvent:
    """Add an event to a ticket's history and tell `CHANGE_LISTENERS`; returns it (flushed)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        public_note=public_note,
        internal_note=internal_note,
        actor=_actor(actor),
        created_at=now or utcnow(),
    )
    session.add(event)
    session.flush()
    for listener in CHANGE_LISTENERS:
        listener(session, ticket, event)
    return event


def _move(session, ticket: Ticket, current: TicketStatus, to: TicketStatus, now: dt.datetime) -> None:
    """Set the state only if nobody moved the ticket since it was read (ConflictError, code
    `stale`, otherwise): two staff, or a citizen's reply and a staff move, never both win."""
    moved = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == current)
        .values(status=to, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        session.refresh(ticket)
        raise ConflictError(
            f"ticket {ticket.reference} was changed meanwhile (it is now {ticket.status})",
            code="stale",
            field="to",
        )
    set_committed_value(ticket, "status", to)
    set_committed_value(ticket, "updated_at", now)


def _due_again(session, ticket: Ticket, now: dt.datetime) -> dt.datetime | None:
    category = session.get(Category, ticket.category_id)
    place = municipality_info(session, ticket.municipality_id)
    return due_time(
        now,
        hours=category.target_hours,
        working_days=category.target_working_days,
        timezone=place["timezone"],
        region=place["region"],
    )


def transition(
    session,
    ticket: Ticket,
    to: TicketStatus | str,
    *,
    actor: str,
    public_note: str | None = None,
    internal_note: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> TicketEvent:
    """Move a ticket to state `to` and return the `state` event that records it.

    Illegal moves (see `app.tickets.states.MOVES`) raise ConflictError with code
    `illegal_transition`; `rejected` needs a `reason` (InvalidError, code
    `reason_required`), which the event carries as its public note unless one is given.
    Resolving stamps `resolved_at`; closing, rejecting stamp `closed_at`; reopening raises
    the priority, clears both and starts a new service target (and escalation) from now.
    """
    target = to if isinstance(to, TicketStatus) else parse_state(to)
    current = TicketStatus(ticket.status)
    check_move(current, target)
    public_note = _text(public_note, PUBLIC_NOTE_MAX, "public_note")
    internal_note = _text(internal_note, INTERNAL_NOTE_MAX, "internal_note")
    reason = _text(reason, REASON_MAX, "reason")
    if target in NEEDS_REASON and not reason:
        raise InvalidError(f"say why the ticket is {target}", code="reason_required", field="reason")
    actor = _actor(actor)
    now = now or utcnow()
    _move(session, ticket, current, target, now)
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if target in CLOSED:
        ticket.closed_at = now
    if target == TicketStatus.REJECTED:
        ticket.rejection_reason = reason
    if target == TicketStatus.REOPENED:
        ticket.priority = (ticket.priority or 0) + REOPEN_PRIORITY
        ticket.resolved_at = ticket.closed_at = ticket.rejection_reason = None
        ticket.due_at = _due_again(session, ticket, now)
        ticket.escalation_level = 0
    return record_event(
        session,
        ticket,
        TicketEventKind.STATE,
        actor=actor,
        from_state=current,
        to_state=target,
        public_note=public_note or (reason if target == TicketStatus.REJECTED else None),
        internal_note=internal_note,
        now=now,
    )


def add_note(
    session,
    ticket: Ticket,
    *,
    actor: str,
    public_note: str | None = None,
    internal_note: str | None = None,
    now: dt.datetime | None = None,
) -> TicketEvent:
    """Note something on a ticket without moving it: a `public_note` event when there is a
    public note (the reporters may be told), else an `internal_note` one."""
    public_note = _text(public_note, PUBLIC_NOTE_MAX, "public_note")
    internal_note = _text(internal_note, INTERNAL_NOTE_MAX, "internal_note")
    if not public_note and not internal_note:
        raise InvalidError("the note is empty", field="public_note")
    kind = TicketEventKind.PUBLIC_NOTE if public_note else TicketEventKind.INTERNAL_NOTE
    return record_event(
        session, ticket, kind, actor=actor, public_note=public_note, internal_note=internal_note, now=now
    )


def _works_for(session, user_id: int, municipality_id: int) -> bool:
    """An active staff user with a role in the municipality (or across the platform)."""
    return (
        session.scalar(
            select(StaffUser.id)
            .join(StaffRoleGrant, StaffRoleGrant.user_id == StaffUser.id)
            .where(
                StaffUser.id == user_id,
                StaffUser.active.is_(True),
                (StaffRoleGrant.municipality_id == municipality_id)
                | (StaffRoleGrant.role == StaffRole.PLATFORM),
            )
            .limit(1)
        )
        is not None
    )


def assign(
    session,
    ticket: Ticket,
    *,
    department_id: int | None = None,
    user_id: int | None = None,
    actor: str,
    now: dt.datetime | None = None,
) -> TicketEvent:
    """Give a ticket to a department of its municipality and/or a staff user (by id); an
    `assigned` event records it. A finished ticket (closed, rejected, merged) is not assigned."""
    if department_id is None and user_id is None:
        raise InvalidError("name a department or a person to assign the ticket to", field="department")
    if ticket.status in CLOSED:
        raise ConflictError(f"ticket {ticket.reference} is {ticket.status}", code="ticket_closed")
    done = []
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or department.municipality_id != ticket.municipality_id:
            raise NotFoundError("no such department in the ticket's municipality", field="department")
        ticket.department_id = department.id
        done.append(f"department {department.name}")
    if user_id is not None:
        if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
            raise InvalidError("a user is named by their id", field="user")
        if not _works_for(session, user_id, ticket.municipality_id):
            raise NotFoundError("no such active staff user in the ticket's municipality", field="user")
        ticket.assignee_user_id = user_id
        done.append(f"user:{user_id}")
    return record_event(
        session, ticket, TicketEventKind.ASSIGNED, actor=actor, internal_note="to " + ", ".join(done), now=now
    )


def merge(
    session, ticket: Ticket, into: Ticket, *, actor: str, now: dt.datetime | None = None
) -> TicketEvent:
    """Merge `ticket` into `into`: it becomes `duplicate` (pointing at `into`), its followers
    follow `into` too, and both get a `merged` event; returns the merged ticket's event.

    Both must be open tickets of one municipality (another council's ticket is not found)."""
    if ticket.id == into.id:
        raise InvalidError("a ticket cannot be merged into itself", field="into")
    if ticket.municipality_id != into.municipality_id:
        raise NotFoundError(f"no ticket {into.reference} in the ticket's municipality", field="into")
    current = TicketStatus(ticket.status)
    if current not in OPEN:
        raise ConflictError(
            f"a ticket cannot go from {current} to duplicate: only an open ticket is merged",
            code="illegal_transition",
            field="to",
        )
    if into.status not in OPEN:
        raise ConflictError(
            f"ticket {into.reference} is {into.status}: merge into an open ticket",
            code="illegal_transition",
            field="into",
        )
    actor = _actor(actor)
    now = now or utcnow()
    _move(session, ticket, current, TicketStatus.DUPLICATE, now)
    ticket.merged_into_id = into.id
    ticket.closed_at = now
    already = select(TicketFollower.resident_id).where(TicketFollower.ticket_id == into.id)
    # Counted from RETURNING: drivers disagree on the rowcount of INSERT ... SELECT.
    moved = len(
        session.execute(
            insert(TicketFollower)
            .from_select(
                ["ticket_id", "resident_id", "phone", "reason", "created_at"],
                select(
                    literal(into.id),
                    TicketFollower.resident_id,
                    TicketFollower.phone,
                    literal(FollowerReason.MERGED.value),
                    literal(now, UTCDateTime()),
                ).where(TicketFollower.ticket_id == ticket.id, TicketFollower.resident_id.not_in(already)),
            )
            .returning(TicketFollower.id)
        ).all()
    )
    record_event(
        session,
        into,
        TicketEventKind.MERGED,
        actor=actor,
        internal_note=f"{ticket.reference} merged into it; {moved} follower(s) added",
        now=now,
    )
    return record_event(
        session,
        ticket,
        TicketEventKind.MERGED,
        actor=actor,
        from_state=current,
        to_state=TicketStatus.DUPLICATE,
        internal_note=f"merged into {into.reference}",
        now=now,
    )


def ticket_for_staff(session, municipality: str | None, reference: str) -> Ticket:
    """A ticket by reference as staff type it: within `municipality` when named, else in
    any municipality (references are unique across the deployment). InvalidError /
    NotFoundError with field "reference"."""
    if municipality:
        return ticket_by_reference(session, municipality, reference)
    cleaned = clean_reference(reference or "")
    if not is_valid_reference(cleaned):
        raise InvalidError(f"{(reference or '')[:20]!r} is not a ticket reference", field="reference")
    ticket = session.scalar(select(Ticket).where(Ticket.reference == cleaned))
    if ticket is None:
        raise NotFoundError(f"no ticket {cleaned}", field="reference")
    return ticket


def followers(session, ticket: Ticket) -> list[TicketFollower]:
    """Who follows a ticket, its reporter first."""
    return list(
        session.scalars(
            select(TicketFollower).where(TicketFollower.ticket_id == ticket.id).order_by(TicketFollower.id)
        )
    )


def events(session, ticket: Ticket) -> list[TicketEvent]:
    """A ticket's history, oldest first."""
    return list(
        session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.created_at, TicketEvent.id)
        )
    )


def create_on_behalf(
    session,
    municipality: str | None,
    *,
    phone: str,
    ward_number: int | str,
    category_code: str,
    location: str,
    channel: str,
    actor: str,
    locale: str | None = None,
    key: str | None = None,
    now: dt.datetime | None = None,
) -> NewTicket:
    """Log a ticket for a resident who phoned or came to a counter (`channel` `phone` or
    `counter`): the same reference and confirmation SMS as a USSD report, in the resident's
    language (or `locale`). The SMS is queued once the caller commits.

    `key` makes a retried request find the ticket it made instead of a second one. Raises
    InvalidError / NotFoundError with the field at fault."""
    if channel not in ON_BEHALF:
        raise InvalidError("the channel is phone or counter", field="channel")
    place = get_municipality(session, municipality)
    try:
        e164 = normalise_phone(phone, place.region)
    except PhoneError:
        raise InvalidError(f"not a phone number usable in {place.region}", field="phone") from None
    if locale is not None and locale not in place.locale_list:
        raise InvalidError(f"{place.name} offers {', '.join(place.locale_list)}", field="locale")
    try:
        number = int(str(ward_number).strip().lstrip("#"))
    except ValueError:
        raise InvalidError(f"{ward_number!r} is not a ward number", field="ward") from None
    ward = find_ward(session, place.id, number)
    if ward is None:
        raise NotFoundError(f"no ward {number} in {place.name}", field="ward")
    category = session.scalar(
        select(Category).where(
            Category.municipality_id == place.id,
            Category.active.is_(True),
            func.lower(Category.code) == (category_code or "").strip().lower(),
        )
    )
    if category is None:
        raise NotFoundError(f"no category {category_code!r} in {place.name}", field="category")
    where = " ".join((location or "").split())
    if not LOCATION_MIN <= len(where) <= 160:
        raise InvalidError(f"the location has {LOCATION_MIN} to 160 characters", field="location")
    source_key = f"{channel}:{key}" if key else f"{channel}:{uuid.uuid4().hex}"
    existing = session.scalar(select(Ticket).where(Ticket.source_key == source_key)) if key else None
    if existing is not None:
        return NewTicket(
            existing.id, existing.reference, existing.resident_id, existing.category_id, existing.due_at
        )
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with session.begin_nested():  # a reference clash rolls back this attempt only
                ticket = create_ticket(
                    session,
                    source=channel,
                    source_key=source_key,
                    municipality_id=place.id,
                    phone=e164,
                    category_id=category.id,
                    ward_id=ward["id"],
                    location=where,
                    locale=locale,
                    actor=actor,
                    now=now,
                )
            break
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    resident = session.get(Resident, ticket.resident_id)
    message_id = add_confirmation(
        session, ticket, municipality_info(session, place.id), locale or resident.locale, e164
    )
    on_commit(session, lambda: dispatch([message_id]))
    return ticket


def find_tickets(
    session,
    municipality_id: int,
    *,
    state: TicketStatus | str | None = None,
    overdue_at: dt.datetime | None = None,
    limit: int = 100,
) -> list[Ticket]:
    """A municipality's tickets, highest priority then newest first; `overdue_at` keeps the
    open ones due before that moment, most overdue first."""
    query = (
        select(Ticket)
        .options(joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.ward))
        .where(Ticket.municipality_id == municipality_id)
    )
    if state is not None:
        query = query.where(
            Ticket.status == (state if isinstance(state, TicketStatus) else parse_state(state))
        )
    if overdue_at is not None:
        query = query.where(Ticket.status.in_(OPEN), Ticket.due_at < overdue_at).order_by(
            Ticket.priority.desc(), Ticket.due_at, Ticket.id
        )
    else:
        query = query.order_by(Ticket.priority.desc(), Ticket.created_at.desc(), Ticket.id.desc())
    return list(session.scalars(query.limit(limit)))


def overdue(session, municipality_id: int, now: dt.datetime, limit: int = 500) -> list[Ticket]:
    """A municipality's open tickets past their due time at `now`, highest priority first."""
    return find_tickets(session, municipality_id, overdue_at=now, limit=limit)
