"""What the staff API reads and writes, as marshmallow schemas: flask-smorest validates
requests with them and builds the OpenAPI document from them, so the document and the code
cannot disagree. Every text and list has an explicit limit."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.tickets.lifecycle import INTERNAL_NOTE_MAX, ON_BEHALF, PUBLIC_NOTE_MAX, REASON_MAX
from app.tickets.search import QUERY_MAX
from app.vocabulary import TicketStatus

PAGE_MAX = 100
"""The most tickets one page lists."""
PAGE_DEFAULT = 50
"""A page's size when `limit` is not given."""
CURSOR_MAX = 200
"""A cursor is short; a longer one is not ours."""
IDEMPOTENCY_KEY_MAX = 64
"""The longest `Idempotency-Key` header kept."""

STATES = [s.value for s in TicketStatus]


class TicketListArgs(Schema):
    """The query of `GET /tickets`."""

    state = fields.String(validate=validate.OneOf(STATES))
    ward = fields.Integer(validate=validate.Range(min=1, max=9999), metadata={"description": "ward number"})
    category = fields.String(validate=validate.Length(1, 32), metadata={"description": "category code"})
    department = fields.Integer(validate=validate.Range(min=1), metadata={"description": "department id"})
    overdue = fields.Boolean(metadata={"description": "only open tickets past their due time"})
    created_after = fields.AwareDateTime(default_timezone=None)
    created_before = fields.AwareDateTime(default_timezone=None)
    q = fields.String(
        validate=validate.Length(1, QUERY_MAX), metadata={"description": "part of the reference or location"}
    )
    municipality = fields.String(
        validate=validate.Length(1, 32), metadata={"description": "municipality code (platform keys)"}
    )
    cursor = fields.String(validate=validate.Length(1, CURSOR_MAX), metadata={"description": "next_cursor"})
    limit = fields.Integer(load_default=PAGE_DEFAULT, validate=validate.Range(min=1, max=PAGE_MAX))


class EventSchema(Schema):
    """One entry of a ticket's history."""

    kind = fields.String(required=True)
    from_state = fields.String(allow_none=True, required=True)
    to_state = fields.String(allow_none=True, required=True)
    public_note = fields.String(allow_none=True, required=True)
    internal_note = fields.String(allow_none=True, required=True)
    actor = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class DepartmentRefSchema(Schema):
    """A department, as a ticket names it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class TicketSchema(Schema):
    """A ticket in a list."""

    reference = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    priority = fields.Integer(required=True)
    category = fields.String(required=True, metadata={"description": "category code"})
    ward = fields.Integer(allow_none=True, required=True, metadata={"description": "ward number"})
    department = fields.Nested(DepartmentRefSchema, allow_none=True, required=True)
    assignee_user_id = fields.Integer(allow_none=True, required=True)
    location = fields.String(required=True)
    source = fields.String(required=True)
    due_at = fields.DateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    escalation_level = fields.Integer(required=True)
    rejection_reason = fields.String(allow_none=True, required=True)
    merged_into = fields.String(allow_none=True, required=True, metadata={"description": "a reference"})
    resolved_at = fields.DateTime(allow_none=True, required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class TicketDetailSchema(TicketSchema):
    """One ticket with its history."""

    events = fields.List(fields.Nested(EventSchema), required=True)
    followers_count = fields.Integer(required=True)


class TicketPageSchema(Schema):
    """One page of tickets; `next_cursor` is null on the last page."""

    items = fields.List(fields.Nested(TicketSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class TransitionSchema(Schema):
    """`POST /tickets/{reference}/transitions`."""

    to = fields.String(required=True, validate=validate.OneOf(STATES))
    public_note = fields.String(allow_none=True, validate=validate.Length(max=PUBLIC_NOTE_MAX))
    internal_note = fields.String(allow_none=True, validate=validate.Length(max=INTERNAL_NOTE_MAX))
    reason = fields.String(allow_none=True, validate=validate.Length(max=REASON_MAX))


class AssignSchema(Schema):
    """`POST /tickets/{reference}/assign`: a department and/or a staff user (ids)."""

    department_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    user_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))


class MergeSchema(Schema):
    """`POST /tickets/{reference}/merge`."""

    into = fields.String(
        required=True, validate=validate.Length(1, 32), metadata={"description": "reference"}
    )


class NewTicketSchema(Schema):
    """`POST /tickets`: a ticket logged for a resident who phoned or came to the counter."""

    phone = fields.String(required=True, validate=validate.Length(3, 32))
    ward = fields.Integer(required=True, validate=validate.Range(min=1, max=9999))
    category = fields.String(required=True, validate=validate.Length(1, 32))
    location = fields.String(required=True, validate=validate.Length(3, 160))
    channel = fields.String(required=True, validate=validate.OneOf([c.value for c in ON_BEHALF]))
    language = fields.String(allow_none=True, validate=validate.Length(2, 8))
    municipality = fields.String(
        validate=validate.Length(1, 32), metadata={"description": "municipality code (platform keys)"}
    )


class CreatedTicketSchema(Schema):
    """The reference to read out to the caller (who also gets it by SMS)."""

    reference = fields.String(required=True)
    state = fields.String(required=True)
