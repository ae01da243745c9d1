"""Rate limits of the staff API, counted in the app's Redis with `limits` (the library
Flask-Limiter is built on): per API key, and per client IP for calls without a valid key.

Checked after the key is resolved (Flask-Limiter's own hook runs before the blueprint's, when
the key is not known yet), so a caller cannot dodge its key's limit by sending another
prefix, and a flood of bad keys is counted against its address.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from app.config import ConfigError
from app.errors import LimitError
from app.extensions import redis_store

log = logging.getLogger(__name__)

_KEY = "wardlink.api.throttle"


class RateLimitedError(LimitError):
    """Too many requests in the window; `retry_after` says when to try again (seconds)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_limit(text: str) -> RateLimitItem:
    """`API_RATE_LIMIT` as a limit (ConfigError for text `limits` cannot read)."""
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(f"wardlink: API_RATE_LIMIT must read like 120/minute, not {text!r}") from None


def init_app(app) -> None:
    """Check the setting now; the Redis storage is made on the first request (no I/O here)."""
    app.extensions[_KEY] = {"item": parse_limit(str(app.config["API_RATE_LIMIT"])), "limiter": None}


def _limiter() -> tuple[RateLimitItem, SlidingWindowCounterRateLimiter]:
    state = current_app.extensions[_KEY]
    if state["limiter"] is None:
        # The web client's pool: its short timeouts and single retry apply here too.
        storage = RedisStorage(
            "redis://", connection_pool=redis_store.client.connection_pool, key_prefix="wardlink:api"
        )
        state["limiter"] = SlidingWindowCounterRateLimiter(storage)
    return state["item"], state["limiter"]


def check_rate(who: str) -> None:
    """Count one request of `who` ("key:12", "ip:10.0.0.1"); RateLimitedError past the limit.

    A Redis failure lets the request through (logged): the limit protects the service, and
    refusing every staff request while Redis is down would not."""
    item, limiter = _limiter()
    try:
        if limiter.hit(item, who):
            return
        reset = limiter.get_window_stats(item, who).reset_time
    except redis.RedisError:
        log.warning("api rate limit not checked: redis unavailable")
        return
    retry_after = max(1, int(reset - time.time()) + 1)
    raise RateLimitedError(f"more than {item} requests; try again in {retry_after} s", retry_after)
