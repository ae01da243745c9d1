"""Duplicate reports: which open ticket a new report is about, and who joins it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, TicketEvent, TicketFollower, Ward, utcnow
from app.places import municipalities as routing
from app.tickets import lifecycle
from app.tickets.duplicates import add_follower, confirmations, similar_open_ticket
from app.vocabulary import TicketStatus as S
from tests.tickets.factories import municipality, report

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
OTHER = "+27829876543"


def _ids(session, category: str = "water", ward: int = 3) -> tuple[int, int, int]:
    place = municipality(session, "saldanha")
    category_id = session.scalar(
        select(Category.id).where(Category.municipality_id == place.id, Category.code == category)
    )
    ward_id = session.scalar(select(Ward.id).where(Ward.municipality_id == place.id, Ward.number == ward))
    return place.id, ward_id, category_id


def _similar(session, category="water", ward=3, now=NOW):
    return similar_open_ticket(session, *_ids(session, category, ward), now)


@pytest.mark.parametrize(
    ("category", "age_hours", "found"),
    [
        ("water", 47, True),  # water: 48 h
        ("water", 49, False),
        ("electricity", 23, True),  # electricity: 24 h
        ("electricity", 25, False),
        ("roads", 167, True),  # roads: a week
        ("roads", 169, False),
    ],
)
def test_the_window_is_the_categorys(demo, ctx, category, age_hours, found):
    session = db.session()
    ticket = report(session, category=category, now=NOW - dt.timedelta(hours=age_hours))
    assert (_similar(session, category) == ticket) is found


def test_another_ward_or_category_is_another_fault(demo, ctx):
    session = db.session()
    report(session, now=NOW - dt.timedelta(hours=1))
    assert _similar(session, "water", 8) is None
    assert _similar(session, "sanitation", 3) is None
    assert _similar(session, "water", 3) is not None


def test_only_open_tickets_count_and_the_newest_is_offered(demo, ctx):
    session = db.session()
    older = report(session, now=NOW - dt.timedelta(hours=5))
    newer = report(session, now=NOW - dt.timedelta(hours=2))
    assert _similar(session) == newer
    lifecycle.transition(session, newer, S.RESOLVED, actor="cli", now=NOW)
    assert _similar(session) == older
    lifecycle.transition(session, older, S.REJECTED, reason="not ours", actor="cli", now=NOW)
    assert _similar(session) is None
    lifecycle.transition(session, newer, S.REOPENED, actor="cli", now=NOW)
    assert _similar(session) == newer


def test_a_window_of_zero_never_matches(demo, ctx):
    session = db.session()
    report(session, now=utcnow() - dt.timedelta(minutes=1))
    assert _similar(session, now=utcnow()) is not None
    water = session.get(Category, _ids(session)[2])
    water.duplicate_window_hours = 0
    session.flush()
    routing.cache.clear()
    assert _similar(session, now=utcnow()) is None


def test_adding_a_follower_confirms_once(demo, ctx):
    session = db.session()
    ticket = report(session)
    assert confirmations(session, ticket) == 0
    assert add_follower(session, ticket, phone=OTHER, locale="af", actor="sms") is True
    assert add_follower(session, ticket, phone=OTHER, actor="sms") is False
    # The reporter already follows it: no confirmation of their own report.
    assert add_follower(session, ticket, phone="+27821234567", actor="sms") is False
    session.commit()
    followers = session.scalars(select(TicketFollower).where(TicketFollower.ticket_id == ticket.id)).all()
    assert sorted((f.phone, f.reason) for f in followers) == [("+27821234567", "reporter"), (OTHER, "added")]
    confirmed = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "confirmed")
    ).all()
    assert len(confirmed) == 1 and confirmed[0].actor == "sms"
    assert "+27" in confirmed[0].internal_note and OTHER not in confirmed[0].internal_note
    assert confirmations(session, ticket) == 1


def test_tickets_show_counts_confirmations(app, demo):
    with app.app_context():
        session = db.session()
        ticket = report(session)
        add_follower(session, ticket, phone=OTHER, actor="ussd")
        session.commit()
        reference = ticket.reference
    shown = app.test_cli_runner().invoke(args=["tickets", "show", reference])
    assert shown.exit_code == 0, shown.output
    assert "confirmations: 1 (residents who reported it again)" in shown.output
    assert "+27******543 (added)" in shown.output
    assert shown.output.split("events:\n")[1].splitlines()[-1].split()[2] == "confirmed"
