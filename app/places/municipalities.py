"""Which municipality a request belongs to, by the code it arrived on."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from app.channels.registry import DEFAULT_CHANNEL
from app.errors import InvalidError, NotFoundError
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
    return {
        "id": m.id,
        "name": m.name,
        "locales": m.locale_list,
        "region": m.region,
        "timezone": m.timezone,
        "sender_id": m.sms_sender_id,
        "channel": m.channel,
    }


def municipalities_for_code(session, kind: str, code: str, channel: str = DEFAULT_CHANNEL) -> list[dict]:
    """Municipalities answering on a USSD or SMS (`kind`) `code` that arrived through
    `channel`; a deployment of one answers on any code of its channel.

    A municipality is reached only through its own channel: the same short code on two
    aggregators can belong to two councils."""

    def load() -> list[dict]:
        own_channel = func.coalesce(Municipality.channel, DEFAULT_CHANNEL) == channel
        rows = session.scalars(
            select(Municipality)
            .join(ServiceCode, ServiceCode.municipality_id == Municipality.id)
            .where(ServiceCode.channel == kind, ServiceCode.code == code, own_channel)
            .order_by(Municipality.name)
        ).all()
        if not rows:
            every = session.scalars(select(Municipality).limit(2)).all()
            rows = every if len(every) == 1 and (every[0].channel or DEFAULT_CHANNEL) == channel else []
        return [_as_choice(m) for m in rows]

    return cache.get((kind, code, channel), load)


SENDER_MAX = 16
"""The longest sender an outbox row keeps (`messages.sender_id`)."""


def sms_short_code(session, municipality_id: int) -> str | None:
    """The SMS short code a municipality answers on (its first), or None: where it has one,
    SMS a citizen may answer go out from it and name it (alphanumeric senders take no replies)."""

    def load() -> str | None:
        return session.scalar(
            select(ServiceCode.code)
            .where(
                ServiceCode.municipality_id == municipality_id,
                ServiceCode.channel == "sms",
                func.length(ServiceCode.code) <= SENDER_MAX,  # it goes out as the sender
            )
            .order_by(ServiceCode.id)
            .limit(1)
        )

    return cache.get(("sms_short_code", municipality_id), load)


def region_for_code(session, kind: str, code: str, default: str, channel: str = DEFAULT_CHANNEL) -> str:
    """The region local-format numbers arriving on `code` are read with: that of the
    municipalities answering on it when they agree, else `default` (the channel's).

    A Ghanaian caller's `0244770099` on Sekondi-Takoradi's code is +233244770099, not a
    South African number; on a code shared across borders only international numbers
    (which every aggregator we know sends) are unambiguous."""
    regions = {c["region"] for c in municipalities_for_code(session, kind, code, channel)}
    return regions.pop() if len(regions) == 1 else default


def region_for_sender(session, sender_id: str, default: str) -> str:
    """The region of the municipalities that send as `sender_id` when they agree, else
    `default`: a provider's opt-out names the sender, not the council."""
    regions = (
        set(
            session.scalars(
                select(Municipality.region).where(Municipality.sms_sender_id == sender_id).distinct()
            )
        )
        if sender_id
        else set()
    )
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
    """Categories a municipality takes reports for, in its order, with their department and
    service target (what a new ticket needs, without a query on the USSD hot path)."""

    def load() -> list[dict]:
        rows = session.scalars(
            select(Category)
            .where(Category.municipality_id == municipality_id, Category.active.is_(True))
            .order_by(Category.position, Category.id)
        ).all()
        return [
            {
                "id": c.id,
                "code": c.code,
                "labels": dict(c.labels or {}),
                "department_id": c.department_id,
                "target_hours": c.target_hours,
                "target_working_days": c.target_working_days,
                "duplicate_window_hours": c.duplicate_window_hours,
            }
            for c in rows
        ]

    return cache.get(("categories", municipality_id), load)


def find_ward(session, municipality_id: int, number: int) -> dict | None:
    """A ward by its number within a municipality."""
    ward = session.scalar(select(Ward).where(Ward.municipality_id == municipality_id, Ward.number == number))
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


# --- the one lookup of a municipality by code and of wards by number ------------------------


def get_municipality(session, code: str | None) -> Municipality:
    """The municipality with this code (any case, spaces ignored).

    No code is allowed only when the deployment serves exactly one municipality. Raises
    NotFoundError or InvalidError with field "municipality".
    """
    code = (code or "").strip().lower()
    if code:
        found = session.scalar(select(Municipality).where(Municipality.code == code))
        if found is None:
            raise NotFoundError(f"unknown municipality {code!r}", field="municipality")
        return found
    every = session.scalars(select(Municipality).limit(2)).all()
    if not every:
        raise NotFoundError("no municipality yet: import some first", field="municipality")
    if len(every) > 1:
        raise InvalidError("several municipalities: name one", field="municipality")
    return every[0]


def wards_by_number(session, municipality_id: int) -> dict[int, int]:
    """Every ward of a municipality: number -> id."""
    return dict(
        session.execute(select(Ward.number, Ward.id).where(Ward.municipality_id == municipality_id)).all()
    )


def parse_ward_numbers(numbers: list[int] | str) -> list[int]:
    """Ward numbers from a list or from text such as "12,14" (InvalidError, field "wards")."""
    if isinstance(numbers, str):
        parts = [n.strip() for n in numbers.split(",") if n.strip()]
        if not parts or not all(n.isascii() and n.isdigit() for n in parts):
            raise InvalidError("wards are ward numbers separated by commas, e.g. 12,14", field="wards")
        numbers = [int(n) for n in parts]
    if not numbers or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
        raise InvalidError("wards are ward numbers, e.g. [12, 14]", field="wards")
    return list(dict.fromkeys(numbers))


def ward_ids_by_number(session, municipality: Municipality, numbers: list[int] | str) -> list[int]:
    """The ids of a municipality's wards with these numbers, in the order given.

    Raises InvalidError (not ward numbers) or NotFoundError (a number the municipality does
    not have), with field "wards".
    """
    wanted = parse_ward_numbers(numbers)
    rows = dict(
        session.execute(
            select(Ward.number, Ward.id).where(
                Ward.municipality_id == municipality.id, Ward.number.in_(wanted)
            )
        ).all()
    )
    missing = [str(n) for n in wanted if n not in rows]
    if missing:
        raise NotFoundError(f"no ward {', '.join(missing)} in {municipality.name}", field="wards")
    return [rows[n] for n in wanted]
