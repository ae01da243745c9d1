"""Staff commands: outages (and their alerts) and broadcasts, from the command line."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Broadcast, Municipality, Outage, Ward


def _municipality(session, code: str | None) -> Municipality:
    if code:
        found = session.scalar(select(Municipality).where(Municipality.code == code.lower()))
        if found is None:
            raise click.ClickException(f"unknown municipality {code!r}")
        return found
    every = session.scalars(select(Municipality).limit(2)).all()
    if len(every) != 1:
        raise click.ClickException("several municipalities: name one with --municipality")
    return every[0]


def _wards(session, municipality: Municipality, numbers: str) -> list[int]:
    wanted = [n.strip() for n in numbers.split(",") if n.strip()]
    if not wanted or not all(n.isdigit() for n in wanted):
        raise click.ClickException("--wards takes ward numbers separated by commas, e.g. 12,14")
    rows = dict(session.execute(select(Ward.number, Ward.id).where(
        Ward.municipality_id == municipality.id, Ward.number.in_([int(n) for n in wanted]))).all())
    missing = [n for n in wanted if int(n) not in rows]
    if missing:
        raise click.ClickException(f"no ward {', '.join(missing)} in {municipality.name}")
    return list(rows.values())


def _local_time(text: str | None, municipality: Municipality) -> dt.datetime | None:
    """`2026-11-25 08:00` in the municipality's time zone, as UTC."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.ClickException(f"not a date and time: {text!r} (use 2026-11-25 08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(municipality.timezone))
    return moment.astimezone(dt.UTC)


@click.group("outages")
def outages_group():
    """Outages: recorded for the USSD screen, and alerted to subscribed residents."""


@outages_group.command("create")
@click.option("--municipality", "code", default=None, help="Municipality code.")
@click.option("--wards", required=True, help="Ward numbers, e.g. 12,14.")
@click.option("--service", required=True, help="water, electricity, sanitation, roads...")
@click.option("--starts", default=None, help="Local time, e.g. '2026-11-25 08:00' (default: now).")
@click.option("--ends", default=None, help="Expected end, local time.")
@with_appcontext
def outages_create(code, wards, service, starts, ends):
    """Record an outage and send its urgent alert to the wards it touches."""
    from app.broadcasts.outages import OutageError, create_outage
    from app.broadcasts.service import start
    from app.models import utcnow

    session = db.session()
    municipality = _municipality(session, code)
    try:
        outage, alert = create_outage(session, municipality, _wards(session, municipality, wards),
                                      service.lower(), _local_time(starts, municipality) or utcnow(),
                                      _local_time(ends, municipality))
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    start(alert.id, urgent=True)
    click.echo(f"outage {outage.id} recorded; alert broadcast {alert.id} queued")


def _follow_up(outage_id: int, verb: str, change) -> None:
    """Apply `change(session, municipality, outage)` and queue the follow-up it returns."""
    from app.broadcasts.outages import OutageError
    from app.broadcasts.service import start

    session = db.session()
    outage = session.get(Outage, outage_id) or _missing("outage", outage_id)
    municipality = session.get(Municipality, outage.municipality_id)
    try:
        follow_up = change(session, municipality, outage)
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    if follow_up is None:
        click.echo(f"outage {outage.id} {verb}; it had no alert, so no follow-up")
        return
    start(follow_up.id, urgent=True)
    click.echo(f"outage {outage.id} {verb}; follow-up broadcast {follow_up.id} queued")


@outages_group.command("update")
@click.argument("outage_id", type=int)
@click.option("--ends", required=True, help="New expected end, local time.")
@with_appcontext
def outages_update(outage_id, ends):
    """Change an outage's expected end and tell the residents who were alerted."""
    from app.broadcasts.outages import update_outage

    _follow_up(outage_id, "updated", lambda session, municipality, outage: update_outage(
        session, municipality, outage, _local_time(ends, municipality)))


@outages_group.command("restore")
@click.argument("outage_id", type=int)
@with_appcontext
def outages_restore(outage_id):
    """The service is back: drop unsent alerts and tell the residents who were alerted."""
    from app.broadcasts.outages import restore_outage

    _follow_up(outage_id, "restored", restore_outage)


@outages_group.command("list")
@click.option("--municipality", "code", default=None)
@with_appcontext
def outages_list(code):
    """Outages, newest first."""
    session = db.session()
    municipality = _municipality(session, code)
    for o in session.scalars(select(Outage).where(Outage.municipality_id == municipality.id)
                             .order_by(Outage.id.desc()).limit(50)):
        click.echo(f"{o.id:>6} {o.service:<12} {o.status:<9} {o.starts_at:%Y-%m-%d %H:%M} -> "
                   f"{o.ends_at:%Y-%m-%d %H:%M}" if o.ends_at else
                   f"{o.id:>6} {o.service:<12} {o.status:<9} {o.starts_at:%Y-%m-%d %H:%M} -> ?")


def _missing(what: str, ident: int):
    raise click.ClickException(f"no {what} {ident}")


@click.group("broadcasts")
def broadcasts_group():
    """Ward broadcasts: create from the command line, follow their delivery."""


@broadcasts_group.command("create")
@click.option("--municipality", "code", default=None)
@click.option("--wards", required=True, help="Ward numbers, e.g. 12,14.")
@click.option("--text", required=True, help="The message (for every language without its own).")
@click.option("--text-af", default=None)
@click.option("--text-xh", default=None)
@click.option("--text-zu", default=None)
@click.option("--text-ak", default=None)
@click.option("--urgent", is_flag=True, help="Ignore quiet hours.")
@click.option("--author", default="staff", show_default=True)
@with_appcontext
def broadcasts_create(code, wards, text, text_af, text_xh, text_zu, text_ak, urgent, author):
    """Send a broadcast to the subscribed residents of some wards."""
    from app.broadcasts.service import BroadcastError, create_broadcast, reach, segments, start

    session = db.session()
    municipality = _municipality(session, code)
    ward_ids = _wards(session, municipality, wards)
    texts = {"*": text, **{k: v for k, v in (("af", text_af), ("xh", text_xh), ("zu", text_zu),
                                             ("ak", text_ak)) if v}}
    try:
        broadcast = create_broadcast(session, municipality_id=municipality.id, ward_ids=ward_ids,
                                     texts=texts, author=author, urgent=urgent)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    start(broadcast.id, urgent)
    click.echo(f"broadcast {broadcast.id}: reaches {reach(session, municipality.id, ward_ids)} "
               f"residents, {segments(broadcast.texts)} segment(s) each; queued")


@broadcasts_group.command("show")
@click.argument("broadcast_id", type=int)
@with_appcontext
def broadcasts_show(broadcast_id):
    """A broadcast's progress and report (recipients, sent, delivered, failed, cost...)."""
    from app.broadcasts.service import summarise

    session = db.session()
    broadcast = session.get(Broadcast, broadcast_id) or _missing("broadcast", broadcast_id)
    report = broadcast.summary if broadcast.status == "done" and broadcast.summary else (
        summarise(session, broadcast))
    click.echo(f"broadcast {broadcast.id} ({broadcast.kind}, by {broadcast.author}): "
               f"{broadcast.status}")
    click.echo(json.dumps(report, indent=2, sort_keys=True))
