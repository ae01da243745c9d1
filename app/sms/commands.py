"""What each keyword does, and the reply it writes to the outbox (one reply per message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.language.gsm import count_segments, to_gsm
from app.language.i18n import N_, gettext, language_name
from app.language.labels import category_label, status_label
from app.models import Category, Resident
from app.outbox.optouts import opt_in, opt_out
from app.places.municipalities import find_ward
from app.places.residents import get_or_create_resident
from app.sms.keywords import fault_category, find_fault, fold, language_code
from app.tickets.duplicates import add_follower, similar_open_ticket
from app.tickets.references import clean_reference, is_valid_reference
from app.tickets.service import create_ticket, find_ticket, ticket_dict
from app.tickets.templates import TICKET_CONFIRMATION
from menus.engine import fit

HELP = N_(
    "{name} SMS: STATUS <ref>, REPORT <fault> <place>, JOIN <ward>, LEAVE, LANG {languages}, STOP, START."
)
UNKNOWN = N_("Sorry, we did not understand. Send HELP for the list of commands.")
STATUS_USAGE = N_("Send STATUS and your reference, e.g. STATUS 48210937.")
STATUS_BAD = N_("Reference {reference} is not right. Check the number and send it again.")
STATUS_NOT_FOUND = N_("Ticket {reference} was not found.")
STATUS_FOUND = N_("Ticket {reference}: {category}, {status}. Updated {updated}.")
REPORT_USAGE = N_("Send REPORT, the fault and the place, e.g. REPORT WATER leak at 5 Main Rd.")
REPORT_NO_PLACE = N_("Please add the place, e.g. REPORT {fault} near the school.")
REPORT_NO_WARD = N_(
    "Which ward is the fault in? Send REPORT, the ward number, the fault and the place, "
    "e.g. REPORT 12 WATER leak at the school."
)
REPORT_WARD_NOT_FOUND = N_("Ward {number} was not found. Check the number and send REPORT again.")
REPORT_DONE = N_(
    "Thank you. Your report {reference} ({category}) is logged. Send STATUS {reference} to check it."
)
REPORT_ALREADY = N_(
    "Already reported: {category}, {location} (ticket {reference}). You will get its updates. "
    "Not the same? Send REPORT NEW and the fault."
)
JOIN_USAGE = N_("Send JOIN and your ward number, e.g. JOIN 12.")
JOIN_NOT_FOUND = N_("Ward {number} was not found. Send JOIN and your ward number.")
JOIN_DONE = N_("You will get alerts for ward {number} ({ward}). Send LEAVE to stop them.")
LEAVE_DONE = N_("You will no longer get ward alerts. Send JOIN and a ward number to join again.")
LANG_USAGE = N_("Send LANG and a language: {languages}.")
LANG_DONE = N_("Your language is now {language}.")
STOP_DONE = N_("You will get no more SMS from {name}. Send START to get them again.")
START_DONE = N_("Welcome back. You will get SMS from {name} again. Send STOP to stop.")
TEMPLATES = (
    HELP,
    UNKNOWN,
    STATUS_USAGE,
    STATUS_BAD,
    STATUS_NOT_FOUND,
    STATUS_FOUND,
    REPORT_USAGE,
    REPORT_NO_PLACE,
    REPORT_NO_WARD,
    REPORT_WARD_NOT_FOUND,
    REPORT_DONE,
    REPORT_ALREADY,
    JOIN_USAGE,
    JOIN_NOT_FOUND,
    JOIN_DONE,
    LEAVE_DONE,
    LANG_USAGE,
    LANG_DONE,
    STOP_DONE,
    START_DONE,
    TICKET_CONFIRMATION,
)
"""Every SMS template (tests check each fits its budget in every language)."""

LOCATION_MAX = 100
"""Longest location kept from an SMS report, as on USSD."""
REPLY_MAX = 160
"""A reply that names a ticket's place is shortened to one SMS (GSM-7 characters)."""
INSIST = "NEW"
"""`REPORT NEW ...`: a new ticket even when the same fault is open nearby."""
SHORT_LANGUAGE_WORDS = {"ak": "TWI"}
"""How HELP names a language when space is short (else its code: EN, AF, XH, ZU); LANG
takes each of them."""


