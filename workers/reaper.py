"""The reaper: SQL is the source of truth, so once a minute one worker looks for outbox rows
the queues lost (a Redis restart, a job killed) and settles rows left by dead workers."""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError

from app.extensions import redis_store

log = logging.getLogger(__name__)

INTERVAL = 60
"""Seconds between two reaper runs (RapidPro's mailroom uses a minute too)."""
LOCK_KEY = "wl:reaper:lock"
"""Only the worker holding this key reaps in a given minute."""


def reap_all() -> dict:
    """One pass over the outbox and the broadcasts; returns what it did."""
    from workers.fanout import reap_broadcasts
    from workers.sender import reap

    result = reap()
    result.update(reap_broadcasts())
    return result


def reap_once() -> dict | None:
    """Run the reaper if no other worker did in the last interval; returns what it did."""
    try:
        if not redis_store.worker_client.set(LOCK_KEY, "1", nx=True, ex=INTERVAL - 5):
            return None
    except RedisError:
        return None
    result = reap_all()
    if any(result.values()):
        log.info("reaper: %s", result)
    return result


def start_reaper_thread(app, stop: threading.Event) -> threading.Thread:
    """A daemon thread of the worker process running `reap_once` every INTERVAL seconds."""

    def loop() -> None:
        while not stop.wait(INTERVAL):
            with app.app_context():
                try:
                    reap_once()
                except Exception:  # noqa: BLE001 - the reaper must outlive one bad run
                    log.exception("reaper run failed")

    thread = threading.Thread(target=loop, name="wardlink-reaper", daemon=True)
    thread.start()
    return thread
