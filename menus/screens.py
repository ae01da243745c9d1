"""The citizen USSD menu: every screen as data, plus the handlers and lists it names.

Facts the view resolves for these screens (see `app/ussd/resolver.py`):

| need                                      | answer                                          |
|-------------------------------------------|-------------------------------------------------|
| ("municipalities", code, phone)           | {"choices": [{id, name, locales}], "remembered"} |
| ("resident", mid, phone)                  | {id, locale, ward: {id, number, name}, subscribed} or None |
| ("draft", mid, phone)                     | an unfinished report saved by `save_draft`, or None |
| ("categories", mid)                       | [{id, code, labels}]                            |
| ("ward", mid, number)                     | {id, number, name} or None                      |
| ("ticket", mid, reference)                | {reference, category, status, updated} or None |
| ("recent_tickets", mid, phone)            | [ticket, ...] newest first                      |
| ("outages", mid, ward_id)                 | [{service, state, starts, ends}] newest first   |
| ("save_profile", mid, phone, field, value)| True once stored (keyed write)                  |
| ("create_ticket", source_key) + payload   | {"reference", "code"} (keyed write; code: SMS short code) |
| ("similar", mid, ward_id, category_id)    | {id, reference, location} of the same open fault, or None |
| ("follow_ticket", sid, ticket_id) + payload | {"reference": ...} once they follow it (keyed write) |
| ("councillor", mid, phone)                | {id, name, ward: {id, number, name}} or None    |
| ("check_pin", cid, sid, turn) + {pin}     | "ok", "wrong" or "locked" (counts failures)     |
| ("reach", mid, ward_id)                   | residents a ward broadcast reaches now          |
| ("create_broadcast", key) + payload       | {"status": "queued", "count"} or {"status": "limit", "limit"} |
"""

from __future__ import annotations

from app.language.gsm import count_segments, to_gsm
from app.language.i18n import N_, language_name
from app.language.labels import category_label, status_label
from app.tickets.references import clean_reference, is_valid_reference
from menus.engine import Ctx, Item, Menu, Option, Screen

LOCATION_MAX = 100
"""Longest location/landmark text kept on a ticket (GSM-7 characters)."""
LOCATION_MIN = 3
"""Shorter than this is not a description anyone can find."""

MAIN_OPTIONS = (
    Option(N_("Report a fault"), "@report"),
    Option(N_("Check a ticket"), "ticket_menu"),
    Option(N_("Outages in my ward"), "@outages"),
    Option(N_("My settings"), "settings"),
)
"""The main menu every caller gets; a councillor's adds the broadcast after it."""

