"""USSD as a first-time caller meets it (issue 9), through the webhook on real Redis and SQL."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Resident, Ticket
from app.ussd.simulator import Phone
from tests.conftest import TOKEN

FIRST_REPORT = ["1", "3", "1", "1", "1", "Burst pipe at 12 Main Rd", "1"]
"""English, ward 3, that's right, report a fault, water, the place, send."""


def test_a_first_time_caller_reaches_the_reference_in_eight_screens(app, phone):
    screens = [phone.dial()]
    for typed in FIRST_REPORT:
        screens.append(phone.send(typed))
    assert len(screens) == 8
    assert screens[-1].startswith("END ") and "reference is" in screens[-1]
    assert all(s.startswith("CON ") for s in screens[:-1])
    assert "Where is the fault" not in "".join(screens)  # the ward just given is the ward
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.ward.number == 3 and ticket.category.code == "water"
    # Next time, the caller is asked whether it is their ward or another.
    phone.dial()
    phone.send("1")
    assert "Where is the fault" in phone.send("1")


def test_the_very_first_screen_has_no_back(app, phone, ctx):
    first = phone.dial()
    assert "Choose a language" in first and "0 Back" not in first and "00 Menu" not in first
    # The ward screen that follows goes back to the languages.
    assert "ward number" in phone.send("1")
    assert "Choose a language" in phone.send("0")


def test_a_single_language_councils_first_screen_has_no_back(app, ctx):
    import io

    from app.places.importers import import_municipalities

    import_municipalities(
        db.session(),
        io.StringIO(
            "code,name,region,timezone,locales,ussd_codes\nonly,Only Town,ZA,Africa/Johannesburg,en,\n"
        ),
    )
    body = Phone(app=app, token=TOKEN, phone="+27821234567", service_code="*1#").dial()
    assert "ward number" in body and "0 Back" not in body


def test_another_ward_asks_for_the_ward_of_the_fault(app, phone):
    phone.dial()
    for typed in ("1", "3", "1"):
        phone.send(typed)
    phone.dial()
    phone.send("1")
    phone.send("4")  # roads
    body = phone.send("2")  # another ward
    assert "Enter the ward number of the fault:" in body
    assert "Hopefield" in phone.send("8")
    body = phone.send("2")  # no, not that ward
    assert "Enter the ward number of the fault:" in body


def test_after_a_setting_change_the_caller_stays_in_settings(app, phone):
    phone.dial()
    for typed in ("1", "3", "1"):
        phone.send(typed)
    phone.send("4")  # my settings
    phone.send("2")  # change language
    body = phone.send("2")  # Afrikaans
    assert body.startswith("CON Gestoor.\nMy instellings:")  # "Saved." above the settings
    phone.send("1")  # change ward
    phone.send("7")
    body = phone.send("1")
    assert body.startswith("CON Gestoor.\nMy instellings:")
    with app.app_context():
        resident = db.session.scalar(select(Resident))
        assert resident.locale == "af" and resident.ward.number == 7
    body = phone.send("3")  # ward alerts: on, still in the settings
    assert "My instellings:" in body
    # Back from the settings goes to the main menu.
    assert "Meld 'n probleem aan" in phone.send("0")


def test_start_again_starts_a_new_report(app, phone):
    phone.dial()
    for typed in ("1", "3", "1", "1", "2"):  # ... report a fault, sanitation
        phone.send(typed)
    assert "unfinished" in phone.dial()
    assert "Choose the type of fault" in phone.send("2")
    phone.send("3")  # electricity
    phone.send("1")  # my ward
    phone.send("No power in the street")
    assert phone.send("1").startswith("END ")
    with app.app_context():
        assert db.session.scalar(select(Ticket)).category.code == "electricity"


def test_a_current_outage_is_listed_before_a_planned_one(app, phone):
    phone.dial()
    for typed in ("1", "3", "1"):
        phone.send(typed)
    body = phone.send("3")
    assert body.index("Water: now") < body.index("Electricity:")
