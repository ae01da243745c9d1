"""Every ticket state reads right on the USSD ticket screens and in the STATUS SMS, in every
language, within the limits."""

from __future__ import annotations

import pytest

from app.channels.africastalking.ussd import BUDGET, render_body
from app.config import SUPPORTED_LOCALES
from app.language.gsm import count_segments, gsm_length, is_gsm, to_gsm
from app.language.i18n import gettext
from app.language.labels import CATEGORY_LABELS, STATUS_LABELS, status_label
from app.sms.commands import STATUS_FOUND
from app.vocabulary import TicketStatus
from menus import screens as table
from menus.engine import Ctx, render
from tests.menus.test_screens import LONG_LABEL, SCREEN_LIMIT, TICKET, facts, session_on


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("status", list(TicketStatus))
def test_every_state_fits_the_ticket_screens_whole(locale, status):
    label = to_gsm(status_label(locale, status))
    assert label and is_gsm(label)
    session = session_on("ticket_detail", locale, (None, {}))
    session["params"] = {
        "ticket_detail": {
            "reference": "53590526",
            "category": LONG_LABEL,
            "status": status_label(locale, status),
            "updated": "2026-11-24",
        }
    }
    detail = render_body(render(Ctx(session, facts(), table.SCREENS, BUDGET), table.LISTS))
    assert gsm_length(detail) <= SCREEN_LIMIT and label in detail, (locale, status, detail)

    recent_facts = facts()
    recent_facts[("recent_tickets", 1, "+27821234567")] = [{**TICKET, "status": status.value}] * 5
    recent = render_body(
        render(
            Ctx(session_on("ticket_recent", locale, (None, {})), recent_facts, table.SCREENS, BUDGET),
            table.LISTS,
        )
    )
    assert gsm_length(recent) <= SCREEN_LIMIT, (locale, status, recent)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_state_fits_the_status_sms(locale):
    longest_category = max((to_gsm(gettext(locale, label)) for label in CATEGORY_LABELS.values()), key=len)
    for status in TicketStatus:
        text = to_gsm(
            gettext(
                locale,
                STATUS_FOUND,
                reference="48210937",
                category=longest_category,
                status=status_label(locale, status),
                updated="2026-11-24",
            )
        )
        assert count_segments(text).segments == 1, (locale, status, text)


def test_every_state_has_its_own_label_in_every_language():
    assert set(STATUS_LABELS) == set(TicketStatus)
    for locale in SUPPORTED_LOCALES:
        labels = [status_label(locale, s) for s in TicketStatus]
        assert len(set(labels)) == len(labels), locale


def test_twi_states_do_not_read_as_you_did_it():
    # "Wɔ-" ("they") is sent as "Wo-" ("you"): "Woato mu" reads "you have closed it".
    for status in TicketStatus:
        sent = to_gsm(status_label("ak", status))
        assert not sent.lower().startswith("wo"), (status, sent)
