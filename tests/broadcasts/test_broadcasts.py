"""Ward broadcasts and outage alerts: the right people, once, in their language, never after STOP."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, insert, select, update

from app.broadcasts.outages import create_outage, restore_outage, update_outage
from app.broadcasts.quiet_hours import next_allowed
from app.broadcasts.service import create_broadcast, reach, start
from app.extensions import db, redis_store
from app.models import Broadcast, Message, Municipality, Outage, Resident, Ward, utcnow
from tests.sms.helpers import sms
from workers.fanout import fan_out
from workers.sender import reap

SAST = dt.timezone(dt.timedelta(hours=2))


def municipality(code="saldanha") -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.code == code))


def ward_id(m, number) -> int:
    return db.session.scalar(select(Ward.id).where(Ward.municipality_id == m.id, Ward.number == number))


def add_residents(m, ward_number, count, locales=("en",), start=0, **values):
    """Bulk-insert subscribed residents (numbers +2783xxxxxxx)."""
    wid = ward_id(m, ward_number)
    db.session.execute(
        insert(Resident),
        [
            {
                "municipality_id": m.id,
                "phone": f"+27830{start + i:06d}",
                "ward_id": wid,
                "locale": locales[i % len(locales)],
                "subscribed": True,
                "opted_out": False,
                **values,
            }
            for i in range(count)
        ],
    )
    db.session.commit()


def drain(gateway):
    """Run the queues dry with an in-process worker (the scheduler's delayed jobs aside)."""
    from workers.queues import WardlinkWorker, get_queue

    conn = redis_store.worker_client
    WardlinkWorker([get_queue("high", conn), get_queue("bulk", conn)], connection=conn).work(burst=True)


def accepted_numbers(provider) -> Counter:
    return Counter(n for r in provider.requests if r["http_status"] == 201 for n in r["to"])


def test_outage_alert_reaches_several_wards_in_their_languages(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 6, locales=("en", "af", "xh"))
        add_residents(m, 5, 4, locales=("zu", "en"), start=100)
        add_residents(m, 7, 3, start=200)  # another ward
        add_residents(m, 3, 2, start=300, subscribed=False)
        add_residents(m, 3, 2, start=400, opted_out=True)
        outage, alert = create_outage(
            db.session(),
            m,
            [ward_id(m, 3), ward_id(m, 5)],
            "water",
            utcnow() - dt.timedelta(minutes=5),
            utcnow() + dt.timedelta(hours=4),
        )
        db.session.commit()  # services leave the commit to their caller
        start(alert.id, urgent=True)
        drain(gateway)
        messages = db.session.scalars(select(Message).where(Message.broadcast_id == alert.id)).all()
        by_locale = {}
        for message in messages:
            locale = db.session.get(Resident, message.resident_id).locale
            by_locale.setdefault(locale, set()).add(message.text)
        broadcast = db.session.get(Broadcast, alert.id)
        assert broadcast.status == "done" and broadcast.summary["sent"] == 10
    assert len(messages) == 10 and {m.status for m in messages} == {"sent"}
    assert set(by_locale) == {"en", "af", "xh", "zu"}
    assert all(len(texts) == 1 for texts in by_locale.values())
    assert len({next(iter(t)) for t in by_locale.values()}) == 4  # four different languages
    assert "water outage in your ward" in next(iter(by_locale["en"]))
    numbers = accepted_numbers(provider)
    assert len(numbers) == 10 and set(numbers.values()) == {1}
    assert all(m.purpose == "alert" and m.queue == "bulk" for m in messages)


def test_fan_out_twice_adds_nothing(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 20)
        b = create_broadcast(
            db.session(),
            municipality_id=m.id,
            ward_ids=[ward_id(m, 3)],
            texts={"*": "Meeting at the hall on Friday 18:00."},
            author="t",
            urgent=True,
        )
        db.session.commit()
        fan_out(b.id)
        db.session.execute(update(Broadcast).values(status="fanning_out", fanout_cursor=0))
        db.session.commit()
        fan_out(b.id)
        assert db.session.scalar(select(func.count()).select_from(Message)) == 20
        drain(gateway)
    assert len(accepted_numbers(provider)) == 20 and set(accepted_numbers(provider).values()) == {1}


def test_stop_between_queueing_and_sending(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 5)
        b = create_broadcast(
            db.session(),
            municipality_id=m.id,
            ward_ids=[ward_id(m, 3)],
            texts={"*": "Water tanker at the school at 14:00."},
            author="t",
            urgent=True,
        )
        db.session.commit()
        fan_out(b.id)  # delivery rows written and send jobs queued, nothing sent yet
    assert sms(gateway.test_client(), "STOP", phone="+27830000002").status_code == 200
    with gateway.app_context():
        drain(gateway)
        statuses = dict(
            db.session.execute(
                select(Message.phone, Message.status).where(Message.broadcast_id == b.id)
            ).all()
        )
    assert statuses.pop("+27830000002") == "suppressed"
    assert set(statuses.values()) == {"sent"}
    broadcast_to = {
        n
        for r in provider.requests
        if r["http_status"] == 201 and r["message"].startswith("Water tanker")
        for n in r["to"]
    }
    assert "+27830000002" not in broadcast_to and len(broadcast_to) == 4


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-11-24 10:00", "2026-11-24 10:00"),  # Tuesday, in the window
        ("2026-11-24 07:00", "2026-11-24 08:00"),  # before the window
        ("2026-11-24 21:00", "2026-11-25 08:00"),  # after it: next morning
        ("2026-11-28 12:30", "2026-11-28 12:30"),  # Saturday morning
        ("2026-11-28 14:00", "2026-11-30 08:00"),  # Saturday afternoon: Monday (Sunday closed)
        ("2026-11-29 10:00", "2026-11-30 08:00"),  # Sunday
        ("2026-12-16 10:00", "2026-12-17 08:00"),  # Day of Reconciliation (a public holiday)
        ("2026-12-24 21:00", "2026-12-28 08:00"),  # Christmas, Day of Goodwill, then Sunday
    ],
)
def test_quiet_hours(local, expected):
    now = dt.datetime.fromisoformat(local).replace(tzinfo=SAST)
    got = next_allowed(now, "Africa/Johannesburg", "ZA").astimezone(SAST)
    assert got.strftime("%Y-%m-%d %H:%M") == expected


