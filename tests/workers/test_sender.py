"""The sender worker against the fake provider over real HTTP, speaking the provider's wire format."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import update

from app.channels.africastalking.fake import ServerThread
from app.extensions import db, redis_store
from app.models import Message, Suppression, utcnow
from app.outbox.messages import add_message
from tests.conftest import TOKEN, make_app  # noqa: F401
from workers.sender import reap, send_messages

NUMBER = "+27821234567"


def queue(gateway, phone=NUMBER, text="Water is back on in ward 3.", essential=False, n=1):
    with gateway.app_context():
        ids = []
        for i in range(n):
            m = add_message(
                db.session(),
                phone=phone if n == 1 else f"+2782000{i:04d}",
                text=text,
                purpose="alert",
                essential=essential,
                queue="bulk",
            )
            db.session.flush()
            ids.append(m.id)
        db.session.commit()
        return ids


def row(gateway, message_id) -> Message:
    with gateway.app_context():
        return db.session.get(Message, message_id)


def send(gateway, ids):
    with gateway.app_context():
        return send_messages(ids)


def accepted(provider):
    return [r for r in provider.requests if r["http_status"] == 201]


def test_success_stores_message_id_and_cost(gateway, provider):
    (mid,) = queue(gateway)
    send(gateway, [mid])
    m = row(gateway, mid)
    assert m.status == "sent" and m.provider_message_id.startswith("ATXid_")
    assert m.status_code == 101 and m.cost and m.attempts == 1 and m.sent_at
    (request,) = accepted(provider)
    assert request["to"] == [NUMBER] and request["from"] == "WARDLINK"
    assert request["message"] == "Water is back on in ward 3."
    send(gateway, [mid])  # the job running twice sends nothing twice
    assert len(accepted(provider)) == 1


def test_one_request_per_text_for_a_batch(gateway, provider):
    ids = queue(gateway, n=25)
    send(gateway, ids)
    (request,) = accepted(provider)
    assert len(request["to"]) == 25
    assert {row(gateway, i).status for i in ids} == {"sent"}


def test_permanent_failure(gateway, provider):
    provider.configure(number_status={NUMBER: 403})
    (mid,) = queue(gateway)
    send(gateway, [mid])
    m = row(gateway, mid)
    assert (m.status, m.failure_reason, m.status_code) == ("failed", "InvalidPhoneNumber", 403)


def test_transient_failure_then_success(gateway, provider):
    provider.configure(fail_times=1)
    (mid,) = queue(gateway)
    send(gateway, [mid])
    m = row(gateway, mid)
    assert m.status == "queued" and m.attempts == 1 and m.failure_reason == "HTTPError"
    assert m.next_attempt_at is not None
    with gateway.app_context():
        scheduled = redis_store.worker_client.zcard("rq:scheduled:bulk")
    assert scheduled == 1  # the retry waits in RQ's scheduler
    send(gateway, [mid])  # not due yet: nothing happens
    assert row(gateway, mid).attempts == 1
    with gateway.app_context():
        db.session.execute(update(Message).values(next_attempt_at=utcnow()))
        db.session.commit()
    send(gateway, [mid])
    m = row(gateway, mid)
    assert m.status == "sent" and m.attempts == 2


def test_gives_up_after_the_attempt_limit(gateway, provider):
    provider.configure(http_status=503)
    (mid,) = queue(gateway)
    for _ in range(5):
        with gateway.app_context():
            db.session.execute(update(Message).values(next_attempt_at=None))
            db.session.commit()
        send(gateway, [mid])
    m = row(gateway, mid)
    assert m.status == "failed" and m.attempts == 5


def test_blacklisted_number_is_opted_out(gateway, provider):
    provider.configure(number_status={NUMBER: 406})
    (mid,) = queue(gateway)
    send(gateway, [mid])
    assert row(gateway, mid).status == "failed"
    with gateway.app_context():
        assert db.session.get(Suppression, NUMBER).channel == "blacklist"
    provider.configure(number_status={})
    (later,) = queue(gateway)
    send(gateway, [later])
    assert row(gateway, later).status == "suppressed"
    assert len(accepted(provider)) == 1


def test_stop_between_queueing_and_sending(gateway, provider, demo):
    from tests.sms.helpers import sms

    (alert,) = queue(gateway)
    (essential,) = queue(gateway, text="Your report 48210937 is resolved.", essential=True)
    assert sms(gateway.test_client(), "STOP").status_code == 200
    send(gateway, [alert, essential])
    assert row(gateway, alert).status == "suppressed"
    assert row(gateway, essential).status == "sent"


def test_hanging_provider_times_out_and_retries(gateway, provider):
    provider.configure(hang_seconds=5)
    (mid,) = queue(gateway)
    started = time.monotonic()
    send(gateway, [mid])
    assert time.monotonic() - started < 4  # read timeout 0.5 s: the worker gave up
    m = row(gateway, mid)
    assert m.status == "queued" and m.failure_reason == "Timeout"
    provider.configure(hang_seconds=0)


def test_invalid_sender_id_fails_loudly_without_retry(gateway, provider, caplog):
    provider.configure(invalid_sender=True)
    (mid,) = queue(gateway)
    send(gateway, [mid])
    m = row(gateway, mid)
    assert (m.status, m.failure_reason) == ("failed", "InvalidSenderId")
    assert any(r.levelname == "ERROR" and "InvalidSenderId" in r.getMessage() for r in caplog.records)


def test_wrong_api_key_is_retried_and_logged(settings, provider, app):
    wrong = make_app(
        settings,
        SMS_PROVIDER="africastalking",
        AT_USERNAME="wardlink",
        AT_API_KEY="not-the-key",
        AT_API_URL=provider.base_url,
    )
    (mid,) = queue(wrong)
    send(wrong, [mid])
    m = row(wrong, mid)
    assert (m.status, m.failure_reason) == ("queued", "AuthenticationFailed")


def test_delivery_report_posted_back_over_http(gateway, provider):
    server = ServerThread(gateway).start()
    try:
        provider.configure(
            callback_url=f"{server.base_url}/webhooks/africastalking/sms/delivery?token={TOKEN}",
            dlr_delay=0.05,
        )
        (mid,) = queue(gateway)
        send(gateway, [mid])
        deadline = time.monotonic() + 5
        while row(gateway, mid).status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
        m = row(gateway, mid)
        assert m.status == "delivered" and m.delivered_at and m.provider_status == "Success"
    finally:
        server.shutdown()


def test_console_provider_marks_sent(app, capsys):
    (mid,) = queue(app)
    send(app, [mid])
    assert row(app, mid).status == "sent"
    assert "Water is back on in ward 3." in capsys.readouterr().out


def test_reaper_requeues_lost_rows_and_settles_dead_workers(gateway, provider):
    lost, stuck = queue(gateway), queue(gateway)
    old = utcnow() - dt.timedelta(hours=1)
    with gateway.app_context():
        db.session.execute(update(Message).where(Message.id.in_(lost)).values(created_at=old))
        db.session.execute(
            update(Message).where(Message.id.in_(stuck)).values(status="sending", updated_at=old)
        )
        db.session.commit()
        redis_store.worker_client.flushdb()
        assert reap() == {"requeued": 1, "unknown": 1}
        assert redis_store.worker_client.llen("rq:queue:bulk") == 1
    assert row(gateway, stuck[0]).status == "unknown"


def test_worker_process_drains_the_queue(gateway, provider):
    from app.outbox.messages import dispatch
    from workers.queues import WardlinkWorker, get_queue

    ids = queue(gateway, n=3)
    with gateway.app_context():
        dispatch(ids, queue="bulk", batch=2)
        conn = redis_store.worker_client
        WardlinkWorker([get_queue("high", conn), get_queue("bulk", conn)], connection=conn).work(burst=True)
    assert {row(gateway, i).status for i in ids} == {"sent"}
    assert len(accepted(provider)) == 2


def test_reaper_leaves_rows_of_a_busy_queue_alone(gateway, provider):
    from app.outbox.messages import dispatch

    old = utcnow() - dt.timedelta(hours=1)
    waiting, late = queue(gateway), queue(gateway)
    with gateway.app_context():
        db.session.execute(update(Message).values(created_at=old))
        db.session.commit()
        redis_store.worker_client.flushdb()
        dispatch(waiting, queue="bulk")  # its job is still in the queue: late, not lost
        assert reap()["requeued"] == 0
        assert redis_store.worker_client.llen("rq:queue:bulk") == 1
    assert row(gateway, late[0]).status == "queued"
