"""Every outage SMS, for every service, in every language, as residents get it: GSM-7, one
SMS with the longest municipality name, grammatical phrases instead of glued labels, and no
Twi line that turns "they/we" into "you" once ɛ/ɔ are transliterated."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.broadcasts.outages import SERVICES, TEMPLATES, create_outage, restore_outage, update_outage
from app.config import SUPPORTED_LOCALES
from app.extensions import db
from app.language.gsm import count_segments, is_gsm, to_gsm
from app.language.i18n import gettext
from app.language.labels import OUTAGE_PHRASES, STATUS_LABELS, outage_phrase, status_label
from app.models import Municipality, Ward, utcnow
from tests.menus.test_screens import LONG_NAME, _catalogue

LOCALES = ",".join(SUPPORTED_LOCALES)

GLUED = re.compile(r"\b(?:kwe|kwa|ye|ya|we|wa|le|la|ze|za|se|be|lwe|ngo|nge)-[aeiou]", re.IGNORECASE)
"""A possessive or instrumental prefix hyphenated onto a vowel-initial noun ("kwe-amanzi",
"ye-umbane"): isiXhosa and isiZulu fuse these (kwamanzi, yombane); hyphens belong before
digits and loanwords only (ku-18:00, i-PIN)."""


def _outage_texts(service: str) -> dict[str, list[str]]:
    """The stored texts of every alert kind for one service: now/planned, with and without an
    end, the update and the restored message; locale -> texts."""
    session = db.session()
    m = Municipality(
        code="long", name=LONG_NAME, region="ZA", timezone="Africa/Johannesburg", locales=LOCALES
    )
    session.add(m)
    session.flush()
    ward = Ward(municipality_id=m.id, number=9999, name="Ward 9999")
    session.add(ward)
    session.flush()
    now = utcnow()
    cases = [
        (now - dt.timedelta(minutes=5), now + dt.timedelta(days=3)),
        (now - dt.timedelta(minutes=5), None),
        (now + dt.timedelta(days=1), now + dt.timedelta(days=3)),
        (now + dt.timedelta(days=1), None),
    ]
    broadcasts = []
    for starts, ends in cases:
        outage, alert = create_outage(session, m, [ward.id], service, starts, ends)
        broadcasts.append(alert)
    outage, _ = create_outage(session, m, [ward.id], service, now - dt.timedelta(hours=1), None)
    broadcasts.append(update_outage(session, m, outage, now + dt.timedelta(days=2)))
    broadcasts.append(restore_outage(session, m, outage))
    session.commit()
    texts: dict[str, list[str]] = {}
    for broadcast in broadcasts:
        for locale, text in broadcast.texts.items():
            texts.setdefault(locale, []).append(text)
    return texts


@pytest.mark.parametrize("service", SERVICES)
def test_every_outage_sms_in_every_language(ctx, service):
    assert len(LONG_NAME) == 51
    texts = _outage_texts(service)
    assert set(texts) == set(SUPPORTED_LOCALES)
    for locale, rendered in texts.items():
        assert len(rendered) == len(TEMPLATES) and len(set(rendered)) == len(TEMPLATES), (locale, rendered)
        phrase = to_gsm(outage_phrase(locale, service))
        for text in rendered:
            count = count_segments(text)
            assert is_gsm(text) and count.encoding == "GSM-7" and count.segments == 1, (locale, count, text)
            assert text.startswith(LONG_NAME + ": ") and phrase in text, (locale, text)
            assert "{" not in text and "  " not in text, (locale, text)
            if locale in ("xh", "zu"):
                assert not GLUED.search(text), (locale, text)
    if service in ("roads", "refuse", "other"):  # nothing is "out": no "roads outage"
        assert all("outage" not in text for text in texts["en"]), texts["en"]


def test_glued_prefixes_are_caught():
    # The renderings the old templates produced: the check must see them.
    old = ("ukuqhawuka kwe-amanzi", "inkonzo ye-umbane", "insiza ye-udoti", "kwe-iindlela", "Kwe-izibane")
    for bad in old:
        assert GLUED.search(bad), bad
    for good in ("ukuya ku-26/11 18:00", "ngo-26/11", "Ufake i-PIN", "engama-30", "e-5 Main Rd", "Ama-PIN"):
        assert not GLUED.search(good), good


def test_every_service_has_a_phrase_in_every_language():
    assert tuple(OUTAGE_PHRASES) == SERVICES
    for locale in SUPPORTED_LOCALES:
        phrases = {outage_phrase(locale, s) for s in SERVICES}
        assert len(phrases) == len(SERVICES), locale
        if locale != "en":
            assert all(outage_phrase(locale, s) != OUTAGE_PHRASES[s] for s in SERVICES), locale


@pytest.mark.parametrize("locale", ["xh", "zu"])
def test_nguni_phrases_are_class_15_nouns(locale):
    # The sentences around the phrase agree through ku- (kuphelile, kulindeleke): that holds
    # only for an uku- noun.
    for service in SERVICES:
        assert outage_phrase(locale, service).startswith("uku"), (locale, service)


@pytest.mark.parametrize("locale", ["xh", "zu"])
def test_no_label_glued_anywhere_in_the_nguni_catalogues(locale):
    for message in _catalogue(locale):
        if message.id:
            assert not GLUED.search(message.string), (locale, message.id, message.string)


def test_twi_statuses_do_not_say_you():
    # "Wɔ-" (they) is sent as "Wo-" (you): "Wɔasiesie" would read "you have repaired it".
    for status in STATUS_LABELS:
        sent = to_gsm(status_label("ak", status))
        assert not sent.lower().startswith("wo"), (status, sent)
    for template in (
        "Ticket {reference}\n{category}: {status}\nUpdated {updated}",
        "Ticket {reference}: {category}, {status}. Updated {updated}.",
    ):
        sent = to_gsm(gettext("ak", template, reference="48210937", category="Nsuo", status="x", updated="x"))
        assert not re.search(r"\bWo", sent.split("\n", 1)[-1].split(": ", 1)[-1]), sent


def test_no_twi_text_says_your_your():
    # The locative "wɔ" before "wo" (your) is sent as "wo wo"; "wowɔ" (you have) as "wowo".
    for message in _catalogue("ak"):
        if message.id:
            sent = to_gsm(message.string).lower()
            assert "wo wo " not in sent and "wowo" not in sent, (message.id, sent)
