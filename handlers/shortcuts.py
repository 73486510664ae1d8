"""Buttons that stand for a typed command (``bot.callbacks.GO``, ``bot.commands.SHORTCUTS``):
the reminders' "File my commitment", "Grade", "New meeting", ...

Pressing one is taken as typing the command. The gate (handlers/gate.py) checks it against
the command table as it checks the typed command, with the same refusal. The command's own
handler then runs with ``context.args`` set to the words it would have been typed with.
A command that starts a guided conversation takes the button as one of that conversation's
entry points (:func:`entry`), so the conversation starts, persists and guards against
another open one exactly as when typed. The others take it through :func:`handler`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks as cb
from bot.commands import SHORTCUTS
from bot.context import CadreContext
from handlers import flow
from handlers.ui import answer, parse_button

Command = Callable[[Update, CadreContext], Awaitable[Any]]


def command_of(update: Update) -> str | None:
    """The command a pressed shortcut stands for; None when no shortcut was pressed."""
    values = parse_button(cb.GO, update)
    return SHORTCUTS[values[0]].command if values else None


def _typed(update: Update, context: CadreContext) -> None:
    """Set the words after the command, as if it had been typed."""
    name, number = parse_button(cb.GO, update) or ("", 0)
    context.args = SHORTCUTS[name].args(number) if name in SHORTCUTS else []


def handler(name: str, command: Command) -> CallbackQueryHandler:
    """Shortcut ``name`` for a command that answers at once."""

    async def run(update: Update, context: CadreContext) -> None:
        await answer(update)
        _typed(update, context)
        await command(update, context)

    return CallbackQueryHandler(run, pattern=cb.GO.pattern_for(name))


def entry(name: str, start: Command, flow_name: str) -> CallbackQueryHandler:
    """Shortcut ``name`` as an entry point of the conversation ``flow_name`` that ``start``
    opens. While another conversation holds the person, ``start`` refuses in an alert
    (:func:`handlers.flow.refuse_if_busy`), which answers the button itself."""

    async def run(update: Update, context: CadreContext) -> object:
        if flow.busy_with(update, context, flow_name) is None:
            await answer(update)
        _typed(update, context)
        return await start(update, context)

    return CallbackQueryHandler(run, pattern=cb.GO.pattern_for(name))
