"""The command groups of the `wardlink` CLI, and the one place a domain error becomes a
command-line error."""

from __future__ import annotations

import click

from app.errors import DomainError


class DomainGroup(click.Group):
    """A click group whose commands may let a service's DomainError through: it is shown as
    `Error: <message>` with exit status 1, never as a traceback. Nested groups inherit it."""

    group_class = type  # subgroups made with `@group.group()` are DomainGroups too

    def invoke(self, ctx: click.Context):
        """Run the subcommand; a DomainError becomes a ClickException."""
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None


def group(name: str):
    """`@group("outages")`: a DomainGroup named `name`, its help from the docstring."""
    return click.group(name, cls=DomainGroup)
