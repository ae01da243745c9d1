"""Broadcast fan-out: recipients streamed from SQL in chunks -> one delivery row each -> send jobs.

Every step is safe to run again. Delivery rows are unique per (broadcast, resident), so
a repeated chunk adds nothing. The cursor (the last resident id written) is committed
with each chunk, so a killed fan-out resumes where it stopped. Send jobs only send rows
they claim.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import case, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from app.broadcasts.quiet_hours import next_allowed
from app.broadcasts.service import FANOUT_CHUNK, SEND_BATCH, audience, start, summarise
from app.extensions import db
from app.language.gsm import count_segments
from app.models import (
    Broadcast,
    BroadcastWard,
    Message,
    Municipality,
    Resident,
    message_active,
    utcnow,
)
from app.outbox.messages import dispatch
from app.vocabulary import BroadcastKind, BroadcastStatus, MessagePurpose, MessageQueue, MessageStatus
from workers.queues import BULK, get_queue

log = logging.getLogger(__name__)

FINAL = (
    BroadcastStatus.DONE,
    BroadcastStatus.CANCELLED,
    BroadcastStatus.DROPPED,
    BroadcastStatus.PENDING_CONFIRMATION,
)
"""States in which a fan-out job has nothing to do."""
PURPOSES = {BroadcastKind.BROADCAST: MessagePurpose.BROADCAST}
"""Message purpose per broadcast kind (everything else is an alert)."""


def _insert(session):
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(Message)


def _by_locale(texts: dict[str, str], value):
    """A CASE over the resident's locale: `value(key)` of the text in their language."""
    default = "*" if "*" in texts else ("en" if "en" in texts else next(iter(texts)))
    whens = [(Resident.locale == code, literal(value(code))) for code in texts if code != "*"]
    return case(*whens, else_=literal(value(default))) if whens else literal(value(default))


def _recipients(broadcast: Broadcast):
    """The residents a broadcast goes to: its wards' audience, or the people a follow-up follows."""
    if broadcast.follows_id is not None:
        return (
            (Message.broadcast_id == broadcast.follows_id)
            & Message.status.in_(("sent", "delivered", "unknown"))
            & (Resident.id == Message.resident_id)
            & (Resident.opted_out.is_(False))
        )
    ward_ids = select(BroadcastWard.ward_id).where(BroadcastWard.broadcast_id == broadcast.id)
    return audience(broadcast.municipality_id, ward_ids)


def fan_out(broadcast_id: int) -> dict:
    """Write a delivery row per recipient, chunk by chunk, and queue their send jobs."""
    session = db.session()
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status in FINAL:
        return {"skipped": True}
    municipality = session.get(Municipality, broadcast.municipality_id)
    now = utcnow()
    if broadcast.expires_at is not None and broadcast.expires_at <= now:
        broadcast.status = "dropped"  # an alert for an outage that is over is not sent late
        session.commit()
        return {"dropped": True}
    if not broadcast.urgent and broadcast.status == "scheduled":  # a started one goes on
        when = next_allowed(now, municipality.timezone, municipality.region)
        if when > now:
            broadcast.status, broadcast.scheduled_at = "scheduled", when
            session.commit()
            _schedule(broadcast.id, when)
            return {"scheduled": when.isoformat()}
    resumed = broadcast.fanout_cursor > 0
    broadcast.status = "fanning_out"
    broadcast.started_at = broadcast.started_at or now
    broadcast.heartbeat_at = now
    session.commit()
    if resumed:  # rows written by a run that died before queueing them
        _queue_rows(session, broadcast, 0, broadcast.fanout_cursor)

    texts = broadcast.texts
    segments = {k: count_segments(v) for k, v in texts.items()}
    purpose = PURPOSES.get(broadcast.kind, MessagePurpose.ALERT)
    written = 0
    while True:
        ids = list(
            session.scalars(
                select(Resident.id)
                .where(_recipients(broadcast), Resident.id > broadcast.fanout_cursor)
                .order_by(Resident.id)
                .limit(FANOUT_CHUNK)
            )
        )
        if not ids:
            break
        low, high = broadcast.fanout_cursor, ids[-1]
        stamp = utcnow()
        rows = select(
            literal(broadcast.municipality_id),
            Resident.id,
            Resident.phone,
            _by_locale(texts, lambda k: texts[k]),
            _by_locale(texts, lambda k: segments[k].encoding),
            _by_locale(texts, lambda k: segments[k].segments),
            # Typed like their columns: checked and converted as in any other insert.
            literal(purpose, Message.purpose.type),
            literal(False),
            literal(MessageQueue.BULK, Message.queue.type),
            literal(municipality.sms_sender_id),
            literal(MessageStatus.QUEUED, Message.status.type),
            literal(0),
            literal(broadcast.id),
            literal(stamp, Message.created_at.type),
            literal(stamp, Message.updated_at.type),
        ).where(_recipients(broadcast), Resident.id > low, Resident.id <= high)
        insert = (
            _insert(session)
            .from_select(
                [
                    "municipality_id",
                    "resident_id",
                    "phone",
                    "text",
                    "encoding",
                    "segments",
                    "purpose",
                    "essential",
                    "queue",
                    "sender_id",
                    "status",
                    "attempts",
                    "broadcast_id",
                    "created_at",
                    "updated_at",
                ],
                rows,
            )
            .on_conflict_do_nothing()
            .returning(Message.id)
        )
        # RETURNING hands back exactly the rows this chunk wrote (none on a repeat), so the
        # send jobs are queued without looking the rows up again.
        new_ids = sorted(session.scalars(insert))
        written += len(new_ids)
        broadcast.fanout_cursor = high
        broadcast.heartbeat_at = utcnow()
        session.commit()
        _dispatch(broadcast, new_ids)
    broadcast.status = "sending"
    session.commit()
    log.info("broadcast %s: %d delivery rows written", broadcast.id, written)
    finish_if_done(session, broadcast.id)
    return {"written": written}


