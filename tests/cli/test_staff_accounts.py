"""`wardlink users`, `wardlink apikeys` and `wardlink audit` through click's runner: the key
alone on the last line, passwords never as options, every action in the audit log."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, StaffUser
from app.staff import keys, users
from app.staff.principals import os_user
from app.vocabulary import ActorKind, StaffRole

PASSWORD = "correct horse battery"


def _run(app, *args, env=None, input=None):
    result = app.test_cli_runner().invoke(args=list(args), env=env, input=input)
    return result


def _create_admin(app):
    return _run(
        app,
        "users", "create", "--email", "Admin@Saldanha.gov.za", "--name", "Thandi Mokoena",
        "--role", "admin", "--municipality", "saldanha",
        env={"WARDLINK_PASSWORD": PASSWORD},
    )  # fmt: skip


def test_users_create_from_the_environment_then_sign_in(app, demo):
    result = _create_admin(app)
    assert result.exit_code == 0, result.output
    assert result.output == "staff user admin@saldanha.gov.za created (admin@saldanha)\n"
    with app.app_context():
        principal = users.authenticate(db.session(), "admin@saldanha.gov.za", PASSWORD)
        assert principal.grants[0].role == StaffRole.ADMIN
    assert PASSWORD not in result.output


def test_the_password_is_prompted_twice_when_not_in_the_environment(app, demo):
    result = _run(
        app, "users", "create", "--email", "p@province.gov.za", "--name", "P", "--role", "platform",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    mismatch = _run(app, "users", "set-password", "p@province.gov.za", input=f"{PASSWORD}\nsomething else\n")
    assert mismatch.exit_code != 0
    with app.app_context():
        assert users.authenticate(db.session(), "p@province.gov.za", PASSWORD).id is not None


def test_domain_errors_are_one_line(app, demo):
    assert _create_admin(app).exit_code == 0
    again = _create_admin(app)
    assert again.exit_code == 1 and again.output == "Error: admin@saldanha.gov.za already has an account\n"
    councillor = _run(
        app, "users", "create", "--email", "c@saldanha.gov.za", "--name", "C", "--role", "councillor",
        "--municipality", "saldanha", env={"WARDLINK_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert (
        councillor.exit_code == 1
        and councillor.output == "Error: a councillor role needs its ward (a number)\n"
    )
    short = _run(app, "users", "set-password", "admin@saldanha.gov.za", env={"WARDLINK_PASSWORD": "short"})
    assert short.output == "Error: the password must be 10 to 256 characters\n"
    assert "Traceback" not in short.output


def test_users_list_grant_revoke_disable(app, demo):
    assert _create_admin(app).exit_code == 0
    granted = _run(
        app, "users", "grant", "admin@saldanha.gov.za", "--role", "councillor", "--municipality", "saldanha",
        "--ward", "3",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert "admin@saldanha, councillor@saldanha ward id" in granted.output
    listing = _run(app, "users", "list")
    assert listing.output.split()[:2] == ["admin@saldanha.gov.za", "active"]
    assert "Thandi Mokoena" in listing.output
    revoked = _run(app, "users", "revoke", "admin@saldanha.gov.za", "--role", "councillor", "--municipality",
                   "saldanha")  # fmt: skip
    assert revoked.output == "admin@saldanha.gov.za: admin@saldanha\n"
    assert (
        _run(app, "users", "disable", "ADMIN@saldanha.gov.za").output
        == "staff user admin@saldanha.gov.za disabled\n"
    )
    assert " disabled " in _run(app, "users", "list", "--municipality", "saldanha").output
    assert _run(app, "users", "list", "--municipality", "stma").output == "no staff users\n"
    assert _run(app, "users", "enable", "admin@saldanha.gov.za").exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(StaffUser.active))


def test_apikeys_create_prints_the_key_alone_on_its_last_line_once(app, demo):
    created = _run(
        app, "apikeys", "create", "--municipality", "saldanha", "--role", "agent", "--name", "call centre"
    )
    assert created.exit_code == 0, created.output
    lines = created.output.splitlines()
    key = lines[-1]
    assert key.startswith("wl_") and " " not in key
    assert "agent of saldanha" in lines[0]
    with app.app_context():
        session = db.session()
        principal = keys.resolve_api_key(session, key)
        session.commit()
        assert principal.kind == ActorKind.API_KEY
    listing = _run(app, "apikeys", "list")
    assert listing.exit_code == 0
    secret = key.split("_", 2)[2]
    assert secret not in listing.output and key.split("_")[1] in listing.output
    assert "call centre" in listing.output and " active " in listing.output
    assert "never used" not in listing.output  # it was used above
    key_id = listing.output.split()[0]
    revoked = _run(app, "apikeys", "revoke", key_id)
    assert revoked.output == f"api key {key_id} ({key.split('_')[1]}) revoked\n"
    assert " revoked " in _run(app, "apikeys", "list", "--municipality", "saldanha").output
    assert _run(app, "apikeys", "list", "--municipality", "stma").output == "no api keys\n"
    again = _run(app, "apikeys", "revoke", key_id)
    assert again.exit_code == 1 and "revoked already" in again.output


def test_a_platform_key_and_a_department_key(app, demo):
    platform = _run(app, "apikeys", "create", "--role", "platform", "--name", "province")
    assert platform.exit_code == 0 and "platform of every municipality" in platform.output
    department = _run(app, "apikeys", "create", "--municipality", "saldanha", "--role", "department",
                      "--department", "4", "--name", "water dept")  # fmt: skip
    assert department.exit_code == 0, department.output
    with app.app_context():
        principal = keys.resolve_api_key(db.session(), department.output.splitlines()[-1])
        db.session.rollback()
        assert principal.can(StaffRole.DEPARTMENT, principal.grants[0].municipality_id, department_id=4)
        assert not principal.can(StaffRole.DEPARTMENT, principal.grants[0].municipality_id, department_id=5)
    wrong = _run(app, "apikeys", "create", "--role", "mayor", "--name", "x")
    assert wrong.exit_code == 2  # click refuses an unknown role before anything runs


def test_every_cli_action_is_audited_as_the_os_user(app, demo):
    assert _create_admin(app).exit_code == 0
    _run(app, "users", "set-password", "admin@saldanha.gov.za", env={"WARDLINK_PASSWORD": "another long one"})
    _run(app, "users", "grant", "admin@saldanha.gov.za", "--role", "agent", "--municipality", "stma")
    _run(app, "users", "revoke", "admin@saldanha.gov.za", "--role", "agent", "--municipality", "stma")
    _run(app, "users", "disable", "admin@saldanha.gov.za")
    _run(app, "users", "enable", "admin@saldanha.gov.za")
    key = _run(app, "apikeys", "create", "--municipality", "saldanha", "--role", "admin", "--name", "k")
    _run(app, "apikeys", "revoke", key.output.split()[2])
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == [
            "staff_user.create",
            "staff_user.set_password",
            "staff_user.grant_role",
            "staff_user.revoke_role",
            "staff_user.disable",
            "staff_user.enable",
            "api_key.create",
            "api_key.revoke",
        ]
        assert {(e.actor_kind, e.actor_label) for e in entries} == {(ActorKind.CLI, f"cli:{os_user()}")}
        assert entries[4].before["active"] is True and entries[4].after["active"] is False
    shown = _run(app, "audit", "list", "--municipality", "saldanha", "--limit", "3")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert len(lines) == 3 and " api_key.revoke api_keys:" in lines[0]
    assert '"revoked_at": null, "role": "admin", "ward_id": null} -> {' in lines[0]
