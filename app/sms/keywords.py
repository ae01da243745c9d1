"""Keywords residents text, with their aliases in each language.

The first word is the command, matched case-insensitively with accents and punctuation
stripped; the rest of the message is its argument.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from app.config import SUPPORTED_LOCALES
from app.language.i18n import gettext
from app.language.labels import CATEGORY_LABELS

ALIASES: dict[str, tuple[str, ...]] = {
    # STOP wins over everything; the regulators' words first, then each language's (the
    # everyday words among them count only as the whole message: see WHOLE_MESSAGE_ONLY).
    "stop": (
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "OPT-OUT",
        "STAAK",
        "KANSELLEER",
        "YEKA",
        "MISA",
        "GYAE",
    ),
    "start": ("START", "UNSTOP", "SUBSCRIBE", "BEGIN", "QALA"),
    "help": ("HELP", "INFO", "HULP", "UNCEDO", "USIZO", "MMOA", "?"),
    # No STAND: in South Africa a stand is a plot ("Stand 455 no water" is a report).
    "status": ("STATUS", "CHECK", "ISIMO", "ISIMEKO"),
    "report": ("REPORT", "MELD", "XELA", "BIKA"),
    "join": ("JOIN", "AANSLUIT", "JOYINA", "BHALISA"),
    "leave": ("LEAVE", "VERLAAT", "PHUMA", "SHIYA"),
    "lang": ("LANG", "LANGUAGE", "TAAL", "ULWIMI", "ULIMI", "KASA"),
}
"""Command -> the words that mean it (English, Afrikaans, isiXhosa, isiZulu, Twi). Twi
speakers mostly text the English words; only Twi words we are sure of are listed."""

WHOLE_MESSAGE_ONLY = frozenset(("CANCEL", "END", "QUIT", "KANSELLEER", "YEKA", "MISA", "GYAE"))
"""STOP words that are everyday words too ("End of Main Rd...", "Cancel my report", "Misa
amanzi avuza"; Kanselleer and Gyae are the USSD Cancel labels): they opt out only when they
are the whole message. STOP itself, and the other STOP words, win as the first word."""

FAULT_WORDS: dict[str, tuple[str, ...]] = {
    "water": ("WATER", "LEAK", "PIPE", "AMANZI", "MANZI", "NSU", "NSUO", "LEK"),
    "sanitation": (
        "SANITATION",
        "SEWER",
        "SEWAGE",
        "DRAIN",
        "TOILET",
        "RIOOL",
        "ITHOYILETHI",
        "INDLE",
        "ILINDLE",
    ),
    "electricity": (
        "ELECTRICITY",
        "POWER",
        "ELECTRIC",
        "KRAG",
        "ELEKTRISITEIT",
        "UMBANE",
        "UGESI",
        "KANEA",
        "DUMSOR",
    ),
    "roads": ("ROADS", "ROAD", "POTHOLE", "PAD", "SLAGGAT", "INDLELA", "UMGWAQO", "KWAN"),
    "refuse": ("REFUSE", "RUBBISH", "BINS", "BIN", "TRASH", "VULLIS", "UDOTI", "IZIBI", "NWURA", "BORLA"),
    "streetlights": ("STREETLIGHTS", "STREETLIGHT", "LIGHTS", "LIGHT", "STRAATLIG", "LIGTE", "IZIBANE"),
    "other": ("OTHER", "ANDER", "OKUNYE"),
}
"""Category code -> words that name it, usable as `REPORT <word> ...` or alone as a command.
The labels the USSD menu shows, in every language, are fault words too (`fault_words()`).
Ghana's everyday words: DUMSOR is a power cut, BORLA is rubbish."""

WORD_LANGUAGES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("HULP", "MELD", "AANSLUIT", "VERLAAT", "TAAL", "STAAK", "KANSELLEER"), ("af",)),
    **dict.fromkeys(("LEK", "RIOOL", "KRAG", "ELEKTRISITEIT", "PAD", "SLAGGAT", "VULLIS"), ("af",)),
    **dict.fromkeys(("STRAATLIG", "LIGTE", "ANDER"), ("af",)),
    **dict.fromkeys(("UNCEDO", "XELA", "ISIMEKO", "ULWIMI", "UMBANE", "IZIBANE", "ILINDLE"), ("xh",)),
    **dict.fromkeys(("USIZO", "BIKA", "ULIMI", "UGESI", "UMGWAQO", "UDOTI", "INDLE"), ("zu",)),
    **dict.fromkeys(("ISIMO", "YEKA", "MISA", "QALA", "JOYINA", "BHALISA", "PHUMA", "SHIYA"), ("xh", "zu")),
    **dict.fromkeys(("AMANZI", "MANZI", "ITHOYILETHI", "INDLELA", "OKUNYE"), ("xh", "zu")),
    **dict.fromkeys(("MMOA", "GYAE", "KASA", "NSU", "NSUO", "KANEA", "KWAN", "NWURA"), ("ak",)),
}
"""Keyword -> the languages it is a word of. A first word in one of the municipality's
languages chooses the reply's language (see `SmsContext.locale`); English words, and words
shared with English, choose nothing: everyone texts them."""

LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("EN", "ENGLISH", "ENGELS", "ISINGESI", "ISINGISI", "BOROFO", "BROFO"),
    "af": ("AF", "AFRIKAANS", "ISIBHULU"),
    "xh": ("XH", "XHOSA", "ISIXHOSA"),
    "zu": ("ZU", "ZULU", "ISIZULU"),
    "ak": ("AK", "TW", "TWI", "AKAN", "ASANTE"),
}
"""Locale -> how residents may name it after LANG."""


def fold(text: str) -> str:
    """Upper case, accents stripped, punctuation around words removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ɛ", "e").replace("ɔ", "o").replace("Ɛ", "E").replace("Ɔ", "O")
    text = re.sub(r"[^\w\s?#*-]", " ", text.upper())
    return " ".join(text.split())


@dataclass(frozen=True)
class Parsed:
    """A message split into its command and argument."""

    command: str
    argument: str
    languages: tuple[str, ...] = ()
    """The languages the command word belongs to (empty: English, or any language)."""


def _word_table(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    # Longest alias first, so "STOPALL" is not read as "STOP" + "ALL".
    pairs = [(alias, key) for key, aliases in table.items() for alias in aliases]
    return sorted(pairs, key=lambda p: -len(p[0]))


_COMMAND_WORDS = [(a, k) for a, k in _word_table(ALIASES) if a not in WHOLE_MESSAGE_ONLY]
_STOP_WORDS = [(a, k) for a, k in _COMMAND_WORDS if k == "stop"]


@functools.cache
def fault_words() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Folded word -> (category code, its languages): FAULT_WORDS, and the catalogue label of
    every standard category in every language ("IINDLELA", "KWAN SO KANEA", "PAAIE"), so
    what the USSD menu shows can be texted. Read from the catalogues on first use."""
    table = {
        word: (code, WORD_LANGUAGES.get(word, ())) for code, words in FAULT_WORDS.items() for word in words
    }
    from_labels: set[str] = set()
    for code, label in CATEGORY_LABELS.items():
        for locale in SUPPORTED_LOCALES:
            word = fold(gettext(locale, label))
            if not word or (word in table and word not in from_labels):
                continue  # a word listed by hand keeps its category and languages
            languages = {*table[word][1]} if word in table else set()
            table[word] = (code, tuple(sorted({*languages, locale})))
            from_labels.add(word)
    return table


@functools.cache
def _fault_table() -> list[tuple[str, str]]:
    return sorted(((word, code) for word, (code, _) in fault_words().items()), key=lambda p: -len(p[0]))


def _first_word(folded: str, table: list[tuple[str, str]]) -> str | None:
    """The word of `table` that `folded` starts with (longest first), or None."""
    for alias, _ in table:
        if folded == alias or folded.startswith(alias + " "):
            return alias
    return None


def match_prefix(text: str, table: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(key, rest) when `text` starts with one of the words of `table`."""
    for alias, key in table:
        if text == alias or text.startswith(alias + " "):
            return key, text[len(alias) :].strip()
    return None


def parse(text: str, extra: list[tuple[str, str]] | None = None) -> Parsed:
    """The command of an inbound message: a keyword, a report (it starts with a fault word,
    or names one further on: "Stand 455 no water"), or "unknown"."""
    folded = fold(text or "")
    # STOP as the first word wins, whatever else the message says; an everyday STOP word
    # ("END", "CANCEL", "MISA"...) only as the whole message.
    if folded in WHOLE_MESSAGE_ONLY:
        return Parsed("stop", "", WORD_LANGUAGES.get(folded, ()))
    for table in (_STOP_WORDS, extra or [], _COMMAND_WORDS):
        word = _first_word(folded, table)
        if word is not None:
            command = dict(table)[word]
            return Parsed(command, folded[len(word) :].strip(), WORD_LANGUAGES.get(word, ()))
    word = _first_word(folded, _fault_table())
    if word is not None:
        return Parsed("report", folded, fault_words()[word][1])
    if find_fault(folded) is not None:
        return Parsed("report", folded)
    return Parsed("unknown", folded)


def fault_category(argument: str) -> tuple[str, str] | None:
    """(category code, details) from the start of a REPORT argument."""
    return match_prefix(fold(argument), _fault_table())


def find_fault(argument: str) -> tuple[str, str] | None:
    """(category code, details) of the first fault word in a REPORT argument: at its start
    the details are what follows the word ("WATER burst pipe"); further on, the whole text
    describes the fault ("Stand 455 no water")."""
    folded = fold(argument)
    words = folded.split(" ")
    for at in range(len(words)):
        found = match_prefix(" ".join(words[at:]), _fault_table())
        if found:
            return found if at == 0 else (found[0], folded)
    return None


def language_code(argument: str) -> str | None:
    """The locale a resident named after LANG."""
    word = fold(argument).split(" ")[0] if argument.strip() else ""
    for code, words in LANGUAGE_WORDS.items():
        if word in words:
            return code
    return None
