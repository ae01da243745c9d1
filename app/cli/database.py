"""`wardlink db`: schema migrations (Alembic)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.core import migrate
from app.extensions import db


@click.group("db")
def db_group():
    """Schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(db, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert migrations down to REVISION."""
    migrate.downgrade(db, revision)
    click.echo(f"database at {revision}")
