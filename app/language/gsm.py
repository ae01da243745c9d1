"""GSM-7 text: one normaliser used for every USSD screen and SMS, and segment counting.

The character set itself comes from the `gsm0338` codec; this module only decides how
to transliterate what the set lacks (Afrikaans ê, Twi ɛ/ɔ, smart quotes, NBSP).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

CODEC = "gsm03.38"
"""The codec name `gsm0338` registers."""

_REPLACEMENTS = {
    "\u00a0": " ",  # no-break space
    "\u2007": " ",
    "\u202f": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\t": " ",
    # Twi (Akan) open vowels
    "\u025b": "e",  # ɛ
    "\u0190": "E",  # Ɛ
    "\u0254": "o",  # ɔ
    "\u0186": "O",  # Ɔ
    "\u014b": "ng",  # ŋ
    "\u014a": "Ng",
}


def _charsets() -> tuple[frozenset[str], frozenset[str]]:
    """(every GSM-7 character, those that need an escape and cost two septets), from the codec."""
    basic, extended = set(), set()
    for code in range(0x2200):  # the GSM sets lie within Latin, Greek and the euro sign
        char = chr(code)
        try:
            encoded = char.encode(CODEC)
        except UnicodeEncodeError:
            continue
        (extended if len(encoded) == 2 else basic).add(char)
    return frozenset(basic | extended), frozenset(extended)


GSM_CHARS, GSM_EXTENDED = _charsets()
"""Read once from the `gsm0338` codec so each check is a set lookup, not an encode."""


def _is_gsm(char: str) -> bool:
    return char in GSM_CHARS


def to_gsm(text: str) -> str:
    """Transliterate `text` into characters GSM-7 can carry; unmappable ones become '?'."""
    if GSM_CHARS.issuperset(text):
        return text
    out = []
    for char in text:
        if _is_gsm(char):
            out.append(char)
            continue
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and all(_is_gsm(c) for c in base):
            out.append(base)
        elif unicodedata.category(char).startswith(("Z", "C")):
            out.append(" " if char.isspace() else "")
        else:
            out.append("?")
    return "".join(out)


def is_gsm(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 default or extension table."""
    return GSM_CHARS.issuperset(text)


def gsm_length(text: str) -> int:
    """Septets `text` needs in GSM-7 (extension characters such as '{' or '€' cost two)."""
    return len(text) + sum(1 for c in text if c in GSM_EXTENDED)


@dataclass(frozen=True)
class SegmentCount:
    """How an SMS body will travel."""

    encoding: str
    """"GSM-7" or "UCS-2"."""
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2)."""
    segments: int


def count_segments(text: str) -> SegmentCount:
    """Segments of `text`: 160/153 septets in GSM-7, 70/67 UTF-16 units in UCS-2."""
    if is_gsm(text):
        units, single, multi, encoding = gsm_length(text), 160, 153, "GSM-7"
    else:
        units, single, multi, encoding = len(text.encode("utf-16-le")) // 2, 70, 67, "UCS-2"
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 0)
    return SegmentCount(encoding, units, -(-units // multi))
