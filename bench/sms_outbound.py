"""Messages/s from the outbox to the fake provider, with N RQ worker processes.

    .venv/bin/python bench/sms_outbound.py [--messages 20000] [--workers 1 2] [--per-job 100]

Each run: write the messages to the outbox (one text, distinct numbers), queue send jobs
of --per-job ids with enqueue_many, start the workers in burst mode and time until every
row is `sent`. The fake provider runs in its own process on loopback.
Uses DATABASE_URL if set, else a SQLite file; REDIS_URL, else local 6379, else embedded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, redis_url, wait_for_port  # noqa: E402

PROVIDER_PORT = 8799


def run(app, messages: int, workers: int, per_job: int, env: dict) -> dict:
    """One timed run; returns the figures."""
    from sqlalchemy import delete, func, insert, select

    from app.extensions import db, redis_store
    from app.language.gsm import count_segments
    from app.models import Message
    from app.outbox.messages import dispatch

    text = "Water will be off in ward 3 on Tuesday from 08:00 to 14:00 for pipe repairs."
    count = count_segments(text)
    with app.app_context():
        db.session.execute(delete(Message))
        db.session.commit()
        redis_store.worker_client.flushdb()
        started = time.perf_counter()
        rows = [
            {
                "phone": f"+2782{i:07d}",
                "text": text,
                "encoding": count.encoding,
                "segments": count.segments,
                "purpose": "alert",
                "essential": False,
                "queue": "bulk",
                "status": "queued",
                "attempts": 0,
            }
            for i in range(messages)
        ]
        for i in range(0, messages, 5000):
            db.session.execute(insert(Message), rows[i : i + 5000])
        db.session.commit()
        ids = list(db.session.scalars(select(Message.id).order_by(Message.id)))
        dispatch(ids, queue="bulk", batch=per_job)
        queued_at = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--burst"],
            env=env,
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.wait()
    finished = time.perf_counter()
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(Message).where(Message.status == "sent"))
    return {
        "messages": messages,
        "workers": workers,
        "sent": sent,
        "queue_s": queued_at - started,
        "send_s": finished - queued_at,
        "rate": sent / (finished - queued_at),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--per-job", type=int, default=100)
    args = parser.parse_args()

    from app import create_app
    from app.core import migrate
    from app.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="wardlink-sms-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    redis = redis_url(workdir)
    base_url = f"http://127.0.0.1:{PROVIDER_PORT}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "SMS_PROVIDER": "africastalking",
        "AT_USERNAME": "wardlink",
        "AT_API_KEY": "fake-key",
        "AT_API_URL": base_url,
        "SMS_BATCH_SIZE": str(args.per_job),
        "LOG_LEVEL": "WARNING",
        "WARDLINK_INSTANCE": str(workdir),
    }
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis})
    with app.app_context():
        migrate.upgrade(db)
    provider = subprocess.Popen(
        [sys.executable, "-m", "app", "fake-provider", "--port", str(PROVIDER_PORT)],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(PROVIDER_PORT)
        results = [run(app, args.messages, w, args.per_job, env) for w in args.workers]
    finally:
        provider.terminate()
        provider.wait(10)
    print(
        f"outbox -> fake provider, {args.messages} messages, {args.per_job} per job/request, "
        f"db={database_url.split(':')[0]}, redis={redis.split(':')[0]}"
    )
    print(f"{'workers':>7} {'sent':>7} {'write+queue s':>13} {'send s':>7} {'messages/s':>10}")
    for r in results:
        print(f"{r['workers']:7d} {r['sent']:7d} {r['queue_s']:13.2f} {r['send_s']:7.2f} {r['rate']:10.0f}")


if __name__ == "__main__":
    main()
