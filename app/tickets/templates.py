"""The SMS a resident gets about their own ticket (tests check each in every language)."""

from __future__ import annotations

from app.language.i18n import N_

TICKET_CONFIRMATION = N_(
    "{name}: your report {reference} ({category}) is logged. Send STATUS {reference} to check it."
)
"""Sent once a ticket is logged (from USSD; an SMS report gets its reply instead)."""

TEMPLATES = (TICKET_CONFIRMATION,)
"""Every ticket SMS template."""
