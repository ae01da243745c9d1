"""`wardlink tickets ...` and `wardlink departments ...` through click's runner."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from app.extensions import db
from app.models import Category, Message, Ticket
from app.places.importers import import_categories
from app.tickets.references import is_valid_reference
from tests.tickets.factories import municipality

LOG = [
    "tickets",
    "log",
    "--municipality",
    "saldanha",
    "--phone",
    "082 123 4567",
    "--ward",
    "3",
    "--category",
    "water",
    "--location",
    "Burst pipe at 12 Main Rd",
    "--channel",
    "phone",
]


def _log(runner) -> str:
    result = runner.invoke(args=LOG)
    assert result.exit_code == 0, result.output
    reference = result.output.splitlines()[-1]
    assert is_valid_reference(reference)
    return reference


def test_log_a_call_then_work_the_ticket_to_resolved(app, demo):
    runner = app.test_cli_runner()
    reference = _log(runner)
    with app.app_context():
        [sms] = db.session.scalars(select(Message)).all()
        assert reference in sms.text and sms.purpose == "ticket"
    for state in ("acknowledged", "in_progress", "resolved"):
        moved = runner.invoke(args=["tickets", "move", reference, "--to", state, "--note", f"now {state}"])
        assert moved.exit_code == 0, moved.output
    assert moved.output == f"ticket {reference}: in_progress -> resolved\n"
    shown = runner.invoke(args=["tickets", "show", reference, "--municipality", "saldanha"])
    assert shown.exit_code == 0, shown.output
    assert f"ticket {reference}: resolved (priority 0, via phone)" in shown.output
    assert "department Water and Sanitation" in shown.output
    assert "followers: +27******567 (reporter)" in shown.output
    events = shown.output.split("events:\n")[1].splitlines()
    assert [line.split()[2] for line in events] == ["created", "state", "state", "state"]
    assert events[0].endswith("created received by cli")
    assert events[-1].endswith("state in_progress->resolved by cli | public: now resolved")


def test_an_illegal_move_is_a_one_line_error(app, demo):
    runner = app.test_cli_runner()
    reference = _log(runner)
    refused = runner.invoke(args=["tickets", "move", reference, "--to", "closed"])
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: a ticket cannot go from received to closed")
    no_reason = runner.invoke(args=["tickets", "move", reference, "--to", "rejected"])
    assert no_reason.exit_code == 1 and "Error: say why the ticket is rejected" in no_reason.output
    rejected = runner.invoke(
        args=["tickets", "move", reference, "--to", "rejected", "--reason", "Private pipe"]
    )
    assert rejected.exit_code == 0, rejected.output
    shown = runner.invoke(args=["tickets", "show", reference])
    assert "rejected because: Private pipe" in shown.output


def test_assign_merge_note_and_list(app, demo):
    runner = app.test_cli_runner()
    first, second = _log(runner), _log(runner)
    assigned = runner.invoke(args=["tickets", "assign", first, "--department", "roads and stormwater"])
    assert assigned.output == f"ticket {first}: assigned to department Roads and Stormwater\n"
    unknown = runner.invoke(args=["tickets", "assign", first, "--department", "Parks"])
    assert unknown.exit_code == 1 and "no department 'Parks' in Saldanha Bay" in unknown.output
    noted = runner.invoke(args=["tickets", "note", first, "--internal-note", "Valve key at depot"])
    assert noted.output == f"ticket {first}: internal_note added\n"
    merged = runner.invoke(args=["tickets", "merge", second, "--into", first])
    assert merged.output == f"ticket {second} merged into {first}\n", merged.output
    assert f"merged into {first}" in runner.invoke(args=["tickets", "show", second]).output
    listing = runner.invoke(args=["tickets", "list", "--municipality", "saldanha"])
    assert listing.output.splitlines()[0] == "tickets of Saldanha Bay (times in Africa/Johannesburg)"
    lines = {line.split()[0]: line for line in listing.output.splitlines()[1:]}
    assert "received" in lines[first] and "Roads and Stormwater" in lines[first]
    assert "duplicate" in lines[second]
    duplicates = runner.invoke(args=["tickets", "list", "--state", "duplicate", "--municipality", "saldanha"])
    assert [line.split()[0] for line in duplicates.output.splitlines()[1:]] == [second]


def test_list_overdue(app, demo):
    runner = app.test_cli_runner()
    late, on_time = _log(runner), _log(runner)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == late))
        ticket.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        db.session.commit()
    listing = runner.invoke(args=["tickets", "list", "--overdue", "--municipality", "saldanha"])
    assert [line.split()[0] for line in listing.output.splitlines()[1:]] == [late]
    assert listing.output.rstrip().endswith("(overdue)")
    assert on_time not in listing.output
    nothing = runner.invoke(args=["tickets", "list", "--overdue", "--municipality", "stma"])
    assert nothing.output.splitlines()[1:] == ["no tickets"]


def test_log_refuses_bad_input_in_one_line(app, demo):
    runner = app.test_cli_runner()
    args = [a if a != "3" else "99" for a in LOG]
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1 and refused.output == "Error: no ward 99 in Saldanha Bay\n"
    wrong_channel = runner.invoke(args=LOG[:-1] + ["ussd"])
    assert wrong_channel.exit_code == 2  # click refuses it before the service


def test_departments_add_list_and_import(app, demo, tmp_path):
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=[
            "departments",
            "add",
            "--municipality",
            "stma",
            "--name",
            "Parks and Gardens",
            "--supervisor-phone",
            "024 477 0099",
        ]
    )
    assert added.output == "department Parks and Gardens added\n", added.output
    listing = runner.invoke(args=["departments", "list", "--municipality", "stma"])
    assert "Parks and Gardens                - +23*******099" in listing.output
    assert "0244770099" not in listing.output
    csv = (
        "municipality,name,supervisor_name,supervisor_phone\n"
        "stma,Parks and Gardens,Kofi,+233244770011\n"
        "stma,Drains,,\n"
        "stma,Bad,,123\n"
    )
    (tmp_path / "departments.csv").write_text(csv, encoding="utf-8")
    imported = runner.invoke(args=["departments", "import", str(tmp_path / "departments.csv")])
    assert "line 4: the supervisor's phone is not a number usable in GH" in imported.output
    assert imported.output.endswith("departments: 1 created, 1 updated, 1 rejected\n")


def test_categories_import_sets_departments_and_targets(ctx, demo):
    session = db.session()
    csv = (
        "municipality,code,position,department,target_hours,target_working_days,duplicate_window_hours\n"
        "saldanha,water,1,Customer Care,,2,\n"
        "saldanha,roads,4,,12,,24\n"
        "saldanha,refuse,5,Solid Waste,4,2,\n"
        "saldanha,other,7,Parks,,,\n"
        "saldanha,sanitation,2,Solid Waste,0,,\n"
    )
    report = import_categories(session, io.StringIO(csv))
    assert report.errors == [
        (4, "give target_hours or target_working_days, not both"),
        (5, "no department 'Parks' in Saldanha Bay: import departments first"),
        (6, "target_hours must be a whole number from 1 to 8760"),
    ]
    saldanha = municipality(session, "saldanha")
    rows = {
        c.code: (
            c.department.name if c.department else None,
            c.target_hours,
            c.target_working_days,
            c.duplicate_window_hours,
        )
        for c in session.scalars(select(Category).where(Category.municipality_id == saldanha.id))
    }
    assert rows["water"] == ("Customer Care", None, 2, 48)
    assert rows["roads"] == (None, 12, None, 24)
    assert rows["refuse"] == ("Solid Waste", None, 3, 72)  # the rejected row changed nothing
    # A file without the new columns leaves them as they are.
    import_categories(session, io.StringIO("municipality,code,position\nsaldanha,water,1\n"))
    water = session.scalar(
        select(Category).where(Category.municipality_id == saldanha.id, Category.code == "water")
    )
    assert (water.department.name, water.target_working_days) == ("Customer Care", 2)
