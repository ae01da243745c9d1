"""CSV imports of municipalities, wards and categories: good rows kept, bad rows reported by line."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.channels.registry import DEFAULT_CHANNEL
from app.channels.registry import NAME_PATTERN as CHANNEL_NAME
from app.config import SUPPORTED_LOCALES
from app.errors import DomainError, InvalidError, raised_as
from app.models import Category, Municipality, ServiceCode, Ward
from app.places import municipalities as routing
from app.places.departments import find_department, save_department

REGIONS = ("ZA", "GH", "KE", "NG", "UG", "TZ", "RW", "MW", "ZM", "ZW", "BW", "NA", "LS", "SZ")
"""Regions whose numbers we parse (where Africa's Talking operates)."""


class RowError(InvalidError):
    """A CSV row that cannot be imported; the message says why."""


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) for every rejected row."""

    def summary(self) -> str:
        """One line for the terminal."""
        return f"{self.created} created, {self.updated} updated, {len(self.errors)} rejected"


def _rows(handle: Iterable[str], required: tuple[str, ...]):
    reader = csv.DictReader(handle)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise RowError("missing columns: " + ", ".join(missing))
    for row in reader:
        yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(";", " ").replace(",", " ").split() if c]


def _run(session, handle, required, apply_row) -> ImportReport:
    report = ImportReport()
    for line, row in _rows(handle, required):
        try:
            with session.begin_nested():
                created = apply_row(row)
        except RowError as exc:
            report.errors.append((line, str(exc)))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    session.commit()
    routing.cache.clear()
    return report


def import_municipalities(session, handle) -> ImportReport:
    """Columns: code,name,region,timezone,locales,sms_sender_id,ussd_codes,sms_codes, and
    optionally channel (the channel its SMS go out through; empty: the default channel; a file
    without the column leaves each municipality's channel as it is)."""

    def apply_row(row: dict) -> bool:
        code = row["code"].lower()
        if not code or len(code) > 32:
            raise RowError("code is empty or too long")
        if not row["name"]:
            raise RowError("name is empty")
        region = row["region"].upper()
        if region not in REGIONS:
            raise RowError(f"unknown region {row['region']!r}")
        try:
            ZoneInfo(row["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise RowError(f"unknown time zone {row['timezone']!r}") from None
        locales = [c.strip() for c in row["locales"].replace(";", ",").split(",") if c.strip()]
        bad = [c for c in locales if c not in SUPPORTED_LOCALES]
        if not locales or bad:
            raise RowError(f"locales must be among {', '.join(SUPPORTED_LOCALES)}")
        sender = row.get("sms_sender_id") or None
        if sender and len(sender) > 11 and not sender.isdigit():
            raise RowError("an alphanumeric sender id has at most 11 characters")
        channel = (row.get("channel") or "").strip().lower() or None
        if channel and not CHANNEL_NAME.match(channel):
            raise RowError(f"bad channel name {row['channel']!r}")
        m = session.scalar(select(Municipality).where(Municipality.code == code))
        created = m is None
        if created:
            m = Municipality(code=code)
            session.add(m)
        m.name, m.region, m.timezone = row["name"], region, row["timezone"]
        m.locales, m.sms_sender_id = ",".join(locales), sender
        if "channel" in row:
            m.channel = channel if channel != DEFAULT_CHANNEL else None
        session.flush()
        for channel, column in (("ussd", "ussd_codes"), ("sms", "sms_codes")):
            wanted = set(_codes(row.get(column, "")))
            have = {
                sc.code: sc
                for sc in session.scalars(
                    select(ServiceCode).where(
                        ServiceCode.municipality_id == m.id, ServiceCode.channel == channel
                    )
                )
            }
            for gone in set(have) - wanted:
                session.delete(have[gone])
            for new in wanted - set(have):
                session.add(ServiceCode(channel=channel, code=new, municipality_id=m.id))
        return created

    return _run(session, handle, ("code", "name", "region", "timezone", "locales"), apply_row)


def _municipality(session, code: str) -> Municipality:
    if not code.strip():
        raise RowError("municipality is empty", field="municipality")
    with raised_as(RowError):
        return routing.get_municipality(session, code)


def import_wards(session, handle) -> ImportReport:
    """Columns: municipality,number,name."""

    def apply_row(row: dict) -> bool:
        m = _municipality(session, row["municipality"])
        if not row["number"].isdigit() or not 0 < int(row["number"]) < 10000:
            raise RowError(f"ward number {row['number']!r} is not a number from 1 to 9999")
        if not row["name"] or len(row["name"]) > 120:
            raise RowError("name is empty or longer than 120 characters")
        number = int(row["number"])
        ward = session.scalar(select(Ward).where(Ward.municipality_id == m.id, Ward.number == number))
        created = ward is None
        if created:
            ward = Ward(municipality_id=m.id, number=number)
            session.add(ward)
        ward.name = row["name"]
        return created

    return _run(session, handle, ("municipality", "number", "name"), apply_row)


def _whole(row: dict, column: str, low: int, high: int) -> int | None:
    """An optional whole number from `low` to `high` (None when empty)."""
    value = row.get(column) or ""
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise RowError(f"{column} must be a whole number from {low} to {high}")
    return int(value)


TARGET_HOURS_MAX = 24 * 365
"""The longest target in hours an import accepts (a year)."""
TARGET_DAYS_MAX = 365
"""The longest target in working days an import accepts."""
WINDOW_HOURS_MAX = 24 * 90
"""The longest duplicate window an import accepts (90 days)."""


def import_categories(session, handle) -> ImportReport:
    """Columns: municipality,code,position[,active][,label_en,label_af,...] and optionally
    department (a department's name; empty: none), target_hours or target_working_days (the
    service target; at most one per row), duplicate_window_hours (empty: 48). A file
    without one of these columns leaves that setting of each category as it is."""

    def apply_row(row: dict) -> bool:
        m = _municipality(session, row["municipality"])
        code = row["code"].lower()
        if not code or len(code) > 32 or not code.replace("_", "").isalnum():
            raise RowError(f"category code {row['code']!r} must be a short word")
        position = row.get("position") or "0"
        if not position.lstrip("-").isdigit():
            raise RowError("position must be a whole number")
        labels = {
            key[len("label_") :]: value for key, value in row.items() if key.startswith("label_") and value
        }
        if any(len(v) > 40 for v in labels.values()):
            raise RowError("a label is longer than 40 characters")
        department = None
        if row.get("department"):
            department = find_department(session, m.id, row["department"])
            if department is None:
                raise RowError(f"no department {row['department']!r} in {m.name}: import departments first")
        hours = _whole(row, "target_hours", 1, TARGET_HOURS_MAX)
        days = _whole(row, "target_working_days", 1, TARGET_DAYS_MAX)
        if hours and days:
            raise RowError("give target_hours or target_working_days, not both")
        window = _whole(row, "duplicate_window_hours", 1, WINDOW_HOURS_MAX)
        category = session.scalar(
            select(Category).where(Category.municipality_id == m.id, Category.code == code)
        )
        created = category is None
        if created:
            category = Category(municipality_id=m.id, code=code)
            session.add(category)
        category.position = int(position)
        category.active = (row.get("active") or "yes").lower() not in ("no", "false", "0")
        category.labels = labels
        if "department" in row:
            category.department_id = department.id if department else None
        if "target_hours" in row or "target_working_days" in row:
            category.target_hours, category.target_working_days = hours, days
        if "duplicate_window_hours" in row:
            category.duplicate_window_hours = window or 48
        return created

    return _run(session, handle, ("municipality", "code"), apply_row)


def import_departments(session, handle) -> ImportReport:
    """Columns: municipality,name[,supervisor_name][,supervisor_phone] (the supervisor is
    told by SMS of overdue tickets; the phone is read with the municipality's region)."""

    def apply_row(row: dict) -> bool:
        m = _municipality(session, row["municipality"])
        try:
            _, created = save_department(
                session,
                m,
                row["name"],
                supervisor_name=row.get("supervisor_name"),
                supervisor_phone=row.get("supervisor_phone"),
            )
        except DomainError as exc:
            raise RowError(exc.message, field=exc.field) from None
        return created

    return _run(session, handle, ("municipality", "name"), apply_row)
