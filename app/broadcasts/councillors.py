"""Ward councillors: who may broadcast to their ward, and the PIN that proves it is them.

A PIN is stored only as a salted scrypt hash; three wrong PINs in a row lock the councillor
out for half an hour. `wardlink councillors add|list|disable` manages them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import click
from flask.cli import with_appcontext
from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.phones import PhoneError, mask_phone, normalise_phone
from app.models import Councillor, Municipality, Ward, utcnow

log = logging.getLogger(__name__)

PIN_ATTEMPTS = 3
"""Wrong PINs in a row that lock a councillor out."""

LOCK_MINUTES = 30
"""How long a councillor stays locked out after PIN_ATTEMPTS wrong PINs."""

_PIN = re.compile(r"[0-9]{4,6}")


class CouncillorError(ValueError):
    """A councillor cannot be added or changed; the message says why."""


def _municipality(session, code: str) -> Municipality:
    m = session.scalar(select(Municipality).where(Municipality.code == (code or "").strip().lower()))
    if m is None:
        raise CouncillorError(f"unknown municipality {code!r}")
    return m


def _phone(raw: str, municipality: Municipality) -> str:
    try:
        return normalise_phone(raw, municipality.region)
    except PhoneError:
        raise CouncillorError(f"not a phone number usable in {municipality.region}") from None


def add_councillor(session, municipality_code: str, ward_number: int, name: str, phone: str,
                   pin: str) -> Councillor:
    """Add a councillor, or update ward, name and PIN of the one with this phone (re-activated).

    The PIN (4 to 6 digits) is kept only as a salted scrypt hash. Commits.
    """
    municipality = _municipality(session, municipality_code)
    pin = "" if pin is None else str(pin)
    if not _PIN.fullmatch(pin):
        raise CouncillorError("the PIN must be 4 to 6 digits")
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise CouncillorError("the name is empty or longer than 120 characters")
    try:
        number = int(ward_number)
    except (TypeError, ValueError):
        raise CouncillorError(f"ward {ward_number!r} is not a ward number") from None
    ward = session.scalar(select(Ward).where(Ward.municipality_id == municipality.id, Ward.number == number))
    if ward is None:
        raise CouncillorError(f"{municipality.code} has no ward {number}")
    e164 = _phone(phone, municipality)
    councillor = session.scalar(select(Councillor).where(
        Councillor.municipality_id == municipality.id, Councillor.phone == e164))
    created = councillor is None
    if created:
        councillor = Councillor(municipality_id=municipality.id, phone=e164)
        session.add(councillor)
    councillor.ward_id, councillor.name = ward.id, name
    councillor.pin_hash = generate_password_hash(pin, method="scrypt")
    councillor.active, councillor.failed_pins, councillor.locked_until = True, 0, None
    session.commit()
    log.info("councillor %s %s for ward %s of %s", mask_phone(e164),
             "added" if created else "updated", number, municipality.code)
    return councillor


def find_councillor(session, municipality_id: int, phone: str) -> Councillor | None:
    """The active councillor with this (E.164) phone in the municipality, or None."""
    return session.scalar(
        select(Councillor)
        .options(joinedload(Councillor.ward))
        .where(Councillor.municipality_id == municipality_id, Councillor.phone == phone,
               Councillor.active.is_(True))
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
            locked_until=case((Councillor.failed_pins + 1 >= PIN_ATTEMPTS,
                                literal(until, Councillor.__table__.c.locked_until.type)),
                              else_=Councillor.locked_until),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(councillor)
    session.commit()
    if councillor.locked_until is not None:
        log.warning("councillor %s locked out after %d wrong PINs", mask_phone(councillor.phone),
                    councillor.failed_pins)
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


def disable_councillor(session, municipality_code: str, phone: str) -> Councillor:
    """Stop a councillor from broadcasting (kept for the record; `add` re-activates). Commits."""
    municipality = _municipality(session, municipality_code)
    e164 = _phone(phone, municipality)
    councillor = session.scalar(select(Councillor).where(
        Councillor.municipality_id == municipality.id, Councillor.phone == e164))
    if councillor is None:
        raise CouncillorError(f"{municipality.code} has no councillor with that number")
    councillor.active = False
    session.commit()
    log.info("councillor %s of %s disabled", mask_phone(e164), municipality.code)
    return councillor


# --- commands ----------------------------------------------------------------------------------


@click.group("councillors")
def councillors_group():
    """Ward councillors who may broadcast to their ward."""


@councillors_group.command("add")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--ward", "ward_number", required=True, type=int, help="Ward number.")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="E.164, or local to the municipality's country.")
@click.option("--pin", envvar="WARDLINK_COUNCILLOR_PIN", default=None,
              help="4 to 6 digits (for scripts; prompted for when left out).")
@with_appcontext
def add_command(municipality_code, ward_number, name, phone, pin):
    """Add a councillor, or update one (ward, name, PIN) and re-activate it."""
    from app.extensions import db

    if pin is None:
        pin = click.prompt("PIN (4 to 6 digits)", hide_input=True, confirmation_prompt=True)
    try:
        councillor = add_councillor(db.session(), municipality_code, ward_number, name, phone, pin)
    except CouncillorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"councillor {councillor.name} ({mask_phone(councillor.phone)}) "
               f"for ward {ward_number} of {municipality_code.strip().lower()}")


@councillors_group.command("list")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality.")
@with_appcontext
def list_command(municipality_code):
    """List councillors (phone numbers masked)."""
    from app.extensions import db

    session = db.session()
    try:
        councillors = list_councillors(session, municipality_code)
    except CouncillorError as exc:
        raise click.ClickException(str(exc)) from None
    codes = dict(session.execute(select(Municipality.id, Municipality.code)).all())
    now = utcnow()
    for c in councillors:
        locked_until = c.locked_until
        if not c.active:
            status = "disabled"
        elif locked_until is not None and locked_until > now:
            status = "locked until " + locked_until.isoformat(timespec="minutes")
        else:
            status = "active"
        click.echo(f"{codes[c.municipality_id]:<12} ward {c.ward.number:<4} {mask_phone(c.phone):<16} "
                   f"{status:<10} {c.name}")
    if not councillors:
        click.echo("no councillors")


@councillors_group.command("disable")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--phone", required=True)
@with_appcontext
def disable_command(municipality_code, phone):
    """Disable a councillor (they can no longer broadcast; `add` re-activates)."""
    from app.extensions import db

    try:
        councillor = disable_councillor(db.session(), municipality_code, phone)
    except CouncillorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"councillor {councillor.name} ({mask_phone(councillor.phone)}) disabled")