SCREENS: dict[str, Screen] = {
    s.id: s
    for s in (
        Screen(
            "municipality",
            N_("Choose your municipality:"),
            items="municipalities",
            accept="pick_municipality",
            nav=False,
        ),
        # The first screen of a first-time caller: nothing to go back to.
        Screen("language", N_("Choose a language:"), items="languages", accept="pick_language", nav=False),
        Screen("language_change", N_("Choose a language:"), items="languages", accept="pick_language"),
        Screen("ward_entry", N_("Enter your ward number:"), accept="enter_ward"),
        Screen("ward_first", N_("Enter your ward number:"), accept="enter_ward", nav=False),
        Screen(
            "ward_confirm",
            N_("Ward {number}: {name}. Is this right?"),
            options=(Option(N_("Yes"), "@confirm_ward"), Option(N_("No"), "@reenter_ward")),
            elastic="name",
        ),
        Screen(
            "main",
            N_("{municipality}: how can we help?"),
            options=MAIN_OPTIONS,
            nav=False,
            elastic="municipality",
        ),
        Screen(
            "main_councillor",
            N_("{municipality}: how can we help?"),
            options=(*MAIN_OPTIONS, Option(N_("Councillor broadcast"), "cl_pin")),
            nav=False,
            elastic="municipality",
        ),
        # Councillor broadcast (only reachable from main_councillor)
        Screen("cl_pin", N_("Enter your councillor PIN:"), accept="enter_pin"),
        Screen("cl_compose", N_("Type your message to ward {ward}:"), accept="enter_broadcast"),
        Screen(
            "cl_confirm",
            N_("Reaches {count} residents, {segments} SMS each: {text}"),
            options=(Option(N_("Send"), "@send_broadcast"), Option(N_("Cancel"), "@cancel")),
            elastic="text",
        ),
        Screen(
            "resume",
            N_("You have an unfinished report ({category}). Continue it?"),
            options=(Option(N_("Continue"), "@resume"), Option(N_("Start again"), "@discard")),
            nav=False,
            elastic="category",
        ),
        # Report a fault
        Screen(
            "report_category", N_("Choose the type of fault:"), items="categories", accept="pick_category"
        ),
        Screen("report_ward", N_("Where is the fault?"), items="report_wards", accept="pick_report_ward"),
        Screen("report_ward_entry", N_("Enter the ward number of the fault:"), accept="enter_ward"),
        Screen(
            "report_similar",
            N_("Already reported: {category}, {location}."),
            options=(Option(N_("Add me to it"), "@follow_similar"), Option(N_("New report"), "@new_report")),
            elastic="location",
        ),
        Screen("report_location", N_("Describe the place or a landmark nearby:"), accept="enter_location"),
        Screen(
            "report_confirm",
            N_("{category} in ward {ward}: {location}"),
            options=(Option(N_("Send report"), "@submit"), Option(N_("Cancel"), "@cancel")),
            elastic="location",
        ),
        # Check a ticket
        Screen(
            "ticket_menu",
            N_("Check a ticket:"),
            options=(
                Option(N_("Enter a reference"), "ticket_entry"),
                Option(N_("My recent reports"), "@recent"),
            ),
        ),
        Screen("ticket_entry", N_("Enter the reference number:"), accept="enter_reference"),
        Screen("ticket_recent", N_("Your recent reports:"), items="recent_tickets", accept="pick_ticket"),
        Screen(
            "ticket_detail",
            N_("Ticket {reference}\n{category}: {status}\nUpdated {updated}"),
            elastic="category",
        ),
        # Outages
        Screen("outages", N_("Outages in ward {ward}:"), items="outages", accept="pick_outage"),
        # Settings
        Screen("settings", N_("My settings:"), items="settings", accept="pick_setting"),
    )
}
"""Every screen of the citizen menu, by id."""


# --- start of a session ----------------------------------------------------------------


def start(ctx: Ctx) -> None:
    """First turn: find the municipality, the caller's profile, and any report to resume."""
    s = ctx.session
    found = ctx.need("municipalities", s["code"], s["phone"])
    choices = found["choices"]
    if not choices:
        ctx.end(N_("This service is not available on this number."))
        return
    if s.get("mid") is None:
        remembered = found.get("remembered")
        if len(choices) == 1:
            _enter_municipality(ctx, choices[0])
            return
        if remembered is not None:
            _enter_municipality(ctx, next(c for c in choices if c["id"] == remembered))
            return
        s["choices"] = choices
        s["locale"] = choices[0]["locales"][0]
        ctx.go("municipality", push=False)


