"""The webhook secret: callbacks carry no signature, so the URL carries a long random token."""

from __future__ import annotations

import functools
import hmac
import logging

from flask import current_app, jsonify, request

log = logging.getLogger(__name__)


def token_ok(given: str | None) -> bool:
    """Compare the request's token with WEBHOOK_TOKEN in constant time."""
    expected = current_app.config.get("WEBHOOK_TOKEN") or ""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def require_token(view):
    """403 unless `?token=` matches WEBHOOK_TOKEN; the token itself is never logged."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not token_ok(request.args.get("token")):
            log.warning(
                "webhook %s refused: %s token",
                request.path,
                "missing" if not request.args.get("token") else "wrong",
            )
            return jsonify(error="forbidden"), 403
        return view(*args, **kwargs)

    return wrapped
