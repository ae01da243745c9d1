"""A ward broadcast at municipal scale: N residents in one ward, 2 RQ workers, the fake provider.

    .venv/bin/python bench/broadcast.py [--sizes 1000 10000 100000] [--workers 2]

For each size: create N subscribed residents in one ward (bulk insert, timed apart),
create an urgent broadcast, start its fan-out, run the workers until the queues are
empty, and print recipients/s from the broadcast's creation to the last provider
request, with the peak memory (RSS) of each process. The fake provider runs in its own
process on loopback; every recipient must have been sent exactly once.
Uses DATABASE_URL if set, else a SQLite file; REDIS_URL, else local 6379, else embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, redis_url, wait_for_port  # noqa: E402

PROVIDER_PORT = 8798


class PeakRss:
    """Polls the resident memory of some processes and keeps each one's peak (MiB)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self.peaks: dict[str, float] = {}
        self._procs: dict[str, object] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self._procs[name] = self._psutil.Process(pid)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for name, proc in list(self._procs.items()):
                try:
                    rss = proc.memory_info().rss / 2**20
                except self._psutil.Error:
                    continue
                self.peaks[name] = max(self.peaks.get(name, 0.0), rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def provider_requests() -> list[dict]:
    url = f"http://127.0.0.1:{PROVIDER_PORT}/requests?limit=100000"
    with urllib.request.urlopen(url) as r:  # noqa: S310 - a fixed loopback URL
        return json.loads(r.read())


def reset_provider() -> None:
    req = urllib.request.Request(
        f"http://127.0.0.1:{PROVIDER_PORT}/control/reset",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req).read()  # noqa: S310 - a fixed loopback URL


def create_residents(app, count: int) -> tuple[int, float]:
    """Wipe the previous run and insert `count` subscribed residents in ward 1 (ward id, seconds)."""
    from sqlalchemy import delete, insert, select

    from app.extensions import db, redis_store
    from app.models import Broadcast, Message, Municipality, Resident, Ward

    with app.app_context():
        session = db.session()
        for model in (Message, Broadcast, Resident):
            session.execute(delete(model))
        session.commit()
        redis_store.worker_client.flushdb()
        m = session.scalar(select(Municipality).where(Municipality.code == "saldanha"))
        ward = session.scalar(select(Ward).where(Ward.municipality_id == m.id, Ward.number == 1))
        started = time.perf_counter()
        locales = ("en", "af", "xh", "zu")
        for low in range(0, count, 20_000):
            session.execute(
                insert(Resident),
                [
                    {
                        "municipality_id": m.id,
                        "phone": f"+2784{i:07d}",
                        "ward_id": ward.id,
                        "locale": locales[i % 4],
                        "subscribed": True,
                        "opted_out": False,
                    }
                    for i in range(low, min(count, low + 20_000))
                ],
            )
            session.commit()
        return ward.id, time.perf_counter() - started


def run(app, size: int, workers: int, env: dict, provider_pid: int) -> dict:
    """One broadcast of `size` recipients, timed."""
    from sqlalchemy import func, select

    from app.broadcasts.service import create_broadcast, start
    from app.extensions import db
    from app.models import Message

    ward_id, create_s = create_residents(app, size)
    reset_provider()
    with PeakRss() as rss:
        rss.watch("fake provider", provider_pid)
        rss.watch("bench (this process)", os.getpid())
        with app.app_context():
            started_wall = time.time()
            started = time.perf_counter()
            b = create_broadcast(
                db.session(),
                municipality_id=1,
                ward_ids=[ward_id],
                texts={
                    "*": "Ward 1 meeting on Thursday at 18:00 in the hall.",
                    "af": "Wyk 1 vergadering Donderdag 18:00 in die saal.",
                },
                author="bench",
                urgent=True,
            )
            db.session.commit()
            start(b.id, urgent=True)
        # Long-running workers, as in production (a burst worker would quit whenever the
        # queue is momentarily empty while the fan-out is still writing rows).
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app", "worker"],
                env=env,
                cwd=str(ROOT),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for i, p in enumerate(procs):
            rss.watch(f"worker {i + 1}", p.pid)
        with app.app_context():
            from app.models import Broadcast

            while db.session.scalar(select(Broadcast.status).where(Broadcast.id == b.id)) != "done":
                db.session.rollback()
                time.sleep(0.2)
        finished = time.perf_counter()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    requests = [r for r in provider_requests() if r["http_status"] == 201]
    last_request = max(r["time"] for r in requests) - started_wall if requests else float("nan")
    numbers = [n for r in requests for n in r["to"]]
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(Message).where(Message.status == "sent"))
    return {
        "size": size,
        "create_s": create_s,
        "sent": sent,
        "provider_numbers": len(numbers),
        "duplicates": len(numbers) - len(set(numbers)),
        "requests": len(requests),
        "to_last_request_s": last_request,
        "until_workers_done_s": finished - started,
        "rate": size / last_request if last_request else 0.0,
        "peaks": rss.peaks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500, help="recipients per provider request")
    args = parser.parse_args()

    from app import create_app
    from app.core import migrate
    from app.extensions import db
    from app.places.demo import load_demo

    workdir = Path(tempfile.mkdtemp(prefix="wardlink-broadcast-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    redis = redis_url(workdir)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "SMS_PROVIDER": "africastalking",
        "AT_USERNAME": "wardlink",
        "AT_API_KEY": "fake-key",
        "AT_API_URL": f"http://127.0.0.1:{PROVIDER_PORT}",
        "SMS_BATCH_SIZE": str(args.batch),
        "LOG_LEVEL": "WARNING",
        "WARDLINK_INSTANCE": str(workdir),
    }
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis})
    with app.app_context():
        migrate.upgrade(db)
        load_demo(db.session())
    provider = subprocess.Popen(
        [sys.executable, "-m", "app", "fake-provider", "--port", str(PROVIDER_PORT)],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(PROVIDER_PORT)
        results = [run(app, size, args.workers, env, provider.pid) for size in args.sizes]
    finally:
        provider.terminate()
        provider.wait(10)
    print(
        f"ward broadcast through the fake provider, {args.workers} workers, "
        f"{args.batch} recipients per request, db={database_url.split(':')[0]}, "
        f"redis={redis.split(':')[0]}"
    )
    print(
        f"{'residents':>9} {'sent':>9} {'dupes':>5} {'reqs':>5} {'to last req s':>13} "
        f"{'recipients/s':>12} {'create s':>8}  peak RSS MiB"
    )
    for r in results:
        peaks = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["peaks"].items()))
        print(
            f"{r['size']:9d} {r['sent']:9d} {r['duplicates']:5d} {r['requests']:5d} "
            f"{r['to_last_request_s']:13.2f} {r['rate']:12.0f} {r['create_s']:8.2f}  {peaks}"
        )


if __name__ == "__main__":
    main()
