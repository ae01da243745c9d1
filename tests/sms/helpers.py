"""Posting provider payloads and reading the outbox, for the SMS tests."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, Message
from tests.conftest import TOKEN

_ids = itertools.count(1)


def sms(client, text, phone="+27821234567", to="40123", msg_id=None, date="2026-11-24T06:04:45Z", **extra):
    """Post an incoming-message callback exactly as the provider sends it."""
    form = {
        "date": date,
        "from": phone,
        "to": to,
        "text": text,
        "id": msg_id or f"5e3c9c4d-{next(_ids):04d}-4c1e-9a51-6d9b3c2a1f00",
        "linkId": "SampleLinkId123",
        "networkCode": "65501",
        **extra,
    }
    form = {k: v for k, v in form.items() if v is not None}
    return client.post("/webhooks/africastalking/sms", query_string={"token": TOKEN}, data=form)


def reply_to(app, text, **kwargs) -> str:
    """Send `text` and return the one reply written to the outbox."""
    client = app.test_client()
    resp = sms(client, text, **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.app_context():
        inbound = db.session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()))
        replies = db.session.scalars(select(Message).where(Message.reply_to_id == inbound.id)).all()
        assert len(replies) == 1, f"{len(replies)} replies to {text!r}"
        assert replies[0].essential and replies[0].queue == "high" and replies[0].purpose == "reply"
        return replies[0].text
