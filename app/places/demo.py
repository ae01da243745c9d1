"""Demo data: two sample municipalities (one South African, one Ghanaian) with their wards,
departments, categories (each with a department and a service target) and an outage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from app.models import Municipality, Outage, OutageWard, Ward, utcnow
from app.places.importers import import_categories, import_departments, import_municipalities, import_wards

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
"""The CSV files the demo loads, in the format `wardlink ... import` takes."""


def load_demo(session) -> bool:
    """Load the demo once; returns False when municipalities already exist."""
    if session.scalar(select(func.count()).select_from(Municipality)):
        return False
    for name, importer in (
        ("municipalities.csv", import_municipalities),
        ("wards.csv", import_wards),
        ("departments.csv", import_departments),
        ("categories.csv", import_categories),
    ):
        with (DEMO_DIR / name).open(newline="", encoding="utf-8") as handle:
            importer(session, handle)
    saldanha = session.scalar(select(Municipality).where(Municipality.code == "saldanha"))
    ward = session.scalar(select(Ward).where(Ward.municipality_id == saldanha.id, Ward.number == 3))
    now = utcnow()
    outage = Outage(
        municipality_id=saldanha.id,
        service="water",
        status="active",
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now + dt.timedelta(hours=6),
    )
    planned = Outage(
        municipality_id=saldanha.id,
        service="electricity",
        status="planned",
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1, hours=4),
    )
    session.add_all([outage, planned])
    session.flush()
    session.add_all(
        [OutageWard(outage_id=outage.id, ward_id=ward.id), OutageWard(outage_id=planned.id, ward_id=ward.id)]
    )
    session.commit()
    return True
