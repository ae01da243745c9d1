"""`/api/v1/tickets`: staff list, read and work tickets, addressed by their reference.

Who sees what (`app.staff.principals`): councillor keys their ward's tickets, read only;
department keys their department's; agents and admins their municipality's; platform keys
all. A ticket outside the caller's view is "not found", never "forbidden": its existence
is not revealed. Every write is audited in the transaction that makes it.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from app.api import schemas
from app.api.access import actor_name, current_principal
from app.api.errors import domain_error, http_error
from app.errors import DomainError, InvalidError, NotFoundError
from app.extensions import db
from app.models import Municipality, Ticket, TicketFollower, utcnow
from app.places.municipalities import get_municipality
from app.staff.audit import record_audit
from app.staff.principals import Principal, scope_filter
from app.tickets import lifecycle
from app.tickets.search import TicketFilter, search_tickets
from app.tickets.states import OPEN
from app.vocabulary import StaffRole

bp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets, by reference")

bp.register_error_handler(DomainError, domain_error)
bp.register_error_handler(HTTPException, http_error)

AUDITED = ("status", "priority", "department_id", "assignee_user_id", "merged_into_id", "rejection_reason")
"""What the audit log keeps of a ticket before and after a change."""


def _scope(principal: Principal, role: StaffRole):
    return scope_filter(
        principal,
        role,
        municipality_column=Ticket.municipality_id,
        department_column=Ticket.department_id,
        ward_column=Ticket.ward_id,
    )


def _can(principal: Principal, role: StaffRole, ticket: Ticket) -> bool:
    return principal.can(role, ticket.municipality_id, ticket.department_id, ticket.ward_id)


def visible_ticket(session, principal: Principal, reference: str, field: str = "reference") -> Ticket:
    """A ticket the caller may see, else NotFoundError (whether it exists elsewhere or not)."""
    try:
        ticket = lifecycle.ticket_for_staff(session, None, reference)
    except (InvalidError, NotFoundError):
        ticket = None
    if ticket is None or not _can(principal, StaffRole.COUNCILLOR, ticket):
        raise NotFoundError(f"no ticket {reference[:20]!r}", field=field)
    return ticket


def workable_ticket(session, principal: Principal, reference: str) -> Ticket:
    """A ticket the caller may change: not found outside its view, forbidden (403) within
    it when read only (a councillor)."""
    ticket = visible_ticket(session, principal, reference)
    principal.require(StaffRole.DEPARTMENT, ticket.municipality_id, ticket.department_id, ticket.ward_id)
    return ticket


def _state(ticket: Ticket) -> dict:
    return {name: getattr(ticket, name) for name in AUDITED}


def _audit(
    session, principal: Principal, action: str, ticket: Ticket, before: dict, after: dict | None = None
):
    record_audit(session, principal, action, ticket, before, after or _state(ticket), ip=request.remote_addr)


def ticket_dict(session, ticket: Ticket, now) -> dict:
    """A ticket as the API shows it."""
    merged_into = session.get(Ticket, ticket.merged_into_id).reference if ticket.merged_into_id else None
    return {
        "reference": ticket.reference,
        "state": str(ticket.status),
        "priority": ticket.priority,
        "category": ticket.category.code,
        "ward": ticket.ward.number if ticket.ward else None,
        "department": {"id": ticket.department.id, "name": ticket.department.name}
        if ticket.department
        else None,
        "assignee_user_id": ticket.assignee_user_id,
        "location": ticket.location,
        "source": str(ticket.source),
        "due_at": ticket.due_at,
        "overdue": bool(ticket.status in OPEN and ticket.due_at is not None and ticket.due_at < now),
        "escalation_level": ticket.escalation_level,
        "rejection_reason": ticket.rejection_reason,
        "merged_into": merged_into,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def detail_dict(session, ticket: Ticket) -> dict:
    """A ticket with its history and how many follow it."""
    session.refresh(ticket)
    shown = ticket_dict(session, ticket, utcnow())
    shown["events"] = [
        {
            "kind": str(e.kind),
            "from_state": e.from_state and str(e.from_state),
            "to_state": e.to_state and str(e.to_state),
            "public_note": e.public_note,
            "internal_note": e.internal_note,
            "actor": e.actor,
            "created_at": e.created_at,
        }
        for e in lifecycle.events(session, ticket)
    ]
    shown["followers_count"] = session.scalar(
        select(func.count()).select_from(TicketFollower).where(TicketFollower.ticket_id == ticket.id)
    )
    return shown


def encode_cursor(ticket: Ticket) -> str:
    """An opaque cursor after `ticket`."""
    raw = json.dumps([ticket.priority, ticket.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The (priority, id) of a cursor; InvalidError (field `cursor`) for one we did not make."""
    try:
        priority, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (priority, last_id)):
            return priority, last_id
    except (ValueError, TypeError, binascii.Error):
        pass
    raise InvalidError("not a cursor from a previous page", field="cursor")


def _municipality_for(session, principal: Principal, code: str | None) -> Municipality:
    """The municipality a request acts in: `code`, or the caller's only one."""
    ids = principal.municipality_ids
    if code is None:
        if ids is None or len(ids) != 1:
            raise InvalidError("name the municipality (its code)", field="municipality")
        return session.get(Municipality, next(iter(ids)))
    try:
        place = get_municipality(session, code)
    except NotFoundError:
        place = None
    if place is None or (ids is not None and place.id not in ids):
        raise NotFoundError(f"no municipality {code[:32]!r}", field="municipality")
    return place


