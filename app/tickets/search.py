"""Finding tickets for a staff list: filters, text search and keyset (cursor) pages.

Pages are ordered by priority (highest first), then newest first; a cursor is the
(priority, id) of the last ticket shown, so a page never repeats or skips a ticket that
keeps its priority while the list is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.models import Category, Ticket, Ward
from app.tickets.references import clean_reference
from app.tickets.states import OPEN, parse_state
from app.vocabulary import TicketStatus

QUERY_MAX = 64
"""The longest text searched for."""


@dataclass(frozen=True)
class TicketFilter:
    """What a list keeps; None: any."""

    state: TicketStatus | str | None = None
    ward_number: int | None = None
    category_code: str | None = None
    department_id: int | None = None
    overdue_at: dt.datetime | None = None
    """Only open tickets due before this moment."""
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    text: str | None = None
    """A part of the reference or of the location."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_tickets(
    session,
    where: ColumnElement[bool],
    filters: TicketFilter,
    *,
    after: tuple[int, int] | None = None,
    limit: int = 50,
) -> list[Ticket]:
    """Up to `limit` tickets matching `where` (the caller's scope) and `filters`, after the
    (priority, id) cursor `after` if given."""
    query = (
        select(Ticket)
        .options(joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.ward))
        .where(where)
    )
    if filters.state is not None:
        state = filters.state if isinstance(filters.state, TicketStatus) else parse_state(filters.state)
        query = query.where(Ticket.status == state)
    if filters.ward_number is not None:
        query = query.where(Ticket.ward_id.in_(select(Ward.id).where(Ward.number == filters.ward_number)))
    if filters.category_code:
        query = query.where(
            Ticket.category_id.in_(
                select(Category.id).where(func.lower(Category.code) == filters.category_code.strip().lower())
            )
        )
    if filters.department_id is not None:
        query = query.where(Ticket.department_id == filters.department_id)
    if filters.overdue_at is not None:
        query = query.where(Ticket.status.in_(OPEN), Ticket.due_at < filters.overdue_at)
    if filters.created_after is not None:
        query = query.where(Ticket.created_at >= filters.created_after)
    if filters.created_before is not None:
        query = query.where(Ticket.created_at < filters.created_before)
    text = " ".join((filters.text or "").split())[:QUERY_MAX]
    if text:
        # Only a text without letters is read as (part of) a reference: "Main Rd 12" is a place.
        reference = "" if any(ch.isalpha() for ch in text) else clean_reference(text)
        conditions = [func.lower(Ticket.location).like(_like(text.lower()), escape="\\")]
        if reference:
            conditions.append(Ticket.reference.like(_like(reference), escape="\\"))
        query = query.where(or_(*conditions))
    if after is not None:
        priority, last_id = after
        query = query.where(
            or_(Ticket.priority < priority, and_(Ticket.priority == priority, Ticket.id < last_id))
        )
    query = query.order_by(Ticket.priority.desc(), Ticket.id.desc()).limit(limit)
    return list(session.scalars(query).unique())
