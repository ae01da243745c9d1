"""Channels: a provider plus its credentials, sender id and region, known by name.

The name appears in the webhook URLs (`/webhooks/<channel>/ussd`) and on every message
that went out through it. Each municipality names its channel (none: the default one), so
one deployment can serve a Ghanaian council on one aggregator beside South African
councils on another.

The default channel is called `africastalking` and is built from the settings existing
deployments already have (`SMS_PROVIDER`, `AT_USERNAME`, `AT_API_KEY`, `AT_SENDER_ID`,
`AT_API_URL`), so their callback URLs and environment keep working. More channels are
named in `CHANNELS` (comma-separated), each configured by its own environment variables
`CHANNEL_<NAME>_PROVIDER`, `_USERNAME`, `_API_KEY`, `_SENDER_ID`, `_API_URL`, `_REGION`
(NAME upper-cased, `-` as `_`). Secrets stay in the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from app.channels.africastalking.sms import AfricasTalkingSMS
from app.channels.console import ConsoleSMS
from app.channels.events import SmsSender
from app.config import ConfigError

DEFAULT_CHANNEL = "africastalking"
"""The channel of a municipality that names none, and of the pre-channel callback URLs."""

PROVIDERS = ("africastalking",)
"""Wire formats wardlink speaks (a second aggregator is a new folder and a new name here)."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
"""A channel name: short, lower case, safe in a URL path."""

_EXTENSION_KEY = "wardlink.channels"


@dataclass(frozen=True)
class Channel:
    """One provider account: how to reach it and which wire format its webhooks speak."""

    name: str
    provider: str
    """The wire format of its webhooks and API (one of PROVIDERS)."""
    console: bool
    """Print every SMS instead of sending it (demo, laptop, or no credentials yet)."""
    region: str
    """Region for local-format numbers when no municipality says otherwise."""
    username: str | None = None
    api_key: str | None = field(default=None, repr=False)
    sender_id: str | None = None
    api_url: str | None = None


def _default_channel(config: Mapping[str, Any]) -> Channel:
    mode = config.get("SMS_PROVIDER") or (
        "africastalking" if config.get("AT_USERNAME") and config.get("AT_API_KEY") else "console"
    )
    if mode not in ("africastalking", "console"):
        raise ConfigError(f"wardlink: unknown SMS_PROVIDER {mode!r} (africastalking or console)")
    return Channel(
        name=DEFAULT_CHANNEL,
        provider="africastalking",
        console=mode == "console",
        region=str(config["DEFAULT_REGION"]).upper(),
        username=config.get("AT_USERNAME"),
        api_key=config.get("AT_API_KEY"),
        sender_id=config.get("AT_SENDER_ID"),
        api_url=config.get("AT_API_URL"),
    )


def _named_channel(name: str, config: Mapping[str, Any], environ: Mapping[str, str]) -> Channel:
    if not NAME_PATTERN.match(name) or name == DEFAULT_CHANNEL:
        raise ConfigError(f"wardlink: bad channel name {name!r} in CHANNELS")
    prefix = "CHANNEL_" + name.upper().replace("-", "_") + "_"

    def value(key: str) -> str | None:
        found = config.get(prefix + key)
        found = environ.get(prefix + key) if found in (None, "") else found
        return None if found in (None, "") else str(found)

    provider = value("PROVIDER") or "africastalking"
    console = provider == "console"
    if console:
        provider = "africastalking"
    if provider not in PROVIDERS:
        raise ConfigError(f"wardlink: channel {name!r} names unknown provider {provider!r}")
    if not console and not (value("USERNAME") and value("API_KEY")):
        raise ConfigError(f"wardlink: channel {name!r} needs {prefix}USERNAME and {prefix}API_KEY")
    return Channel(
        name=name,
        provider=provider,
        console=console,
        region=(value("REGION") or str(config["DEFAULT_REGION"])).upper(),
        username=value("USERNAME"),
        api_key=value("API_KEY"),
        sender_id=value("SENDER_ID"),
        api_url=value("API_URL"),
    )


def load_channels(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """Every channel the configuration names, the default one first; raises ConfigError."""
    environ = os.environ if environ is None else environ
    found = {DEFAULT_CHANNEL: _default_channel(config)}
    names = config.get("CHANNELS") or ""
    for name in (n.strip().lower() for n in str(names).split(",")):
        if name:
            found[name] = _named_channel(name, config, environ)
    return found


def init_app(app) -> None:
    """Read the channels once per app (a misconfigured channel stops start-up)."""
    app.extensions[_EXTENSION_KEY] = {"channels": load_channels(app.config), "senders": {}}


def _state() -> dict:
    return current_app.extensions[_EXTENSION_KEY]


def get_channel(name: str | None) -> Channel | None:
    """A channel by name (None: the default channel); None when no such channel exists."""
    return _state()["channels"].get(name or DEFAULT_CHANNEL)


def sms_sender(name: str | None) -> SmsSender:
    """The sender of a channel, built once per process and reused (its HTTP connections
    stay open between jobs); raises KeyError for an unknown channel."""
    senders = _state()["senders"]
    key = name or DEFAULT_CHANNEL
    if key not in senders:
        channel = get_channel(key)
        if channel is None:
            raise KeyError(f"no channel {key!r}")
        if channel.console:
            senders[key] = ConsoleSMS()
        else:
            config = current_app.config
            timeout = (float(config["SMS_CONNECT_TIMEOUT"]), float(config["SMS_READ_TIMEOUT"]))
            senders[key] = AfricasTalkingSMS(channel.username, channel.api_key, channel.api_url, timeout)
    return senders[key]
