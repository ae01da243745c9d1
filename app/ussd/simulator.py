"""A feature phone in the terminal, speaking the provider's USSD form to the gateway."""

from __future__ import annotations

import secrets

import requests

from app.language.gsm import gsm_length


class Phone:
    """Dials the service code and keeps the cumulative `text` the way the provider does."""

    def __init__(self, *, app=None, url=None, token=None, phone="+27820000001",
                 service_code="*384*1234#", network_code="99999", channel="africastalking"):
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
        form = {"sessionId": self.session_id, "serviceCode": self.service_code,
                "phoneNumber": self.phone, "networkCode": self.network_code,
                "text": "*".join(self.inputs)}
        if self.app is not None:
            token = self.token or self.app.config.get("WEBHOOK_TOKEN")
            with self.app.test_client() as client:
                resp = client.post(self.path, data=form,
                                   query_string={"token": token})
                return resp.get_data(as_text=True)
        resp = requests.post(self.url.rstrip("/") + self.path,
                             params={"token": self.token}, data=form, timeout=15)
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
