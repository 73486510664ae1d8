"""Where the other report features plug into /report: subcommands (``/report review 2026
H1``, ``/report export``, ``/report chart``), buttons under an overview ("Chart", "Export",
"Review") and under one member's line ("Dossier"), and the handlers of those buttons.

A feature module registers itself with the decorators below and is imported once in
:mod:`handlers.reports` (``FEATURES``); nothing here imports a feature. Button data is
declared in bot/callbacks.py as always.

    @extras.subcommand("review", N_("the mid-year or year-end figures as a DOCX"))
    async def review(update: Update, context: CadreContext, args: list[str]) -> None: ...

    @extras.overview_buttons
    def chart_button(overview: Overview) -> list[tuple[str, str]]:
        return [(gettext("Chart"), cb.REPORT_CHART(overview.total.unit.id, ...))]

    extras.HANDLERS.append(CallbackQueryHandler(chart_pressed, pattern=cb.REPORT_CHART.pattern))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import CadreContext
from bot.services.reports.model import MemberLine, Overview, Period
from storage.records import Unit

Subcommand = Callable[[Update, CadreContext, list[str]], Awaitable[None]]
Buttons = list[tuple[str, str]]  # (label, button data)
OverviewButtons = Callable[[Overview], Buttons]
MemberButtons = Callable[[Unit, MemberLine, Period], Buttons]


@dataclass(frozen=True)
class SubcommandSpec:
    name: str
    usage: str  # what follows the word, shown in /report's menu ("YEAR [H1|H2]")
    description: str  # a message id, translated when shown
    run: Subcommand


# The word after /report (lower case) → what answers it, with the words after it.
SUBCOMMANDS: dict[str, SubcommandSpec] = {}
# Each gives buttons to show under an overview (of a unit with units below it, or a cell).
OVERVIEW_BUTTONS: list[OverviewButtons] = []
# Each gives buttons to show under one member's line.
MEMBER_BUTTONS: list[MemberButtons] = []
# The handlers of those buttons, registered with /report's own.
HANDLERS: list[BaseHandler] = []


def subcommand(name: str, description: str, usage: str = "") -> Callable[[Subcommand], Subcommand]:
    """Register ``/report NAME …``; ``description`` is an N_() message id."""

    def add(run: Subcommand) -> Subcommand:
        SUBCOMMANDS[name.lower()] = SubcommandSpec(name.lower(), usage, description, run)
        return run

    return add


def overview_buttons(make: OverviewButtons) -> OverviewButtons:
    OVERVIEW_BUTTONS.append(make)
    return make


def member_buttons(make: MemberButtons) -> MemberButtons:
    MEMBER_BUTTONS.append(make)
    return make
