"""Periodic jobs: RQ's cron scheduler enqueues them, the workers run them (`wardlink cron`).

The cron process only enqueues, so it needs Redis and nothing else. Two cron processes
enqueue every job twice; the reaper's lock makes the second run of a minute a no-op.
"""

from __future__ import annotations

from rq.cron import CronScheduler

from workers.queues import HIGH
from workers.reaper import INTERVAL, RUN_TIMEOUT, reap_once

FAILURE_TTL = 24 * 3600
"""Seconds a failed periodic job is kept for inspection (one a minute must not pile up for
RQ's default of a year)."""


def create_scheduler(connection, logging_level: str | int = "INFO") -> CronScheduler:
    """RQ's cron scheduler on `connection` with wardlink's periodic jobs registered."""
    scheduler = CronScheduler(connection=connection, logging_level=logging_level)
    # ttl: a reaper job no worker started within its minute is dropped; the next one comes.
    scheduler.register(
        reap_once,
        HIGH,
        interval=INTERVAL,
        job_timeout=RUN_TIMEOUT,
        ttl=INTERVAL,
        failure_ttl=FAILURE_TTL,
        name="reaper",
    )
    return scheduler
