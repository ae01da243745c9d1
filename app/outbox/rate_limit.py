"""A send rate shared by every worker on every machine, kept in Redis (a one-second window)."""

from __future__ import annotations

import time

from redis.exceptions import RedisError

MAX_WAIT = 30.0
"""Longest a batch waits for room before it goes anyway (a stuck limiter must not stop alerts)."""


def acquire(client, key: str, count: int, per_second: int, sleep=time.sleep) -> float:
    """Wait until `count` messages fit in this second's budget; returns the seconds waited.

    A batch larger than the whole budget goes alone in its own second.
    """
    if per_second <= 0:
        return 0.0
    waited = 0.0
    while waited < MAX_WAIT:
        now = time.time()
        window = f"{key}:{int(now)}"
        try:
            pipe = client.pipeline()
            pipe.incrby(window, count)
            pipe.expire(window, 3)
            used = pipe.execute()[0]
            if used <= per_second or used == count:
                return waited
            client.decrby(window, count)  # give the room back and wait for the next second
        except RedisError:
            return waited  # no limiter is better than no alerts
        pause = 1.0 - (now % 1.0) + 0.001
        sleep(pause)
        waited += pause
    return waited
