"""Africa's Talking's webhooks, one set per channel: `/webhooks/<channel>/...`.

Each route parses the provider's form into our event, hands it to the provider-neutral
handler (`app.ussd.turns`, `app.sms.receive`, `app.outbox.delivery`, `app.outbox.optouts`)
and answers as the provider expects: USSD always 200 with `CON `/`END `; the SMS callbacks
200 once what they carried is stored, 503 when it could not be (the provider retries every
minute for up to 12 hours). The default channel is named `africastalking`, so the callback
URLs of deployments from before channels existed are unchanged.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.channels.africastalking import sms as at_sms
from app.channels.africastalking import ussd as at_ussd
from app.channels.africastalking.wire import PROVIDER
from app.channels.registry import Channel, get_channel
from app.core.logs import safe_id
from app.core.security import require_token
from app.extensions import db
from app.models import UssdSessionEnd
from app.outbox.delivery import apply_delivery_report
from app.outbox.optouts import opt_out
from app.places.municipalities import region_for_code, region_for_sender
from app.sms.receive import StorageUnavailable, receive_sms
from app.ussd import turns

log = logging.getLogger(__name__)
bp = Blueprint("africastalking", __name__)

OK = ("OK", 200, {"Content-Type": "text/plain"})

CODEC = turns.Codec(read_input=at_ussd.read_input, budget=at_ussd.BUDGET, adopt=at_ussd.adopt_session)
"""The USSD wire format as the turn handler sees it."""


def _channel(name: str) -> Channel | None:
    channel = get_channel(name)
    return channel if channel is not None and channel.provider == PROVIDER else None


def _form():
    try:
        return request.form
    except HTTPException:  # body too large or not a form
        return None


def _callback(channel_name: str):
    """The channel and the form of an SMS or session-end callback, or the error answer
    (404 for a channel this deployment does not have, 400 for a body that is no form)."""
    channel, form = _channel(channel_name), _form()
    if channel is None:
        return None, None, (jsonify(error="no such channel"), 404)
    if form is None:
        return None, None, (jsonify(error="bad request"), 400)
    return channel, form, None


def _unavailable(what: str):
    db.session.rollback()
    log.error("sms %s not stored: database unavailable", what)
    return jsonify(error="unavailable"), 503


@bp.post("/webhooks/<channel_name>/ussd")
@require_token
def ussd(channel_name: str):
    """One turn of a USSD session."""
    channel = _channel(channel_name)
    form = _form()
    if channel is None or form is None:
        return at_ussd.render(turns.apology(None))
    try:
        turn = at_ussd.parse_turn(
            form,
            channel.name,
            lambda code: region_for_code(db.session, "ussd", code, channel.region, channel.name),
            current_app.config["USSD_TEXT_MAX"],
        )
    except SQLAlchemyError:  # the routing table could not be read
        db.session.rollback()
        return at_ussd.render(turns.apology(None))
    return at_ussd.render(turns.answer(turn, CODEC))


@bp.post("/webhooks/<channel_name>/ussd/events")
@require_token
def ussd_events(channel_name: str):
    """The provider's session-end notification, stored for reporting."""
    channel, form, refused = _callback(channel_name)
    if refused:
        return refused
    try:
        region = region_for_code(
            db.session, "ussd", (form.get("serviceCode") or "").strip()[:32], channel.region, channel.name
        )
        values = at_ussd.parse_session_end(form, region)
        with db.begin() as session:
            session.add(UssdSessionEnd(**values))
    except SQLAlchemyError:
        db.session.rollback()
        log.error("ussd session end %s not stored", safe_id(form.get("sessionId")))
        # Non-200 makes the provider try again later instead of losing the report.
        return jsonify(error="unavailable"), 503
    return OK


@bp.post("/webhooks/<channel_name>/sms")
@require_token
def incoming(channel_name: str):
    """An SMS from a resident."""
    channel, form, refused = _callback(channel_name)
    if refused:
        return refused
    try:
        region = region_for_code(
            db.session, "sms", (form.get("to") or "").strip()[:32], channel.region, channel.name
        )
        receive_sms(at_sms.parse_inbound_sms(form, region, channel.name))
    except (StorageUnavailable, SQLAlchemyError):  # nothing was stored: the retry brings it back
        return _unavailable("message")
    return OK


@bp.post("/webhooks/<channel_name>/sms/delivery")
@require_token
def delivery(channel_name: str):
    """A delivery report: moves the outbox row to delivered or failed."""
    channel, form, refused = _callback(channel_name)
    if refused:
        return refused
    report = at_sms.parse_delivery_report(form, channel.region, channel.name)
    if report is None:
        return OK  # nothing to attach it to; answering 200 stops the retries
    try:
        apply_delivery_report(db.session(), report)
    except SQLAlchemyError:
        return _unavailable("delivery report")
    return OK


@bp.post("/webhooks/<channel_name>/sms/optout")
@require_token
def optout(channel_name: str):
    """A subscriber used the provider's bulk SMS opt-out."""
    channel, form, refused = _callback(channel_name)
    if refused:
        return refused
    try:
        region = region_for_sender(db.session, (form.get("senderId") or "").strip()[:32], channel.region)
        event = at_sms.parse_bulk_optout(form, region, channel.name)
        if event.phone is None:
            log.warning("bulk opt-out without a readable number ignored")
            return OK
        opt_out(db.session(), event.phone, "bulk_optout", evidence=f"sender {event.sender_id}"[:200])
        db.session.commit()
    except SQLAlchemyError:
        return _unavailable("opt-out")
    return OK
