"""Keyword parsing as a table: first word is the command, any language, any case."""

from __future__ import annotations

import pytest

from app.sms.keywords import fault_category, language_code, parse


@pytest.mark.parametrize(
    ("text", "command", "argument"),
    [
        ("STATUS 48210937", "status", "48210937"),
        ("  status   48210937 ", "status", "48210937"),
        ("Status: 4821-0937!", "status", "4821-0937"),
        ("isimo 48210937", "status", "48210937"),
        ("help", "help", ""),
        ("Hulp", "help", ""),
        ("uncedo", "help", ""),
        ("usizo", "help", ""),
        ("Mmoa", "help", ""),
        ("JOIN 12", "join", "12"),
        ("joyina 12", "join", "12"),
        ("aansluit 7", "join", "7"),
        ("leave", "leave", ""),
        ("verlaat", "leave", ""),
        ("LANG xh", "lang", "XH"),
        ("taal afrikaans", "lang", "AFRIKAANS"),
        ("stop", "stop", ""),
        ("STOP.", "stop", ""),
        ("Stopall", "stop", ""),
        ("unsubscribe", "stop", ""),
        ("opt-out", "stop", ""),
        ("staak", "stop", ""),
        ("yeka", "stop", ""),
        ("misa", "stop", ""),
        ("gyae", "stop", ""),
        ("START", "start", ""),
        ("qala", "start", ""),
        ("REPORT water leak at 5 Main Rd", "report", "WATER LEAK AT 5 MAIN RD"),
        ("meld krag af in Langstraat", "report", "KRAG AF IN LANGSTRAAT"),
        ("bika amanzi", "report", "AMANZI"),
        ("WATER burst pipe", "report", "WATER BURST PIPE"),
        ("pothole on church street", "report", "POTHOLE ON CHURCH STREET"),
        ("hello there", "unknown", "HELLO THERE"),
        ("", "unknown", ""),
        ("🙂🙂", "unknown", ""),
        ("STOPPING by later", "unknown", "STOPPING BY LATER"),
    ],
)
def test_parse(text, command, argument):
    parsed = parse(text)
    assert (parsed.command, parsed.argument) == (command, argument)


def test_fault_words_and_languages():
    assert fault_category("UGESI ayikho") == ("electricity", "AYIKHO")
    assert fault_category("vullis nie opgetel nie") == ("refuse", "NIE OPGETEL NIE")
    assert fault_category("nothing") is None
    assert [language_code(w) for w in ("isiXhosa", "zulu", "twi", "EN", "klingon")] == [
        "xh",
        "zu",
        "ak",
        "en",
        None,
    ]


# --- issue 9: what a new user types -----------------------------------------------------------

NEW_USER_TEXTS = [
    # (text, command, languages of the first word)
    ("UNCEDO", "help", ("xh",)),
    ("usizo", "help", ("zu",)),
    ("Hulp", "help", ("af",)),
    ("Mmoa", "help", ("ak",)),
    ("HELP", "help", ()),
    ("isimo 48210937", "status", ("xh", "zu")),
    ("meld vullis by die skool", "report", ("af",)),
    ("BIKA amanzi", "report", ("zu",)),
    ("Amanzi awekho", "report", ("xh", "zu")),
    ("WATER leak", "report", ()),
    ("Stand 455 no water", "report", ()),  # a stand is a plot: no STATUS alias
    ("STAND 455", "unknown", ()),
    ("End of Main Rd streetlight broken", "report", ()),
    ("Misa amanzi avuza", "report", ()),
    ("Cancel my report 48210937", "unknown", ()),
    ("Kanselleer my melding", "unknown", ()),
    ("Gyae amanneɛbɔ no", "unknown", ()),
    ("cancel", "stop", ()),
    ("END.", "stop", ()),
    ("Kanselleer", "stop", ("af",)),
    ("GYAE", "stop", ("ak",)),
    ("STOP my report", "stop", ()),
    ("Staak die boodskappe", "stop", ("af",)),
    ("Borla everywhere", "report", ()),
    ("dumsor again", "report", ()),
    ("hello there", "unknown", ()),
]


@pytest.mark.parametrize(("text", "command", "languages"), NEW_USER_TEXTS)
def test_parse_new_user_texts(text, command, languages):
    parsed = parse(text)
    assert (parsed.command, parsed.languages) == (command, languages)


FAULTS = [
    ("BORLA not collected", "refuse"),
    ("Dumsor since 6am", "electricity"),
    ("Kwan so kanea abɔ", "streetlights"),  # the Twi label, not KWAN (roads)
    ("Izibani zomgwaqo azisebenzi", "streetlights"),
    ("Iindlela zonakele", "roads"),
    ("Paaie vol slaggate", "roads"),
    ("Sanitasie probleem", "sanitation"),
    ("Inhlanzeko", "sanitation"),
]


@pytest.mark.parametrize(("text", "code"), FAULTS)
def test_everyday_and_label_fault_words(text, code):
    assert fault_category(text)[0] == code


def test_every_category_label_people_see_is_a_fault_word():
    """What the USSD menu shows, in every language, can be texted."""
    from app.config import SUPPORTED_LOCALES
    from app.language.i18n import gettext
    from app.language.labels import CATEGORY_LABELS

    for code, label in CATEGORY_LABELS.items():
        for locale in SUPPORTED_LOCALES:
            shown = gettext(locale, label)
            assert fault_category(f"{shown} at the shop") == (code, "AT THE SHOP"), (locale, shown)
            assert parse(f"{shown} at the shop").command == "report", (locale, shown)


def test_find_fault_keeps_the_whole_sentence_when_the_word_is_inside():
    from app.sms.keywords import find_fault

    assert find_fault("WATER burst pipe") == ("water", "BURST PIPE")
    assert find_fault("Stand 455 no water") == ("water", "STAND 455 NO WATER")
    assert find_fault("broken fence") is None


def test_language_words_are_keywords():
    from app.sms.keywords import ALIASES, WORD_LANGUAGES, fault_words

    known = {word for words in ALIASES.values() for word in words} | set(fault_words())
    assert set(WORD_LANGUAGES) <= known
    assert "STAND" not in ALIASES["status"]
    assert [language_code(w) for w in ("isiNgisi", "Borɔfo", "isiBhulu")] == ["en", "en", "af"]
