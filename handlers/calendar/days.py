"""/calendar add and /calendar edit ID: the board's guided steps (conversations
``calendar_add`` and ``calendar_edit``).

Adding: the unit (when the person may add for several, or for the whole organisation), the
Vietnamese name, the English name (may be skipped), the date DD/MM, the year of origin (may be
skipped), how many days before to remind the board (7 unless changed); then a summary to
confirm. Editing: one field at a time, its new value shown to confirm before it is saved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

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
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.parsing import parse_whole_number
from bot.rules import calendar as rules
from handlers import flow
from handlers.calendar.view import parse_id
from handlers.replies import h, reply
from handlers.ui import keyboard, parse_button, pressed

ADD, EDIT = "calendar_add", "calendar_edit"
DRAFT_KEY, EDIT_KEY = "calendar_draft", "calendar_edit"
FLOW_WHAT = N_("a calendar step (/calendar)")
ADD_FLOW = flow.FlowSpec(ADD, FLOW_WHAT, draft_keys=(DRAFT_KEY,))
EDIT_FLOW = flow.FlowSpec(EDIT, FLOW_WHAT, draft_keys=(EDIT_KEY,))
(
    ADD_UNIT,
    ADD_NAME_VI,
    ADD_NAME_EN,
    ADD_DATE,
    ADD_ORIGIN,
    ADD_REMIND,
    ADD_CONFIRM,
    EDIT_FIELD,
    EDIT_VALUE,
    EDIT_CONFIRM,
) = range(10)
UNITS_SHOWN = 20
ORGANISATION = 0  # the unit button's id for "the whole organisation"

FIELD_NAMES = {
    "name_vi": N_("Name (Vietnamese)"),
    "name_en": N_("Name (English)"),
    "date": N_("Date"),
    "origin_year": N_("Year of origin"),
    "remind_days": N_("Reminder"),
}

Step = Callable[..., Awaitable[int]]


def subcommand(name: str) -> filters.BaseFilter:
    return filters.Regex(re.compile(rf"^/calendar(@\w+)?\s+{name}(\s|$)", re.IGNORECASE))


def _text(update: Update) -> str:
    return update.effective_message.text or "" if update.effective_message else ""


async def _expired(update: Update, context: CadreContext, name: str) -> int:
    await reply(update, gettext("This step has expired. Please send the command again."))
    return flow.close(context, name)


def step(name: str, key: str, *, button: bool = False) -> Callable[[Step], Step]:
    """A step of flow ``name``: a pressed button is answered and taken off; the flow's data
    is passed on, or the step ends politely when it is gone."""

    def wrap(func: Step) -> Step:
        @functools.wraps(func)
        async def run(update: Update, context: CadreContext) -> int:
            data = context.user_data.get(key)
            # A step taking text or Skip answers Skip itself, but only with its data: when
            # the data is gone, Skip is answered here, or it would spin.
            if button or (data is None and update.callback_query is not None):
                await pressed(update)
            if data is None:
                return await _expired(update, context, name)
            return await func(update, context, data)

        return run

    return wrap


def _skip_button() -> Any:
    return keyboard([(gettext("Skip"), cb.CAL_SKIP())])


def _date(draft: dict) -> str:
    return f"{draft['day']:02d}/{draft['month']:02d}"


# Adding -----------------------------------------------------------------------------------


async def add_start(update: Update, context: CadreContext) -> int:
    if await flow.refuse_if_busy(update, context, ADD):
        return ConversationHandler.END
    try:
        choices = context.services.calendar.add_choices(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, ADD)
    context.user_data[DRAFT_KEY] = {}
    options = [(gettext("The whole organisation"), ORGANISATION)] if choices.organisation else []
    options += [(u.name, u.id) for u in choices.units[:UNITS_SHOWN]]
    if len(options) > 1:
        await reply(
            update,
            gettext("Whose day is it?"),
            reply_markup=keyboard(*[[(label, cb.CAL_ADD_UNIT(uid))] for label, uid in options]),
        )
        return ADD_UNIT
    label, unit_id = options[0]
    return await _ask_name(update, context.user_data[DRAFT_KEY], unit_id, label)


async def _ask_name(update: Update, draft: dict, unit_id: int, label: str) -> int:
    draft.update(unit_id=unit_id or None, unit_name=label)
    await reply(
        update,
        gettext("A new day for <b>{unit}</b>. Please send its name in Vietnamese.").format(
            unit=h(label)
        ),
    )
    return ADD_NAME_VI


@step(ADD, DRAFT_KEY, button=True)
async def add_unit(update: Update, context: CadreContext, draft: dict) -> int:
    (unit_id,) = parse_button(cb.CAL_ADD_UNIT, update) or (None,)
    try:
        choices = context.services.calendar.add_choices(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, ADD)
    if unit_id == ORGANISATION and choices.organisation:
        return await _ask_name(update, draft, ORGANISATION, gettext("The whole organisation"))
    for unit in choices.units:
        if unit.id == unit_id:
            return await _ask_name(update, draft, unit.id, unit.name)
    return await _expired(update, context, ADD)


async def _take(update: Update, check: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, check()
    except UserFacingError as error:
        await reply(update, error.render_html())
        return False, None


@step(ADD, DRAFT_KEY)
async def add_name_vi(update: Update, context: CadreContext, draft: dict) -> int:
    ok, name = await _take(update, lambda: rules.clean_name(_text(update)))
    if not ok:
        return ADD_NAME_VI
    draft["name_vi"] = name
    await reply(
        update,
        gettext("Its name in English? Send it, or press Skip."),
        reply_markup=_skip_button(),
    )
    return ADD_NAME_EN


@step(ADD, DRAFT_KEY)
async def add_name_en(update: Update, context: CadreContext, draft: dict) -> int:
    skipped = update.callback_query is not None
    if skipped:
        await pressed(update)
        draft["name_en"] = ""
    else:
        ok, name = await _take(update, lambda: rules.clean_name(_text(update), required=False))
        if not ok:
            return ADD_NAME_EN
        draft["name_en"] = name
    await reply(
        update, gettext("On what date is it every year? Send the day and month, like 03/02.")
    )
    return ADD_DATE


@step(ADD, DRAFT_KEY)
async def add_date(update: Update, context: CadreContext, draft: dict) -> int:
    ok, found = await _take(update, lambda: rules.parse_day_month(_text(update)))
    if not ok:
        return ADD_DATE
    draft["day"], draft["month"] = found
    await reply(
        update,
        gettext(
            "In what year was it first marked (for example 1930)? Each anniversary then says how "
            "many years it marks. Send the year, or press Skip."
        ),
        reply_markup=_skip_button(),
    )
    return ADD_ORIGIN


def _origin(context: CadreContext, text: str) -> int | None:
    if text.strip() == "-":
        return None
    year = parse_whole_number(text)
    if year is None:
        raise InvalidInput(N_("Please send a year, like 1930."))
    return rules.check_origin_year(year, context.services.clock.today().year)


def _remind(text: str) -> int:
    days = parse_whole_number(text)
    if days is None:
        return rules.check_remind_days(-1)  # raises, with the allowed range
    return rules.check_remind_days(days)


@step(ADD, DRAFT_KEY)
async def add_origin(update: Update, context: CadreContext, draft: dict) -> int:
    if update.callback_query is not None:
        await pressed(update)
        draft["origin_year"] = None
    else:
        ok, year = await _take(update, lambda: _origin(context, _text(update)))
        if not ok:
            return ADD_ORIGIN
        draft["origin_year"] = year
    await reply(
        update,
        gettext(
            "How many days before should the propaganda board be reminded to prepare a story "
            "(0 to {high}; 0: no reminder)? Send a number, or press Skip to keep {default}."
        ).format(high=rules.REMIND_MAX, default=rules.REMIND_DEFAULT),
        reply_markup=_skip_button(),
    )
    return ADD_REMIND


@step(ADD, DRAFT_KEY)
async def add_remind(update: Update, context: CadreContext, draft: dict) -> int:
    if update.callback_query is not None:
        await pressed(update)
        draft["remind_days"] = rules.REMIND_DEFAULT
    else:
        ok, days = await _take(update, lambda: _remind(_text(update)))
        if not ok:
            return ADD_REMIND
        draft["remind_days"] = days
    return await _summary(update, draft)


def _summary_lines(draft: dict) -> list[str]:
    dash = "—"
    return [
        gettext("Unit: {unit}").format(unit=h(draft["unit_name"])),
        gettext("Name (Vietnamese): {name}").format(name=h(draft["name_vi"])),
        gettext("Name (English): {name}").format(name=h(draft.get("name_en") or dash)),
        gettext("Date: {date} every year").format(date=_date(draft)),
        gettext("Year of origin: {year}").format(year=draft.get("origin_year") or dash),
        _reminder_line(draft["remind_days"]),
    ]


def _reminder_line(days: int) -> str:
    if not days:
        return gettext("Reminder: none")
    if days == 1:
        return gettext("Reminder: 1 day before, at 08:00")
    return gettext("Reminder: {days} days before, at 08:00").format(days=days)


async def _summary(update: Update, draft: dict) -> int:
    lines = [gettext("Please check the day before it is saved:"), *_summary_lines(draft)]
    await reply(
        update,
        "\n".join(lines),
        reply_markup=keyboard(
            [
                (gettext("Save"), cb.CAL_ADD_SAVE("save")),
                (gettext("Start again"), cb.CAL_ADD_SAVE("redo")),
            ]
        ),
    )
    return ADD_CONFIRM


@step(ADD, DRAFT_KEY, button=True)
async def add_save(update: Update, context: CadreContext, draft: dict) -> int:
    if parse_button(cb.CAL_ADD_SAVE, update) != ("save",) or "remind_days" not in draft:
        return await _ask_name(update, draft, draft.get("unit_id") or 0, draft["unit_name"])
    try:
        day = await context.services.calendar.add(
            context.actor,
            unit_id=draft["unit_id"],
            name_vi=draft["name_vi"],
            name_en=draft.get("name_en", ""),
            day=draft["day"],
            month=draft["month"],
            origin_year=draft.get("origin_year"),
            remind_days=draft["remind_days"],
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, ADD)
    await reply(
        update,
        gettext(
            "Day {id}, <b>{name}</b> ({date}), is in the calendar. See it with /calendar."
        ).format(id=day.id, name=h(day.name_vi), date=_date(draft)),
    )
    return flow.close(context, ADD)


# Editing ----------------------------------------------------------------------------------


async def edit_start(update: Update, context: CadreContext) -> int:
    if await flow.refuse_if_busy(update, context, EDIT):
        return ConversationHandler.END
    try:
        rest = (context.args or [])[1:]
        if not rest:
            raise InvalidInput(
                N_("Please give the day's number, for example: {example}"),
                example="/calendar edit 3",
            )
        occurrence = await context.services.calendar.managed(
            context.actor, parse_id(rest[0], "/calendar edit 3")
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, EDIT)
    day = occurrence.day
    context.user_data[EDIT_KEY] = {"day_id": day.id}
    fields = [f for f in FIELD_NAMES if f != "date" or day.kind == rules.DayKind.SOLAR]
    draft = {
        "unit_name": occurrence.unit.name if occurrence.unit else gettext("The whole organisation"),
        "name_vi": day.name_vi,
        "name_en": day.name_en,
        "day": day.day,
        "month": day.month,
        "origin_year": day.origin_year,
        "remind_days": day.remind_days,
    }
    await reply(
        update,
        "\n".join(
            [
                gettext("Day {id}:").format(id=day.id),
                *_summary_lines(draft),
                "",
                gettext("What do you want to change?"),
            ]
        ),
        reply_markup=keyboard(*[[(gettext(FIELD_NAMES[f]), cb.CAL_EDIT_FIELD(f))] for f in fields]),
    )
    return EDIT_FIELD


QUESTIONS = {
    "name_vi": N_("Please send the new name in Vietnamese."),
    "name_en": N_("Please send the new name in English, or - to leave it out."),
    "date": N_("Please send the new date, like 03/02."),
    "origin_year": N_("Please send the year of origin, like 1930, or - to leave it out."),
    "remind_days": N_(
        "How many days before should the board be reminded (0 to 60; 0: no reminder)?"
    ),
}


@step(EDIT, EDIT_KEY, button=True)
async def edit_field(update: Update, context: CadreContext, data: dict) -> int:
    values = parse_button(cb.CAL_EDIT_FIELD, update)
    if values is None:
        return await _expired(update, context, EDIT)
    data["field"] = values[0]
    await reply(update, gettext(QUESTIONS[values[0]]))
    return EDIT_VALUE


def _change(context: CadreContext, field: str, text: str) -> dict[str, object]:
    """The typed value, checked, as the service's change."""
    if field == "date":
        return {"date": rules.parse_day_month(text)}
    if field == "origin_year":
        return {"origin_year": _origin(context, text)}
    if field == "remind_days":
        return {"remind_days": _remind(text)}
    return {field: rules.clean_name(text, required=field == "name_vi")}