def test_non_urgent_broadcast_waits_for_allowed_hours(gateway, provider, demo, monkeypatch):
    import workers.fanout as fanout

    sunday = dt.datetime(2026, 11, 29, 10, 0, tzinfo=SAST)
    monkeypatch.setattr(fanout, "utcnow", lambda: sunday.astimezone(dt.UTC))
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 3)
        b = create_broadcast(
            db.session(),
            municipality_id=m.id,
            ward_ids=[ward_id(m, 3)],
            texts={"*": "Ward meeting on Monday."},
            author="t",
        )
        urgent = create_broadcast(
            db.session(),
            municipality_id=m.id,
            ward_ids=[ward_id(m, 3)],
            texts={"*": "Burst main: no water until 16:00."},
            author="t",
            urgent=True,
        )
        db.session.commit()
        assert fan_out(b.id) == {"scheduled": "2026-11-30T06:00:00+00:00"}
        assert db.session.get(Broadcast, b.id).status == "scheduled"
        assert redis_store.worker_client.zcard("rq:scheduled:bulk") == 1
        fan_out(urgent.id)
        drain(gateway)
        assert (
            db.session.scalar(select(func.count()).select_from(Message).where(Message.broadcast_id == b.id))
            == 0
        )
    assert len(accepted_numbers(provider)) == 3  # only the urgent one went


def test_restoration_follows_up_to_the_same_people(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 4, locales=("en", "af"))
        outage, alert = create_outage(
            db.session(), m, [ward_id(m, 3)], "electricity", utcnow(), utcnow() + dt.timedelta(hours=2)
        )
        db.session.commit()  # services leave the commit to their caller
        start(alert.id, urgent=True)
        drain(gateway)
        add_residents(m, 3, 2, start=50)  # joined after the alert: not part of the follow-up
        update = update_outage(
            db.session(), m, db.session.get(Outage, outage.id), utcnow() + dt.timedelta(hours=5)
        )
        db.session.commit()  # services leave the commit to their caller
        start(update.id, urgent=True)
        drain(gateway)
        restored = restore_outage(db.session(), m, db.session.get(Outage, outage.id))
        db.session.commit()  # services leave the commit to their caller
        start(restored.id, urgent=True)
        drain(gateway)
        follow_ups = db.session.scalars(
            select(Message).where(Message.broadcast_id.in_([update.id, restored.id]))
        ).all()
        assert db.session.get(Outage, outage.id).status == "restored"
    assert len(follow_ups) == 8 and {f.status for f in follow_ups} == {"sent"}
    assert {f.phone for f in follow_ups} == {f"+27830{i:06d}" for i in range(4)}
    assert any("restored in your ward" in f.text for f in follow_ups)
    assert Counter(accepted_numbers(provider).values()) == Counter({3: 4})


def test_alert_not_sent_before_the_outage_is_over_is_dropped(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 3)
        outage, alert = create_outage(
            db.session(), m, [ward_id(m, 3)], "water", utcnow(), utcnow() + dt.timedelta(hours=1)
        )
        db.session.commit()
        fan_out(alert.id)  # queued, not yet sent
        restored = restore_outage(db.session(), m, db.session.get(Outage, outage.id))
        db.session.commit()  # services leave the commit to their caller
        start(restored.id, urgent=True)
        drain(gateway)
        statuses = db.session.scalars(select(Message.status).where(Message.broadcast_id == alert.id)).all()
        assert db.session.get(Broadcast, alert.id).summary["dropped"] == 3
    assert statuses == ["dropped"] * 3
    assert not accepted_numbers(provider)  # nobody is told about an outage that is over


