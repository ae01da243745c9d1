"""Outages: what is off, or will be, in a ward."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app.broadcasts.service import create_broadcast, start_on_commit
from app.errors import InvalidError, NotFoundError
from app.language.i18n import N_, gettext
from app.language.labels import OUTAGE_PHRASES, outage_phrase
from app.models import Broadcast, Municipality, Outage, OutageWard, utcnow
from app.places.municipalities import get_municipality, ward_ids_by_number

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

ALERT_NOW = N_("{name}: {outage} in your ward until {ends}. We are working on it.")
ALERT_NOW_OPEN = N_("{name}: {outage} in your ward. We are working on it.")
ALERT_PLANNED = N_("{name}: planned {outage} in your ward from {starts} to {ends}.")
ALERT_PLANNED_OPEN = N_("{name}: planned {outage} in your ward from {starts}.")
UPDATE = N_("{name}: update on the {outage} in your ward: now expected to end {ends}.")
RESTORED = N_("{name}: {outage} over. Service is restored in your ward. Thank you for your patience.")
TEMPLATES = (ALERT_NOW, ALERT_NOW_OPEN, ALERT_PLANNED, ALERT_PLANNED_OPEN, UPDATE, RESTORED)
"""Outage SMS templates (tests check them in every language). `{outage}` is the service's
whole outage phrase (`outage_phrase`), never a label glued to a fixed word."""

SERVICES = tuple(OUTAGE_PHRASES)
"""Services an outage may be about (each has its outage phrase in every language)."""


class OutageError(InvalidError):
    """An outage that cannot be recorded as asked."""


def _texts(municipality, template: str, outage: Outage) -> dict[str, str]:
    zone = ZoneInfo(municipality.timezone)
    fmt = "%d/%m %H:%M"
    starts = outage.starts_at.astimezone(zone).strftime(fmt)
    ends = outage.ends_at.astimezone(zone).strftime(fmt) if outage.ends_at else ""
    return {
        locale: gettext(
            locale,
            template,
            name=municipality.name,
            starts=starts,
            ends=ends,
            outage=outage_phrase(locale, outage.service),
        )
        for locale in municipality.locale_list
    }


def _alert_template(outage: Outage, now: dt.datetime) -> str:
    if outage.starts_at <= now:
        return ALERT_NOW if outage.ends_at else ALERT_NOW_OPEN
    return ALERT_PLANNED if outage.ends_at else ALERT_PLANNED_OPEN


def create_outage(
    session,
    municipality,
    ward_ids: list[int],
    service: str,
    starts: dt.datetime,
    ends: dt.datetime | None,
    author: str = "staff",
):
    """Record an outage (the USSD screen shows it) and create its urgent alert broadcast.

    Flushes, does not commit, and does not start the alert (see `record_outage`)."""
    if service not in SERVICES:
        raise OutageError(f"service must be one of {', '.join(SERVICES)}", field="service")
    if ends is not None and ends <= starts:
        raise OutageError("the outage must end after it starts", field="ends")
    if not ward_ids:
        raise OutageError("no wards", field="wards")
    now = utcnow()
    outage = Outage(
        municipality_id=municipality.id,
        service=service,
        starts_at=starts,
        ends_at=ends,
        status="active" if starts <= now else "planned",
    )
    session.add(outage)
    session.flush()
    session.add_all([OutageWard(outage_id=outage.id, ward_id=w) for w in set(ward_ids)])
    alert = create_broadcast(
        session,
        municipality_id=municipality.id,
        ward_ids=ward_ids,
        kind="outage_alert",
        texts=_texts(municipality, _alert_template(outage, now), outage),
        author=author,
        urgent=True,
        outage_id=outage.id,
        expires_at=ends,
    )
    return outage, alert


def _first_alert(session, outage: Outage):
    return session.scalar(
        select(Broadcast).where(Broadcast.outage_id == outage.id, Broadcast.kind == "outage_alert")
    )


def update_outage(session, municipality, outage: Outage, ends: dt.datetime, author: str = "staff"):
    """A new expected end: stored, and a follow-up to the people the alert reached (returned,
    not started; None when the outage had no alert). Does not commit."""
    if outage.status not in ("planned", "active"):
        raise OutageError(f"outage {outage.id} is {outage.status}", code="conflict")
    if ends <= outage.starts_at:
        raise OutageError("the outage must end after it starts", field="ends")
    outage.ends_at = ends
    alert = _first_alert(session, outage)
    if alert is None:  # recorded without an alert: nobody to follow up with
        session.flush()
        return None
    alert.expires_at = ends
    follow_up = create_broadcast(
        session,
        municipality_id=municipality.id,
        ward_ids=[],
        kind="outage_update",
        texts=_texts(municipality, UPDATE, outage),
        author=author,
        urgent=True,
        outage_id=outage.id,
        follows_id=alert.id,
        expires_at=ends,
    )
    return follow_up


def restore_outage(session, municipality, outage: Outage, author: str = "staff"):
    """The service is back: alerts not yet sent are dropped, the people reached are told
    (the follow-up is returned, not started; None without an alert). Does not commit."""
    if outage.status not in ("planned", "active"):
        raise OutageError(f"outage {outage.id} is {outage.status}", code="conflict")
    now = utcnow()
    outage.status, outage.ends_at = "restored", min(outage.ends_at or now, now)
    for earlier in session.scalars(select(Broadcast).where(Broadcast.outage_id == outage.id)):
        earlier.expires_at = now
    alert = _first_alert(session, outage)
    if alert is None:
        session.flush()
        return None
    return create_broadcast(
        session,
        municipality_id=municipality.id,
        ward_ids=[],
        kind="outage_restored",
        texts=_texts(municipality, RESTORED, outage),
        author=author,
        urgent=True,
        outage_id=outage.id,
        follows_id=alert.id,
    )


# --- the operations staff faces call (CLI, staff API) ------------------------------------------

LIST_LIMIT = 50
"""Outages `recent_outages` returns at most."""

TIME_FORMAT = "%Y-%m-%d %H:%M"
"""How staff write and read local times."""


def local_time(value: str | dt.datetime | None, timezone: str, field: str) -> dt.datetime | None:
    """A time given in the municipality's zone (`2026-11-25 08:00`, or any ISO 8601 text or
    datetime; one with an offset keeps it), as UTC. None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidError(
                f"not a date and time: {value!r} (use 2026-11-25 08:00)", field=field
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(dt.UTC)


def format_local(moment: dt.datetime | None, timezone: str) -> str | None:
    """A stored UTC time as `2026-11-25 08:00 SAST` in the municipality's zone."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.strftime(TIME_FORMAT)} {local.tzname()}"


def get_outage(session, outage_id: int) -> Outage:
    """An outage by id (NotFoundError, field "outage")."""
    outage = session.get(Outage, outage_id)
    if outage is None:
        raise NotFoundError(f"no outage {outage_id}", field="outage")
    return outage


def record_outage(
    session,
    *,
    municipality: str | None,
    wards: list[int] | str,
    service: str,
    starts: str | dt.datetime | None = None,
    ends: str | dt.datetime | None = None,
    author: str = "staff",
) -> tuple[Outage, Broadcast]:
    """Record an outage from plain values and start its urgent alert once the caller commits.

    `municipality` is a code (None in a deployment of one), `wards` ward numbers (a list or
    "12,14"), `starts`/`ends` local times (default start: now). Raises DomainError.
    """
    place = get_municipality(session, municipality)
    ward_ids = ward_ids_by_number(session, place, wards)
    outage, alert = create_outage(
        session,
        place,
        ward_ids,
        (service or "").strip().lower(),
        local_time(starts, place.timezone, "starts") or utcnow(),
        local_time(ends, place.timezone, "ends"),
        author=author,
    )
    start_on_commit(session, alert)
    return outage, alert


def reschedule_outage(
    session, outage_id: int, ends: str | dt.datetime, author: str = "staff"
) -> tuple[Outage, Broadcast | None]:
    """Change an outage's expected end; its follow-up (if it had an alert) starts on commit."""
    outage = get_outage(session, outage_id)
    place = session.get(Municipality, outage.municipality_id)
    moment = local_time(ends, place.timezone, "ends")
    if moment is None:
        raise InvalidError("a new expected end is needed", field="ends")
    follow_up = update_outage(session, place, outage, moment, author=author)
    if follow_up is not None:
        start_on_commit(session, follow_up)
    return outage, follow_up


def end_outage(session, outage_id: int, author: str = "staff") -> tuple[Outage, Broadcast | None]:
    """Mark an outage restored; its follow-up (if it had an alert) starts on commit."""
    outage = get_outage(session, outage_id)
    follow_up = restore_outage(
        session, session.get(Municipality, outage.municipality_id), outage, author=author
    )
    if follow_up is not None:
        start_on_commit(session, follow_up)
    return outage, follow_up


def recent_outages(
    session, municipality: str | None, limit: int = LIST_LIMIT
) -> tuple[Municipality, list[Outage]]:
    """A municipality and its newest outages (at most `limit`), newest first."""
    place = get_municipality(session, municipality)
    return place, list(
        session.scalars(
            select(Outage).where(Outage.municipality_id == place.id).order_by(Outage.id.desc()).limit(limit)
        )
    )
