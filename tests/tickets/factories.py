"""Tickets made as the channels make them (`create_ticket`), on the demo municipalities."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from app.models import Category, Municipality, Ticket, Ward
from app.tickets.service import create_ticket

_keys = itertools.count(1)


def municipality(session, code: str) -> Municipality:
    """A demo municipality by code."""
    return session.scalar(select(Municipality).where(Municipality.code == code))


def report(
    session,
    code: str = "saldanha",
    phone: str = "+27821234567",
    category: str = "water",
    ward: int = 3,
    now: dt.datetime | None = None,
    source: str = "sms",
) -> Ticket:
    """A ticket reported now (or at `now`) by `phone`, flushed, as the ORM row."""
    place = municipality(session, code)
    category_id = session.scalar(
        select(Category.id).where(Category.municipality_id == place.id, Category.code == category)
    )
    ward_id = session.scalar(select(Ward.id).where(Ward.municipality_id == place.id, Ward.number == ward))
    new = create_ticket(
        session,
        source=source,
        source_key=f"{source}:test{next(_keys)}",
        municipality_id=place.id,
        phone=phone,
        category_id=category_id,
        ward_id=ward_id,
        location="Main Rd by the school",
        now=now,
    )
    return session.get(Ticket, new.id)
