"""The staff operations on outages, broadcasts and councillors, called directly: a session in,
a domain error out, and nothing committed (nor queued) until the caller commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.broadcasts import outages, service
from app.broadcasts.councillors import CouncillorError, add_councillor, disable_councillor
from app.core.db import pending_actions
from app.errors import ConflictError, DomainError, InvalidError, NotFoundError
from app.extensions import db
from app.models import Broadcast, Councillor, Outage
from app.places.municipalities import get_municipality, ward_ids_by_number
from workers.queues import BULK, get_queue


def committed(model) -> int:
    """Rows of `model` another connection sees (only committed ones)."""
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def queued() -> int:
    return get_queue(BULK).count


def test_record_outage_commits_nothing_and_queues_its_alert_after_the_commit(ctx, demo):
    session = db.session()
    before = committed(Outage)
    outage, alert = outages.record_outage(
        session, municipality="SALDANHA", wards="3, 5", service="Water", ends="2030-01-01 12:00"
    )
    assert (outage.service, alert.kind, alert.urgent) == ("water", "outage_alert", True)
    assert committed(Outage) == before and committed(Broadcast) == 0
    assert queued() == 0 and pending_actions(session) == 1
    session.commit()
    assert committed(Outage) == before + 1 and queued() == 1
    assert get_queue(BULK).jobs[0].args == (alert.id,)
    assert outages.format_local(outage.ends_at, "Africa/Johannesburg") == "2030-01-01 12:00 SAST"


def test_a_rolled_back_outage_queues_nothing(ctx, demo):
    session = db.session()
    outages.record_outage(session, municipality="saldanha", wards=[3], service="water")
    session.rollback()
    session.commit()  # a later commit of other work does not run the dropped action
    assert queued() == 0 and committed(Broadcast) == 0


@pytest.mark.parametrize(
    ("values", "error", "code", "field"),
    [
        ({"municipality": "nowhere"}, NotFoundError, "not_found", "municipality"),
        ({"municipality": None}, InvalidError, "invalid", "municipality"),  # the demo has two
        ({"wards": "3,x"}, InvalidError, "invalid", "wards"),
        ({"wards": [3, 99]}, NotFoundError, "not_found", "wards"),
        ({"service": "lava"}, outages.OutageError, "invalid", "service"),
        ({"ends": "tomorrow"}, InvalidError, "invalid", "ends"),
        ({"starts": "2030-01-02 08:00", "ends": "2030-01-01 08:00"}, outages.OutageError, "invalid", "ends"),
    ],
)
def test_record_outage_refusals(ctx, demo, values, error, code, field):
    arguments = {"municipality": "saldanha", "wards": "3", "service": "water", **values}
    with pytest.raises(error) as refused:
        outages.record_outage(db.session(), **arguments)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.as_dict() == {"code": code, "message": str(refused.value), "field": field}
    assert pending_actions(db.session()) == 0


def test_reschedule_and_end_an_outage(ctx, demo):
    session = db.session()
    outage, alert = outages.record_outage(
        session, municipality="saldanha", wards="3", service="water", ends="2030-01-01 12:00"
    )
    session.commit()
    same, update = outages.reschedule_outage(session, outage.id, "2030-01-02 12:00")
    assert same.id == outage.id and update.follows_id == alert.id
    assert committed(Broadcast) == 1  # the follow-up waits for the commit
    session.commit()
    _, restored = outages.end_outage(session, outage.id)
    session.commit()
    assert restored.kind == "outage_restored" and queued() == 3
    with pytest.raises(outages.OutageError) as refused:
        outages.end_outage(session, outage.id)
    assert refused.value.code == "conflict"
    with pytest.raises(NotFoundError) as missing:
        outages.reschedule_outage(session, 999_999, "2030-01-01 12:00")
    assert missing.value.field == "outage"
    place, listed = outages.recent_outages(session, "saldanha")
    assert place.code == "saldanha" and listed[0].id == outage.id


def test_send_and_cancel_a_broadcast(ctx, demo):
    session = db.session()
    broadcast = service.send_broadcast(
        session, municipality="saldanha", wards="3", texts={"*": "Ward meeting on Friday.", "af": None}
    )
    assert broadcast.texts == {"*": "Ward meeting on Friday."} and committed(Broadcast) == 0
    session.commit()
    assert queued() == 1
    cancelled = service.cancel_broadcast(session, broadcast.id)
    assert cancelled.status == "cancelled"
    session.commit()
    with pytest.raises(ConflictError) as late:
        service.cancel_broadcast(session, broadcast.id)
    assert (late.value.code, late.value.field) == ("conflict", "broadcast")
    with pytest.raises(NotFoundError):
        service.cancel_broadcast(session, 999_999)
    with pytest.raises(service.BroadcastError) as empty:
        service.send_broadcast(session, municipality="saldanha", wards="3", texts={"*": " "})
    assert (empty.value.code, empty.value.field) == ("invalid", "texts")


def test_a_pending_councillor_broadcast_can_be_cancelled_but_not_a_sending_one(ctx, demo):
    session = db.session()
    place = get_municipality(session, "saldanha")
    pending = service.create_broadcast(
        session,
        municipality_id=place.id,
        ward_ids=ward_ids_by_number(session, place, [3]),
        texts={"*": "Hello"},
        author="Cllr",
        status="pending_confirmation",
    )
    pending.confirm_code = "hash"
    sending = service.create_broadcast(
        session,
        municipality_id=place.id,
        ward_ids=ward_ids_by_number(session, place, [3]),
        texts={"*": "Hello"},
        author="staff",
        status="sending",
    )
    session.commit()
    assert service.cancel_broadcast(session, pending.id).confirm_code is None
    with pytest.raises(ConflictError, match="too late"):
        service.cancel_broadcast(session, sending.id)
    session.commit()
    assert db.session.get(Broadcast, pending.id).status == "cancelled"
    broadcast, report = service.broadcast_report(session, sending.id)
    assert broadcast.id == sending.id and report["recipients"] == 0


def test_councillor_operations_leave_the_commit_to_the_caller(ctx, demo):
    session = db.session()
    councillor = add_councillor(session, "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    assert councillor.id is not None and committed(Councillor) == 0
    session.commit()
    disable_councillor(session, "saldanha", "0821234567")
    with db.engine.connect() as conn:
        assert conn.scalar(select(Councillor.active)) is True  # not yet committed
    session.rollback()
    assert db.session.get(Councillor, councillor.id).active is True


@pytest.mark.parametrize(
    ("arguments", "code", "field"),
    [
        (("nowhere", 3, "X", "0821234567", "1234"), "not_found", "municipality"),
        (("saldanha", 99, "X", "0821234567", "1234"), "not_found", "wards"),
        (("saldanha", 3, "X", "12", "1234"), "invalid", "phone"),
        (("saldanha", 3, "X", "0821234567", "12"), "invalid", "pin"),
    ],
)
def test_councillor_errors_carry_code_and_field(ctx, demo, arguments, code, field):
    with pytest.raises(CouncillorError) as refused:
        add_councillor(db.session(), *arguments)
    assert isinstance(refused.value, DomainError)
    assert (refused.value.code, refused.value.field) == (code, field)
