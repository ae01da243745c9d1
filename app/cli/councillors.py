"""`wardlink councillors add|list|disable`: a thin face over `app.broadcasts.councillors`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.broadcasts import councillors
from app.cli.groups import group
from app.core.phones import mask_phone
from app.extensions import db
from app.models import Municipality


@group("councillors")
def councillors_group():
    """Ward councillors who may broadcast to their ward."""


@councillors_group.command("add")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--ward", "ward_number", required=True, type=int, help="Ward number.")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="E.164, or local to the municipality's country.")
@click.option(
    "--pin",
    envvar="WARDLINK_COUNCILLOR_PIN",
    default=None,
    help="4 to 6 digits (for scripts; prompted for when left out).",
)
@with_appcontext
def add_command(municipality_code, ward_number, name, phone, pin):
    """Add a councillor, or update one (ward, name, PIN) and re-activate it."""
    if pin is None:
        pin = click.prompt("PIN (4 to 6 digits)", hide_input=True, confirmation_prompt=True)
    session = db.session()
    councillor = councillors.add_councillor(session, municipality_code, ward_number, name, phone, pin)
    session.commit()
    click.echo(
        f"councillor {councillor.name} ({mask_phone(councillor.phone)}) "
        f"for ward {ward_number} of {municipality_code.strip().lower()}"
    )


@councillors_group.command("list")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality.")
@with_appcontext
def list_command(municipality_code):
    """List councillors (phone numbers masked)."""
    session = db.session()
    found = councillors.list_councillors(session, municipality_code)
    codes = dict(session.execute(select(Municipality.id, Municipality.code)).all())
    for c in found:
        click.echo(
            f"{codes[c.municipality_id]:<12} ward {c.ward.number:<4} "
            f"{mask_phone(c.phone):<16} {councillors.councillor_status(c):<10} {c.name}"
        )
    if not found:
        click.echo("no councillors")


@councillors_group.command("disable")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--phone", required=True)
@with_appcontext
def disable_command(municipality_code, phone):
    """Disable a councillor (they can no longer broadcast; `add` re-activates)."""
    session = db.session()
    councillor = councillors.disable_councillor(session, municipality_code, phone)
    session.commit()
    click.echo(f"councillor {councillor.name} ({mask_phone(councillor.phone)}) disabled")
