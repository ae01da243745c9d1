"""SQL models. The schema changes only through migrations in `migrations/`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.vocabulary import (
    ActorKind,
    BroadcastKind,
    BroadcastStatus,
    Channel,
    FixedAnswer,
    FollowerReason,
    InboundStatus,
    MessageEncoding,
    MessagePurpose,
    MessageQueue,
    MessageStatus,
    OptOutAction,
    OptOutChannel,
    OutageStatus,
    QuestionEnd,
    StaffRole,
    TicketEventKind,
    TicketSource,
    TicketStatus,
)


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored and read back as an aware datetime in UTC, on every backend.

    SQLite keeps no zone (it would hand back naive values, and store an aware non-UTC value
    as its wall-clock time); PostgreSQL hands back the session's zone. Both are made UTC
    here, once, instead of at every comparison. A naive value is refused: it is a bug (local
    time or UTC? nobody can tell once it is stored)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Check and convert a value on its way in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC timestamp")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        """Make a stored value aware UTC on its way out."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def closed_set(values: type[StrEnum], length: int, name: str) -> Enum:
    """A VARCHAR(`length`) column type that only takes `values`, held by a CHECK constraint
    named `ck_<table>_<name>` (the same on SQLite and PostgreSQL; migrations repeat it).

    Rows read back hold enum members, which compare equal to their strings; an unknown
    string is refused before it reaches the database."""
    return Enum(
        values,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=name,
    )


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Named constraints, so later migrations can alter them on SQLite and PostgreSQL alike."""


class Base(DeclarativeBase):
    """Declarative base of every wardlink table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Municipality(Base):
    """A council served by this deployment, routed to by its USSD and SMS codes."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    locales: Mapped[str] = mapped_column(String(64))
    """Languages offered, comma-separated, the first is the default."""
    sms_sender_id: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))
    """The channel its SMS go out through (None: the default channel)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def locale_list(self) -> list[str]:
        """The offered languages in order."""
        return [code for code in self.locales.split(",") if code]


