"""Running Alembic from wardlink: `wardlink db upgrade`, the release step and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
"""Where the migration scripts live (top-level `migrations/`)."""


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
