"""The actions of the permission matrix (tests/e2e/test_permissions.py): the text typed for
each command row, the data each button row carries, and what counts as a refusal."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot import callbacks as cb
from bot.commands import SHORTCUTS
from bot.rules.upcoming import MUTE_CODES
from tests.e2e.permission_world import Things, as_pattern, vietnamese

# The actions ------------------------------------------------------------------------------

# Typed commands: the row's name, then the text with the ids of what it acts on.
TYPED: dict[str, Callable[[Things], str]] = {
    "/start": lambda t: "/start",
    "/help": lambda t: "/help",
    "/me": lambda t: "/me",
    "/language": lambda t: "/language",
    "/cancel": lambda t: "/cancel",
    "/invite DV003": lambda t: "/invite DV003",
    "/invite unit CB-1": lambda t: "/invite unit CB-1",
    "/joins": lambda t: "/joins",
    "/unreached": lambda t: "/unreached",
    "/session": lambda t: "/session",
    "/session new": lambda t: "/session new CB-1",
    "/session list": lambda t: "/session list",
    "/session show": lambda t: f"/session show {t.session}",
    "/session edit": lambda t: f"/session edit {t.session}",
    "/session cancel": lambda t: f"/session cancel {t.session}",
    "/session checkin": lambda t: f"/session checkin {t.session}",
    "/session close": lambda t: f"/session close {t.session}",
    "/session minutes": lambda t: f"/session minutes {t.session}",
    "/session bridge": lambda t: f"/session bridge {t.session} 5",
    "/session deadline": lambda t: "/session deadline 31/03/2026",
    "/session report": lambda t: "/session report",
    "/sessions": lambda t: "/sessions",
    "/reminders": lambda t: "/reminders",
    "/attend": lambda t: "/attend",
    "/commit": lambda t: "/commit",
    "/mycommitments": lambda t: "/mycommitments",
    "/review": lambda t: "/review",
    "/pending": lambda t: "/pending",
    "/grade": lambda t: "/grade",
    "/decide": lambda t: "/decide",
    "/commitments": lambda t: "/commitments",
    "/dossier": lambda t: "/dossier",
    "/dossier DV002": lambda t: "/dossier DV002",
    "/dossier cell CB-1": lambda t: "/dossier cell CB-1",
    "/report": lambda t: "/report CB-1",
    "/report export": lambda t: "/report export CB-1",
    "/report chart": lambda t: "/report chart CB-1",
    "/report review": lambda t: "/report review 2026 CB-1",
    "/stories": lambda t: "/stories",
    "/calendar": lambda t: "/calendar",
    "/calendar add": lambda t: "/calendar add",
    "/calendar edit": lambda t: f"/calendar edit {t.day}",
    "/calendar remove": lambda t: f"/calendar remove {t.day}",
    "/calendar attach": lambda t: f"/calendar attach {t.day} {t.draft_story}",
    "/nominate": lambda t: "/nominate",
    "/nominations": lambda t: "/nominations",
    "/nominations decided": lambda t: "/nominations decided",
    "/story": lambda t: "/story",
    "/story new": lambda t: "/story new",
    "/story list": lambda t: "/story list",
    "/story show": lambda t: f"/story show {t.draft_story}",
    "/story edit": lambda t: f"/story edit {t.draft_story}",
    "/story cancel": lambda t: f"/story cancel {t.draft_story}",
    "/story stats": lambda t: f"/story stats {t.sent_story}",
    "/campaign": lambda t: "/campaign",
}

# Buttons: the values of their slots, from what the world holds.
YEAR = 2026
START, END = date(2026, 1, 1), date(2026, 3, 31)
_SHORTCUT_NUMBER: dict[str, Callable[[Things], int]] = {
    "commitments": lambda t: YEAR,
    "grade": lambda t: YEAR,
    "session_close": lambda t: t.session,
    "session_minutes": lambda t: t.session,
}
PRESSED: dict[str, Callable[[Things], tuple]] = {
    "lang": lambda t: ("vi",),
    "joinname": lambda t: ("ok",),
    "join": lambda t: ("approve", t.join_request),
    "ca:new": lambda t: (),
    "ca:edit": lambda t: (YEAR,),
    "ca:f": lambda t: (YEAR, "topic"),
    "ca:back": lambda t: (),
    "ca:cancel": lambda t: (),
    "cf:add": lambda t: ("ideology",),
    "cf:skip": lambda t: (t.action,),
    "cf:nodate": lambda t: (t.action,),
    "cf:menu": lambda t: (),
    "cf:prev": lambda t: (),
    "cf:list": lambda t: (),
    "cf:act": lambda t: (t.action,),
    "cf:edit": lambda t: (t.action,),
    "cf:date": lambda t: (t.action,),
    "cf:del": lambda t: (t.action,),
    "cf:delok": lambda t: (t.action,),
    "cf:submit": lambda t: (),
    "cf:subp": lambda t: (),
    "cf:subok": lambda t: (),
    "cf:revise": lambda t: (),
    "cf:cancel": lambda t: (),
    "cd:ok": lambda t: (t.commitment, 1),
    "cd:ret": lambda t: (t.commitment, 1),
    "cx:doc": lambda t: (t.commitment,),
    "cx:docv": lambda t: (t.commitment, 1),
    "cx:exp": lambda t: ("csv", t.units["CB-1"], YEAR),
    "cr": lambda t: (t.action, "done"),
    "gp": lambda t: (t.commitment, 0, "good"),
    "gp:confirm": lambda t: ("ok",),
    "gpx": lambda t: (t.commitment,),
    "grm": lambda t: (t.members["DV002"], t.campaign),
    "gd:show": lambda t: (t.units["DU-NK"], YEAR),
    "gdo": lambda t: (t.units["DU-NK"], YEAR, 0),
    "gd:edit": lambda t: (t.units["DU-NK"], YEAR),
    "sesn:unit": lambda t: (t.units["CB-1"],),
    "sesn:kind": lambda t: ("regular",),
    "sesn:camp": lambda t: ("yes",),
    "sesn:when": lambda t: ("ok",),
    "sesn": lambda t: ("save",),
    "sesn:field": lambda t: ("topic",),
    "sesn:edit": lambda t: ("ok",),
    "ses:cancelok": lambda t: (t.session,),
    "ses:show": lambda t: (t.session,),
    "ses:yes": lambda t: (t.session,),
    "ses:no": lambda t: (t.session,),
    "ses:in": lambda t: (t.session,),
    "ses:late": lambda t: ("ok", t.session, t.members["DV002"]),
    "ses:cyc": lambda t: (t.session, 1),
    "ses:fin": lambda t: (t.session,),
    "ses:bulk": lambda t: ("ok", t.session),
    "ses:minre": lambda t: (t.session,),
    "sesn:min:skip": lambda t: (),
    "sesn:min:spk": lambda t: (),
    "sesn:min": lambda t: ("save",),
    "ses:brok": lambda t: (t.session,),
    "ses:dlok": lambda t: (),
    "ses:exp": lambda t: ("csv", t.units["CB-1"], START, END),
    "rmd": lambda t: (MUTE_CODES[0], "off"),
    "st:read": lambda t: (t.sent_story,),
    "st:open": lambda t: (t.sent_story,),
    "cal:pick": lambda t: (t.day,),
    "cal:att": lambda t: (t.day, t.draft_story),
    "cal:attok": lambda t: (t.day, t.draft_story),
    "cal:rmok": lambda t: (t.day,),
    "caln:unit": lambda t: (t.units["DU-NK"],),
    "caln:skip": lambda t: (),
    "caln:save": lambda t: ("save",),
    "caln:field": lambda t: ("name_vi",),
    "caln:edit": lambda t: ("save",),
    "nmn:skip": lambda t: ("info",),
    "nmn:unit": lambda t: (t.units["CB-1"],),
    "nmn": lambda t: ("send",),
    "nm:list": lambda t: ("pending",),
    "nm:open": lambda t: (t.nomination,),
    "nm:ok": lambda t: (t.nomination,),
    "nm:no": lambda t: (t.nomination,),
    "nm:story": lambda t: (t.nomination,),
    "st:pread": lambda t: (t.draft_story,),
    "st:show": lambda t: (t.draft_story,),
    "st:send": lambda t: (t.draft_story, t.draft_stamp),
    "st:sched": lambda t: (t.draft_story, t.draft_stamp),
    "st:keep": lambda t: (t.draft_story,),
    "st:edit": lambda t: (t.draft_story,),
    "st:cancel": lambda t: (t.draft_story,),
    "st:cancelok": lambda t: (t.draft_story, t.draft_stamp),
    "st:stats": lambda t: (t.sent_story,),
    "stn:unit": lambda t: (t.units["DU-NK"],),
    "stn:bodyok": lambda t: (),
    "stn:nophoto": lambda t: (),
    "stn:tag": lambda t: ("model",),
    "stn:aud": lambda t: ("scope",),
    "stn:kinds": lambda t: (),
    "stn:role": lambda t: ("secretary",),
    "stn:tog": lambda t: (t.units["CB-1"],),
    "stn:open": lambda t: (t.units["DU-NK"],),
    "stn:up": lambda t: (),
    "stn:page": lambda t: (1,),
    "stn:done": lambda t: (),
    "stn:chan": lambda t: ("no",),
    "ste:f": lambda t: ("title",),
    "ste:nophoto": lambda t: (),
    "stw": lambda t: ("ok",),
    "rp:u": lambda t: (t.units["CB-1"], YEAR, "y", "0"),
    "rp:m": lambda t: (t.units["CB-1"], YEAR, "y", "0"),
    "rp:p": lambda t: (t.members["DV002"], YEAR, "y"),
    "rp:c": lambda t: (t.units["CB-1"], YEAR, "y"),
    "rp:x": lambda t: (t.units["CB-1"], YEAR, "y"),
    "rp:d": lambda t: (t.members["DV002"], YEAR),
}


def button_data(name: str, things: Things) -> str:
    """The data a press of row ``name`` carries: ``go:<shortcut>`` or a button's name."""
    if name.startswith("go:"):
        shortcut = name.removeprefix("go:")
        return cb.GO(shortcut, _SHORTCUT_NUMBER.get(shortcut, lambda t: 0)(things))
    button = next(button for button in cb.BUTTONS if button.name == name)
    return button(*PRESSED[name](things))


