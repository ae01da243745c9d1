"""Municipalities, wards and categories from CSV, and the demo data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.cli.groups import group
from app.extensions import db
from app.places import importers
from app.places.demo import load_demo


def _import_command(group, importer_name: str, what: str):
    @group.command("import")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @with_appcontext
    def run_import(csv_file):
        report = getattr(importers, importer_name)(db.session(), csv_file)
        for line, reason in report.errors:
            click.echo(f"line {line}: {reason}", err=True)
        click.echo(f"{what}: {report.summary()}")

    run_import.__doc__ = f"Import {what} from a CSV file (bad rows reported by line, good rows kept)."
    return run_import


@group("municipalities")
def municipalities_group():
    """Municipalities served by this deployment."""


@group("wards")
def wards_group():
    """Wards of each municipality."""


@group("categories")
def categories_group():
    """Fault categories of each municipality."""


_import_command(municipalities_group, "import_municipalities", "municipalities")
_import_command(wards_group, "import_wards", "wards")
_import_command(categories_group, "import_categories", "categories")


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo municipalities, wards, categories and an outage (once)."""
    click.echo("demo data loaded" if load_demo(db.session()) else "data already present")
