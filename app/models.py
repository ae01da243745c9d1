"""SQL models. The schema changes only through migrations in `migrations/`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return dt.datetime.now(dt.timezone.utc)


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def locale_list(self) -> list[str]:
        """The offered languages in order."""
        return [code for code in self.locales.split(",") if code]


class ServiceCode(Base):
    """A USSD service code or SMS short code a municipality answers on (codes may be shared)."""

    __tablename__ = "service_codes"
    __table_args__ = (UniqueConstraint("channel", "code", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # "ussd" or "sms"
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


class Category(Base):
    """A fault category a municipality takes reports for, with labels per language."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    """Label per locale code; missing locales fall back to the catalogue, then to English."""


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    ward: Mapped[Ward | None] = relationship()


TICKET_STATUSES = ("open", "assigned", "in_progress", "resolved", "closed")
"""Life of a ticket, as staff move it along."""


class Ticket(Base):
    """A fault reported by a resident; its reference carries a check digit."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="SET NULL"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    location: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16), default="open")
    source: Mapped[str] = mapped_column(String(8))
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    """Idempotency key (`ussd:<sessionId>`, `sms:<message id>`): a repeated request finds the same ticket."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    category: Mapped[Category] = relationship()
    ward: Mapped[Ward | None] = relationship()


class Outage(Base):
    """A planned or current interruption of a service, touching one or more wards."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    """planned, active, restored or cancelled."""
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class OutageWard(Base):
    """Which wards an outage touches."""

    __tablename__ = "outage_wards"

    outage_id: Mapped[int] = mapped_column(
        ForeignKey("outages.id", ondelete="CASCADE"), primary_key=True
    )
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
    provider_date: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
