"""RQ jobs: plain functions of ids and plain values, run inside the app context."""

from __future__ import annotations

import logging

from app.extensions import db
from app.models import Ticket

log = logging.getLogger(__name__)


def confirm_ticket(ticket_id: int) -> None:
    """Tell the reporter their ticket reference by SMS."""
    session = db.session()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        log.warning("confirm_ticket: ticket %s is gone", ticket_id)
        return
    log.info("ticket %s confirmation ready", ticket.reference)
