"""The closed sets of values wardlink stores in its columns, one `StrEnum` per set.

Each set is what the code writes today (read from every place that writes the column), and
the database holds it to that with a named CHECK constraint (see `app.models.enum_column`).
Members compare equal to their plain strings, so `message.status == "sent"` keeps working.
Values the provider sends us (delivery report and USSD end statuses) are not ours to close:
they stay plain strings, kept as they came.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket stands. The moves between them are data: `app.tickets.states`."""

    RECEIVED = "received"
    """Logged; nobody at the municipality has looked at it yet."""
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    """Staff say it is fixed; the reporters may still say it is not."""
    CLOSED = "closed"
    REJECTED = "rejected"
    """Not a fault the municipality will fix; `rejection_reason` says why."""
    DUPLICATE = "duplicate"
    """Merged into another ticket (`merged_into_id`); only a merge leads here."""
    REOPENED = "reopened"


class TicketSource(StrEnum):
    """The channel a ticket was reported through."""

    USSD = "ussd"
    SMS = "sms"
    PHONE = "phone"
    """Logged by staff for a caller on the telephone."""
    COUNTER = "counter"
    """Logged by staff for a resident at a service counter."""


class TicketEventKind(StrEnum):
    """What a ticket event records."""

    CREATED = "created"
    STATE = "state"
    PUBLIC_NOTE = "public_note"
    """A note the reporters may be told."""
    INTERNAL_NOTE = "internal_note"
    """A note for staff only."""
    ASSIGNED = "assigned"
    MERGED = "merged"
    ESCALATED = "escalated"
    CONFIRMED = "confirmed"
    """A resident reported the same fault again and now follows the ticket."""


class FollowerReason(StrEnum):
    """Why a resident follows a ticket."""

    REPORTER = "reporter"
    ADDED = "added"
    """Added later (by staff, or by a resident reporting the same fault)."""
    MERGED = "merged"
    """Followed a ticket that was merged into this one."""


class FixedAnswer(StrEnum):
    """A follower's answer to "Is it fixed?"."""

    YES = "yes"
    NO = "no"


class QuestionEnd(StrEnum):
    """Why an "Is it fixed?" question is no longer open."""

    ANSWERED = "answered"
    UNCONFIRMED = "unconfirmed"
    """Nobody answered within `app.tickets.questions.ANSWER_DAYS`: the ticket was closed."""
    MOVED_ON = "moved_on"
    """The ticket left `resolved` otherwise (another follower answered, or staff moved it)."""


class Channel(StrEnum):
    """The channel a service code answers on."""

    USSD = "ussd"
    SMS = "sms"


class OutageStatus(StrEnum):
    """Where an outage stands: `planned` and `active` ones are shown and may be updated."""

    PLANNED = "planned"
    ACTIVE = "active"
    RESTORED = "restored"


class InboundStatus(StrEnum):
    """What became of an SMS a resident sent us."""

    RECEIVED = "received"
    """Stored, not yet handled."""
    PROCESSED = "processed"
    REJECTED = "rejected"
    """Not handled, on purpose (unknown code, a STOP); `reason` says why."""
    FAILED = "failed"
    """Handling raised; the row is kept as evidence."""


class MessageStatus(StrEnum):
    """Life of an outbound SMS: queued -> sending -> sent -> delivered."""

    QUEUED = "queued"
    SENDING = "sending"
    """Claimed by a send job; `ACTIVE_SQL` in `app.models` counts this and `queued` as in flight."""
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    """Not sent: the number opted out and the message was not essential."""
    DROPPED = "dropped"
    """Not sent: an outage alert whose outage was over (or its broadcast cancelled)."""
    UNKNOWN = "unknown"
    """A worker died between the provider's answer and our commit; never resent blindly."""


class MessagePurpose(StrEnum):
    """Why an outbound SMS exists."""

    REPLY = "reply"
    """The answer to an SMS the resident sent."""
    TICKET = "ticket"
    """The "your report is logged" confirmation."""
    BROADCAST = "broadcast"
    ALERT = "alert"
    """An outage alert, update or restoration."""
    ESCALATION = "escalation"
    """An overdue ticket, told to a department supervisor or a ward councillor."""
    TICKET_UPDATE = "ticket_update"
    """A change of a ticket told to its followers (and a reopening told to its supervisor)."""


class MessageQueue(StrEnum):
    """The RQ queue a message is sent from (`workers.queues`)."""

    HIGH = "high"
    BULK = "bulk"


class MessageEncoding(StrEnum):
    """The alphabet a message is sent in, as `app.language.gsm.count_segments` names it."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


class BroadcastStatus(StrEnum):
    """Life of a broadcast."""

    PENDING_CONFIRMATION = "pending_confirmation"
    """Sent by SMS: waits for the councillor's confirmation code."""
    SCHEDULED = "scheduled"
    """Waits for its fan-out job (and for the quiet hours to end)."""
    FANNING_OUT = "fanning_out"
    """Writing its delivery rows."""
    SENDING = "sending"
    """Every delivery row written; waits for them to settle."""
    DONE = "done"
    CANCELLED = "cancelled"
    DROPPED = "dropped"
    """An outage alert whose outage was over before it went out."""


class BroadcastKind(StrEnum):
    """What a broadcast is."""

    BROADCAST = "broadcast"
    OUTAGE_ALERT = "outage_alert"
    OUTAGE_UPDATE = "outage_update"
    OUTAGE_RESTORED = "outage_restored"


class OptOutAction(StrEnum):
    """What a number told us."""

    STOP = "stop"
    START = "start"


class OptOutChannel(StrEnum):
    """How we know a number wants to stop (or start again)."""

    SMS = "sms"
    """A STOP or START keyword."""
    BULK_OPTOUT = "bulk_optout"
    """The provider's opt-out callback."""
    BLACKLIST = "blacklist"
    """The provider refused the number (status 406)."""


class StaffRole(StrEnum):
    """What a staff account or API key may do, from the widest to the narrowest
    (`app.staff.principals` reads the order: a role covers the ones after it)."""

    PLATFORM = "platform"
    """Everything, in every municipality (a province running one platform)."""
    ADMIN = "admin"
    """Everything in their municipality, users and keys included."""
    AGENT = "agent"
    """Call centre and service counter: tickets, outages and broadcasts of their municipality."""
    DEPARTMENT = "department"
    """The tickets of their department only."""
    COUNCILLOR = "councillor"
    """A read-only view of their own ward."""


class ActorKind(StrEnum):
    """Who did something the audit log records."""

    USER = "user"
    """A staff user, logged in."""
    API_KEY = "api_key"
    CLI = "cli"
    """The `wardlink` command; the label names the OS user who ran it."""
    SYSTEM = "system"
    """Wardlink itself (a job, a lock-out)."""
