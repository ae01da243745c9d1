"""SMS REPORT of a fault that is already open nearby: the texter follows that ticket, and
REPORT NEW files one of their own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.config import SUPPORTED_LOCALES
from app.extensions import db
from app.language.gsm import count_segments, to_gsm
from app.language.i18n import gettext
from app.models import Resident, Ticket, TicketEvent, TicketFollower
from app.sms.commands import REPORT_ALREADY
from tests.sms.helpers import reply_to
from tests.tickets.factories import municipality, report

TEXTER = "+27829876543"
LONG_PLACE = "Opposite the old railway station on Voortrekker Road, next to the big taxi rank by the Shoprite"


def _open_ticket(app, location: str | None = None) -> str:
    with app.app_context():
        ticket = report(db.session())  # water, ward 3, by another resident
        if location:
            ticket.location = location
        db.session.commit()
        return ticket.reference


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_report_of_an_open_fault_follows_it(app, demo):
    reference = _open_ticket(app)
    text = reply_to(app, "REPORT 3 WATER pipe burst near the school", phone=TEXTER)
    assert text == (
        f"Already reported: Water, Main Rd by the school (ticket {reference}). You will get its "
        "updates. Not the same? Send REPORT NEW and the fault."
    )
    assert _count(app, Ticket) == 1
    assert _count(app, TicketFollower, TicketFollower.phone == TEXTER, TicketFollower.reason == "added") == 1
    assert _count(app, TicketEvent, TicketEvent.kind == "confirmed", TicketEvent.actor == "sms") == 1
    # The ward named is remembered: the next REPORT needs none, and adds nobody twice.
    assert reference in reply_to(app, "REPORT WATER still leaking", phone=TEXTER)
    assert _count(app, TicketFollower) == 2
    assert _count(app, TicketEvent, TicketEvent.kind == "confirmed") == 1


def test_report_new_files_a_ticket_anyway(app, demo):
    reference = _open_ticket(app)
    text = reply_to(app, "REPORT NEW 3 WATER leak at the clinic", phone=TEXTER)
    assert text.startswith("Thank you. Your report ") and reference not in text
    assert _count(app, Ticket) == 2
    assert _count(app, TicketFollower, TicketFollower.phone == TEXTER, TicketFollower.reason == "added") == 0
    # Another category, or another ward, is another fault.
    assert reply_to(app, "REPORT ROADS pothole on Main Rd", phone=TEXTER).startswith("Thank you.")
    assert reply_to(app, "REPORT 8 WATER leak", phone=TEXTER).startswith("Thank you.")
    assert _count(app, Ticket) == 4


def test_report_after_the_ticket_is_closed_files_a_new_one(app, demo):
    reference = _open_ticket(app)
    with app.app_context():
        from app.tickets import lifecycle

        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        lifecycle.transition(db.session(), ticket, "rejected", reason="private pipe", actor="cli")
        db.session.commit()
    text = reply_to(app, "REPORT 3 WATER pipe burst", phone=TEXTER)
    assert text.startswith("Thank you. Your report ") and reference not in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_reply_is_one_sms_in_every_language(app, demo, locale):
    reference = _open_ticket(app, LONG_PLACE)
    with app.app_context():
        place = municipality(db.session(), "saldanha")
        db.session.add(Resident(municipality_id=place.id, phone=TEXTER, locale=locale))
        db.session.commit()
    text = reply_to(app, "REPORT 3 WATER pipe burst", phone=TEXTER)
    assert reference in text and "REPORT NEW" in text
    assert count_segments(text).segments == 1, (locale, len(text), text)
    heading = to_gsm(gettext(locale, REPORT_ALREADY, category="", location="", reference="")).split(":")[0]
    assert text.startswith(heading + ": "), (locale, text)  # in the texter's language
    assert ".." in text  # the place was shortened to keep one SMS
