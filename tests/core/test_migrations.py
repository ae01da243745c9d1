"""Migrations are the only way the schema changes: they must match the models both ways."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.core import migrate
from app.extensions import db
from app.models import Base


def test_migrated_schema_matches_models(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(ctx):
    migrate.downgrade(db, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db)
    assert "tickets" in inspect(db.engine).get_table_names()


NOW = "2026-03-02 09:00:00"
ROWS_AT_0003 = [
    "INSERT INTO municipalities (id, code, name, region, timezone, locales, created_at)"
    f" VALUES (1, 'm', 'M', 'ZA', 'Africa/Johannesburg', 'en', '{NOW}')",
    "INSERT INTO wards (id, municipality_id, number, name) VALUES (1, 1, 1, 'W')",
    "INSERT INTO broadcasts (id, municipality_id, kind, author, texts, urgent, status,"
    f" fanout_cursor, wrong_codes, created_at) VALUES (1, 1, 'broadcast', 'a', '{{}}', false,"
    f" 'done', 0, 0, '{NOW}')",
    "INSERT INTO broadcast_wards (broadcast_id, ward_id) VALUES (1, 1)",
    "INSERT INTO messages (id, phone, text, encoding, segments, purpose, essential, queue, status,"
    " attempts, broadcast_id, created_at, updated_at) VALUES (1, '+27820000000', 't', 'GSM-7', 1,"
    f" 'broadcast', false, 'bulk', 'sent', 1, 1, '{NOW}', '{NOW}')",
    "INSERT INTO delivery_reports (id, provider_message_id, message_id, received_at)"
    f" VALUES (1, 'ATXid_1', 1, '{NOW}')",
]


def _at_0003_with_rows(extra: tuple[str, ...] = ()) -> None:
    migrate.downgrade(db, "0003")
    with db.engine.begin() as conn:
        for sql in ROWS_AT_0003 + list(extra):
            conn.execute(text(sql))


def _counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("broadcasts", "broadcast_wards", "messages", "delivery_reports")
        }


def test_rebuilding_tables_keeps_the_rows_that_point_at_them(ctx):
    # SQLite rebuilds `broadcasts` to add its CHECKs; with foreign keys on, dropping the old
    # table deleted its delivery rows and wards (ON DELETE CASCADE) and unlinked the reports.
    _at_0003_with_rows()
    migrate.upgrade(db)
    assert _counts() == {"broadcasts": 1, "broadcast_wards": 1, "messages": 1, "delivery_reports": 1}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT message_id FROM delivery_reports")).scalar() == 1
    migrate.downgrade(db, "0003")
    assert _counts()["messages"] == 1
    migrate.upgrade(db)
    with db.engine.connect() as conn:  # and the foreign keys are enforced again afterwards
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO broadcast_wards (broadcast_id, ward_id) VALUES (9, 1)"))


def test_values_outside_the_vocabulary_stop_the_upgrade(ctx):
    _at_0003_with_rows(("UPDATE messages SET status = 'lost'", "UPDATE broadcasts SET kind = 'newsletter'"))
    with pytest.raises(
        RuntimeError,
        match=r"messages.status = 'lost' \(1 rows\); "
        r"broadcasts.kind = 'newsletter' \(1 rows\)",
    ):
        migrate.upgrade(db)
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        conn.execute(text("UPDATE messages SET status = 'sent'"))
        conn.execute(text("UPDATE broadcasts SET kind = 'broadcast'"))
    migrate.upgrade(db)
    assert _counts()["messages"] == 1
