"""Overdue tickets are told to the department's supervisor, then to the ward councillor: an
SMS per level, once each, with a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.broadcasts.councillors import add_councillor
from app.config import SUPPORTED_LOCALES
from app.extensions import db
from app.language.gsm import count_segments, to_gsm
from app.language.i18n import gettext
from app.models import Message, Ticket
from app.tickets import lifecycle
from app.tickets.escalation import escalate_overdue
from app.tickets.templates import ESCALATION_TEMPLATES
from app.vocabulary import TicketStatus as S
from tests.tickets.factories import report
from workers.reaper import escalate_tickets

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # Monday 11:00 in Saldanha Bay
HOUR = dt.timedelta(hours=1)


def _sms(session) -> list[tuple[str, str]]:
    return [(m.phone, m.purpose) for m in session.scalars(select(Message).order_by(Message.id))]


def _escalations(session, ticket) -> list[str]:
    return [e.internal_note for e in lifecycle.events(session, ticket) if e.kind == "escalated"]


def test_each_level_is_told_once(ctx, demo):
    session = db.session()
    add_councillor(session, "saldanha", 3, "Cllr Jacobs", "+27829990003", "1234")
    ticket = report(session, category="water", ward=3, now=NOW)  # 24 h target: due at NOW + 24 h
    session.commit()

    assert escalate_overdue(session, NOW + 23 * HOUR) == 0
    assert escalate_overdue(session, NOW + 25 * HOUR) == 1
    session.commit()
    assert _sms(session) == [("+27820000101", "escalation")]  # the Water and Sanitation supervisor
    assert escalate_overdue(session, NOW + 26 * HOUR) == 0  # not twice
    assert escalate_overdue(session, NOW + 47 * HOUR) == 0  # level 2 waits one more target
    assert escalate_overdue(session, NOW + 49 * HOUR) == 1
    session.commit()
    assert escalate_overdue(session, NOW + 90 * HOUR) == 0
    assert _sms(session) == [("+27820000101", "escalation"), ("+27829990003", "escalation")]
    assert session.get(Ticket, ticket.id).escalation_level == 2
    assert _escalations(session, ticket) == [
        "level 1: overdue; Water and Sanitation duty supervisor of Water and Sanitation told by SMS",
        "level 2: still overdue; the councillor(s) of ward 3 told by SMS",
    ]
    supervisor, councillor = session.scalars(select(Message).order_by(Message.id)).all()
    assert supervisor.text == (
        f"Overdue: ticket {ticket.reference} (Water) in ward 3, due 2026-03-03 11:00. Please act on it."
    )
    assert councillor.text.startswith(f"Overdue: ticket {ticket.reference} (Water) in your ward 3")
    assert supervisor.sender_id == "SaldanhaMun" and supervisor.essential


def test_a_ticket_overdue_past_both_levels_tells_both_in_one_run(ctx, demo):
    session = db.session()
    add_councillor(session, "saldanha", 3, "Cllr Jacobs", "+27829990003", "1234")
    report(session, category="water", ward=3, now=NOW)
    session.commit()
    assert escalate_overdue(session, NOW + 100 * HOUR) == 2
    assert escalate_overdue(session, NOW + 100 * HOUR) == 0
    assert len(_sms(session)) == 2


def test_nobody_to_tell_is_recorded_and_not_retried(ctx, demo):
    session = db.session()
    ticket = report(session, category="water", ward=5, now=NOW)  # ward 5 has no councillor
    ticket.department.supervisor_phone = None
    session.commit()
    assert escalate_overdue(session, NOW + 100 * HOUR) == 2
    assert escalate_overdue(session, NOW + 200 * HOUR) == 0
    assert _sms(session) == []
    assert _escalations(session, ticket) == [
        "level 1: overdue; Water and Sanitation has no supervisor phone",
        "level 2: still overdue; ward 5 has no active councillor",
    ]


def test_only_open_tickets_escalate(ctx, demo):
    session = db.session()
    fixed = report(session, category="water", now=NOW)
    lifecycle.transition(session, fixed, S.RESOLVED, actor="cli", now=NOW + HOUR)
    rejected = report(session, category="water", now=NOW)
    lifecycle.transition(session, rejected, S.REJECTED, actor="cli", reason="Private pipe", now=NOW + HOUR)
    working = report(session, category="water", now=NOW)
    lifecycle.transition(session, working, S.IN_PROGRESS, actor="cli", now=NOW + HOUR)
    session.commit()
    assert escalate_overdue(session, NOW + 25 * HOUR) == 1
    assert [t for t in (fixed, rejected, working) if _escalations(session, t)] == [working]


def test_working_day_targets_escalate_at_the_end_of_the_working_day(ctx, demo):
    session = db.session()
    # Refuse in Saldanha Bay: 3 working days. Thursday 2 April 2026, then Easter.
    ticket = report(session, category="refuse", now=dt.datetime(2026, 4, 2, 8, 0, tzinfo=dt.UTC))
    session.commit()
    due = dt.datetime(2026, 4, 9, 15, 0, tzinfo=dt.UTC)  # Tue 7, Wed 8, Thu 9 April, 17:00 SAST
    assert ticket.due_at == due
    assert escalate_overdue(session, due - dt.timedelta(minutes=1)) == 0
    assert escalate_overdue(session, due) == 1
    # Level 2: three more working days (Fri 10, Mon 13, Tue 14 April).
    assert escalate_overdue(session, dt.datetime(2026, 4, 14, 14, 59, tzinfo=dt.UTC)) == 0
    assert escalate_overdue(session, dt.datetime(2026, 4, 14, 15, 0, tzinfo=dt.UTC)) == 1


def test_the_reaper_escalates_and_queues_the_sms(ctx, demo, redis):
    session = db.session()
    report(session, category="water", now=NOW)
    session.commit()
    assert escalate_tickets(NOW + 25 * HOUR) == 1
    assert redis.llen("rq:queue:high") == 1
    assert escalate_tickets(NOW + 25 * HOUR) == 0
    assert redis.llen("rq:queue:high") == 1


VALUES = {
    "reference": "48210937",
    "category": "W" * 40,  # the longest label an import accepts
    "ward": 9999,
    "due": "2026-11-24 17:00",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_escalation_sms_fit_one_segment_in_every_language(locale):
    for template in ESCALATION_TEMPLATES:
        text = to_gsm(gettext(locale, template, **VALUES))
        count = count_segments(text)
        assert (count.encoding, count.segments) == ("GSM-7", 1), (locale, len(text), text)
        if locale != "en":
            assert text != to_gsm(template.format(**VALUES)), (locale, "not translated")
