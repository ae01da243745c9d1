"""Shared by the benchmarks: find or start Redis, start gunicorn, wait for a port, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def redis_url(workdir: Path) -> str:
    """REDIS_URL if set, else the local server on 6379 if it answers, else an embedded one."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return "redis://127.0.0.1:6379/14"
    except OSError:
        from app.core.redis_store import start_embedded

        return start_embedded(str(workdir / "redis"))


def wait_for_port(port: int, timeout: float = 30) -> None:
    """Block until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port}")


def start_gunicorn(target: str, port: int, env: dict, workers: int = 2, threads: int = 8):
    """gunicorn with the same settings for every app under test."""
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        target,
    ]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=str(ROOT))
    wait_for_port(port)
    return proc


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1)]