def all_actions() -> list[str]:
    """Every command row, every subcommand of the tables that list them, every button."""
    return [
        *TYPED,
        *(f"go:{name}" for name in SHORTCUTS),
        *(b.name for b in cb.BUTTONS if b is not cb.GO),
    ]


# What counts as a refusal -----------------------------------------------------------------

_REFUSING = {"AccessDenied", "ScopeDenied", "OutOfScope"}
_GATE = (
    "Sorry, comrade, {command} is only for the roles that manage it.",
    "Your request to join is waiting for the secretary's approval. You will get a message "
    "when it is decided.",
)


def _refusal_ids() -> set[str]:
    """The message ids every access refusal of the services and handlers is raised with:
    the first argument of ``AccessDenied(...)`` and its kin, and the messages their own
    classes give."""
    found = set(_GATE)
    root = Path(__file__).resolve().parents[2]

    def messages(node: ast.AST) -> set[str]:
        return {
            call.args[0].value
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and getattr(call.func, "id", "") == "N_"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        }

    for folder in ("bot", "handlers"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", "") in _REFUSING for base in node.bases
                ):
                    found |= messages(node)
                elif isinstance(node, ast.Call) and node.args:
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in _REFUSING:
                        found |= messages(node.args[0])
    return found


@functools.cache
def refusals() -> list:
    from handlers.replies import stranger_text

    patterns = [as_pattern(vietnamese(message)) for message in sorted(_refusal_ids())]
    patterns.append(re.compile(re.escape(stranger_text())))  # vietnamese() set the locale
    return patterns


def is_refusal(text: str) -> bool:
    return any(pattern.search(text) for pattern in refusals())