def _enter_municipality(ctx: Ctx, choice: dict) -> None:
    s = ctx.session
    s["mid"] = choice["id"]
    s["mname"] = choice["name"]
    s["locales"] = choice["locales"]
    s.pop("choices", None)
    # Asked together: one round of lookups on the dial instead of three.
    resident, councillor, draft = ctx.need_all(
        ("resident", s["mid"], s["phone"]),
        ("councillor", s["mid"], s["phone"]),
        ("draft", s["mid"], s["phone"]),
    )
    profile = resident or {}
    s["locale"] = profile.get("locale") or s.get("locale") or choice["locales"][0]
    s["ward"] = profile.get("ward")
    s["subscribed"] = bool(profile.get("subscribed"))
    if profile.get("locale"):
        # The ticket can then name its resident without reading the row again.
        s["rid"] = profile["id"]
    ctx.session.setdefault("params", {})["main"] = {"municipality": s["mname"]}
    ctx.session["params"]["main_councillor"] = {"municipality": s["mname"]}
    if councillor:
        s["councillor"] = councillor
        s["home"] = "main_councillor"
    if not profile.get("locale") and len(choice["locales"]) > 1:
        ctx.draft["first"] = True
        ctx.go("language", push=False)
        return
    if not s["ward"]:
        ctx.draft["first"] = True
        ctx.draft["ward_for"] = "profile"
        ctx.go("ward_first", push=False)
        return
    if draft and draft.get("draft", {}).get("category"):
        s["resumable"] = draft
        params = {"category": category_label(ctx.locale, draft["draft"].get("category", {}))}
        s.setdefault("params", {})["resume"] = params
        ctx.go("resume", push=False)
        return
    ctx.go(s.get("home") or "main", push=False)


def pick_municipality(ctx: Ctx, choice: dict) -> None:
    """A caller on a shared code picks their council once; the resident row remembers it."""
    _enter_municipality(ctx, choice)
    # The resident row of this council is what remembers the choice next time.
    ctx.need("save_profile", ctx.session["mid"], ctx.session["phone"], "known", True)


def list_municipalities(ctx: Ctx) -> list[Item]:
    """The councils sharing the dialled code."""
    return [Item(c["name"], c) for c in ctx.session.get("choices", [])]


# --- language and ward -------------------------------------------------------------------


def list_languages(ctx: Ctx) -> list[Item]:
    """The municipality's languages, each named in itself."""
    return [Item(language_name(code), code) for code in ctx.session.get("locales", ["en"])]


def pick_language(ctx: Ctx, code: str) -> None:
    """Store the language, then carry on with first contact or back to settings."""
    s = ctx.session
    ctx.need("save_profile", s["mid"], s["phone"], "locale", code)
    s["locale"] = code
    if ctx.draft.get("first") and not s.get("ward"):
        ctx.draft["ward_for"] = "profile"
        ctx.go("ward_entry")  # `0 Back` returns to the languages
        return
    if ctx.draft.get("first"):
        ctx.home()
        ctx.notice(N_("Saved."))
        return
    _back_to_settings(ctx)


def enter_ward(ctx: Ctx, typed: str) -> None:
    """A ward number typed by the caller, confirmed by its name."""
    number = typed.strip().lstrip("#")
    if not (number.isdigit() and 0 < len(number) <= 4):
        ctx.notice(N_("Please enter the ward number in digits."))
        return
    ward = ctx.need("ward", ctx.session["mid"], int(number))
    if ward is None:
        ctx.notice(N_("Ward {number} was not found."), number=int(number))
        return
    ctx.draft["ward"] = ward
    ctx.session.setdefault("params", {})["ward_confirm"] = {
        "number": ward["number"],
        "name": ward["name"],
    }
    ctx.go("ward_confirm")


def confirm_ward(ctx: Ctx, _typed: str) -> None:
    """The caller agreed the ward name: use it for the profile or the report."""
    s = ctx.session
    ward = ctx.draft["ward"]
    if ctx.draft.get("ward_for") == "report":
        ctx.draft["report_ward"] = ward
        _save_draft(ctx)
        _ward_known(ctx)
        return
    ctx.need("save_profile", s["mid"], s["phone"], "ward", ward["id"])
    s["ward"] = ward
    # Given in this session: a report now needs no "my ward or another" screen.
    s["ward_given"] = True
    if ctx.draft.get("first"):
        ctx.home()
        ctx.notice(N_("Welcome!"))
    elif ctx.draft.get("from_settings"):
        _back_to_settings(ctx)
    else:
        ctx.home()
        ctx.notice(N_("Saved."))


