"""The transition table: every allowed move works and is recorded, illegal ones are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from app.errors import ConflictError, InvalidError
from app.extensions import db
from app.models import TicketEvent
from app.tickets import lifecycle
from app.tickets.states import CLOSED, FIXED, MOVES, OPEN
from app.vocabulary import TicketStatus as S
from tests.tickets.factories import report

ALLOWED = [(current, to) for current, targets in MOVES.items() for to in sorted(targets)]
ILLEGAL = [
    (S.RECEIVED, S.CLOSED),
    (S.RECEIVED, S.REOPENED),
    (S.RECEIVED, S.RECEIVED),
    (S.ACKNOWLEDGED, S.RECEIVED),
    (S.IN_PROGRESS, S.ACKNOWLEDGED),
    (S.RESOLVED, S.IN_PROGRESS),
    (S.CLOSED, S.RESOLVED),
    (S.REJECTED, S.IN_PROGRESS),
    (S.DUPLICATE, S.REOPENED),
    (S.REOPENED, S.CLOSED),
    (S.RECEIVED, S.DUPLICATE),
    (S.IN_PROGRESS, S.DUPLICATE),
]
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def _ticket_in(session, state: S):
    ticket = report(session, now=NOW - dt.timedelta(days=1))
    ticket.status = state
    session.flush()
    return ticket


def _events(session, ticket) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))


def test_the_table_covers_every_state_and_no_move_leads_back_to_received():
    assert set(MOVES) == set(S)
    assert OPEN | FIXED | CLOSED == set(S) and not (OPEN & CLOSED)
    assert all(S.RECEIVED not in targets and S.DUPLICATE not in targets for targets in MOVES.values())
    assert MOVES[S.DUPLICATE] == frozenset()


@pytest.mark.parametrize(("current", "to"), ALLOWED)
def test_every_allowed_move_works_and_is_an_event(ctx, demo, current, to):
    session = db.session()
    ticket = _ticket_in(session, current)
    reason = "Private property: not a municipal pipe" if to == S.REJECTED else None
    event = lifecycle.transition(
        session, ticket, to.value, actor="user:7", public_note="Team on site", reason=reason, now=NOW
    )
    session.commit()
    session.expire_all()
    assert ticket.status == to
    assert (event.kind, event.from_state, event.to_state, event.actor) == ("state", current, to, "user:7")
    assert event.public_note == "Team on site"
    assert [e.kind for e in _events(session, ticket)] == ["created", "state"]
    assert ticket.resolved_at == (NOW if to == S.RESOLVED else None)
    assert ticket.closed_at == (NOW if to in CLOSED else None)
    assert ticket.rejection_reason == reason
    assert ticket.priority == (1 if to == S.REOPENED else 0)


@pytest.mark.parametrize(("current", "to"), ILLEGAL)
def test_illegal_moves_are_refused_naming_both_states(ctx, demo, current, to):
    session = db.session()
    ticket = _ticket_in(session, current)
    with pytest.raises(ConflictError) as refused:
        lifecycle.transition(session, ticket, to, actor="cli", reason="because")
    assert (refused.value.code, refused.value.field) == ("illegal_transition", "to")
    assert f"from {current} to {to}" in refused.value.message
    assert ticket.status == current
    assert [e.kind for e in _events(session, ticket)] == ["created"]


def test_an_unknown_state_is_invalid(ctx, demo):
    session = db.session()
    ticket = _ticket_in(session, S.RECEIVED)
    with pytest.raises(InvalidError, match="unknown ticket state 'open'") as refused:
        lifecycle.transition(session, ticket, "open", actor="cli")
    assert refused.value.field == "to"


def test_rejecting_needs_a_reason_that_the_reporters_are_told(ctx, demo):
    session = db.session()
    ticket = _ticket_in(session, S.ACKNOWLEDGED)
    with pytest.raises(InvalidError) as refused:
        lifecycle.transition(session, ticket, S.REJECTED, actor="cli", reason="  ")
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert ticket.status == S.ACKNOWLEDGED
    event = lifecycle.transition(session, ticket, S.REJECTED, actor="cli", reason="Eskom's line, not ours")
    assert (
        event.public_note == "Eskom's line, not ours" and ticket.rejection_reason == "Eskom's line, not ours"
    )


def test_reopening_raises_priority_and_restarts_the_target(ctx, demo):
    session = db.session()
    ticket = report(session, now=NOW)  # water: 24 hours
    assert ticket.due_at == NOW + dt.timedelta(hours=24)
    lifecycle.transition(session, ticket, S.RESOLVED, actor="cli", now=NOW + dt.timedelta(hours=5))
    ticket.escalation_level = 1
    later = NOW + dt.timedelta(days=3)
    lifecycle.transition(session, ticket, S.REOPENED, actor="sms", now=later)
    lifecycle.transition(session, ticket, S.RESOLVED, actor="cli", now=later)
    lifecycle.transition(session, ticket, S.REOPENED, actor="sms", now=later)
    assert ticket.priority == 2 and ticket.escalation_level == 0
    assert ticket.due_at == later + dt.timedelta(hours=24)
    assert ticket.resolved_at is None and ticket.closed_at is None


def test_a_move_made_meanwhile_wins_and_the_stale_one_is_refused(ctx, demo):
    session = db.session()
    ticket = _ticket_in(session, S.RECEIVED)
    session.commit()
    # Another request moved it after this one read the ticket.
    session.execute(text("UPDATE tickets SET status = 'in_progress' WHERE id = :id"), {"id": ticket.id})
    with pytest.raises(ConflictError) as refused:
        lifecycle.transition(session, ticket, S.ACKNOWLEDGED, actor="cli")
    assert refused.value.code == "stale" and "now in_progress" in refused.value.message
    assert [e.kind for e in _events(session, ticket)] == ["created"]


def test_notes_and_actor_limits(ctx, demo):
    session = db.session()
    ticket = _ticket_in(session, S.RECEIVED)
    with pytest.raises(InvalidError) as long_note:
        lifecycle.transition(session, ticket, S.ACKNOWLEDGED, actor="cli", public_note="x" * 301)
    assert long_note.value.field == "public_note"
    with pytest.raises(InvalidError) as empty:
        lifecycle.add_note(session, ticket, actor="cli", public_note=" ")
    assert empty.value.field == "public_note"
    internal = lifecycle.add_note(session, ticket, actor="user:3", internal_note="Valve key needed")
    public = lifecycle.add_note(session, ticket, actor="user:3", public_note="Parts ordered")
    assert (internal.kind, public.kind) == ("internal_note", "public_note")
    assert ticket.status == S.RECEIVED


def test_every_change_reaches_the_listeners_inside_its_transaction(ctx, demo, monkeypatch):
    heard = []

    def listener(session, ticket, event):
        heard.append((ticket.reference, event.kind, event.to_state, session.in_transaction()))

    monkeypatch.setattr(lifecycle, "CHANGE_LISTENERS", (listener,))
    session = db.session()
    ticket = _ticket_in(session, S.RECEIVED)
    lifecycle.transition(session, ticket, S.ACKNOWLEDGED, actor="cli")
    lifecycle.add_note(session, ticket, actor="cli", public_note="Crew tomorrow")
    assert heard == [
        (ticket.reference, "state", "acknowledged", True),
        (ticket.reference, "public_note", None, True),
    ]
