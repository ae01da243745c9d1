"""Which municipality a request belongs to, by the code it arrived on."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from app.models import Category, Municipality, Resident, ServiceCode, Ward

CACHE_SECONDS = 30.0
"""How long a process trusts its copy of the routing table and category lists."""


class _TTLCache:
    """A tiny per-process cache; every web process keeps its own (no shared state)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._data: dict = {}
        self._lock = threading.Lock()

    def get(self, key, load):
        now = time.monotonic()
        hit = self._data.get(key)
        if hit and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            self._data[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


cache = _TTLCache(CACHE_SECONDS)
"""Routing, municipality details and category lists change rarely. An import clears the
cache of the process it runs in; every other process (each web worker) sees the change
within CACHE_SECONDS."""


def _as_choice(m: Municipality) -> dict:
    return {"id": m.id, "name": m.name, "locales": m.locale_list, "region": m.region,
            "timezone": m.timezone, "sender_id": m.sms_sender_id, "channel": m.channel}


def municipalities_for_code(session, channel: str, code: str) -> list[dict]:
    """Municipalities answering on `code`; a deployment of one answers on any code."""

    def load() -> list[dict]:
        rows = session.scalars(
            select(Municipality)
            .join(ServiceCode, ServiceCode.municipality_id == Municipality.id)
            .where(ServiceCode.channel == channel, ServiceCode.code == code)
            .order_by(Municipality.name)
        ).all()
        if not rows:
            every = session.scalars(select(Municipality).limit(2)).all()
            rows = every if len(every) == 1 else []
        return [_as_choice(m) for m in rows]

    return cache.get((channel, code), load)


def region_for_code(session, channel: str, code: str, default: str) -> str:
    """The region local-format numbers arriving on `code` are read with: that of the
    municipalities answering on it when they agree, else `default` (the channel's).

    A Ghanaian caller's `0244770099` on Sekondi-Takoradi's code is +233244770099, not a
    South African number; on a code shared across borders only international numbers
    (which every aggregator we know sends) are unambiguous."""
    regions = {c["region"] for c in municipalities_for_code(session, channel, code)}
    return regions.pop() if len(regions) == 1 else default


def remembered_choice(session, phone: str, ids: list[int]) -> int | None:
    """Of several councils on one code, the one this number last used."""
    if len(ids) < 2:
        return None
    return session.scalar(
        select(Resident.municipality_id)
        .where(Resident.phone == phone, Resident.municipality_id.in_(ids))
        .order_by(Resident.updated_at.desc())
        .limit(1)
    )


def active_categories(session, municipality_id: int) -> list[dict]:
    """Categories a municipality takes reports for, in its order."""

    def load() -> list[dict]:
        rows = session.scalars(
            select(Category)
            .where(Category.municipality_id == municipality_id, Category.active.is_(True))
            .order_by(Category.position, Category.id)
        ).all()
        return [{"id": c.id, "code": c.code, "labels": dict(c.labels or {})} for c in rows]

    return cache.get(("categories", municipality_id), load)


def find_ward(session, municipality_id: int, number: int) -> dict | None:
    """A ward by its number within a municipality."""
    ward = session.scalar(
        select(Ward).where(Ward.municipality_id == municipality_id, Ward.number == number)
    )
    return ward_dict(ward) if ward else None


def ward_dict(ward: Ward) -> dict:
    """A ward as the menu sees it."""
    return {"id": ward.id, "number": ward.number, "name": ward.name}


def municipality_info(session, municipality_id: int) -> dict | None:
    """A municipality as a plain dict (id, name, locales, region, timezone, sender_id), or None;
    kept like the routing table, since every ticket and every date on a screen needs it."""

    def load() -> dict | None:
        m = session.get(Municipality, municipality_id)
        return _as_choice(m) if m is not None else None

    return cache.get(("municipality", municipality_id), load)
