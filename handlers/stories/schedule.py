"""Scheduling a story (conversation ``story_when``), entered from the «Schedule» or «Change
the time» button under its preview: the time is asked ("DD/MM/YYYY HH:MM"), echoed with the
long date to confirm, and only then is the story scheduled. The button carries the story's
stamp: a story changed since it was shown is not scheduled, it is shown again.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import Conflict, UserFacingError
from bot.i18n import N_, format_date, format_datetime, format_number, gettext
from handlers import flow
from handlers.replies import h, reply
from handlers.stories import shared
from handlers.stories.shared import step
from handlers.ui import confirm_keyboard, parse_button, pressed, refuse_button

NAME = "story_when"
DATA_KEY = "story_when"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(DATA_KEY,))
WHEN, WHEN_OK = range(2)


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    values = parse_button(cb.STORY_SCHEDULE, update)
    if values is None:
        await refuse_button(update, gettext("This button is no longer active."))
        return flow.close(context, NAME)
    story_id, seen = values
    overview = await context.services.stories.overview(context.actor, story_id)
    if overview.status not in ("draft", "scheduled"):
        raise Conflict(
            N_("Story {id} has been sent: it can no longer be changed or withdrawn."), id=story_id
        )
    if overview.stamp != seen:
        raise Conflict(
            N_(
                "Story {id} has changed since this was shown. Please look at it again: "
                "/story show {id}"
            ),
            id=story_id,
        )
    await pressed(update)
    context.user_data[DATA_KEY] = {"id": story_id, "seen": seen}
    await reply(
        update,
        gettext(
            "When should story {id} «{title}» be sent? Send the date and time, for example "
            "25/03/2026 07:30."
        ).format(id=story_id, title=h(overview.story.title)),
    )
    return WHEN


@step(NAME, DATA_KEY)
async def on_when(update: Update, context: CadreContext, data: dict) -> int:
    try:
        moment = context.services.stories.parse_send_at(shared.text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html())
        return WHEN
    data["at"] = moment.isoformat()
    await reply(
        update,
        gettext("Send it at <b>{time}</b> ({day})?").format(
            time=format_datetime(moment), day=format_date(moment, "long")
        ),
        reply_markup=confirm_keyboard(cb.STORY_WHEN("ok"), cb.STORY_WHEN("edit")),
    )
    return WHEN_OK


@step(NAME, DATA_KEY, button=True)
async def on_when_ok(update: Update, context: CadreContext, data: dict) -> int:
    if parse_button(cb.STORY_WHEN, update) != ("ok",) or "at" not in data:
        await reply(update, gettext("Please send the date and time, for example 25/03/2026 07:30."))
        return WHEN
    try:
        story = await context.services.stories.schedule(
            context.actor, data["id"], datetime.fromisoformat(data["at"]), seen=data["seen"]
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        if isinstance(error, Conflict):
            return flow.close(context, NAME)
        return WHEN  # the time passed while confirming: ask again
    await reply(
        update,
        gettext(
            "Story {id} will be sent at {time} to {count} recipients. To withdraw it: "
            "/story cancel {id}"
        ).format(
            id=story.id,
            time=format_datetime(story.send_at) if story.send_at else "",
            count=format_number(story.recipients),
        ),
    )
    return flow.close(context, NAME)


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. The story was not scheduled."))
    return flow.close(context, NAME)


def conversation(application: Application) -> ConversationHandler:
    other = ~filters.COMMAND
    return flow.conversation(
        application,
        FLOW,
        entry_points=[CallbackQueryHandler(start, pattern=cb.STORY_SCHEDULE.pattern)],
        states={
            WHEN: [MessageHandler(other, on_when)],
            WHEN_OK: [
                CallbackQueryHandler(on_when_ok, pattern=cb.STORY_WHEN.pattern),
                MessageHandler(other, on_when),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
