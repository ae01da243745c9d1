"""Each citizen journey end to end through the USSD webhook, on real Redis and SQL."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import Outage, OutageWard, Resident, Ticket, Ward
from app.tickets.references import is_valid_reference
from app.ussd.simulator import Phone
from tests.conftest import TOKEN


def onboard(phone: Phone, language: str = "1", ward: str = "3") -> str:
    """First contact: language, ward number, confirm. Returns the main menu body."""
    body = phone.dial()
    assert "Choose a language" in body or body.startswith("CON ")
    phone.send(language)
    body = phone.send(ward)
    assert body.startswith("CON ")
    return phone.send("1")


def test_first_contact_remembers_language_and_ward(app, phone):
    body = phone.dial()
    assert body.startswith("CON ")
    assert "English" in body and "Afrikaans" in body and "isiXhosa" in body and "isiZulu" in body
    body = phone.send("1")
    assert "ward number" in body
    body = phone.send("3")
    assert "Ward 3: Middelpos" in body
    body = phone.send("1")
    assert "Welcome" in body and "Report a fault" in body
    with app.app_context():
        resident = db.session.scalar(select(Resident).where(Resident.phone == "+27821234567"))
        assert resident.locale == "en" and resident.ward.number == 3
    # Dialling again goes straight to the main menu.
    body = phone.dial()
    assert "Report a fault" in body and "language" not in body


def test_first_contact_in_afrikaans_and_unknown_ward(app, phone):
    phone.dial()
    body = phone.send("2")  # Afrikaans
    assert "Enter your ward number" not in body  # it is translated
    body = phone.send("99")
    assert body.startswith("CON ") and "99" in body  # not found, asked again
    body = phone.send("abc")
    assert body.startswith("CON ")
    body = phone.send("5")
    assert "Vredenburg North" in body
    phone.send("1")
    with app.app_context():
        resident = db.session.scalar(select(Resident))
        assert resident.locale == "af" and resident.ward.number == 5


def test_report_a_fault_commits_ticket_and_queues_sms(app, phone, redis):
    onboard(phone)
    phone.send("1")  # report
    phone.send("1")  # water
    body = phone.send("1")  # my ward
    assert "landmark" in body
    body = phone.send("Burst pipe at 12 Main Rd")
    assert "Water in ward 3: Burst pipe at 12 Main Rd" in body
    body = phone.send("1")
    assert body.startswith("END ")
    reference = body.split("reference is ")[1].split(".")[0]
    assert is_valid_reference(reference)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.reference == reference
        assert ticket.category.code == "water" and ticket.ward.number == 3
        assert ticket.location == "Burst pipe at 12 Main Rd" and ticket.source == "ussd"
    assert redis.llen("rq:queue:high") == 1


def test_report_in_another_ward(app, phone):
    onboard(phone)
    phone.dial()  # a returning caller: one who just gave their ward is not asked (issue 9)
    phone.send("1")
    phone.send("4")  # roads
    body = phone.send("2")  # another ward
    assert "ward number" in body
    body = phone.send("8")
    assert "Hopefield" in body
    phone.send("1")
    phone.send("Pothole by the church")
    body = phone.send("1")
    assert body.startswith("END ")
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.ward.number == 8 and ticket.category.code == "roads"
        # The caller's own ward is unchanged.
        assert db.session.scalar(select(Resident)).ward.number == 3


def test_free_text_with_star_emoji_and_length_limit(app, phone):
    onboard(phone)
    phone.send("1")
    phone.send("1")
    phone.send("1")
    body = phone.send("x" * 150)
    assert body.startswith("CON ") and "100" in body  # too long: asked again
    body = phone.send("Leak*next to the 🚰 tap")
    assert body.startswith("CON ")
    assert "Leak*next to the" in body and "🚰" not in body
    body = phone.send("1")
    with app.app_context():
        assert db.session.scalar(select(Ticket)).location == "Leak*next to the tap"


def test_check_ticket_by_reference(app, phone):
    onboard(phone)
    phone.send("1")
    phone.send("3")
    phone.send("1")
    phone.send("No power in street")
    reference = phone.send("1").split("reference is ")[1].split(".")[0]

    phone.dial()
    phone.send("2")  # check a ticket
    phone.send("1")  # enter a reference
    wrong = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    body = phone.send(wrong)
    assert "Check the number" in body
    swapped = reference[1] + reference[0] + reference[2:]
    if swapped != reference:
        assert "Check the number" in phone.send(swapped)
    body = phone.send(reference)
    assert reference in body and "Electricity" in body and "Received" in body and "Updated" in body


def test_check_unknown_reference_and_recent_reports(app, phone):
    from app.tickets.references import damm_digit

    onboard(phone)
    phone.send("2")
    body = phone.send("2")  # my recent reports
    assert "no reports" in body
    phone.send("1")
    unknown = "1234567" + str(damm_digit("1234567"))
    assert "was not found" in phone.send(unknown)

    phone.dial()
    for key in ("1", "5", "1", "Bins not collected", "1"):
        phone.send(key)
    phone.dial()
    phone.send("2")
    body = phone.send("2")
    assert "Refuse" in body
    body = phone.send("1")
    assert "Refuse: Received" in body


def test_outages_in_my_ward(app, phone):
    onboard(phone, ward="3")
    body = phone.send("3")
    assert "Outages in ward 3" in body
    assert "Water: now, until" in body and "Electricity:" in body

    phone.dial()
    phone.send("4")
    phone.send("1")  # change ward
    phone.send("7")
    assert "Ward alerts" in phone.send("1")  # back in My settings (issue 9)
    phone.send("00")
    body = phone.send("3")
    assert "No outages in ward 7" in body


def test_outage_over_is_not_listed(app, phone):
    with app.app_context():
        ward = db.session.scalar(select(Ward).where(Ward.number == 9))
        past = Outage(
            municipality_id=ward.municipality_id,
            service="water",
            status="active",
            starts_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2020, 1, 2, tzinfo=dt.UTC),
        )
        db.session.add(past)
        db.session.flush()
        db.session.add(OutageWard(outage_id=past.id, ward_id=ward.id))
        db.session.commit()
    onboard(phone, ward="9")
    assert "No outages in ward 9" in phone.send("3")


def test_settings_language_and_alerts(app, phone):
    onboard(phone)
    body = phone.send("4")
    assert "Ward alerts: off" in body
    body = phone.send("3")
    assert "Ward alerts are now on" in body
    with app.app_context():
        assert db.session.scalar(select(Resident)).subscribed is True
    phone.send("2")  # change language
    body = phone.send("3")  # isiXhosa
    assert "Report a fault" not in body
    with app.app_context():
        assert db.session.scalar(select(Resident)).locale == "xh"


def test_back_and_home_navigation(app, phone):
    onboard(phone)
    phone.send("1")
    body = phone.send("0")
    assert "Report a fault" in body
    phone.send("2")
    phone.send("1")
    body = phone.send("00")
    assert "Report a fault" in body
    assert "Invalid choice" in phone.send("9")


def test_resume_a_dropped_report(app, phone):
    onboard(phone)
    phone.send("1")
    phone.send("2")  # sanitation
    phone.send("1")
    # The session drops here; the caller dials again.
    body = phone.dial()
    assert "unfinished report (Sanitation)" in body
    body = phone.send("1")
    assert "landmark" in body
    phone.send("Blocked drain")
    assert phone.send("1").startswith("END ")
    with app.app_context():
        assert db.session.scalar(select(Ticket)).category.code == "sanitation"
    assert "unfinished" not in phone.dial()


def test_resume_can_be_declined(app, phone):
    onboard(phone)
    phone.send("1")
    phone.send("2")
    assert "unfinished" in phone.dial()
    # "Start again" starts a new report (issue 9; it used to show the main menu).
    assert "Choose the type of fault" in phone.send("2")
    assert "unfinished" not in phone.dial()


def test_shared_code_asks_once_and_remembers(app, demo):
    ghana = Phone(app=app, token=TOKEN, phone="+233244123456", service_code="*384*100#")
    body = ghana.dial()
    assert "Saldanha Bay" in body and "Sekondi-Takoradi" in body
    body = ghana.send("2")
    assert "English" in body and "Twi" in body and "Afrikaans" not in body
    ghana.send("2")  # Twi
    ghana.send("5")
    ghana.send("1")
    body = ghana.dial()
    assert "Sekondi-Takoradi" in body and "Saldanha" not in body


def test_single_municipality_needs_no_choice(app, ctx):
    import io

    from app.places.importers import import_municipalities

    import_municipalities(
        db.session(),
        io.StringIO(
            "code,name,region,timezone,locales,ussd_codes\nonly,Only Town,ZA,Africa/Johannesburg,en,\n"
        ),
    )
    body = Phone(app=app, token=TOKEN, phone="+27821234567", service_code="*1#").dial()
    assert "ward number" in body  # one language: straight to the ward


def test_unknown_code_in_multi_municipality_deployment(app, demo):
    body = Phone(app=app, token=TOKEN, phone="+27821234567", service_code="*999#").dial()
    assert body.startswith("END ")


def test_repeated_turn_has_no_second_effect(app, phone, client):
    onboard(phone)
    for key in ("1", "1", "1", "Near the school"):
        phone.send(key)
    phone.inputs.append("1")
    first = phone._post()
    again = phone._post()
    assert first == again and first.startswith("END ")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    # A repeated middle turn gives the same screen and does not advance.
    other = Phone(app=app, token=TOKEN, phone="+27829999999", service_code="*384*1234#")
    other.dial()
    a = other.send("1")
    other.inputs.pop()
    b = other.send("1")
    assert a == b


def test_ticket_hop_whose_session_save_fails_still_gets_its_sms(app, phone, redis):
    """The confirmation's send job goes with the session save, in one round trip. If that
    fails (Redis takes no writes), the ticket and its SMS row are already committed: the
    caller gets the apology, nothing of the turn is saved, and the reaper queues the SMS
    from its row."""
    from app.models import Message
    from workers.sender import reap

    onboard(phone)
    for typed in ("1", "1", "1", "Burst pipe at 12 Main Rd"):
        phone.send(typed)
    # Reads still answer. The pause outlasts the hop by far: two writes that time out
    # (the turn's round trip, then the send job on its own), 0.3 s and one retry each.
    redis.execute_command("CLIENT", "PAUSE", "4000", "WRITE")
    try:
        started = time.monotonic()
        body = phone.send("1")
        assert time.monotonic() - started < 3.5
    finally:
        time.sleep(max(0.0, 4.1 - (time.monotonic() - started)))
    assert body.startswith("END ") and "Sorry" in body
    assert redis.llen("rq:queue:high") == 0
    stored = redis.get("wl:ussd:s:" + phone.session_id)
    assert stored is not None and b"END " not in stored  # the last turn saved nothing
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        message = db.session.scalar(select(Message).where(Message.purpose == "ticket"))
        assert ticket is not None and message.status == "queued"
        assert ticket.reference in message.text
        assert reap(stale_after=0)["requeued"] == 1
    assert redis.llen("rq:queue:high") == 1


def test_a_known_callers_dial_asks_its_lookups_in_one_round(app, phone, monkeypatch):
    """The routing table is pre-answered from the process cache and the caller's row,
    councillor card and dropped report are asked for together: one round of lookups."""
    from app.ussd import turns

    onboard(phone)
    asked: list[list[str]] = []
    real_step = turns.step

    def counting_step(session, typed, facts, *args):
        outcome = real_step(session, typed, facts, *args)
        if outcome.needs:
            asked.append([need.kind for need in outcome.needs])
        return outcome

    monkeypatch.setattr("app.ussd.turns.step", counting_step)
    assert "Report a fault" in phone.dial()
    assert asked == [["resident", "councillor", "draft"]]


def test_ticket_hop_failing_after_its_commit_queues_the_sms_at_once(app, phone, redis, monkeypatch):
    """A turn that fails after committing the ticket but before its round trip (here: the
    session cannot be stored) still queues the confirmation at once, Redis being fine."""
    from app.ussd import turns as views

    onboard(phone)
    for typed in ("1", "1", "1", "Burst pipe at 12 Main Rd"):
        phone.send(typed)

    def too_large(*_args, **_kwargs):
        raise ValueError("session too large")

    monkeypatch.setattr(views, "add_session_save", too_large)
    body = phone.send("1")
    assert body.startswith("END ") and "Sorry" in body
    assert redis.llen("rq:queue:high") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
