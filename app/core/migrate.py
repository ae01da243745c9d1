"""Running Alembic from wardlink: `wardlink db upgrade`, the release step and the tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
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


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (and was rolled back)."""


@contextmanager
def migration_connection(engine) -> Iterator:
    """A connection in a transaction for migrations, committed at the end.

    On SQLite, foreign keys are off meanwhile: a batch migration rebuilds a table (copy,
    drop, rename), and with them on, the drop first deletes every row, firing the ON DELETE
    actions of the tables that point at it (rebuilding `broadcasts` would cascade to all its
    delivery rows). The pragma only takes effect outside a transaction, so it is set before
    the migrations' transaction begins, and every reference is checked before it commits.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(db, revision: str = "head", *, quiet: bool = False) -> None:
    """Bring the database bound to `db` up to `revision`; `quiet` keeps Alembic's INFO lines
    (one per migration) off the terminal, for commands whose output is their screen."""
    with _alembic_level(logging.WARNING if quiet else None), migration_connection(db.engine) as connection:
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
    with migration_connection(db.engine) as connection:
        command.downgrade(alembic_config(db.url, connection), revision)
