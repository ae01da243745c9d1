"""Finding a ticket as staff do: by municipality and reference, with domain errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import InvalidError, NotFoundError
from app.extensions import db
from app.models import Category, Municipality
from app.tickets.references import damm_digit
from app.tickets.service import TicketError, create_ticket, ticket_by_reference


def _municipality(code):
    return db.session.scalar(select(Municipality).where(Municipality.code == code))


def test_ticket_by_reference(ctx, demo):
    session = db.session()
    saldanha = _municipality("saldanha")
    category = session.scalar(select(Category).where(Category.municipality_id == saldanha.id))
    ticket = create_ticket(
        session,
        source="sms",
        source_key="sms:t1",
        municipality_id=saldanha.id,
        phone="+27821234567",
        category_id=category.id,
        ward_id=None,
        location="Main Rd",
    )
    spaced = f"{ticket.reference[:4]} {ticket.reference[4:]}"
    assert ticket_by_reference(session, "saldanha", spaced).id == ticket.id
    with pytest.raises(NotFoundError) as elsewhere:
        ticket_by_reference(session, "stma", ticket.reference)  # another council's ticket
    assert elsewhere.value.field == "reference"
    wrong_digit = ticket.reference[:-1] + str((int(ticket.reference[-1]) + 1) % 10)
    with pytest.raises(InvalidError) as bad:
        ticket_by_reference(session, "saldanha", wrong_digit)
    assert (bad.value.code, bad.value.field) == ("invalid", "reference")
    unknown = "1234567" + str(damm_digit("1234567"))
    with pytest.raises(NotFoundError, match=f"no ticket {unknown}"):
        ticket_by_reference(session, "saldanha", unknown)


def test_a_category_of_another_council_is_refused(ctx, demo):
    session = db.session()
    stma_category = session.scalar(
        select(Category).where(Category.municipality_id == _municipality("stma").id)
    )
    with pytest.raises(TicketError) as refused:
        create_ticket(
            session,
            source="sms",
            source_key="sms:t2",
            municipality_id=_municipality("saldanha").id,
            phone="+27821234567",
            category_id=stma_category.id,
            ward_id=None,
            location="x",
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "category")
