"""The board's /story commands that answer at once: the menu, the list, a story's preview
with its overview and actions, sending now, keeping a draft, withdrawing a scheduled story
(after a confirmation) and the figures.

The buttons under a preview that act on the story (send, schedule, withdraw) carry its stamp
as shown: pressed after the story changed, they are refused and the story shown again.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks as cb
from bot.callbacks import Button
from bot.context import CadreContext
from bot.errors import Conflict, UserFacingError
from bot.i18n import N_, format_datetime, format_number, gettext
from bot.render import story_notices, story_views
from bot.services.stories import StoryOverview, story_params
from handlers.replies import h, reply, reply_lines
from handlers.stories.shared import show_story
from handlers.ui import answer, keyboard, parse_button, pressed, refuse_button

LIST_SIZE = 20
TITLE_SHOWN = 48  # characters of a title on a button

SUBCOMMANDS = (
    ("new", N_("write a story: title, body, photo, tag, audience; preview, then send")),
    ("list", N_("the board's stories, newest first")),
    ("show ID", N_("the preview, its status, who wrote it and when")),
    ("edit ID", N_("change a story not sent yet")),
    ("cancel ID", N_("withdraw a scheduled story")),
    ("stats ID", N_("recipients, deliveries and «Read and learned» per unit")),
)


async def show_menu(update: Update) -> None:
    lines = [gettext("<b>Stories</b> — what you can do:")]
    lines += [f"/story {h(name)} — {gettext(what)}" for name, what in SUBCOMMANDS]
    await reply(update, "\n".join(lines))


def _short(title: str) -> str:
    return title if len(title) <= TITLE_SHOWN else title[: TITLE_SHOWN - 1] + "…"


async def show_list(update: Update, context: CadreContext) -> None:
    service = context.services.stories
    stories = await service.list(context.actor, LIST_SIZE)
    pairs = [(story, service.status(story)) for story in stories]
    rows = [[(f"#{story.id} {_short(story.title)}", cb.STORY_SHOW(story.id))] for story in stories]
    await reply_lines(update, story_views.list_lines(pairs), keyboard(*rows) if rows else None)


def actions(overview: StoryOverview, *, new: bool = False) -> InlineKeyboardMarkup:
    """What can be done with the story now; ``new``: just written (it can stay a draft)."""
    story_id, stamp = overview.story.id, overview.stamp
    if overview.status == "draft":
        rows = [
            [
                (gettext("Send now"), cb.STORY_SEND(story_id, stamp)),
                (gettext("Schedule"), cb.STORY_SCHEDULE(story_id, stamp)),
            ],
            [(gettext("Edit"), cb.STORY_EDIT(story_id))],
        ]
        if new:
            rows[1].append((gettext("Keep as a draft"), cb.STORY_KEEP(story_id)))
        return keyboard(*rows)
    if overview.status == "scheduled":
        return keyboard(
            [
                (gettext("Send now"), cb.STORY_SEND(story_id, stamp)),
                (gettext("Change the time"), cb.STORY_SCHEDULE(story_id, stamp)),
            ],
            [
                (gettext("Edit"), cb.STORY_EDIT(story_id)),
                (gettext("Withdraw"), cb.STORY_CANCEL(story_id)),
            ],
        )
    return keyboard([(gettext("Figures"), cb.STORY_STATS(story_id))])


async def show_preview(
    update: Update, context: CadreContext, story_id: int, *, intro: str | None = None
) -> None:
    """The story exactly as members will receive it, then its overview and actions."""
    service = context.services.stories
    overview = await service.overview(context.actor, story_id)
    channels = [c.title for c in await service.channels()] if overview.story.to_channels else []
    if intro:
        await reply(update, intro)
    text, rows = story_notices.story(story_params(overview.story)["story"], preview=True)
    await show_story(update, text, rows, overview.story.photo)
    lines = story_views.overview_lines(overview, channels)
    if overview.status == "draft" and intro is not None:
        lines.append(
            gettext(
                "It is saved as a draft: nothing is sent until you press «Send now» or «Schedule»."
            )
        )
    await reply_lines(update, lines, actions(overview, new=intro is not None))


async def show_one(update: Update, context: CadreContext, story_id: int) -> None:
    await show_preview(update, context, story_id)


async def on_show(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_SHOW, update)
    if values is None:
        return
    try:
        await show_preview(update, context, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)


def stale() -> str:
    return N_("This button is no longer active. Please look at the story again: /story list")


async def _values(button: Button, update: Update) -> tuple | None:
    """The pressed button's values; None (the person told) when it is not a live one."""
    values = parse_button(button, update)
    if values is None:
        await refuse_button(update, gettext(stale()))
    return values