def test_reach_and_show_command(gateway, provider, demo):
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, 7)
        assert reach(db.session(), m.id, [ward_id(m, 3)]) == 7
    result = gateway.test_cli_runner().invoke(
        args=[
            "broadcasts",
            "create",
            "--municipality",
            "saldanha",
            "--wards",
            "3",
            "--urgent",
            "--text",
            "Clinic closed on Friday.",
            "--text-af",
            "Kliniek Vrydag gesluit.",
        ]
    )
    assert result.exit_code == 0 and "reaches 7 residents, 1 segment(s)" in result.output
    with gateway.app_context():
        drain(gateway)
        broadcast_id = db.session.scalar(select(Broadcast.id))
    shown = gateway.test_cli_runner().invoke(args=["broadcasts", "show", str(broadcast_id)])
    assert '"sent": 7' in shown.output and '"recipients": 7' in shown.output
    bad = gateway.test_cli_runner().invoke(
        args=["broadcasts", "create", "--municipality", "saldanha", "--wards", "99", "--text", "x"]
    )
    assert bad.exit_code != 0 and "no ward 99" in bad.output


def test_outage_commands(gateway, provider, demo):
    runner = gateway.test_cli_runner()
    result = runner.invoke(
        args=[
            "outages",
            "create",
            "--municipality",
            "saldanha",
            "--wards",
            "3,5",
            "--service",
            "water",
            "--ends",
            "2030-01-01 12:00",
        ]
    )
    assert result.exit_code == 0, result.output
    outage_id = result.output.split()[1]
    updated = runner.invoke(args=["outages", "update", outage_id, "--ends", "2030-01-02 12:00"])
    assert updated.exit_code == 0, updated.output
    assert runner.invoke(args=["outages", "restore", outage_id]).exit_code == 0
    with gateway.app_context():  # an outage recorded without an alert (the demo's) is fine too
        demo_outage = db.session.scalar(select(Outage.id).order_by(Outage.id))
    assert runner.invoke(args=["outages", "restore", str(demo_outage)]).exit_code == 0
    assert "restored" in runner.invoke(args=["outages", "list", "--municipality", "saldanha"]).output
    assert (
        runner.invoke(
            args=["outages", "create", "--municipality", "saldanha", "--wards", "3", "--service", "lava"]
        ).exit_code
        != 0
    )


def test_killed_worker_leaves_every_recipient_one_message(gateway, provider, demo, settings):
    """SIGKILL a real worker process mid-broadcast, reap, restart: nobody gets two messages."""
    count = 600
    provider.configure(hang_seconds=0.15)  # every provider request takes a while
    with gateway.app_context():
        m = municipality()
        add_residents(m, 3, count)
        b = create_broadcast(
            db.session(),
            municipality_id=m.id,
            ward_ids=[ward_id(m, 3)],
            texts={"*": "Road closed for repairs on Main Rd."},
            author="t",
            urgent=True,
        )
        db.session.commit()
        fan_out(b.id)
    env = {
        **os.environ,
        "DATABASE_URL": settings["DATABASE_URL"],
        "REDIS_URL": settings["REDIS_URL"],
        "SMS_PROVIDER": "africastalking",
        "AT_USERNAME": "wardlink",
        "AT_API_KEY": "fake-key",
        "AT_API_URL": provider.base_url,
        "SMS_BATCH_SIZE": "25",
        "LOG_LEVEL": "WARNING",
        "WARDLINK_INSTANCE": settings["INSTANCE"],
    }
    worker = [sys.executable, "-m", "app", "worker", "--burst"]
    for _ in range(2):  # kill twice, at different moments
        proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while len(accepted_numbers(provider)) < 100 * (_ + 1) and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with gateway.app_context():
        # Each killed worker may leave its one in-flight request (25 rows) in `sending`.
        assert reap(stale_after=0, unknown_after=0)["unknown"] <= 2 * 25
        # The killed jobs are gone with their workers; the rows are not: re-queue them.
        redis_store.worker_client.flushdb()
        assert reap(stale_after=0, unknown_after=0)["unknown"] == 0
    provider.configure(hang_seconds=0)
    subprocess.run(
        worker, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    with gateway.app_context():
        rows = dict(
            db.session.execute(
                select(Message.phone, Message.status).where(Message.broadcast_id == b.id)
            ).all()
        )
    received = accepted_numbers(provider)
    assert len(rows) == count  # one delivery row per recipient
    assert max(received.values()) == 1  # nobody received the broadcast twice
    sent = {p for p, s in rows.items() if s == "sent"}
    unknown = {p for p, s in rows.items() if s == "unknown"}
    assert sent | unknown == set(rows) and len(unknown) <= 50
    assert sent <= set(received) and set(received) <= sent | unknown
