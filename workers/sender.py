"""The sender: outbox rows -> provider requests -> per-recipient results back on the rows.

A job may run twice (RQ is at-least-once), so a job only ever sends rows it has claimed
by moving them from `queued` to `sending` in a committed transaction. A row left in
`sending` by a dead worker is never resent by a live one: the reaper settles it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select, update

from app.channels.events import ProviderError, SmsSender
from app.channels.registry import DEFAULT_CHANNEL, get_channel, sms_sender
from app.extensions import db, redis_store
from app.models import Broadcast, Message, Municipality, utcnow
from app.outbox.messages import dispatch
from app.outbox.optouts import opt_out, suppressed
from app.outbox.rate_limit import acquire
from workers.fanout import finish_if_done
from workers.queues import ORDER, get_queue

log = logging.getLogger(__name__)

BACKOFF = (30, 120, 600, 1800, 3600)
"""Seconds before attempt 2, 3, 4...: a provider outage is waited out, not hammered."""


def backoff(attempts: int) -> int:
    """Delay before the next attempt after `attempts` tries."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts > 0 else 0


@dataclass
class Claimed:
    """A row this job moved to `sending`, and what happened to it."""

    id: int
    phone: str
    attempts: int
    queue: str
    broadcast_id: int | None
    status: str = "sending"


def _queued():
    """`status = 'queued'`, for queries that name their rows by id.

    Compared through an expression on purpose: planners without statistics (SQLite) take
    `status = ?` as selective and walk the status index, a million rows during a large
    broadcast, instead of looking up the few hundred ids by primary key."""
    return func.coalesce(Message.status, "") == "queued"


def _due(now: dt.datetime):
    return _queued() & or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now)


def claim(session, message_ids: list[int], channel: str | None = DEFAULT_CHANNEL) -> list[Claimed]:
    """Move due `queued` rows to `sending` through `channel` (or to `suppressed`/`dropped`)
    and commit.

    The claim is one conditional UPDATE: of two workers handed the same ids, each gets
    only the rows it moved itself (the other's `status = 'queued'` no longer holds).
    """
    now = utcnow()
    candidates = session.execute(
        select(Message.id, Message.phone, Message.essential, Message.broadcast_id).where(
            Message.id.in_(message_ids), _due(now)
        )
    ).all()
    if not candidates:
        session.commit()
        return []
    # Opt-out is checked here, at send time, not only when the message was queued.
    stopped = suppressed(session, {c.phone for c in candidates if not c.essential})
    expired = _expired_broadcasts(session, {c.broadcast_id for c in candidates if c.broadcast_id}, now)
    settle: dict[str, list[int]] = defaultdict(list)
    for c in candidates:
        if c.broadcast_id in expired:
            settle["dropped"].append(c.id)  # an alert for an outage that is over: not sent late
        elif not c.essential and c.phone in stopped:
            settle["suppressed"].append(c.id)
        else:
            settle["sending"].append(c.id)
    for status in ("dropped", "suppressed"):
        if settle[status]:
            session.execute(
                update(Message)
                .where(Message.id.in_(settle[status]), _due(now))
                .values(status=status, updated_at=now)
            )
    claimed = []
    if settle["sending"]:
        claimed = [
            Claimed(*row)
            for row in session.execute(
                update(Message)
                .where(Message.id.in_(settle["sending"]), _due(now))
                .values(status="sending", attempts=Message.attempts + 1, updated_at=now, channel=channel)
                .returning(Message.id, Message.phone, Message.attempts, Message.queue, Message.broadcast_id)
            )
        ]
    session.commit()
    return sorted(claimed, key=lambda c: c.id)


def _expired_broadcasts(session, broadcast_ids: set[int], now: dt.datetime) -> set[int]:
    if not broadcast_ids:
        return set()
    return set(
        session.scalars(
            select(Broadcast.id).where(
                Broadcast.id.in_(broadcast_ids),
                or_(
                    Broadcast.status == "cancelled",
                    (Broadcast.expires_at.is_not(None)) & (Broadcast.expires_at <= now),
                ),
            )
        )
    )


