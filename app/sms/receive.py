"""An inbound SMS from any channel: stored, handled, answered; whether the provider should
retry is the only thing the channel's webhook needs to know."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from app.channels.events import InboundSms
from app.core.logs import safe_id
from app.outbox.messages import dispatch
from app.sms.inbound import process_inbound, store_failed

log = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """Nothing was stored: the channel answers so that the provider retries later."""


def receive_sms(event: InboundSms) -> None:
    """Store and handle one inbound SMS and queue its reply; raises StorageUnavailable when
    the database could not store it (the provider's retry brings it back)."""
    try:
        reply_id = process_inbound(event)
    except SQLAlchemyError:
        raise StorageUnavailable from None
    except Exception:
        # A bug in a command must not lose the message: keep it as failed.
        log.exception("sms %s: command failed", safe_id(event.provider_id))
        try:
            store_failed(event)
        except SQLAlchemyError:
            raise StorageUnavailable from None
        return
    if reply_id is not None:
        dispatch([reply_id], queue="high")
