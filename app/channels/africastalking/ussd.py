"""Africa's Talking USSD: the callback form in, `CON `/`END ` out.

The provider posts `sessionId`, `serviceCode`, `phoneNumber`, `networkCode` and `text`, where
`text` is every input of the session so far joined by `*`, with no escaping; it expects a
`text/plain` body starting `CON ` (the session goes on) or `END ` (it ends), 160 GSM-7
characters in all. It repeats a turn (same session, same `text`) when an answer was slow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from app.channels.africastalking.wire import field, integer, parse_provider_date, phone
from app.channels.events import UssdTurn
from menus.engine import Reply

SCREEN_LIMIT = 160
"""The whole body the provider shows, `CON `/`END ` included, in GSM-7 characters."""
PREFIX = 4
"""`CON ` or `END `."""
BUDGET = SCREEN_LIMIT - PREFIX
"""What our text may take."""


def parse_turn(
    form: Mapping[str, str], channel: str, region_for: Callable[[str], str], text_max: int
) -> UssdTurn:
    """The callback form as a UssdTurn; `region_for(service_code)` gives the region local
    numbers on that code are read with (the municipality's)."""
    code = field(form, "serviceCode", 32)
    return UssdTurn(
        channel=channel,
        session_id=field(form, "sessionId", 120),
        service_code=code,
        phone=phone(form, "phoneNumber", region_for(code)),
        network_code=field(form, "networkCode", 16),
        # Kept whole up to the limit (no strip: its length anchors the next turn).
        wire_input=(form.get("text") or "")[:text_max],
    )


def _digest(text: str) -> str:
    return hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def read_input(turn: UssdTurn, memory: Mapping | None) -> tuple[str | None, dict]:
    """What the caller typed this turn, and the memory to keep for the next one; the input
    is None when this is the previous turn again (an operator retry).

    `memory` is what this function returned last turn (None on a session's first turn). We
    remember how long the history was and a digest of it, and take what follows it: a `*`
    inside a free-text answer looks like a separator, so splitting would cut the answer.
    Only when the history does not continue ours (an unknown session) do we fall back to the
    part after the last `*`.
    """
    text = turn.wire_input or ""
    digest = _digest(text)
    remembered = {"len": len(text), "hash": digest}
    if memory and memory.get("hash") == digest:
        return None, remembered
    last_len = memory.get("len") if memory else None
    if last_len is not None and len(text) >= last_len and _digest(text[:last_len]) == memory.get("hash"):
        rest = text[last_len:]
        if last_len == 0:
            return rest, remembered
        return (rest[1:] if rest.startswith("*") else rest), remembered
    return text.rsplit("*", 1)[-1], remembered


def adopt_session(session: dict) -> None:
    """Bring a session saved by a release before the channel seam (the engine kept the
    history's length and digest as `last_len`/`last_hash`, and the reply as its body) to
    this codec's keys, so a turn in flight across a deploy keeps its input and repeats."""
    if "wire" in session or "last_len" not in session:
        return
    session["wire"] = {"len": session.pop("last_len"), "hash": session.pop("last_hash", None)}
    reply = session.get("reply")
    if isinstance(reply, str) and reply[:4] in ("CON ", "END "):
        session["reply"] = [reply[4:], reply.startswith("END ")]


def render_body(reply: Reply) -> str:
    """Our reply as the provider's body: `CON ...` or `END ...`."""
    return ("END " if reply.end else "CON ") + reply.text


def render(reply: Reply) -> tuple[str, int, dict[str, str]]:
    """The HTTP answer the provider expects: 200, text/plain."""
    return render_body(reply), 200, {"Content-Type": "text/plain; charset=utf-8"}


def parse_session_end(form: Mapping[str, str], region: str) -> dict:
    """The session-end notification as column values; lenient, any field may be missing."""
    return {
        "session_id": field(form, "sessionId", 120) or "-",
        "service_code": field(form, "serviceCode", 32) or None,
        "network_code": field(form, "networkCode", 16) or None,
        "phone": phone(form, "phoneNumber", region),
        "status": field(form, "status", 32) or None,
        "cost": field(form, "cost", 32) or None,
        "duration_ms": integer(form.get("durationInMillis")),
        "hops_count": integer(form.get("hopsCount")),
        "hops_metadata": field(form, "hopsMetadata", 2000) or None,
        # Not kept: the joined input holds councillors' PINs and residents' free text.
        "input": None,
        "last_app_response": field(form, "lastAppResponse", 400) or None,
        "error_message": field(form, "errorMessage", 400) or None,
        "provider_date": parse_provider_date(form.get("date")),
    }
