"""The SMS command table: every keyword, who may send it, and how that is checked.

Built here, in one place, from the resident and the councillor commands; `inbound` reads it.
"""

from __future__ import annotations

from collections.abc import Callable

from app.sms.commands import RESIDENT_COMMANDS, Command
from app.sms.councillor_commands import COUNCILLOR_COMMANDS, COUNCILLOR_WORDS, is_councillor

COMMANDS: dict[str, Command] = {**RESIDENT_COMMANDS, **COUNCILLOR_COMMANDS}
"""Command name -> handler and role; "unknown" answers anything else."""

ROLE_CHECKS: dict[str, Callable] = {"councillor": is_councillor}
"""Role name -> function(session, municipality_id, phone) -> bool, for commands whose role is
not "resident"."""

EXTRA_WORDS: list[tuple[str, str]] = list(COUNCILLOR_WORDS)
"""(word, command) pairs beyond the resident keywords the parser knows."""
