"""Residents: a phone number known to one municipality, with ward, language and alerts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.models import Resident


def find_resident(session, municipality_id: int, phone: str) -> Resident | None:
    """The resident row of `phone` in a municipality, or None."""
    return session.scalar(
        select(Resident)
        .options(joinedload(Resident.ward))
        .where(Resident.municipality_id == municipality_id, Resident.phone == phone)
    )


def get_or_create_resident(session, municipality_id: int, phone: str) -> Resident:
    """The resident row, created on first contact (safe when two requests race)."""
    resident = find_resident(session, municipality_id, phone)
    if resident is not None:
        return resident
    try:
        with session.begin_nested():
            resident = Resident(municipality_id=municipality_id, phone=phone)
            session.add(resident)
    except IntegrityError:
        resident = find_resident(session, municipality_id, phone)
    return resident


PROFILE_FIELDS = {"locale": "locale", "ward": "ward_id", "subscribed": "subscribed", "known": None}
"""Profile fields the menus may change, and their columns ("known" only creates the row)."""


def save_profile(session, municipality_id: int, phone: str, field: str, value) -> None:
    """Set one profile field (idempotent) and commit."""
    if field not in PROFILE_FIELDS:
        raise ValueError(f"unknown profile field {field!r}")
    resident = get_or_create_resident(session, municipality_id, phone)
    column = PROFILE_FIELDS[field]
    if column is not None:
        setattr(resident, column, value)
    session.commit()
