"""Staff users: passwords kept only as hashes, roles checked against who grants them,
sign-in with a lock-out that parallel guesses cannot get past."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError
from app.extensions import db
from app.models import AuditEntry, StaffRoleGrant, StaffUser
from app.staff import users
from app.staff.principals import ForbiddenError, Grant, Principal, cli_principal
from app.vocabulary import ActorKind, StaffRole
from tests.staff.conftest import PASSWORD

T0 = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


def _admin_of(municipality_id: int) -> Principal:
    return Principal(ActorKind.USER, 999, "admin@example.org", (Grant(StaffRole.ADMIN, municipality_id),))


def _make(session, email="Thandi@Saldanha.gov.za", role="admin", **scope) -> StaffUser:
    scope.setdefault("municipality", None if role == "platform" else "saldanha")
    user = users.create_user(
        session,
        cli_principal(),
        email=email,
        name=" Thandi   Mokoena ",
        password=PASSWORD,
        role=role,
        **scope,
    )
    session.commit()
    return user


def test_the_password_is_stored_only_as_a_salted_hash(session):
    user = _make(session)
    other = _make(session, email="other@saldanha.gov.za")
    assert user.email == "thandi@saldanha.gov.za" and user.name == "Thandi Mokoena"
    assert user.password_hash.startswith("scrypt:")
    assert user.password_hash != other.password_hash  # salted
    with db.engine.connect() as conn:  # nowhere in the row, as stored
        row = conn.execute(text("SELECT * FROM staff_users WHERE id = :id"), {"id": user.id}).one()
        audit = conn.execute(text("SELECT * FROM audit_log")).all()
    assert not any(PASSWORD in str(value) for value in row)
    assert not any(PASSWORD in str(value) or "scrypt" in str(value) for entry in audit for value in entry)


@pytest.mark.parametrize("password", ["short", "", None, "x" * 257])
def test_password_length(session, password):
    with pytest.raises(users.StaffError, match="10 to 256") as caught:
        users.create_user(
            session, cli_principal(), email="a@b.org", name="A", password=password, role="admin"
        )
    assert caught.value.field == "password"


def test_email_is_unique_whatever_its_case(session):
    _make(session)
    with pytest.raises(users.StaffError, match="already has an account") as caught:
        _make(session, email="THANDI@saldanha.gov.za ")
    assert caught.value.code == "conflict"
    with pytest.raises(users.StaffError, match="not an email"):
        _make(session, email="thandi at saldanha")


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        ("platform", {"municipality": "saldanha"}, "spans every municipality"),
        ("admin", {"ward": 3}, "has no ward"),
        ("agent", {"department": 4}, "has no department"),
        ("department", {}, "needs its department"),
        ("department", {"department": 0}, "positive"),
        ("councillor", {}, "needs its ward"),
        ("councillor", {"ward": 99}, "no ward 99"),
        ("mayor", {}, "unknown role"),
        ("admin", {"municipality": "atlantis"}, "unknown municipality"),
    ],
)
def test_a_role_is_scoped_by_what_it_names(session, role, scope, message):
    with pytest.raises(users.StaffError, match=message):
        _make(session, role=role, **scope)


def test_the_database_holds_the_scope_too(session, places):
    user = _make(session)
    with pytest.raises(IntegrityError, match="ck_staff_roles_scope"):
        with db.engine.begin() as conn:  # raw SQL: a councillor role without its ward
            conn.execute(
                text(
                    "INSERT INTO staff_roles (user_id, municipality_id, role, created_at)"
                    " VALUES (:u, :m, 'councillor', '2026-12-08 09:00:00')"
                ),
                {"u": user.id, "m": places.saldanha},
            )


def test_who_may_make_and_change_users(session, places):
    stma_admin = _admin_of(places.stma)
    agent = Principal(ActorKind.USER, 998, "agent", (Grant(StaffRole.AGENT, places.saldanha),))
    for actor in (stma_admin, agent):
        with pytest.raises(ForbiddenError):
            users.create_user(
                session,
                actor,
                email="x@y.org",
                name="X",
                password=PASSWORD,
                role="agent",
                municipality="saldanha",
            )
    with pytest.raises(ForbiddenError):  # only the platform makes platform admins
        users.create_user(
            session, _admin_of(places.saldanha), email="x@y.org", name="X", password=PASSWORD, role="platform"
        )
    session.rollback()
    user = users.create_user(
        session,
        _admin_of(places.saldanha),
        email="x@y.org",
        name="X",
        password=PASSWORD,
        role="agent",
        municipality="saldanha",
    )
    users.grant_role(session, cli_principal(), "x@y.org", "agent", "stma")
    session.commit()
    # An admin of Saldanha alone may not disable someone who also works for Sekondi-Takoradi.
    with pytest.raises(ForbiddenError):
        users.disable_user(session, _admin_of(places.saldanha), "x@y.org")
    users.revoke_role(session, _admin_of(places.stma), "x@y.org", "agent", "stma")
    users.disable_user(session, _admin_of(places.saldanha), "x@y.org")
    session.commit()
    assert not user.active and [r.role for r in user.roles] == [StaffRole.AGENT]


def test_a_user_may_set_its_own_password(session):
    user = _make(session, role="agent")
    me = Principal(ActorKind.USER, user.id, user.email, ())
    users.set_password(session, me, user.email, "a new long password")
    session.commit()
    assert users.authenticate(session, user.email, "a new long password").id == user.id
    someone = Principal(ActorKind.USER, user.id + 1, "someone", ())
    with pytest.raises(ForbiddenError):
        users.set_password(session, someone, user.email, "another long password")


def test_grant_again_moves_the_ward_and_revoke(session, places):
    user = _make(session, role="councillor", ward=3)
    users.grant_role(session, cli_principal(), user.email, "councillor", "saldanha", ward=4)
    session.commit()
    assert [(r.role, r.ward_id) for r in user.roles] == [(StaffRole.COUNCILLOR, places.ward4)]
    users.grant_role(session, cli_principal(), user.email, "platform")
    session.commit()
    assert {r.role for r in user.roles} == {StaffRole.COUNCILLOR, StaffRole.PLATFORM}
    users.revoke_role(session, cli_principal(), user.email, "councillor", "saldanha")
    session.commit()
    with pytest.raises(users.StaffError, match="has no councillor role") as caught:
        users.revoke_role(session, cli_principal(), user.email, "councillor", "saldanha")
    assert caught.value.code == "not_found"
    assert session.scalars(select(StaffRoleGrant.role)).all() == [StaffRole.PLATFORM]


def test_list_users_shows_what_the_actor_administers(session, places):
    _make(session, email="a@saldanha.gov.za")
    _make(session, email="b@stma.gov.gh", municipality="stma")
    _make(session, email="p@province.gov.za", role="platform")
    assert [u.email for u in users.list_users(session, cli_principal())] == [
        "a@saldanha.gov.za",
        "b@stma.gov.gh",
        "p@province.gov.za",
    ]
    assert [u.email for u in users.list_users(session, _admin_of(places.stma))] == ["b@stma.gov.gh"]
    assert [u.email for u in users.list_users(session, cli_principal(), "saldanha")] == ["a@saldanha.gov.za"]
    assert users.list_users(session, _admin_of(places.stma), "saldanha") == []


# --- signing in -----------------------------------------------------------------------------


def test_sign_in_gives_the_user_with_its_roles(session, places):
    user = _make(session, role="department", department=7)
    principal = users.authenticate(session, "THANDI@saldanha.gov.za", PASSWORD, now=T0)
    assert principal.kind == ActorKind.USER and principal.id == user.id
    assert principal.grants == (Grant(StaffRole.DEPARTMENT, places.saldanha, 7),)
    session.refresh(user)
    assert user.last_login_at == T0


def test_unknown_wrong_and_disabled_all_answer_alike(session):
    user = _make(session)
    answers = []
    for email, password in [("nobody@x.org", PASSWORD), (user.email, "wrong password!"), ("", "")]:
        with pytest.raises(users.LoginError) as caught:
            users.authenticate(session, email, password)
        answers.append((caught.value.code, caught.value.message))
    users.disable_user(session, cli_principal(), user.email)
    session.commit()
    with pytest.raises(users.LoginError) as caught:
        users.authenticate(session, user.email, PASSWORD)
    answers.append((caught.value.code, caught.value.message))
    assert set(answers) == {("login_failed", "wrong email or password")}


def test_five_failures_lock_for_fifteen_minutes(session):
    user = _make(session)
    for attempt in range(1, 5):
        with pytest.raises(users.LoginError, match="wrong email or password"):
            users.authenticate(session, user.email, "wrong password!", now=T0)
        session.refresh(user)
        assert user.failed_logins == attempt and user.locked_until is None
    with pytest.raises(users.LoginError) as caught:  # the fifth locks, and says so
        users.authenticate(session, user.email, "wrong password!", now=T0)
    assert caught.value.code == "locked"
    session.refresh(user)
    assert user.locked_until == T0 + dt.timedelta(minutes=15)
    assert users.user_status(user, now=T0).startswith("locked until")
    with pytest.raises(users.LoginError) as caught:  # even the right password, while locked
        users.authenticate(session, user.email, PASSWORD, now=T0 + dt.timedelta(minutes=14))
    assert caught.value.code == "locked"
    session.refresh(user)
    assert user.failed_logins == 5  # a refused attempt is not counted
    # Once the lock runs out: a fresh count, and the right password gets in.
    assert users.authenticate(session, user.email, PASSWORD, now=T0 + dt.timedelta(minutes=15)).id == user.id
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_the_limits_are_settings(app, settings, demo):
    from tests.conftest import make_app

    strict = make_app(settings, STAFF_LOGIN_ATTEMPTS=2, STAFF_LOCKOUT_MINUTES=1)
    with strict.app_context():
        session = db.session()
        user = _make(session)
        with pytest.raises(users.LoginError, match="wrong"):
            users.authenticate(session, user.email, "wrong password!", now=T0)
        with pytest.raises(users.LoginError, match="try again later"):
            users.authenticate(session, user.email, "wrong password!", now=T0)
        session.refresh(user)
        assert user.locked_until == T0 + dt.timedelta(minutes=1)
        db.session.remove()


def test_the_right_password_resets_the_count(session):
    user = _make(session)
    for _ in range(4):
        with pytest.raises(users.LoginError):
            users.authenticate(session, user.email, "wrong password!", now=T0)
    users.authenticate(session, user.email, PASSWORD, now=T0)
    session.refresh(user)
    assert user.failed_logins == 0


def test_parallel_guesses_cannot_get_past_the_limit(app, session):
    user = _make(session)
    db.session.remove()
    guesses = 12
    start = threading.Barrier(guesses)
    answers: list[str] = []

    def guess() -> None:
        with app.app_context():
            start.wait()
            try:
                users.authenticate(db.session(), user.email, "wrong password!")
            except users.LoginError as exc:
                answers.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Each guess was counted before its password was checked: four were "wrong", the fifth
    # locked the account, and the seven others were refused unchecked.
    assert sorted(answers) == ["locked"] * 8 + ["login_failed"] * 4
    with db.engine.connect() as conn:
        failed, locked_until = conn.execute(
            text("SELECT failed_logins, locked_until FROM staff_users WHERE id = :id"), {"id": user.id}
        ).one()
    assert failed == 5 and locked_until is not None
    with pytest.raises(users.LoginError) as caught:
        users.authenticate(db.session(), user.email, PASSWORD)
    assert caught.value.code == "locked"


def test_every_change_is_audited_with_before_and_after(session, places):
    user = _make(session)
    users.grant_role(session, cli_principal(), user.email, "councillor", "saldanha", ward=3)
    users.disable_user(session, cli_principal(), user.email)
    users.set_password(session, cli_principal(), user.email, "a new long password")
    session.commit()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "staff_user.create",
        "staff_user.grant_role",
        "staff_user.disable",
        "staff_user.set_password",
    ]
    assert all(e.actor_kind == ActorKind.CLI and e.actor_label.startswith("cli:") for e in entries)
    assert all((e.record_type, e.record_id) == ("staff_users", str(user.id)) for e in entries)
    assert all(e.municipality_id == places.saldanha for e in entries)
    created, granted, disabled, password = entries
    admin = {"role": "admin", "municipality_id": places.saldanha, "department_id": None, "ward_id": None}
    assert created.before is None
    assert created.after == {
        "email": "thandi@saldanha.gov.za",
        "name": "Thandi Mokoena",
        "active": True,
        "roles": [admin],
    }
    councillor = {**admin, "role": "councillor", "ward_id": places.ward3}
    assert granted.before["roles"] == [admin] and granted.after["roles"] == [admin, councillor]
    assert (disabled.before["active"], disabled.after["active"]) == (True, False)
    assert password.after["password"] == "changed"
    assert "scrypt" not in str(password.before) + str(password.after)


def test_a_refused_change_leaves_no_audit_row(session, places):
    _make(session)
    session.execute(text("DELETE FROM audit_log"))
    session.commit()
    with pytest.raises(ForbiddenError):
        users.disable_user(session, _admin_of(places.stma), "thandi@saldanha.gov.za")
    with pytest.raises(DomainError):
        users.grant_role(
            session, cli_principal(), "thandi@saldanha.gov.za", "councillor", "saldanha", ward=99
        )
    session.commit()
    assert session.scalars(select(AuditEntry)).all() == []
