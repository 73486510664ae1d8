"""Small rendering helpers shared by the handlers."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType

from bot.i18n import gettext
from bot.render.text import MAX_MESSAGE, split_html


def h(text: object) -> str:
    """Escape user-provided text for HTML parse mode."""
    return escape(str(text), quote=False)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def stranger_text() -> str:
    return gettext(
        "Hello! This channel is for cadres and party members. Please contact your cell "
        "secretary to get an invite code."
    )


def split_message(lines: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join lines into messages that each fit Telegram's limit (in UTF-16 code units, as
    Telegram counts), keeping whole lines together; an over-long line is cut without ever
    breaking a tag or an entity (see :func:`bot.render.text.split_html`)."""
    return split_html(lines, limit)


async def reply(update: Update, text: str, **kwargs: object) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, **kwargs)  # type: ignore[arg-type]


async def reply_lines(
    update: Update, lines: list[str], reply_markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send the lines in as many messages as they need, the keyboard on the last one; the
    last message sent (None when there is nothing to reply to)."""
    message = update.effective_message
    if message is None:
        return None
    chunks = split_message(lines)
    sent = None
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        sent = await message.reply_text(chunk, reply_markup=reply_markup if last else None)
    return sent
