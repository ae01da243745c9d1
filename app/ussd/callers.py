"""Who is calling: the resident row and the councillor card of a number, read on every dial.

One statement answers both (the municipality's row joined to either), on a lookup
connection outside the session's transaction (`db.reader`): on PostgreSQL that connection
commits each statement, so the dial's lookups are one round trip instead of four (BEGIN,
two SELECTs, ROLLBACK); on SQLite it is one statement instead of two.
"""

from __future__ import annotations

from sqlalchemy import String, and_, bindparam, select

from app.models import Councillor, Municipality, Resident, Ward

_phone = bindparam("phone", type_=String)
_resident_ward = Ward.__table__.alias("resident_ward")
_councillor_ward = Ward.__table__.alias("councillor_ward")

_CALLER = (
    select(
        Resident.id,
        Resident.locale,
        Resident.subscribed,
        _resident_ward.c.id,
        _resident_ward.c.number,
        _resident_ward.c.name,
        Councillor.id,
        Councillor.name,
        _councillor_ward.c.id,
        _councillor_ward.c.number,
        _councillor_ward.c.name,
    )
    .select_from(Municipality)
    .outerjoin(Resident, and_(Resident.municipality_id == Municipality.id, Resident.phone == _phone))
    .outerjoin(_resident_ward, _resident_ward.c.id == Resident.ward_id)
    .outerjoin(
        Councillor,
        and_(
            Councillor.municipality_id == Municipality.id,
            Councillor.phone == _phone,
            Councillor.active.is_(True),
        ),
    )
    .outerjoin(_councillor_ward, _councillor_ward.c.id == Councillor.ward_id)
    .where(Municipality.id == bindparam("mid"))
)
"""Built once, so SQLAlchemy reuses its compiled form. Both joins hit a unique
(municipality_id, phone) index: at most one row."""


def _ward(ward_id, number, name) -> dict | None:
    return {"id": ward_id, "number": number, "name": name} if ward_id is not None else None


def lookup_caller(connection, municipality_id: int, phone: str) -> tuple[dict | None, dict | None]:
    """(resident profile, councillor card) of an E.164 number in a municipality, each None
    when absent: the profile as the menus see it ({id, locale, ward, subscribed}), the card
    of an active councillor ({id, name, ward})."""
    row = connection.execute(_CALLER, {"mid": municipality_id, "phone": phone}).first()
    if row is None:
        return None, None
    (
        resident_id,
        locale,
        subscribed,
        r_ward,
        r_number,
        r_name,
        councillor_id,
        councillor_name,
        c_ward,
        c_number,
        c_name,
    ) = row
    profile = (
        None
        if resident_id is None
        else {
            "id": resident_id,
            "locale": locale,
            "ward": _ward(r_ward, r_number, r_name),
            "subscribed": bool(subscribed),
        }
    )
    card = (
        None
        if councillor_id is None
        else {"id": councillor_id, "name": councillor_name, "ward": _ward(c_ward, c_number, c_name)}
    )
    return profile, card
