"""Drive complete report-a-fault USSD journeys against wardlink under gunicorn.

Prints hops/s and p50/p99 latency of every hop, next to a bare Flask app doing the same
two Redis round trips per request under the same gunicorn settings in the same run.
Target: at least 0.6 of the bare app's throughput, p99 under 50 ms at 50 sessions.

    .venv/bin/python bench/ussd_hops.py [--sessions 50] [--seconds 20]

Uses DATABASE_URL if set (PostgreSQL in production), else a SQLite file; REDIS_URL if
set, else the local Redis on 6379, else an embedded one.
"""

from __future__ import annotations

import argparse
import http.client
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, redis_url, start_gunicorn  # noqa: E402

TOKEN = "bench-token-" + secrets.token_hex(8)
JOURNEY = ["", "1", "1", "1", "Burst pipe near the school", "1"]
"""Dial, report, water, my ward, location, send: six hops of a known caller."""


def prepare(database_url: str, redis: str, sessions: int) -> None:
    """Migrate, load the demo and register one onboarded caller per virtual session."""
    from app import create_app
    from app.core import migrate
    from app.extensions import db, redis_store
    from app.places.demo import load_demo
    from app.places.residents import save_profile

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis})
    with app.app_context():
        migrate.upgrade(db)
        load_demo(db.session())
        from sqlalchemy import select

        from app.models import Municipality, Ward

        m = db.session.scalar(select(Municipality).where(Municipality.code == "saldanha"))
        ward = db.session.scalar(select(Ward).where(Ward.municipality_id == m.id, Ward.number == 3))
        for i in range(sessions):
            phone = f"+2782{i:07d}"
            save_profile(db.session(), m.id, phone, "locale", "en")
            save_profile(db.session(), m.id, phone, "ward", ward.id)
        redis_store.worker_client.flushdb()


def drive(port: int, sessions: int, seconds: float, journey: list[str], think: float = 0) -> dict:
    """`sessions` callers, each running journeys for `seconds`, waiting `think` s between hops.

    With a think time, each caller starts at a random moment within one think time and
    waits between 0.5 and 1.5 think times (mean `think`): independent callers, as real
    ones are. Identical waits would keep all 50 in step, every hop arriving as one burst
    of 50 requests, which measures the burst and not the service."""
    latencies: list[list[float]] = [[] for _ in range(sessions)]
    errors = [0] * sessions
    stop_at = time.monotonic() + seconds

    def caller(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        phone = f"+2782{n:07d}"
        rng = random.Random(n)
        if think:
            time.sleep(rng.uniform(0, think))
        while time.monotonic() < stop_at:
            sid = "ATUid_" + secrets.token_hex(12)
            inputs: list[str] = []
            for typed in journey:
                if typed:
                    inputs.append(typed)
                body = urllib.parse.urlencode(
                    {
                        "sessionId": sid,
                        "serviceCode": "*384*1234#",
                        "phoneNumber": phone,
                        "networkCode": "65501",
                        "text": "*".join(inputs),
                    }
                )
                started = time.perf_counter()
                conn.request(
                    "POST",
                    f"/webhooks/africastalking/ussd?token={TOKEN}",
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                resp = conn.getresponse()
                text = resp.read().decode()
                latencies[n].append(time.perf_counter() - started)
                if resp.status != 200 or not text.startswith(("CON ", "END ")):
                    errors[n] += 1
                if think:
                    time.sleep(think * rng.uniform(0.5, 1.5))

    started = time.monotonic()
    threads = [threading.Thread(target=caller, args=(n,)) for n in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = [x for per in latencies for x in per]
    return {
        "hops": len(flat),
        "hops_s": len(flat) / elapsed,
        "p50": percentile(flat, 50) * 1000,
        "p99": percentile(flat, 99) * 1000,
        "errors": sum(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10, help="length of each run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="saturated runs per app, alternating bare and wardlink"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--think",
        type=float,
        default=0.1,
        help="mean seconds between hops in the paced run (a person takes 5-20 s)",
    )
    args = parser.parse_args()

    import os

    workdir = Path(tempfile.mkdtemp(prefix="wardlink-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    redis = redis_url(workdir)
    prepare(database_url, redis, args.sessions)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "WEBHOOK_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "WARDLINK_INSTANCE": str(workdir),
    }
    apps = {"bare": ("bench.bare_app:app", 8761), "wardlink": ("app.wsgi:app", 8762)}
    procs = [start_gunicorn(target, port, env, args.workers, args.threads) for target, port in apps.values()]
    saturated: dict[str, list[dict]] = {name: [] for name in apps}
    paced: dict[str, dict] = {}
    try:
        for _, port in apps.values():
            drive(port, args.sessions, 2, JOURNEY)  # warm-up: every thread, every connection
        # Both servers stay up and the runs alternate, so a noisy neighbour on a shared
        # machine slows both apps alike instead of whichever ran at the wrong moment.
        for _ in range(args.rounds):
            for name, (_, port) in apps.items():
                saturated[name].append(drive(port, args.sessions, args.seconds, JOURNEY))
        for name, (_, port) in apps.items():
            paced[name] = drive(port, args.sessions, args.seconds, JOURNEY, think=args.think)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)

    backend = database_url.split(":", 1)[0]
    print(
        f"USSD hops, {args.sessions} concurrent sessions, {args.seconds:.0f} s per run, "
        f"gunicorn {args.workers}x{args.threads} gthread, db={backend}, redis={redis.split(':')[0]}"
    )
    print(
        f"saturated: no pause between hops, {args.rounds} alternating runs per app "
        f"(latency = sessions / throughput); paced: about {args.think * 1000:.0f} ms "
        "between hops, callers independent"
    )
    print(f"{'run':27} {'hops':>7} {'hops/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    rows = [
        (f"{name} saturated #{i + 1}", r)
        for i in range(args.rounds)
        for name, runs in saturated.items()
        for r in runs[i : i + 1]
    ]
    rows += [(f"{name} paced", r) for name, r in paced.items()]
    for label, r in rows:
        print(
            f"{label:27} {r['hops']:7d} {r['hops_s']:8.0f} {r['p50']:7.1f} {r['p99']:7.1f} {r['errors']:6d}"
        )
    ratios = sorted(
        w["hops_s"] / b["hops_s"] for w, b in zip(saturated["wardlink"], saturated["bare"], strict=True)
    )
    print(
        "saturated throughput ratio wardlink/bare per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f"; median {statistics.median(ratios):.2f} (target >= 0.6)"
    )
    print(
        f"wardlink paced p99: {paced['wardlink']['p99']:.1f} ms (target < 50 ms); "
        f"saturated p99: {max(r['p99'] for r in saturated['wardlink']):.1f} ms at worst"
    )


if __name__ == "__main__":
    main()
