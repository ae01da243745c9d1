"""The fake Africa's Talking SMS API, driven over real loopback HTTP by the official SDK."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from app.channels.africastalking.fake import (
    AUTH_INVALID,
    MAX_RECIPIENTS,
    FakeProvider,
    ServerThread,
    command,
    run_in_thread,
)

pytestmark = pytest.mark.slow

OK, BLOCKED, FAILED = "+27820000001", "+27820000406", "+27820000002"
KEY = "fake-key"


@pytest.fixture
def fake():
    provider = FakeProvider(KEY, dlr_retry_delays=(0.05, 0.05), callback_timeout=(1.0, 2.0))
    server, base_url = run_in_thread(provider)
    provider.base_url = base_url
    yield provider
    server.shutdown()


def sdk(base_url: str, key: str = KEY) -> SMSService:
    sms = SMSService("sandbox", key)
    sms._baseUrl = base_url + "/version1"
    sms._contentUrl = base_url + "/version1"
    return sms


def raw_send(base_url: str, to: str, key: str = KEY, **extra) -> requests.Response:
    return requests.post(
        base_url + "/version1/messaging",
        timeout=5,
        headers={"apiKey": key, "Accept": "application/json"},
        data={"username": "sandbox", "to": to, "message": "Hello", **extra},
    )


class Receiver:
    """A tiny delivery-report endpoint: collects every posted form."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.content_types: list[str | None] = []
        self.arrived = threading.Condition()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.arrived:
            self.forms.append(request.form.to_dict())
            self.content_types.append(request.mimetype)
            self.arrived.notify_all()
        return Response("ok", content_type="text/plain")(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.forms) >= count, timeout), self.forms
            return list(self.forms)


