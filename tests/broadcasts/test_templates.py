"""Outage alerts and councillor replies, in every language: GSM-7, one SMS, keywords typeable."""

from __future__ import annotations

import re

import pytest

from app.broadcasts.outages import TEMPLATES as OUTAGE_TEMPLATES
from app.config import SUPPORTED_LOCALES
from app.language.gsm import count_segments, to_gsm
from app.language.i18n import gettext
from app.sms.councillor_commands import TEMPLATES as COUNCILLOR_TEMPLATES

VALUES = {
    "name": "Sekondi-Takoradi Metro",
    "service": "streetlights",
    "outage": "streetlight outage",
    "starts": "25/11 08:00",
    "ends": "26/11 18:00",
    "ward": 9999,
    "count": 123456,
    "segments": 3,
    "code": "123456",
    "limit": 10,
    "max": 459,
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("template", OUTAGE_TEMPLATES + COUNCILLOR_TEMPLATES)
def test_one_gsm_segment(locale, template):
    text = to_gsm(gettext(locale, template, **VALUES))
    count = count_segments(text)
    assert count.encoding == "GSM-7" and count.segments == 1, (locale, text)
    for word in re.findall(r"\b(BROADCAST|YES)\b", template):
        assert word in text


@pytest.mark.parametrize("locale", [c for c in SUPPORTED_LOCALES if c != "en"])
def test_translated(locale):
    for template in OUTAGE_TEMPLATES + COUNCILLOR_TEMPLATES:
        assert gettext(locale, template, **VALUES) != gettext("en", template, **VALUES), template
