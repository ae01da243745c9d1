"""Running Alembic from wardlink: `wardlink db upgrade`, the release step and the tests."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
"""Where the migration scripts live: the top-level `migrations` package, in a source tree
and in an installed wheel alike."""


def alembic_config(url: str, connection=None) -> Config:
    """An Alembic config pointing at our scripts and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(db, revision: str = "head", *, quiet: bool = False) -> None:
    """Bring the database bound to `db` up to `revision`; `quiet` keeps Alembic's INFO lines
    (one per migration) off the terminal, for commands whose output is their screen."""
    with _alembic_level(logging.WARNING if quiet else None), db.engine.begin() as connection:
        command.upgrade(alembic_config(db.url, connection), revision)


@contextmanager
def _alembic_level(level: int | None):
    logger = logging.getLogger("alembic")
    before = logger.level
    if level is not None:
        logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def downgrade(db, revision: str) -> None:
    """Step the database bound to `db` down to `revision`."""
    with db.engine.begin() as connection:
        command.downgrade(alembic_config(db.url, connection), revision)
