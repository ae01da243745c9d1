"""The SMS a resident gets about their own ticket, and those staff get about overdue tickets
(tests check each in every language)."""

from __future__ import annotations

from app.language.i18n import N_

TICKET_CONFIRMATION = N_(
    "{name}: your report {reference} ({category}) is logged. Send STATUS {reference} to check it."
)
"""Sent once a ticket is logged (from USSD; an SMS report gets its reply instead)."""

TEMPLATES = (TICKET_CONFIRMATION,)
"""Every ticket SMS template."""

OVERDUE_SUPERVISOR = N_(
    "Overdue: ticket {reference} ({category}) in ward {ward}, due {due}. Please act on it."
)
"""Escalation level 1: to the supervisor of the ticket's department."""
OVERDUE_COUNCILLOR = N_(
    "Overdue: ticket {reference} ({category}) in your ward {ward}, due {due}. Its department has been told."
)
"""Escalation level 2: to the councillor of the ticket's ward."""

ESCALATION_TEMPLATES = (OVERDUE_SUPERVISOR, OVERDUE_COUNCILLOR)
"""Every escalation SMS template: one segment each, in every language."""
