"""Staff users: accounts, passwords, roles, and signing in with a lock-out.

A password is stored only as a salted scrypt hash (werkzeug's, as councillor PINs are: no
new dependency, and scrypt is memory-hard). STAFF_LOGIN_ATTEMPTS failed sign-ins in a row
lock the account for STAFF_LOCKOUT_MINUTES; each attempt is counted in SQL before its
password is checked, so parallel guesses cannot get past the limit.

Every change takes the `actor` who makes it, checks that its roles allow it, and writes an
audit entry in the caller's transaction. `wardlink users ...` is the face
(`app/cli/staff_accounts.py`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re

from flask import current_app, has_app_context
from sqlalchemy import case, exists, literal, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import DomainError, InvalidError, NotFoundError, raised_as
from app.models import Municipality, StaffRoleGrant, StaffUser, Ward, utcnow
from app.places.municipalities import get_municipality
from app.staff.audit import record_audit, snapshot
from app.staff.principals import Grant, Principal, scope_filter
from app.vocabulary import ActorKind, StaffRole

log = logging.getLogger(__name__)

LOGIN_ATTEMPTS = 5
"""Failed sign-ins in a row that lock an account (STAFF_LOGIN_ATTEMPTS overrides it)."""

LOCKOUT_MINUTES = 15
"""How long a locked account stays locked (STAFF_LOCKOUT_MINUTES overrides it)."""

PASSWORD_MIN, PASSWORD_MAX = 10, 256
"""Password length, in characters: long enough to resist guessing, short enough to hash."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
USER_FIELDS = ("email", "name", "active")
"""What the audit log keeps of a user (never the hash)."""


class StaffError(InvalidError):
    """A staff account or key cannot be made or changed; the message (and `code`, `field`)
    say why."""


class LoginError(DomainError):
    """Signing in failed. The message never says whether the email exists; `code` is
    `login_failed` or `locked`."""

    code = "login_failed"


def _setting(name: str, default: int) -> int:
    if has_app_context():
        return int(current_app.config.get(name, default))
    return default


# --- values ---------------------------------------------------------------------------------


def normalise_email(raw: str | None) -> str:
    """The email as stored: trimmed, lower-case. Raises StaffError if it is not one."""
    email = (raw or "").strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise StaffError(f"{raw!r} is not an email address", field="email")
    return email


def normalise_name(raw: str | None) -> str:
    """A name as stored: single spaces; StaffError if empty or over 120 characters."""
    name = " ".join((raw or "").split())
    if not name or len(name) > 120:
        raise StaffError("the name is empty or longer than 120 characters", field="name")
    return name


