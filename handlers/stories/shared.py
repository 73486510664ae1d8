"""Showing a story in a chat, as the outbox delivers it: with its photo (the text as the
caption when it fits), split into parts never cut inside a tag, the buttons on the last.
And the pieces the /story conversations share: how one starts, how its steps find their
data, story numbers typed after a subcommand."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler, filters

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.parsing import parse_whole_number
from bot.render.text import MAX_CAPTION, split_html, utf16_len, visible_len
from bot.rules.stories import BODY_MAX
from handlers import flow
from handlers.replies import h, reply
from handlers.ui import answer, keyboard, pressed, refuse_button

Rows = Sequence[Sequence[tuple[str, str]]]
BODY_SEPARATOR = "\n\n"  # between the messages of a body sent in parts


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


async def is_board_unit(context: CadreContext, unit_id: int) -> bool:
    """Whether the person still writes stories for this unit (the role may have been taken
    away, or the unit removed, while they were typing)."""
    units = await context.services.stories.board_units(context.actor)
    return any(unit.id == unit_id for unit in units)


async def give_back(update: Update, title: str, body: str, photo: str | None) -> None:
    """A story that could not be saved, shown back to its writer so nothing typed is lost."""
    await reply(
        update,
        gettext(
            "The story was not saved. Here is what you wrote, so that you can copy it and keep it:"
        ),
    )
    await show_story(update, f"<b>{h(title)}</b>\n\n{body}", None, photo)


# The /story conversations ---------------------------------------------------------------------

END = ConversationHandler.END
# What the "finish it or /cancel" refusal calls any open /story conversation.
FLOW_WHAT = N_("a story step (/story)")

Step = Callable[..., Awaitable[Any]]
Begin = Callable[[Update, CadreContext, list[str]], Awaitable[int]]


def subcommand(name: str) -> filters.BaseFilter:
    """``/story NAME ...`` (any case, with or without the bot's @name)."""
    return filters.Regex(re.compile(rf"^/story(@\w+)?\s+{name}(\s|$)", re.IGNORECASE))


def need_id(rest: list[str]) -> int:
    value = parse_whole_number(rest[0].lstrip("#")) if rest else None
    if value is None:
        raise InvalidInput(N_("Please give the story number, for example: /story show 12"))
    return value


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


async def start_flow(update: Update, context: CadreContext, name: str, begin: Begin) -> int:
    """Enter flow ``name`` unless another flow holds the person; ``begin`` gets the words
    after the subcommand. A refusal from the service ends the flow at once."""
    if await flow.refuse_if_busy(update, context, name):
        return END
    try:
        return await begin(update, context, (context.args or [])[1:])
    except UserFacingError as error:
        if update.callback_query is not None:
            await refuse_button(update, error)
        else:
            await reply(update, error.render_html())
        return flow.close(context, name)


async def expired(update: Update, context: CadreContext, name: str) -> int:
    await reply(update, gettext("This step has expired. Please send the command again."))
    return flow.close(context, name)


def step(
    name: str, key: str, *, button: bool = False, keep: bool = False
) -> Callable[[Step], Step]:
    """A step of flow ``name``: a pressed button is answered (and its buttons taken off,
    unless ``keep``: the audience picker redraws its own message); then the flow's data under
    ``key`` is passed on, or the flow ends politely when it is gone."""

    def wrap(func: Step) -> Step:
        @functools.wraps(func)
        async def run(update: Update, context: CadreContext) -> int:
            if button and not keep:
                await pressed(update)
            data = (context.user_data or {}).get(key)
            if data is None:
                if button and keep:
                    await answer(update)
                return await expired(update, context, name)
            return await func(update, context, data)

        return run

    return wrap


async def use_buttons(update: Update) -> None:
    await reply(update, gettext("Please choose one of the buttons above, or send /cancel."))


def photo_of(update: Update) -> str | None:
    """The file id of the largest size of a sent photo."""
    message = update.effective_message
    if message is None or not message.photo:
        return None
    return message.photo[-1].file_id


# The body: one message or several, kept with their formatting ----------------------------------


def body_keyboard() -> InlineKeyboardMarkup:
    return keyboard([(gettext("Done: the body is complete"), cb.STORY_BODY_DONE())])


async def ask_body(update: Update) -> None:
    await reply(
        update,
        gettext(
            "Please send the body of the story. Bold, italic and links are kept as you format "
            "them. A long story can be sent in several messages, one after another; press "
            "«Done» when it is complete."
        ),
    )


async def add_body_part(update: Update, data: dict) -> None:
    """Keep one more message of the body (its formatting as Telegram HTML), or say what to
    send instead. The whole body is checked when it is complete."""
    message = update.effective_message
    if message is None:
        return
    html = (message.text_html if message.text else None) or (
        message.caption_html if message.caption else None
    )
    if not html or not html.strip():
        await reply(
            update,
            gettext("Please send the body as text (bold, italic and links are kept)."),
            reply_markup=body_keyboard() if data.get("body_parts") else None,
        )
        return
    parts = [*data.get("body_parts", []), html.strip()]
    total = utf16_len(BODY_SEPARATOR.join(parts))
    if total > BODY_MAX:
        await reply(
            update,
            gettext(
                "This part would make the story longer than {high} characters, so it was not "
                "added. Please send a shorter part, or press «Done»."
            ).format(high=BODY_MAX),
            reply_markup=body_keyboard() if data.get("body_parts") else None,
        )
        return
    data["body_parts"] = parts
    await reply(
        update,
        gettext(
            "Received part {count} ({chars} characters in all). Send the next part, or press "
            "«Done»."
        ).format(count=len(parts), chars=total),
        reply_markup=body_keyboard(),
    )


def body_of(data: dict) -> str:
    return BODY_SEPARATOR.join(data.get("body_parts", []))
