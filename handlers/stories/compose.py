"""/story new: writing a story (conversation ``story_new``).

The unit it is written for (when the board holds several), the title, the body (one message
or several, formatting kept), an optional photo, the tag, the audience (audience.py), and
whether it also goes to the public channels (asked only when there are some). Nothing is
written until the last answer: then the draft is saved and shown exactly as members will
receive it, with the number of recipients and the buttons to send now, schedule or keep it.
An interrupted conversation leaves nothing behind. Refused at the last answer because a
chosen unit was removed or moved meanwhile, the audience is asked again, the rest kept; when
the story's own unit is no longer the board's, the flow ends and what was typed is shown back.
"""

from __future__ import annotations

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
from bot.errors import UserFacingError
from bot.i18n import gettext
from bot.render.story_notices import tag_label
from bot.rules.stories import Audience, Tag, clean_body, clean_title
from handlers import flow
from handlers.replies import h, reply
from handlers.stories import audience, board, shared
from handlers.stories.shared import step
from handlers.ui import keyboard, parse_button

NAME = "story_new"
DRAFT_KEY = "story_draft"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(DRAFT_KEY,))
UNIT, TITLE, BODY, PHOTO, TAG, AUDIENCE, CHANNELS = range(7)
UNITS_SHOWN = 30


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    context.user_data.pop(DRAFT_KEY, None)
    units = await context.services.stories.board_units(context.actor)
    if not units:
        await reply(update, gettext("You are not on the propaganda board of any unit."))
        return flow.close(context, NAME)
    context.user_data[DRAFT_KEY] = {}
    if len(units) > 1:
        await reply(
            update,
            gettext("Which unit is the story from?"),
            reply_markup=keyboard(*[[(u.name, cb.STORY_UNIT(u.id))] for u in units[:UNITS_SHOWN]]),
        )
        return UNIT
    return await _ask_title(update, context, units[0].id, units[0].name)


@step(NAME, DRAFT_KEY, button=True)
async def on_unit(update: Update, context: CadreContext, draft: dict) -> int:
    (unit_id,) = parse_button(cb.STORY_UNIT, update) or (None,)
    units = await context.services.stories.board_units(context.actor)
    for unit in units:
        if unit.id == unit_id:
            return await _ask_title(update, context, unit.id, unit.name)
    await reply(
        update,
        gettext("That unit is not among yours. Which unit is the story from?"),
        reply_markup=keyboard(*[[(u.name, cb.STORY_UNIT(u.id))] for u in units[:UNITS_SHOWN]]),
    )
    return UNIT


async def _ask_title(update: Update, context: CadreContext, unit_id: int, name: str) -> int:
    context.user_data[DRAFT_KEY].update(unit_id=unit_id, unit_name=name)
    await reply(
        update,
        gettext("New story for <b>{unit}</b>. Please send its title.").format(unit=h(name)),
    )
    return TITLE


@step(NAME, DRAFT_KEY)
async def on_title(update: Update, context: CadreContext, draft: dict) -> int:
    try:
        draft["title"] = clean_title(shared.text_of(update))
    except UserFacingError as error:
        await reply(update, error.render_html() + "\n" + gettext("Please send the title again."))
        return TITLE
    await shared.ask_body(update)
    return BODY


@step(NAME, DRAFT_KEY)
async def on_body_part(update: Update, context: CadreContext, draft: dict) -> int:
    await shared.add_body_part(update, draft)
    return BODY


@step(NAME, DRAFT_KEY, button=True)
async def on_body_done(update: Update, context: CadreContext, draft: dict) -> int:
    try:
        clean_body(shared.body_of(draft))
    except UserFacingError as error:
        draft.pop("body_parts", None)
        await reply(update, error.render_html() + "\n" + gettext("Please send the body again."))
        return BODY
    await reply(
        update,
        gettext("Send a photo for the story, or press «No photo»."),
        reply_markup=keyboard([(gettext("No photo"), cb.STORY_NO_PHOTO())]),
    )
    return PHOTO


@step(NAME, DRAFT_KEY)
async def on_photo(update: Update, context: CadreContext, draft: dict) -> int:
    photo = shared.photo_of(update)
    if photo is None:
        await reply(
            update,
            gettext("Please send a photo (as a picture, not a file), or press «No photo»."),
            reply_markup=keyboard([(gettext("No photo"), cb.STORY_NO_PHOTO())]),
        )
        return PHOTO
    draft["photo"] = photo
    return await _ask_tag(update)


