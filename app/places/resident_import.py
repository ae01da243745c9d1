"""Bulk import of residents from CSV: streamed, batched upserts, bad rows reported by line.

`wardlink residents import FILE.csv` takes files of any size in bounded memory: the file is
read line by line, only the municipalities and their wards are cached, and each batch of
about 5,000 rows is written with one INSERT ... ON CONFLICT DO UPDATE and committed (the
one service that commits: a file of a million rows is not one transaction). The command is in
`app/cli/residents.py`.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Boolean, bindparam, case, false, func, literal_column, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from app.core.phones import PhoneError, normalise_phone
from app.errors import NotFoundError
from app.models import Resident, utcnow
from app.places.importers import RowError
from app.places.municipalities import get_municipality, wards_by_number

log = logging.getLogger(__name__)

COLUMNS = ("municipality", "phone", "ward", "language", "subscribed")
"""The columns the file may have; the first three are required."""

REQUIRED = ("municipality", "phone", "ward")
"""Columns without which the file is refused outright."""

BATCH_ROWS = 5000
"""Distinct residents per upsert and per commit."""

MAX_REPORTED_ERRORS = 1000
"""Rejected rows kept (and printed) individually; beyond this only the count grows."""

YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})

_MAX_CACHED_MISSES = 10_000
"""Unknown municipality codes remembered (a file full of junk codes cannot grow the cache)."""


@dataclass
class ResidentImportReport:
    """What a resident import did; `errors` holds at most MAX_REPORTED_ERRORS rejected rows."""

    imported: int = 0
    """Good rows written (a phone repeated in the file counts each time)."""
    created: int = 0
    """Residents that did not exist before."""
    updated: int = 0
    """Good rows that updated an existing resident (imported = created + updated)."""
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) of the first MAX_REPORTED_ERRORS rejected rows."""
    seconds: float = 0.0

    def reject(self, line: int, reason: str) -> None:
        """Count a bad row; keep its line and reason while under the cap."""
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, reason))

    @property
    def unreported(self) -> int:
        """Rejected rows beyond the ones kept in `errors`."""
        return self.rejected - len(self.errors)

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.imported} imported ({self.created} new, {self.updated} updated), {self.rejected} rejected"
        )


# --- reading -----------------------------------------------------------------------------------


class _Source:
    """Lines of the CSV as text, counting what has been consumed (for the progress bar)."""

    def __init__(self, path_or_handle) -> None:
        self._owned = None
        self.total: int | None = None
        if isinstance(path_or_handle, (str, os.PathLike)):
            if os.fspath(path_or_handle) == "-":
                handle = sys.stdin.buffer
            else:
                handle = self._owned = open(path_or_handle, "rb")  # closed in close()
                self.total = os.fstat(handle.fileno()).st_size
        else:
            handle = path_or_handle
            try:
                if handle.seekable():
                    here = handle.tell()
                    self.total = handle.seek(0, io.SEEK_END) - here
                    handle.seek(here)
            except (AttributeError, OSError, ValueError):
                self.total = None
        self._handle = handle
        self.consumed = 0

    def lines(self) -> Iterator[str]:
        """Decoded lines (a BOM is dropped; undecodable bytes become U+FFFD)."""
        first = True
        for raw in self._handle:
            self.consumed += len(raw)
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            yield text

    def close(self) -> None:
        """Close the file if we opened it."""
        if self._owned is not None:
            self._owned.close()


# --- writing -----------------------------------------------------------------------------------


def _upsert_statement(session):
    """INSERT ... ON CONFLICT (municipality_id, phone) DO UPDATE, written once per batch.

    Compiled once and cached; each batch is one executemany of it with rows unique per key, so
    no statement ever updates a row twice, even where the driver folds the rows into multi-row
    VALUES (psycopg with RETURNING, psycopg2). On PostgreSQL it returns `xmax = 0` per row: true
    for a row it inserted, which counts new residents exactly.
    """
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        insert = pg_dialect.insert
    elif dialect == "sqlite":
        insert = sqlite_dialect.insert
    else:
        raise RuntimeError(f"resident import supports PostgreSQL and SQLite, not {dialect}")
    table = Resident.__table__
    stmt = insert(table).values(opted_out=false())
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.municipality_id, table.c.phone],
        set_={
            "ward_id": excluded.ward_id,
            # An empty language column keeps the language the resident has.
            "locale": func.coalesce(excluded.locale, table.c.locale),
            # An empty subscribed column keeps the resident's own choice (someone who sent
            # LEAVE stays out); an explicit yes or no from staff applies.
            "subscribed": case(
                (bindparam("keep_subscription", type_=Boolean), table.c.subscribed), else_=excluded.subscribed
            ),
            "updated_at": excluded.updated_at,
        },
    )
    if dialect == "postgresql":
        stmt = stmt.returning(literal_column("xmax = 0", Boolean))
    return stmt


def _existing(session, keys) -> int:
    """How many of the (municipality id, phone) keys already have a resident row (SQLite)."""
    by_municipality: dict[int, list[str]] = {}
    for municipality_id, phone in keys:
        by_municipality.setdefault(municipality_id, []).append(phone)
    found = 0
    for municipality_id, phones in by_municipality.items():
        for start in range(0, len(phones), 900):  # under the bound-parameter limit of any SQLite
            found += session.scalar(
                select(func.count())
                .select_from(Resident)
                .where(
                    Resident.municipality_id == municipality_id,
                    Resident.phone.in_(phones[start : start + 900]),
                )
            )
    return found


