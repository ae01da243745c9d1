"""One module per SMS/USSD aggregator: parse its forms into our events, render our replies."""

from __future__ import annotations

from flask import current_app


def sms_provider():
    """The configured SMS sender: Africa's Talking with credentials, else the console."""
    config = current_app.config
    name = config.get("SMS_PROVIDER") or (
        "africastalking" if config.get("AT_USERNAME") and config.get("AT_API_KEY") else "console"
    )
    if name == "console":
        from app.channels.console import ConsoleSMS

        return ConsoleSMS()
    if name == "africastalking":
        from app.channels.africastalking.wire import AfricasTalkingSMS

        timeout = (float(config["SMS_CONNECT_TIMEOUT"]), float(config["SMS_READ_TIMEOUT"]))
        return AfricasTalkingSMS(config["AT_USERNAME"], config["AT_API_KEY"],
                                 config.get("AT_API_URL"), timeout)
    raise ValueError(f"unknown SMS_PROVIDER {name!r}")
