"""Domain errors: what a service refuses, with a stable code, a message and the field at fault.

Every face renders them its own way: the CLI as a one-line error, the staff API as
`{"error": {"code", "message", "field"}}`. Services raise them and never a face's
exception (no `click` below `app/cli/`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DomainError(ValueError):
    """An operation refused; `code` is stable for machines, the message is for people."""

    code = "invalid"
    """The default machine code of the class (an instance may carry another)."""

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def as_dict(self) -> dict:
        """The error as the API renders it (under an "error" key)."""
        return {"code": self.code, "message": self.message, "field": self.field}


class InvalidError(DomainError):
    """A value that is malformed or not allowed."""

    code = "invalid"


class NotFoundError(DomainError):
    """A named thing (municipality, ward, outage, broadcast...) that does not exist."""

    code = "not_found"


class ConflictError(DomainError):
    """The thing exists but its state forbids the operation (e.g. cancelling a sent broadcast)."""

    code = "conflict"


class LimitError(DomainError):
    """A quota is used up (e.g. a councillor's daily broadcasts)."""

    code = "limit_reached"


@contextmanager
def raised_as(family: type[DomainError]) -> Iterator[None]:
    """Re-raise any other DomainError as `family`, keeping its code, message and field (so a
    room whose callers catch its own error class also catches a shared lookup's errors)."""
    try:
        yield
    except DomainError as exc:
        if isinstance(exc, family):
            raise
        raise family(exc.message, code=exc.code, field=exc.field) from exc
