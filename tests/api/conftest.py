"""API fixtures: the demo municipalities, keys of every role, and tickets to work on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Department, Municipality
from app.staff import keys
from app.staff.principals import cli_principal
from tests.tickets.factories import report


def department_id(session, code: str, name: str) -> int:
    """The id of a demo department."""
    place = session.scalar(select(Municipality).where(Municipality.code == code))
    return session.scalar(
        select(Department.id).where(Department.municipality_id == place.id, Department.name == name)
    )


@pytest.fixture
def world(app, demo):
    """Keys of each role (as headers) and tickets in Saldanha Bay (wards 3 and 4) and STMA."""
    with app.app_context():
        session = db.session()
        water = department_id(session, "saldanha", "Water and Sanitation")
        roads = department_id(session, "saldanha", "Roads and Stormwater")

        def key(role, municipality="saldanha", **scope):
            row, presented = keys.create_api_key(
                session, cli_principal(), name=f"{role} key", role=role, municipality=municipality, **scope
            )
            return row, {"Authorization": f"Bearer {presented}"}

        agent_row, agent = key("agent")
        _, admin = key("admin")
        _, platform = key("platform", municipality=None)
        _, department = key("department", department=water)
        _, councillor = key("councillor", ward=3)
        _, other = key("agent", municipality="stma")
        revoked_row, revoked = key("agent")
        keys.revoke_api_key(session, cli_principal(), revoked_row.id)
        water_ward3 = report(session, category="water", ward=3)
        roads_ward4 = report(session, category="roads", ward=4, phone="+27821234568")
        ghana = report(session, code="stma", category="water", ward=1, phone="+233241234567")
        session.commit()
        world = SimpleNamespace(
            agent=agent,
            agent_key_id=agent_row.id,
            admin=admin,
            platform=platform,
            department=department,
            councillor=councillor,
            other=other,
            revoked=revoked,
            water=water_ward3.reference,
            roads=roads_ward4.reference,
            ghana=ghana.reference,
            water_department=water,
            roads_department=roads,
        )
        db.session.remove()
    return world
