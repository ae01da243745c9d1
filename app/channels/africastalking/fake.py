"""A local stand-in for Africa's Talking's SMS sending API, on its real wire format.

Used by tests, benchmarks and offline demos: `POST /version1/messaging` answers as the provider
does (shared/spec/africastalking.md, sections 2 and 3), failures can be switched on, every request
is recorded, and delivery reports are posted back to a callback URL.

What the official SDK (`africastalking` 2.0.3) does, read from its source
-------------------------------------------------------------------------
- Import: `from africastalking.SMS import SMSService` (or `africastalking.SMSService`).
  NOT `africastalking.SMS.SMSService`: the package rebinds the name `SMS` to `None` until the
  module-level `initialize()` runs, so that attribute path raises AttributeError.
- `SMSService(username, api_key)`: both must be `str` (else RuntimeError). The constructor sets
  `_baseUrl` to `https://api.sandbox.africastalking.com/version1` when `username == "sandbox"`,
  else `https://api.africastalking.com/version1`; `_contentUrl` is the sandbox base, or
  `https://content.africastalking.com/version1` live. To use this fake, set both instance
  attributes after construction: `sms._baseUrl = sms._contentUrl = base_url + "/version1"`
  (no trailing slash).
- `send(message, recipients, sender_id=None, enqueue=False, callback=None, timeout=(3.05, 9.05))`
  posts to `_baseUrl + "/messaging"` (`send_premium` uses `_contentUrl + "/messaging"`).
  Headers are the dict `sms._headers`, built once in the constructor:
  `{"Accept": "application/json", "User-Agent": "africastalking-python/2.0.0", "apiKey": key}`
  (changing `_api_key` later has no effect; edit `_headers["apiKey"]`). The body is form-encoded
  by requests: `username`, `to` (`",".join(recipients)`), `message`, `bulkSMSMode=1` (always),
  `from` only when `sender_id is not None`, `enqueue=1` only when `enqueue` is truthy.
- Every recipient must match `^\\+\\d{1,3}\\d{3,}$`, else `ValueError("Invalid phone number: <the
  whole number>")` before any request: never log that exception's text.
- Transport: a plain `requests.post(..., timeout=timeout)` per call (new connection, no Session,
  no retries, environment proxies honoured). `timeout` IS exposed by `send` and passed through;
  a timeout raises `requests.exceptions.ConnectTimeout`/`ReadTimeout` (both
  `requests.exceptions.Timeout`), a refused connection `requests.exceptions.ConnectionError`.
  Nothing is wrapped.
- Returns: on any 2xx, `res.json()` (a dict; `statusCode` as sent, int here) only when the
  `Content-Type` header is exactly `application/json`, otherwise `res.text` (a str, e.g. with
  `; charset=utf-8`). The HTTP status (201) is not exposed.
- Any non-2xx raises `africastalking.Service.AfricasTalkingException(res.text)` (a plain
  Exception subclass); the status code is lost, only the body text remains. This fake's bodies:
  401 "The supplied authentication is invalid", other statuses the standard reason phrase
  ("Internal Server Error", "Service Unavailable", "Too Many Requests"...).
- With `callback=`, the request runs in a new thread, `send` returns that Thread, and the
  callback gets `(AfricasTalkingException | None, result)`; network errors then die in the thread.

This module
-----------
- `FakeProvider(api_key="fake-key", **switches)`: the state and a WSGI app (the object itself).
  Routes: `POST /version1/messaging`; `POST /control` (JSON object of switches), `GET /control`,
  `POST /control/reset`; `GET /requests` and `GET /deliveries` (JSON lists, `?limit=N` for the
  last N). Python: `configure(**switches)`, `reset()` (back to the constructor's switches),
  `requests`, `deliveries`, `settings`, `close()`.
- Switches (see `DEFAULTS`): `api_key`, `username` (None: any), `http_status`, `hang_seconds`,
  `invalid_sender`, `number_status` {number: statusCode}, `fail_times` (+ `fail_status`),
  `callback_url`, `dlr_delay`, `dlr_status`, `dlr_number_status` {number: status or
  {"status", "failureReason"}}, `dlr_failure_reason`, `network_code`, `cost`, `currency`.
  Changing any switch (or closing) releases requests currently held by `hang_seconds`.
- `requests` records every request to the messaging endpoint, accepted or not, with the
  `http_status` it got (filter on 201 for accepted ones); `deliveries` every delivery report with
  its outcome ("delivered" or "dropped").
- `run_in_thread(provider, host="127.0.0.1", port=0) -> (ServerThread, base_url)`;
  `ServerThread(app)` serves any WSGI app (loopback only); `.shutdown()` stops it and closes
  the provider.
- `command`: the `wardlink fake-provider` click command.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import click
import requests as http
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from app.core.phones import mask_phone
from app.language.gsm import count_segments

log = logging.getLogger(__name__)

MESSAGING_PATH = "/version1/messaging"
DEFAULT_PORT = 8799
DEFAULT_API_KEY = "fake-key"
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (413 above)."""
MAX_RECIPIENTS = 1000
"""Most numbers in one request (400 above), as the provider advises."""
HISTORY_MAX = 100_000
"""Requests and deliveries kept in memory (oldest dropped first)."""
MESSAGE_KEPT = 4000
"""Characters of each message kept in the history (`message_length` has the real length)."""
PENDING_DLR_MAX = 100_000
"""Delivery reports waiting to be posted; beyond that new ones are dropped."""
AUTH_INVALID = "The supplied authentication is invalid"

