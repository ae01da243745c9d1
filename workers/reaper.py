"""The reaper: SQL is the source of truth, so once a minute a job looks for outbox rows the
queues lost (a Redis restart, a job killed), settles rows left by dead workers, points
jobs queued under an old module path at the new one, and escalates overdue tickets.

The cron process (`wardlink cron`, see `workers/cron.py`) enqueues `reap_once` every
INTERVAL seconds on the `high` queue; a worker runs it in its app context.
"""

from __future__ import annotations

import logging
import zlib

from redis.exceptions import RedisError
from rq.exceptions import DeserializationError
from rq.job import Job

from app.extensions import db, redis_store
from app.models import utcnow
from app.tickets.escalation import escalate_overdue
from app.tickets.questions import close_unconfirmed
from workers.fanout import reap_broadcasts
from workers.queues import MOVED_JOBS, ORDER, get_queue
from workers.sender import reap

log = logging.getLogger(__name__)

INTERVAL = 60
"""Seconds between two reaper runs (RapidPro's mailroom uses a minute too)."""
RUN_TIMEOUT = 5 * INTERVAL
"""Seconds a reaper run may take before its worker stops it."""
RUNNING_KEY = "wl:reaper:running"
"""Held while a run is in progress, so a slow run never overlaps the next one."""
LOCK_KEY = "wl:reaper:lock"
"""Only the run holding this key reaps in a given minute (two cron processes enqueue two)."""
FETCH_CHUNK = 500
"""Jobs fetched from Redis per round trip while looking for moved ones."""


def reap_all() -> dict:
    """One pass over the outbox, the broadcasts, the queued jobs and the overdue tickets;
    returns what it did."""
    result = reap()
    result.update(reap_broadcasts())
    result["jobs_moved"] = requeue_moved_jobs()
    escalate_tickets()  # says what it did in the log: the outbox's report keeps its shape
    close_unconfirmed_tickets()
    return result


def escalate_tickets(now=None) -> int:
    """Escalate the overdue tickets (`app.tickets.escalation`), committed; returns how many."""
    session = db.session()
    try:
        escalated = escalate_overdue(session, now or utcnow())
        session.commit()
    except Exception:
        session.rollback()
        raise
    if escalated:
        log.info("reaper: %d overdue ticket escalation(s)", escalated)
    return escalated


def close_unconfirmed_tickets(now=None) -> int:
    """Close resolved tickets nobody said were fixed in time (`app.tickets.questions`),
    committed; returns how many."""
    session = db.session()
    try:
        closed = close_unconfirmed(session, now or utcnow())
        session.commit()
    except Exception:
        session.rollback()
        raise
    if closed:
        log.info("reaper: %d resolved ticket(s) closed unconfirmed", closed)
    return closed


def reap_once() -> dict | None:
    """Run the reaper if no other run did in the last interval; returns what it did.

    This is the cron job: it runs in a worker, inside the worker's app context."""
    client = redis_store.worker_client
    try:
        if not client.set(LOCK_KEY, "1", nx=True, ex=INTERVAL - 5):
            return None
        if not client.set(RUNNING_KEY, "1", nx=True, ex=RUN_TIMEOUT):
            log.warning("reaper: the previous run is still going; this minute's run skipped")
            return None
    except RedisError:
        return None
    try:
        result = reap_all()
    finally:
        try:
            client.delete(RUNNING_KEY)
        except RedisError:
            pass  # it expires by itself
    if any(result.values()):
        log.info("reaper: %s", result)
    return result


def requeue_moved_jobs() -> int:
    """Rewrite queued and scheduled jobs whose function is in MOVED_JOBS to name the new path,
    keeping their id, place in the queue, arguments and timeouts; returns how many."""
    conn = redis_store.worker_client
    moved = 0
    for name in ORDER:
        queue = get_queue(name, conn)
        ids = queue.get_job_ids() + queue.scheduled_job_registry.get_job_ids()
        for start in range(0, len(ids), FETCH_CHUNK):
            for job in Job.fetch_many(ids[start : start + FETCH_CHUNK], connection=conn):
                moved += _move(job, conn)
    return moved


def _move(job: Job | None, conn) -> int:
    if job is None:  # it ran (or expired) since its id was listed
        return 0
    try:
        old = job.func_name
    except DeserializationError:
        return 0
    new = MOVED_JOBS.get(old)
    if new is None:
        return 0
    job.func_name = new
    # Only the `data` field (RQ keeps the function, args and kwargs there, compressed) and the
    # description change: saving the whole job could overwrite the status a worker that just
    # dequeued it has written.
    conn.hset(
        job.key,
        mapping={
            "data": zlib.compress(job.data),
            "description": (job.description or "").replace(old, new, 1),
        },
    )
    return 1
