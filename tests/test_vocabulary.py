"""The typed vocabulary and UTC timestamps, at the database: what goes in is what comes out,
and what is not in the vocabulary (or not aware) is refused."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Enum, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.core.migrate import MIGRATIONS_DIR
from app.extensions import db
from app.language.gsm import count_segments
from app.language.labels import STATUS_LABELS
from app.models import (
    Base,
    Category,
    Department,
    Municipality,
    Outage,
    Resident,
    StaffUser,
    Ticket,
    UTCDateTime,
    Ward,
)
from app.vocabulary import MessageEncoding, MessageQueue, TicketStatus
from workers.queues import ORDER

SAST = ZoneInfo("Africa/Johannesburg")
NOW = "2026-03-02 09:00:00"


def _parents(session, with_ticket: bool = False) -> tuple[int, int]:
    m = Municipality(code="vocab", name="Vocab", region="ZA", timezone="Africa/Johannesburg", locales="en")
    session.add(m)
    session.flush()
    category = Category(municipality_id=m.id, code="water", labels={})
    session.add(category)
    session.flush()
    if with_ticket:  # the parents of ticket events and followers (`_nth` finds them)
        residents = [Resident(municipality_id=m.id, phone=f"+2782000000{i}") for i in range(4)]
        session.add_all(residents)
        session.flush()
        session.add(
            Ticket(
                reference="P1",
                municipality_id=m.id,
                category_id=category.id,
                resident_id=residents[0].id,
                location="here",
                source="sms",
                source_key="parent",
            )
        )
        session.flush()
    return m.id, category.id


def _nth(table: str, i: int = 0):
    """The id of the i-th row of a parent table `_parents` made, as a subquery."""
    ids = Base.metadata.tables[table].c.id
    return select(ids).order_by(ids).offset(i).limit(1).scalar_subquery()


def _row(table: str, i: int, municipality_id: int, category_id: int) -> dict:
    """A valid row of `table`, unique by `i`, whose closed-set columns the test overrides."""
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    if table == "staff_roles":  # the only row that needs another row made first
        return {"user_id": _staff_user(i), "role": "admin"}
    return {
        "service_codes": {"channel": "sms", "code": f"*{i}#", "municipality_id": municipality_id},
        "tickets": {
            "reference": f"R{i}",
            "municipality_id": municipality_id,
            "category_id": category_id,
            "location": "here",
            "source": "sms",
            "source_key": f"k{i}",
        },
        "outages": {"municipality_id": municipality_id, "service": "water", "starts_at": now},
        "inbound_messages": {"provider_id": f"p{i}"},
        "messages": {
            "phone": "+27820000000",
            "text": "t",
            "encoding": "GSM-7",
            "segments": 1,
            "purpose": "reply",
        },
        "opt_outs": {"phone": "+27820000000", "action": "stop", "channel": "sms"},
        "suppressions": {"phone": f"+2782000{i:04d}", "channel": "sms"},
        "broadcasts": {
            "municipality_id": municipality_id,
            "kind": "broadcast",
            "author": "a",
            "texts": {"*": "t"},
        },
        "api_keys": {"name": "k", "role": "admin", "prefix": f"p{i}", "secret_hash": "h"},
        "audit_log": {"actor_kind": "cli", "actor_label": "cli:test", "action": "test"},
        "ticket_events": {"ticket_id": _nth("tickets"), "kind": "created", "actor": "sms"},
        "ticket_questions": {"ticket_id": _nth("tickets"), "phone": "+27820000001", "asked_at": now},
        "ticket_followers": {
            "ticket_id": _nth("tickets"),
            "resident_id": _nth("residents", i),  # one row per (ticket, resident)
            "phone": "+27820000001",
            "reason": "reporter",
        },
    }[table]


def _staff_user(i: int) -> int:
    session = db.session()
    user = StaffUser(name="S", email=f"s{i}@example.org", password_hash="x", active=True, failed_logins=0)
    session.add(user)
    session.flush()
    return user.id


def _in_scope(table: str, values: dict, municipality_id: int) -> dict:
    """A role's row with the scope its role needs (ck_<table>_scope): none for platform, a
    municipality for the others, and a department or ward for those two."""
    if table not in ("staff_roles", "api_keys") or values["role"] == "platform":
        return values
    values = {**values, "municipality_id": municipality_id}
    if values["role"] == "department":
        session = db.session()
        department = session.scalar(select(Department).where(Department.municipality_id == municipality_id))
        if department is None:
            department = Department(municipality_id=municipality_id, name="Water")
            session.add(department)
            session.flush()
        values["department_id"] = department.id
    if values["role"] == "councillor":
        session = db.session()
        ward = session.scalar(select(Ward).where(Ward.municipality_id == municipality_id))
        if ward is None:
            ward = Ward(municipality_id=municipality_id, number=1, name="W")
            session.add(ward)
            session.flush()
        values["ward_id"] = ward.id
    return values


CLOSED_COLUMNS = [
    (table.name, column.name)
    for table in Base.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, Enum)
]
"""Every column that holds a closed set of values."""


def test_the_migration_checks_what_the_models_check():
    # Alembic does not compare CHECK constraints: the sets and names are compared here.
    # 0004 wrote the sets; later migrations that change or add one carry their own CHECKS.
    in_migration = {}
    for path in sorted(MIGRATIONS_DIR.glob("versions/0*.py")):
        migration = importlib.import_module(f"migrations.versions.{path.stem}")
        for table, columns in getattr(migration, "CHECKS", {}).items():
            in_migration.update({(table, column): values for column, values in columns.items()})
    in_models = {
        (table, column): tuple(m.value for m in Base.metadata.tables[table].c[column].type.enum_class)
        for table, column in CLOSED_COLUMNS
    }
    assert in_models == in_migration
    for table, column in CLOSED_COLUMNS:
        assert Base.metadata.tables[table].c[column].type.name == column  # ck_<table>_<column>


@pytest.mark.parametrize(("table", "column"), CLOSED_COLUMNS)
def test_every_value_round_trips_through_its_column(ctx, table, column):
    session = db.session()
    parents = _parents(
        session, with_ticket=table in ("ticket_events", "ticket_followers", "ticket_questions")
    )
    model = Base.metadata.tables[table]
    vocabulary = model.c[column].type.enum_class
    for i, member in enumerate(vocabulary):
        values = {**_row(table, i, *parents), column: member.value}
        session.execute(insert(model).values(_in_scope(table, values, parents[0])))
    stored = session.scalars(select(model.c[column]).order_by(*model.primary_key.columns)).all()
    assert stored == list(vocabulary)
    assert all(type(value) is vocabulary for value in stored)  # members, equal to their strings
    session.rollback()


@pytest.mark.parametrize(
    ("table", "column", "sql"),
    [
        (
            "messages",
            "status",
            "INSERT INTO messages (phone, text, encoding, segments, purpose, essential, queue, status,"
            " attempts, created_at, updated_at) VALUES ('+27820000000', 't', 'GSM-7', 1, 'reply', false,"
            f" 'high', 'lost', 0, '{NOW}', '{NOW}')",
        ),
        (
            "broadcasts",
            "status",
            "INSERT INTO broadcasts (municipality_id, kind, author, texts, urgent, status, fanout_cursor,"
            f" wrong_codes, created_at) VALUES (:m, 'broadcast', 'a', '{{}}', false, 'sent', 0, 0, '{NOW}')",
        ),
        (
            "opt_outs",
            "action",
            f"INSERT INTO opt_outs (phone, action, channel, created_at) VALUES ('+27820000000', 'pause',"
            f" 'sms', '{NOW}')",
        ),
        (
            "tickets",
            "source",
            "INSERT INTO tickets (reference, municipality_id, category_id, location, status, source,"
            f" source_key, created_at, updated_at) VALUES ('R1', :m, :c, 'here', 'received', 'email', 'k',"
            f" '{NOW}', '{NOW}')",
        ),
    ],
)
def test_the_database_refuses_a_value_outside_the_vocabulary(ctx, table, column, sql):
    session = db.session()
    municipality_id, category_id = _parents(session)
    session.commit()
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        with db.engine.begin() as conn:  # raw SQL: nothing of ours checks it on the way
            conn.execute(
                text(sql).bindparams(
                    **{k: v for k, v in (("m", municipality_id), ("c", category_id)) if f":{k}" in sql}
                )
            )


def test_an_unknown_string_is_refused_before_the_database(ctx):
    session = db.session()
    municipality_id, _ = _parents(session)
    session.add(
        Outage(
            municipality_id=municipality_id,
            service="water",
            status="cancelled",
            starts_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )
    )
    with pytest.raises(StatementError, match="cancelled"):
        session.flush()
    session.rollback()


def test_the_sets_agree_with_the_code_that_names_them():
    assert set(STATUS_LABELS) == set(TicketStatus)  # a status residents cannot read is a bug
    assert set(ORDER) == set(MessageQueue)
    assert {count_segments("Water is off").encoding, count_segments("Amanzi avaliwe ✓").encoding} == set(
        MessageEncoding
    )


# --- UTC timestamps ------------------------------------------------------------------------


def _outage(session, starts_at) -> int:
    municipality_id, _ = _parents(session)
    outage = Outage(municipality_id=municipality_id, service="water", starts_at=starts_at)
    session.add(outage)
    session.flush()
    return outage.id


def test_a_naive_timestamp_is_refused(ctx):
    session = db.session()
    with pytest.raises(StatementError, match="naive datetime") as caught:
        _outage(session, dt.datetime(2026, 3, 2, 9, 0))
    assert isinstance(caught.value.orig, ValueError)
    session.rollback()


def test_a_timestamp_is_stored_as_utc_and_read_back_aware(ctx):
    session = db.session()
    local = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SAST)  # 07:00 UTC
    outage_id = _outage(session, local)
    session.commit()
    session.expunge_all()

    read = db.session().get(Outage, outage_id)
    assert read.starts_at == local and read.starts_at.tzinfo is dt.UTC
    assert read.created_at.tzinfo is dt.UTC
    raw = db.session().execute(text("SELECT starts_at FROM outages")).scalar()
    if isinstance(raw, str):  # SQLite: the stored wall-clock time is UTC's, not Johannesburg's
        assert raw.startswith("2026-03-02 07:00:00")
    else:
        assert raw == local
    # Compared in SQL with a value in another zone: right on SQLite too, where it is text.
    found = (
        db.session()
        .scalars(select(Outage.id).where(Outage.starts_at > dt.datetime(2026, 3, 2, 8, 30, tzinfo=SAST)))
        .all()
    )
    assert found == [outage_id]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (dt.datetime(2026, 3, 2, 7, 0), dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)),  # SQLite
        (
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=SAST),  # PostgreSQL, in the session's zone
            dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_values_read_back_are_utc(value, expected):
    result = UTCDateTime().process_result_value(value, None)
    assert result == expected and (result is None or result.tzinfo is dt.UTC)
