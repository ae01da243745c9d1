"""Africa's Talking's raw payloads, as tables: what arrives on the wire -> our events."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from app.channels.africastalking import sms as at_sms
from app.channels.africastalking import ussd as at_ussd
from app.channels.events import ProviderError, UssdTurn
from menus.engine import Reply


def za(_code: str) -> str:
    return "ZA"


def gh_on_5678(code: str) -> str:
    return "GH" if code == "*384*5678#" else "ZA"


USSD_FORMS = [
    # (form, region_for, expected fields of the turn)
    (
        {
            "sessionId": "ATUid_1",
            "serviceCode": "*384*1234#",
            "phoneNumber": "+27821234567",
            "networkCode": "65501",
            "text": "",
        },
        za,
        {
            "session_id": "ATUid_1",
            "service_code": "*384*1234#",
            "phone": "+27821234567",
            "network_code": "65501",
            "wire_input": "",
        },
    ),
    (
        {
            "sessionId": "ATUid_2",
            "serviceCode": "*384*5678#",
            "phoneNumber": "0244770099",
            "networkCode": "62001",
            "text": "1*2",
        },
        gh_on_5678,
        {"phone": "+233244770099", "wire_input": "1*2"},
    ),
    (
        {
            "sessionId": "ATUid_3",
            "serviceCode": "*384*1234#",
            "phoneNumber": "0821234567",
            "text": "1*Pipe*burst",
        },
        gh_on_5678,
        {"phone": "+27821234567", "network_code": "", "wire_input": "1*Pipe*burst"},
    ),
    (
        {"sessionId": " ATUid_4 ", "phoneNumber": "not-a-number", "text": None},
        za,
        {"session_id": "ATUid_4", "service_code": "", "phone": None, "wire_input": ""},
    ),
    (
        {"sessionId": "x" * 500, "serviceCode": "*1#", "phoneNumber": " 27821234567", "text": "9" * 9000},
        za,
        {"session_id": "x" * 120, "phone": "+27821234567", "wire_input": "9" * 4096},
    ),
]


@pytest.mark.parametrize(("form", "region_for", "expected"), USSD_FORMS)
def test_ussd_form_to_turn(form, region_for, expected):
    turn = at_ussd.parse_turn(
        {k: v for k, v in form.items() if v is not None}, "africastalking", region_for, 4096
    )
    assert turn.channel == "africastalking"
    for name, value in expected.items():
        assert getattr(turn, name) == value, name


def _turn(text: str) -> UssdTurn:
    return UssdTurn("africastalking", "S", "*1#", "+27821234567", "", text)


@pytest.mark.parametrize(
    ("history", "text", "typed"),
    [
        (None, "", ""),  # the dial
        ("", "1", "1"),
        ("1", "1*3", "3"),
        ("1*1*1", "1*1*1*Pipe*burst", "Pipe*burst"),  # a '*' typed inside free text is kept
        ("1*1", "1*1*", ""),
        ("9*9", "1*2*3", "3"),  # history that does not continue ours: after the last '*'
    ],
)
def test_newest_input_follows_the_remembered_history(history, text, typed):
    memory = at_ussd.read_input(_turn(history), None)[1] if history is not None else None
    got, remembered = at_ussd.read_input(_turn(text), memory)
    assert got == typed
    assert remembered["len"] == len(text)


def test_the_same_text_again_is_a_repeated_turn():
    _, memory = at_ussd.read_input(_turn("1*2"), None)
    assert at_ussd.read_input(_turn("1*2"), memory)[0] is None
    # Pressing 1 on two screens in a row is not a repeat: the history grew.
    _, memory = at_ussd.read_input(_turn("1"), memory)
    assert at_ussd.read_input(_turn("1*1"), memory)[0] == "1"


def test_replies_render_with_the_providers_prefix():
    assert at_ussd.render_body(Reply("Hello")) == "CON Hello"
    assert at_ussd.render_body(Reply("Bye", end=True)) == "END Bye"
    body, status, headers = at_ussd.render(Reply("x"))
    assert (body, status) == ("CON x", 200) and headers["Content-Type"].startswith("text/plain")
    assert at_ussd.SCREEN_LIMIT == 160 and at_ussd.BUDGET == 156


def test_session_end_form():
    values = at_ussd.parse_session_end(
        {
            "sessionId": "ATUid_9",
            "serviceCode": "*384*1234#",
            "networkCode": "65501",
            "phoneNumber": "0821234567",
            "status": "Success",
            "cost": "KES 0.00",
            "durationInMillis": "15345",
            "hopsCount": "5",
            "input": "1*1234*secret",
            "lastAppResponse": "END Thank you",
            "errorMessage": "",
            "date": "2026-11-24 06:04:45",
        },
        "ZA",
    )
    assert values["phone"] == "+27821234567" and values["duration_ms"] == 15345
    assert values["input"] is None  # PINs and free text are never stored
    assert values["error_message"] is None and values["hops_count"] == 5
    assert values["provider_date"] == dt.datetime(2026, 11, 24, 6, 4, 45, tzinfo=dt.UTC)
    assert at_ussd.parse_session_end({}, "ZA")["session_id"] == "-"


INBOUND = [
    (
        {
            "date": "2026-11-24T06:04:45Z",
            "from": "+27821234567",
            "to": "40123",
            "text": "HELP",
            "id": "abc-1",
            "linkId": "L1",
            "networkCode": "65501",
        },
        "ZA",
        {
            "provider_id": "abc-1",
            "phone": "+27821234567",
            "to_code": "40123",
            "text": "HELP",
            "link_id": "L1",
            "problem": None,
        },
    ),
    (
        {"from": "0244770099", "to": "40456", "text": "MMOA", "id": "abc-2"},
        "GH",
        {"phone": "+233244770099", "problem": None},
    ),
    (
        {"from": "garbage", "to": "40123", "text": "HELP", "id": "abc-3"},
        "ZA",
        {"phone": None, "problem": "unparsable from"},
    ),
    ({"from": "+27821234567", "to": "40123", "id": "abc-4"}, "ZA", {"text": None, "problem": "missing text"}),
    ({"from": "+27821234567", "to": "40123", "text": "x" * 5000, "id": "abc-5"}, "ZA", {"text": "x" * 1600}),
]


@pytest.mark.parametrize(("form", "region", "expected"), INBOUND)
def test_inbound_sms_form(form, region, expected):
    event = at_sms.parse_inbound_sms(form, region, "africastalking")
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def test_inbound_sms_without_an_id_gets_a_stable_derived_one():
    form = {"from": "+27821234567", "to": "40123", "text": "HELP", "date": "2026-11-24"}
    first = at_sms.parse_inbound_sms(form, "ZA").provider_id
    assert first.startswith("noid:") and first == at_sms.parse_inbound_sms(form, "ZA").provider_id
    assert first != at_sms.parse_inbound_sms({**form, "text": "STOP"}, "ZA").provider_id


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Success", "delivered"),
        ("Sent", "sent"),
        ("Submitted", "sent"),
        ("Buffered", "sent"),
        ("Rejected", "failed"),
        ("Failed", "failed"),
        ("Expired", "failed"),
        ("AbsentSubscriber", None),
        ("SomethingNew", None),
    ],
)
def test_delivery_report_statuses(status, state):
    report = at_sms.parse_delivery_report(
        {
            "id": "ATXid_1",
            "status": status,
            "phoneNumber": "+27821234567",
            "networkCode": "65501",
            "failureReason": "UserInBlacklist",
            "retryCount": "2",
        },
        "ZA",
        "gh",
    )
    assert (report.status, report.state, report.channel) == (status, state, "gh")
    assert report.retry_count == 2 and report.failure_reason == "UserInBlacklist"


def test_delivery_report_without_an_id_names_nothing():
    assert at_sms.parse_delivery_report({"status": "Success"}, "ZA") is None


def test_bulk_optout():
    event = at_sms.parse_bulk_optout({"senderId": "SaldanhaMun", "phoneNumber": "0821234567"}, "ZA")
    assert (event.phone, event.sender_id) == ("+27821234567", "SaldanhaMun")
    assert at_sms.parse_bulk_optout({"senderId": "X"}, "ZA").phone is None


SEND_ANSWER = {
    "SMSMessageData": {
        "Message": "Sent to 3/4 Total Cost: KES 2.40",
        "Recipients": [
            {
                "statusCode": 101,
                "number": "+27821234567",
                "status": "Success",
                "cost": "KES 0.8000",
                "messageId": "ATXid_a",
            },
            {
                "statusCode": 406,
                "number": "+27821234568",
                "status": "UserInBlacklist",
                "cost": "0",
                "messageId": "None",
            },
            {
                "statusCode": 500,
                "number": "+27821234569",
                "status": "InternalServerError",
                "cost": "0",
                "messageId": "None",
            },
            {
                "statusCode": 403,
                "number": "+27821234560",
                "status": "InvalidPhoneNumber",
                "cost": "0",
                "messageId": "None",
            },
        ],
    }
}


def test_send_answer_per_recipient():
    results = at_sms.parse_send_result(SEND_ANSWER)
    assert [r.outcome for r in results] == ["accepted", "blacklisted", "transient", "permanent"]
    assert results[0].message_id == "ATXid_a" and results[1].message_id is None
    assert results[0].cost == "KES 0.8000"


def test_send_answer_without_recipients_is_a_configuration_error():
    with pytest.raises(ProviderError) as info:
        at_sms.parse_send_result({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}})
    assert info.value.reason == "InvalidSenderId" and not info.value.transient
    with pytest.raises(ProviderError) as info:
        at_sms.parse_send_result("<html>not json</html>")
    assert info.value.transient


def _response(status: int, body: str) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    return response


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, "The supplied authentication is invalid", "AuthenticationFailed"),
        (403, "Forbidden", "AuthenticationFailed"),
        (500, "Internal Server Error", "HTTPError"),
        (503, "Service Unavailable", "HTTPError"),
        (429, "Too Many Requests", "HTTPError"),
    ],
)
def test_http_errors_are_read_from_the_status_code(status, body, reason):
    with pytest.raises(ProviderError) as info:
        at_sms.read_send_response(_response(status, body))
    assert info.value.reason == reason and info.value.transient


def test_a_201_is_read_as_the_send_answer():
    import json

    results = at_sms.read_send_response(_response(201, json.dumps(SEND_ANSWER)))
    assert len(results) == 4
