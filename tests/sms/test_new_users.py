"""What a new user meets by SMS (issue 9): replies in the language they wrote, REPORT without
JOIN, everyday words that are no STOP, START inside the rate limit. Through the webhook, the
reply read from the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.language.gsm import to_gsm
from app.language.i18n import gettext as translate
from app.models import Category, InboundMessage, Message, Municipality, Resident, Suppression, Ticket
from app.sms.commands import HELP, REPORT_DONE, REPORT_NO_WARD, REPORT_USAGE, START_DONE, STOP_DONE, UNKNOWN
from tests.sms.helpers import reply_to, sms

SALDANHA = {"to": "40123", "name": "Saldanha Bay", "languages": "English/Afrikaans/isiXhosa/isiZulu"}
STMA = {"to": "40456", "name": "Sekondi-Takoradi", "languages": "English/Twi"}


def gettext(locale: str, message: str, **params) -> str:
    """A template as the outbox stores it (GSM-7: Twi's ɛ and ɔ become e and o)."""
    return to_gsm(translate(locale, message, **params))


def _resident(app, phone):
    with app.app_context():
        return db.session.scalar(select(Resident).where(Resident.phone == phone))


def _tickets(app):
    with app.app_context():
        return [
            (t.category.code, t.ward.number if t.ward else None, t.location)
            for t in db.session.scalars(select(Ticket).order_by(Ticket.id))
        ]


def _ward_id(app, number):
    from app.models import Ward

    with app.app_context():
        return db.session.scalar(
            select(Ward.id).join(Municipality).where(Municipality.code == "saldanha", Ward.number == number)
        )


def _suppressed(app, phone="+27821234567") -> bool:
    with app.app_context():
        return db.session.get(Suppression, phone) is not None


# --- the language of the reply ------------------------------------------------------------

FIRST_MESSAGES = [
    # (text, council, reply's language, language remembered for the number)
    ("UNCEDO", SALDANHA, "xh", "xh"),
    ("usizo", SALDANHA, "zu", "zu"),
    ("Hulp", SALDANHA, "af", "af"),
    ("HELP", SALDANHA, "en", None),
    ("Mmoa", STMA, "ak", "ak"),
    ("MMOA", SALDANHA, "en", None),  # Twi is not offered there: the council's first language
    ("?", STMA, "en", None),
]


@pytest.mark.parametrize(("text", "council", "locale", "saved"), FIRST_MESSAGES)
def test_a_first_message_is_answered_in_its_language(app, demo, text, council, locale, saved):
    phone = "+27829990001" if council is SALDANHA else "+233244990001"
    reply = reply_to(app, text, phone=phone, to=council["to"])
    assert reply == gettext(locale, HELP, name=council["name"], languages=council["languages"])
    resident = _resident(app, phone)
    assert (resident.locale if resident else None) == saved


def test_the_next_reply_stays_in_the_remembered_language(app, demo):
    reply_to(app, "uncedo")
    text = reply_to(app, "JOIN 3")
    assert text == gettext(
        "xh", "You will get alerts for ward {number} ({ward}). Send LEAVE to stop them."
    ).format(number=3, ward="Middelpos")


def test_a_known_resident_is_answered_in_the_language_of_the_word(app, demo):
    """Whoever types UNCEDO reads isiXhosa; their saved language stays until LANG changes it."""
    reply_to(app, "LANG af")
    assert reply_to(app, "UNCEDO") == gettext(
        "xh", HELP, name="Saldanha Bay", languages=SALDANHA["languages"]
    )
    assert _resident(app, "+27821234567").locale == "af"
    assert reply_to(app, "HELP") == gettext("af", HELP, name="Saldanha Bay", languages=SALDANHA["languages"])
    # A word of two languages (isiXhosa and isiZulu) keeps the saved one when it is either.
    reply_to(app, "LANG zulu")
    assert reply_to(app, "isimo") == gettext("zu", "Send STATUS and your reference, e.g. STATUS 48210937.")


def test_lang_answers_in_the_new_language_whatever_word_asked(app, demo):
    assert reply_to(app, "ULWIMI af") == gettext(
        "af", "Your language is now {language}.", language="Afrikaans"
    )
    assert reply_to(app, "taal isiXhosa") == gettext(
        "xh", "Your language is now {language}.", language="isiXhosa"
    )


def test_help_names_the_languages_lang_accepts(app, demo):
    assert "LANG English/Afrikaans/isiXhosa/isiZulu," in reply_to(app, "HELP")
    assert "LANG English/Twi," in reply_to(app, "HELP", phone="+233244123456", to="40456")
    for code, word in (("af", "Afrikaans"), ("xh", "isiXhosa"), ("zu", "isiZulu"), ("en", "English")):
        reply = reply_to(app, f"LANG {word}")  # each name HELP gives is a word LANG takes
        assert reply == gettext(code, "Your language is now {language}.", language=word)


def test_help_with_a_long_name_stays_one_sms(app, demo):
    from app.language.gsm import count_segments, to_gsm

    long_name = "Witzenberg Local Municipality of the Cape Winelands"
    with app.app_context():
        db.session.execute(update(Municipality).where(Municipality.code == "saldanha").values(name=long_name))
        db.session.commit()
    from app.places import municipalities as routing

    routing.cache.clear()
    for word in ("HELP", "HULP", "UNCEDO", "USIZO"):
        text = reply_to(app, word)
        assert long_name in text and count_segments(to_gsm(text)).segments == 1, text
        assert "LANG EN/AF/XH/ZU," in text


# --- REPORT without JOIN ----------------------------------------------------------------------


def test_report_without_a_ward_asks_for_it_then_files_and_remembers_it(app, demo):
    assert reply_to(app, "REPORT WATER leak at the school") == gettext("en", REPORT_NO_WARD)
    assert _tickets(app) == []
    text = reply_to(app, "REPORT 8 WATER leak at the school")
    assert _tickets(app) == [("water", 8, "Leak at the school")]
    with app.app_context():
        reference = db.session.scalar(select(Ticket.reference))
    assert reference in text
    resident = _resident(app, "+27821234567")
    assert resident.ward_id is not None and resident.subscribed is False  # a ward, no alerts
    reply_to(app, "pothole at 5 Main Rd")
    assert _tickets(app)[-1] == ("roads", 8, "At 5 main rd")


def test_report_names_another_ward_or_an_unknown_one(app, demo):
    reply_to(app, "JOIN 3")
    reply_to(app, "REPORT 8 streetlight out by the church")
    assert _tickets(app) == [("streetlights", 8, "Out by the church")]
    assert "99" in reply_to(app, "REPORT 99 WATER leak")
    # A house number is no ward: it is followed by the place, not by a fault word.
    reply_to(app, "REPORT 5 Main Rd no water")
    assert _tickets(app)[-1] == ("water", 3, "5 main rd no water")
    assert _tickets(app)[0][1] == 8 and _resident(app, "+27821234567").ward_id == _ward_id(app, 3)


def test_a_ward_given_on_ussd_is_enough(app, phone):
    from tests.ussd.test_journeys import onboard

    onboard(phone, ward="5")
    reply_to(app, "BIKA amanzi avuza ngasesikoleni")
    assert _tickets(app) == [("water", 5, "Avuza ngasesikoleni")]


def test_an_unknown_fault_word_files_other(app, demo):
    reply_to(app, "JOIN 3")
    text = reply_to(app, "REPORT broken fence at the park")
    assert _tickets(app) == [("other", 3, "Broken fence at the park")]
    assert "(Other)" in text
    assert reply_to(app, "REPORT fence") == gettext("en", REPORT_USAGE)  # a word is no fault and place


def test_an_unknown_fault_word_without_an_other_category_gets_the_usage(app, demo):
    with app.app_context():
        db.session.execute(update(Category).where(Category.code == "other").values(active=False))
        db.session.commit()
    reply_to(app, "JOIN 3")
    assert reply_to(app, "REPORT broken fence at the park") == gettext("en", REPORT_USAGE)
    assert _tickets(app) == []


SENTENCES = [
    # (text, ticket filed: (category, ward, location)); the sender is in ward 3
    ("Stand 455 no water since Monday", ("water", 3, "Stand 455 no water since monday")),
    ("End of Main Rd streetlight broken", ("streetlights", 3, "End of main rd streetlight broken")),
    ("Misa amanzi avuza", ("water", 3, "Misa amanzi avuza")),
    ("Borla not collected on Church St", ("refuse", 3, "Not collected on church st")),
    ("Dumsor since 6am at Kojokrom", ("electricity", 3, "Since 6am at kojokrom")),
    ("Kwan so kanea no adum", ("streetlights", 3, "No adum")),
    ("Imigwaqo inemigodi eMain Rd", ("roads", 3, "Inemigodi emain rd")),
    ("Inkunkuma ayithathwanga", ("refuse", 3, "Ayithathwanga")),
    ("Straatligte is af in Hoofweg", ("streetlights", 3, "Is af in hoofweg")),
]


@pytest.mark.parametrize(("text", "ticket"), SENTENCES)
def test_a_sentence_naming_a_fault_is_a_report_not_a_stop(app, demo, text, ticket):
    reply_to(app, "JOIN 3")
    reply = reply_to(app, text)
    assert _tickets(app) == [ticket]
    assert not _suppressed(app)
    with app.app_context():
        reference = db.session.scalar(select(Ticket.reference))
    assert reference in reply


@pytest.mark.parametrize(
    "text", ["Cancel my report 48210937", "Kanselleer my melding", "Gyae amanneɛbɔ no", "end"]
)
def test_everyday_stop_words_opt_out_only_alone(app, demo, text):
    reply = reply_to(app, text)
    if text == "end":
        assert _suppressed(app) and reply == gettext("en", STOP_DONE, name="Saldanha Bay")
    else:
        assert not _suppressed(app) and reply == gettext("en", UNKNOWN)


@pytest.mark.parametrize(
    "text", ["CANCEL", "Kanselleer.", "misa", "GYAE", "Yeka", "QUIT", "STOP my report", "stop."]
)
def test_a_whole_message_stop_word_or_stop_first_always_opts_out(app, demo, text):
    reply_to(app, text)
    assert _suppressed(app)


def test_start_after_stop_inside_the_rate_limit_is_honoured_and_answered(app, demo, client):
    assert sms(client, "STOP").status_code == 200
    for _ in range(12):
        sms(client, "HELP")
    assert _suppressed(app)
    text = reply_to(app, "START")
    assert text == gettext("en", START_DONE, name="Saldanha Bay")
    assert not _suppressed(app)
    # A START that lifts nothing is rate limited like any other message.
    assert sms(client, "START").status_code == 200
    with app.app_context():
        last = db.session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()))
        assert (last.status, last.reason) == ("rejected", "rate limited")
        assert (
            db.session.scalar(select(func.count()).select_from(Message).where(Message.reply_to_id == last.id))
            == 0
        )


def test_report_done_names_the_category_in_the_reply_language(app, demo):
    reply_to(app, "JOIN 3")
    text = reply_to(app, "XELA amanzi avuza kwivenkile")
    with app.app_context():
        reference = db.session.scalar(select(Ticket.reference))
    assert text == gettext("xh", REPORT_DONE, reference=reference, category=gettext("xh", "Water"))
