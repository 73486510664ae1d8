"""/stories: the latest stories sent to a member, each to open again; and the "read and
learned" button every delivered story carries (counted once per member)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import format_date, gettext
from bot.render import story_notices
from bot.services.stories import story_params
from handlers.replies import h, reply
from handlers.stories.shared import show_story
from handlers.ui import answer, keyboard, parse_button, refuse_button, stale_text

LIST_SIZE = 10


async def stories(update: Update, context: CadreContext) -> None:
    received = await context.services.stories.received(context.actor, LIST_SIZE)
    if not received:
        await reply(
            update,
            gettext(
                "No story has been sent to you yet. Stories of exemplary models from the "
                "propaganda board will arrive here."
            ),
        )
        return
    lines = [
        gettext("<b>Stories sent to you</b> (the latest {count}):").format(count=len(received))
    ]
    rows = []
    for story in received:
        when = format_date(story.send_at) if story.send_at else ""
        lines.append(f"• {when} — {h(story.title)}")
        rows.append([(_short(story.title), cb.STORY_OPEN(story.id))])
    lines.append(gettext("Tap a story to read it again."))
    await reply(update, "\n".join(lines), reply_markup=keyboard(*rows))


def _short(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


async def open_story(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.STORY_OPEN, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        story = await context.services.stories.open_received(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)
    params = story_params(story)
    text, rows = story_notices.story(params["story"])
    await show_story(update, text, rows, story.photo)


async def read_and_learned(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.STORY_READ, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        counted = await context.services.stories.mark_read(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    if counted:
        await answer(update, gettext("Thank you, comrade: counted as read and learned."))
    else:
        await answer(update, gettext("Already counted: you marked this story read and learned."))


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("stories", stories),
        CallbackQueryHandler(open_story, pattern=cb.STORY_OPEN.pattern),
        CallbackQueryHandler(read_and_learned, pattern=cb.STORY_READ.pattern),
    ]
