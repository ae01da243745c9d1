""" "Is it fixed?": the answers of a resolved ticket's followers, by SMS or on USSD.

When a ticket is resolved each follower's phone gets the question (`notifications`), kept
open in `ticket_questions` while the ticket stays resolved. YES (or 1), optionally with a
rating 1-5 ("YES 4", "1 5"), closes the ticket and records the satisfaction; NO (or 2)
reopens it with raised priority (the lifecycle puts it first) and tells the department's
supervisor by SMS. A ticket nobody answers for `ANSWER_DAYS` is closed as unconfirmed by
the reaper. An SMS is matched to the newest open question of its number, before the
keyword dispatcher; anything else falls through to it.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.core.db import on_commit
from app.errors import ConflictError
from app.language.i18n import gettext
from app.language.labels import category_label
from app.models import Ticket, TicketFollower, TicketQuestion, utcnow
from app.outbox.messages import add_message, dispatch
from app.places.municipalities import municipality_info
from app.tickets.lifecycle import transition
from app.tickets.notifications import close_open_questions
from app.tickets.templates import FIXED_CLOSED, FIXED_REOPENED, REOPENED_SUPERVISOR
from app.vocabulary import FixedAnswer, MessagePurpose, QuestionEnd, TicketStatus

ANSWER_DAYS = 7
"""A resolved ticket nobody answered for this long is closed as unconfirmed."""
BATCH = 500
"""Tickets closed as unconfirmed per reaper run at most."""

YES_WORDS = frozenset({"1", "YES", "Y", "JA", "EWE", "YEBO", "AANE", "YIW"})
"""YES in English, Afrikaans, isiXhosa, isiZulu and Twi."""
NO_WORDS = frozenset({"2", "NO", "N", "NEE", "HAYI", "CHA", "DAABI"})
"""NO in the same languages."""
_ANSWER = re.compile(r"^\s*([A-Za-z0-9]+)[.,!]?(?:\s+([1-5]))?\s*[.!]*\s*$")
"""A whole message that is one word and, for YES, a rating: "YES", "yebo!", "1 5", "YES 4"."""


def read_answer(text: str) -> tuple[FixedAnswer, int | None] | None:
    """(answer, rating) when `text` is an answer to "Is it fixed?", else None."""
    match = _ANSWER.match(text or "")
    if match is None:
        return None
    word, rating = match.group(1).upper(), match.group(2)
    if word in YES_WORDS:
        return FixedAnswer.YES, int(rating) if rating else None
    if word in NO_WORDS and rating is None:
        return FixedAnswer.NO, None
    return None


def open_question(session, municipality_id: int, phone: str) -> TicketQuestion | None:
    """The newest open question asked of `phone` about a ticket of the municipality."""
    return session.scalar(
        select(TicketQuestion)
        .join(Ticket, Ticket.id == TicketQuestion.ticket_id)
        .where(
            TicketQuestion.phone == phone,
            TicketQuestion.closed_reason.is_(None),
            Ticket.municipality_id == municipality_id,
        )
        .order_by(TicketQuestion.asked_at.desc(), TicketQuestion.id.desc())
        .limit(1)
    )


def _tell_supervisor(session, ticket: Ticket) -> None:
    department = ticket.department
    if department is None or not department.supervisor_phone:
        return
    place = municipality_info(session, ticket.municipality_id)
    locale = place["locales"][0]
    category = {"code": ticket.category.code, "labels": dict(ticket.category.labels or {})}
    message = add_message(
        session,
        phone=department.supervisor_phone,
        text=gettext(
            locale,
            REOPENED_SUPERVISOR,
            reference=ticket.reference,
            category=category_label(locale, category),
            ward=ticket.ward.number if ticket.ward is not None else "-",
        ),
        purpose=MessagePurpose.TICKET_UPDATE,
        essential=True,  # work, not marketing
        queue="high",
        municipality_id=ticket.municipality_id,
        sender_id=place["sender_id"],
    )
    session.flush()
    ids = [message.id]
    on_commit(session, lambda: dispatch(ids, queue="high"))


def answer(
    session,
    question: TicketQuestion,
    given: FixedAnswer,
    rating: int | None = None,
    *,
    channel: str,
    now: dt.datetime | None = None,
) -> str | None:
    """Record a follower's answer and act on it; returns the message that tells them
    (`FIXED_CLOSED` or `FIXED_REOPENED`, to translate with `reference`), or None when the
    ticket had moved on meanwhile (the question is then closed). The caller commits."""
    now = now or utcnow()
    ticket = session.get(Ticket, question.ticket_id)
    question.answered_at, question.answer, question.closed_reason = now, given, QuestionEnd.ANSWERED
    question.rating = rating if given == FixedAnswer.YES else None
    session.flush()
    yes = given == FixedAnswer.YES
    note = f"a follower answered {given.value}" + (f" (rating {rating})" if rating else "") + f" by {channel}"
    try:
        with session.begin_nested():
            transition(
                session,
                ticket,
                TicketStatus.CLOSED if yes else TicketStatus.REOPENED,
                actor=channel,
                internal_note=note,
                now=now,
            )
    except ConflictError:
        return None  # staff moved it first: the answer is kept, nothing else happens
    if not yes:
        _tell_supervisor(session, ticket)
    return FIXED_CLOSED if yes else FIXED_REOPENED


def answer_sms(session, municipality_id: int, phone: str, text: str) -> tuple[str, str] | None:
    """Answer the newest open question of `phone` when `text` is an answer; returns
    (message, reference) for the reply, or None (the keyword dispatcher takes the text)."""
    given = read_answer(text)
    if given is None:
        return None
    question = open_question(session, municipality_id, phone)
    if question is None:
        return None
    reference = session.scalar(select(Ticket.reference).where(Ticket.id == question.ticket_id))
    message = answer(session, question, *given, channel="sms")
    return (message, reference) if message is not None else None


def is_asked(session, ticket_id: int, phone: str) -> bool:
    """Whether `phone` may answer "Is it fixed?" for a resolved ticket: it follows it."""
    return (
        session.scalar(
            select(TicketFollower.id)
            .where(TicketFollower.ticket_id == ticket_id, TicketFollower.phone == phone)
            .limit(1)
        )
        is not None
    )


def answer_ussd(session, ticket: Ticket, phone: str, given: FixedAnswer) -> str | None:
    """The same answer from the USSD "Check a ticket" screen. A repeated turn finds the
    answered question and returns the same message; None: the ticket is not resolved (any
    more) or `phone` does not follow it. The caller commits."""
    question = session.scalar(
        select(TicketQuestion)
        .where(TicketQuestion.ticket_id == ticket.id, TicketQuestion.phone == phone)
        .order_by(TicketQuestion.asked_at.desc(), TicketQuestion.id.desc())
        .limit(1)
    )
    if question is not None and question.closed_reason == QuestionEnd.ANSWERED:
        return FIXED_CLOSED if question.answer == FixedAnswer.YES else FIXED_REOPENED
    if ticket.status != TicketStatus.RESOLVED or not is_asked(session, ticket.id, phone):
        return None
    if question is None or question.closed_reason is not None:
        question = TicketQuestion(ticket_id=ticket.id, phone=phone, asked_at=utcnow())
        session.add(question)
        session.flush()
    return answer(session, question, given, channel="ussd")


def close_unconfirmed(session, now: dt.datetime) -> int:
    """Close every ticket resolved more than `ANSWER_DAYS` ago that nobody answered (its open
    questions end `unconfirmed`); returns how many. The caller commits."""
    tickets = session.scalars(
        select(Ticket)
        .where(
            Ticket.status == TicketStatus.RESOLVED,
            Ticket.resolved_at <= now - dt.timedelta(days=ANSWER_DAYS),
        )
        .order_by(Ticket.resolved_at, Ticket.id)
        .limit(BATCH)
    ).all()
    closed = 0
    for ticket in tickets:
        try:
            with session.begin_nested():
                close_open_questions(session, ticket.id, QuestionEnd.UNCONFIRMED)
                transition(
                    session,
                    ticket,
                    TicketStatus.CLOSED,
                    actor="system",
                    internal_note=f"no answer to 'Is it fixed?' in {ANSWER_DAYS} days: closed unconfirmed",
                    now=now,
                )
        except ConflictError:
            continue  # moved meanwhile
        closed += 1
    return closed