def send_messages(message_ids: list[int]) -> dict:
    """Send the given outbox rows: one provider request per channel, distinct text and
    sender, of at most SMS_BATCH_SIZE numbers, each claimed just before its request. A
    worker killed mid-job leaves at most one request's rows in `sending`; the rest stay
    `queued`. A row goes out through its municipality's channel (none: the default one)."""
    session = db.session()
    batch = int(current_app.config["SMS_BATCH_SIZE"])
    groups: dict[tuple, list[int]] = defaultdict(list)
    queues: dict[int, str] = {}
    broadcasts: set[int] = set()
    stranded: list[int] = []
    for message_id, text, sender_id, broadcast_id, queue, channel_name in session.execute(
        select(
            Message.id,
            Message.text,
            Message.sender_id,
            Message.broadcast_id,
            Message.queue,
            Municipality.channel,
        )
        .outerjoin(Municipality, Municipality.id == Message.municipality_id)
        .where(Message.id.in_(message_ids), _queued())
        .order_by(Message.id)
    ):
        queues[message_id] = queue
        if broadcast_id:
            broadcasts.add(broadcast_id)
        channel = get_channel(channel_name)
        if channel is None:  # never through another council's account: wait for the config
            stranded.append(message_id)
            continue
        groups[(channel.name, text, sender_id or channel.sender_id)].append(message_id)
    session.commit()  # end the read transaction before the first claim
    if stranded:
        _strand(session, stranded)
    retry: list[Claimed] = []
    counts: dict[str, int] = defaultdict(int)
    postponed: list[int] = []
    down: set[str] = set()
    for (channel, text, sender_id), ids in groups.items():
        for i in range(0, len(ids), batch):
            if channel in down:  # do not spend the job's time on a provider that is down
                postponed.extend(ids[i : i + batch])
                continue
            chunk = claim(session, ids[i : i + batch], channel)
            if not chunk:
                continue
            if not _send_chunk(session, sms_sender(channel), channel, text, sender_id, chunk):
                down.add(channel)
            for row in chunk:
                counts[row.status] += 1
                if row.status == "queued":
                    retry.append(row)
    if retry:
        _schedule_retry(retry)
    if postponed:
        _postpone(session, postponed, queues)
        counts["postponed"] = len(postponed)
    for broadcast_id in broadcasts:
        finish_if_done(session, broadcast_id)
    return dict(counts)


def _strand(session, message_ids: list[int]) -> None:
    """Rows whose municipality names a channel this process is not configured for: an
    attempt that failed, retried with backoff (the configuration may be fixed meanwhile),
    failed for good after SMS_MAX_ATTEMPTS. They never go out through another account."""
    log.error("%d message(s) name a channel that is not configured here (CHANNELS)", len(message_ids))
    now = utcnow()
    rows = claim(session, message_ids, channel=None)
    updates = {row.id: _failed_attempt(row, "UnknownChannel", True, now) for row in rows}
    if updates:
        session.execute(update(Message), [{"id": i, "updated_at": now, **v} for i, v in updates.items()])
        session.commit()
    _schedule_retry([row for row in rows if row.status == "queued"])


def _send_chunk(
    session, provider: SmsSender, channel: str, text: str, sender_id: str | None, chunk: list[Claimed]
) -> bool:
    """One provider request for the chunk, then one bulk UPDATE with every row's result.
    Returns False when the provider failed the whole request transiently (it is down)."""
    by_number: dict[str, list[Claimed]] = defaultdict(list)
    for row in chunk:
        by_number[row.phone].append(row)
    acquire(
        redis_store.worker_client,
        f"wl:rate:{channel}",
        len(by_number),
        int(current_app.config["SMS_RATE_PER_SECOND"]),
    )
    now = utcnow()
    updates: dict[int, dict] = {}
    healthy = True
    try:
        results = provider.send(text, list(by_number), sender_id)
    except ProviderError as exc:
        healthy = not exc.transient
        for row in chunk:
            if exc.ambiguous and row.broadcast_id:
                row.status = "unknown"
                updates[row.id] = _values(status="unknown", failure_reason=exc.reason)
            else:
                updates[row.id] = _failed_attempt(row, exc.reason, exc.transient, now)
        level = (
            logging.ERROR if not exc.transient or exc.reason == "AuthenticationFailed" else (logging.WARNING)
        )
        log.log(level, "provider refused a request of %d: %s", len(chunk), exc.reason)
        results = []
    for result in results:
        for row in by_number.get(result.number, []):
            outcome = result.outcome
            if outcome == "accepted":
                row.status = "sent"
                updates[row.id] = _values(
                    status="sent", provider_message_id=result.message_id, cost=result.cost, sent_at=now
                )
            elif outcome in ("blacklisted", "permanent"):
                row.status = "failed"
                updates[row.id] = _values(
                    status="failed", failure_reason=(result.status or str(result.status_code))[:80]
                )
                if outcome == "blacklisted":
                    opt_out(session, row.phone, "blacklist", evidence=f"message {row.id}: 406")
            else:
                updates[row.id] = _failed_attempt(row, result.status or "Transient", True, now)
            updates[row.id].update(status_code=result.status_code, provider_status=result.status[:40] or None)
    for row in chunk:
        if row.id not in updates:  # the provider did not mention this number
            if row.broadcast_id:  # it may still have taken it: never resend a broadcast row
                row.status = "unknown"
                updates[row.id] = _values(status="unknown", failure_reason="NotInResponse")
            else:
                updates[row.id] = _failed_attempt(row, "NotInResponse", True, now)
    session.execute(update(Message), [{"id": i, "updated_at": now, **v} for i, v in updates.items()])
    session.commit()
    return healthy