@dataclass
class SmsContext:
    """What a command sees: the sender, their municipality and profile, the inbound row."""

    session: object
    municipality: dict
    phone: str
    inbound_id: int
    provider_id: str
    resident: Resident | None = None
    typed_in: tuple[str, ...] = ()
    """The languages of the keyword the resident typed (`Parsed.languages`)."""

    @property
    def typed_locale(self) -> str | None:
        """The municipality's language the resident wrote their keyword in, if it tells."""
        return next((c for c in self.municipality["locales"] if c in self.typed_in), None)

    @property
    def locale(self) -> str:
        """The language of the reply: the one the keyword was written in (whoever types
        UNCEDO reads isiXhosa), else the resident's, else the municipality's first."""
        saved = self.resident.locale if self.resident is not None and self.resident.locale else None
        if saved in self.typed_in:
            return saved  # ISIMO is isiXhosa and isiZulu: a Zulu speaker gets isiZulu
        return self.typed_locale or saved or self.municipality["locales"][0]

    def t(self, message: str, **params) -> str:
        """Translate for this resident; `{name}` is the municipality's name."""
        return gettext(self.locale, message, name=self.municipality["name"], **params)

    def get_resident(self) -> Resident:
        """The sender's resident row, created on first contact."""
        if self.resident is None:
            self.resident = get_or_create_resident(self.session, self.municipality["id"], self.phone)
        return self.resident


def do_help(ctx: SmsContext, _arg: str) -> str:
    """The list of commands, naming the languages LANG accepts here: by name, or by the
    short words LANG also takes ("EN/AF/XH") when the names would need a second SMS."""
    offered = ctx.municipality["locales"]
    text = ctx.t(HELP, languages="/".join(language_name(c) for c in offered))
    if count_segments(to_gsm(text)).segments > 1:
        text = ctx.t(HELP, languages="/".join(SHORT_LANGUAGE_WORDS.get(c, c.upper()) for c in offered))
    return text


def do_unknown(ctx: SmsContext, _arg: str) -> str:
    """A short pointer to HELP."""
    return ctx.t(UNKNOWN)


def do_status(ctx: SmsContext, arg: str) -> str:
    """A ticket's category, status and last update."""
    reference = clean_reference(arg)
    if not reference:
        return ctx.t(STATUS_USAGE)
    if not is_valid_reference(reference):
        return ctx.t(STATUS_BAD, reference=reference[:12])
    ticket = find_ticket(ctx.session, ctx.municipality["id"], reference)
    if ticket is None:
        return ctx.t(STATUS_NOT_FOUND, reference=reference)
    info = ticket_dict(ticket, ctx.municipality["timezone"])
    return ctx.t(
        STATUS_FOUND,
        reference=reference,
        category=category_label(ctx.locale, info["category"]),
        status=status_label(ctx.locale, info["status"]),
        updated=info["updated"],
    )


def _report_ward(ctx: SmsContext, arg: str) -> tuple[dict | int | None, str]:
    """The ward a report names before its fault ("REPORT 12 WATER ..."), and the rest. A
    leading number is the ward when a fault word follows it, or when we know no ward for
    this number (the reply asked for one); otherwise it is part of the place ("5 Main Rd")."""
    first, _, rest = fold(arg).partition(" ")
    number = first.lstrip("#")
    if not (number.isdigit() and len(number) <= 4 and rest):
        return None, arg
    resident = ctx.resident
    if fault_category(rest) is None and resident is not None and resident.ward_id is not None:
        return None, arg
    ward = find_ward(ctx.session, ctx.municipality["id"], int(number))
    return (ward if ward is not None else int(number)), rest