@bp.route("")
class Tickets(MethodView):
    @bp.arguments(schemas.TicketListArgs, location="query", unknown=RAISE)
    @bp.response(200, schemas.TicketPageSchema)
    def get(self, args):
        """List tickets, highest priority then newest first, one page at a time.

        Pass the `next_cursor` of a page as `cursor` to get the next one."""
        session = db.session()
        principal = current_principal()
        where = _scope(principal, StaffRole.COUNCILLOR)
        if args.get("municipality"):
            place = _municipality_for(session, principal, args["municipality"])
            where = where & (Ticket.municipality_id == place.id)
        filters = TicketFilter(
            state=args.get("state"),
            ward_number=args.get("ward"),
            category_code=args.get("category"),
            department_id=args.get("department"),
            overdue_at=utcnow() if args.get("overdue") else None,
            created_after=args.get("created_after"),
            created_before=args.get("created_before"),
            text=args.get("q"),
        )
        after = decode_cursor(args["cursor"]) if args.get("cursor") else None
        limit = args["limit"]
        found = search_tickets(session, where, filters, after=after, limit=limit + 1)
        now = utcnow()
        page = found[:limit]
        return {
            "items": [ticket_dict(session, t, now) for t in page],
            "next_cursor": encode_cursor(page[-1]) if len(found) > limit else None,
        }

    @bp.arguments(schemas.NewTicketSchema)
    @bp.response(201, schemas.CreatedTicketSchema)
    @bp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": schemas.IDEMPOTENCY_KEY_MAX},
                "description": "a retried request with the same key returns the same ticket",
            }
        ]
    )
    def post(self, body):
        """Log a ticket for a resident who phoned or came to the counter (agents, admins).

        The resident gets the same reference and SMS as from USSD."""
        session = db.session()
        principal = current_principal()
        place = _municipality_for(session, principal, body.get("municipality"))
        principal.require(StaffRole.AGENT, place.id)
        key = (request.headers.get("Idempotency-Key") or "").strip() or None
        if key is not None and (len(key) > schemas.IDEMPOTENCY_KEY_MAX or not key.isprintable()):
            raise InvalidError(
                f"the idempotency key has 1 to {schemas.IDEMPOTENCY_KEY_MAX} printable characters",
                field="Idempotency-Key",
            )
        scoped = f"{principal.kind}{principal.id}:{key}" if key else None
        # Scoped to the caller: two keys never find each other's ticket by a shared key.
        replay = scoped is not None and session.scalar(
            select(Ticket.id).where(Ticket.source_key == f"{body['channel']}:{scoped}")
        )
        new = lifecycle.create_on_behalf(
            session,
            place.code,
            phone=body["phone"],
            ward_number=body["ward"],
            category_code=body["category"],
            location=body["location"],
            channel=body["channel"],
            actor=actor_name(principal),
            locale=body.get("language"),
            key=scoped,
        )
        ticket = session.get(Ticket, new.id)
        if not replay:
            record_audit(
                session,
                principal,
                "ticket.create",
                ticket,
                None,
                {"reference": ticket.reference, "source": ticket.source, **_state(ticket)},
                ip=request.remote_addr,
            )
        session.commit()
        return {"reference": ticket.reference, "state": str(ticket.status)}


@bp.route("/<reference>")
class TicketDetail(MethodView):
    @bp.response(200, schemas.TicketDetailSchema)
    def get(self, reference):
        """A ticket with its history (events, oldest first) and its number of followers."""
        session = db.session()
        return detail_dict(session, visible_ticket(session, current_principal(), reference))


@bp.route("/<reference>/transitions", methods=["POST"])
@bp.arguments(schemas.TransitionSchema)
@bp.response(200, schemas.TicketDetailSchema)
def post_transition(body, reference):
    """Move a ticket to another state; an illegal move is 409 `illegal_transition`, a
    rejection without a reason 422 `reason_required`. Reporters hear of the changes that
    matter to them by SMS."""
    session = db.session()
    principal = current_principal()
    ticket = workable_ticket(session, principal, reference)
    before = _state(ticket)
    lifecycle.transition(
        session,
        ticket,
        body["to"],
        actor=actor_name(principal),
        public_note=body.get("public_note"),
        internal_note=body.get("internal_note"),
        reason=body.get("reason"),
    )
    _audit(session, principal, "ticket.transition", ticket, before)
    session.commit()
    return detail_dict(session, ticket)


@bp.route("/<reference>/assign", methods=["POST"])
@bp.arguments(schemas.AssignSchema)
@bp.response(200, schemas.TicketDetailSchema)
def post_assign(body, reference):
    """Give a ticket to a department of its municipality and/or a staff user (by ids)."""
    session = db.session()
    principal = current_principal()
    ticket = workable_ticket(session, principal, reference)
    before = _state(ticket)
    lifecycle.assign(
        session,
        ticket,
        department_id=body.get("department_id"),
        user_id=body.get("user_id"),
        actor=actor_name(principal),
    )
    _audit(session, principal, "ticket.assign", ticket, before)
    session.commit()
    return detail_dict(session, ticket)


@bp.route("/<reference>/merge", methods=["POST"])
@bp.arguments(schemas.MergeSchema)
@bp.response(200, schemas.TicketDetailSchema)
def post_merge(body, reference):
    """Merge a duplicate into the ticket that stays (`into`); its followers follow that one."""
    session = db.session()
    principal = current_principal()
    ticket = workable_ticket(session, principal, reference)
    into = visible_ticket(session, principal, body["into"], field="into")
    before = _state(ticket)
    lifecycle.merge(session, ticket, into, actor=actor_name(principal))
    _audit(session, principal, "ticket.merge", ticket, before)
    session.commit()
    return detail_dict(session, ticket)