RESULT_FIELDS = (
    "status",
    "provider_message_id",
    "cost",
    "sent_at",
    "failure_reason",
    "next_attempt_at",
    "status_code",
    "provider_status",
)
"""Every bulk result row sets the same columns, so they go out as one executemany."""


def _values(**values) -> dict:
    base = dict.fromkeys(RESULT_FIELDS)
    base.update(values)
    return base


def _failed_attempt(row: Claimed, reason: str, retryable: bool, now: dt.datetime) -> dict:
    max_attempts = int(current_app.config["SMS_MAX_ATTEMPTS"])
    if retryable and row.attempts < max_attempts:
        row.status = "queued"
        return _values(
            status="queued",
            failure_reason=reason[:80],
            next_attempt_at=now + dt.timedelta(seconds=backoff(row.attempts)),
        )
    row.status = "failed"
    return _values(status="failed", failure_reason=reason[:80])


def _postpone(session, message_ids: list[int], queues: dict[int, str]) -> None:
    """Rows not tried because the provider is down: due again after the first backoff, each
    on its own queue (a broadcast's rows must not come back on `high`)."""
    delay = backoff(1)
    session.execute(
        update(Message)
        .where(Message.id.in_(message_ids), _queued())
        .values(next_attempt_at=utcnow() + dt.timedelta(seconds=delay))
    )
    session.commit()
    jobs: dict[tuple[str, int], list[int]] = defaultdict(list)
    for message_id in message_ids:
        jobs[(queues[message_id], delay)].append(message_id)
    _send_later(jobs, "postponed messages")


def _schedule_retry(rows: list[Claimed]) -> None:
    by_delay: dict[tuple[str, int], list[int]] = defaultdict(list)
    for row in rows:
        by_delay[(row.queue, backoff(row.attempts))].append(row.id)
    _send_later(by_delay, "retries")


def _send_later(jobs: dict[tuple[str, int], list[int]], what: str) -> None:
    """Schedule send jobs, ids per (queue, delay in seconds), in RQ's scheduler; Redis
    trouble is logged and left to the reaper (the rows stay queued in SQL)."""
    try:
        for (queue, delay), ids in jobs.items():
            get_queue(queue).enqueue_in(
                dt.timedelta(seconds=delay),
                "workers.sender.send_messages",
                ids,
                job_timeout=300,
                result_ttl=0,
            )
    except RedisError:
        count = sum(len(ids) for ids in jobs.values())
        log.warning("%d %s not scheduled (Redis unavailable); the reaper will", count, what)


def reap(stale_after: int = 120, unknown_after: int = 900) -> dict:
    """Find work the queues lost: re-queue due `queued` rows nobody picked up, and settle rows
    stuck in `sending` (their worker died) as `unknown` (a later delivery report resolves them).

    Rows of a queue that still has jobs waiting are not lost, only late (a million-recipient
    broadcast keeps the bulk queue busy for minutes): they are left alone until it drains.
    """
    session = db.session()
    now = utcnow()
    stuck = list(
        session.scalars(
            select(Message)
            .where(
                Message.status == "sending", Message.updated_at <= now - dt.timedelta(seconds=unknown_after)
            )
            .limit(10_000)
        )
    )
    for message in stuck:
        message.status = "unknown"
    session.commit()
    requeued = 0
    for queue in ORDER:
        try:
            if get_queue(queue).count:
                continue
        except RedisError:
            break
        due = list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.queue == queue,
                    Message.status == "queued",
                    or_(
                        Message.next_attempt_at.is_(None),
                        Message.next_attempt_at <= now - dt.timedelta(seconds=stale_after),
                    ),
                    Message.created_at <= now - dt.timedelta(seconds=stale_after),
                )
                .limit(10_000)
            )
        )
        session.commit()
        dispatch(due, queue=queue, batch=100)
        requeued += len(due)
    return {"requeued": requeued, "unknown": len(stuck)}