def _shown(changes: dict[str, object]) -> str:
    ((field, value),) = changes.items()
    if field == "date":
        day, month = value  # type: ignore[misc]
        return f"{day:02d}/{month:02d}"
    if value in (None, ""):
        return "—"
    return h(value)


@step(EDIT, EDIT_KEY)
async def edit_value(update: Update, context: CadreContext, data: dict) -> int:
    field = data.get("field")
    if field not in FIELD_NAMES:
        return await _expired(update, context, EDIT)
    ok, changes = await _take(update, lambda: _change(context, field, _text(update)))
    if not ok:
        return EDIT_VALUE
    data["value"] = _text(update)
    await reply(
        update,
        gettext("Change «{field}» of day {id} to: <b>{value}</b>?").format(
            field=gettext(FIELD_NAMES[field]), id=data["day_id"], value=_shown(changes)
        ),
        reply_markup=keyboard(
            [
                (gettext("Save"), cb.CAL_EDIT_SAVE("save")),
                (gettext("Edit"), cb.CAL_EDIT_SAVE("again")),
            ]
        ),
    )
    return EDIT_CONFIRM


@step(EDIT, EDIT_KEY, button=True)
async def edit_save(update: Update, context: CadreContext, data: dict) -> int:
    field = data.get("field")
    if field not in FIELD_NAMES or "value" not in data:
        return await _expired(update, context, EDIT)
    if parse_button(cb.CAL_EDIT_SAVE, update) != ("save",):
        await reply(update, gettext(QUESTIONS[field]))
        return EDIT_VALUE
    try:
        changes = _change(context, field, data["value"])
        day = await context.services.calendar.edit(context.actor, data["day_id"], **changes)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, EDIT)
    await reply(
        update,
        gettext("Day {id}, <b>{name}</b>, is changed. See it with /calendar.").format(
            id=day.id, name=h(day.name_vi)
        ),
    )
    return flow.close(context, EDIT)


