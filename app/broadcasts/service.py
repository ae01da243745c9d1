"""Broadcasts and outage alerts: who they reach, what they cost, and how they went."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import Counter
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy import and_, func, select

from app.core.db import on_commit
from app.errors import ConflictError, InvalidError, NotFoundError
from app.language.gsm import count_segments, to_gsm
from app.models import Broadcast, BroadcastWard, Message, Resident, utcnow
from app.places.municipalities import get_municipality, ward_ids_by_number
from workers.queues import BULK, get_queue

log = logging.getLogger(__name__)

TEXT_MAX = 459
"""Longest broadcast text: three GSM-7 segments (a councillor's message, not a newsletter)."""
SEND_BATCH = 500
"""Delivery rows per send job (and so at most per provider request)."""
FANOUT_CHUNK = 5000
"""Residents read and delivery rows written per step of a fan-out."""


class BroadcastError(InvalidError):
    """A broadcast that may not be created; the message says why."""


def clean_texts(texts: dict[str, str]) -> dict[str, str]:
    """Normalise each text to GSM-7 and check it is neither empty nor too long."""
    cleaned = {}
    for locale, text in texts.items():
        body = " ".join(to_gsm(text or "").split())
        if not body:
            raise BroadcastError("the message is empty", field="texts")
        if len(body) > TEXT_MAX:
            raise BroadcastError(f"the message is longer than {TEXT_MAX} characters", field="texts")
        cleaned[locale] = body
    if not cleaned:
        raise BroadcastError("the message is empty", field="texts")
    return cleaned


def audience(municipality_id: int, ward_ids: list[int]):
    """Residents a ward broadcast reaches: subscribed and not opted out."""
    return and_(
        Resident.municipality_id == municipality_id,
        Resident.ward_id.in_(ward_ids),
        Resident.subscribed.is_(True),
        Resident.opted_out.is_(False),
    )


def reach(session, municipality_id: int, ward_ids: list[int]) -> int:
    """How many residents a broadcast to these wards would reach now."""
    return session.scalar(
        select(func.count()).select_from(Resident).where(audience(municipality_id, ward_ids))
    )


def broadcast_reach(session, broadcast: Broadcast) -> int:
    """How many residents a ward broadcast reaches now (its own wards' audience)."""
    ward_ids = select(BroadcastWard.ward_id).where(BroadcastWard.broadcast_id == broadcast.id)
    return session.scalar(
        select(func.count()).select_from(Resident).where(audience(broadcast.municipality_id, ward_ids))
    )


def segments(texts: dict[str, str]) -> int:
    """SMS segments of the longest of the texts (what one recipient costs at most)."""
    return max(count_segments(t).segments for t in texts.values())


def create_broadcast(
    session,
    *,
    municipality_id: int,
    ward_ids: list[int],
    texts: dict[str, str],
    kind: str = "broadcast",
    author: str,
    urgent: bool = False,
    councillor_id: int | None = None,
    outage_id: int | None = None,
    follows_id: int | None = None,
    expires_at=None,
    source_key: str | None = None,
    status: str = "scheduled",
) -> Broadcast:
    """Add a broadcast and its wards (the caller commits; `start_on_commit` queues it then)."""
    if not ward_ids and follows_id is None:
        raise BroadcastError("no wards", field="wards")
    broadcast = Broadcast(
        municipality_id=municipality_id,
        kind=kind,
        author=author[:120],
        urgent=urgent,
        councillor_id=councillor_id,
        outage_id=outage_id,
        follows_id=follows_id,
        texts=clean_texts(texts),
        expires_at=expires_at,
        source_key=source_key,
        status=status,
        fanout_cursor=0,
    )
    session.add(broadcast)
    session.flush()
    session.add_all([BroadcastWard(broadcast_id=broadcast.id, ward_id=w) for w in set(ward_ids)])
    return broadcast


def start(broadcast_id: int, urgent: bool = False) -> None:
    """Queue the fan-out job now (urgent ones at the front of the bulk queue); services
    use `start_on_commit`, so the job never runs before its rows are committed."""
    try:
        get_queue(BULK).enqueue(
            "workers.fanout.fan_out", broadcast_id, job_timeout=3600, result_ttl=0, at_front=urgent
        )
    except RedisError:
        # The broadcast is safe in SQL; the reaper starts its fan-out within minutes.
        log.warning("broadcast %s: fan-out not queued now", broadcast_id)


def start_on_commit(session, broadcast: Broadcast) -> None:
    """Queue the broadcast's fan-out once the caller commits (nothing if it rolls back)."""
    broadcast_id, urgent = broadcast.id, bool(broadcast.urgent)
    on_commit(session, lambda: start(broadcast_id, urgent))


def _cost_value(cost: str | None) -> float:
    match = re.search(r"(\d+(?:\.\d+)?)", cost or "")
    return float(match.group(1)) if match else 0.0


def summarise(session, broadcast: Broadcast) -> dict:
    """Recipients, queued, sent, delivered, failed (by reason), opted out, unknown, segments
    and cost; computed from the delivery rows, so it also shows progress while it runs."""
    by_status = dict(
        session.execute(
            select(Message.status, func.count())
            .where(Message.broadcast_id == broadcast.id)
            .group_by(Message.status)
        ).all()
    )
    reasons = dict(
        session.execute(
            select(Message.failure_reason, func.count())
            .where(Message.broadcast_id == broadcast.id, Message.status == "failed")
            .group_by(Message.failure_reason)
        ).all()
    )
    totals = session.execute(
        select(func.coalesce(func.sum(Message.segments), 0)).where(
            Message.broadcast_id == broadcast.id, Message.status.in_(("sent", "delivered", "unknown"))
        )
    ).scalar()
    costs = Counter()
    for currency_cost, n in session.execute(
        select(Message.cost, func.count())
        .where(Message.broadcast_id == broadcast.id, Message.cost.is_not(None))
        .group_by(Message.cost)
    ).all():
        currency = (currency_cost or "").split(" ")[0] if " " in (currency_cost or "") else ""
        costs[currency] += _cost_value(currency_cost) * n
    return {
        "recipients": sum(by_status.values()),
        "queued": by_status.get("queued", 0) + by_status.get("sending", 0),
        "sent": by_status.get("sent", 0) + by_status.get("delivered", 0),
        "delivered": by_status.get("delivered", 0),
        "failed": by_status.get("failed", 0),
        "failed_by_reason": {k or "unknown": v for k, v in reasons.items()},
        "opted_out": by_status.get("suppressed", 0),
        "unknown": by_status.get("unknown", 0),
        "dropped": by_status.get("dropped", 0),
        "segments": int(totals or 0),
        "cost": {k or "-": round(v, 4) for k, v in costs.items()},
        "status": broadcast.status,
        "updated": utcnow().isoformat(timespec="seconds"),
    }


# --- councillors ------------------------------------------------------------------------

CONFIRM_MINUTES = 15
"""How long a councillor's SMS confirmation code stays valid."""


def broadcasts_today(session, councillor, timezone: str, now=None) -> int:
    """Broadcasts a councillor sent (or queued) since local midnight."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return session.scalar(
        select(func.count())
        .select_from(Broadcast)
        .where(
            Broadcast.councillor_id == councillor.id,
            Broadcast.created_at >= midnight,
            Broadcast.status.not_in(("pending_confirmation", "cancelled")),
        )
    )


def code_hash(code: str, broadcast_id: int) -> str:
    """A confirmation code is stored hashed, bound to its broadcast."""
    return hashlib.sha256(f"{broadcast_id}:{code}".encode()).hexdigest()


# --- the operations staff faces call (CLI, staff API) ------------------------------------------

CANCELLABLE = ("scheduled", "pending_confirmation")
"""States in which a broadcast may still be cancelled (nothing has been written to send)."""


def get_broadcast(session, broadcast_id: int) -> Broadcast:
    """A broadcast by id (NotFoundError, field "broadcast")."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}", field="broadcast")
    return broadcast


