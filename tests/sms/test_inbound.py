"""Each keyword in each language through the webhook; the reply read from the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import InboundMessage, Message, OptOut, Resident, Suppression, Ticket
from app.tickets.references import damm_digit
from tests.conftest import TOKEN
from tests.sms.helpers import reply_to, sms


def resident(app, phone="+27821234567"):
    from sqlalchemy.orm import joinedload

    with app.app_context():
        return db.session.scalar(
            select(Resident).options(joinedload(Resident.ward)).where(Resident.phone == phone)
        )


def test_help_in_every_language(app, demo):
    assert "STATUS" in reply_to(app, "HELP")
    for word, locale in (("LANG af", "af"), ("LANG isiXhosa", "xh"), ("LANG zulu", "zu")):
        reply_to(app, word)
        assert resident(app).locale == locale
        text = reply_to(app, "help")
        assert "STATUS" in text and "Saldanha Bay" in text
    reply_to(app, "lang twi")  # not offered by this municipality
    assert resident(app).locale == "zu"
    gh = reply_to(app, "LANG twi", phone="+233244123456", to="40456")
    assert resident(app, "+233244123456").locale == "ak" and "Twi" in gh


def test_replies_are_translated(app, demo):
    english = reply_to(app, "JOIN 3")
    assert "ward 3 (Middelpos)" in english
    reply_to(app, "LANG af")
    afrikaans = reply_to(app, "JOIN 3")
    assert afrikaans != english and "Middelpos" in afrikaans


def test_join_leave(app, demo):
    assert "JOIN" in reply_to(app, "JOIN")
    assert "99" in reply_to(app, "JOIN 99")
    reply_to(app, "joyina 5")
    r = resident(app)
    assert r.subscribed and r.ward.number == 5
    reply_to(app, "LEAVE")
    r = resident(app)
    assert not r.subscribed and r.ward.number == 5


def test_report_creates_ticket_in_remembered_ward(app, demo):
    # No ward yet: the reply asks for it (issue 9: JOIN is no longer needed to report).
    assert "REPORT 12 WATER" in reply_to(app, "REPORT WATER leak at the school")
    reply_to(app, "JOIN 8")
    text = reply_to(app, "WATER burst pipe at 5 Main Rd")
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.ward.number == 8 and ticket.category.code == "water"
        assert ticket.source == "sms" and ticket.location == "Burst pipe at 5 main rd"
    assert ticket.reference in text
    assert "REPORT" in reply_to(app, "REPORT")
    assert "REPORT" in reply_to(app, "REPORT blah")
    assert "REPORT ROADS" in reply_to(app, "pothole")  # the place is missing


def test_status(app, demo):
    reply_to(app, "JOIN 8")
    reply_to(app, "meld vullis nie opgetel nie")
    with app.app_context():
        reference = db.session.scalar(select(Ticket.reference))
    text = reply_to(app, f"status {reference}")
    assert reference in text and "Refuse" in text and "Received" in text
    wrong = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    assert "not right" in reply_to(app, f"STATUS {wrong}")
    unknown = "7654321" + str(damm_digit("7654321"))
    assert "not found" in reply_to(app, f"STATUS {unknown}")
    assert "STATUS" in reply_to(app, "STATUS")
    # Another council's caller cannot read it.
    assert "not found" in reply_to(app, f"STATUS {reference}", phone="+233244123456", to="40456")


def test_stop_and_start_keep_evidence(app, demo):
    reply_to(app, "JOIN 3")
    stop = reply_to(app, "stop")
    assert "START" in stop
    with app.app_context():
        assert db.session.get(Suppression, "+27821234567") is not None
        assert resident(app).opted_out
    assert "START" in reply_to(app, "Yeka")  # any alias, any case
    reply_to(app, "START")
    with app.app_context():
        assert db.session.get(Suppression, "+27821234567") is None
        log = db.session.scalars(select(OptOut).order_by(OptOut.id)).all()
        assert [(o.action, o.channel) for o in log] == [("stop", "sms"), ("stop", "sms"), ("start", "sms")]
        assert log[0].evidence.startswith("inbound ")
    assert not resident(app).opted_out


def test_unknown_text_gets_one_short_help(app, demo):
    text = reply_to(app, "hello, is anyone there?")
    assert "HELP" in text


def test_duplicate_callback_is_processed_once(app, demo, client):
    for _ in range(3):
        assert sms(client, "JOIN 4", msg_id="ATXid_same").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1


@pytest.mark.parametrize(
    "date", ["2017-05-03T06:04:45Z", "2017-05-03 06:04:45", "2018-03-19T08:34:18.445Z", "garbage", None]
)
def test_provider_date_formats(app, demo, client, date):
    assert sms(client, "HELP", date=date).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(InboundMessage))
        if date in (None, "garbage"):
            assert row.provider_date is None
        else:
            assert row.provider_date.year in (2017, 2018)
        assert row.status == "processed"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("text", None, "missing text"),
        ("from", None, "unparsable from"),
        ("from", "not-a-number", "unparsable from"),
    ],
)
def test_bad_input_is_stored_as_rejected(app, demo, client, field, value, reason):
    args = {"text": "HELP", "phone": "+27821234567"}
    args["phone" if field == "from" else field] = value
    resp = sms(client, **args)
    assert resp.status_code == 200
    with app.app_context():
        row = db.session.scalar(select(InboundMessage))
        assert (row.status, row.reason) == ("rejected", reason)
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_missing_id_and_odd_ids(app, demo, client):
    assert sms(client, "HELP", msg_id="").status_code == 200
    assert sms(client, "HELP", msg_id="12345").status_code == 200
    assert sms(client, "HELP", msg_id="x" * 500).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 3


def test_unknown_short_code_is_rejected(app, demo, client):
    assert sms(client, "HELP", to="99999").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(InboundMessage.reason)) == "unknown short code"


def test_rate_limit_stores_but_does_not_answer(app, demo, client):
    for _ in range(12):
        assert sms(client, "HELP").status_code == 200
    with app.app_context():
        rejected = db.session.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.reason == "rate limited")
        )
        assert rejected == 2
        assert db.session.scalar(select(func.count()).select_from(Message)) == 10


def test_token_required_and_database_down(settings, client, demo):
    assert client.post("/webhooks/africastalking/sms", data={"text": "HI"}).status_code == 403
    from tests.conftest import make_app

    dead = make_app(settings, DATABASE_URL="postgresql://wardlink@127.0.0.1:1/none")
    resp = dead.test_client().post(
        "/webhooks/africastalking/sms",
        query_string={"token": TOKEN},
        data={"from": "+27821234567", "to": "40123", "text": "HELP", "id": "x1"},
    )
    assert resp.status_code == 503  # the provider retries later: nothing is lost


def test_reply_is_queued_on_high(app, demo, redis):
    reply_to(app, "HELP")
    assert redis.llen("rq:queue:high") == 1


def test_ussd_ticket_confirmation_is_a_real_sms(app, phone):
    from tests.ussd.test_journeys import onboard

    onboard(phone)
    for key in ("1", "1", "1", "Leak by the shop"):
        phone.send(key)
    body = phone.send("1")
    with app.app_context():
        message = db.session.scalar(select(Message))
        ticket = db.session.scalar(select(Ticket))
    assert message.purpose == "ticket" and message.essential and message.phone == "+27821234567"
    assert ticket.reference in message.text and ticket.reference in body
    assert message.segments == 1 and message.encoding == "GSM-7"
    assert message.sender_id == "40123"  # the short code: a STATUS reply reaches us


def test_a_crashing_command_keeps_the_message(app, demo, client, monkeypatch):
    from app.sms import commands, table

    def boom(ctx, arg):
        raise RuntimeError("bug")

    monkeypatch.setitem(table.COMMANDS, "help", commands.Command(boom))
    assert sms(client, "HELP", msg_id="ATXid_crash").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(InboundMessage))
        assert (row.provider_id, row.status, row.text) == ("ATXid_crash", "failed", "HELP")


@pytest.mark.parametrize(
    ("command", "alias"),
    [
        (command, alias)
        for command, aliases in __import__("app.sms.keywords").sms.keywords.ALIASES.items()
        for alias in aliases
        if alias != "?"
    ],
)
def test_every_alias_reaches_its_command(app, demo, client, command, alias):
    argument = {"status": " 48210937", "join": " 3", "lang": " en", "report": " water at the shop"}
    assert sms(client, alias.lower() + argument.get(command, "")).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(InboundMessage))
        assert (row.status, row.command) == ("processed", command)
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1
