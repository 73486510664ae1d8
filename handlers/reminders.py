"""/reminders: the reminders coming for me in the next 30 days, and a button per kind I may
mute or unmute. Telegram only: the reminder service works out the list."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.render import reminder_views
from bot.rules.upcoming import from_button_code
from bot.services.reminders.upcoming import DAYS
from handlers.replies import reply, reply_lines
from handlers.ui import answer, drop_markup, keyboard, parse_button, refuse_button, stale_text


async def _show(update: Update, context: CadreContext) -> None:
    service = context.services.reminders
    entries = await service.upcoming(context.actor, DAYS)
    choices = await service.mute_choices(context.actor)
    rows = reminder_views.mute_rows(choices)
    await reply_lines(
        update,
        reminder_views.overview(entries, choices, DAYS),
        keyboard(*rows) if rows else None,
    )


async def show(update: Update, context: CadreContext) -> None:
    """The list; any words after the command are ignored (there is nothing to choose)."""
    try:
        await _show(update, context)
    except UserFacingError as error:
        await reply(update, error.render_html())


async def toggle(update: Update, context: CadreContext) -> None:
    """A mute / unmute button: said in a short answer, then the list again as it now is.
    Pressed twice, or on an old list, it says how things stand and changes nothing."""
    values = parse_button(cb.REMINDER_MUTE, update)
    kind = from_button_code(values[0]) if values is not None else None
    if values is None or kind is None:
        await refuse_button(update, stale_text())
        return
    mute = values[1] == "off"
    try:
        changed = await context.services.reminders.set_muted(context.actor, kind.value, mute)
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update, reminder_views.toggled(kind, mute, changed))
    await drop_markup(update)
    try:
        await _show(update, context)
    except UserFacingError as error:
        await reply(update, error.render_html())


def register(application: Application) -> None:
    application.add_handler(CommandHandler("reminders", show))
    application.add_handler(CallbackQueryHandler(toggle, pattern=cb.REMINDER_MUTE.pattern))