STATUS_NAMES = {
    100: "Processed",
    101: "Sent",
    102: "Queued",
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}
"""Per-recipient statusCode -> status. Accepted codes (1xx) are reported as status "Success"."""
ACCEPTED_CODES = frozenset({100, 101, 102})
DLR_FAILED = frozenset({"Rejected", "Failed"})
"""Delivery statuses that carry a failureReason."""
NETWORK_CODES = (("+233", "62001"), ("+234", "62130"), ("+254", "63902"), ("+27", "65501"))
"""Default networkCode by country prefix; anything else gets the sandbox's 99999."""

E164 = re.compile(r"^\+\d{6,15}$")

DEFAULTS: dict[str, Any] = {
    "api_key": DEFAULT_API_KEY,
    "username": None,  # None: any username is accepted
    "http_status": None,  # e.g. 500/503/429: every request answered with it (text/plain)
    "hang_seconds": 0.0,  # wait this long before answering
    "invalid_sender": False,  # 201 with "InvalidSenderId" and no recipients
    "number_status": {},  # {"+27820000406": 406}
    "fail_times": 0,  # the next N requests get `fail_status`, then recovery
    "fail_status": 500,
    "callback_url": None,  # delivery reports target
    "dlr_delay": 0.0,  # seconds between the send and its delivery report
    "dlr_status": "Success",
    "dlr_number_status": {},  # {"+27...": "Failed"} or {"+27...": {"status": ..., "failureReason": ...}}
    "dlr_failure_reason": "DeliveryFailure",  # used for Rejected/Failed without their own reason
    "network_code": None,  # None: by country prefix (NETWORK_CODES)
    "cost": "0.8000",  # per recipient and SMS segment
    "currency": "KES",
}


# --- switch validation ------------------------------------------------------------------------


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"expected an integer in {low}..{high}")
    return value


