"""Staff fixtures: the demo municipalities, their ids, and a session."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Ward

PASSWORD = "correct horse battery"
"""A password long enough for the rules."""


@pytest.fixture
def session(ctx, demo):
    """A session on the migrated database with the demo loaded."""
    yield db.session()
    db.session.remove()


@pytest.fixture
def places(session):
    """Ids of the demo's municipalities (Saldanha Bay, Sekondi-Takoradi) and two of
    Saldanha's wards."""
    ids = dict(session.execute(select(Municipality.code, Municipality.id)).all())
    wards = dict(
        session.execute(select(Ward.number, Ward.id).where(Ward.municipality_id == ids["saldanha"])).all()
    )
    return SimpleNamespace(saldanha=ids["saldanha"], stma=ids["stma"], ward3=wards[3], ward4=wards[4])
