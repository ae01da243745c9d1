"""Staff commands: outages (and their alerts) and broadcasts, from the command line.

A thin face over `app.broadcasts.outages` and `app.broadcasts.service`: parse the options,
call the service, commit (which queues the fan-outs), print.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.broadcasts import outages, service
from app.cli.groups import group
from app.extensions import db


@group("outages")
def outages_group():
    """Outages: recorded for the USSD screen, and alerted to subscribed residents."""


@outages_group.command("create")
@click.option("--municipality", "code", default=None, help="Municipality code.")
@click.option("--wards", required=True, help="Ward numbers, e.g. 12,14.")
@click.option("--service", "service_name", required=True, help="water, electricity, sanitation, roads...")
@click.option("--starts", default=None, help="Local time, e.g. '2026-11-25 08:00' (default: now).")
@click.option("--ends", default=None, help="Expected end, local time.")
@with_appcontext
def outages_create(code, wards, service_name, starts, ends):
    """Record an outage and send its urgent alert to the wards it touches."""
    session = db.session()
    outage, alert = outages.record_outage(
        session, municipality=code, wards=wards, service=service_name, starts=starts, ends=ends
    )
    session.commit()
    click.echo(f"outage {outage.id} recorded; alert broadcast {alert.id} queued")


def _echo_follow_up(outage, verb: str, follow_up) -> None:
    if follow_up is None:
        click.echo(f"outage {outage.id} {verb}; it had no alert, so no follow-up")
    else:
        click.echo(f"outage {outage.id} {verb}; follow-up broadcast {follow_up.id} queued")


@outages_group.command("update")
@click.argument("outage_id", type=int)
@click.option("--ends", required=True, help="New expected end, local time.")
@with_appcontext
def outages_update(outage_id, ends):
    """Change an outage's expected end and tell the residents who were alerted."""
    session = db.session()
    outage, follow_up = outages.reschedule_outage(session, outage_id, ends)
    session.commit()
    _echo_follow_up(outage, "updated", follow_up)


@outages_group.command("restore")
@click.argument("outage_id", type=int)
@with_appcontext
def outages_restore(outage_id):
    """The service is back: drop unsent alerts and tell the residents who were alerted."""
    session = db.session()
    outage, follow_up = outages.end_outage(session, outage_id)
    session.commit()
    _echo_follow_up(outage, "restored", follow_up)


@outages_group.command("list")
@click.option("--municipality", "code", default=None)
@with_appcontext
def outages_list(code):
    """Outages, newest first, in the municipality's local time."""
    municipality, found = outages.recent_outages(db.session(), code)
    zone = municipality.timezone
    click.echo(f"outages of {municipality.name} (times in {zone})")
    for o in found:
        ends = outages.format_local(o.ends_at, zone) or "?"
        click.echo(
            f"{o.id:>6} {o.service:<12} {o.status:<9} {outages.format_local(o.starts_at, zone)} -> {ends}"
        )
    if not found:
        click.echo("no outages")


@group("broadcasts")
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
    session = db.session()
    texts = {"*": text, "af": text_af, "xh": text_xh, "zu": text_zu, "ak": text_ak}
    broadcast = service.send_broadcast(
        session, municipality=code, wards=wards, texts=texts, author=author, urgent=urgent
    )
    session.commit()
    click.echo(
        f"broadcast {broadcast.id}: reaches {service.broadcast_reach(session, broadcast)} "
        f"residents, "
        f"{service.segments(broadcast.texts)} segment(s) each; queued"
    )


@broadcasts_group.command("cancel")
@click.argument("broadcast_id", type=int)
@with_appcontext
def broadcasts_cancel(broadcast_id):
    """Cancel a broadcast that has not started (scheduled, or awaiting a councillor's code)."""
    session = db.session()
    broadcast = service.cancel_broadcast(session, broadcast_id)
    session.commit()
    click.echo(f"broadcast {broadcast.id} cancelled")


@broadcasts_group.command("show")
@click.argument("broadcast_id", type=int)
@with_appcontext
def broadcasts_show(broadcast_id):
    """A broadcast's progress and report (recipients, sent, delivered, failed, cost...)."""
    broadcast, report = service.broadcast_report(db.session(), broadcast_id)
    click.echo(f"broadcast {broadcast.id} ({broadcast.kind}, by {broadcast.author}): {broadcast.status}")
    click.echo(json.dumps(report, indent=2, sort_keys=True))
