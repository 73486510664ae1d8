"""Small rendering helpers shared by the handlers."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ChatType

from bot.i18n import gettext

MAX_MESSAGE = 4096


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
    """Join lines into messages that each fit Telegram's limit, never cutting a line."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


async def reply(update: Update, text: str, **kwargs: object) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, **kwargs)  # type: ignore[arg-type]


async def reply_lines(update: Update, lines: list[str]) -> None:
    for chunk in split_message(lines):
        await reply(update, chunk)
