"""Ward councillors: who may broadcast to their ward, and the PIN that proves it is them.

A PIN is stored only as a salted scrypt hash; three wrong PINs in a row lock the councillor
out for half an hour. `wardlink councillors add|list|disable` manages them (`app/cli/councillors.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.phones import PhoneError, mask_phone, normalise_phone
from app.errors import InvalidError, NotFoundError, raised_as
from app.models import Councillor, Municipality, Ward, utcnow
from app.places.municipalities import get_municipality, ward_ids_by_number

log = logging.getLogger(__name__)

PIN_ATTEMPTS = 3
"""Wrong PINs in a row that lock a councillor out."""

LOCK_MINUTES = 30
"""How long a councillor stays locked out after PIN_ATTEMPTS wrong PINs."""

_PIN = re.compile(r"[0-9]{4,6}")


class CouncillorError(InvalidError):
    """A councillor cannot be added or changed; the message (and `code`, `field`) say why."""


def _municipality(session, code: str) -> Municipality:
    if not (code or "").strip():
        raise CouncillorError("name the municipality", field="municipality")
    with raised_as(CouncillorError):
        return get_municipality(session, code)


def _phone(raw: str, municipality: Municipality) -> str:
    try:
        return normalise_phone(raw, municipality.region)
    except PhoneError:
        raise CouncillorError(f"not a phone number usable in {municipality.region}", field="phone") from None


def add_councillor(
    session, municipality_code: str, ward_number: int, name: str, phone: str, pin: str
) -> Councillor:
    """Add a councillor, or update ward, name and PIN of the one with this phone (re-activated).

    The PIN (4 to 6 digits) is kept only as a salted scrypt hash. Flushes; the caller
    commits. Raises CouncillorError (its `code` says not_found or invalid).
    """
    municipality = _municipality(session, municipality_code)
    pin = "" if pin is None else str(pin)
    if not _PIN.fullmatch(pin):
        raise CouncillorError("the PIN must be 4 to 6 digits", field="pin")
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise CouncillorError("the name is empty or longer than 120 characters", field="name")
    try:
        number = int(ward_number)
    except (TypeError, ValueError):
        raise CouncillorError(f"ward {ward_number!r} is not a ward number", field="ward") from None
    with raised_as(CouncillorError):
        [ward_id] = ward_ids_by_number(session, municipality, [number])
    e164 = _phone(phone, municipality)
    councillor = session.scalar(
        select(Councillor).where(Councillor.municipality_id == municipality.id, Councillor.phone == e164)
    )
    created = councillor is None
    if created:
        councillor = Councillor(municipality_id=municipality.id, phone=e164)
        session.add(councillor)
    councillor.ward_id, councillor.name = ward_id, name
    councillor.pin_hash = generate_password_hash(pin, method="scrypt")
    councillor.active, councillor.failed_pins, councillor.locked_until = True, 0, None
    session.flush()
    session.refresh(councillor, ["ward"])
    log.info(
        "councillor %s %s for ward %s of %s",
        mask_phone(e164),
        "added" if created else "updated",
        number,
        municipality.code,
    )
    return councillor


def find_councillor(session, municipality_id: int, phone: str) -> Councillor | None:
    """The active councillor with this (E.164) phone in the municipality, or None."""
    return session.scalar(
        select(Councillor)
        .options(joinedload(Councillor.ward))
        .where(
            Councillor.municipality_id == municipality_id,
            Councillor.phone == phone,
            Councillor.active.is_(True),
        )
    )


def verify_pin(session, councillor: Councillor, pin: str, now: dt.datetime | None = None) -> str:
    """Check a PIN: "ok", "wrong" or "locked". Commits.

    The PIN_ATTEMPTS-th wrong PIN in a row locks the councillor for LOCK_MINUTES and already
    answers "locked"; while locked every PIN, even the right one, answers "locked" and is not
    counted. A right PIN resets the count. A disabled councillor is always "locked".
    """
    now = now or utcnow()
    # Lock the row (PostgreSQL) so parallel attempts are counted one after the other.
    session.refresh(councillor, with_for_update=True)
    if not councillor.active:
        session.commit()
        return "locked"
    locked_until = councillor.locked_until
    if locked_until is not None and now < locked_until:
        session.commit()
        return "locked"
    if locked_until is not None:  # the lock has run out: a fresh set of attempts
        councillor.failed_pins, councillor.locked_until = 0, None
        session.flush()
    if isinstance(pin, str) and check_password_hash(councillor.pin_hash, pin):
        councillor.failed_pins, councillor.locked_until = 0, None
        session.commit()
        return "ok"
    # Counted in SQL, so attempts racing on SQLite (no row locks) are not lost.
    until = now + dt.timedelta(minutes=LOCK_MINUTES)
    session.execute(
        update(Councillor)
        .where(Councillor.id == councillor.id)
        .values(
            failed_pins=Councillor.failed_pins + 1,
            locked_until=case(
                (
                    Councillor.failed_pins + 1 >= PIN_ATTEMPTS,
                    literal(until, Councillor.__table__.c.locked_until.type),
                ),
                else_=Councillor.locked_until,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(councillor)
    session.commit()
    if councillor.locked_until is not None:
        log.warning(
            "councillor %s locked out after %d wrong PINs",
            mask_phone(councillor.phone),
            councillor.failed_pins,
        )
        return "locked"
    return "wrong"


def list_councillors(session, municipality_code: str | None = None) -> list[Councillor]:
    """Councillors (active and disabled) by municipality, ward and name."""
    query = (
        select(Councillor)
        .join(Municipality, Municipality.id == Councillor.municipality_id)
        .join(Ward, Ward.id == Councillor.ward_id)
        .options(joinedload(Councillor.ward))
        .order_by(Municipality.code, Ward.number, Councillor.name)
    )
    if municipality_code is not None:
        query = query.where(Municipality.id == _municipality(session, municipality_code).id)
    return list(session.scalars(query))


def councillor_status(councillor: Councillor, now: dt.datetime | None = None) -> str:
    """ "active", "disabled" or "locked until <UTC time>"."""
    now = now or utcnow()
    locked_until = councillor.locked_until
    if not councillor.active:
        return "disabled"
    if locked_until is not None and locked_until > now:
        return "locked until " + locked_until.isoformat(timespec="minutes")
    return "active"


def disable_councillor(session, municipality_code: str, phone: str) -> Councillor:
    """Stop a councillor from broadcasting (kept for the record; `add` re-activates).
    Flushes; the caller commits."""
    municipality = _municipality(session, municipality_code)
    e164 = _phone(phone, municipality)
    councillor = session.scalar(
        select(Councillor).where(Councillor.municipality_id == municipality.id, Councillor.phone == e164)
    )
    if councillor is None:
        raise CouncillorError(
            f"{municipality.code} has no councillor with that number", code=NotFoundError.code, field="phone"
        )
    councillor.active = False
    session.flush()
    log.info("councillor %s of %s disabled", mask_phone(e164), municipality.code)
    return councillor
