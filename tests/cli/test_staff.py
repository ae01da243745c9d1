"""The staff commands as a thin face: municipality-local times, cancel, domain errors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import Broadcast, Outage
from workers.queues import BULK, get_queue


def test_outages_list_shows_local_times_labelled(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "outages",
            "create",
            "--municipality",
            "saldanha",
            "--wards",
            "3",
            "--service",
            "water",
            "--starts",
            "2030-11-25 08:00",
            "--ends",
            "2030-11-25 17:30",
        ]
    )
    assert created.exit_code == 0, created.output
    with app.app_context():
        outage = db.session.scalar(select(Outage).order_by(Outage.id.desc()))
        starts = outage.starts_at.replace(tzinfo=outage.starts_at.tzinfo or dt.UTC)
        assert starts == dt.datetime(2030, 11, 25, 6, 0, tzinfo=dt.UTC)  # stored as UTC
    listing = runner.invoke(args=["outages", "list", "--municipality", "saldanha"])
    assert listing.exit_code == 0, listing.output
    assert "(times in Africa/Johannesburg)" in listing.output.splitlines()[0]
    assert "water        planned   2030-11-25 08:00 SAST -> 2030-11-25 17:30 SAST" in listing.output
    ghana = runner.invoke(args=["outages", "list", "--municipality", "stma"])
    assert "(times in Africa/Accra)" in ghana.output


def test_broadcasts_cancel(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "broadcasts",
            "create",
            "--municipality",
            "saldanha",
            "--wards",
            "3",
            "--text",
            "Meeting moved to Monday.",
        ]
    )
    assert created.exit_code == 0, created.output
    with app.app_context():
        broadcast_id = db.session.scalar(select(Broadcast.id))
        assert get_queue(BULK).count == 1  # queued by the commit
    cancelled = runner.invoke(args=["broadcasts", "cancel", str(broadcast_id)])
    assert cancelled.exit_code == 0 and f"broadcast {broadcast_id} cancelled" in cancelled.output
    again = runner.invoke(args=["broadcasts", "cancel", str(broadcast_id)])
    assert again.exit_code == 1 and "Error: broadcast" in again.output and "too late" in again.output
    with app.app_context():
        assert db.session.get(Broadcast, broadcast_id).status == "cancelled"


def test_domain_errors_are_one_line_errors(app, demo):
    runner = app.test_cli_runner()
    with app.app_context():
        outages_before = db.session.scalar(select(func.count()).select_from(Outage))
    for args, message in (
        (["outages", "restore", "999999"], "no outage 999999"),
        (["outages", "list", "--municipality", "nowhere"], "unknown municipality 'nowhere'"),
        (["outages", "list"], "several municipalities"),
        (["broadcasts", "show", "999999"], "no broadcast 999999"),
        (
            [
                "outages",
                "create",
                "--municipality",
                "saldanha",
                "--wards",
                "3",
                "--service",
                "water",
                "--ends",
                "soon",
            ],
            "not a date and time",
        ),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert f"Error: {message}" in result.output and "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outage)) == outages_before
