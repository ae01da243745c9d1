"""Who may do what where: `Principal.can` for every role, and `scope_filter` giving the same
answer in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select, union_all

from app.staff.principals import SYSTEM, ForbiddenError, Grant, Principal, cli_principal, scope_filter
from app.vocabulary import ActorKind, StaffRole

M, OTHER = 1, 2
DEPT, OTHER_DEPT = 10, 11
WARD, OTHER_WARD = 100, 101

P = StaffRole.PLATFORM
A = StaffRole.ADMIN
G = StaffRole.AGENT
D = StaffRole.DEPARTMENT
C = StaffRole.COUNCILLOR

GRANTS = {
    "platform": Grant(P),
    "admin": Grant(A, M),
    "agent": Grant(G, M),
    "department": Grant(D, M, department_id=DEPT),
    "councillor": Grant(C, M, ward_id=WARD),
}

RECORDS = {
    "own ward, own department": (M, DEPT, WARD),
    "own ward, other department": (M, OTHER_DEPT, WARD),
    "other ward, own department": (M, DEPT, OTHER_WARD),
    "other ward, other department": (M, OTHER_DEPT, OTHER_WARD),
    "no department, no ward": (M, None, None),
    "other municipality": (OTHER, DEPT, WARD),
}
"""Records by (municipality, department, ward); the other municipality reuses the ids."""

ALL = set(RECORDS)
OWN_WARD = {"own ward, own department", "own ward, other department"}
OWN_DEPT = {"own ward, own department", "other ward, own department"}
IN_M = ALL - {"other municipality"}

EXPECTED = {
    # (grant, need): the records it may act on
    ("platform", P): ALL,
    ("platform", A): ALL,
    ("platform", C): ALL,
    ("admin", P): set(),
    ("admin", A): IN_M,
    ("admin", G): IN_M,
    ("admin", D): IN_M,
    ("admin", C): IN_M,
    ("agent", A): set(),
    ("agent", G): IN_M,
    ("agent", D): IN_M,
    ("agent", C): IN_M,
    ("department", A): set(),
    ("department", G): set(),
    ("department", D): OWN_DEPT,
    ("department", C): OWN_DEPT,
    ("councillor", A): set(),
    ("councillor", G): set(),
    ("councillor", D): set(),  # read only: never a department's (write) need
    ("councillor", C): OWN_WARD,
}


def _principal(name: str) -> Principal:
    return Principal(ActorKind.API_KEY, 1, name, (GRANTS[name],))


@pytest.mark.parametrize(("grant", "need"), sorted(EXPECTED))
def test_can(grant, need):
    principal = _principal(grant)
    allowed = {name for name, scope in RECORDS.items() if principal.can(need, *scope)}
    assert allowed == EXPECTED[(grant, need)]


def test_a_platform_wide_action_needs_a_platform_role():
    assert _principal("platform").can(A, None)
    assert not _principal("admin").can(A, None)
    assert not Principal(ActorKind.USER, 1, "nobody").can(C, M, DEPT, WARD)  # no grant, nothing


def test_grants_add_up():
    both = Principal(ActorKind.USER, 1, "two hats", (GRANTS["councillor"], Grant(G, OTHER)))
    assert both.can(G, OTHER) and both.can(C, M, None, WARD)
    assert not both.can(G, M) and not both.can(A, OTHER)
    assert both.municipality_ids == {M, OTHER}
    assert _principal("platform").municipality_ids is None


def test_require_raises_forbidden():
    with pytest.raises(ForbiddenError) as caught:
        _principal("agent").require(A, M)
    assert caught.value.code == "forbidden"
    _principal("agent").require(G, M)


def test_the_command_line_and_wardlink_act_as_platform():
    cli = cli_principal()
    assert cli.kind == ActorKind.CLI and cli.label.startswith("cli:") and len(cli.label) > 4
    assert cli.can(A, OTHER) and SYSTEM.can(A, None)


def _records_table():
    rows = [
        select(
            literal(name).label("name"),
            literal(m).label("municipality_id"),
            literal(d).label("department_id"),
            literal(w).label("ward_id"),
        )
        for name, (m, d, w) in RECORDS.items()
    ]
    return union_all(*rows).subquery("records")


@pytest.mark.parametrize(("grant", "need"), sorted(EXPECTED))
def test_the_sql_filter_agrees_with_can(session, grant, need):
    records = _records_table()
    condition = scope_filter(
        _principal(grant),
        need,
        municipality_column=records.c.municipality_id,
        department_column=records.c.department_id,
        ward_column=records.c.ward_id,
    )
    found = set(session.scalars(select(records.c.name).where(condition)))
    assert found == EXPECTED[(grant, need)]


def test_a_table_without_the_column_shows_a_scoped_grant_nothing(session):
    records = _records_table()
    for grant in ("department", "councillor"):
        condition = scope_filter(_principal(grant), C, municipality_column=records.c.municipality_id)
        assert set(session.scalars(select(records.c.name).where(condition))) == set()
    condition = scope_filter(_principal("agent"), C, municipality_column=records.c.municipality_id)
    assert set(session.scalars(select(records.c.name).where(condition))) == IN_M
