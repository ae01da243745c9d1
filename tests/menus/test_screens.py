"""Every screen, in every language, with the longest data we accept, fits one USSD body."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from app.channels.africastalking.ussd import BUDGET, render_body
from app.config import SUPPORTED_LOCALES
from app.language.gsm import gsm_length, is_gsm, to_gsm
from app.language.i18n import LOCALES_DIR, gettext
from app.language.labels import CATEGORY_LABELS
from menus import screens as table
from menus.engine import Ctx, Reply, render

SCREEN_LIMIT = 160
"""Africa's Talking shows at most 160 GSM-7 characters, `CON `/`END ` included: a fact of
the provider's protocol, not a constant of ours that a change could raise."""

LONG_NAME = "Witzenberg Local Municipality of the Cape Winelands"  # 51 chars
LONG_WARD = {"id": 1, "number": 9999, "name": "Kwanokuthula, Bongolethu and Rosedale Extension"}
LONG_LABEL = "W" * 40  # the longest category label an import accepts
CATS = [{"id": i, "code": code, "labels": {}} for i, code in enumerate(CATEGORY_LABELS, 1)]
CATS += [{"id": 99, "code": "custom", "labels": {"en": LONG_LABEL}}]
TICKET = {
    "reference": "53590526",
    "category": {"code": "custom", "labels": {"en": LONG_LABEL}},
    "status": "in_progress",
    "updated": "2026-11-24",
}
OUTAGES = [
    {"service": s, "state": st, "starts": "24/11 08:00", "ends": e}
    for s in ("electricity", "sanitation")
    for st in ("now", "planned")
    for e in ("25/11 18:00", None)
]

PARAMS = {
    "main": {"municipality": LONG_NAME},
    "ward_confirm": {"number": 9999, "name": LONG_WARD["name"]},
    "resume": {"category": LONG_LABEL},
    "report_confirm": {"category": LONG_LABEL, "ward": 9999, "location": "x" * 100},
    "report_similar": {"category": LONG_LABEL, "location": "x" * 100},
    "ticket_detail": {
        "reference": "53590526",
        "category": LONG_LABEL,
        "status": "In progress",
        "updated": "2026-11-24",
    },
    "outages": {"ward": 9999},
    "main_councillor": {"municipality": LONG_NAME},
    "cl_compose": {"ward": 9999},
    "cl_confirm": {"count": 999999, "segments": 2, "text": "x" * 160},
}

NOTICES = [(None, {})] + [
    (m, {"number": 9999, "reference": "53590526", "max": 100, "ward": 9999})
    for m in (
        "Invalid choice.",
        "Saved.",
        "Welcome!",
        "Please enter the ward number in digits.",
        "Ward {number} was not found.",
        "Please type a few words.",
        "Please use at most {max} characters.",
        "That number is not right. Check the number and try again.",
        "Ticket {reference} was not found.",
        "You have no reports yet.",
        "Please set your ward first.",
        "No outages in ward {ward} now.",
        "Ward alerts are now on.",
        "Ward alerts are now off.",
        "Wrong PIN.",
    )
]


def facts():
    mid, phone = 1, "+27821234567"
    return {
        ("categories", mid): CATS,
        ("recent_tickets", mid, phone): [TICKET] * 5,
        ("outages", mid, LONG_WARD["id"]): OUTAGES,
    }


def session_on(screen: str, locale: str, notice) -> dict:
    return {
        "sid": "S",
        "phone": "+27821234567",
        "code": "*1#",
        "mid": 1,
        "mname": LONG_NAME,
        "locale": locale,
        "locales": list(SUPPORTED_LOCALES),
        "ward": LONG_WARD,
        "subscribed": False,
        "screen": screen,
        "stack": [],
        "page": 0,
        "choices": [{"id": i, "name": LONG_NAME, "locales": ["en"]} for i in range(4)],
        "draft": {"category": CATS[-1], "report_ward": LONG_WARD, "location": "x" * 100},
        "params": PARAMS,
        "notice": list(notice) if notice[0] else None,
    }


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("screen_id", sorted(table.SCREENS))
def test_every_screen_fits_in_every_locale(locale, screen_id):
    for notice in NOTICES:
        ctx = Ctx(session_on(screen_id, locale, notice), facts(), table.SCREENS, BUDGET)
        for page in range(3):
            ctx.session["page"] = page
            body = render_body(render(ctx, table.LISTS))
            assert is_gsm(body), (locale, screen_id, body)
            assert gsm_length(body) <= SCREEN_LIMIT, (locale, screen_id, notice[0], body)


END_MESSAGES = [
    ("Thank you. Your reference is {reference}. We will send it to you by SMS.", {"reference": "53590526"}),
    (
        "Thank you. Your reference is {reference}. SMS STATUS {reference} to {code} to check it.",
        {"reference": "53590526", "code": "12345678"},
    ),
    ("Your report was cancelled.", {}),
    ("This service is not available on this number.", {}),
    ("Sorry, the service is busy. Please try again in a few minutes.", {}),
    ("Sorry, we could not read your phone number.", {}),
    ("Too many wrong PINs. Try again in 30 minutes.", {}),
    ("You have reached today's limit of {limit} broadcasts.", {"limit": 99}),
    ("Your broadcast to ward {ward} is on its way to {count} residents.", {"ward": 9999, "count": 999999}),
]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_closing_messages_fit(locale):
    for message, params in END_MESSAGES:
        body = render_body(Reply(to_gsm(gettext(locale, message, **params)), end=True))
        assert gsm_length(body) <= SCREEN_LIMIT, (locale, body)


def _catalogue(locale):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("locale", [c for c in SUPPORTED_LOCALES if c != "en"])
def test_catalogues_are_complete_real_translations(locale):
    cat = _catalogue(locale)
    messages = [m for m in cat if m.id]
    assert messages
    copies = 0
    for m in messages:
        assert m.string, f"{locale}: no translation for {m.id!r}"
        assert sorted(re.findall(r"\{\w+\}", m.id)) == sorted(re.findall(r"\{\w+\}", m.string)), m.id
        copies += m.string == m.id
    # Names and numbers ("{municipality}...", "98 More") may coincide; sentences may not.
    assert copies <= len(messages) // 10, f"{locale}: {copies} strings are English copies"


def test_menu_strings_are_all_in_the_template():
    template = {m.id for m in read_po((LOCALES_DIR / "messages.pot").open("rb")) if m.id}
    for screen in table.SCREENS.values():
        assert not screen.text or screen.text in template, screen.text
        for option in screen.options:
            assert option.label in template, option.label
