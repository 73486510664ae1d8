"""/story edit ID, or the «Edit» button under a preview (conversation ``story_edit``): pick a
field of a story not sent yet (title, body, photo, tag, audience, public channels), give the
new value, and the story is shown again as members will receive it. One field per round:
nothing is written before the new value is complete. A scheduled story keeps its time; it
is queued only then, as it is then.
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
from bot.errors import Conflict, InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.rules.stories import clean_body
from handlers import flow
from handlers.replies import h, reply
from handlers.stories import audience, board, shared
from handlers.stories.compose import tag_keyboard
from handlers.stories.shared import step
from handlers.ui import keyboard, parse_button, pressed

NAME = "story_edit"
DATA_KEY = "story_edit"
FLOW = flow.FlowSpec(NAME, shared.FLOW_WHAT, draft_keys=(DATA_KEY,))
FIELD, TITLE, BODY, PHOTO, TAG, AUDIENCE, CHANNELS = range(7)


async def start(update: Update, context: CadreContext) -> int:
    return await shared.start_flow(update, context, NAME, _begin)


async def _begin(update: Update, context: CadreContext, rest: list[str]) -> int:
    if update.callback_query is not None:
        values = parse_button(cb.STORY_EDIT, update)
        if values is None:
            raise Conflict(N_("This button is no longer active. Please send the command again."))
        story_id = values[0]
    else:
        story_id = shared.need_id(rest)
    service = context.services.stories
    overview = await service.overview(context.actor, story_id)
    if overview.status not in ("draft", "scheduled"):
        raise Conflict(
            N_("Story {id} has been sent: it can no longer be changed or withdrawn."), id=story_id
        )
    await pressed(update)
    context.user_data[DATA_KEY] = {
        "id": story_id,
        "unit_id": overview.unit.id,
        "unit_name": overview.unit.name,
        "chosen": [[u.id, u.name] for u in overview.audience_units],
    }
    rows = [
        [
            (gettext("Title"), cb.STORY_FIELD("title")),
            (gettext("Body"), cb.STORY_FIELD("body")),
            (gettext("Photo"), cb.STORY_FIELD("photo")),
        ],
        [
            (gettext("Tag"), cb.STORY_FIELD("tag")),
            (gettext("Audience"), cb.STORY_FIELD("audience")),
        ],
    ]
    if await service.channels():
        rows[1].append((gettext("Public channels"), cb.STORY_FIELD("channels")))
    await reply(
        update,
        gettext("What do you want to change in story {id} «{title}»?").format(
            id=story_id, title=h(overview.story.title)
        ),
        reply_markup=keyboard(*rows),
    )
    return FIELD


@step(NAME, DATA_KEY, button=True)
async def on_field(update: Update, context: CadreContext, data: dict) -> int:
    values = parse_button(cb.STORY_FIELD, update)
    field = values[0] if values else "done"
    if field == "title":
        await reply(update, gettext("Please send the new title."))
        return TITLE
    if field == "body":
        data.pop("body_parts", None)
        await shared.ask_body(update)
        return BODY
    if field == "photo":
        await reply(
            update,
            gettext("Send the new photo, or press «No photo» to remove it."),
            reply_markup=keyboard([(gettext("No photo"), cb.STORY_REMOVE_PHOTO())]),
        )
        return PHOTO
    if field == "tag":
        await reply(update, gettext("What kind of story is it?"), reply_markup=tag_keyboard())
        return TAG
    if field == "audience":
        audience.start(data, [(unit_id, name) for unit_id, name in data["chosen"]])
        await audience.ask(update, data)
        return AUDIENCE
    if field == "channels":
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
    return flow.close(context, NAME)


async def _change(
    update: Update, context: CadreContext, data: dict, again: int, **changes: object
) -> int:
    """The one write of a round; then the story is shown again. A value the service refuses
        (too short, say) is asked ``again``, an audience refused (a unit removed meanwhile) chosen
    again; a story sent, gone or out of reach ends the round."""
    try:
        await context.services.stories.edit(context.actor, data["id"], **changes)
    except UserFacingError as error:
        if (
            again == AUDIENCE
            and not isinstance(error, Conflict)
            and await shared.is_board_unit(context, data["unit_id"])
        ):
            await audience.ask_again(update, data, error)  # a chosen unit changed meanwhile
            return AUDIENCE
        await reply(update, error.render_html())
        if isinstance(error, InvalidInput) and again != AUDIENCE:
            return again
        return flow.close(context, NAME)
    flow.close(context, NAME)
    await board.show_preview(
        update,
        context,
        data["id"],
        intro=gettext("Saved. Story {id} as the members will receive it:").format(id=data["id"]),
    )
    return shared.END


@step(NAME, DATA_KEY)
async def on_title(update: Update, context: CadreContext, data: dict) -> int:
    return await _change(update, context, data, TITLE, title=shared.text_of(update))


@step(NAME, DATA_KEY)
async def on_body_part(update: Update, context: CadreContext, data: dict) -> int:
    await shared.add_body_part(update, data)
    return BODY


@step(NAME, DATA_KEY, button=True)
async def on_body_done(update: Update, context: CadreContext, data: dict) -> int:
    try:
        body = clean_body(shared.body_of(data))
    except UserFacingError as error:
        data.pop("body_parts", None)
        await reply(update, error.render_html() + "\n" + gettext("Please send the body again."))
        return BODY
    return await _change(update, context, data, BODY, body=body)


@step(NAME, DATA_KEY)
async def on_photo(update: Update, context: CadreContext, data: dict) -> int:
    photo = shared.photo_of(update)
    if photo is None:
        await reply(
            update,
            gettext("Please send a photo (as a picture, not a file), or press «No photo»."),
            reply_markup=keyboard([(gettext("No photo"), cb.STORY_REMOVE_PHOTO())]),
        )
        return PHOTO
    return await _change(update, context, data, PHOTO, photo=photo)


@step(NAME, DATA_KEY, button=True)
async def on_remove_photo(update: Update, context: CadreContext, data: dict) -> int:
    return await _change(update, context, data, PHOTO, photo=None)


@step(NAME, DATA_KEY, button=True)
async def on_tag(update: Update, context: CadreContext, data: dict) -> int:
    values = parse_button(cb.STORY_TAG, update)
    if values is None:
        return flow.close(context, NAME)
    return await _change(update, context, data, TAG, tag=values[0])


@step(NAME, DATA_KEY, button=True, keep=True)
async def on_audience(update: Update, context: CadreContext, data: dict) -> int:
    chosen = await audience.handle(update, context, data)
    if chosen is None:
        return AUDIENCE
    return await _change(update, context, data, AUDIENCE, audience=chosen)


@step(NAME, DATA_KEY, button=True)
async def on_channels(update: Update, context: CadreContext, data: dict) -> int:
    yes = parse_button(cb.STORY_CHANNELS, update) == ("yes",)
    return await _change(update, context, data, CHANNELS, to_channels=yes)


async def cancel(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. The story was not changed."))
    return flow.close(context, NAME)


async def use_buttons(update: Update, context: CadreContext) -> None:
    await shared.use_buttons(update)


def conversation(application: Application) -> ConversationHandler:
    other = ~filters.COMMAND
    return flow.conversation(
        application,
        FLOW,
        entry_points=[
            CommandHandler("story", start, filters=shared.subcommand("edit")),
            CallbackQueryHandler(start, pattern=cb.STORY_EDIT.pattern),
        ],
        states={
            FIELD: [
                CallbackQueryHandler(on_field, pattern=cb.STORY_FIELD.pattern),
                MessageHandler(other, use_buttons),
            ],
            TITLE: [MessageHandler(other, on_title)],
            BODY: [
                CallbackQueryHandler(on_body_done, pattern=cb.STORY_BODY_DONE.pattern),
                MessageHandler(other, on_body_part),
            ],
            PHOTO: [
                CallbackQueryHandler(on_remove_photo, pattern=cb.STORY_REMOVE_PHOTO.pattern),
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