def _seconds(high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= high:
            raise ValueError(f"expected seconds in 0..{high}")
        return float(value)

    return check


def _text(limit: int, optional: bool = False) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value or len(value) > limit:
            raise ValueError(f"expected a non-empty string of at most {limit} characters")
        return value

    return check


def _number(value: Any) -> str:
    if not isinstance(value, str) or not E164.match(value):
        raise ValueError("numbers must be +E164 strings")
    return value


def _number_map(check_value: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or len(value) > HISTORY_MAX:
            raise ValueError("expected an object {number: value}")
        return {_number(k): check_value(v) for k, v in value.items()}

    return check


def _status_code(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return _int(value, 100, 599)


def _dlr_outcome(value: Any) -> dict[str, str | None]:
    if isinstance(value, str):
        value = {"status": value}
    elif isinstance(value, list | tuple) and len(value) == 2:
        value = {"status": value[0], "failureReason": value[1]}
    if not isinstance(value, Mapping) or set(value) - {"status", "failureReason"}:
        raise ValueError('expected a status or {"status": ..., "failureReason": ...}')
    return {
        "status": _text(40)(value.get("status")),
        "failureReason": _text(80, optional=True)(value.get("failureReason")),
    }


def _http_status(value: Any) -> int | None:
    return None if value is None else _int(value, 400, 599)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _callback_url(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(_text(2000)(value) or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http(s) URL")
    return value


def _network_code(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 8:
        raise ValueError("expected digits, e.g. 65501")
    return value


def _cost(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("expected a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("expected a decimal amount")
    return f"{amount:.4f}"


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("expected a 3-letter currency code")
    return value


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "api_key": _text(200),
    "username": _text(200, optional=True),
    "http_status": _http_status,
    "hang_seconds": _seconds(600),
    "invalid_sender": _bool,
    "number_status": _number_map(_status_code),
    "fail_times": lambda v: _int(v, 0, 1_000_000),
    "fail_status": lambda v: _int(v, 400, 599),
    "callback_url": _callback_url,
    "dlr_delay": _seconds(3600),
    "dlr_status": _text(40),
    "dlr_number_status": _number_map(_dlr_outcome),
    "dlr_failure_reason": _text(80),
    "network_code": _network_code,
    "cost": _cost,
    "currency": _currency,
}


def validate_switches(switches: Mapping[str, Any]) -> dict[str, Any]:
    """The switches, checked and normalised; ValueError names the first bad one."""
    unknown = sorted(set(switches) - set(VALIDATORS))
    if unknown:
        raise ValueError(f"unknown switch(es): {', '.join(unknown)}")
    clean = {}
    for name, value in switches.items():
        try:
            clean[name] = VALIDATORS[name](value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return clean


# --- helpers ------------------------------------------------------------------------------------


def redact_url(url: str | None) -> str:
    """A URL without its query and credentials (callback URLs carry a secret token)."""
    if not url:
        return "-"
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def require_loopback(host: str) -> str:
    """`host` when it is a loopback address or `localhost`; ValueError otherwise."""
    if host == "localhost":
        return host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing to listen on {host!r}: the fake provider serves loopback only "
            "(127.0.0.1, ::1 or localhost)"
        )
    return host


def _text_response(status: int, body: str | None = None) -> Response:
    return Response(
        body if body is not None else HTTP_STATUS_CODES.get(status, "Error"),
        status=status,
        content_type="text/plain; charset=utf-8",
    )


def _json_response(payload: Any, status: int = 200) -> Response:
    # Exactly "application/json": the SDK parses JSON only for that exact content type.
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _xml_response(data: dict[str, Any], status: int) -> Response:
    """The answer for clients that did not ask for JSON (the real API answers XML then).
    The element layout is an approximation: only the JSON shape is documented."""
    recipients = "".join(
        "<Recipient>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in r.items()) + "</Recipient>"
        for r in data["Recipients"]
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<AfricasTalkingResponse><SMSMessageData>'
        f"<Message>{escape(data['Message'])}</Message><Recipients>{recipients}</Recipients>"
        "</SMSMessageData></AfricasTalkingResponse>"
    )
    return Response(body, status=status, content_type="application/xml")


class _LimitedRequest(Request):
    max_content_length = MAX_BODY_BYTES
    max_form_memory_size = MAX_BODY_BYTES


@dataclass
class _Report:
    url: str
    form: dict[str, str]


# --- the provider -------------------------------------------------------------------------------


class FakeProvider:
    """Africa's Talking's SMS API, local: state, failure switches and a WSGI app (call it)."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        history_max: int = HISTORY_MAX,
        dlr_workers: int = 4,
        dlr_retry_delays: Iterable[float] = (0.5, 2.0),
        callback_timeout: tuple[float, float] = (2.0, 5.0),
        **switches: Any,
    ) -> None:
        self._lock = threading.Lock()
        self._initial: dict[str, Any] = {**DEFAULTS, **validate_switches({"api_key": api_key, **switches})}
        self._settings = json.loads(json.dumps(self._initial))
        self._requests: deque[dict[str, Any]] = deque(maxlen=history_max)
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=history_max)
        self._wake = threading.Event()
        """Set (and replaced) whenever the switches change: releases held (hanging) requests."""
        self._closing = threading.Event()
        self._dlr_cond = threading.Condition(self._lock)
        self._dlr_heap: list[tuple[float, int, _Report]] = []
        self._dlr_seq = itertools.count()
        self._dlr_workers = max(1, dlr_workers)
        self._dlr_threads: list[threading.Thread] = []
        self._retry_delays = tuple(float(d) for d in dlr_retry_delays)
        self._callback_timeout = callback_timeout
        self.dlr_dropped = 0
        """Delivery reports given up on (callback down, queue full or shutdown)."""

    # -- Python control ----------------------------------------------------------------------

    def configure(self, **switches: Any) -> None:
        """Set switches (all checked before any is applied); releases hanging requests."""
        clean = validate_switches(switches)
        with self._lock:
            self._settings.update(clean)
            self._release_hangs()

    def reset(self) -> None:
        """The switches given to the constructor (the CLI's options), empty history, no pending
        delivery reports; releases hanging requests."""
        with self._lock:
            self._settings = json.loads(json.dumps(self._initial))
            self._requests.clear()
            self._deliveries.clear()
            self._dlr_heap.clear()
            self.dlr_dropped = 0
            self._release_hangs()

    @property
    def settings(self) -> dict[str, Any]:
        """A copy of the current switches."""
        with self._lock:
            return json.loads(json.dumps(self._settings))

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request to the messaging endpoint, oldest first, with its `http_status`."""
        with self._lock:
            return [dict(r) for r in self._requests]

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery report attempted: form, outcome, attempts, last HTTP status."""
        with self._lock:
            return [dict(d) for d in self._deliveries]

    @property
    def pending_deliveries(self) -> int:
        with self._lock:
            return len(self._dlr_heap)

    def close(self) -> None:
        """Stop the delivery-report threads and release hanging requests. Idempotent."""
        with self._lock:
            self._closing.set()
            self._release_hangs()
            self._dlr_cond.notify_all()
            threads = list(self._dlr_threads)
        for thread in threads:
            thread.join(timeout=sum(self._callback_timeout) + 1)

    shutdown = close

    def _release_hangs(self) -> None:
        # Called with the lock held.
        self._wake.set()
        self._wake = threading.Event()

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = _LimitedRequest(environ)
        try:
            response = self._dispatch(request)
        except RequestEntityTooLarge:
            response = _text_response(413, "Request body too large")
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path, method = request.path.rstrip("/") or "/", request.method
        routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            MESSAGING_PATH: {"POST": self._messaging},
            "/control": {"GET": lambda r: _json_response(self.settings), "POST": self._control},
            "/control/reset": {"POST": self._control_reset},
            "/requests": {"GET": lambda r: _json_response(self._tail(self.requests, r))},
            "/deliveries": {"GET": lambda r: _json_response(self._tail(self.deliveries, r))},
        }
        if path not in routes:
            return _text_response(404)
        handler = routes[path].get(method)
        if handler is None:
            response = _text_response(405)
            response.headers["Allow"] = ", ".join(routes[path])
            return response
        return handler(request)

    @staticmethod
    def _tail(items: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
        limit = request.args.get("limit", type=int)
        return items[-limit:] if limit and limit > 0 else items

    def _control(self, request: Request) -> Response:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return _text_response(400, "expected a JSON object of switches")
        try:
            self.configure(**payload)
        except ValueError as exc:
            return _text_response(400, str(exc))
        return _json_response(self.settings)

    def _control_reset(self, request: Request) -> Response:
        self.reset()
        return _json_response(self.settings)

    # -- POST /version1/messaging ------------------------------------------------------------

    def _messaging(self, request: Request) -> Response:
        with self._lock:
            hang, wake = self._settings["hang_seconds"], self._wake
        if hang > 0:
            wake.wait(hang)
        if self._closing.is_set():
            return _text_response(503)

        form = request.form  # RequestEntityTooLarge above MAX_BODY_BYTES
        to = [n.strip() for n in form.get("to", "").split(",") if n.strip()]
        entry: dict[str, Any] = {
            "time": time.time(),
            "path": request.path,
            "username": form.get("username"),
            "to": to[:MAX_RECIPIENTS],
            "to_count": len(to),
            "message": (form.get("message") or "")[:MESSAGE_KEPT],
            "message_length": len(form.get("message") or ""),
            "from": form.get("from"),
            "enqueue": form.get("enqueue"),
            "bulkSMSMode": form.get("bulkSMSMode"),
            "content_type": request.content_type,
            "headers": {k: v for k, v in request.headers.items() if k.lower() != "apikey"},
            "recipients": [],
        }
        reports: list[_Report] = []
        with self._lock:
            response = self._answer(request, form, to, entry, reports)
            entry["http_status"] = response.status_code
            self._requests.append(entry)
            self._schedule(reports)
        log.debug("fake provider: %s for %d number(s)", response.status_code, len(to))
        return response

    def _answer(
        self,
        request: Request,
        form: Mapping[str, str],
        to: list[str],
        entry: dict[str, Any],
        reports: list[_Report],
    ) -> Response:
        # Called with the lock held.
        s = self._settings
        if s["http_status"] is not None:
            return _text_response(s["http_status"])
        if s["fail_times"] > 0:
            s["fail_times"] -= 1
            return _text_response(s["fail_status"])
        if request.headers.get("apiKey") != s["api_key"] or (
            s["username"] is not None and form.get("username") != s["username"]
        ):
            return _text_response(401, AUTH_INVALID)
        for name in ("username", "to", "message"):
            if name not in form:
                return _text_response(400, f"Request is missing required form field '{name}'")
        if not to:
            return _text_response(400, "Request is missing required form field 'to'")
        if len(to) > MAX_RECIPIENTS:
            return _text_response(400, f"Too many recipients: at most {MAX_RECIPIENTS} per request")

        if s["invalid_sender"]:
            data: dict[str, Any] = {"Message": "InvalidSenderId", "Recipients": []}
        else:
            data = self._recipients(form["message"], to, reports)
        entry["recipients"] = data["Recipients"]
        if "application/json" not in request.headers.get("Accept", ""):
            return _xml_response(data, 201)
        return _json_response({"SMSMessageData": data}, 201)

    def _recipients(self, message: str, to: list[str], reports: list[_Report]) -> dict[str, Any]:
        s = self._settings
        unit = Decimal(s["cost"]) * max(1, count_segments(message).segments)
        total, sent, recipients = Decimal(0), 0, []
        for number in to:
            code = s["number_status"].get(number, 101) if E164.match(number) else 403
            if code in ACCEPTED_CODES:
                message_id = "ATXid_" + uuid.uuid4().hex
                recipients.append(
                    {
                        "statusCode": code,
                        "number": number,
                        "status": "Success",
                        "cost": f"{s['currency']} {unit:.4f}",
                        "messageId": message_id,
                    }
                )
                total += unit
                sent += 1
                if s["callback_url"]:
                    reports.append(_Report(s["callback_url"], self._report_form(message_id, number)))
            else:
                recipients.append(
                    {
                        "statusCode": code,
                        "number": number,
                        "status": STATUS_NAMES.get(code, "InternalServerError"),
                        "cost": "0",
                        "messageId": "None",
                    }
                )
        cost = f"{s['currency']} {total:.4f}" if total else "0"
        return {"Message": f"Sent to {sent}/{len(to)} Total Cost: {cost}", "Recipients": recipients}

    def _report_form(self, message_id: str, number: str) -> dict[str, str]:
        s = self._settings
        outcome = s["dlr_number_status"].get(number) or {"status": s["dlr_status"]}
        network = s["network_code"] or next(
            (code for prefix, code in NETWORK_CODES if number.startswith(prefix)), "99999"
        )
        form = {"id": message_id, "status": outcome["status"], "phoneNumber": number, "networkCode": network}
        if outcome["status"] in DLR_FAILED:
            form["failureReason"] = outcome.get("failureReason") or s["dlr_failure_reason"]
        return form

    # -- delivery reports --------------------------------------------------------------------

    def _schedule(self, reports: list[_Report]) -> None:
        # Called with the lock held.
        if not reports or self._closing.is_set():
            return
        due = time.monotonic() + self._settings["dlr_delay"]
        for report in reports:
            if len(self._dlr_heap) >= PENDING_DLR_MAX:
                self.dlr_dropped += 1
                continue
            heapq.heappush(self._dlr_heap, (due, next(self._dlr_seq), report))
        if not self._dlr_threads:
            for i in range(self._dlr_workers):
                thread = threading.Thread(target=self._dlr_loop, name=f"fake-at-dlr-{i}", daemon=True)
                thread.start()
                self._dlr_threads.append(thread)
        self._dlr_cond.notify_all()

    def _dlr_loop(self) -> None:
        while True:
            with self._dlr_cond:
                while not self._closing.is_set():
                    now = time.monotonic()
                    if self._dlr_heap and self._dlr_heap[0][0] <= now:
                        break
                    self._dlr_cond.wait(self._dlr_heap[0][0] - now if self._dlr_heap else None)
                if self._closing.is_set():
                    return
                _, _, report = heapq.heappop(self._dlr_heap)
            try:
                self._deliver(report)
            except Exception:  # never let a report kill the thread
                log.exception("fake provider: delivery report failed unexpectedly")

    def _deliver(self, report: _Report) -> None:
        attempts, last, outcome = 0, None, "dropped"
        for delay in (0.0, *self._retry_delays):
            if delay and self._closing.wait(delay):
                break
            if self._closing.is_set():
                break
            attempts += 1
            try:
                with http.post(report.url, data=report.form, timeout=self._callback_timeout) as resp:
                    last = resp.status_code
                if 200 <= last < 300:
                    outcome = "delivered"
                    break
            except http.RequestException as exc:
                # Not str(exc): it quotes the URL, token included.
                last = type(exc).__name__
        with self._lock:
            self._deliveries.append(
                {
                    "time": time.time(),
                    "url": redact_url(report.url),
                    "form": report.form,
                    "outcome": outcome,
                    "attempts": attempts,
                    "last_status": last,
                }
            )
            if outcome != "delivered":
                self.dlr_dropped += 1
        if outcome == "delivered":
            log.debug(
                "fake provider: delivery report %s for %s delivered",
                report.form["status"],
                mask_phone(report.form["phoneNumber"]),
            )
        else:
            log.warning(
                "fake provider: delivery report for %s to %s dropped after %d attempt(s) (%s)",
                mask_phone(report.form["phoneNumber"]),
                redact_url(report.url),
                attempts,
                last,
            )


# --- serving ------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Access lines at DEBUG on our logger instead of werkzeug's INFO lines on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("fake provider: %s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            log.debug("fake provider server: " + message.rstrip(), *args)


class ServerThread:
    """A WSGI app served on loopback by werkzeug's threaded server, in a background thread."""

    def __init__(
        self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
    ) -> None:
        require_loopback(host)
        self.app = app
        self.server = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler if quiet else None
        )
        url_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{url_host}:{self.server.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-server-{self.server.port}",
            daemon=True,
        )
        self._started = False

    def start(self) -> ServerThread:
        self.thread.start()
        self._started = True
        return self

    def shutdown(self) -> None:
        """Stop serving, close the socket, and close the app if it has `close()`. Idempotent."""
        if self._started:
            self._started = False
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()
        close = getattr(self.app, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> ServerThread:
        return self if self._started else self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def run_in_thread(provider: FakeProvider, host: str = "127.0.0.1", port: int = 0) -> tuple[ServerThread, str]:
    """Serve `provider` on loopback in a background thread: (server, base_url).
    Set the client's AT_API_URL to base_url; stop with `server.shutdown()`."""
    server = ServerThread(provider, host, port).start()
    return server, server.base_url


# --- CLI ------------------------------------------------------------------------------------------


def _check_host(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return require_loopback(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _check_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        return _callback_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _check_fail_numbers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, int]:
    statuses = {}
    for value in values:
        number, _, code = value.rpartition(":")
        try:
            statuses[_number(number)] = _status_code(code)
        except ValueError:
            raise click.BadParameter(
                f"expected NUMBER:CODE such as +27820000406:406, got {value!r}"
            ) from None
    return statuses


@click.command("fake-provider")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=_check_host,
    help="Loopback only (127.0.0.1, ::1, localhost).",
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--callback",
    "callback_url",
    default=None,
    metavar="URL",
    callback=_check_callback,
    help="Where to post delivery reports, e.g. "
    "http://127.0.0.1:8000/webhooks/africastalking/sms/delivery?token=...",
)
@click.option(
    "--dlr-delay",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds between a send and its delivery report.",
)
@click.option("--api-key", default=DEFAULT_API_KEY, show_default=True, help="The apiKey header expected.")
@click.option(
    "--fail-number",
    "fail_numbers",
    multiple=True,
    metavar="NUMBER:CODE",
    callback=_check_fail_numbers,
    help="Answer this recipient with this statusCode, e.g. +27820000406:406 (repeatable).",
)
def command(
    host: str,
    port: int,
    callback_url: str | None,
    dlr_delay: float,
    api_key: str,
    fail_numbers: dict[str, int],
) -> None:
    """Run a fake Africa's Talking SMS API on loopback, in the foreground (Ctrl-C stops it)."""
    provider = FakeProvider(
        api_key, callback_url=callback_url, dlr_delay=dlr_delay, number_status=fail_numbers
    )
    server = ServerThread(provider, host, port, quiet=False)
    base = server.base_url
    click.echo(
        f"Fake Africa's Talking SMS API on {base}\n"
        f"  AT_API_URL={base}   (the sender posts to {base}{MESSAGING_PATH})\n"
        f"  AT_API_KEY={api_key}   AT_USERNAME=<any>\n"
        f"  delivery reports: {redact_url(callback_url) if callback_url else 'off (--callback URL)'}\n"
        f"  failing numbers: {len(fail_numbers)}\n"
        f"  control: POST {base}/control (JSON switches), POST {base}/control/reset, "
        f"GET {base}/requests\n"
        "Ctrl-C to stop."
    )
    try:
        server.server.serve_forever()  # werkzeug's: returns on Ctrl-C and closes the socket
    finally:
        provider.close()
        click.echo("fake provider stopped")