def _write(session, upsert, batch: dict[tuple[int, str], tuple]) -> int:
    """Upsert one batch and commit; returns how many residents it created."""
    now = utcnow()
    rows = [
        {
            "municipality_id": key[0],
            "phone": key[1],
            "ward_id": ward_id,
            "locale": locale,
            "subscribed": True if subscribed is None else subscribed,
            "keep_subscription": subscribed is None,
            "created_at": now,
            "updated_at": now,
        }
        for key, (ward_id, locale, subscribed) in batch.items()
    ]
    if session.bind.dialect.name == "postgresql":
        created = sum(1 for inserted in session.scalars(upsert, rows) if inserted)
    else:
        # SQLite cannot tell an insert from an update in RETURNING: count the keys first
        # (SQLite serialises writers, so nothing slips in between).
        created = len(rows) - _existing(session, batch)
        session.execute(upsert, rows)
    session.commit()
    return created


# --- the import --------------------------------------------------------------------------------


class _Lookups:
    """Municipalities by code and wards by number, loaded once each."""

    def __init__(self, session) -> None:
        self.session = session
        self.municipalities: dict[str, tuple[int, str, frozenset[str]] | None] = {}
        self.wards: dict[int, dict[int, int]] = {}
        self._misses = 0

    def municipality(self, code: str) -> tuple[int, str, frozenset[str]] | None:
        """(id, region, locales) of the municipality with `code`, or None."""
        if code in self.municipalities:
            return self.municipalities[code]
        try:
            m = get_municipality(self.session, code)
        except NotFoundError:
            m = None
        found = (m.id, m.region, frozenset(m.locale_list)) if m is not None else None
        if found is not None or self._misses < _MAX_CACHED_MISSES:
            self._misses += found is None
            self.municipalities[code] = found
        return found

    def ward(self, municipality_id: int, number: int) -> int | None:
        """The id of ward `number` of the municipality, or None."""
        wards = self.wards.get(municipality_id)
        if wards is None:
            wards = self.wards[municipality_id] = wards_by_number(self.session, municipality_id)
        return wards.get(number)


def _parse_row(lookups: _Lookups, fields: list[str], index: dict[str, int]) -> tuple:
    """((municipality id, phone), ward id, locale or None, subscribed), or RowError."""

    def value(name: str) -> str:
        i = index.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    code = value("municipality").lower()
    if not code:
        raise RowError("municipality is empty")
    municipality = lookups.municipality(code)
    if municipality is None:
        raise RowError(f"unknown municipality {code[:40]!r}")
    municipality_id, region, locales = municipality
    try:
        phone = normalise_phone(value("phone"), region)
    except PhoneError as exc:
        # The number itself is not repeated: the line number finds it.
        raise RowError(f"phone number not usable in {region}: {exc}") from None
    ward_text = value("ward")
    if not ward_text.isascii() or not ward_text.isdigit():
        raise RowError(f"ward {ward_text[:20]!r} is not a ward number")
    ward_id = lookups.ward(municipality_id, int(ward_text))
    if ward_id is None:
        raise RowError(f"{code} has no ward {int(ward_text)}")
    locale = value("language").lower() or None
    if locale is not None and locale not in locales:
        raise RowError(f"language {locale[:20]!r} is not offered by {code} ({', '.join(sorted(locales))})")
    subscribed_text = value("subscribed").lower()
    if not subscribed_text:
        subscribed = None  # new residents are subscribed; existing ones keep their choice
    elif subscribed_text in YES:
        subscribed = True
    elif subscribed_text in NO:
        subscribed = False
    else:
        raise RowError(f"subscribed {subscribed_text[:20]!r} must be yes or no")
    return (municipality_id, phone), ward_id, locale, subscribed


Progress = Callable[[int, "int | None"], None]
"""Called after each batch with (bytes read so far, size of the file or None)."""


def import_residents(session, path_or_handle, progress: Progress | None = None) -> ResidentImportReport:
    """Upsert residents from a CSV file (a path, "-" for stdin, or an open text/binary handle).

    Columns: municipality,phone,ward[,language][,subscribed]. Bad rows are counted and the
    first MAX_REPORTED_ERRORS kept with their line numbers; good rows are written in batches,
    each committed. `progress` (a face's progress bar) hears of each batch. Raises RowError
    when the header lacks a required column.
    """
    started = time.monotonic()
    report = ResidentImportReport()
    source = _Source(path_or_handle)
    upsert = _upsert_statement(session)
    lookups = _Lookups(session)
    batch: dict[tuple[int, str], tuple[int, str | None, bool]] = {}
    rows_in_batch = 0

    def flush() -> None:
        nonlocal batch, rows_in_batch
        if batch:
            new = _write(session, upsert, batch)
            report.created += new
            report.updated += rows_in_batch - new
            report.imported += rows_in_batch
        batch = {}
        rows_in_batch = 0
        if progress is not None:
            progress(source.consumed, source.total)

    try:
        reader = csv.reader(source.lines())
        header = next(reader, None)
        if header is None:
            raise RowError("the file is empty")
        names = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise RowError("missing columns: " + ", ".join(missing))
        index = {name: names.index(name) for name in COLUMNS if name in names}
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # an oversized field, or a quote never closed
                report.reject(reader.line_num, f"unreadable CSV: {exc}")
                continue
            if not fields or not any(f.strip() for f in fields):
                continue
            try:
                key, ward_id, locale, subscribed = _parse_row(lookups, fields, index)
            except RowError as exc:
                report.reject(reader.line_num, str(exc))
                continue
            # The last occurrence of a phone in the batch wins (one row per key per statement).
            batch[key] = (ward_id, locale, subscribed)
            rows_in_batch += 1
            if len(batch) >= BATCH_ROWS:
                flush()
        flush()
    except BaseException:
        session.rollback()
        raise
    finally:
        source.close()
    report.seconds = time.monotonic() - started
    log.info("resident import: %s in %.1f s", report.summary(), report.seconds)
    return report