def reenter_ward(ctx: Ctx, _typed: str) -> None:
    """Not that ward: type the number again, on the screen that asked for it."""
    ctx.go("report_ward_entry" if ctx.draft.get("ward_for") == "report" else "ward_entry")


def _back_to_settings(ctx: Ctx) -> None:
    """After a setting changed, the caller stays in *My settings* (`0 Back` goes home)."""
    ctx.session["draft"] = {}
    ctx.session["stack"] = [ctx.session.get("home") or "main"]
    ctx.go("settings", push=False)
    ctx.notice(N_("Saved."))


# --- report a fault -------------------------------------------------------------------------


def report(ctx: Ctx, _typed: str) -> None:
    """Start a report: choose the category first."""
    # The ticket's idempotency key travels with the draft: a report resumed in a later
    # session (say, after a reply that never arrived) finds the same ticket, not a second.
    ctx.session["draft"] = {"report": True, "key": "ussd:" + ctx.session["sid"]}
    ctx.go("report_category")


def list_categories(ctx: Ctx) -> list[Item]:
    """The municipality's active categories in its order."""
    return [Item(category_label(ctx.locale, c), c) for c in ctx.need("categories", ctx.session["mid"])]


def pick_category(ctx: Ctx, category: dict) -> None:
    """Category chosen: ask where (the remembered ward, or another). A caller who gave
    their ward in this very session is not asked again: it is the ward they just named."""
    ctx.draft["category"] = category
    if ctx.session.get("ward") and ctx.session.get("ward_given"):
        ctx.draft["report_ward"] = ctx.session["ward"]
        _save_draft(ctx)
        _ward_known(ctx)
        return
    _save_draft(ctx)
    if ctx.session.get("ward"):
        ctx.go("report_ward")
    else:
        ctx.draft["ward_for"] = "report"
        ctx.go("report_ward_entry")


def list_report_wards(ctx: Ctx) -> list[Item]:
    """The remembered ward, then "another ward"."""
    ward = ctx.session["ward"]
    return [
        Item(ctx.t(N_("My ward ({number} {name})"), number=ward["number"], name=ward["name"])[:60], "mine"),
        Item(ctx.t(N_("Another ward")), "other"),
    ]


def pick_report_ward(ctx: Ctx, choice: str) -> None:
    """Use the remembered ward, or ask for a number."""
    if choice == "mine":
        ctx.draft["report_ward"] = ctx.session["ward"]
        _save_draft(ctx)
        _ward_known(ctx)
    else:
        ctx.draft["ward_for"] = "report"
        ctx.go("report_ward_entry")


def _ward_known(ctx: Ctx) -> None:
    """Category and ward known: if the same fault was reported there lately and is still
    open, offer to join that ticket; otherwise ask for the place."""
    draft = ctx.draft
    similar = ctx.need("similar", ctx.session["mid"], draft["report_ward"]["id"], draft["category"]["id"])
    if similar is None:
        ctx.go("report_location")
        return
    draft["similar"] = similar
    ctx.session.setdefault("params", {})["report_similar"] = {
        "category": category_label(ctx.locale, draft["category"]),
        "location": similar["location"],
    }
    ctx.go("report_similar")


def follow_similar(ctx: Ctx, _typed: str) -> None:
    """ "Add me to it": the caller follows the open ticket (once per session) instead of
    filing a new one, and gets its reference."""
    s, similar = ctx.session, ctx.draft["similar"]
    followed = ctx.need(
        "follow_ticket",
        s["sid"],
        similar["id"],
        payload={"phone": s["phone"], "resident_id": s.get("rid"), "locale": ctx.locale},
    )
    ctx.effects.append(("clear_draft",))
    ctx.end(
        N_("You now follow ticket {reference}. We will SMS you updates."), reference=followed["reference"]
    )


def new_report(ctx: Ctx, _typed: str) -> None:
    """ "New report": a different fault after all; ask for its place."""
    ctx.go("report_location")


