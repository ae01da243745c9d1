"""SMS webhooks: incoming messages, delivery reports and bulk opt-outs.

Each answers 200 once what it carried is safely stored; when the database cannot store
it, a 503 makes the provider retry (it retries every minute for up to 12 hours).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.channels.africastalking import wire as at
from app.core.security import require_token
from app.extensions import db
from app.models import DeliveryReport, Message, utcnow
from app.outbox.messages import dispatch
from app.outbox.optouts import opt_out
from app.sms.inbound import process_inbound, store_failed

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)

OK = ("OK", 200, {"Content-Type": "text/plain"})

BLACKLIST_REASONS = frozenset({"userinblacklist"})
"""Failure reasons that mean the subscriber blocked us: treated as an opt-out."""


def _form():
    try:
        return request.form
    except HTTPException:
        return None


def _unavailable(what: str):
    db.session.rollback()
    log.error("sms %s not stored: database unavailable", what)
    return jsonify(error="unavailable"), 503


@bp.post("/webhooks/africastalking/sms")
@require_token
def incoming():
    """An SMS from a resident."""
    form = _form()
    if form is None:
        return jsonify(error="bad request"), 400
    event = at.parse_inbound_sms(form, current_app.config["DEFAULT_REGION"])
    try:
        reply_id = process_inbound(event)
    except SQLAlchemyError:  # nothing was stored: the provider's retry brings it back
        return _unavailable("message")
    except Exception:
        # A bug in a command must not lose the message: keep it as failed, answer 200.
        log.exception("sms %s: command failed", event.provider_id[:40])
        try:
            store_failed(event)
        except SQLAlchemyError:
            return _unavailable("message")
        return OK
    if reply_id is not None:
        dispatch([reply_id], queue="high")
    return OK


@bp.post("/webhooks/africastalking/sms/delivery")
@require_token
def delivery():
    """A delivery report: moves the outbox row to delivered or failed."""
    form = _form()
    if form is None:
        return jsonify(error="bad request"), 400
    report = at.parse_delivery_report(form, current_app.config["DEFAULT_REGION"])
    if report is None:
        return OK  # nothing to attach it to; answering 200 stops the retries
    try:
        apply_delivery_report(report)
    except SQLAlchemyError:
        return _unavailable("delivery report")
    return OK


def apply_delivery_report(report: at.DeliveryReportEvent) -> None:
    """Store the report and update the message it names (if we know it)."""
    session = db.session()
    message = session.scalar(
        select(Message).where(Message.provider_message_id == report.message_id))
    if message is None and report.phone:
        # A worker died between the provider's answer and our commit: its rows are `unknown`
        # and carry no message id. A report for that number settles the newest of them.
        recent = utcnow() - dt.timedelta(days=2)
        message = session.scalar(
            select(Message).where(Message.phone == report.phone, Message.status == "unknown",
                                  Message.provider_message_id.is_(None),
                                  Message.updated_at >= recent)
            .order_by(Message.id.desc()).limit(1))
        if message is not None:
            message.provider_message_id = report.message_id
    session.add(DeliveryReport(
        provider_message_id=report.message_id, status=report.status,
        failure_reason=report.failure_reason, phone=report.phone,
        network_code=report.network_code, retry_count=report.retry_count,
        message_id=message.id if message else None))
    if message is not None:
        message.provider_status = report.status
        state = at.DELIVERY_STATES.get(report.status.lower())
        if state == "delivered":
            message.status, message.delivered_at = "delivered", utcnow()
            message.failure_reason = None
        elif state == "failed" and message.status != "delivered":
            message.status = "failed"
            message.failure_reason = report.failure_reason or report.status
        elif state == "sent" and message.status in ("unknown", "sending"):
            message.status = "sent"
        elif message.status == "unknown":
            message.status = "sent"  # the provider has it, even if its fate is not final yet
        if (report.failure_reason or "").lower() in BLACKLIST_REASONS:
            opt_out(session, message.phone, "blacklist", evidence=f"report {report.message_id}")
    session.commit()


@bp.post("/webhooks/africastalking/sms/optout")
@require_token
def optout():
    """A subscriber used the provider's bulk SMS opt-out."""
    form = _form()
    if form is None:
        return jsonify(error="bad request"), 400
    phone, sender_id = at.parse_bulk_optout(form, current_app.config["DEFAULT_REGION"])
    if phone is None:
        log.warning("bulk opt-out without a readable number ignored")
        return OK
    try:
        opt_out(db.session(), phone, "bulk_optout", evidence=f"sender {sender_id}"[:200])
        db.session.commit()
    except SQLAlchemyError:
        return _unavailable("opt-out")
    return OK
