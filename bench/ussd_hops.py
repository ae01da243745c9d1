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
import secrets
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
    from app import create_app, migrate
    from app.demo import load_demo
    from app.extensions import db, redis_store
    from app.residents import save_profile

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
    """`sessions` callers, each running journeys for `seconds`, waiting `think` s between hops."""
    latencies: list[list[float]] = [[] for _ in range(sessions)]
    errors = [0] * sessions
    stop_at = time.monotonic() + seconds

    def caller(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        phone = f"+2782{n:07d}"
        while time.monotonic() < stop_at:
            sid = "ATUid_" + secrets.token_hex(12)
            inputs: list[str] = []
            for typed in journey:
                if typed:
                    inputs.append(typed)
                body = urllib.parse.urlencode({
                    "sessionId": sid, "serviceCode": "*384*1234#", "phoneNumber": phone,
                    "networkCode": "65501", "text": "*".join(inputs)})
                started = time.perf_counter()
                conn.request("POST", f"/webhooks/africastalking/ussd?token={TOKEN}", body,
                             {"Content-Type": "application/x-www-form-urlencoded"})
                resp = conn.getresponse()
                text = resp.read().decode()
                latencies[n].append(time.perf_counter() - started)
                if resp.status != 200 or not text.startswith(("CON ", "END ")):
                    errors[n] += 1
                if think:
                    time.sleep(think)

    started = time.monotonic()
    threads = [threading.Thread(target=caller, args=(n,)) for n in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = [x for per in latencies for x in per]
    return {"hops": len(flat), "hops_s": len(flat) / elapsed, "p50": percentile(flat, 50) * 1000,
            "p99": percentile(flat, 99) * 1000, "errors": sum(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think", type=float, default=0.1,
                        help="seconds between hops in the paced run (a person takes 5-20 s)")
    args = parser.parse_args()

    import os

    workdir = Path(tempfile.mkdtemp(prefix="wardlink-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    redis = redis_url(workdir)
    prepare(database_url, redis, args.sessions)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis, "WEBHOOK_TOKEN": TOKEN,
           "LOG_LEVEL": "WARNING", "WARDLINK_INSTANCE": str(workdir)}
    results = {}
    for name, target, port in (("bare flask + 2 redis trips", "bench.bare_app:app", 8761),
                               ("wardlink", "app.wsgi:app", 8762)):
        proc = start_gunicorn(target, port, env, args.workers, args.threads)
        try:
            drive(port, min(args.sessions, 5), 2, JOURNEY)  # warm-up
            results[name] = drive(port, args.sessions, args.seconds, JOURNEY)
            results[name + " (paced)"] = drive(port, args.sessions, args.seconds, JOURNEY,
                                               think=args.think)
        finally:
            proc.terminate()
            proc.wait(10)
    backend = database_url.split(":", 1)[0]
    print(f"USSD hops, {args.sessions} concurrent sessions, {args.seconds:.0f} s per run, "
          f"gunicorn {args.workers}x{args.threads} gthread, db={backend}, redis={redis.split(':')[0]}")
    print("saturation: no pause between hops (latency = sessions / throughput);"
          f" paced: {args.think * 1000:.0f} ms between hops")
    print(f"{'app':37} {'hops':>7} {'hops/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for name, r in results.items():
        print(f"{name:37} {r['hops']:7d} {r['hops_s']:8.0f} {r['p50']:7.1f} {r['p99']:7.1f} "
              f"{r['errors']:6d}")
    ratio = results["wardlink"]["hops_s"] / results["bare flask + 2 redis trips"]["hops_s"]
    print(f"saturation throughput ratio wardlink/bare: {ratio:.2f} (target >= 0.6)")
    print(f"wardlink p99: {results['wardlink']['p99']:.1f} ms saturated, "
          f"{results['wardlink (paced)']['p99']:.1f} ms paced (target < 50 ms)")


if __name__ == "__main__":
    main()
