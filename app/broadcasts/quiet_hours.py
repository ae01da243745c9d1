"""When a non-urgent broadcast may go out, in the municipality's own time zone.

The default window is South Africa's rule for direct marketing, a good default for any
non-urgent message: never on Sundays or public holidays, Saturdays 09:00-13:00, other
days 08:00-20:00. Urgent outage alerts ignore it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WINDOWS = {5: (dt.time(9), dt.time(13))}
"""Allowed (start, end) by weekday (Monday=0); Saturday has its own."""
DEFAULT_WINDOW = (dt.time(8), dt.time(20))
"""Monday to Friday."""
CLOSED_WEEKDAYS = frozenset({6})
"""Sunday."""
SEARCH_DAYS = 14
"""How far ahead the next allowed moment is looked for (long holiday runs included)."""


@lru_cache(maxsize=64)
def _holidays(region: str, year: int):
    return holidays.country_holidays(region, years=year)


def _window(day: dt.date, region: str) -> tuple[dt.time, dt.time] | None:
    if day.weekday() in CLOSED_WEEKDAYS or day in _holidays(region, day.year):
        return None
    return WINDOWS.get(day.weekday(), DEFAULT_WINDOW)


def next_allowed(now: dt.datetime, timezone: str, region: str) -> dt.datetime:
    """`now` if a non-urgent broadcast may go now, else the next moment it may (UTC)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in range(SEARCH_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        window = _window(day, region)
        if window is None:
            continue
        start = dt.datetime.combine(day, window[0], zone)
        end = dt.datetime.combine(day, window[1], zone)
        if local < start:
            return start.astimezone(dt.UTC)
        if local < end:
            return now
    raise RuntimeError("no allowed sending time in the next two weeks")
