"""`wardlink tickets ...` and `wardlink departments ...`: staff work tickets from the command
line, a thin face over `app.tickets.lifecycle` and `app.places.departments`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from app.cli.groups import group
from app.cli.places import _import_command
from app.core.phones import mask_phone
from app.extensions import db
from app.models import Municipality, Ticket, utcnow
from app.places.departments import add_department, department_named, list_departments
from app.places.municipalities import get_municipality
from app.tickets import duplicates, lifecycle
from app.tickets.states import OPEN
from app.vocabulary import TicketStatus

ACTOR = "cli"
"""How events made from the command line name their author (until staff log in)."""
TIME_FORMAT = "%Y-%m-%d %H:%M"


def _local(moment: dt.datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(TIME_FORMAT) if moment else "-"


def _due(ticket, zone: str, now: dt.datetime) -> str:
    if ticket.due_at is None:
        return "-"
    late = " (overdue)" if ticket.status in OPEN and ticket.due_at < now else ""
    return _local(ticket.due_at, zone) + late


@group("tickets")
def tickets_group():
    """Tickets: list, show, move through their states, assign, merge, log for a caller."""


@tickets_group.command("list")
@click.option("--municipality", "code", default=None, help="Municipality code.")
@click.option("--state", default=None, type=click.Choice([s.value for s in TicketStatus]))
@click.option("--overdue", is_flag=True, help="Only open tickets past their due time.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def list_command(code, state, overdue, limit):
    """A municipality's tickets, highest priority first (overdue: most overdue first)."""
    session = db.session()
    place = get_municipality(session, code)
    now = utcnow()
    found = lifecycle.find_tickets(
        session, place.id, state=state, overdue_at=now if overdue else None, limit=limit
    )
    click.echo(f"tickets of {place.name} (times in {place.timezone})")
    for t in found:
        ward = t.ward.number if t.ward else "-"
        department = t.department.name if t.department else "-"
        click.echo(
            f"{t.reference}  {t.status:<12} p{t.priority:<2} {t.category.code:<12} ward {ward!s:<4} "
            f"{department[:24]:<24} due {_due(t, place.timezone, now)}"
        )
    if not found:
        click.echo("no tickets")


@tickets_group.command("show")
@click.argument("reference")
@click.option("--municipality", "code", default=None)
@with_appcontext
def show_command(reference, code):
    """A ticket and its history."""
    session = db.session()
    ticket = lifecycle.ticket_for_staff(session, code, reference)
    zone = session.get(Municipality, ticket.municipality_id).timezone
    now = utcnow()
    click.echo(
        f"ticket {ticket.reference}: {ticket.status} (priority {ticket.priority}, via {ticket.source})"
    )
    ward = f"{ticket.ward.number} {ticket.ward.name}" if ticket.ward else "-"
    click.echo(f"category {ticket.category.code}; ward {ward}; location: {ticket.location}")
    click.echo(
        f"department {ticket.department.name if ticket.department else '-'}; "
        f"assignee {('user:' + str(ticket.assignee_user_id)) if ticket.assignee_user_id else '-'}"
    )
    click.echo(
        f"due {_due(ticket, zone, now)}; escalation level {ticket.escalation_level}; "
        f"logged {_local(ticket.created_at, zone)} (times in {zone})"
    )
    if ticket.rejection_reason:
        click.echo(f"rejected because: {ticket.rejection_reason}")
    if ticket.merged_into_id:
        survivor = session.get(Ticket, ticket.merged_into_id)
        click.echo(f"merged into {survivor.reference}")
    following = lifecycle.followers(session, ticket)
    click.echo(f"followers: {', '.join(f'{mask_phone(f.phone)} ({f.reason})' for f in following) or 'none'}")
    click.echo(
        f"confirmations: {duplicates.confirmations(session, ticket)} (residents who reported it again)"
    )
    click.echo("events:")
    for e in lifecycle.events(session, ticket):
        move = (f" {e.from_state}->{e.to_state}" if e.from_state else f" {e.to_state}") if e.to_state else ""
        notes = "".join(
            f" | {label}: {text}"
            for label, text in (("public", e.public_note), ("internal", e.internal_note))
            if text
        )
        click.echo(f"  {_local(e.created_at, zone)} {e.kind}{move} by {e.actor}{notes}")


@tickets_group.command("move")
@click.argument("reference")
@click.option("--to", "to", required=True, type=click.Choice([s.value for s in TicketStatus]))
@click.option("--note", "public_note", default=None, help="A public note (the reporters may be told).")
@click.option("--internal-note", default=None, help="A note for staff only.")
@click.option("--reason", default=None, help="Why (required to reject).")
@click.option("--municipality", "code", default=None)
@with_appcontext
def move_command(reference, to, public_note, internal_note, reason, code):
    """Move a ticket to another state (illegal moves are refused)."""
    session = db.session()
    ticket = lifecycle.ticket_for_staff(session, code, reference)
    event = lifecycle.transition(
        session, ticket, to, actor=ACTOR, public_note=public_note, internal_note=internal_note, reason=reason
    )
    session.commit()
    click.echo(f"ticket {ticket.reference}: {event.from_state} -> {event.to_state}")


