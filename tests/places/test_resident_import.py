"""Resident CSV import: streamed upserts, bad rows by line number, safe to run twice."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.cli.residents import residents_group
from app.extensions import db
from app.models import Municipality, Resident, Ward
from app.places import resident_import
from app.places.importers import RowError
from app.places.resident_import import import_residents

GOOD_AND_BAD = """municipality,phone,ward,language,subscribed
saldanha,0821234567,3,af,yes
saldanha,not-a-number,3,,
nowhere,0821234568,1,,
saldanha,0821234569,99,,
stma,0244123456,2,ak,no
saldanha,0821234570,2,fr,
saldanha,0821234571,x,,
stma,+233244123457,1,,maybe

SALDANHA,+27 82 123 4572,14,EN,TRUE
"""


def residents() -> dict[str, Resident]:
    return {r.phone: r for r in db.session.scalars(select(Resident))}


def ward_number(resident: Resident) -> int:
    return db.session.get(Ward, resident.ward_id).number


def municipality_code(resident: Resident) -> str:
    return db.session.get(Municipality, resident.municipality_id).code


def test_good_rows_kept_bad_rows_reported_by_line(ctx, demo):
    report = import_residents(db.session(), io.StringIO(GOOD_AND_BAD))
    assert (report.imported, report.created, report.updated, report.rejected) == (3, 3, 0, 6)
    lines = dict(report.errors)
    assert sorted(lines) == [3, 4, 5, 7, 8, 9]
    assert "phone" in lines[3] and "not-a-number" not in lines[3]
    assert "unknown municipality 'nowhere'" in lines[4]
    assert "no ward 99" in lines[5]
    assert "language 'fr'" in lines[7]
    assert "ward 'x'" in lines[8]
    assert "subscribed 'maybe'" in lines[9]
    assert report.summary() == "3 imported (3 new, 0 updated), 6 rejected"
    rows = residents()
    assert set(rows) == {"+27821234567", "+233244123456", "+27821234572"}
    sal = rows["+27821234567"]
    assert (municipality_code(sal), ward_number(sal), sal.locale, sal.subscribed) == (
        "saldanha",
        3,
        "af",
        True,
    )
    gh = rows["+233244123456"]
    assert (municipality_code(gh), ward_number(gh), gh.locale, gh.subscribed) == ("stma", 2, "ak", False)
    upper = rows["+27821234572"]
    assert (ward_number(upper), upper.locale, upper.subscribed, upper.opted_out) == (14, "en", True, False)


def test_local_numbers_are_normalised_with_each_municipalitys_region(ctx, demo):
    csv_text = "municipality,phone,ward\nsaldanha,0821234567,1\nstma,0244123456,1\nsaldanha,+233244123456,2\n"
    report = import_residents(db.session(), io.StringIO(csv_text))
    assert report.rejected == 0
    got = {(municipality_code(r), r.phone) for r in db.session.scalars(select(Resident))}
    assert got == {("saldanha", "+27821234567"), ("stma", "+233244123456"), ("saldanha", "+233244123456")}


def test_second_run_updates_without_duplicates(ctx, demo):
    first = (
        "municipality,phone,ward,language,subscribed\nsaldanha,0821234567,3,af,yes\nstma,0244123456,2,ak,no\n"
    )
    assert import_residents(db.session(), io.StringIO(first)).created == 2
    again = import_residents(db.session(), io.StringIO(first))
    assert (again.imported, again.created, again.updated) == (2, 0, 2)
    opted_out = db.session.scalar(select(Resident).where(Resident.phone == "+233244123456"))
    opted_out.opted_out = True
    db.session.commit()
    # The language column left empty keeps the language; ward and subscription change.
    changed = (
        "municipality,phone,ward,language,subscribed\nsaldanha,+27821234567,5,,no\n"
        "stma,0244123456,7,en,yes\nsaldanha,0821111111,1,,\n"
    )
    report = import_residents(db.session(), io.StringIO(changed))
    assert report.summary() == "3 imported (1 new, 2 updated), 0 rejected"
    db.session.expire_all()
    rows = residents()
    assert len(rows) == 3
    sal, gh = rows["+27821234567"], rows["+233244123456"]
    assert (ward_number(sal), sal.locale, sal.subscribed) == (5, "af", False)
    assert (ward_number(gh), gh.locale, gh.subscribed) == (7, "en", True)
    assert gh.opted_out is True  # an import never overrides a STOP
    assert rows["+27821111111"].locale is None


def test_same_phone_twice_in_one_batch_keeps_the_last(ctx, demo):
    csv_text = (
        "municipality,phone,ward,language\nsaldanha,0821234567,1,en\nstma,0244123456,1,en\n"
        "saldanha,+27821234567,4,xh\n"
    )
    report = import_residents(db.session(), io.StringIO(csv_text))
    assert (report.imported, report.created, report.updated, report.rejected) == (3, 2, 1, 0)
    rows = residents()
    assert len(rows) == 2
    assert (ward_number(rows["+27821234567"]), rows["+27821234567"].locale) == (4, "xh")


def test_generated_file_in_several_batches(ctx, demo, tmp_path, monkeypatch):
    monkeypatch.setattr(resident_import, "BATCH_ROWS", 3000)
    path = tmp_path / "residents.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("\ufeffmunicipality,phone,ward,language,subscribed\r\n")  # Excel: BOM and CRLF
        for i in range(20_000):
            if i % 2:
                f.write(f"saldanha,082{i:07d},{i % 14 + 1},{('en', 'af', '')[i % 3]},yes\r\n")
            else:
                f.write(f"stma,024{i:07d},{i % 10 + 1},,{('yes', 'no')[i % 4 // 2]}\r\n")
        f.write("saldanha,0820000001,2,,\r\n")  # again, in a later batch
        f.write("saldanha,0820000003,99,,\r\n")  # no such ward
    report = import_residents(db.session(), str(path))
    assert (report.imported, report.created, report.updated) == (20_001, 20_000, 1)
    assert report.errors == [(20_003, "saldanha has no ward 99")]
    count = db.session.scalar(select(func.count()).select_from(Resident))
    assert count == 20_000
    assert (
        db.session.scalar(select(func.count()).select_from(Resident).where(Resident.subscribed.is_(False)))
        == 5_000
    )


def test_only_the_first_thousand_errors_are_kept(ctx, demo):
    body = "".join(f"nowhere,082{i:07d},1\n" for i in range(1_005))
    report = import_residents(db.session(), io.StringIO("municipality,phone,ward\n" + body))
    assert report.rejected == 1_005 and len(report.errors) == 1_000 and report.unreported == 5
    assert report.errors[-1][0] == 1_001


def test_unreadable_csv_rows_are_rejected_not_fatal(ctx, demo):
    body = "saldanha," + "9" * 100 + ",1\nsaldanha,0821234567,1\n"
    limit = csv.field_size_limit(64)
    try:
        report = import_residents(db.session(), io.BytesIO(("municipality,phone,ward\n" + body).encode()))
    finally:
        csv.field_size_limit(limit)
    assert report.imported == 1 and [line for line, _ in report.errors] == [2]
    assert "unreadable CSV" in report.errors[0][1]


def test_missing_columns_refuse_the_file(ctx, demo):
    with pytest.raises(RowError, match="missing columns: ward"):
        import_residents(db.session(), io.StringIO("municipality,phone\nsaldanha,0821234567\n"))
    with pytest.raises(RowError, match="empty"):
        import_residents(db.session(), io.BytesIO(b""))


def test_import_command(app, demo, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    result = app.test_cli_runner().invoke(residents_group, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "residents: 3 imported (3 new, 0 updated), 6 rejected" in result.stdout
    assert "line 3: phone number not usable in ZA" in result.stderr
    assert "line 9: subscribed 'maybe' must be yes or no" in result.stderr
    again = app.test_cli_runner().invoke(residents_group, ["import", str(path)])
    assert "3 imported (0 new, 3 updated), 6 rejected" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,ward\n0821234567,1\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(residents_group, ["import", str(bad)])
    assert result.exit_code != 0 and "missing columns: municipality" in result.output
