"""Numbers belong to the municipality, and a municipality's messages to its channel:
end to end through the webhooks, on both demo municipalities."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import InboundMessage, Message, Municipality, Ticket
from app.places import municipalities as routing
from app.ussd.simulator import Phone
from tests.conftest import TOKEN, make_app
from tests.sms.helpers import sms
from tests.ussd.test_journeys import onboard
from workers.sender import send_messages


@pytest.mark.parametrize(
    ("code", "local", "e164", "ward"),
    [
        ("*384*5678#", "0244770099", "+233244770099", "2"),  # Sekondi-Takoradi, Ghana
        ("*384*1234#", "0821234567", "+27821234567", "3"),  # Saldanha Bay, South Africa
    ],
)
def test_a_local_number_on_ussd_is_read_with_the_municipalitys_region(app, demo, code, local, e164, ward):
    phone = Phone(app=app, phone=local, service_code=code)
    onboard(phone, ward=ward)
    phone.send("1")  # report a fault
    phone.send("1")  # the first category
    phone.send("1")  # in my ward
    phone.send("Behind the market")
    body = phone.send("1")
    assert body.startswith("END ") and "reference" in body
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        sms_row = db.session.scalar(select(Message).where(Message.purpose == "ticket"))
        assert sms_row.phone == e164 and ticket.reference in sms_row.text


@pytest.mark.parametrize(
    ("to", "local", "e164"),
    [
        ("40456", "0244770099", "+233244770099"),  # Sekondi-Takoradi's short code
        ("40123", "0821234567", "+27821234567"),  # Saldanha Bay's
    ],
)
def test_a_local_number_on_sms_is_read_with_the_municipalitys_region(app, demo, client, to, local, e164):
    assert sms(client, "HELP", phone=local, to=to).status_code == 200
    with app.app_context():
        inbound = db.session.scalar(select(InboundMessage))
        reply = db.session.scalar(select(Message).where(Message.reply_to_id == inbound.id))
        assert inbound.phone == e164 and reply.phone == e164


@pytest.fixture
def two_channels(settings, demo):
    """The demo with Sekondi-Takoradi on its own (console) channel `gh`."""
    gh_app = make_app(settings, CHANNELS="gh", CHANNEL_GH_PROVIDER="console", CHANNEL_GH_REGION="GH")
    with gh_app.app_context():
        db.session.execute(update(Municipality).where(Municipality.code == "stma").values(channel="gh"))
        db.session.commit()
    routing.cache.clear()
    yield gh_app
    with gh_app.app_context():
        db.dispose()


def test_each_municipality_sends_through_its_own_channel(two_channels):
    client = two_channels.test_client()
    resp = client.post(
        "/webhooks/gh/sms",
        query_string={"token": TOKEN},
        data={"from": "+233244770099", "to": "40456", "text": "HELP", "id": "gh-1"},
    )
    assert resp.status_code == 200
    assert sms(client, "HELP", phone="+27821234567", to="40123").status_code == 200
    with two_channels.app_context():
        ids = list(db.session.scalars(select(Message.id)))
        assert len(ids) == 2
        send_messages(ids)
        sent = {m.phone: m.channel for m in db.session.scalars(select(Message))}
    assert sent == {"+233244770099": "gh", "+27821234567": "africastalking"}


def test_webhooks_name_their_channel(two_channels):
    client = two_channels.test_client()
    resp = client.post(
        "/webhooks/gh/sms",
        query_string={"token": TOKEN},
        data={"from": "0244770099", "to": "40456", "text": "HELP", "id": "same-id"},
    )
    assert resp.status_code == 200
    # The same provider id on another channel is another message, not a retry.
    assert sms(client, "HELP", phone="+27821234567", to="40123", msg_id="same-id").status_code == 200
    with two_channels.app_context():
        rows = db.session.execute(
            select(InboundMessage.channel, InboundMessage.phone).order_by(InboundMessage.id)
        ).all()
    assert rows == [("gh", "+233244770099"), ("africastalking", "+27821234567")]
    unknown = client.post(
        "/webhooks/nowhere/sms",
        query_string={"token": TOKEN},
        data={"from": "0244770099", "to": "40456", "text": "HELP", "id": "x"},
    )
    assert unknown.status_code == 404 and unknown.is_json
    # An unknown channel's USSD still gets a valid screen, never an error page.
    ussd = client.post(
        "/webhooks/nowhere/ussd",
        query_string={"token": TOKEN},
        data={"sessionId": "S", "phoneNumber": "+27821234567", "text": ""},
    )
    assert ussd.status_code == 200 and ussd.get_data(as_text=True).startswith("END ")


def test_a_delivery_report_settles_only_its_own_channels_message(two_channels):
    client = two_channels.test_client()
    with two_channels.app_context():
        for channel in ("gh", "africastalking"):
            db.session.add(
                Message(
                    phone="+233244770099",
                    text="Hi",
                    encoding="GSM-7",
                    segments=1,
                    purpose="reply",
                    status="sent",
                    channel=channel,
                    provider_message_id="ATXid_same",
                )
            )
        db.session.commit()
    resp = client.post(
        "/webhooks/gh/sms/delivery",
        query_string={"token": TOKEN},
        data={"id": "ATXid_same", "status": "Success", "phoneNumber": "+233244770099"},
    )
    assert resp.status_code == 200
    with two_channels.app_context():
        states = dict(db.session.execute(select(Message.channel, Message.status)).all())
    assert states == {"gh": "delivered", "africastalking": "sent"}


def test_a_council_on_a_channel_this_process_lacks_is_never_sent_through_another(app, demo, client):
    """Sekondi-Takoradi names channel `gh`, which this process is not configured for: its
    reply waits (and eventually fails) rather than going out on the default account."""
    with app.app_context():
        db.session.execute(update(Municipality).where(Municipality.code == "stma").values(channel="gh"))
        db.session.commit()
    routing.cache.clear()
    # The same short code now reaches Sekondi-Takoradi only through its own channel.
    assert sms(client, "HELP", phone="+233244770099", to="40456").status_code == 200
    with app.app_context():
        inbound = db.session.scalar(select(InboundMessage))
        assert (inbound.status, inbound.reason) == ("rejected", "unknown short code")
        reply = Message(
            phone="+233244770099",
            text="Hi",
            encoding="GSM-7",
            segments=1,
            purpose="reply",
            municipality_id=db.session.scalar(select(Municipality.id).where(Municipality.code == "stma")),
        )
        db.session.add(reply)
        db.session.commit()
        send_messages([reply.id])
        db.session.expire_all()
        row = db.session.get(Message, reply.id)
        assert (row.status, row.failure_reason, row.channel) == ("queued", "UnknownChannel", None)
        assert row.attempts == 1 and row.next_attempt_at is not None
