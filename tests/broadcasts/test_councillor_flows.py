"""Councillors broadcast to their own ward only: USSD with a PIN, SMS with a one-time code."""

from __future__ import annotations

import re

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Broadcast, Message, Municipality, Resident, Ward
from app.ussd.simulator import Phone
from tests.conftest import TOKEN
from tests.sms.helpers import reply_to

COUNCILLOR = "+27825550001"


def setup_ward(app, ward=3, residents=4):
    from app.broadcasts.councillors import add_councillor

    with app.app_context():
        session = db.session()
        add_councillor(session, "saldanha", ward, "Cllr Mokoena", COUNCILLOR, "4321")
        session.commit()  # services leave the commit to their caller
        m = session.scalar(select(Municipality).where(Municipality.code == "saldanha"))
        wid = session.scalar(select(Ward.id).where(Ward.municipality_id == m.id, Ward.number == ward))
        other = session.scalar(select(Ward.id).where(Ward.municipality_id == m.id, Ward.number == 9))
        session.execute(
            insert(Resident),
            [
                {
                    "municipality_id": m.id,
                    "phone": f"+27831{i:06d}",
                    "ward_id": wid if i < residents else other,
                    "locale": "en",
                    "subscribed": True,
                    "opted_out": False,
                }
                for i in range(residents + 3)
            ],
        )
        session.commit()


def broadcasts(app):
    with app.app_context():
        return db.session.scalars(select(Broadcast).order_by(Broadcast.id)).all()


def test_councillor_ussd_broadcast(app, demo, redis):
    setup_ward(app)
    phone = Phone(app=app, token=TOKEN, phone=COUNCILLOR, service_code="*384*1234#")
    phone.dial()
    phone.send("1")  # English
    phone.send("3")
    body = phone.send("1")
    assert "5. Councillor broadcast" in body
    body = phone.send("5")
    assert "PIN" in body
    body = phone.send("4321")
    assert "message to ward 3" in body
    body = phone.send("Clean-up day on Saturday at 09:00, bring gloves")
    assert "Reaches 4 residents, 1 SMS each" in body
    body = phone.send("1")
    assert body.startswith("END ") and "4 residents" in body
    (b,) = broadcasts(app)
    assert (
        b.councillor_id
        and b.status == "scheduled"
        and b.texts == {"*": "Clean-up day on Saturday at 09:00, bring gloves"}
    )
    assert redis.llen("rq:queue:bulk") == 1
    # A repeated final turn does not make a second broadcast.
    phone._post()
    assert len(broadcasts(app)) == 1


def test_menu_is_not_offered_to_residents(app, demo):
    setup_ward(app)
    phone = Phone(app=app, token=TOKEN, phone="+27831000000", service_code="*384*1234#")
    body = phone.dial()
    assert "Councillor" not in body
    assert "Invalid choice" in phone.send("5")


def test_wrong_pin_locks_after_three_tries(app, demo):
    setup_ward(app)
    phone = Phone(app=app, token=TOKEN, phone=COUNCILLOR, service_code="*384*1234#")
    phone.dial()
    for key in ("1", "3", "1", "5"):
        phone.send(key)
    assert "Wrong PIN" in phone.send("1111")
    assert "Wrong PIN" in phone.send("2222")
    body = phone.send("3333")
    assert body.startswith("END ") and "30 minutes" in body
    # Locked: even the right PIN is refused in a new session.
    phone.dial()
    phone.send("5")
    assert phone.send("4321").startswith("END ")
    assert broadcasts(app) == []


def test_councillor_sms_broadcast_with_code(app, demo):
    setup_ward(app)
    reply = reply_to(app, "BROADCAST Water tanker at the hall at 14:00", phone=COUNCILLOR)
    assert "reaches 4 residents of ward 3, 1 SMS each" in reply
    code = re.search(r"YES (\d{6})", reply).group(1)
    assert "not valid" in reply_to(app, "YES 000000" if code != "000000" else "YES 111111", phone=COUNCILLOR)
    (b,) = broadcasts(app)
    assert b.status == "pending_confirmation" and b.texts == {
        "*": "Water tanker at the hall at 14:00"
    }  # the councillor's own capitals kept
    assert "on its way to 4 residents" in reply_to(app, f"yes {code}", phone=COUNCILLOR)
    assert broadcasts(app)[0].status == "scheduled"
    assert "not valid" in reply_to(app, f"YES {code}", phone=COUNCILLOR)  # one-time


def test_councillor_cannot_reach_another_ward(app, demo):
    setup_ward(app)
    assert "only broadcast to your own ward (3)" in reply_to(
        app, "BROADCAST 9 Hello ward 9", phone=COUNCILLOR
    )
    assert "reaches 4 residents of ward 3" in reply_to(app, "BROADCAST 3 Hello ward 3", phone=COUNCILLOR)
    assert len(broadcasts(app)) == 1


def test_daily_limit(app, demo):
    setup_ward(app)
    for i in range(3):
        reply = reply_to(app, f"BROADCAST Notice number {i}", phone=COUNCILLOR)
        code = re.search(r"YES (\d{6})", reply).group(1)
        assert "on its way" in reply_to(app, f"YES {code}", phone=COUNCILLOR)
    assert "limit of 3 broadcasts" in reply_to(app, "BROADCAST One more", phone=COUNCILLOR)


def test_residents_cannot_use_councillor_commands(app, demo):
    setup_ward(app)
    assert "HELP" in reply_to(app, "BROADCAST hello everyone", phone="+27831000000")
    assert "HELP" in reply_to(app, "YES 123456", phone="+27831000000")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert (
            db.session.scalar(
                select(func.count()).select_from(Message).where(Message.broadcast_id.is_not(None))
            )
            == 0
        )
