"""Creation (department, due time, follower, event), merge, assign, logging for a caller,
and the overdue list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, InvalidError, NotFoundError
from app.extensions import db
from app.language.i18n import gettext
from app.models import (
    Category,
    Department,
    Message,
    Resident,
    StaffRoleGrant,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from app.places.departments import add_department
from app.tickets import lifecycle
from app.tickets.references import REFERENCE_LENGTH, is_valid_reference
from app.tickets.templates import TICKET_CONFIRMATION_CODE
from app.vocabulary import TicketStatus as S
from tests.tickets.factories import municipality, report
from tests.ussd.test_journeys import onboard

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # Monday, 11:00 in Saldanha Bay


def _followers(session, ticket) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(TicketFollower).where(TicketFollower.ticket_id == ticket.id).order_by(TicketFollower.id)
    )
    return [(f.phone, f.reason) for f in rows]


def _department(session, code: str, name: str) -> Department:
    return session.scalar(
        select(Department).where(
            Department.municipality_id == municipality(session, code).id, Department.name == name
        )
    )


def test_a_new_ticket_goes_to_its_department_with_a_due_time_a_follower_and_an_event(ctx, demo):
    session = db.session()
    ticket = report(session, category="roads", now=NOW)  # 10 working days
    assert ticket.department.name == "Roads and Stormwater"
    # Mon 2 March + 10 working days (Human Rights Day is a Saturday in 2026): Mon 16 March 17:00 SAST.
    assert ticket.due_at == dt.datetime(2026, 3, 16, 15, 0, tzinfo=dt.UTC)
    assert ticket.status == S.RECEIVED and ticket.priority == 0 and ticket.escalation_level == 0
    assert _followers(session, ticket) == [("+27821234567", "reporter")]
    [event] = lifecycle.events(session, ticket)
    assert (event.kind, event.from_state, event.to_state, event.actor, event.created_at) == (
        "created",
        None,
        "received",
        "sms",
        NOW,
    )


def test_a_ussd_report_is_created_the_same_way(app, phone):
    onboard(phone)
    phone.send("1")  # report
    phone.send("1")  # water
    phone.send("1")  # my ward
    phone.send("Burst pipe at 12 Main Rd")
    reference = phone.send("1").split("reference is ")[1].split(".")[0]
    with app.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.department.name == "Water and Sanitation"
        assert ticket.due_at == ticket.created_at + dt.timedelta(hours=24)
        assert _followers(session, ticket) == [(phone.phone, "reporter")]
        assert [(e.kind, e.actor) for e in lifecycle.events(session, ticket)] == [("created", "ussd")]


def test_a_category_without_department_or_target(ctx, demo):
    session = db.session()
    category = session.scalar(
        select(Category).where(
            Category.municipality_id == municipality(session, "saldanha").id, Category.code == "other"
        )
    )
    category.department_id = category.target_working_days = None
    session.commit()
    from app.places import municipalities

    municipalities.cache.clear()
    ticket = report(session, category="other", now=NOW)
    assert ticket.department_id is None and ticket.due_at is None


def test_merge_moves_the_followers_and_records_both_sides(ctx, demo):
    session = db.session()
    survivor = report(session, phone="+27821110001", now=NOW)
    survivor_again = report(session, phone="+27821110002", now=NOW)  # the second reporter
    duplicate = report(session, phone="+27821110002", now=NOW)
    lifecycle.merge(session, survivor_again, survivor, actor="user:4", now=NOW)
    event = lifecycle.merge(session, duplicate, survivor, actor="user:4", now=NOW)
    session.commit()
    assert duplicate.status == S.DUPLICATE and duplicate.merged_into_id == survivor.id
    assert duplicate.closed_at == NOW
    assert (event.kind, event.from_state, event.to_state) == ("merged", "received", "duplicate")
    # The second reporter followed already: once, not twice.
    assert _followers(session, survivor) == [("+27821110001", "reporter"), ("+27821110002", "merged")]
    assert _followers(session, duplicate) == [("+27821110002", "reporter")]
    notes = [e.internal_note for e in lifecycle.events(session, survivor) if e.kind == "merged"]
    assert notes == [
        f"{survivor_again.reference} merged into it; 1 follower(s) added",
        f"{duplicate.reference} merged into it; 0 follower(s) added",
    ]


def test_merge_refusals(ctx, demo):
    session = db.session()
    one = report(session, now=NOW)
    other = report(session, now=NOW)
    ghana = report(session, code="stma", phone="+233244770099", ward=1, now=NOW)
    with pytest.raises(InvalidError, match="itself"):
        lifecycle.merge(session, one, one, actor="cli")
    with pytest.raises(NotFoundError) as elsewhere:
        lifecycle.merge(session, one, ghana, actor="cli")
    assert elsewhere.value.field == "into"
    lifecycle.transition(session, other, S.RESOLVED, actor="cli")
    with pytest.raises(ConflictError) as closed_survivor:
        lifecycle.merge(session, one, other, actor="cli")
    assert (
        closed_survivor.value.code == "illegal_transition" and "is resolved" in closed_survivor.value.message
    )
    with pytest.raises(ConflictError, match="from resolved to duplicate"):
        lifecycle.merge(session, other, one, actor="cli")
    assert one.status == S.RECEIVED and other.status == S.RESOLVED


def _staff(session, code: str) -> int:
    """An active agent of a municipality; returns the user's id."""
    user = StaffUser(name="A", email=f"agent@{code}.example", password_hash="x", active=True, failed_logins=0)
    session.add(user)
    session.flush()
    session.add(StaffRoleGrant(user_id=user.id, municipality_id=municipality(session, code).id, role="agent"))
    session.flush()
    return user.id


