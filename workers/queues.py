"""RQ queues. `high` (replies to a citizen's own action) is always served before `bulk`."""

from __future__ import annotations

from flask import has_request_context
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.utils import import_attribute

from app.extensions import db, redis_store

HIGH = "high"
"""Replies and confirmations a citizen is waiting for."""
BULK = "bulk"
"""Broadcasts and outage alerts."""
ORDER = (HIGH, BULK)
"""The order a worker serves its queues in."""


MOVED_JOBS = {
    "workers.broadcasts.fan_out": "workers.fanout.fan_out",
}
"""Job functions that moved: old dotted path -> new one. Jobs queued or scheduled by an older
release still name the old path; keep an entry until no such release can have queued any."""


def get_queue(name: str, connection=None) -> Queue:
    """A queue on the app's Redis. Inside a web request it uses the fast-failing client (an
    enqueue must not hold a USSD or SMS callback past the provider's deadline; the reaper
    re-queues what could not be queued); elsewhere the patient one RQ blocks on."""
    if connection is None:
        connection = redis_store.client if has_request_context() else redis_store.worker_client
    return Queue(name, connection=connection)


class WardlinkJob(Job):
    """A job whose function may have moved since it was queued: the reaper rewrites such jobs
    once a minute, and a worker that picks one up first runs it under its new path."""

    @property
    def func(self):
        moved = MOVED_JOBS.get(self.func_name)
        if moved is not None and self.instance is None:
            return import_attribute(moved)
        return super().func


class WardlinkWorker(SimpleWorker):
    """Runs jobs in the worker's app context and gives every job a fresh database session:
    one failed job (a timeout mid-SQL, a constraint error) must not poison the next ones."""

    job_class = WardlinkJob

    def perform_job(self, job, queue, *args, **kwargs):
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            # Closing ends (rolls back) whatever transaction the job left, failed or open.
            db.session.remove()
