"""CSV imports: bad rows reported by line number, good rows kept, safe to run twice."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Category, Municipality, ServiceCode, Ward
from app.places.importers import import_categories, import_municipalities, import_wards

MUNICIPALITIES = """code,name,region,timezone,locales,sms_sender_id,ussd_codes,sms_codes
capetown,City of Cape Town,ZA,Africa/Johannesburg,en;af;xh,CapeTown,*120*1#,31000
bad,Bad Region,XX,Africa/Johannesburg,en,,,
badtz,Bad Zone,ZA,Mars/Base,en,,,
badlang,Bad Lang,ZA,Africa/Johannesburg,en;fr,,,
,No Code,ZA,Africa/Johannesburg,en,,,
"""


def test_municipalities_import_reports_bad_lines(ctx):
    report = import_municipalities(db.session(), io.StringIO(MUNICIPALITIES))
    assert report.created == 1
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    assert "region" in report.errors[0][1] and "time zone" in report.errors[1][1]
    m = db.session.scalar(select(Municipality))
    assert m.locale_list == ["en", "af", "xh"] and m.sms_sender_id == "CapeTown"
    codes = {(c.channel, c.code) for c in db.session.scalars(select(ServiceCode))}
    assert codes == {("ussd", "*120*1#"), ("sms", "31000")}
    again = import_municipalities(db.session(), io.StringIO(MUNICIPALITIES))
    assert again.created == 0 and again.updated == 1
    assert db.session.scalar(select(func.count()).select_from(ServiceCode)) == 2


def test_wards_and_categories_import(ctx):
    import_municipalities(db.session(), io.StringIO(MUNICIPALITIES))
    wards = import_wards(
        db.session(),
        io.StringIO(
            "municipality,number,name\ncapetown,1,Atlantis\ncapetown,x,Bad\nnowhere,2,Gone\n"
            "capetown,2,\ncapetown,1,Atlantis North\n"
        ),
    )
    assert (wards.created, wards.updated) == (1, 1)
    assert [line for line, _ in wards.errors] == [3, 4, 5]
    assert db.session.scalar(select(Ward.name)) == "Atlantis North"
    cats = import_categories(
        db.session(),
        io.StringIO(
            "municipality,code,position,active,label_en,label_af\n"
            "capetown,water,1,yes,Water,Water\ncapetown,graffiti,2,no,Graffiti,Graffiti\n"
            "capetown,bad code!,3,yes,,\n"
        ),
    )
    assert cats.created == 2 and [line for line, _ in cats.errors] == [4]
    graffiti = db.session.scalar(select(Category).where(Category.code == "graffiti"))
    assert graffiti.active is False and graffiti.labels == {"en": "Graffiti", "af": "Graffiti"}


def test_import_commands(app, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(MUNICIPALITIES)
    result = app.test_cli_runner().invoke(args=["municipalities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 4 rejected" in result.output
    assert "line 3:" in result.output
    missing = tmp_path / "w.csv"
    missing.write_text("number,name\n1,x\n")
    result = app.test_cli_runner().invoke(args=["wards", "import", str(missing)])
    assert result.exit_code != 0 and "missing columns: municipality" in result.output


def test_a_municipality_names_its_channel_and_a_file_without_the_column_keeps_it(ctx):
    rows = (
        "code,name,region,timezone,locales,sms_sender_id,ussd_codes,sms_codes,channel\n"
        "stma,Sekondi-Takoradi,GH,Africa/Accra,en;ak,STMA,*384*5678#,40456,gh-at\n"
        "worst,Bad Channel,GH,Africa/Accra,en,,,,Not A Name\n"
    )
    report = import_municipalities(db.session(), io.StringIO(rows))
    assert report.created == 1 and [line for line, _ in report.errors] == [3]
    assert db.session.scalar(select(Municipality.channel)) == "gh-at"
    without = "code,name,region,timezone,locales\nstma,Sekondi-Takoradi,GH,Africa/Accra,en;ak\n"
    import_municipalities(db.session(), io.StringIO(without))
    assert db.session.scalar(select(Municipality.channel)) == "gh-at"
    default = rows.replace(",gh-at\n", ",africastalking\n")
    import_municipalities(db.session(), io.StringIO(default))
    assert db.session.scalar(select(Municipality.channel)) is None  # the default channel