def enter_location(ctx: Ctx, typed: str) -> None:
    """Free text: a street, a landmark. `*` and emoji are allowed and cleaned, not fatal."""
    text = " ".join(to_gsm(typed).replace("?", " ").split())
    if len(text) < LOCATION_MIN:
        ctx.notice(N_("Please type a few words."))
        return
    if len(text) > LOCATION_MAX:
        ctx.notice(N_("Please use at most {max} characters."), max=LOCATION_MAX)
        return
    ctx.draft["location"] = text
    _save_draft(ctx)
    ward = ctx.draft["report_ward"]
    ctx.session.setdefault("params", {})["report_confirm"] = {
        "category": category_label(ctx.locale, ctx.draft["category"]),
        "ward": ward["number"],
        "location": text,
    }
    ctx.go("report_confirm")


def submit(ctx: Ctx, _typed: str) -> None:
    """Commit the ticket (once per session) and give the reference."""
    s, draft = ctx.session, ctx.draft
    created = ctx.need(
        "create_ticket",
        draft.get("key") or "ussd:" + s["sid"],
        payload={
            "municipality_id": s["mid"],
            "phone": s["phone"],
            "category_id": draft["category"]["id"],
            "ward_id": draft["report_ward"]["id"],
            "location": draft["location"],
            "locale": ctx.locale,
            "resident_id": s.get("rid"),
        },
    )
    ctx.effects.append(("clear_draft",))
    if created.get("code"):  # the SMS short code the STATUS question (and the answer) goes to
        ctx.end(
            N_("Thank you. Your reference is {reference}. SMS STATUS {reference} to {code} to check it."),
            reference=created["reference"],
            code=created["code"],
        )
        return
    ctx.end(
        N_("Thank you. Your reference is {reference}. We will send it to you by SMS."),
        reference=created["reference"],
    )


def cancel(ctx: Ctx, _typed: str) -> None:
    """Drop the report."""
    ctx.effects.append(("clear_draft",))
    ctx.end(N_("Your report was cancelled."))


def _save_draft(ctx: Ctx) -> None:
    ctx.effects.append(("save_draft", {"draft": dict(ctx.draft)}))


def resume(ctx: Ctx, _typed: str) -> None:
    """Continue a report dropped in an earlier session, at the step it reached."""
    saved = ctx.session.pop("resumable", None) or {}
    ctx.session["draft"] = dict(saved.get("draft", {}))
    draft = ctx.draft
    ctx.session["screen"], ctx.session["stack"] = ctx.session.get("home") or "main", []
    if "location" in draft:
        enter_location(ctx, draft["location"])
    elif "report_ward" in draft:
        ctx.go("report_location", push=False)
    elif ctx.session.get("ward"):
        ctx.go("report_ward", push=False)
    else:
        draft["ward_for"] = "report"
        ctx.go("report_ward_entry", push=False)


def discard(ctx: Ctx, typed: str) -> None:
    """Forget the dropped report and start a new one ("Start again")."""
    ctx.session.pop("resumable", None)
    ctx.effects.append(("clear_draft",))
    ctx.home()
    report(ctx, typed)


# --- tickets -----------------------------------------------------------------------------------


def enter_reference(ctx: Ctx, typed: str) -> None:
    """A reference typed by the caller: check digit first, then the lookup."""
    reference = clean_reference(typed)
    if not is_valid_reference(reference):
        ctx.notice(N_("That number is not right. Check the number and try again."))
        return
    ticket = ctx.need("ticket", ctx.session["mid"], reference)
    if ticket is None:
        ctx.notice(N_("Ticket {reference} was not found."), reference=reference)
        return
    _show_ticket(ctx, ticket)


def _show_ticket(ctx: Ctx, ticket: dict) -> None:
    ctx.session.setdefault("params", {})["ticket_detail"] = {
        "reference": ticket["reference"],
        "category": category_label(ctx.locale, ticket["category"]),
        "status": status_label(ctx.locale, ticket["status"]),
        "updated": ticket["updated"],
    }
    ctx.go("ticket_detail")


