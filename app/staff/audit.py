"""The audit log: every staff action, who did it, on which record, before and after.

An entry is added to the caller's session, so it is committed with the action it records,
or rolled back with it: the log never tells of something that did not happen.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import select

from app.models import AuditEntry, Base
from app.places.municipalities import get_municipality
from app.staff.principals import Principal, scope_filter
from app.vocabulary import StaffRole

LABEL_MAX = 160
"""Longest actor label kept (the column's length)."""


def json_safe(value: Any) -> Any:
    """`value` as JSON can hold it: enums as their values, datetimes as ISO 8601 text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    return value


def snapshot(row: Base, fields: tuple[str, ...]) -> dict:
    """The named attributes of a row, JSON-safe: a `before` or `after` of the log."""
    return {name: json_safe(getattr(row, name)) for name in fields}


def record_audit(
    session,
    principal: Principal,
    action: str,
    record: Base | tuple[str, Any] | None,
    before: dict | None = None,
    after: dict | None = None,
    *,
    municipality_id: int | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add one entry: `principal` did `action` (`<record>.<verb>`) to `record` (a row, or
    a (type, id) pair), which was `before` and is now `after`.

    The municipality is `municipality_id`, else the record's own. Adds and flushes; the
    caller commits, with the action."""
    record_type = record_id = None
    if isinstance(record, Base):
        record_type = record.__tablename__
        record_id = getattr(record, "id", None)
        if municipality_id is None:
            municipality_id = getattr(record, "municipality_id", None)
    elif record is not None:
        record_type, record_id = record
    entry = AuditEntry(
        actor_kind=principal.kind,
        actor_id=principal.id,
        actor_label=principal.label[:LABEL_MAX],
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        municipality_id=municipality_id,
        before=json_safe(before),
        after=json_safe(after),
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    session,
    principal: Principal,
    *,
    municipality: str | None = None,
    record: tuple[str, Any] | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The newest entries first that `principal` may read (admins: their municipality's;
    platform: all), of one municipality (code) and/or one record (type, id) if given."""
    query = (
        select(AuditEntry)
        .where(scope_filter(principal, StaffRole.ADMIN, municipality_column=AuditEntry.municipality_id))
        .order_by(AuditEntry.id.desc())
        .limit(max(1, min(int(limit), 1000)))
    )
    if municipality is not None:
        query = query.where(AuditEntry.municipality_id == get_municipality(session, municipality).id)
    if record is not None:
        query = query.where(AuditEntry.record_type == record[0], AuditEntry.record_id == str(record[1]))
    return list(session.scalars(query))
