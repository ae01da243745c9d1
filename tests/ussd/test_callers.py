"""The dial's one lookup: resident profile and councillor card of a number (run on
PostgreSQL too when WARDLINK_TEST_DATABASE_URL names one, as CI does)."""

from __future__ import annotations

from sqlalchemy import select

from app.broadcasts.councillors import add_councillor, disable_councillor
from app.extensions import db
from app.models import Municipality
from app.places.residents import save_profile
from app.ussd.callers import lookup_caller

PHONE = "+27821234567"


def _mid(code: str) -> int:
    return db.session.scalar(select(Municipality.id).where(Municipality.code == code))


def _lookup(mid: int, phone: str = PHONE):
    with db.reader.connect() as connection:
        return lookup_caller(connection, mid, phone)


def test_nobody_known(ctx, demo):
    assert _lookup(_mid("saldanha")) == (None, None)
    assert _lookup(999_999) == (None, None)  # no such municipality


def test_resident_only_then_councillor_too(ctx, demo):
    sal, stma = _mid("saldanha"), _mid("stma")
    save_profile(db.session(), sal, PHONE, "locale", "af")
    profile, card = _lookup(sal)
    assert card is None
    assert profile["locale"] == "af" and profile["ward"] is None and profile["subscribed"] is False
    save_profile(db.session(), sal, PHONE, "ward", _ward_id(sal, 3))
    add_councillor(db.session(), "saldanha", 5, "Cllr T. Mokoena", "0821234567", "2468")
    db.session.commit()  # services leave the commit to their caller
    profile, card = _lookup(sal)
    assert profile["ward"]["number"] == 3 and profile["id"] is not None
    assert card["name"] == "Cllr T. Mokoena" and card["ward"]["number"] == 5
    assert _lookup(stma) == (None, None)  # another council knows nothing of them


def test_councillor_only_and_disabled(ctx, demo):
    sal = _mid("saldanha")
    add_councillor(db.session(), "saldanha", 3, "Cllr T. Mokoena", "0821234567", "2468")
    db.session.commit()
    profile, card = _lookup(sal)
    assert profile is None and card["ward"]["number"] == 3
    disable_councillor(db.session(), "saldanha", "0821234567")
    db.session.commit()
    assert _lookup(sal) == (None, None)


def _ward_id(mid: int, number: int) -> int:
    from app.models import Ward

    return db.session.scalar(select(Ward.id).where(Ward.municipality_id == mid, Ward.number == number))


def test_the_lookup_connection_leaves_the_pool_transactional(ctx, demo):
    """On PostgreSQL the lookup connection autocommits; the connection goes back to the
    shared pool, and the session's next transaction must still be one transaction."""
    for _ in range(3):  # the pool hands the same connection around
        _lookup(_mid("saldanha"))
        dbapi = db.session.connection().connection.dbapi_connection
        if db.engine.dialect.name == "postgresql":
            assert dbapi.autocommit is False
        else:
            assert dbapi.isolation_level is not None  # pysqlite's transactional mode
        db.session.rollback()
        db.session.remove()
