"""The reaper as an RQ cron job, and jobs queued under a module path that has since moved."""

from __future__ import annotations

import datetime as dt

from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from app.broadcasts.service import create_broadcast
from app.extensions import db, redis_store
from app.models import Message
from tests.broadcasts.test_broadcasts import add_residents, municipality, ward_id
from workers.cron import create_scheduler
from workers.queues import MOVED_JOBS, WardlinkWorker, get_queue
from workers.reaper import LOCK_KEY, RUN_TIMEOUT, RUNNING_KEY, reap_all, reap_once

OLD, NEW = "workers.broadcasts.fan_out", "workers.fanout.fan_out"


def broadcast_to_ward_3(residents=4) -> int:
    m = municipality()
    add_residents(m, 3, residents)
    b = create_broadcast(
        db.session(),
        municipality_id=m.id,
        ward_ids=[ward_id(m, 3)],
        texts={"*": "Ward meeting on Monday."},
        author="t",
        urgent=True,
    )
    db.session.commit()
    return b.id


def rows(broadcast_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Message).where(Message.broadcast_id == broadcast_id)
    )


def test_the_fanout_move_is_in_the_table():
    assert MOVED_JOBS[OLD] == NEW


def test_reaper_points_queued_and_scheduled_jobs_at_the_new_path(gateway, provider, demo):
    with gateway.app_context():
        broadcast_id = broadcast_to_ward_3()
        conn = redis_store.worker_client
        bulk = get_queue("bulk", conn)
        first = bulk.enqueue("workers.sender.send_messages", [], result_ttl=600)
        queued = bulk.enqueue(OLD, broadcast_id, job_timeout=3600, result_ttl=600)
        later = bulk.enqueue_in(dt.timedelta(hours=1), OLD, broadcast_id, job_timeout=3600)

        assert reap_all()["jobs_moved"] == 2
        for job in (queued, later):
            stored = Job.fetch(job.id, connection=conn)
            assert (stored.func_name, stored.args, stored.timeout) == (NEW, (broadcast_id,), 3600)
            assert stored.origin == "bulk" and stored.description.startswith(NEW + "(")
        assert bulk.job_ids == [first.id, queued.id]  # same place in the queue
        assert later.id in bulk.scheduled_job_registry.get_job_ids()
        assert reap_all()["jobs_moved"] == 0

        # RQ's own worker, which knows nothing of moved jobs: the rewritten job runs as stored.
        SimpleWorker([bulk], connection=conn).work(burst=True)
        assert Job.fetch(queued.id, connection=conn).get_status() == JobStatus.FINISHED
        assert rows(broadcast_id) == 4


def test_a_worker_runs_an_old_path_job_the_reaper_has_not_seen_yet(gateway, provider, demo):
    with gateway.app_context():
        broadcast_id = broadcast_to_ward_3()
        conn = redis_store.worker_client
        job = get_queue("bulk", conn).enqueue(OLD, broadcast_id, job_timeout=3600, result_ttl=600)
        WardlinkWorker([get_queue("bulk", conn)], connection=conn).work(burst=True)
        assert Job.fetch(job.id, connection=conn).get_status() == JobStatus.FINISHED
        assert rows(broadcast_id) == 4


def test_cron_enqueues_the_reaper_on_high_and_a_worker_runs_it(gateway, provider):
    with gateway.app_context():
        conn = redis_store.worker_client
        high = get_queue("high", conn)
        scheduler = create_scheduler(conn)
        assert [job.name for job in scheduler.enqueue_jobs()] == ["reaper"]
        assert scheduler.enqueue_jobs() == []  # not again within the minute
        (job_id,) = high.job_ids
        job = Job.fetch(job_id, connection=conn)
        assert job.func_name == "workers.reaper.reap_once" and job.timeout == RUN_TIMEOUT

        # A second cron process enqueues its own; the lock makes that run a no-op.
        create_scheduler(conn).enqueue_jobs()
        ids = high.job_ids
        assert len(ids) == 2
        WardlinkWorker([high], connection=conn).work(burst=True)
        first, second = (Job.fetch(i, connection=conn).return_value() for i in ids)
        assert first == {
            "unknown": 0,
            "requeued": 0,
            "fanouts_resumed": 0,
            "broadcasts_finished": 0,
            "jobs_moved": 0,
        }
        assert second is None
        assert conn.ttl(LOCK_KEY) > 0


def test_a_run_still_going_is_not_overlapped_and_a_finished_one_lets_go(ctx):
    client = redis_store.worker_client
    client.set(RUNNING_KEY, "1", ex=60)  # a slow run of the previous minute
    assert reap_once() is None
    client.delete(RUNNING_KEY, LOCK_KEY)
    assert reap_once() is not None
    assert not client.exists(RUNNING_KEY)  # released at the end, not left to expire
    assert reap_once() is None  # and still at most one run a minute
