"""`wardlink users ...`, `wardlink apikeys ...` and `wardlink audit`: a thin face over
`app.staff`.

The command line acts as a platform admin (whoever can run it on the server can do
anything) and is written to the audit log as `cli:<OS user>`. Passwords are never taken as
options (they would show in `ps` and the shell history): from WARDLINK_PASSWORD, or prompted.
"""

from __future__ import annotations

import json
import os

import click
from flask.cli import with_appcontext

from app.cli.groups import group
from app.extensions import db
from app.staff import keys, users
from app.staff.audit import list_audit
from app.staff.principals import cli_principal
from app.vocabulary import StaffRole

PASSWORD_ENV = "WARDLINK_PASSWORD"  # noqa: S105 (a variable name, not a password)
"""Where a script puts the password instead of typing it at the prompt."""

ROLE = click.Choice([role.value for role in StaffRole], case_sensitive=False)


def _password() -> str:
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    return click.prompt(
        f"Password ({users.PASSWORD_MIN} characters or more)", hide_input=True, confirmation_prompt=True
    )


def _roles_text(user, codes: dict[int, str]) -> str:
    parts = []
    for r in user.roles:
        text = r.role.value if r.municipality_id is None else f"{r.role.value}@{codes[r.municipality_id]}"
        if r.department_id is not None:
            text += f" department {r.department_id}"
        if r.ward_id is not None:
            text += f" ward id {r.ward_id}"
        parts.append(text)
    return ", ".join(parts) or "no role"


def scope_options(command):
    """--municipality, --ward and --department: where a role applies."""
    command = click.option("--department", type=int, default=None, help="Department id (department role).")(
        command
    )
    command = click.option("--ward", type=int, default=None, help="Ward number (councillor role).")(command)
    return click.option("--municipality", default=None, help="Municipality code (none for platform).")(
        command
    )


# --- users ----------------------------------------------------------------------------------


@group("users")
def users_group():
    """Staff users: who signs in to run a municipality's side, with which roles."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=ROLE, help="platform, admin, agent, department or councillor.")
@scope_options
@with_appcontext
def users_create(email, name, role, municipality, ward, department):
    """Create a staff user with a role; the password comes from WARDLINK_PASSWORD or a prompt."""
    password = _password()
    session = db.session()
    user = users.create_user(
        session,
        cli_principal(),
        email=email,
        name=name,
        password=password,
        role=role,
        municipality=municipality,
        ward=ward,
        department=department,
    )
    session.commit()
    click.echo(f"staff user {user.email} created ({_roles_text(user, users.municipality_codes(session))})")


@users_group.command("list")
@click.option("--municipality", default=None, help="Only users with a role in this municipality.")
@with_appcontext
def users_list(municipality):
    """List staff users, their status and roles."""
    session = db.session()
    found = users.list_users(session, cli_principal(), municipality)
    codes = users.municipality_codes(session)
    for u in found:
        click.echo(f"{u.email:<32} {users.user_status(u):<24} {_roles_text(u, codes):<32} {u.name}")
    if not found:
        click.echo("no staff users")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def users_disable(email):
    """Disable a user: it can no longer sign in (kept for the record)."""
    session = db.session()
    user = users.disable_user(session, cli_principal(), email)
    session.commit()
    click.echo(f"staff user {user.email} disabled")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def users_enable(email):
    """Enable a disabled user again (and lift a lock-out)."""
    session = db.session()
    user = users.set_active(session, cli_principal(), email, True)
    session.commit()
    click.echo(f"staff user {user.email} enabled")


@users_group.command("set-password")
@click.argument("email")
@with_appcontext
def users_set_password(email):
    """Set a user's password (WARDLINK_PASSWORD or a prompt); lifts a lock-out."""
    password = _password()
    session = db.session()
    user = users.set_password(session, cli_principal(), email, password)
    session.commit()
    click.echo(f"password of {user.email} set")


@users_group.command("grant")
@click.argument("email")
@click.option("--role", required=True, type=ROLE)
@scope_options
@with_appcontext
def users_grant(email, role, municipality, ward, department):
    """Give a user a role (again: moves its ward or department)."""
    session = db.session()
    grant = users.grant_role(session, cli_principal(), email, role, municipality, ward, department)
    session.commit()
    click.echo(f"{grant.user.email}: {_roles_text(grant.user, users.municipality_codes(session))}")


@users_group.command("revoke")
@click.argument("email")
@click.option("--role", required=True, type=ROLE)
@click.option("--municipality", default=None, help="Municipality code (none for platform).")
@with_appcontext
def users_revoke(email, role, municipality):
    """Take a role away from a user."""
    session = db.session()
    user = users.revoke_role(session, cli_principal(), email, role, municipality)
    session.commit()
    click.echo(f"{user.email}: {_roles_text(user, users.municipality_codes(session))}")


# --- API keys -------------------------------------------------------------------------------


@group("apikeys")
def apikeys_group():
    """API keys: how programs use the staff API (`Authorization: Bearer <key>`)."""


@apikeys_group.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. 'call centre'.")
@click.option("--role", required=True, type=ROLE)
@scope_options
@with_appcontext
def apikeys_create(name, role, municipality, ward, department):
    """Create a key; it is printed once, alone on the last line, and never again."""
    session = db.session()
    key, secret = keys.create_api_key(
        session,
        cli_principal(),
        name=name,
        role=role,
        municipality=municipality,
        ward=ward,
        department=department,
    )
    session.commit()
    codes = users.municipality_codes(session)
    where = "every municipality" if key.municipality_id is None else codes[key.municipality_id]
    click.echo(f"api key {key.id} ({key.prefix}, {key.role.value} of {where}) created.")
    click.echo("Store it now: it is shown only this once.")
    click.echo(secret)


@apikeys_group.command("list")
@click.option("--municipality", default=None, help="Only this municipality's keys.")
@with_appcontext
def apikeys_list(municipality):
    """List keys (never their secrets): id, prefix, role, where, last used, revoked."""
    session = db.session()
    found = keys.list_api_keys(session, cli_principal(), municipality)
    codes = users.municipality_codes(session)
    for k in found:
        where = "*" if k.municipality_id is None else codes[k.municipality_id]
        used = k.last_used_at.isoformat(timespec="minutes") if k.last_used_at else "never used"
        state = f"revoked {k.revoked_at.isoformat(timespec='minutes')}" if k.revoked_at else "active"
        click.echo(f"{k.id:>5} {k.prefix} {k.role.value:<10} {where:<12} {used:<24} {state:<26} {k.name}")
    if not found:
        click.echo("no api keys")


@apikeys_group.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def apikeys_revoke(key_id):
    """Revoke a key for good (by the id `apikeys list` shows)."""
    session = db.session()
    key = keys.revoke_api_key(session, cli_principal(), key_id)
    session.commit()
    click.echo(f"api key {key.id} ({key.prefix}) revoked")


# --- the audit log --------------------------------------------------------------------------


@group("audit")
def audit_group():
    """The audit log of staff actions."""


@audit_group.command("list")
@click.option("--municipality", default=None, help="Only this municipality's entries.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@with_appcontext
def audit_list(municipality, limit):
    """The newest entries first: when (UTC), who, what, which record, before -> after."""
    session = db.session()
    for e in list_audit(session, cli_principal(), municipality=municipality, limit=limit):
        record = f"{e.record_type}:{e.record_id}" if e.record_type else "-"
        click.echo(
            f"{e.created_at.isoformat(timespec='seconds')} {e.actor_label} {e.action} {record} "
            f"{json.dumps(e.before, sort_keys=True)} -> {json.dumps(e.after, sort_keys=True)}"
        )
