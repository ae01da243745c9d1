"""Ticket references: random digits closed by a Damm check digit.

Damm catches every single-digit error and every swap of neighbouring digits, so a
mistyped reference is reported as mistyped instead of matching someone else's ticket.
"""

from __future__ import annotations

import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

REFERENCE_LENGTH = 8
"""Seven random digits and one check digit: short enough to type on a keypad."""


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return interim


def is_valid_reference(text: str) -> bool:
    """True when `text` is all digits of the right length and its check digit holds."""
    return len(text) == REFERENCE_LENGTH and text.isascii() and text.isdigit() and damm_digit(text) == 0


def new_reference() -> str:
    """A fresh random reference (callers retry on the rare unique-constraint clash)."""
    body = "".join(secrets.choice("0123456789") for _ in range(REFERENCE_LENGTH - 1))
    if body[0] == "0":  # a leading zero gets dropped by people and spreadsheets
        body = str(secrets.randbelow(9) + 1) + body[1:]
    return body + str(damm_digit(body))


def clean_reference(text: str) -> str:
    """Strip the spaces, dashes and '#' people type around a reference."""
    return "".join(ch for ch in text if ch.isdigit())
