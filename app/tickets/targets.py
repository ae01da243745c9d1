"""Service targets: when a ticket is due, from its category's target.

A target is either wall-clock hours (a burst pipe: 24 hours, nights and Sundays included)
or working days of the municipality: days that are neither a weekend nor a public holiday
of its region, counted in its own time zone from the day after the report, the ticket due
at the end of the last one (`END_OF_WORKDAY`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

END_OF_WORKDAY = dt.time(17, 0)
"""Local time at which a working day ends: a ticket due in working days is due then."""
WEEKEND = frozenset({5, 6})
"""Saturday and Sunday (Monday=0): no working days in any region we serve."""
MAX_WORKING_DAYS = 365
"""The longest target an import accepts (and the guard of the day-counting loop)."""


@lru_cache(maxsize=64)
def _holidays(region: str, year: int):
    return holidays.country_holidays(region, years=year)


def is_working_day(day: dt.date, region: str) -> bool:
    """Neither a weekend nor a public holiday (observed days included) of `region`."""
    return day.weekday() not in WEEKEND and day not in _holidays(region, day.year)


def add_working_days(start: dt.datetime, days: int, timezone: str, region: str) -> dt.datetime:
    """The end of the `days`-th working day after `start`'s local day (UTC)."""
    zone = ZoneInfo(timezone)
    day = start.astimezone(zone).date()
    counted = 0
    for _ in range(days * 3 + 30):  # long holiday runs included; never endless
        day += dt.timedelta(days=1)
        if is_working_day(day, region):
            counted += 1
            if counted == days:
                return dt.datetime.combine(day, END_OF_WORKDAY, zone).astimezone(dt.UTC)
    raise RuntimeError(f"no {days} working days found after {start.isoformat()}")


def due_time(
    start: dt.datetime,
    *,
    hours: int | None,
    working_days: int | None,
    timezone: str,
    region: str,
) -> dt.datetime | None:
    """When a ticket logged at `start` is due under a category's target (None: no target)."""
    if hours:
        return start.astimezone(dt.UTC) + dt.timedelta(hours=hours)
    if working_days:
        return add_working_days(start, working_days, timezone, region)
    return None


def target_text(hours: int | None, working_days: int | None) -> str:
    """A target as staff read it: "24 h", "3 working days", or "none"."""
    if hours:
        return f"{hours} h"
    if working_days:
        return f"{working_days} working day{'s' if working_days != 1 else ''}"
    return "none"
