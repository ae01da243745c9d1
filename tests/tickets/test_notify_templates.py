"""Every ticket update, answer and confirmation, in every language, with the longest values:
GSM-7, one segment, translated; a note is cut to fit and keeps at least NOTE_MIN characters."""

from __future__ import annotations

import pytest

from app.config import SUPPORTED_LOCALES
from app.language.gsm import count_segments, gsm_length, to_gsm
from app.language.i18n import gettext
from app.tickets.notifications import ELLIPSIS, NOTE_MIN, SEGMENT, fit_note
from app.tickets.templates import ANSWERS, NOTICES, TICKET_CONFIRMATION_CODE

LONGEST = {
    "reference": "48210937",
    "category": "W" * 40,  # the longest label an import accepts
    "code": "12345678",  # the longest short code we budget for (real ones have 4-6 digits)
    "date": "2026-11-24",
    "into": "48210937",
    "ward": 9999,
    "name": "Sekondi-Takoradi Metro",
}
NOTE = "Burst main on Oak St replaced; water pressure back by 18:00 " * 6  # 360 characters


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("template", NOTICES + ANSWERS + (TICKET_CONFIRMATION_CODE,))
def test_every_template_is_one_segment_in_every_language(locale, template):
    text = fit_note(lambda n: gettext(locale, template, **LONGEST, note=n), NOTE)
    count = count_segments(text)
    assert (count.encoding, count.segments) == ("GSM-7", 1), (locale, gsm_length(text), text)
    if locale != "en":
        assert text != to_gsm(template.format(**LONGEST, note="x")), (locale, "not translated")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("template", [t for t in NOTICES if "{note}" in t])
def test_a_note_keeps_its_room_and_is_cut_visibly(locale, template):
    room = SEGMENT - gsm_length(to_gsm(gettext(locale, template, **LONGEST, note="")))
    assert room >= NOTE_MIN, (locale, template, room)
    text = fit_note(lambda n: gettext(locale, template, **LONGEST, note=n), NOTE)
    assert text.endswith(ELLIPSIS) and gsm_length(text) <= SEGMENT
    assert NOTE[:NOTE_MIN] in text
    short = fit_note(lambda n: gettext(locale, template, **LONGEST, note=n), "Pipe fixed")
    assert short.endswith("Pipe fixed")


@pytest.mark.parametrize("locale", [c for c in SUPPORTED_LOCALES if c != "en"])
def test_the_answer_words_stay_typeable(locale):
    from app.tickets.questions import NO_WORDS, YES_WORDS
    from app.tickets.templates import RESOLVED, RESOLVED_CODE

    for template in (RESOLVED, RESOLVED_CODE):
        words = to_gsm(gettext(locale, template, **LONGEST)).replace("?", " ").replace(".", " ").split()
        assert "1" in words and "2" in words
        assert YES_WORDS & set(words) - {"1"} and NO_WORDS & set(words) - {"2"}, (locale, words)
    assert "STATUS" in gettext(locale, TICKET_CONFIRMATION_CODE, **LONGEST)
    assert "12345678" in gettext(locale, TICKET_CONFIRMATION_CODE, **LONGEST)
