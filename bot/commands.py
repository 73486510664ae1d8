"""The one table of commands: it feeds the access gate, /help and the Telegram menus.

Adding a command is one row here plus its handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.i18n import N_, gettext
from bot.rules.access import MANAGERS, MONITORS, Actor, Role


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # English message id, translated when shown
    roles: frozenset[Role] | None = None  # None: any registered member
    public: bool = False  # strangers may use it too
    private_only: bool = False  # shows personal data: private chats only

    def describe(self) -> str:
        return gettext(self.description)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Start, or join with an invite code"), public=True),
    CommandSpec("help", N_("What I can do for you"), public=True),
    CommandSpec("me", N_("My profile, unit and roles"), private_only=True),
    CommandSpec("language", N_("Change the language"), public=True),
    CommandSpec("cancel", N_("Stop the current step"), public=True),
    CommandSpec(
        "invite",
        N_("Create an invite code for a member or a unit"),
        roles=MANAGERS,
        private_only=True,
    ),
    CommandSpec(
        "joins", N_("Join requests waiting for approval"), roles=MANAGERS, private_only=True
    ),
    CommandSpec(
        "unreached",
        N_("Members who have not started the bot yet"),
        roles=MONITORS,
        private_only=True,
    ),
    CommandSpec(
        "session",
        N_("Meetings: create, invite, check in, close, minutes, reports"),
        roles=MANAGERS | {Role.COMMITTEE},
        private_only=True,
    ),
    CommandSpec("sessions", N_("My upcoming meetings"), private_only=True),
    CommandSpec("reminders", N_("My reminders ahead; mute the optional ones"), private_only=True),
    CommandSpec("attend", N_("Check in to a meeting, or report attendance"), private_only=True),
    CommandSpec("commit", N_("File or revise my yearly commitment"), private_only=True),
    CommandSpec("mycommitments", N_("My commitments and results, every year"), private_only=True),
    CommandSpec("review", N_("Year-end self-assessment of my commitment"), private_only=True),
    CommandSpec("pending", N_("Commitments waiting for review"), roles=MONITORS, private_only=True),
    CommandSpec(
        "grade",
        N_("Year-end grading of members: the cell's appraisal and proposal"),
        roles=MONITORS,
        private_only=True,
    ),
    CommandSpec(
        "decide",
        N_("Year-end grading: the grassroots committee's decision"),
        roles=MONITORS,
        private_only=True,
    ),
    CommandSpec(
        "commitments",
        N_("Commitment progress per unit, and export"),
        roles=MONITORS,
        private_only=True,
    ),
    # Everyone: a member gets their own; secretaries and committees name a member or a cell.
    CommandSpec(
        "dossier",
        N_("Year-end review dossier (DOCX): mine, a member's or a cell's"),
        private_only=True,
    ),
    CommandSpec(
        "report",
        N_("Reports: your units' figures, drill down to members"),
        roles=MONITORS,
        private_only=True,
    ),
    CommandSpec("stories", N_("Stories of exemplary models sent to me"), private_only=True),
    CommandSpec(
        "calendar",
        N_("Commemorative days ahead; the propaganda board's days and stories"),
        private_only=True,
    ),
    CommandSpec(
        "nominate", N_("Nominate an example of good people, good deeds"), private_only=True
    ),
    # Everyone: a member sees their own nominations, the propaganda board those to review.
    CommandSpec(
        "nominations",
        N_("Nominations: my own, or those to review (propaganda board)"),
        private_only=True,
    ),
    CommandSpec(
        "story",
        N_("Propaganda board: write, send and follow stories"),
        roles=frozenset({Role.PROPAGANDA, Role.ADMIN}),
        private_only=True,
    ),
    CommandSpec(
        "campaign", N_("Yearly campaigns: list, create, edit"), roles=frozenset({Role.ADMIN})
    ),
)

BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


@dataclass(frozen=True)
class Shortcut:
    """A button that stands for a typed command (``bot.callbacks.GO``, on the reminders):
    pressing it is taken as typing ``/command words [number]``, through the same gate."""

    command: str
    words: tuple[str, ...] = ()  # typed after the command: a subcommand

    def args(self, number: int) -> list[str]:
        """The words after the command; the button's number (a year, a session) when set."""
        return [*self.words, str(number)] if number else list(self.words)


SHORTCUTS: dict[str, Shortcut] = {
    "commit": Shortcut("commit"),
    "commitments": Shortcut("commitments"),  # number: the year
    "review": Shortcut("review"),
    "grade": Shortcut("grade"),  # number: the year
    "sessions": Shortcut("sessions"),
    "session_new": Shortcut("session", ("new",)),
    "session_close": Shortcut("session", ("close",)),  # number: the session
    "session_minutes": Shortcut("session", ("minutes",)),  # number: the session
    "session_report": Shortcut("session", ("report",)),
}


Access = tuple[bool, bool, frozenset[Role]]  # registered, admin, roles


def access_of(actor: Actor) -> Access:
    """What decides which commands someone sees: the same for everyone with the same roles."""
    return (actor.is_registered, actor.is_admin, actor.roles)


def visible_commands(actor: Actor) -> list[CommandSpec]:
    """The commands this person may use, in table order."""
    return list(commands_for(access_of(actor)))


@lru_cache(maxsize=256)
def commands_for(access: Access) -> tuple[CommandSpec, ...]:
    """The commands allowed by ``access`` (see :func:`access_of`): worked out once per set of
    roles rather than on every update (issue 13). Mirrors ``bot.rules.access.may_use``."""
    registered, admin, roles = access
    if not (registered or admin):
        return tuple(spec for spec in COMMANDS if spec.public)
    return tuple(
        spec
        for spec in COMMANDS
        if spec.public or spec.roles is None or admin or bool(roles & spec.roles)
    )
