"""Channels come from the settings: the default one from the existing variables, more by name."""

from __future__ import annotations

import pytest

from app.channels.registry import DEFAULT_CHANNEL, load_channels
from app.config import ConfigError, load_config


def channels(environ=None, **overrides):
    return load_channels(load_config(overrides, environ={}), environ or {})


def test_the_default_channel_is_the_console_without_credentials():
    found = channels()
    assert list(found) == [DEFAULT_CHANNEL]
    assert found[DEFAULT_CHANNEL].console and found[DEFAULT_CHANNEL].region == "ZA"


def test_the_default_channel_uses_the_existing_africastalking_settings():
    found = channels(
        AT_USERNAME="wardlink", AT_API_KEY="k" * 40, AT_SENDER_ID="Wardlink", DEFAULT_REGION="gh"
    )
    default = found[DEFAULT_CHANNEL]
    assert not default.console and default.username == "wardlink" and default.sender_id == "Wardlink"
    assert default.region == "GH"
    assert "k" * 40 not in repr(default)  # the key never shows in a repr or a log line


def test_more_channels_are_named_and_read_from_their_own_variables():
    environ = {
        "CHANNEL_GH_AT_USERNAME": "stma",
        "CHANNEL_GH_AT_API_KEY": "secret",
        "CHANNEL_GH_AT_SENDER_ID": "STMA",
        "CHANNEL_GH_AT_REGION": "gh",
        "CHANNEL_DEMO_PROVIDER": "console",
    }
    found = channels(environ, CHANNELS="gh-at, demo")
    assert list(found) == [DEFAULT_CHANNEL, "gh-at", "demo"]
    gh = found["gh-at"]
    assert (gh.provider, gh.console, gh.username, gh.sender_id, gh.region) == (
        "africastalking",
        False,
        "stma",
        "STMA",
        "GH",
    )
    assert found["demo"].console and found["demo"].region == "ZA"


@pytest.mark.parametrize(
    ("names", "environ", "words"),
    [
        ("Bad Name", {}, "bad channel name"),
        ("africastalking", {}, "bad channel name"),
        ("gh", {}, "CHANNEL_GH_USERNAME"),
        ("gh", {"CHANNEL_GH_PROVIDER": "carrier-pigeon"}, "unknown provider"),
    ],
)
def test_a_misconfigured_channel_stops_start_up(names, environ, words):
    with pytest.raises(ConfigError, match=words):
        channels(environ, CHANNELS=names)


def test_an_unknown_sms_provider_stops_start_up():
    with pytest.raises(ConfigError, match="SMS_PROVIDER"):
        channels(SMS_PROVIDER="smoke-signals")
