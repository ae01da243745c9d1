"""Migration 0007 carries existing tickets into the new states, with their reporter as
follower and a `created` event; its downgrade maps back or says plainly why it cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core import migrate
from app.extensions import db

NOW = "2026-03-02 09:00:00"
ROWS_AT_0005 = [
    "INSERT INTO municipalities (id, code, name, region, timezone, locales, created_at)"
    f" VALUES (1, 'm', 'M', 'ZA', 'Africa/Johannesburg', 'en', '{NOW}')",
    "INSERT INTO wards (id, municipality_id, number, name) VALUES (1, 1, 1, 'W')",
    "INSERT INTO categories (id, municipality_id, code, position, active, labels)"
    " VALUES (1, 1, 'water', 1, true, '{}')",
    "INSERT INTO residents (id, municipality_id, phone, subscribed, opted_out, created_at, updated_at)"
    f" VALUES (1, 1, '+27820000001', false, false, '{NOW}', '{NOW}')",
] + [
    "INSERT INTO tickets (id, reference, municipality_id, ward_id, category_id, resident_id, location,"
    f" status, source, source_key, created_at, updated_at) VALUES ({i}, 'R{i}', 1, 1, 1, {resident},"
    f" 'here', '{status}', 'ussd', 'k{i}', '{NOW}', '{NOW}')"
    for i, status, resident in (
        (1, "open", 1),
        (2, "assigned", 1),
        (3, "in_progress", 1),
        (4, "resolved", "NULL"),
        (5, "closed", 1),
    )
]


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _at_0005_with_tickets() -> None:
    migrate.downgrade(db, "0005")
    with db.engine.begin() as conn:
        for sql in ROWS_AT_0005:
            conn.execute(text(sql))


def test_old_states_are_mapped_and_history_starts(ctx):
    _at_0005_with_tickets()
    migrate.upgrade(db)
    assert _rows("SELECT id, status, priority, escalation_level, due_at FROM tickets ORDER BY id") == [
        (1, "received", 0, 0, None),
        (2, "acknowledged", 0, 0, None),
        (3, "in_progress", 0, 0, None),
        (4, "resolved", 0, 0, None),
        (5, "closed", 0, 0, None),
    ]
    # The reporter follows; a ticket whose resident is gone has no follower.
    assert _rows("SELECT ticket_id, resident_id, phone, reason FROM ticket_followers ORDER BY ticket_id") == [
        (i, 1, "+27820000001", "reporter") for i in (1, 2, 3, 5)
    ]
    assert _rows("SELECT ticket_id, kind, to_state, actor FROM ticket_events ORDER BY ticket_id") == [
        (1, "created", "received", "ussd"),
        (2, "created", "acknowledged", "ussd"),
        (3, "created", "in_progress", "ussd"),
        (4, "created", "resolved", "ussd"),
        (5, "created", "closed", "ussd"),
    ]
    assert _rows("SELECT duplicate_window_hours, department_id FROM categories") == [(48, None)]
    with pytest.raises(IntegrityError, match="ck_tickets_status"):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE tickets SET status = 'open' WHERE id = 1"))


def test_downgrade_maps_the_new_states_back(ctx):
    _at_0005_with_tickets()
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET status = 'reopened' WHERE id = 3"))
        conn.execute(text("UPDATE tickets SET status = 'rejected' WHERE id = 4"))
    migrate.downgrade(db, "0005")
    assert _rows("SELECT id, status FROM tickets ORDER BY id") == [
        (1, "open"),
        (2, "assigned"),
        (3, "open"),
        (4, "closed"),
        (5, "closed"),
    ]
    migrate.upgrade(db)


def test_downgrade_refuses_tickets_logged_by_staff(ctx):
    _at_0005_with_tickets()
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET source = 'counter' WHERE id IN (1, 2)"))
    head = _rows("SELECT version_num FROM alembic_version")
    with pytest.raises(RuntimeError, match=r"tickets.source = 'counter' \(2 rows\)"):
        migrate.downgrade(db, "0005")
    assert _rows("SELECT version_num FROM alembic_version") == head
    assert _rows("SELECT count(*) FROM ticket_events") == [(5,)]  # nothing half-done
