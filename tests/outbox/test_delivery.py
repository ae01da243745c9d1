"""Delivery-report and opt-out callbacks with the provider's real payloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import DeliveryReport, Message, OptOut, Suppression
from app.outbox.messages import add_message
from tests.conftest import TOKEN

NUMBER = "+27821234567"


def message(app, status="sent", provider_id="ATXid_1"):
    with app.app_context():
        m = add_message(db.session(), phone=NUMBER, text="Hello", purpose="alert")
        # As the sender leaves a row it sent: with the channel it went out through.
        m.status, m.provider_message_id, m.channel = status, provider_id, "africastalking"
        db.session.commit()
        return m.id


def report(client, **form):
    return client.post("/webhooks/africastalking/sms/delivery", query_string={"token": TOKEN}, data=form)


def state(app, mid):
    with app.app_context():
        m = db.session.get(Message, mid)
        return m.status, m.failure_reason, m.provider_status


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("Success", None, ("delivered", None, "Success")),
        ("Failed", "DeliveryFailure", ("failed", "DeliveryFailure", "Failed")),
        ("Rejected", "InvalidLinkId", ("failed", "InvalidLinkId", "Rejected")),
        ("Expired", None, ("failed", "Expired", "Expired")),
        ("Submitted", None, ("sent", None, "Submitted")),
        ("Buffered", None, ("sent", None, "Buffered")),
        ("AbsentSubscriber", None, ("sent", None, "AbsentSubscriber")),
        ("SomethingNew", None, ("sent", None, "SomethingNew")),  # unknown statuses kept as they came
    ],
)
def test_report_statuses(app, client, status, reason, expected):
    mid = message(app)
    form = {"id": "ATXid_1", "status": status, "phoneNumber": NUMBER, "networkCode": "65501"}
    if reason:
        form["failureReason"] = reason
    assert report(client, **form).status_code == 200
    assert state(app, mid) == expected
    with app.app_context():
        assert db.session.scalar(select(DeliveryReport.status)) == status


def test_lenient_and_unknown_ids(app, client):
    assert report(client).status_code == 200  # nothing at all
    assert report(client, id="ATXid_nobody", status="Success").status_code == 200
    assert (
        report(client, id="ATXid_x", status="Failed", retryCount="abc", phoneNumber="garbage").status_code
        == 200
    )
    with app.app_context():
        assert len(db.session.scalars(select(DeliveryReport)).all()) == 2
    assert client.post("/webhooks/africastalking/sms/delivery", data={}).status_code == 403


def test_blacklist_reason_opts_out(app, client):
    mid = message(app)
    report(client, id="ATXid_1", status="Failed", failureReason="UserInBlackList", phoneNumber=NUMBER)
    assert state(app, mid)[0] == "failed"
    with app.app_context():
        assert db.session.get(Suppression, NUMBER).channel == "blacklist"


def test_report_resolves_a_row_left_unknown_by_a_dead_worker(app, client):
    mid = message(app, status="unknown", provider_id=None)
    assert report(client, id="ATXid_late", status="Success", phoneNumber=NUMBER).status_code == 200
    assert state(app, mid)[0] == "delivered"
    with app.app_context():
        assert db.session.get(Message, mid).provider_message_id == "ATXid_late"


def test_bulk_optout_callback(app, client):
    url = "/webhooks/africastalking/sms/optout"
    assert (
        client.post(
            url, query_string={"token": TOKEN}, data={"senderId": "SaldanhaMun", "phoneNumber": NUMBER}
        ).status_code
        == 200
    )
    assert (
        client.post(
            url, query_string={"token": TOKEN}, data={"senderId": "X", "phoneNumber": "junk"}
        ).status_code
        == 200
    )
    with app.app_context():
        assert db.session.get(Suppression, NUMBER).channel == "bulk_optout"
        assert db.session.scalar(select(OptOut.evidence)) == "sender SaldanhaMun"
