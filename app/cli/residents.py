"""`wardlink residents import`: a face over `app.places.resident_import`, with a progress bar."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from app.cli.groups import group
from app.extensions import db
from app.places.resident_import import import_residents


@group("residents")
def residents_group():
    """Residents known to each municipality."""


@residents_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@with_appcontext
def import_command(csv_file):
    """Import residents from CSV_FILE (municipality,phone,ward[,language][,subscribed]).

    Files of any size are streamed and upserted in batches, so running it twice is safe.
    Bad rows are reported by line number (the first 1,000 individually) and skipped.
    """
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:  # disable=None: drawn only on a terminal
            bar = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                desc="residents",
                disable=None,
                dynamic_ncols=True,
            )
        bar.update(done - bar.n)

    try:
        report = import_residents(db.session(), csv_file, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    if report.unreported:
        click.echo(f"... and {report.unreported} more rejected rows", err=True)
    click.echo(f"residents: {report.summary()}")