def do_report(ctx: SmsContext, arg: str) -> str:
    """Create a ticket, as the USSD journey does: in the ward the message names, else the
    resident's (from JOIN, USSD or an earlier report), else the reply asks for the ward.
    A fault word the municipality has no category for, or none at all, files "other"."""
    first, _, rest = arg.strip().partition(" ")
    insist = fold(first) == INSIST and bool(rest.strip())
    if insist:
        arg = rest
    ward, arg = _report_ward(ctx, arg)
    if isinstance(ward, int):
        return ctx.t(REPORT_WARD_NOT_FOUND, number=ward)
    found = find_fault(arg)
    if found is None:
        # No fault word: the whole text describes it, when there are a few words of it.
        details = fold(arg)
        if len(details.split(" ")) < 2:
            return ctx.t(REPORT_USAGE)
        found = ("other", details)
    code, details = found
    if len(details) < 3:
        return ctx.t(REPORT_NO_PLACE, fault=code.upper())
    resident = ctx.get_resident()
    if ward is None and resident.ward_id is None:
        return ctx.t(REPORT_NO_WARD)
    if resident.ward_id is None:
        resident.ward_id = ward["id"]  # remembered for the next report, as USSD does
    category = ctx.session.scalar(
        select(Category)
        .where(
            Category.municipality_id == ctx.municipality["id"],
            Category.active.is_(True),
            Category.code.in_((code, "other")),
        )
        .order_by((Category.code == code).desc())
    )
    if category is None:
        return ctx.t(REPORT_USAGE)
    ward_id = ward["id"] if ward is not None else resident.ward_id
    label = category_label(ctx.locale, {"code": category.code, "labels": category.labels})
    similar = (
        None if insist else similar_open_ticket(ctx.session, ctx.municipality["id"], ward_id, category.id)
    )
    if similar is not None:
        # The same fault is open nearby: the texter follows it (as "Add me to it" on USSD),
        # and REPORT NEW files a ticket of their own if it is another fault after all.
        add_follower(ctx.session, similar, phone=ctx.phone, resident_id=resident.id, actor="sms")
        return fit(
            lambda p: ctx.t(REPORT_ALREADY, **p),
            {"category": label, "location": similar.location, "reference": similar.reference},
            "location",
            REPLY_MAX,
        )
    ticket = create_ticket(
        ctx.session,
        source="sms",
        source_key="sms:" + ctx.provider_id,
        municipality_id=ctx.municipality["id"],
        phone=ctx.phone,
        category_id=category.id,
        ward_id=ward_id,
        location=details[:LOCATION_MAX].capitalize(),
    )
    return ctx.t(REPORT_DONE, reference=ticket.reference, category=label)


def do_join(ctx: SmsContext, arg: str) -> str:
    """Subscribe to a ward's alerts (and remember the ward)."""
    number = arg.split(" ")[0].lstrip("#") if arg else ""
    if not (number.isdigit() and len(number) <= 4):
        return ctx.t(JOIN_USAGE)
    ward = find_ward(ctx.session, ctx.municipality["id"], int(number))
    if ward is None:
        return ctx.t(JOIN_NOT_FOUND, number=int(number))
    resident = ctx.get_resident()
    resident.ward_id, resident.subscribed = ward["id"], True
    return ctx.t(JOIN_DONE, number=ward["number"], ward=ward["name"])


def do_leave(ctx: SmsContext, _arg: str) -> str:
    """Unsubscribe from ward alerts (the ward stays remembered)."""
    ctx.get_resident().subscribed = False
    return ctx.t(LEAVE_DONE)


def do_lang(ctx: SmsContext, arg: str) -> str:
    """Change the resident's language; the reply is already in the new one."""
    code = language_code(arg)
    offered = ctx.municipality["locales"]
    if code is None or code not in offered:
        return ctx.t(LANG_USAGE, languages=", ".join(language_name(c) for c in offered))
    ctx.get_resident().locale = code
    ctx.typed_in = ()  # the reply is in the language chosen, not the one LANG was typed in
    return ctx.t(LANG_DONE, language=language_name(code))


def do_stop(ctx: SmsContext, _arg: str) -> str:
    """Opt out of every non-essential SMS, everywhere, at once."""
    opt_out(ctx.session, ctx.phone, "sms", evidence=f"inbound {ctx.provider_id}"[:200])
    return ctx.t(STOP_DONE)


def do_start(ctx: SmsContext, _arg: str) -> str:
    """Opt back in."""
    opt_in(ctx.session, ctx.phone, "sms", evidence=f"inbound {ctx.provider_id}"[:200])
    ctx.get_resident()
    return ctx.t(START_DONE)


@dataclass(frozen=True)
class Command:
    """A keyword's action, and who may use it."""

    handler: Callable[[SmsContext, str], str]
    role: str = "resident"


RESIDENT_COMMANDS: dict[str, Command] = {
    "help": Command(do_help),
    "status": Command(do_status),
    "report": Command(do_report),
    "join": Command(do_join),
    "leave": Command(do_leave),
    "lang": Command(do_lang),
    "stop": Command(do_stop),
    "start": Command(do_start),
    "unknown": Command(do_unknown),
}
"""What anyone may send; `app/sms/table.py` joins them with the councillor commands."""
