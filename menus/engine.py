"""The USSD state machine as a pure function: `step(session, typed, facts, menu, budget)`.

No Redis, database or clock in here, and no provider either: `typed` is what the caller
typed on this screen (the channel codec works that out of its wire format, and detects
repeated turns), the reply is `(text, end)` (the codec adds any `CON `/`END ` prefix), and
`budget` is how many GSM-7 characters of text the provider's screen holds.

When a screen needs data (a ward by number, a ticket by reference) or a write (create
the ticket), `step` returns the `needs` instead of a reply; the caller resolves them and
calls `step` again with the answers in `facts`. Writes are keyed so that resolving one
twice has one effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.language.gsm import gsm_length, to_gsm
from app.language.i18n import N_, gettext

BACK = "0"
"""Goes one screen back, on every screen."""
HOME = "00"
"""Goes to the main menu, on every screen."""
MORE = "98"
"""Shows the next page of a long list."""
LIST_ROOM = 56
"""Characters a list screen keeps for its items: the heading gets the rest (100 of
Africa's Talking's 156)."""

NAV_BACK = N_("0 Back")
NAV_HOME = N_("00 Menu")
NAV_MORE = N_("98 More")
INVALID = N_("Invalid choice.")


class Pending(Exception):
    """Raised inside a handler when a fact is not known yet; `step` returns the needs."""


@dataclass(frozen=True)
class Need:
    """A question (or keyed write) the view must answer before `step` can go on."""

    kind: str
    args: tuple = ()
    payload: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> tuple:
        """How the answer is filed in `facts`."""
        return (self.kind, *self.args)


@dataclass(frozen=True)
class Reply:
    """What the phone shows; `end` closes the session. The channel codec renders it."""

    text: str
    end: bool = False


@dataclass
class Outcome:
    """The result of one `step`: a reply and the new session, or needs to resolve first."""

    session: dict
    reply: Reply | None = None
    needs: list[Need] = field(default_factory=list)
    effects: list[tuple] = field(default_factory=list)
    """Redis-only side effects for the view: ("save_draft", data) or ("clear_draft",)."""


@dataclass(frozen=True)
class Option:
    """A numbered choice on a static screen and the screen it leads to."""

    label: str
    goto: str


@dataclass(frozen=True)
class Screen:
    """One USSD screen: its text, its choices and what happens with the input."""

    id: str
    text: str = ""
    options: tuple[Option, ...] = ()
    items: str | None = None
    """Name of a list source in `LISTS`: numbered, paged choices computed from facts."""
    accept: str | None = None
    """Name of a handler in `HANDLERS` that takes the input (free text or a picked item)."""
    end: bool = False
    nav: bool = True
    """Show `0 Back` and `00 Menu`."""
    elastic: str | None = None
    """The placeholder shortened with `...` when the screen would not fit."""


@dataclass(frozen=True)
class Item:
    """A choice in a computed list: its label and the value handed to the handler."""

    label: str
    value: Any


class Ctx:
    """What a handler sees and changes during one step."""

    def __init__(self, session: dict, facts: Mapping[tuple, Any], screens: Mapping[str, Screen], budget: int):
        self.session = session
        self.facts = facts
        self.screens = screens
        self.budget = budget
        """GSM-7 characters of text the provider's screen holds (its own prefix excluded)."""
        self.needs: list[Need] = []
        self.effects: list[tuple] = []
        self.reply: Reply | None = None

    # --- facts -----------------------------------------------------------------
    def need(self, kind: str, *args, payload: Mapping[str, Any] | None = None) -> Any:
        """The answer to a need, or raise Pending after recording it."""
        return self._ask([Need(kind, tuple(args), payload)])[0]

    def need_all(self, *wanted: tuple) -> list:
        """Answers to several independent needs, each given as `(kind, *args)`; the missing
        ones are asked for together, so the view resolves them in one round."""
        return self._ask([Need(kind, tuple(args)) for kind, *args in wanted])

    def _ask(self, wanted: list[Need]) -> list:
        missing = [need for need in wanted if need.key not in self.facts]
        if missing:
            self.needs.extend(missing)
            raise Pending(missing)
        return [self.facts[need.key] for need in wanted]

    # --- session helpers ----------------------------------------------------------
    @property
    def locale(self) -> str:
        """The caller's language for this step."""
        return self.session.get("locale") or "en"

    @property
    def draft(self) -> dict:
        """Working data of the journey in progress (report, ward change...)."""
        return self.session.setdefault("draft", {})

    def t(self, message: str, **params) -> str:
        """Translate into the caller's language."""
        return gettext(self.locale, message, **params)

    def go(self, screen_id: str, *, push: bool = True) -> None:
        """Move to a screen; `push` keeps the current one for `0 Back`."""
        current = self.session.get("screen")
        if push and current and current != screen_id:
            self.session.setdefault("stack", []).append(current)
        self.session["screen"] = screen_id
        self.session["page"] = 0

    def home(self) -> None:
        """Back to the main menu, forgetting the path and the journey in progress."""
        self.session["stack"] = []
        self.session["draft"] = {}
        self.go(self.session.get("home") or "main", push=False)

    def notice(self, message: str, **params) -> None:
        """A line shown above the next screen (an error, or a confirmation)."""
        self.session["notice"] = [message, params]

    def end(self, message: str, **params) -> None:
        """Close the session with a message."""
        self.reply = Reply(self._fit_text([message], params, None), end=True)

    def _fit_text(self, messages: list[str], params: dict, elastic: str | None) -> str:
        return fit(lambda p: "\n".join(self.t(m, **p) for m in messages), params, elastic, self.budget)


