"""Outages: what is off, or will be, in a ward."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app.models import Outage, OutageWard, utcnow

OUTAGE_LIST_LIMIT = 10
"""At most this many outages are listed for one ward."""


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def ward_outages(session, municipality_id: int, ward_id: int, now: dt.datetime | None = None):
    """Current and planned outages touching a ward, newest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Outage)
            .join(OutageWard, OutageWard.outage_id == Outage.id)
            .where(
                OutageWard.ward_id == ward_id,
                Outage.municipality_id == municipality_id,
                Outage.status.in_(("planned", "active")),
                or_(Outage.ends_at.is_(None), Outage.ends_at > now),
            )
            .order_by(Outage.starts_at.desc(), Outage.id.desc())
            .limit(OUTAGE_LIST_LIMIT)
        )
    )


def outage_dict(outage: Outage, timezone: str, now: dt.datetime | None = None) -> dict:
    """An outage as the menu shows it: state and local times as `dd/mm HH:MM`."""
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    starts, ends = _aware(outage.starts_at), _aware(outage.ends_at)
    fmt = "%d/%m %H:%M"
    return {
        "service": outage.service,
        "state": "now" if starts <= now else "planned",
        "starts": starts.astimezone(zone).strftime(fmt),
        "ends": ends.astimezone(zone).strftime(fmt) if ends else None,
    }
