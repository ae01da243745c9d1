"""Councillor SMS commands: `BROADCAST <text>` -> reach, cost and a one-time code; `YES <code>`
sends. A councillor reaches only their own ward, within a daily limit."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import select

from app.broadcasts.councillors import find_councillor
from app.broadcasts.service import (
    CONFIRM_MINUTES,
    TEXT_MAX,
    BroadcastError,
    broadcasts_today,
    code_hash,
    create_broadcast,
    reach,
    segments,
    start_on_commit,
)
from app.language.i18n import N_
from app.models import Broadcast, InboundMessage, Ward, utcnow
from app.sms.commands import Command, SmsContext

USAGE = N_("Send BROADCAST and your message, e.g. BROADCAST Ward meeting on Friday at 18:00.")
CONFIRM = N_(
    "This reaches {count} residents of ward {ward}, {segments} SMS each. "
    "To send it, reply YES {code} within 15 minutes."
)
OTHER_WARD = N_("You can only broadcast to your own ward ({ward}).")
LIMIT = N_("You have reached today's limit of {limit} broadcasts.")
TOO_LONG = N_("The message is too long: at most {max} characters.")
QUEUED = N_("Your broadcast to ward {ward} is on its way to {count} residents.")
BAD_CODE = N_("That code is not valid or has expired. Send BROADCAST again.")
TEMPLATES = (USAGE, CONFIRM, OTHER_WARD, LIMIT, TOO_LONG, QUEUED, BAD_CODE)
"""Councillor SMS templates (tests check them in every language)."""
WRONG_CODES = 3
"""Wrong confirmation codes that cancel a pending broadcast."""


def _councillor(ctx: SmsContext):
    return find_councillor(ctx.session, ctx.municipality["id"], ctx.phone)


def _over_limit(ctx: SmsContext, councillor) -> bool:
    limit = int(current_app.config["COUNCILLOR_DAILY_BROADCASTS"])
    return broadcasts_today(ctx.session, councillor, ctx.municipality["timezone"]) >= limit


def do_broadcast(ctx: SmsContext, arg: str) -> str:
    """Compose: the text after BROADCAST (an optional leading ward number must be their own)."""
    councillor = _councillor(ctx)
    own = ctx.session.get(Ward, councillor.ward_id)
    raw = _original_text(ctx, arg)
    first, _, rest = raw.partition(" ")
    if first.isdigit():
        if int(first) != own.number:
            return ctx.t(OTHER_WARD, ward=own.number)
        raw = rest
    if not raw.strip():
        return ctx.t(USAGE)
    if _over_limit(ctx, councillor):
        return ctx.t(LIMIT, limit=current_app.config["COUNCILLOR_DAILY_BROADCASTS"])
    try:
        broadcast = create_broadcast(
            ctx.session,
            municipality_id=ctx.municipality["id"],
            ward_ids=[own.id],
            texts={"*": raw},
            author=councillor.name,
            councillor_id=councillor.id,
            status="pending_confirmation",
            source_key=f"sms:{ctx.provider_id}",
        )
    except BroadcastError:
        return ctx.t(TOO_LONG, max=TEXT_MAX)
    code = f"{secrets.randbelow(10**6):06d}"
    broadcast.confirm_code = code_hash(code, broadcast.id)
    broadcast.confirm_expires_at = utcnow() + dt.timedelta(minutes=CONFIRM_MINUTES)
    return ctx.t(
        CONFIRM,
        count=reach(ctx.session, ctx.municipality["id"], [own.id]),
        ward=own.number,
        segments=segments(broadcast.texts),
        code=code,
    )


def _original_text(ctx: SmsContext, arg: str) -> str:
    """The councillor's own words after the keyword (the parser upper-cases its argument)."""
    text = ctx.session.get(InboundMessage, ctx.inbound_id).text or ""
    parts = text.strip().split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def do_yes(ctx: SmsContext, arg: str) -> str:
    """Confirm the newest pending broadcast with its code; it is then queued."""
    councillor = _councillor(ctx)
    code = "".join(ch for ch in arg if ch.isdigit())
    pending = ctx.session.scalar(
        select(Broadcast)
        .where(Broadcast.councillor_id == councillor.id, Broadcast.status == "pending_confirmation")
        .order_by(Broadcast.id.desc())
        .limit(1)
    )
    expires = pending.confirm_expires_at if pending else None
    if pending is None or expires is None or expires <= utcnow():
        return ctx.t(BAD_CODE)
    if not code or pending.confirm_code != code_hash(code, pending.id):
        pending.wrong_codes = (pending.wrong_codes or 0) + 1
        if pending.wrong_codes >= WRONG_CODES:
            pending.status = "cancelled"  # no guessing the code: compose again
        return ctx.t(BAD_CODE)
    if _over_limit(ctx, councillor):
        return ctx.t(LIMIT, limit=current_app.config["COUNCILLOR_DAILY_BROADCASTS"])
    pending.status, pending.confirm_code = "scheduled", None
    ward = ctx.session.get(Ward, councillor.ward_id)
    count = reach(ctx.session, ctx.municipality["id"], [ward.id])
    start_on_commit(ctx.session, pending)  # with the reply, once both are committed
    return ctx.t(QUEUED, ward=ward.number, count=count)


def is_councillor(session, municipality_id: int, phone: str) -> bool:
    """Whether the sender is an active councillor of this municipality."""
    return find_councillor(session, municipality_id, phone) is not None


COUNCILLOR_COMMANDS: dict[str, Command] = {
    "broadcast": Command(do_broadcast, role="councillor"),
    "yes": Command(do_yes, role="councillor"),
}
"""What an active councillor may send besides the resident commands."""

COUNCILLOR_WORDS = (("BROADCAST", "broadcast"), ("YES", "yes"))
"""(word, command) pairs the keyword parser learns for the councillor commands."""