def _schedule(broadcast_id: int, when: dt.datetime) -> None:
    get_queue(BULK).enqueue_at(when, "workers.fanout.fan_out", broadcast_id, job_timeout=3600, result_ttl=0)


def _queue_rows(session, broadcast: Broadcast, low: int, high: int) -> None:
    """Queue send jobs for the broadcast's queued rows of residents in (low, high] (used
    when a fan-out resumes: rows a dead run wrote but may not have queued)."""
    ids = list(
        session.scalars(
            select(Message.id)
            .where(
                Message.broadcast_id == broadcast.id,
                Message.status == "queued",
                Message.resident_id > low,
                Message.resident_id <= high,
            )
            .order_by(Message.id)
        )
    )
    session.commit()
    _dispatch(broadcast, ids)


def _dispatch(broadcast: Broadcast, ids: list[int]) -> None:
    dispatch(ids, queue="bulk", batch=SEND_BATCH, at_front=broadcast.urgent)


def finish_if_done(session, broadcast_id: int) -> bool:
    """Mark a fanned-out broadcast done, with its stored summary, once no row is in flight."""
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status != "sending":
        session.commit()  # end the read transaction (commit: no expiry of loaded objects)
        return False
    active = session.scalar(
        select(Message.id).where(Message.broadcast_id == broadcast_id, message_active()).limit(1)
    )
    if active is not None:
        session.commit()
        return False
    broadcast.status, broadcast.finished_at = "done", utcnow()
    broadcast.summary = summarise(session, broadcast)
    session.commit()
    return True


def reap_broadcasts(stuck_after: int = 300) -> dict:
    """Resume fan-outs whose job was lost, and close broadcasts whose last rows were settled."""
    session = db.session()
    now = utcnow()
    resumed = 0
    stale = now - dt.timedelta(seconds=stuck_after)
    for broadcast in session.scalars(
        select(Broadcast).where(Broadcast.status.in_(("fanning_out", "scheduled")))
    ):
        if broadcast.status == "scheduled":
            due_at = broadcast.scheduled_at or broadcast.created_at
        else:  # fanning out: alive while its heartbeat is recent
            due_at = broadcast.heartbeat_at or broadcast.started_at or broadcast.created_at
        if due_at <= stale:  # its job was lost (or is very late): run it again
            start(broadcast.id, broadcast.urgent)
            resumed += 1
    finished = 0
    for broadcast_id in list(session.scalars(select(Broadcast.id).where(Broadcast.status == "sending"))):
        finished += finish_if_done(session, broadcast_id)
    session.commit()
    return {"fanouts_resumed": resumed, "broadcasts_finished": finished}