def send_broadcast(
    session,
    *,
    municipality: str | None,
    wards: list[int] | str,
    texts: dict[str, str],
    author: str = "staff",
    urgent: bool = False,
) -> Broadcast:
    """Create a staff broadcast from plain values; its fan-out starts once the caller commits.

    `municipality` is a code (None in a deployment of one), `wards` ward numbers (a list or
    "12,14"), `texts` the message per locale ("*" for every language without its own).
    """
    place = get_municipality(session, municipality)
    ward_ids = ward_ids_by_number(session, place, wards)
    broadcast = create_broadcast(
        session,
        municipality_id=place.id,
        ward_ids=ward_ids,
        texts={k: v for k, v in texts.items() if v},
        author=author,
        urgent=urgent,
    )
    start_on_commit(session, broadcast)
    return broadcast


def cancel_broadcast(session, broadcast_id: int) -> Broadcast:
    """Cancel a broadcast not yet fanned out (scheduled, or awaiting a councillor's code).

    A fan-out job already queued finds it cancelled and does nothing. ConflictError once
    delivery rows may exist."""
    broadcast = get_broadcast(session, broadcast_id)
    # Row lock on PostgreSQL: a fan-out starting now either sees "cancelled" or wins first.
    session.refresh(broadcast, with_for_update=True)
    if broadcast.status not in CANCELLABLE:
        raise ConflictError(
            f"broadcast {broadcast.id} is {broadcast.status}: too late to cancel", field="broadcast"
        )
    broadcast.status, broadcast.confirm_code = "cancelled", None
    session.flush()
    return broadcast


def broadcast_report(session, broadcast_id: int) -> tuple[Broadcast, dict]:
    """A broadcast and its report: the stored summary once done, else computed now."""
    broadcast = get_broadcast(session, broadcast_id)
    if broadcast.status == "done" and broadcast.summary:
        return broadcast, broadcast.summary
    return broadcast, summarise(session, broadcast)
