"""RQ queues. `high` (replies to a citizen's own action) is always served before `bulk`."""

from __future__ import annotations

from rq import Queue

from app.extensions import redis_store

HIGH = "high"
"""Replies and confirmations a citizen is waiting for."""
BULK = "bulk"
"""Broadcasts and outage alerts."""
ORDER = (HIGH, BULK)
"""The order a worker serves its queues in."""


def get_queue(name: str, connection=None) -> Queue:
    """A queue on the app's Redis (the patient client: RQ blocks on it)."""
    return Queue(name, connection=connection or redis_store.worker_client)
