"""The pure engine as tables: (state, input, facts) -> (next screen, reply, needs)."""

from __future__ import annotations

import pytest

from app.channels.africastalking.ussd import BUDGET, render_body
from menus.engine import Need, new_session
from menus.engine import step as engine_step
from menus.screens import CITIZEN_MENU

MID = 7
PHONE = "+27821234567"
CODE = "*384*1234#"
WARD3 = {"id": 30, "number": 3, "name": "Middelpos"}
CATS = [{"id": 1, "code": "water", "labels": {}}, {"id": 2, "code": "roads", "labels": {}}]
CHOICE = {"id": MID, "name": "Saldanha Bay", "locales": ["en", "af"]}


def step(session, typed, facts):
    """The citizen menu on Africa's Talking's screen; `typed` is the newest input."""
    return engine_step(session, typed, facts, CITIZEN_MENU, BUDGET)


KNOWN = {
    ("municipalities", CODE, PHONE): {"choices": [CHOICE], "remembered": None},
    ("resident", MID, PHONE): {"id": 41, "locale": "en", "ward": WARD3, "subscribed": False},
    ("councillor", MID, PHONE): None,
    ("draft", MID, PHONE): None,
    ("categories", MID): CATS,
    # The same fault reported lately in ward 3: none (see test_duplicates.py for some).
    ("similar", MID, 30, 1): None,
    ("similar", MID, 30, 2): None,
}


def at(screen: str, **extra) -> dict:
    """A session of a known caller standing on `screen`, whose last turn was `text`."""
    s = new_session("S1", PHONE, CODE)
    s.update(
        mid=MID,
        mname="Saldanha Bay",
        locales=["en", "af"],
        locale="en",
        ward=WARD3,
        subscribed=False,
        screen=screen,
        params={"main": {"municipality": "Saldanha Bay"}},
    )
    s.update(extra)
    return s


def test_first_turn_asks_for_what_it_needs():
    out = step(new_session("S1", PHONE, CODE), "", {})
    assert out.reply is None
    assert out.needs == [Need("municipalities", (CODE, PHONE))]
    out = step(new_session("S1", PHONE, CODE), "", {k: KNOWN[k] for k in list(KNOWN)[:1]})
    # The caller's row, councillor card and dropped report are asked for in one round.
    assert out.needs == [
        Need("resident", (MID, PHONE)),
        Need("councillor", (MID, PHONE)),
        Need("draft", (MID, PHONE)),
    ]
    out = step(new_session("S1", PHONE, CODE), "", {k: KNOWN[k] for k in list(KNOWN)[:2]})
    assert out.needs == [Need("councillor", (MID, PHONE)), Need("draft", (MID, PHONE))]


def test_first_turn_of_known_caller_shows_main_menu():
    out = step(new_session("S1", PHONE, CODE), "", KNOWN)
    assert out.session["screen"] == "main"
    assert render_body(out.reply).startswith("CON Saldanha Bay: how can we help?\n1. Report a fault")


def test_new_caller_chooses_language_first():
    facts = dict(KNOWN)
    facts[("resident", MID, PHONE)] = None
    out = step(new_session("S1", PHONE, CODE), "", facts)
    assert out.session["screen"] == "language"
    assert "1. English\n2. Afrikaans" in out.reply.text


ROWS = [
    # (screen, typed, extra facts, next screen, text in reply)
    ("main", "1", {}, "report_category", "1. Water\n2. Roads"),
    ("main", "2", {}, "ticket_menu", "Enter a reference"),
    ("main", "7", {}, "main", "Invalid choice."),
    ("main", "", {}, "main", "Invalid choice."),
    ("ticket_menu", "0", {}, "main", "Report a fault"),
    ("ticket_menu", "00", {}, "main", "Report a fault"),
    ("ticket_entry", "12345678", {}, "ticket_entry", "Check the number"),
    ("ticket_entry", "abc", {}, "ticket_entry", "Check the number"),
    ("ward_entry", "x1", {}, "ward_entry", "in digits"),
    ("ward_entry", "12", {("ward", MID, 12): None}, "ward_entry", "Ward 12 was not found."),
    (
        "ward_entry",
        "12",
        {("ward", MID, 12): {"id": 1, "number": 12, "name": "Ongegund"}},
        "ward_confirm",
        "Ward 12: Ongegund. Is this right?",
    ),
    ("report_location", "ab", {}, "report_location", "Please type a few words."),
]


@pytest.mark.parametrize(("screen", "typed", "facts", "next_screen", "shown"), ROWS)
def test_transitions(screen, typed, facts, next_screen, shown):
    session = at(screen, draft={"category": CATS[0], "report_ward": WARD3})
    out = step(session, typed, {**KNOWN, **facts})
    assert out.reply is not None, out.needs
    assert out.session["screen"] == next_screen
    assert shown in out.reply.text


