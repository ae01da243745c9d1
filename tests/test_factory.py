"""The app factory, configuration and the health checks."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError, load_config


def test_config_precedence():
    env = {"DEFAULT_REGION": "gh", "USSD_SESSION_TTL": "120", "DATABASE_URL": "sqlite://"}
    config = load_config({"USSD_SESSION_TTL": 90}, environ=env)
    assert config["DEFAULT_REGION"] == "GH" and config["USSD_SESSION_TTL"] == 90
    assert config["DATABASE_URL"] == "sqlite://"
    assert load_config(environ={})["DATABASE_URL"] is None


def test_production_refuses_to_start_without_secrets(monkeypatch):
    for key in ("SECRET_KEY", "WEBHOOK_TOKEN", "REDIS_URL", "AT_USERNAME", "AT_API_KEY", "SMS_PROVIDER"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ConfigError) as err:
        create_app({"WARDLINK_ENV": "production", "SECRET_KEY": "x"})
    message = str(err.value)
    assert "WEBHOOK_TOKEN" in message and "REDIS_URL" in message and "AT_API_KEY" in message
    assert "SECRET_KEY" not in message and "\n" not in message
    # Explicitly choosing the console provider needs no credentials.
    with pytest.raises(ConfigError) as err:
        create_app({"WARDLINK_ENV": "production", "SECRET_KEY": "x", "SMS_PROVIDER": "console"})
    assert "AT_API_KEY" not in str(err.value)


def test_cli_production_check_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "WEBHOOK_TOKEN", "REDIS_URL")}
    env.update(WARDLINK_ENV="production", WARDLINK_INSTANCE=str(tmp_path), SMS_PROVIDER="console")
    proc = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "production mode needs SECRET_KEY, WEBHOOK_TOKEN, REDIS_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_health_checks(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["redis"] == "ok"
    assert ready.json["database"] == "ok"


def test_readyz_names_what_is_down(settings):
    from tests.conftest import make_app

    dead = make_app(settings, REDIS_URL="redis://127.0.0.1:1/0")
    resp = dead.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.json["redis"] == "down"


def test_unknown_route_answers_json(client):
    resp = client.get("/nope")
    assert resp.status_code == 404 and resp.json["error"] == "not found"