@tickets_group.command("note")
@click.argument("reference")
@click.option("--note", "public_note", default=None, help="A public note (the reporters may be told).")
@click.option("--internal-note", default=None, help="A note for staff only.")
@click.option("--municipality", "code", default=None)
@with_appcontext
def note_command(reference, public_note, internal_note, code):
    """Add a note to a ticket without moving it."""
    session = db.session()
    ticket = lifecycle.ticket_for_staff(session, code, reference)
    event = lifecycle.add_note(
        session, ticket, actor=ACTOR, public_note=public_note, internal_note=internal_note
    )
    session.commit()
    click.echo(f"ticket {ticket.reference}: {event.kind} added")


@tickets_group.command("assign")
@click.argument("reference")
@click.option("--department", default=None, help="A department's name.")
@click.option("--user", "user_id", default=None, type=int, help="A staff user's id.")
@click.option("--municipality", "code", default=None)
@with_appcontext
def assign_command(reference, department, user_id, code):
    """Give a ticket to a department (and/or a staff user)."""
    session = db.session()
    ticket = lifecycle.ticket_for_staff(session, code, reference)
    department_id = None
    if department is not None:
        place = session.get(Municipality, ticket.municipality_id)
        department_id = department_named(session, place, department).id
    event = lifecycle.assign(session, ticket, department_id=department_id, user_id=user_id, actor=ACTOR)
    session.commit()
    click.echo(f"ticket {ticket.reference}: assigned {event.internal_note}")


@tickets_group.command("merge")
@click.argument("reference")
@click.option("--into", "into_reference", required=True, help="The ticket that stays.")
@click.option("--municipality", "code", default=None)
@with_appcontext
def merge_command(reference, into_reference, code):
    """Merge a duplicate into the ticket that stays; its reporters follow that one."""
    session = db.session()
    ticket = lifecycle.ticket_for_staff(session, code, reference)
    place = session.get(Municipality, ticket.municipality_id)
    into = lifecycle.ticket_for_staff(session, place.code, into_reference)
    lifecycle.merge(session, ticket, into, actor=ACTOR)
    session.commit()
    click.echo(f"ticket {ticket.reference} merged into {into.reference}")


@tickets_group.command("log")
@click.option("--municipality", "code", default=None)
@click.option("--phone", required=True, help="The resident's phone (E.164 or local).")
@click.option("--ward", "ward_number", required=True, help="Ward number of the fault.")
@click.option("--category", "category_code", required=True, help="Category code, e.g. water.")
@click.option("--location", required=True, help="The place or a landmark nearby.")
@click.option("--channel", required=True, type=click.Choice([s.value for s in lifecycle.ON_BEHALF]))
@click.option("--language", "locale", default=None, help="The resident's language code (default: theirs).")
@with_appcontext
def log_command(code, phone, ward_number, category_code, location, channel, locale):
    """Log a ticket for a resident who phoned or came to the counter; prints the reference to
    read out (the resident also gets it by SMS, as from USSD)."""
    session = db.session()
    ticket = lifecycle.create_on_behalf(
        session,
        code,
        phone=phone,
        ward_number=ward_number,
        category_code=category_code,
        location=location,
        channel=channel,
        actor=ACTOR,
        locale=locale,
    )
    session.commit()
    click.echo(f"ticket logged; its SMS to {mask_phone(phone.strip())} is queued. Reference:")
    click.echo(ticket.reference)


@group("departments")
def departments_group():
    """Departments: own categories, work their tickets, and are told of overdue ones."""


@departments_group.command("add")
@click.option("--municipality", "code", default=None)
@click.option("--name", required=True)
@click.option("--supervisor-name", default=None)
@click.option("--supervisor-phone", default=None, help="Told by SMS of overdue tickets.")
@with_appcontext
def departments_add(code, name, supervisor_name, supervisor_phone):
    """Add a department, or update the supervisor of the one with this name."""
    session = db.session()
    department, created = add_department(
        session, code, name, supervisor_name=supervisor_name, supervisor_phone=supervisor_phone
    )
    session.commit()
    click.echo(f"department {department.name} {'added' if created else 'updated'}")


@departments_group.command("list")
@click.option("--municipality", "code", default=None)
@with_appcontext
def departments_list(code):
    """A municipality's departments and their supervisors."""
    place, found = list_departments(db.session(), code)
    click.echo(f"departments of {place.name}")
    for d in found:
        click.echo(f"{d.name:<32} {d.supervisor_name or '-'} {mask_phone(d.supervisor_phone)}")
    if not found:
        click.echo("no departments")


_import_command(departments_group, "import_departments", "departments")
