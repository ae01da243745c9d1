"""API keys: shown once, stored hashed, refused once revoked, last use recorded sparingly."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select, text

from app.errors import ConflictError
from app.extensions import db
from app.models import ApiKey, AuditEntry
from app.staff import keys
from app.staff.audit import list_audit, record_audit
from app.staff.principals import ForbiddenError, Grant, Principal, cli_principal
from app.vocabulary import ActorKind, StaffRole

T0 = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


def _admin_of(municipality_id: int) -> Principal:
    return Principal(ActorKind.USER, None, "admin@example.org", (Grant(StaffRole.ADMIN, municipality_id),))


def _key(session, role="agent", municipality="saldanha", **scope) -> tuple[ApiKey, str]:
    key, secret = keys.create_api_key(
        session, cli_principal(), name="call centre", role=role, municipality=municipality, **scope
    )
    session.commit()
    return key, secret


def test_the_key_is_shown_once_and_stored_hashed(session, places):
    key, presented = _key(session)
    assert presented.startswith(f"wl_{key.prefix}_") and len(presented) == 3 + 12 + 1 + 43
    secret = presented[len(f"wl_{key.prefix}_") :]
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": key.id}).one()
        audit = " ".join(str(v) for e in conn.execute(text("SELECT * FROM audit_log")) for v in e)
    assert secret not in " ".join(str(v) for v in row) and secret not in audit
    assert key.secret_hash not in audit and key.prefix in audit
    assert (key.role, key.municipality_id, key.created_by_id) == (StaffRole.AGENT, places.saldanha, None)
    _, again = _key(session)
    assert again != presented


def test_a_key_resolves_to_its_grant(session, places):
    _, presented = _key(session, role="councillor", ward=3)
    principal = keys.resolve_api_key(session, f"  {presented} ")
    assert principal.kind == ActorKind.API_KEY and principal.label.endswith("(call centre)")
    assert principal.grants == (Grant(StaffRole.COUNCILLOR, places.saldanha, None, places.ward3),)
    assert principal.can(StaffRole.COUNCILLOR, places.saldanha, ward_id=places.ward3)
    assert not principal.can(StaffRole.COUNCILLOR, places.saldanha, ward_id=places.ward4)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda k: None, "not an api key"),
        (lambda k: "", "not an api key"),
        (lambda k: "Bearer " + k, "not an api key"),
        (lambda k: k[:-1], "not an api key"),
        (lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), "unknown api key"),  # wrong secret
        (lambda k: k[:3] + "000000000000" + k[15:], "unknown api key"),  # unknown prefix
    ],
)
def test_a_wrong_key_is_refused(session, mangle, message):
    _, presented = _key(session)
    with pytest.raises(keys.ApiKeyError, match=message) as caught:
        keys.resolve_api_key(session, mangle(presented))
    assert caught.value.code == "unauthorized"


def test_a_revoked_key_is_refused(session):
    key, presented = _key(session)
    keys.revoke_api_key(session, cli_principal(), key.id, now=T0)
    session.commit()
    with pytest.raises(keys.ApiKeyError, match="revoked"):
        keys.resolve_api_key(session, presented)
    with pytest.raises(ConflictError, match="revoked already"):
        keys.revoke_api_key(session, cli_principal(), key.id)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.revoke")).one()
    assert (entry.before["revoked_at"], entry.after["revoked_at"]) == (None, T0.isoformat())


def test_last_use_is_recorded_at_most_once_a_minute(session):
    key, presented = _key(session)

    def last_used():
        session.commit()
        return session.scalar(
            select(ApiKey.last_used_at).where(ApiKey.id == key.id).execution_options(populate_existing=True)
        )

    assert last_used() is None
    keys.resolve_api_key(session, presented, now=T0)
    assert last_used() == T0
    keys.resolve_api_key(session, presented, now=T0 + dt.timedelta(seconds=59))
    assert last_used() == T0
    keys.resolve_api_key(session, presented, now=T0 + dt.timedelta(seconds=60))
    assert last_used() == T0 + dt.timedelta(seconds=60)


def test_who_may_make_list_and_revoke_keys(session, places):
    saldanha_key, _ = _key(session)
    stma_key, _ = _key(session, municipality="stma")
    platform_key, _ = _key(session, role="platform", municipality=None)
    with pytest.raises(ForbiddenError):
        keys.create_api_key(session, _admin_of(places.stma), name="x", role="agent", municipality="saldanha")
    with pytest.raises(ForbiddenError):
        keys.create_api_key(session, _admin_of(places.stma), name="x", role="platform")
    agent = Principal(ActorKind.API_KEY, 5, "agent key", (Grant(StaffRole.AGENT, places.saldanha),))
    with pytest.raises(ForbiddenError):
        keys.create_api_key(session, agent, name="x", role="agent", municipality="saldanha")
    assert [k.id for k in keys.list_api_keys(session, _admin_of(places.stma))] == [stma_key.id]
    assert [k.id for k in keys.list_api_keys(session, cli_principal())] == [
        platform_key.id,
        stma_key.id,
        saldanha_key.id,
    ]
    assert [k.id for k in keys.list_api_keys(session, cli_principal(), "saldanha")] == [saldanha_key.id]
    # Another municipality's key is not shown to exist.
    with pytest.raises(keys.StaffError, match=f"no api key {saldanha_key.id}") as caught:
        keys.revoke_api_key(session, _admin_of(places.stma), saldanha_key.id)
    assert caught.value.code == "not_found"
    keys.revoke_api_key(session, _admin_of(places.saldanha), saldanha_key.id)


def test_a_key_made_by_a_user_names_it(session, places):
    from app.staff import users
    from tests.staff.conftest import PASSWORD

    user = users.create_user(
        session,
        cli_principal(),
        email="a@saldanha.gov.za",
        name="A",
        password=PASSWORD,
        role="admin",
        municipality="saldanha",
    )
    session.commit()
    actor = users.authenticate(session, "a@saldanha.gov.za", PASSWORD)
    key, _ = keys.create_api_key(session, actor, name="field app", role="agent", municipality="saldanha")
    session.commit()
    assert key.created_by_id == user.id
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.create")).one()
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (ActorKind.USER, user.id, user.email)
    assert entry.municipality_id == places.saldanha
    assert entry.after["name"] == "field app" and entry.after["role"] == "agent"


def test_the_audit_log_is_read_by_admins_of_its_municipality(session, places):
    for municipality in ("saldanha", "stma"):
        _key(session, municipality=municipality)
    key, _ = _key(session, role="platform", municipality=None)
    record_audit(
        session,
        cli_principal(),
        "ticket.transition",
        ("tickets", "4821093"),
        {"state": "received"},
        {"state": "acknowledged"},
        municipality_id=places.saldanha,
        ip="203.0.113.9",
    )
    session.commit()
    mine = list_audit(session, _admin_of(places.saldanha))
    assert [(e.action, e.record_id) for e in mine] == [
        ("ticket.transition", "4821093"),
        ("api_key.create", mine[1].record_id),
    ]
    assert mine[0].ip == "203.0.113.9" and mine[0].before == {"state": "received"}
    agent = Principal(ActorKind.USER, 3, "agent", (Grant(StaffRole.AGENT, places.saldanha),))
    assert list_audit(session, agent) == []  # admins only
    assert len(list_audit(session, cli_principal())) == 4  # the platform reads all, its own too
    assert [e.record_id for e in list_audit(session, cli_principal(), record=("api_keys", key.id))] == [
        str(key.id)
    ]
    assert len(list_audit(session, cli_principal(), municipality="stma", limit=10)) == 1
