"""The staff API's errors: always `{"error": {"code", "message", "field"}}`, never HTML.

A `DomainError` keeps its code, message and field; its class picks the HTTP status. HTTP
errors (an unknown route, a body too large, a malformed or invalid request) get stable codes
of their own, and a validation error names the first field at fault.
"""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from app.errors import ConflictError, DomainError, LimitError, NotFoundError
from app.staff.keys import ApiKeyError
from app.staff.principals import ForbiddenError

PREFIX = "/api/"
"""Every staff API path starts so; its errors are rendered here, even for unknown routes."""

STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (ApiKeyError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (LimitError, 429),
)
"""Domain error class -> HTTP status (the first that matches); any other DomainError is 422."""

PATH_FIELDS = (None, "reference")
"""A thing named by the URL that does not exist is a 404; one named in the body (a ward, a
category, the ticket to merge into) makes the body invalid: 422, code `not_found`."""

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}
"""HTTP status -> the code of an HTTP error that is not a domain error."""


class ErrorSchema(Schema):
    """The body of every error."""

    code = fields.String(required=True, metadata={"description": "stable, for machines"})
    message = fields.String(required=True, metadata={"description": "for people"})
    field = fields.String(allow_none=True, required=True, metadata={"description": "the field at fault"})


class ErrorEnvelopeSchema(Schema):
    """`{"error": {...}}`."""

    error = fields.Nested(ErrorSchema, required=True)


def error_response(code: str, message: str, status: int, field: str | None = None, headers=None):
    """One JSON error answer."""
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error."""
    for family, status in STATUS:
        if isinstance(exc, family):
            if status == 404 and exc.field not in PATH_FIELDS:
                return 422
            return status
    return 422


def domain_error(exc: DomainError):
    """A refused operation, as JSON."""
    return error_response(exc.code, exc.message, status_of(exc), exc.field)


def _first_problem(messages) -> tuple[str | None, str]:
    """The first (field, message) of webargs' nested messages ({"json": {"to": ["..."]}})."""
    field = None
    while isinstance(messages, dict) and messages:
        key, messages = next(iter(messages.items()))
        if key not in ("json", "query", "headers", "path", "view_args"):
            field = key if field is None else f"{field}.{key}"
    while isinstance(messages, list) and messages:
        messages = messages[0]
    return field, str(messages) if messages else "invalid request"


def http_error(exc: HTTPException):
    """An HTTP error under /api, as JSON with a stable code (422s name the field)."""
    status = exc.code or 500
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if messages:
        field, message = _first_problem(messages)
        if status == 400:
            return error_response("bad_json", "the body is not valid JSON", 400, None)
        return error_response(HTTP_CODES.get(status, "invalid"), message, status, field)
    return error_response(HTTP_CODES.get(status, exc.name.lower().replace(" ", "_")), exc.description, status)


def is_api_request() -> bool:
    """Whether the current request is for the staff API (its errors answer as above)."""
    return request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/")
