"""The handlers' shared pieces of Telegram UI: keyboards, pressed buttons, conversation data.

Button data is built and read with :mod:`bot.callbacks` only; nothing here parses it by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from html import escape

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import Button, StaleButton
from bot.context import CadreContext
from bot.errors import NotFound, UserFacingError
from bot.i18n import gettext
from bot.render.text import utf16_len

Row = Sequence[tuple[str, str]]
ALERT_MAX = 200  # Telegram refuses a longer button alert (UTF-16 units)


def keyboard(*rows: Row) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, data); build the data with :mod:`bot.callbacks`."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def confirm_keyboard(ok: str, edit: str) -> InlineKeyboardMarkup:
    return keyboard([(gettext("Confirm"), ok), (gettext("Edit"), edit)])


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the pressed button, if any (Telegram shows a spinner until it is answered)."""
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # too old to answer: nothing else to do
            await query.answer(text, show_alert=alert)


async def drop_markup(update: Update) -> None:
    """Take the buttons off the pressed message (they have done their job)."""
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


async def pressed(update: Update) -> CallbackQuery:
    """Answer a pressed button and take the buttons off its message."""
    await answer(update)
    await drop_markup(update)
    return update.callback_query


def stale_text() -> str:
    return gettext("This button is no longer active. Please send the command again.")


async def refuse_button(
    update: Update, error: UserFacingError | str, *, drop: bool | None = None
) -> None:
    """Say in an alert why a pressed button did nothing. Buttons on something that is gone
    (``NotFound``) come off, as they will never work again; ``drop`` decides otherwise."""
    text = error.render() if isinstance(error, UserFacingError) else error
    if utf16_len(text) <= ALERT_MAX:
        await answer(update, text, alert=True)
    else:  # too long for an alert (a long unit name filled in): said in the chat instead
        await answer(update)
        if update.effective_chat is not None:
            html = error.render_html() if isinstance(error, UserFacingError) else escape(error)
            await update.effective_chat.send_message(html)
    if drop or (drop is None and isinstance(error, NotFound)):
        await drop_markup(update)


def parse_button(button: Button, update: Update) -> tuple | None:
    """The values of the pressed button, or None when the data is not this kind's."""
    query = update.callback_query
    try:
        return button.parse(query.data if query is not None else None)
    except StaleButton:
        return None


def forget(context: CadreContext, *keys: str) -> None:
    """Drop a conversation's working data from the person's data."""
    if context.user_data is not None:
        for key in keys:
            context.user_data.pop(key, None)
