"""Who is acting and what they may do: a `Principal` and its grants.

A grant is one role in one scope: `platform` (every municipality), `admin` or `agent` (one
municipality), `department` (one department of a municipality), `councillor` (one ward of a
municipality, read only). Roles are ordered from the widest to the narrowest; a grant covers
a need of its own role or a narrower one, within its scope:

| grant      | covers the needs                      | where                               |
|------------|---------------------------------------|-------------------------------------|
| platform   | all                                   | everywhere                          |
| admin      | admin, agent, department, councillor  | its municipality                    |
| agent      | agent, department, councillor         | its municipality                    |
| department | department, councillor                | records of its department           |
| councillor | councillor (reading)                  | records of its ward                 |

`can()` answers for one record; `scope_filter()` gives the same answer as a SQL condition,
for lists.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_, true

from app.errors import DomainError
from app.vocabulary import ActorKind, StaffRole

ORDER: tuple[StaffRole, ...] = tuple(StaffRole)
"""The roles from the widest to the narrowest (the order of `StaffRole`)."""


class ForbiddenError(DomainError):
    """The principal's roles do not allow the operation here."""

    code = "forbidden"


@dataclass(frozen=True)
class Grant:
    """One role in one scope."""

    role: StaffRole
    municipality_id: int | None = None
    """None only for `platform`."""
    department_id: int | None = None
    """Set only for `department`."""
    ward_id: int | None = None
    """Set only for `councillor`."""

    def covers(self, needed: StaffRole) -> bool:
        """Whether this role is `needed` or a wider one."""
        return ORDER.index(self.role) <= ORDER.index(StaffRole(needed))

    def allows(
        self,
        needed: StaffRole,
        municipality_id: int | None,
        department_id: int | None = None,
        ward_id: int | None = None,
    ) -> bool:
        """Whether this grant alone allows `needed` on a record with this scope."""
        if not self.covers(needed):
            return False
        if self.role == StaffRole.PLATFORM:
            return True
        if municipality_id is None or municipality_id != self.municipality_id:
            return False
        if self.role == StaffRole.DEPARTMENT:
            return department_id is not None and department_id == self.department_id
        if self.role == StaffRole.COUNCILLOR:
            return ward_id is not None and ward_id == self.ward_id
        return True


@dataclass(frozen=True)
class Principal:
    """Whoever acts: a staff user, an API key, the command line or wardlink itself."""

    kind: ActorKind
    id: int | None
    """The user's or key's id (None for the command line and wardlink)."""
    label: str
    """Who, for the audit log: an email, a key's name and prefix, `cli:<OS user>`."""
    grants: tuple[Grant, ...] = field(default=())

    def can(
        self,
        role_needed: StaffRole,
        municipality_id: int | None,
        department_id: int | None = None,
        ward_id: int | None = None,
    ) -> bool:
        """Whether one of its grants allows `role_needed` on a record of this municipality
        (department, ward). A municipality-wide action passes no department or ward; a
        platform-wide one (no municipality) needs `platform`."""
        return any(g.allows(role_needed, municipality_id, department_id, ward_id) for g in self.grants)

    def require(
        self,
        role_needed: StaffRole,
        municipality_id: int | None,
        department_id: int | None = None,
        ward_id: int | None = None,
    ) -> None:
        """`can()`, or raise ForbiddenError."""
        if not self.can(role_needed, municipality_id, department_id, ward_id):
            raise ForbiddenError(f"{self.label} may not do this here (needs {StaffRole(role_needed)})")

    @property
    def municipality_ids(self) -> set[int] | None:
        """The municipalities it has any role in; None: every one (a platform grant)."""
        if any(g.role == StaffRole.PLATFORM for g in self.grants):
            return None
        return {g.municipality_id for g in self.grants if g.municipality_id is not None}


def scope_filter(
    principal: Principal,
    role_needed: StaffRole,
    *,
    municipality_column,
    department_column=None,
    ward_column=None,
) -> ColumnElement[bool]:
    """A SQL condition true for the rows `principal` may `role_needed` (see the table above).

    Pass the columns of the listed table, e.g. for tickets
    `scope_filter(p, StaffRole.COUNCILLOR, municipality_column=Ticket.municipality_id,
    ward_column=Ticket.ward_id, department_column=Ticket.department_id)`. A department or
    councillor grant matches nothing on a table without that column; no grant, no rows."""
    conditions = []
    for grant in principal.grants:
        if not grant.covers(role_needed):
            continue
        if grant.role == StaffRole.PLATFORM:
            return true()
        own = municipality_column == grant.municipality_id
        if grant.role == StaffRole.DEPARTMENT:
            if department_column is None:
                continue
            own = and_(own, department_column == grant.department_id)
        elif grant.role == StaffRole.COUNCILLOR:
            if ward_column is None:
                continue
            own = and_(own, ward_column == grant.ward_id)
        conditions.append(own)
    return or_(*conditions) if conditions else false()


def os_user() -> str:
    """The name of the OS user running this process (its uid when it has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (a bare container)
        return f"uid {os.getuid()}"


def cli_principal() -> Principal:
    """The `wardlink` command: whoever can run it on the server may do everything."""
    return Principal(ActorKind.CLI, None, f"cli:{os_user()}", (Grant(StaffRole.PLATFORM),))


SYSTEM = Principal(ActorKind.SYSTEM, None, "wardlink", (Grant(StaffRole.PLATFORM),))
"""Wardlink itself (a scheduled job, a lock-out)."""
