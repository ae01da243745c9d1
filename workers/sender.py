"""The sender: outbox rows -> provider requests -> per-recipient results back on the rows.

A job may run twice (RQ is at-least-once), so a job only ever sends rows it has claimed
by moving them from `queued` to `sending` in a committed transaction. A row left in
`sending` by a dead worker is never resent by a live one: the reaper settles it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Broadcast, Message, utcnow
from app.optouts import opt_out, suppressed
from app.providers import sms_provider
from app.providers.africastalking import ProviderError

log = logging.getLogger(__name__)

BACKOFF = (30, 120, 600, 1800, 3600)
"""Seconds before attempt 2, 3, 4...: a provider outage is waited out, not hammered."""


def backoff(attempts: int) -> int:
    """Delay before the next attempt after `attempts` tries."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts > 0 else 0


def claim(session, message_ids: list[int]) -> list[Message]:
    """Move due `queued` rows to `sending` (or `suppressed`) and commit; returns the claimed."""
    now = utcnow()
    query = (
        select(Message)
        .where(Message.id.in_(message_ids), Message.status == "queued",
               or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
        .order_by(Message.id)
    )
    if session.bind.dialect.name == "postgresql":
        # Two workers given the same ids split them instead of waiting on each other.
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    # Opt-out is checked here, at send time, not only when the message was queued.
    stopped = suppressed(session, {m.phone for m in rows if not m.essential})
    expired = _expired_broadcasts(session, {m.broadcast_id for m in rows if m.broadcast_id}, now)
    claimed = []
    for message in rows:
        if message.broadcast_id in expired:
            message.status = "dropped"  # an alert for an outage that is over: not sent late
            continue
        if not message.essential and message.phone in stopped:
            message.status = "suppressed"
            continue
        message.status = "sending"
        message.attempts += 1
        claimed.append(message)
    session.commit()
    return claimed


def _expired_broadcasts(session, broadcast_ids: set[int], now: dt.datetime) -> set[int]:
    if not broadcast_ids:
        return set()
    return set(session.scalars(select(Broadcast.id).where(
        Broadcast.id.in_(broadcast_ids),
        or_(Broadcast.status == "cancelled",
            (Broadcast.expires_at.is_not(None)) & (Broadcast.expires_at <= now)))))


def send_messages(message_ids: list[int]) -> dict:
    """Send the given outbox rows: one provider request per distinct text and sender, of at
    most SMS_BATCH_SIZE numbers, each claimed just before its request. A worker killed
    mid-job leaves at most one request's rows in `sending`; the rest stay `queued`."""
    session = db.session()
    batch = int(current_app.config["SMS_BATCH_SIZE"])
    default_sender = current_app.config.get("AT_SENDER_ID")
    groups: dict[tuple, list[int]] = defaultdict(list)
    broadcasts: set[int] = set()
    for message_id, text, sender_id, broadcast_id in session.execute(
            select(Message.id, Message.text, Message.sender_id, Message.broadcast_id)
            .where(Message.id.in_(message_ids), Message.status == "queued").order_by(Message.id)):
        groups[(text, sender_id or default_sender)].append(message_id)
        if broadcast_id:
            broadcasts.add(broadcast_id)
    session.rollback()  # end the read transaction before the first claim
    provider = None
    retry: list[int] = []
    counts: dict[str, int] = defaultdict(int)
    for (text, sender_id), ids in groups.items():
        for i in range(0, len(ids), batch):
            chunk = claim(session, ids[i : i + batch])
            if not chunk:
                continue
            provider = provider or sms_provider()
            _send_chunk(session, provider, text, sender_id, chunk)
            for message in chunk:
                counts[message.status] += 1
                if message.status == "queued":
                    retry.append(message.id)
    if retry:
        _schedule_retry(session, retry)
    from workers.broadcasts import finish_if_done

    for broadcast_id in broadcasts:
        finish_if_done(session, broadcast_id)
    return dict(counts)


def _send_chunk(session, provider, text: str, sender_id: str | None, chunk: list[Message]) -> None:
    by_number: dict[str, list[Message]] = defaultdict(list)
    for message in chunk:
        by_number[message.phone].append(message)
    from app.extensions import redis_store
    from app.rate_limit import acquire

    acquire(redis_store.worker_client, f"wl:rate:{provider.name}", len(by_number),
            int(current_app.config["SMS_RATE_PER_SECOND"]))
    try:
        results = provider.send(text, list(by_number), sender_id)
    except ProviderError as exc:
        for message in chunk:
            _failed_attempt(message, exc.reason, retryable=exc.transient)
        level = logging.ERROR if not exc.transient or exc.reason == "AuthenticationFailed" else (
            logging.WARNING)
        log.log(level, "provider refused a request of %d: %s", len(chunk), exc.reason)
        session.commit()
        return
    now = utcnow()
    seen = set()
    for result in results:
        for message in by_number.get(result.number, []):
            seen.add(message.id)
            message.status_code = result.status_code
            message.provider_status = result.status
            outcome = result.outcome
            if outcome == "accepted":
                message.status = "sent"
                message.provider_message_id = result.message_id
                message.cost = result.cost
                message.sent_at = now
                message.failure_reason = None
            elif outcome == "blacklisted":
                message.status = "failed"
                message.failure_reason = result.status or "UserInBlacklist"
                opt_out(session, message.phone, "blacklist", evidence=f"message {message.id}: 406")
            elif outcome == "permanent":
                message.status = "failed"
                message.failure_reason = result.status or str(result.status_code)
            else:
                _failed_attempt(message, result.status or "Transient", retryable=True)
    for message in chunk:
        if message.id not in seen:  # the provider did not mention this number
            _failed_attempt(message, "NotInResponse", retryable=True)
    session.commit()


def _failed_attempt(message: Message, reason: str, retryable: bool) -> None:
    max_attempts = int(current_app.config["SMS_MAX_ATTEMPTS"])
    message.failure_reason = reason[:80]
    if retryable and message.attempts < max_attempts:
        message.status = "queued"
        message.next_attempt_at = utcnow() + dt.timedelta(seconds=backoff(message.attempts))
    else:
        message.status = "failed"


def _schedule_retry(session, message_ids: list[int]) -> None:
    from redis.exceptions import RedisError

    from workers.queues import get_queue

    rows = session.scalars(select(Message).where(Message.id.in_(message_ids))).all()
    by_delay: dict[tuple[str, int], list[int]] = defaultdict(list)
    for message in rows:
        by_delay[(message.queue, backoff(message.attempts))].append(message.id)
    try:
        for (queue, delay), ids in by_delay.items():
            get_queue(queue).enqueue_in(dt.timedelta(seconds=delay), "workers.sender.send_messages",
                                        ids, job_timeout=120, result_ttl=0)
    except RedisError:
        log.warning("%d retries not scheduled (Redis unavailable); the reaper will", len(message_ids))


def reap(stale_after: int = 120, unknown_after: int = 900) -> dict:
    """Find work the queues lost: re-queue due `queued` rows nobody picked up, and settle rows
    stuck in `sending` (their worker died) as `unknown` (a later delivery report resolves them)."""
    from app.outbox import dispatch

    session = db.session()
    now = utcnow()
    due = list(session.execute(
        select(Message.id, Message.queue).where(
            Message.status == "queued",
            or_(Message.next_attempt_at.is_(None),
                Message.next_attempt_at <= now - dt.timedelta(seconds=stale_after)),
            Message.created_at <= now - dt.timedelta(seconds=stale_after),
        ).limit(10_000)
    ))
    stuck = list(session.scalars(
        select(Message).where(Message.status == "sending",
                              Message.updated_at <= now - dt.timedelta(seconds=unknown_after))
        .limit(10_000)
    ))
    for message in stuck:
        message.status = "unknown"
    session.commit()
    for queue in {q for _, q in due}:
        dispatch([i for i, q in due if q == queue], queue=queue, batch=100)
    return {"requeued": len(due), "unknown": len(stuck)}