def recent(ctx: Ctx, _typed: str) -> None:
    """The caller's own recent tickets, if any."""
    if not ctx.need("recent_tickets", ctx.session["mid"], ctx.session["phone"]):
        ctx.notice(N_("You have no reports yet."))
        return
    ctx.go("ticket_recent")


def list_recent_tickets(ctx: Ctx) -> list[Item]:
    """Reference and category of each recent ticket."""
    tickets = ctx.need("recent_tickets", ctx.session["mid"], ctx.session["phone"])
    return [Item(f"{t['reference']} {category_label(ctx.locale, t['category'])}", t) for t in tickets]


def pick_ticket(ctx: Ctx, ticket: dict) -> None:
    """Show the chosen ticket."""
    _show_ticket(ctx, ticket)


# --- outages ----------------------------------------------------------------------------------

OUTAGE_LINES = {
    ("now", True): N_("{service}: now, until {ends}"),
    ("now", False): N_("{service}: now"),
    ("planned", True): N_("{service}: {starts} to {ends}"),
    ("planned", False): N_("{service}: from {starts}"),
}
"""How one outage reads, by state and whether its end is known."""


def outages(ctx: Ctx, _typed: str) -> None:
    """Outages of the remembered ward; without a ward, ask for it first."""
    ward = ctx.session.get("ward")
    if not ward:
        ctx.notice(N_("Please set your ward first."))
        ctx.session["draft"] = {"ward_for": "profile"}
        ctx.go("ward_entry")
        return
    if not ctx.need("outages", ctx.session["mid"], ward["id"]):
        ctx.notice(N_("No outages in ward {ward} now."), ward=ward["number"])
        return
    ctx.session.setdefault("params", {})["outages"] = {"ward": ward["number"]}
    ctx.go("outages")


def list_outages(ctx: Ctx) -> list[Item]:
    """Each outage of the ward, the current ones before the planned ones, newest first."""
    ward = ctx.session["ward"]
    items = []
    found = ctx.need("outages", ctx.session["mid"], ward["id"])
    for outage in sorted(found, key=lambda o: o["state"] != "now"):
        line = OUTAGE_LINES[(outage["state"], bool(outage.get("ends")))]
        service = category_label(ctx.locale, {"code": outage["service"]})
        items.append(
            Item(ctx.t(line, service=service, starts=outage["starts"], ends=outage.get("ends") or ""), outage)
        )
    return items


def pick_outage(ctx: Ctx, _outage: dict) -> None:
    """The list already says all there is; picking one keeps the screen."""


# --- settings ------------------------------------------------------------------------------------


def list_settings(ctx: Ctx) -> list[Item]:
    """Change ward, change language, and ward alerts shown as on/off."""
    alerts = N_("Ward alerts: on") if ctx.session.get("subscribed") else N_("Ward alerts: off")
    items = [Item(ctx.t(N_("Change ward")), "ward")]
    if len(ctx.session.get("locales", [])) > 1:
        items.append(Item(ctx.t(N_("Change language")), "language"))
    items.append(Item(ctx.t(alerts), "alerts"))
    return items


def pick_setting(ctx: Ctx, choice: str) -> None:
    """Go to the ward or language screen, or toggle ward alerts at once."""
    s = ctx.session
    ctx.draft["from_settings"] = True
    if choice == "ward":
        ctx.draft["ward_for"] = "profile"
        ctx.go("ward_entry")
    elif choice == "language":
        ctx.go("language_change")
    else:
        want = not s.get("subscribed")
        if want and not s.get("ward"):
            ctx.notice(N_("Please set your ward first."))
            ctx.draft["ward_for"] = "profile"
            ctx.go("ward_entry")
            return
        ctx.need("save_profile", s["mid"], s["phone"], "subscribed", want)
        s["subscribed"] = want
        ctx.notice(N_("Ward alerts are now on.") if want else N_("Ward alerts are now off."))