@step(NAME, DRAFT_KEY, button=True)
async def on_no_photo(update: Update, context: CadreContext, draft: dict) -> int:
    draft["photo"] = None
    return await _ask_tag(update)


def tag_keyboard():  # type: ignore[no-untyped-def]
    return keyboard(*[[(tag_label(tag), cb.STORY_TAG(tag.value))] for tag in Tag])


async def _ask_tag(update: Update) -> int:
    await reply(update, gettext("What kind of story is it?"), reply_markup=tag_keyboard())
    return TAG


@step(NAME, DRAFT_KEY, button=True)
async def on_tag(update: Update, context: CadreContext, draft: dict) -> int:
    values = parse_button(cb.STORY_TAG, update)
    if values is None:
        return await _ask_tag(update)
    draft["tag"] = values[0]
    audience.start(draft)
    await audience.ask(update, draft)
    return AUDIENCE


@step(NAME, DRAFT_KEY, button=True, keep=True)
async def on_audience(update: Update, context: CadreContext, draft: dict) -> int:
    chosen = await audience.handle(update, context, draft)
    if chosen is None:
        return AUDIENCE
    draft["audience"] = chosen.to_json()
    if await context.services.stories.channels():
        await reply(
            update,
            gettext("Also publish it to the public channels?"),
            reply_markup=keyboard(
                [
                    (gettext("Yes, publish it too"), cb.STORY_CHANNELS("yes")),
                    (gettext("No, members only"), cb.STORY_CHANNELS("no")),
                ]
            ),
        )
        return CHANNELS
    return await _save(update, context, draft, to_channels=False)


@step(NAME, DRAFT_KEY, button=True)
async def on_channels(update: Update, context: CadreContext, draft: dict) -> int:
    return await _save(
        update, context, draft, to_channels=parse_button(cb.STORY_CHANNELS, update) == ("yes",)
    )


async def _save(update: Update, context: CadreContext, draft: dict, *, to_channels: bool) -> int:
    """The one write of the conversation: the draft, then its preview."""
    try:
        story = await context.services.stories.create_draft(
            context.actor,
            unit_id=draft["unit_id"],
            title=draft["title"],
            body=shared.body_of(draft),
            tag=draft["tag"],
            photo=draft.get("photo"),
            audience=Audience.from_json(draft["audience"]),
            to_channels=to_channels,
        )
    except UserFacingError as error:
        if await shared.is_board_unit(context, draft["unit_id"]):
            # The audience it names changed meanwhile: choose again, nothing typed is lost.
            await audience.ask_again(update, draft, error)
            return AUDIENCE
        await reply(update, error.render_html())
        await shared.give_back(update, draft["title"], shared.body_of(draft), draft.get("photo"))
        return flow.close(context, NAME)
    flow.close(context, NAME)
    await board.show_preview(
        update,
        context,
        story.id,
        intro=gettext("Here is story {id} exactly as the members will receive it:").format(
            id=story.id
        ),
    )
    return shared.END


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, NAME)


async def use_buttons(update: Update, context: CadreContext) -> None:
    await shared.use_buttons(update)


def conversation(application: Application) -> ConversationHandler:
    other = ~filters.COMMAND
    return flow.conversation(
        application,
        FLOW,
        entry_points=[CommandHandler("story", start, filters=shared.subcommand("new"))],
        states={
            UNIT: [
                CallbackQueryHandler(on_unit, pattern=cb.STORY_UNIT.pattern),
                MessageHandler(other, use_buttons),
            ],
            TITLE: [MessageHandler(other, on_title)],
            BODY: [
                CallbackQueryHandler(on_body_done, pattern=cb.STORY_BODY_DONE.pattern),
                MessageHandler(other, on_body_part),
            ],
            PHOTO: [
                CallbackQueryHandler(on_no_photo, pattern=cb.STORY_NO_PHOTO.pattern),
                MessageHandler(other, on_photo),
            ],
            TAG: [
                CallbackQueryHandler(on_tag, pattern=cb.STORY_TAG.pattern),
                MessageHandler(other, use_buttons),
            ],
            AUDIENCE: [
                *[
                    CallbackQueryHandler(on_audience, pattern=button.pattern)
                    for button in audience.BUTTONS
                ],
                MessageHandler(other, use_buttons),
            ],
            CHANNELS: [
                CallbackQueryHandler(on_channels, pattern=cb.STORY_CHANNELS.pattern),
                MessageHandler(other, use_buttons),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