class ServiceCode(Base):
    """A USSD service code or SMS short code a municipality answers on (codes may be shared)."""

    __tablename__ = "service_codes"
    __table_args__ = (UniqueConstraint("channel", "code", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(closed_set(Channel, 8, "channel"))
    code: Mapped[str] = mapped_column(String(32), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))


class Ward(Base):
    """A ward; its number is unique only within its municipality."""

    __tablename__ = "wards"
    __table_args__ = (UniqueConstraint("municipality_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))


class Department(Base):
    """A municipal department that owns categories and works their tickets."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    supervisor_name: Mapped[str | None] = mapped_column(String(120))
    supervisor_phone: Mapped[str | None] = mapped_column(String(20))
    """Told by SMS when one of the department's tickets is overdue (E.164)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Category(Base):
    """A fault category a municipality takes reports for, with labels per language."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("municipality_id", "code"),
        CheckConstraint("target_hours IS NULL OR target_working_days IS NULL", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    """Label per locale code; missing locales fall back to the catalogue, then to English."""
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    """The department its tickets go to on creation."""
    target_hours: Mapped[int | None] = mapped_column(Integer)
    """Service target in wall-clock hours (or `target_working_days`, never both)."""
    target_working_days: Mapped[int | None] = mapped_column(Integer)
    """Service target in working days of the municipality (weekends and holidays skipped)."""
    duplicate_window_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")
    """A report of the same category and ward within this many hours may be a duplicate."""

    department: Mapped[Department | None] = relationship()


class Resident(Base):
    """A phone number known to one municipality, with its ward and language."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("municipality_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(8))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    ward: Mapped[Ward | None] = relationship()


class Ticket(Base):
    """A fault reported by a resident; its reference carries a check digit."""

    __tablename__ = "tickets"
    __table_args__ = (
        # "Already reported?": a ward's newest tickets of one category, on the report path.
        Index("ix_tickets_similar", "municipality_id", "ward_id", "category_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    location: Mapped[str] = mapped_column(String(160))
    status: Mapped[TicketStatus] = mapped_column(
        closed_set(TicketStatus, 16, "status"), default=TicketStatus.RECEIVED
    )
    source: Mapped[TicketSource] = mapped_column(closed_set(TicketSource, 8, "source"))
    """The channel it was logged through (`phone` and `counter`: by staff, for a resident)."""
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    """Idempotency key (`ussd:<sessionId>`, `sms:<message id>`): a repeated request finds the same ticket."""
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    """Its category's department at creation; staff may assign it elsewhere."""
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    """The staff user working it."""
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Higher first; raised each time the ticket is reopened."""
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    """When its category's service target runs out (None: the category has no target)."""
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """0: not escalated; 1: the department's supervisor was told; 2: the ward councillor too."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """When it was closed, rejected or merged."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    ward: Mapped[Ward | None] = relationship()
    department: Mapped[Department | None] = relationship()


class TicketEvent(Base):
    """One change in a ticket's history: its creation, a move, a note, an assignment..."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TicketEventKind] = mapped_column(closed_set(TicketEventKind, 16, "kind"))
    from_state: Mapped[TicketStatus | None] = mapped_column(closed_set(TicketStatus, 16, "from_state"))
    to_state: Mapped[TicketStatus | None] = mapped_column(closed_set(TicketStatus, 16, "to_state"))
    public_note: Mapped[str | None] = mapped_column(Text)
    """What the reporters may be told."""
    internal_note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    """Who did it: "user:12", "cli", "ussd", "sms", "system"."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketFollower(Base):
    """A resident told about a ticket's changes: its reporter first, then others."""

    __tablename__ = "ticket_followers"
    __table_args__ = (UniqueConstraint("ticket_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    reason: Mapped[FollowerReason] = mapped_column(closed_set(FollowerReason, 16, "reason"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketQuestion(Base):
    """ "Is it fixed?", asked of one follower's phone when a ticket is resolved; open while
    `closed_reason` is empty. A reply from the phone answers the newest open one."""

    __tablename__ = "ticket_questions"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_ticket_questions_phone_open", "phone", "closed_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[FixedAnswer | None] = mapped_column(closed_set(FixedAnswer, 8, "answer"))
    rating: Mapped[int | None] = mapped_column(Integer)
    """Satisfaction 1-5, when a YES carried one ("YES 4")."""
    closed_reason: Mapped[QuestionEnd | None] = mapped_column(closed_set(QuestionEnd, 16, "closed_reason"))


class Outage(Base):
    """A planned or current interruption of a service, touching one or more wards."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    status: Mapped[OutageStatus] = mapped_column(
        closed_set(OutageStatus, 16, "status"), default=OutageStatus.ACTIVE
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OutageWard(Base):
    """Which wards an outage touches."""

    __tablename__ = "outage_wards"

    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"), primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True)


class UssdSessionEnd(Base):
    """The provider's end-of-session notification, kept for reporting."""

    __tablename__ = "ussd_session_ends"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(120), index=True)
    service_code: Mapped[str | None] = mapped_column(String(32))
    network_code: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(32))
    cost: Mapped[str | None] = mapped_column(String(32))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    hops_count: Mapped[int | None] = mapped_column(Integer)
    hops_metadata: Mapped[str | None] = mapped_column(Text)
    input: Mapped[str | None] = mapped_column(Text)
    last_app_response: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    provider_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundMessage(Base):
    """An SMS a resident sent us, stored before anything else happens (once per provider id)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), server_default="africastalking")
    """The channel it arrived on; provider ids are unique per channel, not globally."""
    provider_id: Mapped[str] = mapped_column(String(120))
    """The provider's `id`; a retried callback finds the row and is not processed again."""
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    to_code: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(120))
    network_code: Mapped[str | None] = mapped_column(String(16))
    provider_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    command: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[InboundStatus] = mapped_column(
        closed_set(InboundStatus, 16, "status"), default=InboundStatus.RECEIVED
    )
    reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


ACTIVE_SQL = "status IN ('queued', 'sending')"
"""Rows still in flight. Written literally, never with bound parameters: a planner can only
use the partial index below when a query repeats this predicate as it stands."""


def message_active():
    """The in-flight predicate, as the partial index `ix_messages_broadcast_active` has it."""
    return text(ACTIVE_SQL)


class Message(Base):
    """One outbound SMS, written before it is sent: the outbox."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_pending", "status", "next_attempt_at"),
        # A provider's message ids are unique within its channel: delivery reports match on both.
        UniqueConstraint("channel", "provider_message_id"),
        # One delivery row per recipient of a broadcast: re-running a fan-out adds nothing.
        UniqueConstraint("broadcast_id", "resident_id"),
        # Whether a broadcast still has work (queued or in-flight rows) is answered from this
        # small index, not by scanning all its delivery rows.
        Index(
            "ix_messages_broadcast_active",
            "broadcast_id",
            "id",
            postgresql_where=text(ACTIVE_SQL),
            sqlite_where=text(ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[MessageEncoding] = mapped_column(closed_set(MessageEncoding, 8, "encoding"))
    segments: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[MessagePurpose] = mapped_column(closed_set(MessagePurpose, 16, "purpose"))
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    """Essential messages (replies to the resident's own request, STOP confirmations) reach
    opted-out residents; everything else does not."""
    queue: Mapped[MessageQueue] = mapped_column(
        closed_set(MessageQueue, 8, "queue"), default=MessageQueue.HIGH
    )
    sender_id: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))
    """The channel it went out through, set when a sender claims it."""
    status: Mapped[MessageStatus] = mapped_column(
        closed_set(MessageStatus, 16, "status"), default=MessageStatus.QUEUED
    )
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    provider_status: Mapped[str | None] = mapped_column(String(40))
    status_code: Mapped[int | None] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[str | None] = mapped_column(String(32))
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), unique=True
    )
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    """The broadcast or outage alert this message delivers (None: a one-off message)."""
    """The inbound message this answers: at most one reply per inbound message."""
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DeliveryReport(Base):
    """A delivery report as the provider sent it (unknown statuses kept as they came)."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), server_default="africastalking")
    provider_message_id: Mapped[str] = mapped_column(String(120), index=True)
    status: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))
    network_code: Mapped[str | None] = mapped_column(String(16))
    retry_count: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OptOut(Base):
    """Evidence of every STOP and START: who, when, through which channel, and why we know."""

    __tablename__ = "opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    action: Mapped[OptOutAction] = mapped_column(closed_set(OptOutAction, 8, "action"))
    channel: Mapped[OptOutChannel] = mapped_column(closed_set(OptOutChannel, 16, "channel"))
    evidence: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Suppression(Base):
    """A number that must receive no non-essential SMS; kept even if the resident is erased."""

    __tablename__ = "suppressions"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[OptOutChannel] = mapped_column(closed_set(OptOutChannel, 16, "channel"))
    """How the number told us to stop."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Councillor(Base):
    """A ward councillor who may broadcast to the residents of their own ward."""

    __tablename__ = "councillors"
    __table_args__ = (UniqueConstraint("municipality_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    """Salted scrypt hash of the PIN (werkzeug's format); the PIN itself is never stored."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ward: Mapped[Ward] = relationship()


class Broadcast(Base):
    """A message to the residents of some wards of one municipality, one text per language."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    kind: Mapped[BroadcastKind] = mapped_column(closed_set(BroadcastKind, 16, "kind"))
    author: Mapped[str] = mapped_column(String(120))
    councillor_id: Mapped[int | None] = mapped_column(ForeignKey("councillors.id", ondelete="SET NULL"))
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outages.id", ondelete="SET NULL"))
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    """A follow-up (outage update, restoration) goes to the recipients of this broadcast."""
    texts: Mapped[dict] = mapped_column(JSON)
    """Text per locale; "*" is the text for every language without its own."""
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[BroadcastStatus] = mapped_column(
        closed_set(BroadcastStatus, 24, "status"), default=BroadcastStatus.SCHEDULED
    )
    source_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    """Idempotency key of the request that created it (USSD session, SMS confirmation)."""
    confirm_code: Mapped[str | None] = mapped_column(String(200))
    confirm_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    fanout_cursor: Mapped[int] = mapped_column(Integer, default=0)
    """The last resident id the fan-out has written delivery rows for."""
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """Set by the fan-out at every chunk: a fan-out silent for minutes has died."""
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    """Wrong confirmation codes sent for it; three cancel it."""
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """Not delivered after this (an outage alert once the outage is over)."""
    summary: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BroadcastWard(Base):
    """Which wards a broadcast goes to."""

    __tablename__ = "broadcast_wards"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True)


STAFF_SCOPE_SQL = (
    "(role = 'platform' AND municipality_id IS NULL AND department_id IS NULL AND ward_id IS NULL)"
    " OR (role IN ('admin', 'agent') AND municipality_id IS NOT NULL"
    " AND department_id IS NULL AND ward_id IS NULL)"
    " OR (role = 'department' AND municipality_id IS NOT NULL"
    " AND department_id IS NOT NULL AND ward_id IS NULL)"
    " OR (role = 'councillor' AND municipality_id IS NOT NULL"
    " AND department_id IS NULL AND ward_id IS NOT NULL)"
)
"""What a role is scoped by, held by the CHECK `ck_<table>_scope` of `staff_roles` and
`api_keys`: a platform role by nothing, the others by their municipality, a department role
also by its department, a councillor role also by its ward."""


class StaffUser(Base):
    """A person at a municipality (or the platform) who signs in with email and password."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lower-case, so uniqueness is case-insensitive on every backend."""
    password_hash: Mapped[str] = mapped_column(String(200))
    """Salted scrypt hash (werkzeug's format); the password itself is never stored."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list[StaffRoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="StaffRoleGrant.id"
    )


class StaffRoleGrant(Base):
    """One role of a staff user: in a municipality (none for `platform`), for a department
    (`department`) or a ward (`councillor`)."""

    __tablename__ = "staff_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "municipality_id", "role"),
        # NULLs are distinct in a unique constraint: one platform role per user needs its own.
        Index(
            "uq_staff_roles_platform",
            "user_id",
            unique=True,
            postgresql_where=text("municipality_id IS NULL"),
            sqlite_where=text("municipality_id IS NULL"),
        ),
        CheckConstraint(STAFF_SCOPE_SQL, name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(closed_set(StaffRole, 16, "role"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[StaffUser] = relationship(back_populates="roles")


class ApiKey(Base):
    """A key a program uses instead of a person (`Authorization: Bearer wl_<prefix>_<secret>`),
    with one role, scoped like a user's role.

    Only `prefix` (to find the row) and a SHA-256 of the secret are stored; the key is shown
    once, when it is made."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(STAFF_SCOPE_SQL, name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(closed_set(StaffRole, 16, "role"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 of the secret part of the key."""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    """The staff user who made it (None: made from the command line; the audit log says who)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """Updated at most once a minute."""
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One staff action: who (a user, a key, the command line), what, on which record,
    the record before and after, and when. Written in the same transaction as the action."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_municipality_id_created_at", "municipality_id", "created_at"),
        Index("ix_audit_log_record_type_record_id", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_kind: Mapped[ActorKind] = mapped_column(closed_set(ActorKind, 16, "actor_kind"))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    """The user's or key's id (no foreign key: the entry outlives them)."""
    actor_label: Mapped[str] = mapped_column(String(160))
    """Who, readable after the actor is gone: an email, a key's name and prefix, `cli:<OS user>`."""
    action: Mapped[str] = mapped_column(String(64))
    """What, as `<record>.<verb>`: `staff_user.create`, `api_key.revoke`..."""
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(64))
    """An id or a ticket reference, as text."""
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
