"""A feature phone in the terminal, speaking the provider's USSD form to the gateway."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

import requests

from app.language.gsm import gsm_length

"""Where the gateway takes the provider's USSD callbacks."""
TIMEOUT = 15
"""Seconds to wait for a remote gateway's answer."""


class GatewayError(Exception):
    """A remote gateway could not be reached or refused a turn; the message is one line for the
    user, with no token in it."""


def display_url(url: str) -> str:
    """`url` as it may be shown: no query string, fragment or password (a token can hide there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class Phone:
    """Dials the service code and keeps the cumulative `text` the way the provider does."""

    def __init__(
        self,
        *,
        app=None,
        url=None,
        token=None,
        phone="+27820000001",
        service_code="*384*1234#",
        network_code="99999",
        channel="africastalking",
    ):
        self.app, self.url, self.token = app, url, token
        self.path = f"/webhooks/{channel}/ussd"
        self.phone, self.service_code, self.network_code = phone, service_code, network_code
        self.session_id = None
        self.inputs: list[str] = []

    def dial(self) -> str:
        """Start a new session and return the first screen body."""
        self.session_id = "ATUid_" + secrets.token_hex(16)
        self.inputs = []
        return self._post()

    def send(self, typed: str) -> str:
        """Type `typed` on the current screen and return the next body."""
        self.inputs.append(typed)
        return self._post()

    def _post(self) -> str:
        form = {
            "sessionId": self.session_id,
            "serviceCode": self.service_code,
            "phoneNumber": self.phone,
            "networkCode": self.network_code,
            "text": "*".join(self.inputs),
        }
        if self.app is not None:
            token = self.token or self.app.config.get("WEBHOOK_TOKEN")
            with self.app.test_client() as client:
                resp = client.post(self.path, data=form, query_string={"token": token})
                return resp.get_data(as_text=True)
        return self._post_remote(form)

    def _post_remote(self, form: dict) -> str:
        # requests' exceptions quote the URL with its query string, the token: none is shown.
        base = display_url(self.url)
        try:
            resp = requests.post(
                self.url.rstrip("/") + self.path, params={"token": self.token}, data=form, timeout=TIMEOUT
            )
        except requests.ConnectionError:
            raise GatewayError(f"no gateway answers at {base} (is 'wardlink serve' running?)") from None
        except requests.Timeout:
            raise GatewayError(f"the gateway at {base} did not answer within {TIMEOUT} s") from None
        except requests.RequestException as exc:
            raise GatewayError(f"the request to {base} failed ({type(exc).__name__})") from None
        if resp.status_code == 403:
            raise GatewayError(
                f"the gateway at {base} says: wrong token "
                "(--token, WEBHOOK_TOKEN or the instance's webhook_token file)"
            )
        if resp.status_code != 200:
            raise GatewayError(f"the gateway at {base} answered HTTP {resp.status_code}")
        return resp.text

    def play(self, prompt, echo) -> None:
        """Interactive loop: show a screen, read the key presses, until END."""
        body = self.dial()
        while True:
            echo("+" + "-" * 34 + "+")
            for line in body[4:].split("\n"):
                echo("| " + line)
            echo("+" + "-" * 34 + f"+ {gsm_length(body)}/160")
            if not body.startswith("CON "):
                return
            body = self.send(prompt(">", default="", show_default=False))
