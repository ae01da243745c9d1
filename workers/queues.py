"""RQ queues. `high` (replies to a citizen's own action) is always served before `bulk`."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq import Queue

from app.extensions import redis_store

log = logging.getLogger(__name__)

HIGH = "high"
"""Replies and confirmations a citizen is waiting for."""
BULK = "bulk"
"""Broadcasts and outage alerts."""
ORDER = (HIGH, BULK)
"""The order a worker serves its queues in."""


def get_queue(name: str, connection=None) -> Queue:
    """A queue on the app's Redis (the patient client: RQ blocks on it)."""
    return Queue(name, connection=connection or redis_store.worker_client)


def enqueue_ticket_confirmation(ticket_id: int) -> None:
    """Queue the SMS that confirms a new ticket; the ticket is already committed."""
    try:
        get_queue(HIGH, redis_store.client).enqueue(
            "workers.jobs.confirm_ticket", ticket_id, job_timeout=60, result_ttl=0
        )
    except RedisError:
        # The ticket is safe in SQL; the citizen already has the reference on screen.
        log.warning("ticket %s: confirmation not queued (Redis unavailable)", ticket_id)