async def _refuse_changed(update: Update, context: CadreContext, error: UserFacingError) -> None:
    """A refusal; when the story changed since the buttons were shown, they come off."""
    await refuse_button(update, error, drop=isinstance(error, Conflict) or None)


async def on_send(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_SEND, update)
    if values is None:
        return
    story_id, seen = values
    try:
        story = await context.services.stories.send_now(context.actor, story_id, seen=seen)
    except UserFacingError as error:
        await _refuse_changed(update, context, error)
        return
    await pressed(update)
    await reply(
        update,
        gettext(
            "Story {id} is being sent to {count} recipients. See the figures with "
            "/story stats {id}."
        ).format(id=story.id, count=format_number(story.recipients)),
    )


async def on_keep(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_KEEP, update)
    if values is None:
        return
    try:  # the board's button: anyone else is refused, as for the others under a preview
        await context.services.stories.get(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await pressed(update)
    await reply(
        update,
        gettext(
            "Story {id} stays a draft. Send or schedule it later with /story show {id}."
        ).format(id=values[0]),
    )


async def on_preview_read(update: Update, context: CadreContext) -> None:
    await answer(
        update,
        gettext("This is the preview: the members' «Read and learned» will be counted."),
        alert=True,
    )


# Withdrawing a scheduled story ----------------------------------------------------------------


async def cancel_ask(update: Update, context: CadreContext, story_id: int) -> None:
    overview = await context.services.stories.overview(context.actor, story_id)
    story = overview.story
    if overview.status != "scheduled" or story.send_at is None:
        raise Conflict(
            N_("Only a scheduled story can be withdrawn. See its status with /story show {id}."),
            id=story.id,
        )
    await reply(
        update,
        gettext(
            "Withdraw story {id} «{title}», scheduled for {time}? It will not be sent and "
            "becomes a draft again."
        ).format(id=story.id, title=h(story.title), time=format_datetime(story.send_at)),
        reply_markup=keyboard(
            [(gettext("Withdraw the story"), cb.STORY_CANCEL_OK(story.id, overview.stamp))]
        ),
    )


async def on_cancel(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_CANCEL, update)
    if values is None:
        return
    try:
        await cancel_ask(update, context, values[0])
    except UserFacingError as error:
        await _refuse_changed(update, context, error)
        return
    await answer(update)


async def on_cancel_ok(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_CANCEL_OK, update)
    if values is None:
        return
    story_id, seen = values
    try:
        story = await context.services.stories.cancel(context.actor, story_id, seen=seen)
    except UserFacingError as error:
        await _refuse_changed(update, context, error)
        return
    await pressed(update)
    await reply(
        update,
        gettext(
            "Story {id} is withdrawn: nothing will be sent. It is a draft again (/story show {id})."
        ).format(id=story.id),
    )


# Figures --------------------------------------------------------------------------------------


async def show_stats(update: Update, context: CadreContext, story_id: int) -> None:
    service = context.services.stories
    stats = await service.stats(context.actor, story_id)
    await reply_lines(update, story_views.stats_lines(stats, service.status(stats.story)))


async def on_stats(update: Update, context: CadreContext) -> None:
    values = await _values(cb.STORY_STATS, update)
    if values is None:
        return
    try:
        await show_stats(update, context, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(on_show, pattern=cb.STORY_SHOW.pattern),
        CallbackQueryHandler(on_send, pattern=cb.STORY_SEND.pattern),
        CallbackQueryHandler(on_keep, pattern=cb.STORY_KEEP.pattern),
        CallbackQueryHandler(on_preview_read, pattern=cb.STORY_PREVIEW_READ.pattern),
        CallbackQueryHandler(on_cancel, pattern=cb.STORY_CANCEL.pattern),
        CallbackQueryHandler(on_cancel_ok, pattern=cb.STORY_CANCEL_OK.pattern),
        CallbackQueryHandler(on_stats, pattern=cb.STORY_STATS.pattern),
    ]
