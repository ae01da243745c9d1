"""STOP and START: opt-outs kept as data (who, when, channel, evidence), honoured at send time."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models import OptOut, Resident, Suppression
from app.vocabulary import OptOutAction, OptOutChannel


def opt_out(session, phone: str, channel: OptOutChannel, evidence: str | None = None) -> None:
    """Suppress every non-essential SMS to `phone`, in every municipality (caller commits)."""
    session.add(OptOut(phone=phone, action=OptOutAction.STOP, channel=channel, evidence=evidence))
    if session.get(Suppression, phone) is None:
        try:
            with session.begin_nested():  # two STOPs at once: the second finds the first's row
                session.add(Suppression(phone=phone, channel=channel))
        except IntegrityError:
            pass
    session.execute(update(Resident).where(Resident.phone == phone).values(opted_out=True))


def opt_in(session, phone: str, channel: OptOutChannel, evidence: str | None = None) -> None:
    """Lift the suppression after START (caller commits)."""
    session.add(OptOut(phone=phone, action=OptOutAction.START, channel=channel, evidence=evidence))
    found = session.get(Suppression, phone)
    if found is not None:
        session.delete(found)
    session.execute(update(Resident).where(Resident.phone == phone).values(opted_out=False))


def suppressed(session, phones) -> set[str]:
    """Which of `phones` must receive nothing non-essential."""
    phones = list(phones)
    if not phones:
        return set()
    return set(session.scalars(select(Suppression.phone).where(Suppression.phone.in_(phones))))