async def cancel_add(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, ADD)


async def cancel_edit(update: Update, context: CadreContext) -> int:
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return flow.close(context, EDIT)


def conversations(application: Application) -> list[ConversationHandler]:
    text = filters.TEXT & ~filters.COMMAND
    skip = CallbackQueryHandler
    adding = flow.conversation(
        application,
        ADD_FLOW,
        entry_points=[CommandHandler("calendar", add_start, filters=subcommand("add"))],
        states={
            ADD_UNIT: [CallbackQueryHandler(add_unit, pattern=cb.CAL_ADD_UNIT.pattern)],
            ADD_NAME_VI: [MessageHandler(text, add_name_vi)],
            ADD_NAME_EN: [
                MessageHandler(text, add_name_en),
                skip(add_name_en, pattern=cb.CAL_SKIP.pattern),
            ],
            ADD_DATE: [MessageHandler(text, add_date)],
            ADD_ORIGIN: [
                MessageHandler(text, add_origin),
                skip(add_origin, pattern=cb.CAL_SKIP.pattern),
            ],
            ADD_REMIND: [
                MessageHandler(text, add_remind),
                skip(add_remind, pattern=cb.CAL_SKIP.pattern),
            ],
            ADD_CONFIRM: [CallbackQueryHandler(add_save, pattern=cb.CAL_ADD_SAVE.pattern)],
        },
        fallbacks=[CommandHandler("cancel", cancel_add)],
    )
    editing = flow.conversation(
        application,
        EDIT_FLOW,
        entry_points=[CommandHandler("calendar", edit_start, filters=subcommand("edit"))],
        states={
            EDIT_FIELD: [CallbackQueryHandler(edit_field, pattern=cb.CAL_EDIT_FIELD.pattern)],
            EDIT_VALUE: [MessageHandler(text, edit_value)],
            EDIT_CONFIRM: [CallbackQueryHandler(edit_save, pattern=cb.CAL_EDIT_SAVE.pattern)],
        },
        fallbacks=[CommandHandler("cancel", cancel_edit)],
    )
    return [adding, editing]
