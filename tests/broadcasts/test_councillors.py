"""Councillors: hashed PINs, lock-out after wrong PINs, and the `councillors` commands."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.broadcasts.councillors import (
    LOCK_MINUTES,
    PIN_ATTEMPTS,
    CouncillorError,
    add_councillor,
    disable_councillor,
    find_councillor,
    verify_pin,
)
from app.cli.councillors import councillors_group
from app.core.phones import mask_phone
from app.extensions import db
from app.models import Councillor, Municipality

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def municipality_id(code: str) -> int:
    return db.session.scalar(select(Municipality.id).where(Municipality.code == code))


def test_pin_is_stored_only_as_a_salted_hash(ctx, demo):
    c = add_councillor(db.session(), "saldanha", 3, "Cllr Thandi Mokoena", "0821234567", "2468")
    assert c.phone == "+27821234567" and c.ward.number == 3 and c.active
    assert c.pin_hash != "2468" and "2468" not in c.pin_hash and c.pin_hash.startswith("scrypt:")
    assert check_password_hash(c.pin_hash, "2468")
    other = add_councillor(db.session(), "stma", 1, "Hon. Kojo Mensah", "0244123456", "2468")
    assert other.phone == "+233244123456" and other.pin_hash != c.pin_hash  # salted
    assert verify_pin(db.session(), c, "2468", now=T0) == "ok"
    assert verify_pin(db.session(), c, "2469", now=T0) == "wrong"


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", " 1234", "\u0661\u0662\u0663\u0664"])
def test_pin_must_be_four_to_six_digits(ctx, demo, pin):
    with pytest.raises(CouncillorError, match="4 to 6 digits"):
        add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", pin)


def test_bad_municipality_ward_or_phone(ctx, demo):
    with pytest.raises(CouncillorError, match="unknown municipality"):
        add_councillor(db.session(), "nowhere", 1, "X", "0821234567", "1234")
    with pytest.raises(CouncillorError, match="no ward 99"):
        add_councillor(db.session(), "saldanha", 99, "X", "0821234567", "1234")
    with pytest.raises(CouncillorError, match="phone"):
        add_councillor(db.session(), "saldanha", 1, "X", "12", "1234")


def test_re_adding_updates_and_reactivates(ctx, demo):
    add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    disable_councillor(db.session(), "saldanha", "+27821234567")
    c = add_councillor(db.session(), "saldanha", 5, "Cllr T. Mokoena", "+27 82 123 4567", "135790")
    assert db.session.scalar(select(func.count()).select_from(Councillor)) == 1
    assert (c.ward.number, c.name, c.active) == (5, "Cllr T. Mokoena", True)
    assert verify_pin(db.session(), c, "135790", now=T0) == "ok"
    assert verify_pin(db.session(), c, "2468", now=T0) == "wrong"


def test_three_wrong_pins_lock_for_thirty_minutes(ctx, demo):
    assert (PIN_ATTEMPTS, LOCK_MINUTES) == (3, 30)
    c = add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    assert verify_pin(db.session(), c, "0000", now=T0) == "wrong"
    assert verify_pin(db.session(), c, "1111", now=T0) == "wrong"
    assert verify_pin(db.session(), c, "2222", now=T0) == "locked"
    assert c.failed_pins == 3
    later = T0 + dt.timedelta(minutes=29)
    assert verify_pin(db.session(), c, "2468", now=later) == "locked"  # even the right PIN
    assert verify_pin(db.session(), c, "2468", now=T0 + dt.timedelta(minutes=LOCK_MINUTES, seconds=1)) == "ok"
    db.session.expire_all()
    c = db.session.get(Councillor, c.id)
    assert c.failed_pins == 0 and c.locked_until is None


def test_right_pin_resets_the_count(ctx, demo):
    c = add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    for pin in ("0000", "1111", "2468", "0000", "1111"):
        verify_pin(db.session(), c, pin, now=T0)
    assert c.failed_pins == 2 and c.locked_until is None
    assert verify_pin(db.session(), c, "2468", now=T0) == "ok"


def test_a_wrong_pin_after_the_lock_starts_a_fresh_count(ctx, demo):
    c = add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    for _ in range(PIN_ATTEMPTS):
        verify_pin(db.session(), c, "0000", now=T0)
    after = T0 + dt.timedelta(minutes=45)
    assert verify_pin(db.session(), c, "0000", now=after) == "wrong"
    assert verify_pin(db.session(), c, "2468", now=after) == "ok"


def test_disabled_councillor_is_not_found(ctx, demo):
    c = add_councillor(db.session(), "saldanha", 3, "Cllr Mokoena", "0821234567", "2468")
    sal = municipality_id("saldanha")
    found = find_councillor(db.session(), sal, "+27821234567")
    assert found is not None and found.id == c.id
    assert find_councillor(db.session(), municipality_id("stma"), "+27821234567") is None
    disable_councillor(db.session(), "saldanha", "0821234567")
    assert find_councillor(db.session(), sal, "+27821234567") is None
    assert verify_pin(db.session(), c, "2468", now=T0) == "locked"


def test_councillor_commands(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(
        councillors_group,
        [
            "add",
            "--municipality",
            "saldanha",
            "--ward",
            "3",
            "--name",
            "Cllr Thandi Mokoena",
            "--phone",
            "0821234567",
        ],
        input="2468\n2468\n",
    )
    assert result.exit_code == 0, result.output
    assert "2468" not in result.output  # hidden input is not echoed
    assert mask_phone("+27821234567") in result.output and "+27821234567" not in result.output
    result = runner.invoke(
        councillors_group,
        [
            "add",
            "--municipality",
            "stma",
            "--ward",
            "2",
            "--name",
            "Hon. Kojo Mensah",
            "--phone",
            "0244123456",
            "--pin",
            "13579",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        councillors_group,
        [
            "add",
            "--municipality",
            "stma",
            "--ward",
            "2",
            "--name",
            "X",
            "--phone",
            "0244123457",
            "--pin",
            "12",
        ],
    )
    assert result.exit_code != 0 and "4 to 6 digits" in result.output

    listing = runner.invoke(councillors_group, ["list"])
    assert listing.exit_code == 0, listing.output
    assert "Cllr Thandi Mokoena" in listing.output and "Hon. Kojo Mensah" in listing.output
    assert mask_phone("+27821234567") in listing.output and mask_phone("+233244123456") in listing.output
    assert "0821234567" not in listing.output and "+27821234567" not in listing.output
    assert "+233244123456" not in listing.output
    only = runner.invoke(councillors_group, ["list", "--municipality", "stma"])
    assert "Hon. Kojo Mensah" in only.output and "Mokoena" not in only.output

    result = runner.invoke(
        councillors_group, ["disable", "--municipality", "saldanha", "--phone", "+27821234567"]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(councillors_group, ["list", "--municipality", "saldanha"])
    assert "disabled" in listing.output
    result = runner.invoke(
        councillors_group, ["disable", "--municipality", "saldanha", "--phone", "0829999999"]
    )
    assert result.exit_code != 0 and "no councillor" in result.output
    with app.app_context():
        c = db.session.scalar(select(Councillor).where(Councillor.phone == "+27821234567"))
        assert c.active is False and check_password_hash(c.pin_hash, "2468")


def test_prompted_pins_must_match(app, demo):
    result = app.test_cli_runner().invoke(
        councillors_group,
        [
            "add",
            "--municipality",
            "saldanha",
            "--ward",
            "3",
            "--name",
            "Cllr Mokoena",
            "--phone",
            "0821234567",
        ],
        input="2468\n8642\n2468\n2468\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "don't match" in result.output.lower()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Councillor)) == 1
