"""The outbox: every SMS wardlink sends is a row written before it is sent.

Callers add messages inside their own transaction (so a reply exists exactly when its
cause does), commit, then call `dispatch` to queue the send jobs. A job lost in Redis
is found again by the reaper from the rows still `queued`.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.language.gsm import count_segments, to_gsm
from app.models import Message
from workers.queues import get_queue

log = logging.getLogger(__name__)


def message_values(
    *,
    phone: str,
    text: str,
    purpose: str,
    essential: bool = False,
    queue: str = "high",
    municipality_id: int | None = None,
    resident_id: int | None = None,
    sender_id: str | None = None,
    reply_to_id: int | None = None,
) -> dict:
    """The columns of a new outbox row: `text` normalised to GSM-7, its segments counted."""
    body = to_gsm(text).strip()
    count = count_segments(body)
    return {
        "phone": phone,
        "text": body,
        "encoding": count.encoding,
        "segments": count.segments,
        "purpose": purpose,
        "essential": essential,
        "queue": queue,
        "municipality_id": municipality_id,
        "resident_id": resident_id,
        "sender_id": sender_id,
        "reply_to_id": reply_to_id,
        "status": "queued",
        "attempts": 0,
    }


def add_message(session, **fields) -> Message:
    """Add an outbox row (not committed) and return it; `fields` as `message_values`."""
    message = Message(**message_values(**fields))
    session.add(message)
    return message


_INSERT = Message.__table__.insert().returning(Message.__table__.c.id)


def insert_message(session, **fields) -> int:
    """Insert an outbox row in the session's transaction (not committed) and return its id:
    a plain insert for the hot path (the USSD ticket confirmation)."""
    return session.connection().execute(_INSERT, message_values(**fields)).scalar_one()


def dispatch(
    message_ids: list[int], queue: str = "high", batch: int = 1, at_front: bool = False, pipeline=None
) -> None:
    """Queue send jobs for committed messages, `batch` ids per job; Redis trouble is logged
    and left to the reaper (the rows are safe in SQL).

    With `pipeline` the jobs only join it: the caller executes it with its own commands
    (a USSD turn sends them with its session, in one round trip) and owns its errors."""
    if not message_ids:
        return
    q = get_queue(queue)
    jobs = [
        q.prepare_data(
            "workers.sender.send_messages",
            (message_ids[i : i + batch],),
            timeout=300,
            result_ttl=0,
            failure_ttl=86400,
            at_front=at_front,
        )
        for i in range(0, len(message_ids), batch)
    ]
    if pipeline is not None:
        q.enqueue_many(jobs, pipeline=pipeline)
        return
    try:
        q.enqueue_many(jobs)
    except RedisError:
        log.warning("%d message(s) not queued now (Redis unavailable); the reaper will", len(message_ids))
