"""Who calls the staff API: `Authorization: Bearer <key>` resolved to a Principal for each
request, after its rate limit is checked, before any view runs."""

from __future__ import annotations

from flask import current_app, g, request

from app.api.errors import domain_error, is_api_request
from app.api.throttle import RateLimitedError, check_rate
from app.errors import DomainError
from app.extensions import db
from app.staff.keys import ApiKeyError, resolve_api_key
from app.staff.principals import Principal
from app.vocabulary import ActorKind

PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})
"""Served without a key (still rate limited per IP)."""


def bearer_token() -> str | None:
    """The key of an `Authorization: Bearer ...` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate():
    """Before every API request: cap the body, resolve the key into `g.principal` and count
    the request against the key's (or, without a valid key, the address's) rate limit.
    Returns the error response that ends the request (401, 429), or None to go on."""
    if not is_api_request():
        return None
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    g.principal = None
    try:
        _identify()
    except RateLimitedError as exc:
        response = domain_error(exc)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        return domain_error(exc)
    return None


def _identify() -> None:
    public = request.endpoint in PUBLIC_ENDPOINTS or request.routing_exception is not None
    token = None if public else bearer_token()
    if token is None:
        check_rate(f"ip:{request.remote_addr}")
        if not public:
            raise ApiKeyError("send your api key as Authorization: Bearer <key>", field="authorization")
        return  # the document, or an unknown route (answered 404 by Flask)
    session = db.session()
    try:
        principal = resolve_api_key(session, token)
    except ApiKeyError:
        session.rollback()
        check_rate(f"ip:{request.remote_addr}")
        raise
    # The last-used time is kept even when the request itself is then refused.
    session.commit()
    check_rate(f"{principal.kind}:{principal.id}")
    g.principal = principal


def current_principal() -> Principal:
    """The caller of this request (set by `authenticate`)."""
    return g.principal


def actor_name(principal: Principal) -> str:
    """How ticket events name the caller: "api_key:7", "user:12"."""
    if principal.kind in (ActorKind.API_KEY, ActorKind.USER):
        return f"{principal.kind}:{principal.id}"
    return str(principal.kind)
