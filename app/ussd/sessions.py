"""USSD sessions in Redis: one JSON value per provider `sessionId`, with a TTL.

A dropped report is also kept for a few minutes under the caller's number so that
dialling again can resume it. Both are conveniences: losing them loses no ticket.
"""

from __future__ import annotations

import json

SESSION_PREFIX = "wl:ussd:s:"
"""Key prefix of a live session."""
DRAFT_PREFIX = "wl:ussd:d:"
"""Key prefix of a resumable report, per municipality and number."""
SESSION_MAX_BYTES = 64 * 1024
"""A session larger than this is a bug or an attack; it is not stored."""


def _draft_key(municipality_id: int, phone: str) -> str:
    return f"{DRAFT_PREFIX}{municipality_id}:{phone}"


def load_session(client, session_id: str) -> dict | None:
    """The stored session, or None (new, expired or unreadable)."""
    raw = client.get(SESSION_PREFIX + session_id)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def add_session_save(pipe, session: dict, ttl: int, effects=(), resume_ttl: int = 600) -> None:
    """Add the session and the menu's draft effects to a pipeline the caller executes."""
    raw = json.dumps(session, separators=(",", ":"))
    if len(raw) > SESSION_MAX_BYTES:
        raise ValueError("session too large")
    pipe.set(SESSION_PREFIX + session["sid"], raw, ex=ttl)
    mid, phone = session.get("mid"), session.get("phone")
    for effect in effects:
        if mid is None or not phone:
            continue
        if effect[0] == "save_draft":
            pipe.set(_draft_key(mid, phone), json.dumps(effect[1]), ex=resume_ttl)
        elif effect[0] == "clear_draft":
            pipe.delete(_draft_key(mid, phone))


def load_draft(client, municipality_id: int, phone: str) -> dict | None:
    """A report dropped within the resume window, or None."""
    raw = client.get(_draft_key(municipality_id, phone))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
