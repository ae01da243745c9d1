"""Keywords residents text, with their aliases in each language.

The first word is the command, matched case-insensitively with accents and punctuation
stripped; the rest of the message is its argument.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ALIASES: dict[str, tuple[str, ...]] = {
    # STOP wins over everything; the regulators' words first, then each language's.
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
    "status": ("STATUS", "CHECK", "STAND", "ISIMO", "ISIMEKO"),
    "report": ("REPORT", "MELD", "XELA", "BIKA"),
    "join": ("JOIN", "AANSLUIT", "JOYINA", "BHALISA"),
    "leave": ("LEAVE", "VERLAAT", "PHUMA", "SHIYA"),
    "lang": ("LANG", "LANGUAGE", "TAAL", "ULWIMI", "ULIMI", "KASA"),
}
"""Command -> the words that mean it (English, Afrikaans, isiXhosa, isiZulu, Twi). Twi
speakers mostly text the English words; only Twi words we are sure of are listed."""

FAULT_WORDS: dict[str, tuple[str, ...]] = {
    "water": ("WATER", "LEAK", "PIPE", "AMANZI", "MANZI", "NSU", "NSUO", "LEK"),
    "sanitation": ("SANITATION", "SEWER", "SEWAGE", "DRAIN", "TOILET", "RIOOL", "ITHOYILETHI"),
    "electricity": ("ELECTRICITY", "POWER", "ELECTRIC", "KRAG", "ELEKTRISITEIT", "UMBANE", "UGESI", "KANEA"),
    "roads": ("ROADS", "ROAD", "POTHOLE", "PAD", "SLAGGAT", "INDLELA", "UMGWAQO", "KWAN"),
    "refuse": ("REFUSE", "RUBBISH", "BINS", "BIN", "TRASH", "VULLIS", "UDOTI", "IZIBI", "NWURA"),
    "streetlights": ("STREETLIGHTS", "STREETLIGHT", "LIGHTS", "LIGHT", "STRAATLIG", "LIGTE", "IZIBANE"),
    "other": ("OTHER", "ANDER", "OKUNYE"),
}
"""Category code -> words that name it, usable as `REPORT <word> ...` or alone as a command."""

LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("EN", "ENGLISH", "ENGELS", "ISINGESI"),
    "af": ("AF", "AFRIKAANS"),
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


def _word_table(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    # Longest alias first, so "STOPALL" is not read as "STOP" + "ALL".
    pairs = [(alias, key) for key, aliases in table.items() for alias in aliases]
    return sorted(pairs, key=lambda p: -len(p[0]))


_COMMAND_WORDS = _word_table(ALIASES)
_FAULT_WORDS = _word_table(FAULT_WORDS)


def match_prefix(text: str, table: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(key, rest) when `text` starts with one of the words of `table`."""
    for alias, key in table:
        if text == alias or text.startswith(alias + " "):
            return key, text[len(alias) :].strip()
    return None


def parse(text: str, extra: list[tuple[str, str]] | None = None) -> Parsed:
    """The command of an inbound message: a keyword, a fault word (report), or "unknown"."""
    folded = fold(text or "")
    # STOP anywhere as the first word wins, whatever else the message says.
    for table in ([(a, k) for a, k in _COMMAND_WORDS if k == "stop"], extra or [], _COMMAND_WORDS):
        found = match_prefix(folded, table)
        if found:
            return Parsed(found[0], found[1])
    if match_prefix(folded, _FAULT_WORDS):
        return Parsed("report", folded)
    return Parsed("unknown", folded)


def fault_category(argument: str) -> tuple[str, str] | None:
    """(category code, details) from the start of a REPORT argument."""
    return match_prefix(fold(argument), _FAULT_WORDS)


def language_code(argument: str) -> str | None:
    """The locale a resident named after LANG."""
    word = fold(argument).split(" ")[0] if argument.strip() else ""
    for code, words in LANGUAGE_WORDS.items():
        if word in words:
            return code
    return None
