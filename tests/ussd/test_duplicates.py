"""The same fault reported twice on USSD: "Already reported ... 1 Add me to it 2 New report",
through the webhook on real Redis and SQL."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Ticket, TicketEvent, TicketFollower
from app.ussd.simulator import Phone
from tests.conftest import TOKEN
from tests.ussd.test_first_time import FIRST_REPORT
from tests.ussd.test_journeys import onboard

NEIGHBOUR = "+27829876543"


def _first_report(phone) -> str:
    """The first caller reports water in ward 3; returns the reference."""
    screens = [phone.dial()] + [phone.send(typed) for typed in FIRST_REPORT]
    assert "reference is" in screens[-1]
    with phone.app.app_context():
        return db.session.scalar(select(Ticket.reference))


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_neighbour_adds_themselves_to_the_open_ticket(app, phone):
    reference = _first_report(phone)
    neighbour = Phone(app=app, token=TOKEN, phone=NEIGHBOUR, service_code="*384*1234#")
    screens = 1 + 3  # dial, language, ward, that's right
    onboard(neighbour)
    neighbour.send("1")  # report a fault
    body = neighbour.send("1")  # water: the ward was just given
    screens += 2
    assert body.startswith("CON Already reported: Water, Burst pipe at 12 Main Rd.\n")
    assert "1. Add me to it\n2. New report\n0 Back 00 Menu" in body
    body = neighbour.send("1")
    screens += 1
    assert body == f"END You now follow ticket {reference}. We will SMS you updates."
    assert screens == 7
    # The operator sends the same turn again: the same answer, no second effect.
    assert neighbour._post() == body
    assert _count(app, Ticket) == 1
    assert (
        _count(app, TicketFollower, TicketFollower.phone == NEIGHBOUR, TicketFollower.reason == "added") == 1
    )
    assert _count(app, TicketEvent, TicketEvent.kind == "confirmed", TicketEvent.actor == "ussd") == 1
    # Next time the same report offers the same ticket; adding again changes nothing.
    neighbour.dial()
    neighbour.send("1")
    neighbour.send("1")
    assert "Already reported" in neighbour.send("1")  # my ward
    assert reference in neighbour.send("1")
    assert _count(app, TicketFollower) == 2
    assert _count(app, TicketEvent, TicketEvent.kind == "confirmed") == 1


def test_new_report_files_a_ticket_of_its_own(app, phone):
    first = _first_report(phone)
    phone.dial()
    phone.send("1")
    phone.send("1")  # water
    assert "Already reported" in phone.send("1")  # my ward
    assert "Describe the place" in phone.send("2")  # new report
    phone.send("Leak at the clinic gate")
    body = phone.send("1")
    assert body.startswith("END Thank you. Your reference is") and first not in body
    assert _count(app, Ticket) == 2
    assert _count(app, TicketEvent, TicketEvent.kind == "confirmed") == 0


def test_back_from_the_offer_and_another_category_is_not_offered(app, phone):
    _first_report(phone)
    phone.dial()
    phone.send("1")
    phone.send("4")  # roads: nothing open
    assert "Describe the place" in phone.send("1")
    assert "Where is the fault" in phone.send("0")
    phone.send("0")  # the categories again
    phone.send("1")  # water
    assert "Already reported" in phone.send("1")
    assert "Where is the fault" in phone.send("0")


def test_the_offer_in_afrikaans_shortens_a_long_place(app, demo):
    english = Phone(app=app, token=TOKEN, phone="+27821234567", service_code="*384*1234#")
    onboard(english)
    english.send("1")
    english.send("1")
    english.send(
        "Opposite the old railway station on Voortrekker Road, next to the big taxi rank by Shoprite"
    )
    assert "reference is" in english.send("1")
    afrikaans = Phone(app=app, token=TOKEN, phone=NEIGHBOUR, service_code="*384*1234#")
    onboard(afrikaans, language="2")
    afrikaans.send("1")
    body = afrikaans.send("1")
    assert body.startswith("CON Reeds aangemeld: Water, Opposite the old railway station")
    assert ".." in body and len(body) <= 160
    assert "1. Voeg my daarby\n2. Nuwe melding" in body
    assert afrikaans.send("1").startswith("END U volg nou melding ")