def hash_password(password: str | None) -> str:
    """A salted scrypt hash of a password of PASSWORD_MIN to PASSWORD_MAX characters."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise StaffError(
            f"the password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", field="password"
        )
    return generate_password_hash(password, method="scrypt")


@functools.cache
def _decoy_hash() -> str:
    # Checked against when the email is unknown, so an answer takes as long either way.
    return generate_password_hash("not anyone's password", method="scrypt")


def role_grant(
    session,
    role: str,
    municipality: str | None = None,
    ward: int | str | None = None,
    department: int | str | None = None,
) -> Grant:
    """The grant a role names: checks that the municipality (code), ward (number) and
    department (id) given are the ones the role is scoped by, and that they exist.

    `platform` takes no municipality; `department` needs a department; `councillor` a ward.
    Departments have no table yet: any positive id is taken."""
    try:
        role = StaffRole((role or "").strip().lower())
    except ValueError:
        raise StaffError(f"unknown role {role!r}: one of {', '.join(StaffRole)}", field="role") from None
    if role == StaffRole.PLATFORM:
        if municipality or ward is not None or department is not None:
            raise StaffError("a platform role spans every municipality: name none", field="municipality")
        return Grant(role)
    with raised_as(StaffError):
        found = get_municipality(session, municipality)
    department_id = ward_id = None
    if role == StaffRole.DEPARTMENT:
        try:
            department_id = int(department)
        except (TypeError, ValueError):
            raise StaffError("a department role needs its department (an id)", field="department") from None
        if department_id <= 0:
            raise StaffError("a department id is a positive number", field="department")
    elif department is not None:
        raise StaffError(f"a {role} role has no department", field="department")
    if role == StaffRole.COUNCILLOR:
        try:
            number = int(ward)
        except (TypeError, ValueError):
            raise StaffError("a councillor role needs its ward (a number)", field="ward") from None
        ward_id = session.scalar(
            select(Ward.id).where(Ward.municipality_id == found.id, Ward.number == number)
        )
        if ward_id is None:
            raise StaffError(f"no ward {number} in {found.name}", code=NotFoundError.code, field="ward")
    elif ward is not None:
        raise StaffError(f"a {role} role has no ward", field="ward")
    return Grant(role, found.id, department_id, ward_id)


def user_principal(user: StaffUser) -> Principal:
    """A signed-in user as a Principal, with the grants of its roles."""
    grants = tuple(Grant(r.role, r.municipality_id, r.department_id, r.ward_id) for r in user.roles)
    return Principal(ActorKind.USER, user.id, user.email, grants)


def _roles(user: StaffUser) -> list[dict]:
    return [
        {
            "role": r.role,
            "municipality_id": r.municipality_id,
            "department_id": r.department_id,
            "ward_id": r.ward_id,
        }
        for r in user.roles
    ]


def _user_snapshot(user: StaffUser) -> dict:
    return {**snapshot(user, USER_FIELDS), "roles": _roles(user)}


def _require_admin_over(actor: Principal, user: StaffUser) -> None:
    """The actor must be an admin wherever the user has a role (platform for a user with a
    platform role or none)."""
    if not user.roles:
        actor.require(StaffRole.PLATFORM, None)
    for r in user.roles:
        actor.require(StaffRole.ADMIN, r.municipality_id)


def _single_municipality(user: StaffUser) -> int | None:
    ids = {r.municipality_id for r in user.roles}
    return ids.pop() if len(ids) == 1 else None


# --- accounts -------------------------------------------------------------------------------


def get_user(session, email: str) -> StaffUser:
    """The user with this email (any case). Raises StaffError with code not_found."""
    user = session.scalar(
        select(StaffUser)
        .options(selectinload(StaffUser.roles))
        .where(StaffUser.email == normalise_email(email))
    )
    if user is None:
        raise StaffError(f"no staff user {email.strip()!r}", code=NotFoundError.code, field="email")
    return user


def create_user(
    session,
    actor: Principal,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    municipality: str | None = None,
    ward: int | str | None = None,
    department: int | str | None = None,
) -> StaffUser:
    """Make a staff user with one role (more with `grant_role`). The actor must be an admin
    of the role's municipality (platform for a platform role). Flushes; the caller commits."""
    email, name = normalise_email(email), normalise_name(name)
    password_hash = hash_password(password)
    grant = role_grant(session, role, municipality, ward, department)
    actor.require(StaffRole.ADMIN if grant.municipality_id else StaffRole.PLATFORM, grant.municipality_id)
    if session.scalar(select(exists().where(StaffUser.email == email))):
        raise StaffError(f"{email} already has an account", code="conflict", field="email")
    user = StaffUser(email=email, name=name, password_hash=password_hash, active=True, failed_logins=0)
    user.roles.append(
        StaffRoleGrant(
            role=grant.role,
            municipality_id=grant.municipality_id,
            department_id=grant.department_id,
            ward_id=grant.ward_id,
        )
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor,
        "staff_user.create",
        user,
        None,
        _user_snapshot(user),
        municipality_id=grant.municipality_id,
    )
    log.info("staff user %s created by %s", user.id, actor.label)
    return user


