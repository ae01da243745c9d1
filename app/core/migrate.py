"""Running Alembic from wardlink: `wardlink db upgrade`, the release step and the tests."""

from __future__ import annotations

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


def upgrade(db, revision: str = "head") -> None:
    """Bring the database bound to `db` up to `revision`."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(db.url, connection), revision)


def downgrade(db, revision: str) -> None:
    """Step the database bound to `db` down to `revision`."""
    with db.engine.begin() as connection:
        command.downgrade(alembic_config(db.url, connection), revision)