def test_assign_to_a_department_and_a_person(ctx, demo):
    session = db.session()
    ticket = report(session, category="water", now=NOW)
    roads = _department(session, "saldanha", "Roads and Stormwater")
    agent, stranger = _staff(session, "saldanha"), _staff(session, "stma")
    event = lifecycle.assign(session, ticket, department_id=roads.id, user_id=agent, actor="user:1")
    assert ticket.department_id == roads.id and ticket.assignee_user_id == agent
    assert (event.kind, event.internal_note) == (
        "assigned",
        f"to department Roads and Stormwater, user:{agent}",
    )
    for nobody in (stranger, agent + 1000):  # another council's user, or no user at all
        with pytest.raises(NotFoundError):
            lifecycle.assign(session, ticket, user_id=nobody, actor="cli")
    with pytest.raises(NotFoundError):
        lifecycle.assign(
            session, ticket, department_id=_department(session, "stma", "Urban Roads").id, actor="cli"
        )
    with pytest.raises(InvalidError):
        lifecycle.assign(session, ticket, actor="cli")
    lifecycle.transition(session, ticket, S.REJECTED, actor="cli", reason="Not a fault")
    with pytest.raises(ConflictError):
        lifecycle.assign(session, ticket, user_id=3, actor="cli")


def test_a_ticket_logged_for_a_caller_gets_the_same_reference_and_sms(ctx, demo, redis):
    session = db.session()
    # The caller once chose Afrikaans on USSD: the SMS comes in Afrikaans.
    session.add(
        Resident(municipality_id=municipality(session, "saldanha").id, phone="+27825550001", locale="af")
    )
    session.commit()
    new = lifecycle.create_on_behalf(
        session,
        "saldanha",
        phone="082 555 0001",
        ward_number="3",
        category_code="Refuse",
        location="  Bins not collected,  Oak St ",
        channel="counter",
        actor="user:9",
    )
    assert redis.llen("rq:queue:high") == 0  # queued once committed, not before
    session.commit()
    assert redis.llen("rq:queue:high") == 1
    assert len(new.reference) == REFERENCE_LENGTH and is_valid_reference(new.reference)
    ticket = session.get(Ticket, new.id)
    assert (ticket.source, ticket.location, ticket.ward.number) == (
        "counter",
        "Bins not collected, Oak St",
        3,
    )
    assert ticket.department.name == "Solid Waste" and ticket.due_at is not None
    assert [(e.kind, e.actor) for e in lifecycle.events(session, ticket)] == [("created", "user:9")]
    assert _followers(session, ticket) == [("+27825550001", "reporter")]
    [sms] = session.scalars(select(Message)).all()
    expected = gettext(  # Saldanha Bay has the SMS short code 40123: named, and sent from it
        "af",
        TICKET_CONFIRMATION_CODE,
        name="Saldanha Bay",
        reference=new.reference,
        category="Vullis",
        code="40123",
    )
    assert (sms.phone, sms.purpose, sms.essential, sms.text) == ("+27825550001", "ticket", True, expected)


