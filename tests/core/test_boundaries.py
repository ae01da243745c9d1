"""Phone numbers, references and GSM-7 text: the helpers every channel relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.phones import PhoneError, mask_phone, normalise_phone, redact_numbers
from app.language.gsm import count_segments, gsm_length, is_gsm, to_gsm
from app.tickets.references import damm_digit, is_valid_reference, new_reference


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+27821234567", "ZA", "+27821234567"),
        ("0821234567", "ZA", "+27821234567"),
        ("082 123 4567", "ZA", "+27821234567"),
        (" 27821234567", "ZA", "+27821234567"),  # '+' decoded as a space
        ("0244123456", "GH", "+233244123456"),
        ("+233244123456", "ZA", "+233244123456"),
    ],
)
def test_normalise_phone(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", [None, "", "abc", "123", "+" + "9" * 40, "0821234567" * 5])
def test_normalise_phone_rejects(raw):
    with pytest.raises(PhoneError):
        normalise_phone(raw, "ZA")


def test_mask_and_redact():
    assert mask_phone("+27821234567") == "+27******567"
    assert "821234" not in redact_numbers("caller +27821234567 said hi")
    assert "244123" not in redact_numbers("from 0244123456")
    assert redact_numbers("ticket 12345 ward 12") == "ticket 12345 ward 12"


def test_references_have_a_working_check_digit():
    for _ in range(200):
        ref = new_reference()
        assert len(ref) == 8 and ref.isdigit() and ref[0] != "0"
        assert is_valid_reference(ref)
        for i in range(8):  # every single-digit error is caught
            for d in "0123456789":
                if d != ref[i]:
                    assert not is_valid_reference(ref[:i] + d + ref[i + 1 :])
        for i in range(7):  # every swap of neighbours is caught
            swapped = ref[:i] + ref[i + 1] + ref[i] + ref[i + 2 :]
            if swapped != ref:
                assert not is_valid_reference(swapped)


def test_damm_known_value():
    assert damm_digit("572") == 4  # the textbook example
    assert not is_valid_reference("１２３４５６７８")  # full-width digits are not digits here


@given(st.text())
def test_to_gsm_always_gives_gsm(text):
    assert is_gsm(to_gsm(text))


@pytest.mark.parametrize(
    ("text", "gsm"),
    [
        ("Kragonderbreking – môre", "Kragonderbreking - more"),
        ("\u201cnee\u201d \u2018ja\u2019", "\"nee\" 'ja'"),
        ("Ɛyɛ adwuma ɔkwan", "Eye adwuma okwan"),
        ("a\u00a0b", "a b"),
        ("Café é à ü ñ", "Café é à ü ñ"),  # these are in GSM-7 already
    ],
)
def test_to_gsm_transliterates(text, gsm):
    assert to_gsm(text) == gsm


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters cost two septets
        ("{" * 81, "GSM-7", 2),
        ("ɛ" * 70, "UCS-2", 1),
        ("ɛ" * 71, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # a surrogate pair is two units
    ],
)
def test_count_segments(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


def test_gsm_length_counts_escapes():
    assert gsm_length("€") == 2 and gsm_length("e") == 1
