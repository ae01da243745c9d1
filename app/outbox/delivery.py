"""Delivery reports from any channel: stored as they came, and settling the outbox row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.channels.events import DeliveryReport as DeliveryReportEvent
from app.models import DeliveryReport, Message, utcnow
from app.outbox.optouts import opt_out

BLACKLIST_REASONS = frozenset({"userinblacklist"})
"""Failure reasons that mean the subscriber blocked us: treated as an opt-out."""

UNKNOWN_MATCH_DAYS = 2
"""How far back a report for a number may settle an `unknown` row of that number."""


def apply_delivery_report(session, report: DeliveryReportEvent) -> None:
    """Store the report and update the message it names (if we know it); commits."""
    message = session.scalar(
        select(Message).where(
            Message.channel == report.channel, Message.provider_message_id == report.message_id
        )
    )
    if message is None and report.phone:
        # A worker died between the provider's answer and our commit: its rows are `unknown`
        # and carry no message id. A report for that number settles the newest of them.
        recent = utcnow() - dt.timedelta(days=UNKNOWN_MATCH_DAYS)
        message = session.scalar(
            select(Message)
            .where(
                Message.phone == report.phone,
                Message.status == "unknown",
                Message.channel == report.channel,
                Message.provider_message_id.is_(None),
                Message.updated_at >= recent,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        if message is not None:
            message.provider_message_id = report.message_id
    session.add(
        DeliveryReport(
            channel=report.channel,
            provider_message_id=report.message_id,
            status=report.status,
            failure_reason=report.failure_reason,
            phone=report.phone,
            network_code=report.network_code,
            retry_count=report.retry_count,
            message_id=message.id if message else None,
        )
    )
    if message is not None:
        message.provider_status = report.status
        if report.state == "delivered":
            message.status, message.delivered_at = "delivered", utcnow()
            message.failure_reason = None
        elif report.state == "failed" and message.status != "delivered":
            message.status = "failed"
            message.failure_reason = report.failure_reason or report.status
        elif report.state == "sent" and message.status in ("unknown", "sending"):
            message.status = "sent"
        elif message.status == "unknown":
            message.status = "sent"  # the provider has it, even if its fate is not final yet
        if (report.failure_reason or "").lower() in BLACKLIST_REASONS:
            opt_out(session, message.phone, "blacklist", evidence=f"report {report.message_id}")
    session.commit()
