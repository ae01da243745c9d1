"""The citizen hears back, and can answer (issue 9): updates to every follower in their
language from the short code, "Is it fixed?" by SMS, the reaper's unconfirmed close; and the
loop end to end through the USSD and SMS webhooks and the sender against the fake provider."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.language.gsm import to_gsm
from app.language.i18n import gettext
from app.models import Message, Ticket, TicketFollower, TicketQuestion
from app.sms.commands import UNKNOWN
from app.tickets import lifecycle
from app.tickets.questions import read_answer
from app.tickets.templates import (
    ACKNOWLEDGED_DUE,
    FIXED_CLOSED,
    FIXED_REOPENED,
    IN_PROGRESS,
    MERGED,
    REJECTED,
    RESOLVED_CODE,
)
from tests.sms.helpers import sms
from tests.tickets.factories import report
from workers.reaper import close_unconfirmed_tickets
from workers.sender import send_messages

SUPERVISOR = "+27820000101"  # the demo's Water and Sanitation supervisor
READER = "+27821230001"


def t(locale, template, **params):
    return to_gsm(gettext(locale, template, **params))


def _updates(session, purpose="ticket_update"):
    return session.scalars(select(Message).where(Message.purpose == purpose).order_by(Message.id)).all()


def test_read_answer():
    assert read_answer("1") == ("yes", None)
    assert read_answer(" yes 4 ") == ("yes", 4)
    assert read_answer("1 5") == ("yes", 5)
    assert read_answer("Yebo!") == ("yes", None)
    assert read_answer("aane") == ("yes", None)
    assert read_answer("2") == ("no", None)
    for word in ("NO", "nee", "Hayi", "CHA", "daabi"):
        assert read_answer(word) == ("no", None), word
    for text in ("YES 6", "2 5", "STATUS 48210937", "Cha amanzi", "1 Main Rd", ""):
        assert read_answer(text) is None, text


def test_each_change_tells_every_follower_once_in_their_language(ctx, demo, redis):
    session = db.session()
    ticket = report(session, category="water")
    lifecycle.transition(session, ticket, "acknowledged", actor="user:1")
    assert redis.llen("rq:queue:high") == 0  # queued once committed
    session.commit()
    assert redis.llen("rq:queue:high") == 1
    reporter = ticket.resident_id
    # A second follower, who reads Afrikaans.
    from app.places.residents import get_or_create_resident

    other = get_or_create_resident(session, ticket.municipality_id, READER)
    other.locale = "af"
    session.add(TicketFollower(ticket_id=ticket.id, resident_id=other.id, phone=READER, reason="added"))
    session.commit()
    lifecycle.transition(session, ticket, "in_progress", actor="user:1")  # no public note: nothing
    lifecycle.add_note(session, ticket, actor="user:1", internal_note="staff only")  # nothing either
    lifecycle.add_note(session, ticket, actor="user:1", public_note="Valve replaced " * 20)
    lifecycle.transition(session, ticket, "resolved", actor="user:1")
    session.commit()
    rows = _updates(session)
    due = ticket.due_at.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%Y-%m-%d")
    assert rows[0].text == t("en", ACKNOWLEDGED_DUE, reference=ticket.reference, category="Water", date=due)
    assert [(m.phone, m.segments, m.sender_id, m.essential, m.resident_id is not None) for m in rows] == [
        ("+27821234567", 1, "40123", True, True),
        ("+27821234567", 1, "40123", True, True),
        (READER, 1, "40123", True, True),
        ("+27821234567", 1, "40123", True, True),
        (READER, 1, "40123", True, True),
    ]
    assert rows[1].text.startswith("Work on your report") and rows[1].text.endswith("...")
    assert rows[2].text.startswith("Werk aan u melding")
    assert rows[3].text == t("en", RESOLVED_CODE, reference=ticket.reference, category="Water", code="40123")
    assert rows[4].text == t("af", RESOLVED_CODE, reference=ticket.reference, category="Water", code="40123")
    questions = session.scalars(select(TicketQuestion).order_by(TicketQuestion.id)).all()
    assert [(q.phone, q.closed_reason) for q in questions] == [("+27821234567", None), (READER, None)]
    assert reporter is not None


def test_rejected_and_merged_are_told(ctx, demo):
    session = db.session()
    first, second, third = (report(session, phone=p) for p in ("+27821234567", READER, "+27821230002"))
    lifecycle.transition(session, first, "rejected", actor="user:1", reason="Private property " * 10)
    lifecycle.merge(session, second, third, actor="user:1")
    session.commit()
    rejected, merged = _updates(session)
    assert rejected.phone == "+27821234567" and rejected.segments == 1
    assert rejected.text.startswith(
        t("en", REJECTED, reference=first.reference, category="Water", note="")[:-1]
    )
    assert merged.phone == READER  # the merged ticket's follower, told once (not the survivor's)
    assert merged.text == t("en", MERGED, reference=second.reference, into=third.reference)


def test_staff_moving_a_resolved_ticket_ends_its_questions(ctx, demo):
    session = db.session()
    ticket = report(session)
    lifecycle.transition(session, ticket, "resolved", actor="user:1")
    lifecycle.transition(session, ticket, "reopened", actor="user:1")
    session.commit()
    [question] = session.scalars(select(TicketQuestion)).all()
    assert question.closed_reason == "moved_on" and question.answer is None


def test_no_answer_in_seven_days_closes_unconfirmed(ctx, demo):
    session = db.session()
    resolved_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    ticket = report(session, now=resolved_at - dt.timedelta(days=1))
    lifecycle.transition(session, ticket, "resolved", actor="user:1", now=resolved_at)
    session.commit()
    assert close_unconfirmed_tickets(resolved_at + dt.timedelta(days=6, hours=23)) == 0
    assert close_unconfirmed_tickets(resolved_at + dt.timedelta(days=7)) == 1
    session = db.session()
    ticket = session.get(Ticket, ticket.id)
    [question] = session.scalars(select(TicketQuestion)).all()
    assert (ticket.status, question.closed_reason) == ("closed", "unconfirmed")
    assert close_unconfirmed_tickets(resolved_at + dt.timedelta(days=8)) == 0


def test_a_reply_that_answers_nothing_falls_through(app, demo):
    client = app.test_client()
    assert sms(client, "1").status_code == 200  # no open question: the keywords have it
    with app.app_context():
        [reply] = db.session.scalars(select(Message)).all()
        assert reply.purpose == "reply" and reply.text == t("en", UNKNOWN)  # not an answer
        ticket = report(db.session())
        lifecycle.transition(db.session(), ticket, "resolved", actor="user:1")
        db.session.commit()
        ref = ticket.reference
    assert sms(client, f"STATUS {ref}").status_code == 200  # a question open: keywords still work
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.status == "resolved" and ref in db.session.scalars(select(Message)).all()[-1].text


def test_the_loop_end_to_end(gateway, provider, phone):
    """USSD report in isiXhosa -> acknowledged -> in progress -> resolved through the service
    layer; each SMS from the short code in isiXhosa; "2" reopens with priority and tells the
    supervisor; resolved again; "1 5" closes with rating 5. Webhooks and sender throughout."""
    from tests.ussd.test_journeys import onboard

    onboard(phone, language="3")
    for key in ("1", "1", "1", "Ipayipi iyavuza"):
        phone.send(key)
    body = phone.send("1")
    assert body.startswith("END ") and "STATUS" in body and "40123" in body
    client = gateway.test_client()
    with gateway.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket))
        ref = ticket.reference
        for to, note in (("acknowledged", None), ("in_progress", "Iqela lisendleleni"), ("resolved", None)):
            lifecycle.transition(session, ticket, to, actor="user:1", public_note=note)
            session.commit()
        send_messages([m.id for m in session.scalars(select(Message).order_by(Message.id))])
    sent = [r for r in provider.requests if r["http_status"] == 201]
    assert [r["from"] for r in sent] == ["40123"] * 4
    assert all(r["to"] == ["+27821234567"] for r in sent)
    assert sent[2]["message"] == t(
        "xh", IN_PROGRESS, reference=ref, category=sent_category(sent), note="Iqela lisendleleni"
    )
    assert sent[3]["message"] == t(
        "xh", RESOLVED_CODE, reference=ref, category=sent_category(sent), code="40123"
    )

    assert sms(client, "2").status_code == 200
    with gateway.app_context():
        session = db.session()
        ticket = session.get(Ticket, ticket.id)
        assert (ticket.status, ticket.priority) == ("reopened", 1)
        reply = session.scalar(select(Message).where(Message.purpose == "reply"))
        assert reply.text == t("xh", FIXED_REOPENED, reference=ref) and reply.sender_id == "40123"
        [told] = session.scalars(select(Message).where(Message.phone == SUPERVISOR)).all()
        assert ref in told.text and "Reopened" in told.text and told.purpose == "ticket_update"
        assert lifecycle.find_tickets(session, ticket.municipality_id)[0].id == ticket.id  # first
        lifecycle.transition(session, ticket, "resolved", actor="user:1")
        session.commit()
    assert sms(client, "1 5").status_code == 200
    with gateway.app_context():
        session = db.session()
        ticket = session.get(Ticket, ticket.id)
        questions = session.scalars(select(TicketQuestion).order_by(TicketQuestion.id)).all()
        assert ticket.status == "closed"
        assert [(q.answer, q.rating, q.closed_reason) for q in questions] == [
            ("no", None, "answered"),
            ("yes", 5, "answered"),
        ]
        queued = [m.id for m in session.scalars(select(Message).where(Message.status == "queued"))]
        send_messages(queued)
    sent = [r for r in provider.requests if r["http_status"] == 201]
    last = [r for r in sent if r["to"] == ["+27821234567"]][-1]
    assert last["from"] == "40123" and last["message"] == t("xh", FIXED_CLOSED, reference=ref)


def sent_category(sent) -> str:
    """The isiXhosa water label as the acknowledgement carried it (between the brackets)."""
    text = sent[1]["message"]
    return text[text.index("(") + 1 : text.index(")")]