def fit(render: Callable[[dict], str], params: dict, elastic: str | None, limit: int) -> str:
    """Render with `params`, shortening the `elastic` one first, then the longest, until the
    text takes at most `limit` GSM-7 characters."""
    params = {k: to_gsm(str(v)) for k, v in params.items()}
    text = to_gsm(render(params))
    while gsm_length(text) > limit:
        if elastic in params and len(params[elastic]) > 3:
            name = elastic
        else:
            name = max((k for k in params if len(params[k]) > 3), key=lambda k: len(params[k]), default=None)
        if name is None:
            break
        # Strictly shorter each time: cut 8 characters (at least down to one) and mark it.
        params[name] = params[name][: max(len(params[name]) - 8, 1)].rstrip() + ".."
        text = to_gsm(render(params))
    return text


def new_session(session_id: str, phone: str, service_code: str, network_code: str = "") -> dict:
    """The state of a session nobody has seen yet."""
    return {
        "sid": session_id,
        "phone": phone,
        "code": service_code,
        "net": network_code,
        "screen": None,
        "stack": [],
        "draft": {},
        "page": 0,
    }


@dataclass(frozen=True)
class Menu:
    """A menu as data: its screens, the handlers and lists they name, and the first turn."""

    screens: Mapping[str, Screen]
    handlers: Mapping[str, Callable]
    lists: Mapping[str, Callable]
    start: Callable[[Ctx], None]


def step(session: dict, typed: str, facts: Mapping[tuple, Any], menu: Menu, budget: int) -> Outcome:
    """Advance `session` by what the caller typed on this screen; pure, never mutates its
    inputs. On the first turn (no screen yet) the input is not read."""
    state = _copy(session)
    ctx = Ctx(state, facts, menu.screens, budget)
    try:
        if not state.get("screen"):
            menu.start(ctx)
        else:
            _handle(ctx, (typed or "").strip(), menu.handlers, menu.lists)
        reply = ctx.reply or render(ctx, menu.lists)
    except Pending:
        return Outcome(session, needs=ctx.needs)
    # Turns answered so far: keys a write to this turn (a PIN check counts once per turn).
    state["turn"] = state.get("turn", 0) + 1
    return Outcome(state, reply, effects=ctx.effects)


