"""/calendar: the coming days for everyone; for the board, the stories attached, removing a
day (after a confirmation), and attaching a story to a day (by command or from the
reminder's button). Telegram only: the rules live in the calendar service."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_date, format_datetime, gettext
from bot.parsing import parse_whole_number
from bot.render import calendar as render
from bot.rules import calendar as rules
from bot.services.calendar import AttachPlan
from handlers.replies import h, reply, reply_lines
from handlers.ui import keyboard, parse_button, pressed, refuse_button, stale_text

USAGE = (
    ("add", N_("add a day for your unit")),
    ("edit ID", N_("change a day's name, date, year of origin or reminder")),
    ("remove ID", N_("take a day off the calendar")),
    ("attach ID STORY_ID", N_("attach a story to the day's next occurrence")),
)
TITLE_SHOWN = 60


def parse_id(text: str, example: str) -> int:
    value = parse_whole_number(text.strip().lstrip("#"))
    if value is None:
        raise InvalidInput(
            N_("Please give the day's number, for example: {example}"), example=example
        )
    return value


async def show_list(update: Update, context: CadreContext) -> None:
    service = context.services.calendar
    actor = context.actor
    board = service.is_board(actor)
    occurrences = await service.upcoming(actor)
    if not occurrences:
        await reply(update, gettext("No commemorative day is coming up in the calendar."))
        return
    lines = [gettext("<b>Commemorative days ahead</b>")]
    lines += render.occurrence_lines(occurrences, board=board, story_status=service.story_status)
    if board:
        lines.append("")
        lines += [f"/calendar {h(name)} — {gettext(what)}" for name, what in USAGE]
    await reply_lines(update, lines)


async def remove_ask(update: Update, context: CadreContext, day_id: int) -> None:
    occurrence = await context.services.calendar.managed(context.actor, day_id)
    day = occurrence.day
    question = gettext("Remove day {id}, <b>{name}</b> ({date}), from the calendar?").format(
        id=day.id, name=h(day.name_vi), date=f"{day.day:02d}/{day.month:02d}"
    )
    await reply(
        update,
        question,
        reply_markup=keyboard([(gettext("Yes, remove it"), cb.CAL_REMOVE_OK(day.id))]),
    )


async def remove_confirmed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.CAL_REMOVE_OK, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        day = await context.services.calendar.remove(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await pressed(update)
    await reply(
        update,
        gettext("Day {id}, <b>{name}</b>, is removed from the calendar.").format(
            id=day.id, name=h(day.name_vi)
        ),
    )


# Attaching a story ----------------------------------------------------------------------------


async def attach_command(update: Update, context: CadreContext, rest: list[str]) -> None:
    example = "/calendar attach 1 12"
    if len(rest) < 2:
        raise InvalidInput(
            N_("Please give the day's number and the story's, for example: {example}"),
            example=example,
        )
    day_id = parse_id(rest[0], example)
    story_id = parse_id(rest[1], example)
    await _attach(update, context, day_id, story_id)


async def _attach(update: Update, context: CadreContext, day_id: int, story_id: int) -> None:
    service = context.services.calendar
    plan = await service.plan_attach(context.actor, day_id, story_id)
    if plan.schedule_at is not None:
        await reply(
            update,
            gettext(
                "Story {id} «{title}» is a draft. Schedule it for {when} and attach it to "
                "<b>{occasion}</b>?"
            ).format(
                id=plan.story.id,
                title=h(plan.story.title),
                when=format_datetime(plan.schedule_at),
                occasion=h(_occasion(plan)),
            ),
            reply_markup=keyboard(
                [(gettext("Schedule and attach"), cb.CAL_ATTACH_OK(day_id, story_id))]
            ),
        )
        return
    done = await service.attach_story(context.actor, day_id, story_id)
    await _attached(update, done)


def _occasion(plan: AttachPlan) -> str:
    count = rules.anniversary(plan.day.origin_year, plan.on.year)
    return render.occasion(plan.day.name_vi, plan.day.name_en, count)


async def _attached(update: Update, plan: AttachPlan) -> None:
    when = format_datetime(plan.story.send_at) if plan.story.send_at else ""
    await reply(
        update,
        gettext(
            "Story {id} «{title}» is attached to <b>{occasion}</b> ({date}). It goes out at "
            "{when}; the board is no longer reminded of this day."
        ).format(
            id=plan.story.id,
            title=h(plan.story.title),
            occasion=h(_occasion(plan)),
            date=format_date(plan.on),
            when=when,
        ),
    )


async def attach_confirmed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.CAL_ATTACH_OK, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        done = await context.services.calendar.attach_story(
            context.actor, values[0], values[1], schedule_draft=True
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return
    await pressed(update)
    await _attached(update, done)


async def attach_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.CAL_ATTACH, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        await pressed(update)
        await _attach(update, context, values[0], values[1])
    except UserFacingError as error:
        await reply(update, error.render_html())


async def pick(update: Update, context: CadreContext) -> None:
    """The reminder's button: the board's stories that may be attached to the day."""
    values = parse_button(cb.CAL_PICK, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    try:
        occurrence, stories = await context.services.calendar.candidates(context.actor, values[0])
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await pressed(update)
    name = render.occasion(occurrence.day.name_vi, occurrence.day.name_en, occurrence.count)
    if not stories:
        await reply(
            update,
            gettext(
                "You have no draft or scheduled story to attach to <b>{occasion}</b> yet. "
                "Write one with /story, then send /calendar attach {id} STORY_ID."
            ).format(occasion=h(name), id=occurrence.day.id),
        )
        return
    rows = [
        [(f"{s.id} · {_short(s.title)}", cb.CAL_ATTACH(occurrence.day.id, s.id))] for s in stories
    ]
    await reply(
        update,
        gettext("Which story should go out for <b>{occasion}</b> ({date})?").format(
            occasion=h(name), date=format_date(occurrence.on)
        ),
        reply_markup=keyboard(*rows),
    )


def _short(title: str) -> str:
    return title if len(title) <= TITLE_SHOWN else title[: TITLE_SHOWN - 1] + "…"


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(remove_confirmed, pattern=cb.CAL_REMOVE_OK.pattern),
        CallbackQueryHandler(attach_confirmed, pattern=cb.CAL_ATTACH_OK.pattern),
        CallbackQueryHandler(attach_pressed, pattern=cb.CAL_ATTACH.pattern),
        CallbackQueryHandler(pick, pattern=cb.CAL_PICK.pattern),
    ]
