"""Departments of a municipality: they own categories and work the tickets of them; their
supervisor is told by SMS when a ticket is overdue."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.phones import PhoneError, normalise_phone
from app.errors import InvalidError, NotFoundError
from app.models import Department, Municipality
from app.places.municipalities import get_municipality

NAME_MAX = 80
"""The longest department name."""


def clean_name(name: str | None) -> str:
    """A department name with its spaces tidied (InvalidError, field "name", when empty or long)."""
    cleaned = " ".join((name or "").split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise InvalidError(f"a department name has 1 to {NAME_MAX} characters", field="name")
    return cleaned


def find_department(session, municipality_id: int, name: str) -> Department | None:
    """A municipality's department by name, in any case."""
    return session.scalar(
        select(Department).where(
            Department.municipality_id == municipality_id,
            func.lower(Department.name) == " ".join((name or "").split()).lower(),
        )
    )


def department_named(session, municipality: Municipality, name: str) -> Department:
    """A municipality's department by name (NotFoundError, field "department")."""
    found = find_department(session, municipality.id, name)
    if found is None:
        raise NotFoundError(f"no department {name!r} in {municipality.name}", field="department")
    return found


def save_department(
    session,
    municipality: Municipality,
    name: str,
    *,
    supervisor_name: str | None = None,
    supervisor_phone: str | None = None,
) -> tuple[Department, bool]:
    """Add a department, or update the supervisor of the one with this name; returns it and
    whether it was created. The phone is read with the municipality's region (E.164 stored).
    Flushes; the caller commits."""
    name = clean_name(name)
    phone = None
    if supervisor_phone:
        try:
            phone = normalise_phone(supervisor_phone, municipality.region)
        except PhoneError:
            raise InvalidError(
                f"the supervisor's phone is not a number usable in {municipality.region}",
                field="supervisor_phone",
            ) from None
    supervisor = " ".join((supervisor_name or "").split())[:120] or None
    department = find_department(session, municipality.id, name)
    created = department is None
    if created:
        department = Department(municipality_id=municipality.id, name=name)
        session.add(department)
    department.supervisor_name, department.supervisor_phone = supervisor, phone
    session.flush()
    return department, created


def add_department(session, municipality: str | None, name: str, **supervisor) -> tuple[Department, bool]:
    """`save_department` for a municipality named by its code (the CLI's and API's entry)."""
    return save_department(session, get_municipality(session, municipality), name, **supervisor)


def list_departments(session, municipality: str | None) -> tuple[Municipality, list[Department]]:
    """A municipality's departments by name."""
    place = get_municipality(session, municipality)
    found = session.scalars(
        select(Department).where(Department.municipality_id == place.id).order_by(Department.name)
    ).all()
    return place, list(found)
