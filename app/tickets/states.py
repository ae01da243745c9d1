"""The ticket states and the moves between them, as data (FixMyStreet keeps its states so).

A move is allowed when its target is in `MOVES[current]`; anything else is refused by
`check_move` with a ConflictError whose code is `illegal_transition`. `duplicate` is reached
only by merging a ticket into another (`lifecycle.merge`), never by a plain move.
"""

from __future__ import annotations

from app.errors import ConflictError, InvalidError
from app.vocabulary import TicketStatus as S

MOVES: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.REJECTED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REJECTED: frozenset({S.REOPENED}),
    S.DUPLICATE: frozenset(),
    S.REOPENED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
}
"""State -> the states a plain move may take it to."""

OPEN = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})
"""Someone at the municipality still has to act: these count towards the service target,
are listed as overdue and escalated, and may be merged (into another open ticket)."""
FIXED = frozenset({S.RESOLVED})
"""Staff say it is fixed; the reporters may still say it is not."""
CLOSED = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE})
"""Finished; only a reopening (never for a duplicate) brings them back."""

NEEDS_REASON = frozenset({S.REJECTED})
"""Moves that must say why (the reason is kept on the ticket and told to the reporters)."""


def parse_state(value: str) -> S:
    """A state from its name (InvalidError with field "to" for an unknown one)."""
    try:
        return S((value or "").strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in S)
        raise InvalidError(f"unknown ticket state {value!r} (one of {known})", field="to") from None


def check_move(current: S, to: S) -> None:
    """Refuse a move the table does not allow (ConflictError, code `illegal_transition`)."""
    if to == S.DUPLICATE:
        raise ConflictError(
            f"a ticket cannot go from {current} to {to}: it becomes a duplicate only by a merge",
            code="illegal_transition",
            field="to",
        )
    if to not in MOVES[S(current)]:
        allowed = ", ".join(sorted(MOVES[S(current)])) or "none"
        raise ConflictError(
            f"a ticket cannot go from {current} to {to} (from {current}: {allowed})",
            code="illegal_transition",
            field="to",
        )
