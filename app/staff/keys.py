"""API keys: how a program acts for a municipality (`Authorization: Bearer wl_<prefix>_<secret>`).

A key is `wl_`, a public prefix of 12 hex characters (the row is found by it, and lists show
it), `_`, and a secret of 32 random bytes (URL-safe base64). Only the SHA-256 of the secret
is stored, and the whole key is shown once, when it is made.

Why a plain SHA-256 and not a slow or keyed hash: the secret is 256 random bits, not a
password a person chose, so nobody can guess it from its hash however fast the hash is (a
slow hash only protects guessable secrets), and keyed hashing (HMAC with SECRET_KEY) would
add nothing but a dependency: rotating SECRET_KEY would silently break every key, and a
restored backup would need the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets

from sqlalchemy import literal, or_, select, update

from app.errors import ConflictError, DomainError, NotFoundError, raised_as
from app.models import ApiKey, utcnow
from app.places.municipalities import get_municipality
from app.staff.audit import record_audit, snapshot
from app.staff.principals import Grant, Principal, scope_filter
from app.staff.users import StaffError, normalise_name, role_grant
from app.vocabulary import ActorKind, StaffRole

log = logging.getLogger(__name__)

KEY_PREFIX = "wl"
"""Every key starts `wl_`: secret scanners and people can tell what it is."""

LAST_USED_EVERY = dt.timedelta(minutes=1)
"""`last_used_at` is written at most this often per key: not one write per request."""

_KEY = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")
KEY_FIELDS = ("name", "role", "municipality_id", "department_id", "ward_id", "prefix", "revoked_at")
"""What the audit log keeps of a key (never the secret nor its hash)."""


class ApiKeyError(DomainError):
    """A key that does not open anything: malformed, unknown or revoked."""

    code = "unauthorized"


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a key's secret part."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def key_principal(key: ApiKey) -> Principal:
    """A key as a Principal with its one grant."""
    grant = Grant(key.role, key.municipality_id, key.department_id, key.ward_id)
    return Principal(ActorKind.API_KEY, key.id, f"key {key.prefix} ({key.name})", (grant,))


def create_api_key(
    session,
    actor: Principal,
    *,
    name: str,
    role: str,
    municipality: str | None = None,
    ward: int | str | None = None,
    department: int | str | None = None,
) -> tuple[ApiKey, str]:
    """Make a key with one role, scoped like a user's role; returns the row and the whole
    key, which exists nowhere else: show it once. The actor must be an admin of the
    municipality (platform for a platform key). Flushes; the caller commits."""
    name = normalise_name(name)
    grant = role_grant(session, role, municipality, ward, department)
    actor.require(StaffRole.ADMIN if grant.municipality_id else StaffRole.PLATFORM, grant.municipality_id)
    prefix = secrets.token_hex(6)
    while session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
        prefix = secrets.token_hex(6)  # 48 bits: a repeat is next to impossible, but cheap to rule out
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=grant.role,
        municipality_id=grant.municipality_id,
        department_id=grant.department_id,
        ward_id=grant.ward_id,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        created_by_id=actor.id if actor.kind == ActorKind.USER else None,
    )
    session.add(key)
    session.flush()
    record_audit(session, actor, "api_key.create", key, None, snapshot(key, KEY_FIELDS))
    log.info("api key %s (%s) created by %s", key.id, prefix, actor.label)
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def list_api_keys(session, actor: Principal, municipality: str | None = None) -> list[ApiKey]:
    """Keys the actor administers (revoked ones too), newest first; of one municipality if
    given."""
    query = (
        select(ApiKey)
        .where(scope_filter(actor, StaffRole.ADMIN, municipality_column=ApiKey.municipality_id))
        .order_by(ApiKey.id.desc())
    )
    if municipality is not None:
        with raised_as(StaffError):
            query = query.where(ApiKey.municipality_id == get_municipality(session, municipality).id)
    return list(session.scalars(query))


def revoke_api_key(session, actor: Principal, key_id: int, now: dt.datetime | None = None) -> ApiKey:
    """Revoke a key for good. The actor must be an admin of its municipality. Flushes; the
    caller commits. Raises StaffError (not_found) or ConflictError (already revoked)."""
    key = session.get(ApiKey, key_id)
    if key is None or not actor.can(StaffRole.ADMIN, key.municipality_id):
        # A key the actor may not manage is not shown to exist.
        raise StaffError(f"no api key {key_id}", code=NotFoundError.code, field="key")
    if key.revoked_at is not None:
        raise ConflictError(f"api key {key_id} was revoked already", field="key")
    before = snapshot(key, KEY_FIELDS)
    key.revoked_at = now or utcnow()
    session.flush()
    record_audit(session, actor, "api_key.revoke", key, before, snapshot(key, KEY_FIELDS))
    log.info("api key %s (%s) revoked by %s", key.id, key.prefix, actor.label)
    return key


def resolve_api_key(session, presented: str | None, now: dt.datetime | None = None) -> Principal:
    """The Principal of a key as a request presents it; ApiKeyError if it opens nothing.

    Records when the key was last used, at most once a minute (one conditional UPDATE, in
    the caller's transaction: the caller commits, a read-only request too)."""
    now = now or utcnow()
    match = _KEY.fullmatch((presented or "").strip())
    if match is None:
        raise ApiKeyError("not an api key")
    prefix, secret = match.groups()
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise ApiKeyError("unknown api key")
    if key.revoked_at is not None:
        raise ApiKeyError("this api key was revoked")
    used_type = ApiKey.__table__.c.last_used_at.type
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(
                ApiKey.last_used_at.is_(None),
                ApiKey.last_used_at <= literal(now - LAST_USED_EVERY, used_type),
            ),
        )
        .values(last_used_at=literal(now, used_type))
        .execution_options(synchronize_session=False)
    )
    return key_principal(key)
