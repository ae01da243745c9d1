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

TICKET_CONFIRMATION_CODE = N_(
    "{name}: your report {reference} ({category}) is logged. SMS STATUS {reference} to {code} to check it."
)
"""The confirmation where the municipality has an SMS short code: sent from it, and named."""

ACKNOWLEDGED_DUE = N_("Your report {reference} ({category}) is acknowledged. We expect to fix it by {date}.")
"""To the followers when staff acknowledge a ticket that has a due date (local date)."""
ACKNOWLEDGED = N_("Your report {reference} ({category}) is acknowledged. We will tell you when it is fixed.")
"""The same without a service target."""
IN_PROGRESS = N_("Work on your report {reference} ({category}) has started: {note}")
"""A ticket in progress with a public note (the note is cut to fit one SMS)."""
RESOLVED_CODE = N_(
    "Your report {reference} ({category}) is resolved. Is it fixed? SMS 1 YES or 2 NO to {code}."
)
"""Resolved, with the "Is it fixed?" question, from and naming the short code."""
RESOLVED = N_("Your report {reference} ({category}) is resolved. Is it fixed? Reply 1 YES or 2 NO.")
"""The same where the municipality has no short code."""
REJECTED = N_("Your report {reference} ({category}) was not accepted: {note}")
"""Rejected, with the reason (cut to fit one SMS)."""
MERGED = N_("Your report {reference} is the same fault as report {into}. You will get its updates.")
"""Merged into another ticket, which the follower now follows."""

NOTICES = (ACKNOWLEDGED_DUE, ACKNOWLEDGED, IN_PROGRESS, RESOLVED_CODE, RESOLVED, REJECTED, MERGED)
"""Every SMS a ticket's followers get about a change: one segment each, in every language."""

FIXED_CLOSED = N_("Thank you. Your report {reference} is closed.")
"""The answer to YES (by SMS reply and on USSD)."""
FIXED_REOPENED = N_("Sorry. Your report {reference} is open again and goes to the top of the list.")
"""The answer to NO (by SMS reply and on USSD)."""
REOPENED_SUPERVISOR = N_(
    "Reopened: ticket {reference} ({category}) in ward {ward}. The resident says it is not fixed."
)
"""To the department's supervisor when a follower says NO."""

ANSWERS = (FIXED_CLOSED, FIXED_REOPENED, REOPENED_SUPERVISOR)
"""The answers to "Is it fixed?" and the supervisor's SMS."""