def test_ticket_lookup_is_a_need_then_a_screen():
    from app.tickets.references import damm_digit

    ref = "5359052" + str(damm_digit("5359052"))
    out = step(at("ticket_entry"), ref, KNOWN)
    assert out.needs == [Need("ticket", (MID, ref))]
    ticket = {"reference": ref, "category": CATS[0], "status": "in_progress", "updated": "2026-11-20"}
    out = step(at("ticket_entry"), ref, {**KNOWN, ("ticket", MID, ref): ticket})
    assert out.reply.text.startswith(f"Ticket {ref}\nWater: In progress\nUpdated 2026-11-20")


def test_submit_is_a_keyed_write_then_end():
    session = at("report_confirm", draft={"category": CATS[0], "report_ward": WARD3, "location": "Main Rd"})
    out = step(session, "1", KNOWN)
    (need,) = out.needs
    assert need.key == ("create_ticket", "ussd:S1")
    assert need.payload["category_id"] == 1 and need.payload["ward_id"] == 30
    out = step(session, "1", {**KNOWN, need.key: {"reference": "53590526"}})
    assert out.reply.end and "53590526" in out.reply.text
    assert ("clear_draft",) in out.effects


def test_step_does_not_mutate_its_input():
    session = at("main")
    before = repr(session)
    step(session, "1", KNOWN)
    assert repr(session) == before


def test_long_list_pages_with_more():
    cats = [{"id": i, "code": f"c{i}", "labels": {"en": f"Category number {i}"}} for i in range(1, 15)]
    facts = {**KNOWN, ("categories", MID): cats}
    out = step(at("main"), "1", facts)
    assert "98 More" in out.reply.text and len(render_body(out.reply)) <= 160
    first_page = out.reply.text
    out2 = step(out.session, "98", facts)
    assert (
        out2.reply.text != first_page
        and "14. Category number 14" in out2.reply.text
        or "98 More" in out2.reply.text
    )
    # Picking a number from the second page picks that item.
    number = out2.reply.text.split("\n")[1].split(".")[0]
    out3 = step(out2.session, number, facts)
    assert out3.session["draft"]["category"]["id"] == int(number)


def test_councillor_gets_the_broadcast_option():
    facts = {**KNOWN, ("councillor", MID, PHONE): {"id": 1, "name": "C", "ward": WARD3}}
    out = step(new_session("S1", PHONE, CODE), "", facts)
    assert out.session["screen"] == "main_councillor" and "5. Councillor broadcast" in out.reply.text
    out = step(out.session, "5", facts)
    assert out.session["screen"] == "cl_pin"
    out2 = step(out.session, "1234", facts)
    (need,) = out2.needs
    assert need.kind == "check_pin" and "1234" not in repr(need.key)  # the PIN is payload only
    out3 = step(out.session, "1234", {**facts, need.key: "ok"})
    assert out3.session["screen"] == "cl_compose" and "ward 3" in out3.reply.text


def test_resumed_report_keeps_its_ticket_key():
    """A report resumed in a new session submits with the first session's key: no second ticket."""
    saved = {
        "draft": {
            "report": True,
            "key": "ussd:FIRST",
            "category": CATS[0],
            "report_ward": WARD3,
            "location": "Main Rd",
        }
    }
    facts = {**KNOWN, ("draft", MID, PHONE): saved}
    out = step(new_session("SECOND", PHONE, CODE), "", facts)
    assert out.session["screen"] == "resume"
    out = step(out.session, "1", facts)
    assert out.session["screen"] == "report_confirm"
    (need,) = step(out.session, "1", facts).needs
    assert need.key == ("create_ticket", "ussd:FIRST")


def test_ticket_names_the_resident_read_on_the_dial():
    """A caller whose row (with a language) was read on the dial: the ticket names that row,
    so the ticket hop does not read it again. A caller without a language gets no hint."""
    journey = ["", "1", "1", "1", "Main Rd", "1"]

    def submit_payload(facts):
        out = None
        session = new_session("S1", PHONE, CODE)
        for typed in journey:
            out = step(session, typed, facts)
            if out.needs:
                return out.needs[0].payload
            session = out.session
        raise AssertionError("no ticket was asked for")

    assert submit_payload(KNOWN)["resident_id"] == 41
    no_locale = {**KNOWN, ("resident", MID, PHONE): {**KNOWN[("resident", MID, PHONE)], "locale": None}}
    no_locale[("municipalities", CODE, PHONE)] = {
        "choices": [{**CHOICE, "locales": ["en"]}],
        "remembered": None,
    }
    assert submit_payload(no_locale)["resident_id"] is None
