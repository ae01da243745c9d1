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
