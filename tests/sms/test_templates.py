"""Every SMS template, in every language, is GSM-7 after normalising and has a known cost."""

from __future__ import annotations

import re

import pytest

from app.config import SUPPORTED_LOCALES
from app.language.gsm import count_segments, to_gsm
from app.language.i18n import gettext
from app.sms.commands import HELP, TEMPLATES

VALUES = {
    "name": "Sekondi-Takoradi Metro",
    "reference": "48210937",
    "category": "Streetlights",
    "status": "In progress",
    "updated": "2026-11-24",
    "number": 9999,
    "ward": "Kwanokuthula Extension",
    "fault": "ELECTRICITY",
    "languages": "English, Afrikaans, isiXhosa, isiZulu, Twi",
    "language": "isiXhosa",
    "location": "Corner of Voortrekker Road and the old station, opposite the big Shoprite taxi rank, "
    "Vredenburg 7380",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_help_fits_one_segment(locale):
    text = to_gsm(gettext(locale, HELP, **VALUES))
    assert count_segments(text).segments == 1, (locale, len(text), text)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_templates_are_gsm_and_short(locale):
    for template in TEMPLATES:
        params = {k: v for k, v in VALUES.items() if "{" + k + "}" in template}
        text = to_gsm(gettext(locale, template, **params))
        count = count_segments(text)
        assert count.encoding == "GSM-7"
        # Replies are meant to be one SMS; two is the most any template may cost.
        assert count.segments <= 2, (locale, template, text)


@pytest.mark.parametrize("locale", [c for c in SUPPORTED_LOCALES if c != "en"])
def test_keywords_stay_typeable(locale):
    for template in TEMPLATES:
        translated = gettext(locale, template, **VALUES)
        for word in re.findall(r"\b(STATUS|REPORT|JOIN|LEAVE|LANG|STOP|START|HELP)\b", template):
            assert word in translated, (locale, word, translated)
