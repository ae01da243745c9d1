"""Outages: what is off, or will be, in a ward."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app.language.i18n import N_, gettext
from app.language.labels import category_label
from app.models import Outage, OutageWard, utcnow

OUTAGE_LIST_LIMIT = 10
"""At most this many outages are listed for one ward."""


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
    starts, ends = outage.starts_at, outage.ends_at
    fmt = "%d/%m %H:%M"
    return {
        "service": outage.service,
        "state": "now" if starts <= now else "planned",
        "starts": starts.astimezone(zone).strftime(fmt),
        "ends": ends.astimezone(zone).strftime(fmt) if ends else None,
    }


# --- recording outages and alerting residents ------------------------------------------

ALERT_NOW = N_("{name}: {service} outage in your ward until {ends}. We are working on it.")
ALERT_NOW_OPEN = N_("{name}: {service} outage in your ward. We are working on it.")
ALERT_PLANNED = N_("{name}: planned {service} outage in your ward from {starts} to {ends}.")
ALERT_PLANNED_OPEN = N_("{name}: planned {service} outage in your ward from {starts}.")
UPDATE = N_("{name}: update on the {service} outage in your ward: now expected to end {ends}.")
RESTORED = N_("{name}: {service} is restored in your ward. Thank you for your patience.")
TEMPLATES = (ALERT_NOW, ALERT_NOW_OPEN, ALERT_PLANNED, ALERT_PLANNED_OPEN, UPDATE, RESTORED)
"""Outage SMS templates (tests check them in every language)."""

SERVICES = ("water", "sanitation", "electricity", "roads", "refuse", "streetlights", "other")
"""Services an outage may be about."""


class OutageError(ValueError):
    """An outage that cannot be recorded as asked."""


def _texts(municipality, template: str, outage: Outage) -> dict[str, str]:
    zone = ZoneInfo(municipality.timezone)
    fmt = "%d/%m %H:%M"
    starts = outage.starts_at.astimezone(zone).strftime(fmt)
    ends = outage.ends_at.astimezone(zone).strftime(fmt) if outage.ends_at else ""
    return {
        locale: gettext(locale, template, name=municipality.name, starts=starts, ends=ends,
                        service=category_label(locale, {"code": outage.service}).lower())
        for locale in municipality.locale_list
    }


def _alert_template(outage: Outage, now: dt.datetime) -> str:
    if outage.starts_at <= now:
        return ALERT_NOW if outage.ends_at else ALERT_NOW_OPEN
    return ALERT_PLANNED if outage.ends_at else ALERT_PLANNED_OPEN


def create_outage(session, municipality, ward_ids: list[int], service: str,
                  starts: dt.datetime, ends: dt.datetime | None, author: str = "staff"):
    """Record an outage (the USSD screen shows it) and create its urgent alert broadcast."""
    from app.broadcasts.service import create_broadcast

    if service not in SERVICES:
        raise OutageError(f"service must be one of {', '.join(SERVICES)}")
    if ends is not None and ends <= starts:
        raise OutageError("the outage must end after it starts")
    if not ward_ids:
        raise OutageError("no wards")
    now = utcnow()
    outage = Outage(municipality_id=municipality.id, service=service, starts_at=starts,
                    ends_at=ends, status="active" if starts <= now else "planned")
    session.add(outage)
    session.flush()
    session.add_all([OutageWard(outage_id=outage.id, ward_id=w) for w in set(ward_ids)])
    alert = create_broadcast(
        session, municipality_id=municipality.id, ward_ids=ward_ids, kind="outage_alert",
        texts=_texts(municipality, _alert_template(outage, now), outage), author=author,
        urgent=True, outage_id=outage.id, expires_at=ends)
    session.commit()
    return outage, alert


def _first_alert(session, outage: Outage):
    from app.models import Broadcast

    return session.scalar(select(Broadcast).where(
        Broadcast.outage_id == outage.id, Broadcast.kind == "outage_alert"))


def update_outage(session, municipality, outage: Outage, ends: dt.datetime, author: str = "staff"):
    """A new expected end: stored, and a follow-up to the people the alert reached."""
    from app.broadcasts.service import create_broadcast

    if outage.status not in ("planned", "active"):
        raise OutageError(f"outage {outage.id} is {outage.status}")
    if ends <= outage.starts_at:
        raise OutageError("the outage must end after it starts")
    outage.ends_at = ends
    alert = _first_alert(session, outage)
    if alert is None:  # recorded without an alert: nobody to follow up with
        session.commit()
        return None
    alert.expires_at = ends
    follow_up = create_broadcast(
        session, municipality_id=municipality.id, ward_ids=[], kind="outage_update",
        texts=_texts(municipality, UPDATE, outage), author=author, urgent=True,
        outage_id=outage.id, follows_id=alert.id, expires_at=ends)
    session.commit()
    return follow_up


def restore_outage(session, municipality, outage: Outage, author: str = "staff"):
    """The service is back: alerts not yet sent are dropped, the people reached are told."""
    from app.broadcasts.service import create_broadcast
    from app.models import Broadcast

    if outage.status not in ("planned", "active"):
        raise OutageError(f"outage {outage.id} is {outage.status}")
    now = utcnow()
    outage.status, outage.ends_at = "restored", min(outage.ends_at or now, now)
    for earlier in session.scalars(select(Broadcast).where(Broadcast.outage_id == outage.id)):
        earlier.expires_at = now
    alert = _first_alert(session, outage)
    if alert is None:
        session.commit()
        return None
    follow_up = create_broadcast(
        session, municipality_id=municipality.id, ward_ids=[], kind="outage_restored",
        texts=_texts(municipality, RESTORED, outage), author=author, urgent=True,
        outage_id=outage.id, follows_id=alert.id)
    session.commit()
    return follow_up
