"""Showing a story in a chat, as the outbox delivers it: with its photo (the text as the
caption when it fits), split into parts never cut inside a tag, the buttons on the last."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Message, Update

from bot.render.text import MAX_CAPTION, split_html, visible_len
from handlers.ui import keyboard

Rows = Sequence[Sequence[tuple[str, str]]]


async def show_story(
    update: Update, text: str, rows: Rows | None, photo: str | None
) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    markup = keyboard(*rows) if rows else None
    if photo and visible_len(text) <= MAX_CAPTION:
        return await message.reply_photo(photo, caption=text, reply_markup=markup)
    if photo:
        await message.reply_photo(photo)
    parts = split_html([text])
    sent = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await message.reply_text(part, reply_markup=markup if last else None)
    return sent