def list_users(session, actor: Principal, municipality: str | None = None) -> list[StaffUser]:
    """Users with a role the actor administers (platform: every user), by email; only those
    with a role in `municipality` if given."""
    visible = scope_filter(actor, StaffRole.ADMIN, municipality_column=StaffRoleGrant.municipality_id)
    has_visible_role = exists().where(StaffRoleGrant.user_id == StaffUser.id, visible)
    query = select(StaffUser).options(selectinload(StaffUser.roles)).order_by(StaffUser.email)
    if municipality is not None:
        with raised_as(StaffError):
            found = get_municipality(session, municipality)
        query = query.where(
            exists().where(
                StaffRoleGrant.user_id == StaffUser.id,
                StaffRoleGrant.municipality_id == found.id,
                visible,
            )
        )
    elif actor.municipality_ids is not None:  # roleless users are the platform's to see
        query = query.where(has_visible_role)
    return list(session.scalars(query))


def set_active(session, actor: Principal, email: str, active: bool) -> StaffUser:
    """Disable a user (it can no longer sign in; kept for the record) or enable it again.
    Flushes; the caller commits."""
    user = get_user(session, email)
    _require_admin_over(actor, user)
    before = _user_snapshot(user)
    user.active = bool(active)
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    verb = "enable" if active else "disable"
    record_audit(
        session,
        actor,
        f"staff_user.{verb}",
        user,
        before,
        _user_snapshot(user),
        municipality_id=_single_municipality(user),
    )
    log.info("staff user %s %sd by %s", user.id, verb, actor.label)
    return user


def disable_user(session, actor: Principal, email: str) -> StaffUser:
    """Disable a user: it can no longer sign in. Flushes; the caller commits."""
    return set_active(session, actor, email, False)


def set_password(session, actor: Principal, email: str, password: str) -> StaffUser:
    """Replace a user's password and lift a lock-out. The user itself, or an admin over it,
    may. Flushes; the caller commits."""
    user = get_user(session, email)
    if not (actor.kind == ActorKind.USER and actor.id == user.id):
        _require_admin_over(actor, user)
    password_hash = hash_password(password)
    before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    user.password_hash, user.failed_logins, user.locked_until = password_hash, 0, None
    session.flush()
    record_audit(
        session,
        actor,
        "staff_user.set_password",
        user,
        before,
        {"password": "changed", "failed_logins": 0, "locked_until": None},
        municipality_id=_single_municipality(user),
    )
    log.info("password of staff user %s set by %s", user.id, actor.label)
    return user


# --- roles ----------------------------------------------------------------------------------


def grant_role(
    session,
    actor: Principal,
    email: str,
    role: str,
    municipality: str | None = None,
    ward: int | str | None = None,
    department: int | str | None = None,
) -> StaffRoleGrant:
    """Give a user a role (one of each role per municipality: granting it again moves its
    ward or department). The actor must be an admin there. Flushes; the caller commits."""
    user = get_user(session, email)
    grant = role_grant(session, role, municipality, ward, department)
    actor.require(StaffRole.ADMIN if grant.municipality_id else StaffRole.PLATFORM, grant.municipality_id)
    before = _user_snapshot(user)
    found = next(
        (r for r in user.roles if r.role == grant.role and r.municipality_id == grant.municipality_id), None
    )
    if found is None:
        found = StaffRoleGrant(role=grant.role, municipality_id=grant.municipality_id)
        user.roles.append(found)
    found.department_id, found.ward_id = grant.department_id, grant.ward_id
    session.flush()
    record_audit(
        session,
        actor,
        "staff_user.grant_role",
        user,
        before,
        _user_snapshot(user),
        municipality_id=grant.municipality_id,
    )
    return found