def wait_until(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_send_answers_201_json_per_recipient(fake):
    fake.configure(number_status={BLOCKED: 406})
    result = sdk(fake.base_url).send("Hello", [OK, BLOCKED], sender_id="WARDLINK")

    assert isinstance(result, dict)  # the SDK parsed JSON: the content type was exactly right
    data = result["SMSMessageData"]
    assert data["Message"] == "Sent to 1/2 Total Cost: KES 0.8000"
    sent, blocked = data["Recipients"]
    assert sent["statusCode"] == 101 and sent["status"] == "Success" and sent["number"] == OK
    assert sent["cost"] == "KES 0.8000" and sent["messageId"].startswith("ATXid_")
    assert blocked == {
        "statusCode": 406,
        "number": BLOCKED,
        "status": "UserInBlacklist",
        "cost": "0",
        "messageId": "None",
    }

    (recorded,) = fake.requests
    assert recorded["http_status"] == 201
    assert recorded["username"] == "sandbox" and recorded["to"] == [OK, BLOCKED]
    assert recorded["message"] == "Hello" and recorded["from"] == "WARDLINK"
    assert recorded["bulkSMSMode"] == "1" and recorded["enqueue"] is None
    assert recorded["content_type"] == "application/x-www-form-urlencoded"
    assert recorded["headers"]["Accept"] == "application/json"
    assert not any(name.lower() == "apikey" for name in recorded["headers"])
    assert recorded["recipients"] == data["Recipients"]

    over_http = requests.get(fake.base_url + "/requests", timeout=5)
    assert over_http.headers["Content-Type"] == "application/json"
    assert over_http.json() == fake.requests


def test_raw_answer_and_multipart_cost(fake):
    resp = raw_send(fake.base_url, OK, message="x" * 200, enqueue="1")  # 2 GSM-7 segments
    assert resp.status_code == 201 and resp.headers["Content-Type"] == "application/json"
    data = resp.json()["SMSMessageData"]
    assert data["Message"] == "Sent to 1/1 Total Cost: KES 1.6000"
    assert fake.requests[0]["enqueue"] == "1"


def test_bad_numbers_are_403_per_recipient(fake):
    data = raw_send(fake.base_url, f"{OK},0821234567").json()["SMSMessageData"]
    assert [r["statusCode"] for r in data["Recipients"]] == [101, 403]
    assert data["Recipients"][1]["status"] == "InvalidPhoneNumber"


def test_invalid_sender_id_is_201_with_no_recipients(fake):
    fake.configure(invalid_sender=True)
    result = sdk(fake.base_url).send("Hello", [OK], sender_id="NOPE")
    assert result == {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}


def test_wrong_api_key_raises(fake):
    with pytest.raises(AfricasTalkingException, match=AUTH_INVALID):
        sdk(fake.base_url, key="wrong").send("Hello", [OK])
    resp = raw_send(fake.base_url, OK, key="wrong")
    assert resp.status_code == 401 and resp.headers["Content-Type"].startswith("text/plain")
    assert resp.text == AUTH_INVALID
    assert [r["http_status"] for r in fake.requests] == [401, 401]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_http_status_switch_raises(fake, status):
    fake.configure(http_status=status)
    with pytest.raises(AfricasTalkingException):
        sdk(fake.base_url).send("Hello", [OK])
    resp = raw_send(fake.base_url, OK)
    assert resp.status_code == status and resp.headers["Content-Type"].startswith("text/plain")


def test_fail_times_then_success_via_control(fake):
    resp = requests.post(fake.base_url + "/control", json={"fail_times": 2}, timeout=5)
    assert resp.status_code == 200 and resp.json()["fail_times"] == 2
    sms, outcomes = sdk(fake.base_url), []
    for _ in range(3):
        try:
            outcomes.append(sms.send("Hello", [OK])["SMSMessageData"]["Recipients"][0]["statusCode"])
        except AfricasTalkingException as exc:
            outcomes.append(str(exc))
    assert outcomes == ["Internal Server Error", "Internal Server Error", 101]
    assert [r["http_status"] for r in fake.requests] == [500, 500, 201]


def test_control_rejects_bad_switches_and_resets(fake):
    for body in ({"nope": 1}, {"http_status": "500"}, {"number_status": {"27": 406}}, [1]):
        assert requests.post(fake.base_url + "/control", json=body, timeout=5).status_code == 400
    raw_send(fake.base_url, OK)
    fake.configure(http_status=503)
    resp = requests.post(fake.base_url + "/control/reset", timeout=5)
    assert resp.json()["http_status"] is None and resp.json()["api_key"] == KEY
    assert fake.requests == []
    assert raw_send(fake.base_url, OK).status_code == 201


def test_hang_is_cut_by_the_sdk_timeout(fake):
    fake.configure(hang_seconds=30)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        sdk(fake.base_url).send("Hello", [OK], timeout=(1.0, 0.3))
    assert time.monotonic() - started < 2
    fake.configure(hang_seconds=0)  # releases the held request
    assert raw_send(fake.base_url, OK).status_code == 201


def test_delivery_reports_are_posted_as_the_provider_does(fake):
    receiver = Receiver()
    with ServerThread(receiver) as target:
        fake.configure(
            callback_url=target.base_url + "/dlr?token=abc",
            dlr_delay=0.05,
            number_status={BLOCKED: 406},
            dlr_number_status={FAILED: {"status": "Failed", "failureReason": "UserInBlackList"}},
        )
        result = sdk(fake.base_url).send("Hello", [OK, FAILED, BLOCKED])
        ids = {r["number"]: r["messageId"] for r in result["SMSMessageData"]["Recipients"]}
        forms = receiver.wait_for(2)
        wait_until(lambda: len(fake.deliveries) == 2)
    by_number = {f["phoneNumber"]: f for f in forms}
    assert set(by_number) == {OK, FAILED}  # the 406 was never accepted: no report
    assert by_number[OK] == {"id": ids[OK], "status": "Success", "phoneNumber": OK, "networkCode": "65501"}
    assert by_number[FAILED] == {
        "id": ids[FAILED],
        "status": "Failed",
        "phoneNumber": FAILED,
        "networkCode": "65501",
        "failureReason": "UserInBlackList",
    }
    assert receiver.content_types == ["application/x-www-form-urlencoded"] * 2
    assert {d["outcome"] for d in fake.deliveries} == {"delivered"}
    assert all("token" not in d["url"] for d in fake.deliveries)


def test_callback_down_is_retried_then_dropped(fake):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake.configure(callback_url=f"http://127.0.0.1:{port}/dlr?token=secret")
    assert sdk(fake.base_url).send("Hello", [OK])["SMSMessageData"]["Recipients"][0]["statusCode"] == 101
    wait_until(lambda: fake.dlr_dropped == 1)
    (delivery,) = fake.deliveries
    assert delivery["outcome"] == "dropped" and delivery["attempts"] == 3
    assert delivery["last_status"] == "ConnectionError"
    assert raw_send(fake.base_url, OK).status_code == 201  # still serving


def test_at_most_1000_numbers_per_request(fake):
    numbers = [f"+2782{i:07d}" for i in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(AfricasTalkingException, match="Too many recipients"):
        sdk(fake.base_url).send("Hello", numbers)
    resp = raw_send(fake.base_url, ",".join(numbers))
    assert resp.status_code == 400 and resp.headers["Content-Type"].startswith("text/plain")
    result = sdk(fake.base_url).send("Hello", numbers[:MAX_RECIPIENTS])
    assert len(result["SMSMessageData"]["Recipients"]) == MAX_RECIPIENTS


def test_body_size_is_limited(fake):
    resp = raw_send(fake.base_url, OK, message="x" * (1024 * 1024 + 1))
    assert resp.status_code == 413


def test_without_accept_json_the_answer_is_not_json(fake):
    resp = requests.post(
        fake.base_url + "/version1/messaging",
        headers={"apiKey": KEY},
        timeout=5,
        data={"username": "sandbox", "to": OK, "message": "Hello"},
    )
    assert resp.status_code == 201 and resp.headers["Content-Type"] == "application/xml"
    assert "<statusCode>101</statusCode>" in resp.text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])  # noqa: S104
def test_cli_refuses_non_loopback_hosts(host):
    result = CliRunner().invoke(command, ["--host", host])
    assert result.exit_code == 2
    assert "loopback only" in result.output


def test_cli_checks_fail_numbers():
    result = CliRunner().invoke(command, ["--fail-number", "27820000406"])
    assert result.exit_code == 2 and "NUMBER:CODE" in result.output


def test_cli_is_registered():
    from app.cli import COMMANDS

    assert command in COMMANDS and command.name == "fake-provider"
