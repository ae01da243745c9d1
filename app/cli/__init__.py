"""The `wardlink` command: a Flask CLI group (`wardlink --help`)."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup

from app import create_app
from app.channels.africastalking.fake import command as fake_provider
from app.cli.councillors import councillors_group
from app.cli.database import db_group
from app.cli.places import categories_group, demo, municipalities_group, wards_group
from app.cli.processes import cron, reap_command, serve, simulate, worker
from app.cli.residents import residents_group
from app.cli.staff import broadcasts_group, outages_group
from app.cli.staff_accounts import apikeys_group, audit_group, users_group
from app.cli.tickets import departments_group, tickets_group
from app.config import ConfigError
from app.core.logs import configure_logging


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli():
    """wardlink: USSD and SMS between citizens and their municipality."""


def main() -> None:
    """Console script entry point."""
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        cli(prog_name="wardlink", standalone_mode=True)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def init_app(app) -> None:
    """Attach wardlink's commands to the app (the `wardlink` group finds them there)."""
    for command in COMMANDS:
        app.cli.add_command(command)


COMMANDS = (
    db_group,
    municipalities_group,
    wards_group,
    categories_group,
    demo,
    worker,
    cron,
    serve,
    simulate,
    fake_provider,
    reap_command,
    outages_group,
    broadcasts_group,
    councillors_group,
    residents_group,
    users_group,
    apikeys_group,
    audit_group,
    departments_group,
    tickets_group,
)
"""Every command `init_app` attaches."""
