"""The USSD webhook against hostile, broken and repeated input: always 200 and CON/END."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import UssdSessionEnd
from tests.conftest import TOKEN, make_app

URL = "/webhooks/africastalking/ussd"


def post(client, form, token=TOKEN):
    return client.post(URL, data=form, query_string={"token": token} if token else None)


def valid(resp) -> str:
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    body = resp.get_data(as_text=True)
    assert body.startswith(("CON ", "END ")), body
    assert len(body) <= 160 and "Traceback" not in body
    return body


def form(**overrides):
    base = {
        "sessionId": "ATUid_proto",
        "serviceCode": "*384*1234#",
        "phoneNumber": "+27821234567",
        "networkCode": "65501",
        "text": "",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_missing_or_wrong_token_is_refused(client, demo, token, caplog):
    resp = post(client, form(), token=token)
    assert resp.status_code == 403
    assert TOKEN not in caplog.text and "wrong" not in caplog.text.replace("wrong token", "")


@pytest.mark.parametrize("missing", ["sessionId", "phoneNumber", "serviceCode", "text", "networkCode"])
def test_missing_fields_still_answer(client, demo, missing):
    valid(post(client, form(**{missing: None})))


def test_empty_form_and_not_a_form(client, demo):
    assert valid(post(client, {})).startswith("END ")
    resp = client.post(
        URL, query_string={"token": TOKEN}, data=b"\x00\xff{]", content_type="application/json"
    )
    valid(resp)


def test_unparsable_phone_number(client, demo):
    body = valid(post(client, form(phoneNumber="not-a-number")))
    assert body.startswith("END ") and "phone number" in body


def test_phone_plus_decoded_as_space(client, demo):
    # A raw '+' in a form body decodes as a space; the number must still be understood.
    body = valid(post(client, form(phoneNumber=" 27821234567")))
    assert body.startswith("CON ")


def test_unknown_session_with_history_starts_cleanly(client, demo):
    body = valid(post(client, form(sessionId="ATUid_never_seen", text="1*3*2")))
    assert body.startswith("CON ") and "language" in body


def test_ten_kilobytes_of_text(client, demo):
    valid(post(client, form(text="1*" * 5000)))
    valid(post(client, form(sessionId="ATUid_big2", text="")))
    valid(post(client, form(sessionId="ATUid_big2", text="9" * 10_000)))


def test_body_over_the_limit(client, demo):
    body = valid(post(client, form(text="x" * 40_000)))
    assert body.startswith("END ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_any_input_sequence_gets_a_valid_screen(client, demo, texts):
    history = ""
    sid = "ATUid_fuzz_" + str(abs(hash(tuple(texts))))
    valid(post(client, form(sessionId=sid, text="")))
    for typed in texts:
        history = typed if not history else history + "*" + typed
        valid(post(client, form(sessionId=sid, text=history)))


def test_redis_down_gets_a_polite_end_quickly(settings, demo):
    dead = make_app(settings, REDIS_URL="redis://127.0.0.1:1/0")
    started = time.monotonic()
    body = valid(post(dead.test_client(), form()))
    assert body.startswith("END ") and "Sorry" in body
    # The provider waits about 10 s: the apology must come well inside that.
    assert time.monotonic() - started < 8


def test_frozen_redis_gets_a_polite_end(app, client, demo, redis):
    redis.execute_command("CLIENT", "PAUSE", "2500", "ALL")
    try:
        started = time.monotonic()
        body = valid(post(client, form(sessionId="ATUid_frozen")))
        assert body.startswith("END ") and time.monotonic() - started < 8
    finally:
        time.sleep(2.6)


def test_database_down_gets_a_polite_end(settings, demo):
    dead = make_app(settings, DATABASE_URL="postgresql://wardlink@127.0.0.1:1/none")
    body = valid(post(dead.test_client(), form(sessionId="ATUid_nodb")))
    assert body.startswith("END ") and "Sorry" in body


def test_session_end_notification_is_stored(app, client):
    resp = client.post(
        URL + "/events",
        query_string={"token": TOKEN},
        data={
            "date": "2026-11-24 08:00:00",
            "sessionId": "ATUid_end",
            "serviceCode": "*384*1234#",
            "networkCode": "65501",
            "phoneNumber": "+27821234567",
            "status": "Success",
            "cost": "ZAR 0.20",
            "durationInMillis": "45210",
            "hopsCount": "6",
            "hopsMetadata": "a|b",
            "input": "1*1*1*Leak*1",
            "lastAppResponse": "END Thank you",
        },
    )
    assert resp.status_code == 200
    # Lenient: missing fields and junk numbers are fine.
    assert (
        client.post(
            URL + "/events", query_string={"token": TOKEN}, data={"durationInMillis": "abc"}
        ).status_code
        == 200
    )
    with app.app_context():
        rows = db.session.scalars(select(UssdSessionEnd).order_by(UssdSessionEnd.id)).all()
        assert rows[0].status == "Success" and rows[0].duration_ms == 45210
        assert rows[0].hops_count == 6 and rows[0].phone == "+27821234567"
        assert rows[0].provider_date.year == 2026
        assert rows[1].duration_ms is None
    assert client.post(URL + "/events", data={}).status_code == 403


def test_a_session_saved_before_the_channel_seam_keeps_its_input_and_repeats(app, client, demo, redis):
    """Deploying mid-session: the old engine kept `last_len`/`last_hash` and the reply body."""
    import hashlib
    import json

    from app.models import Municipality, Ward

    with app.app_context():
        m = db.session.scalar(select(Municipality).where(Municipality.code == "saldanha"))
        ward = db.session.scalar(select(Ward).where(Ward.municipality_id == m.id, Ward.number == 3))
        mid, ward = m.id, {"id": ward.id, "number": 3, "name": ward.name}

    def digest(text):
        return hashlib.blake2s(text.encode(), digest_size=12).hexdigest()

    old = {
        "sid": "ATUid_old",
        "phone": "+27821234567",
        "code": "*384*1234#",
        "net": "65501",
        "screen": "report_location",
        "stack": ["main", "report_category", "report_ward"],
        "draft": {
            "report": True,
            "key": "ussd:ATUid_old",
            "category": {"id": 1, "code": "water", "labels": {}},
            "report_ward": ward,
        },
        "page": 0,
        "locale": "en",
        "mid": mid,
        "mname": "Saldanha Bay",
        "last_len": 5,
        "last_hash": digest("1*1*1"),
        "reply": "CON Describe the place or a landmark nearby:",
    }
    redis.set("wl:ussd:s:ATUid_old", json.dumps(old))
    body = valid(post(client, form(sessionId="ATUid_old", text="1*1*1")))
    assert body == "CON Describe the place or a landmark nearby:"  # a repeat: the stored reply
    body = valid(post(client, form(sessionId="ATUid_old", text="1*1*1*Pipe * burst")))
    saved = json.loads(redis.get("wl:ussd:s:ATUid_old"))
    assert saved["draft"]["location"] == "Pipe * burst"  # the whole input, its '*' kept
