"""Due times with a frozen clock: wall-clock hours, and working days across weekends and the
public holidays of South Africa and Ghana, in each municipality's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.tickets.targets import END_OF_WORKDAY, due_time, is_working_day
from tests.tickets.factories import report

SAST = ZoneInfo("Africa/Johannesburg")
ACCRA = ZoneInfo("Africa/Accra")


def local(year, month, day, hour, minute=0, zone=SAST):
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "days", "due", "why"),
    [
        (local(2026, 3, 3, 10), 1, local(2026, 3, 4, 17), "Tuesday: due Wednesday at the end of the day"),
        (local(2026, 3, 6, 10), 1, local(2026, 3, 9, 17), "Friday: the weekend is skipped"),
        (local(2026, 3, 7, 23, 30), 1, local(2026, 3, 9, 17), "a Saturday night report: Monday"),
        # Good Friday (3 April), the weekend and Family Day (6 April) are skipped.
        (local(2026, 4, 2, 10), 2, local(2026, 4, 8, 17), "Easter in South Africa"),
        # Freedom Day, Monday 27 April.
        (local(2026, 4, 24, 16), 1, local(2026, 4, 28, 17), "a Monday holiday"),
        # Women's Day falls on Sunday 9 August 2026: Monday 10 August is the day off.
        (local(2026, 8, 7, 9), 1, local(2026, 8, 11, 17), "an observed holiday"),
    ],
)
def test_working_days_in_south_africa(start, days, due, why):
    got = due_time(start, hours=None, working_days=days, timezone="Africa/Johannesburg", region="ZA")
    assert got == due.astimezone(dt.UTC), why
    assert got.tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Independence Day, Friday 6 March 2026, then the weekend.
        (local(2026, 3, 5, 10, zone=ACCRA), 1, local(2026, 3, 9, 17, zone=ACCRA)),
        # Eid-ul-Fitr (Friday 20 March), then a weekend.
        (local(2026, 3, 19, 12, zone=ACCRA), 2, local(2026, 3, 24, 17, zone=ACCRA)),
    ],
)
def test_working_days_in_ghana(start, days, due):
    assert due_time(start, hours=None, working_days=days, timezone="Africa/Accra", region="GH") == due


def test_holidays_are_the_regions_own():
    assert not is_working_day(dt.date(2026, 3, 6), "GH")  # Independence Day in Ghana
    assert is_working_day(dt.date(2026, 3, 6), "ZA")  # an ordinary Friday in South Africa
    assert not is_working_day(dt.date(2026, 4, 27), "ZA") and is_working_day(dt.date(2026, 4, 27), "GH")


def test_hours_are_wall_clock_hours_weekends_included():
    friday = local(2026, 3, 6, 16)
    due = due_time(friday, hours=24, working_days=None, timezone="Africa/Johannesburg", region="ZA")
    assert due == local(2026, 3, 7, 16).astimezone(dt.UTC)
    assert (
        due_time(friday, hours=None, working_days=None, timezone="Africa/Johannesburg", region="ZA") is None
    )


def test_a_working_day_ends_at_the_local_end_of_workday():
    due = due_time(
        local(2026, 3, 3, 10), hours=None, working_days=1, timezone="Africa/Johannesburg", region="ZA"
    )
    assert due.astimezone(SAST).time() == END_OF_WORKDAY


def test_a_ticket_logged_before_a_ghanaian_holiday_is_due_after_it(ctx, demo):
    session = db.session()
    # Thursday 5 March 2026, 10:00 in Takoradi; refuse in Sekondi-Takoradi: 2 working days.
    ticket = report(
        session,
        code="stma",
        phone="+233244770099",
        category="refuse",
        ward=1,
        now=local(2026, 3, 5, 10, zone=ACCRA),
    )
    # Friday is Independence Day, then the weekend: Monday and Tuesday are the two days.
    assert ticket.due_at == dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