def revoke_role(
    session, actor: Principal, email: str, role: str, municipality: str | None = None
) -> StaffUser:
    """Take a role away from a user. The actor must be an admin there. Flushes; the caller
    commits. Raises StaffError (not_found) when the user does not have it."""
    user = get_user(session, email)
    try:
        role = StaffRole((role or "").strip().lower())
    except ValueError:
        raise StaffError(f"unknown role {role!r}", field="role") from None
    municipality_id = None
    if role != StaffRole.PLATFORM:
        with raised_as(StaffError):
            municipality_id = get_municipality(session, municipality).id
    actor.require(StaffRole.ADMIN if municipality_id else StaffRole.PLATFORM, municipality_id)
    found = next((r for r in user.roles if r.role == role and r.municipality_id == municipality_id), None)
    if found is None:
        raise StaffError(f"{user.email} has no {role} role there", code=NotFoundError.code, field="role")
    before = _user_snapshot(user)
    user.roles.remove(found)
    session.flush()
    record_audit(
        session,
        actor,
        "staff_user.revoke_role",
        user,
        before,
        _user_snapshot(user),
        municipality_id=municipality_id,
    )
    return user


# --- signing in -----------------------------------------------------------------------------


def authenticate(session, email: str, password: str, now: dt.datetime | None = None) -> Principal:
    """The user with this email and password, as a Principal; LoginError otherwise. Commits.

    The attempt is counted (one UPDATE, atomic on every backend) before the password is
    checked, and the STAFF_LOGIN_ATTEMPTS-th attempt in a row already sets the lock: however
    many attempts race, at most that many passwords are ever checked. The right password
    resets the count and lifts the lock; a locked account refuses even the right one until
    the lock runs out. An unknown email, a wrong password and a disabled account all answer
    the same "wrong email or password". Commits, so the count survives the caller's rollback:
    call it on a session with nothing pending."""
    now = now or utcnow()
    attempts = _setting("STAFF_LOGIN_ATTEMPTS", LOGIN_ATTEMPTS)
    minutes = _setting("STAFF_LOCKOUT_MINUTES", LOCKOUT_MINUTES)
    try:
        email = normalise_email(email)
    except StaffError:
        email = None
    user = (
        session.scalar(
            select(StaffUser).options(selectinload(StaffUser.roles)).where(StaffUser.email == email)
        )
        if email
        else None
    )
    if user is None or not user.active:
        check_password_hash(_decoy_hash(), password if isinstance(password, str) else "")
        session.commit()
        raise LoginError("wrong email or password")
    until = now + dt.timedelta(minutes=minutes)
    lock_type = StaffUser.__table__.c.locked_until.type
    # Only an unlocked row is counted; a lock that has run out starts a fresh count.
    count = case((StaffUser.locked_until.is_not(None), 1), else_=StaffUser.failed_logins + 1)
    claimed = session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            StaffUser.active.is_(True),
            or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= literal(now, lock_type)),
        )
        .values(
            failed_logins=count,
            locked_until=case((count >= attempts, literal(until, lock_type)), else_=None),
        )
        .returning(StaffUser.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.commit()  # the attempt is counted, and visible to parallel ones, before the check
    if claimed is None:
        raise LoginError("too many failed sign-ins: try again later", code="locked")
    if isinstance(password, str) and check_password_hash(user.password_hash, password):
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(failed_logins=0, locked_until=None, last_login_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        session.refresh(user)
        return user_principal(user)
    if claimed >= attempts:  # this attempt set the lock
        log.warning("staff user %s locked out after %d failed sign-ins", user.id, claimed)
        raise LoginError("too many failed sign-ins: try again later", code="locked")
    raise LoginError("wrong email or password")


def user_status(user: StaffUser, now: dt.datetime | None = None) -> str:
    """ "active", "disabled" or "locked until <UTC time>"."""
    now = now or utcnow()
    if not user.active:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked until " + user.locked_until.isoformat(timespec="minutes")
    return "active"


def municipality_codes(session) -> dict[int, str]:
    """Municipality id -> code, for showing roles."""
    return dict(session.execute(select(Municipality.id, Municipality.code)).all())
