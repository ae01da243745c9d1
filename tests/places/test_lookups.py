"""The one lookup of a municipality by code and of wards by number."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import InvalidError, NotFoundError
from app.extensions import db
from app.models import Municipality, Ward
from app.places.municipalities import get_municipality, ward_ids_by_number


def test_a_municipality_by_code(ctx, demo):
    assert get_municipality(db.session(), " Saldanha ").code == "saldanha"
    with pytest.raises(NotFoundError, match="unknown municipality 'nowhere'") as missing:
        get_municipality(db.session(), "nowhere")
    assert (missing.value.code, missing.value.field) == ("not_found", "municipality")
    with pytest.raises(InvalidError, match="several municipalities") as vague:
        get_municipality(db.session(), None)
    assert vague.value.field == "municipality"


def test_no_code_needed_in_a_deployment_of_one(ctx):
    session = db.session()
    with pytest.raises(NotFoundError):
        get_municipality(session, None)
    session.add(
        Municipality(code="solo", name="Solo", region="ZA", timezone="Africa/Johannesburg", locales="en")
    )
    session.flush()
    assert get_municipality(session, None).code == "solo"
    assert get_municipality(session, "").code == "solo"


def test_wards_by_number(ctx, demo):
    session = db.session()
    saldanha = get_municipality(session, "saldanha")
    ids = dict(session.execute(select(Ward.number, Ward.id).where(Ward.municipality_id == saldanha.id)).all())
    assert ward_ids_by_number(session, saldanha, "5, 3,5") == [ids[5], ids[3]]
    assert ward_ids_by_number(session, saldanha, [3]) == [ids[3]]
    for bad in ("", "3,x", "-3", [], [0], ["3"], [True]):
        with pytest.raises(InvalidError) as refused:
            ward_ids_by_number(session, saldanha, bad)
        assert (refused.value.code, refused.value.field) == ("invalid", "wards")
    with pytest.raises(NotFoundError, match="no ward 98, 99 in Saldanha Bay") as missing:
        ward_ids_by_number(session, saldanha, "3,98,99")
    assert missing.value.field == "wards"
