"""/report for secretaries, deputies, committees and administrators: the overview of the
units they oversee over a period, drilled down with buttons to a cell's members and to one
member (view.py).

The other report features plug in through :mod:`handlers.reports.extras` (subcommands such
as ``/report review``, buttons under an overview or a member's line, and their handlers):
each is a module of this package listed in ``FEATURES``, imported here so that it registers.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import CadreContext
from bot.i18n import gettext
from handlers.replies import h, reply
from handlers.reports import extras, files, review, view

# The feature modules of this package that register subcommands and buttons on import
# (charts, the workbook, the dossier, the review), e.g. ``from handlers.reports import chart``.
FEATURES: tuple[object, ...] = (files, review)

HELP_WORDS = ("help", "?")


async def route(update: Update, context: CadreContext) -> None:
    """``/report WORD …`` for a registered subcommand; ``/report help``; anything else is
    the overview (:func:`view.report_command`)."""
    args = context.args or []
    word = args[0].lower() if args else ""
    spec = extras.SUBCOMMANDS.get(word)
    if spec is not None:
        await spec.run(update, context, args[1:])
    elif word in HELP_WORDS:
        await show_help(update)
    else:
        await view.report_command(update, context, args)


async def show_help(update: Update) -> None:
    lines = [
        gettext("<b>Reports</b> — what you can ask:"),
        "/report [UNIT_CODE] [YEAR] [H1|H2|Q1..Q4] — "
        + gettext("the figures of your units, then drill down with the buttons"),
    ]
    for spec in extras.SUBCOMMANDS.values():
        usage = f" {spec.usage}" if spec.usage else ""
        lines.append(f"/report {h(spec.name)}{h(usage)} — {gettext(spec.description)}")
    await reply(update, "\n".join(lines))


def register(application: Application) -> None:
    application.add_handlers([CommandHandler("report", route), *view.handlers(), *extras.HANDLERS])