def _copy(value):
    """A deep copy of JSON data (what a session is), several times faster than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _handle(ctx: Ctx, typed: str, handlers, lists) -> None:
    screen = ctx.screens[ctx.session["screen"]]
    ctx.session.pop("notice", None)
    if screen.nav and typed == HOME:
        ctx.home()
        return
    if screen.nav and typed == BACK:
        stack = ctx.session.get("stack") or []
        if ctx.session.get("page"):
            ctx.session["page"] -= 1
        elif stack:
            ctx.session["screen"] = stack.pop()
            ctx.session["page"] = 0
        else:
            ctx.home()
        return
    if screen.options:
        if typed.isdigit() and 1 <= int(typed) <= len(screen.options):
            target = screen.options[int(typed) - 1].goto
            if target.startswith("@"):
                handlers[target[1:]](ctx, typed)
            else:
                ctx.go(target)
        else:
            ctx.notice(INVALID)
        return
    if screen.items:
        items = lists[screen.items](ctx)
        if typed == MORE:
            ctx.session["page"] = ctx.session.get("page", 0) + 1
            return
        if typed.isdigit() and 1 <= int(typed) <= len(items):
            handlers[screen.accept](ctx, items[int(typed) - 1].value)
        else:
            ctx.notice(INVALID)
        return
    if screen.accept:
        handlers[screen.accept](ctx, typed)


def render(ctx: Ctx, lists) -> Reply:
    """The current screen in the caller's language, paged and fitted into one body."""
    screen = ctx.screens[ctx.session["screen"]]
    params = dict(ctx.session.get("params", {}).get(screen.id, {}))
    notice = ctx.session.get("notice")
    if notice:
        params["_notice"] = ctx.t(notice[0], **notice[1])
    nav = [ctx.t(NAV_BACK), ctx.t(NAV_HOME)] if screen.nav else []

    def heading(p: dict) -> list[str]:
        lines = [p["_notice"]] if "_notice" in p else []
        return lines + ([ctx.t(screen.text, **p)] if screen.text else [])

    if screen.items:
        # The heading may take at most about two thirds of the screen; the list gets the rest.
        head = fit(lambda p: "\n".join(heading(p)), params, screen.elastic, ctx.budget - LIST_ROOM).split(
            "\n"
        )
        labels = [to_gsm(item.label) for item in lists[screen.items](ctx)]
        lines, _more = page_lines(labels, head, nav, ctx.session.get("page", 0), ctx.t(NAV_MORE), ctx.budget)
        return Reply(to_gsm("\n".join(lines)))

    options = [f"{i}. {ctx.t(o.label)}" for i, o in enumerate(screen.options, 1)]
    footer = [" ".join(nav)] if nav and not screen.end else []
    body = fit(lambda p: "\n".join(heading(p) + options + footer), params, screen.elastic, ctx.budget)
    return Reply(body, end=screen.end)


def page_lines(
    labels: list[str], head: list[str], nav: list[str], page: int, more_label: str, budget: int
) -> tuple[list[str], bool]:
    """Fit numbered `labels` under `head`, as many per page as `budget` characters hold."""
    numbered = [f"{i}. {label}" for i, label in enumerate(labels, 1)]
    start = 0
    for _ in range(page):  # skip the pages already shown
        start += _fits(numbered[start:], head, nav, more_label, budget) or 1
    start = min(start, max(len(numbered) - 1, 0))
    count = _fits(numbered[start:], head, nav, more_label, budget)
    shown = numbered[start : start + count]
    more = start + count < len(numbered)
    footer = " ".join(([more_label] if more else []) + nav)
    lines = head + shown + ([footer] if footer else [])
    overflow = gsm_length(to_gsm("\n".join(lines))) - budget
    if overflow > 0 and shown:
        # One item longer than the screen: show as much of it as fits.
        at = len(head) + len(shown) - 1
        lines[at] = to_gsm(lines[at])[: max(len(lines[at]) - overflow - 2, 4)] + ".."
    return lines, more


def _fits(numbered: list[str], head: list[str], nav: list[str], more_label: str, budget: int) -> int:
    used = sum(gsm_length(to_gsm(h)) + 1 for h in head)
    count = 0
    for i, line in enumerate(numbered):
        last = i == len(numbered) - 1
        footer = " ".join(([] if last else [more_label]) + nav)
        need = used + gsm_length(line) + 1 + gsm_length(to_gsm(footer))
        if need > budget:
            break
        used += gsm_length(line) + 1
        count += 1
    return max(count, 1) if numbered else 0