# --- councillor broadcast ---------------------------------------------------------------

BROADCAST_MAX = 160
"""Longest broadcast typed on USSD (one segment; longer ones are sent by SMS or by staff)."""


def enter_pin(ctx: Ctx, typed: str) -> None:
    """Check the PIN (a keyed write: failed attempts count towards the lock)."""
    s = ctx.session
    if not typed.isdigit():
        ctx.notice(N_("Wrong PIN."))
        return
    verdict = ctx.need("check_pin", s["councillor"]["id"], s["sid"], s.get("turn"), payload={"pin": typed})
    if verdict == "locked":
        ctx.end(N_("Too many wrong PINs. Try again in 30 minutes."))
    elif verdict != "ok":
        ctx.notice(N_("Wrong PIN."))
    else:
        s["pin_ok"] = True
        ward = s["councillor"]["ward"]
        s.setdefault("params", {})["cl_compose"] = {"ward": ward["number"]}
        ctx.go("cl_compose", push=False)


def enter_broadcast(ctx: Ctx, typed: str) -> None:
    """The message: reach and cost are shown before anything is sent."""
    s = ctx.session
    if not s.get("pin_ok"):
        ctx.home()
        return
    text = " ".join(to_gsm(typed).split())
    if len(text) < 3:
        ctx.notice(N_("Please type a few words."))
        return
    if len(text) > BROADCAST_MAX:
        ctx.notice(N_("Please use at most {max} characters."), max=BROADCAST_MAX)
        return
    ward = s["councillor"]["ward"]
    count = ctx.need("reach", s["mid"], ward["id"])
    ctx.draft["broadcast"] = text
    s.setdefault("params", {})["cl_confirm"] = {
        "count": count,
        "segments": count_segments(text).segments,
        "text": text,
    }
    ctx.go("cl_confirm")


def send_broadcast(ctx: Ctx, _typed: str) -> None:
    """Create the broadcast once per session (the limit is checked where it is written)."""
    s = ctx.session
    if not s.get("pin_ok"):
        ctx.home()
        return
    result = ctx.need(
        "create_broadcast",
        "ussd:" + s["sid"],
        payload={"councillor_id": s["councillor"]["id"], "text": ctx.draft["broadcast"]},
    )
    if result["status"] == "limit":
        ctx.end(N_("You have reached today's limit of {limit} broadcasts."), limit=result["limit"])
    else:
        ctx.end(
            N_("Your broadcast to ward {ward} is on its way to {count} residents."),
            ward=s["councillor"]["ward"]["number"],
            count=result["count"],
        )


HANDLERS = {
    "pick_municipality": pick_municipality,
    "pick_language": pick_language,
    "enter_ward": enter_ward,
    "confirm_ward": confirm_ward,
    "reenter_ward": reenter_ward,
    "report": report,
    "pick_category": pick_category,
    "pick_report_ward": pick_report_ward,
    "follow_similar": follow_similar,
    "new_report": new_report,
    "enter_location": enter_location,
    "submit": submit,
    "cancel": cancel,
    "resume": resume,
    "discard": discard,
    "enter_reference": enter_reference,
    "recent": recent,
    "pick_ticket": pick_ticket,
    "outages": outages,
    "pick_outage": pick_outage,
    "pick_setting": pick_setting,
    "enter_pin": enter_pin,
    "enter_broadcast": enter_broadcast,
    "send_broadcast": send_broadcast,
}
"""Handlers named by screens (`accept=` and `@` option targets)."""

LISTS = {
    "municipalities": list_municipalities,
    "languages": list_languages,
    "categories": list_categories,
    "report_wards": list_report_wards,
    "recent_tickets": list_recent_tickets,
    "outages": list_outages,
    "settings": list_settings,
}
"""Computed, paged lists named by screens (`items=`)."""

CITIZEN_MENU = Menu(screens=SCREENS, handlers=HANDLERS, lists=LISTS, start=start)
"""The menu every caller of a municipality's USSD code gets."""