def test_logging_for_a_caller_with_a_key_is_done_once(ctx, demo):
    session = db.session()
    kwargs = dict(
        phone="+233244770099",
        ward_number=2,
        category_code="water",
        location="Standpipe broken",
        channel="phone",
        actor="user:2",
        key="call-778",
    )
    first = lifecycle.create_on_behalf(session, "stma", **kwargs)
    session.commit()
    again = lifecycle.create_on_behalf(session, "stma", **kwargs)
    session.commit()
    assert again.reference == first.reference
    assert session.scalar(select(func.count()).select_from(Message)) == 1
    [sms] = session.scalars(select(Message)).all()
    assert sms.text.startswith(f"Sekondi-Takoradi: your report {first.reference} (Water) is logged.")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "ussd"}, "channel"),
        ({"phone": "12"}, "phone"),
        ({"ward_number": "99"}, "ward"),
        ({"ward_number": "three"}, "ward"),
        ({"category_code": "potholes"}, "category"),
        ({"location": "x"}, "location"),
        ({"locale": "ak"}, "locale"),
    ],
)
def test_logging_for_a_caller_refuses_bad_input(ctx, demo, change, field):
    session = db.session()
    kwargs = dict(
        phone="0821234567",
        ward_number=3,
        category_code="water",
        location="Main Rd",
        channel="phone",
        actor="user:2",
    )
    with pytest.raises((InvalidError, NotFoundError)) as refused:
        lifecycle.create_on_behalf(session, "saldanha", **{**kwargs, **change})
    assert refused.value.field == field
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_overdue_lists_open_tickets_past_due_highest_priority_first(ctx, demo):
    session = db.session()
    saldanha = municipality(session, "saldanha")
    old = report(session, category="water", now=NOW - dt.timedelta(hours=30))  # due 6 h ago
    older = report(session, category="water", now=NOW - dt.timedelta(hours=40))  # due 16 h ago
    urgent = report(session, category="electricity", now=NOW - dt.timedelta(hours=25))  # due 1 h ago
    report(session, category="water", now=NOW - dt.timedelta(hours=2))  # not yet due
    fixed = report(session, category="water", now=NOW - dt.timedelta(hours=50))
    lifecycle.transition(session, fixed, S.RESOLVED, actor="cli", now=NOW)
    urgent.priority = 2
    report(session, code="stma", phone="+233244770099", ward=1, now=NOW - dt.timedelta(days=9))  # elsewhere
    session.commit()
    assert [t.id for t in lifecycle.overdue(session, saldanha.id, NOW)] == [urgent.id, older.id, old.id]
    assert lifecycle.overdue(session, saldanha.id, NOW - dt.timedelta(days=2)) == []


def test_departments_are_per_municipality_and_read_phones_with_its_region(ctx, demo):
    session = db.session()
    department, created = add_department(
        session, "stma", " Street  Lighting ", supervisor_name="Ama", supervisor_phone="024 477 0099"
    )
    assert created and department.name == "Street Lighting" and department.supervisor_phone == "+233244770099"
    again, created = add_department(session, "stma", "street lighting")
    assert not created and again.id == department.id and again.supervisor_phone is None
    with pytest.raises(InvalidError) as bad:
        add_department(session, "stma", "Parks", supervisor_phone="12")
    assert bad.value.field == "supervisor_phone"
    assert session.scalar(select(func.count()).select_from(TicketEvent)) == 0
