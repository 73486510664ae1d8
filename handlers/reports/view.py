"""/report [UNIT_CODE] [YEAR] [H1|H2|Q1..Q4|M01..M12]: the overview of a unit over a period,
one line per child unit with a button to drill into it, down to a cell's members and to one
member's line. Telegram only: the figures come from the report service, the words from
bot/render/reports.py.

Every button carries the unit (or member) id, the year and the part of the year, so a press
is answered from the database as it is then, through the same scope check as the command:
a forged or stale button for a unit the person does not oversee is refused, and shows
nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.parsing import check_year
from bot.render.reports import legend, member_detail, members_lines, overview_lines
from bot.render.text import strip_control
from bot.rules import reports as rules
from bot.services.reports.model import MemberLine, Period
from handlers.replies import reply, reply_lines
from handlers.reports import extras
from handlers.ui import Row, answer, keyboard, parse_button, refuse_button, stale_text
from storage.records import Unit

PAGE_SIZE = 30  # child units or members per message
PAGES = len(cb.PAGE.choices)
LABEL_MAX = 40  # characters of a name on a button
UP = "⬆️"
T = TypeVar("T")

USAGE = N_("Please write: /report [UNIT_CODE] [YEAR] [H1|H2|Q1..Q4], for example /report 2026 H1")


# Reading what was typed -----------------------------------------------------------------------


def parse_args(args: Sequence[str]) -> tuple[str | None, int | None, str | None]:
    """(unit code, year, part) from the words after /report, in any order: a number is the
    year, ``H1``/``Q3``/``M05`` (any case) the part, anything else the unit's code."""
    unit: str | None = None
    year: int | None = None
    part: str | None = None
    for word in args:
        if word.isascii() and word.isdigit() and year is None:
            year = check_year(int(word) if len(word) <= 8 else 0, word)
        elif re.fullmatch(r"[hqmHQM]\d{1,2}", word) and part is None:
            part = word
        elif unit is None:
            unit = word
        else:
            raise InvalidInput(USAGE)
    return unit, year, part


def _page(items: Sequence[T], page: int) -> tuple[Sequence[T], int, int]:
    """The items of ``page`` (kept within the pages there are), the page and the count."""
    count = max(1, min(PAGES, -(-len(items) // PAGE_SIZE)))
    page = max(0, min(page, count - 1))
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, count


def _label(text: str) -> str:
    text = " ".join(strip_control(text).split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _pairs(buttons: list[tuple[str, str]]) -> list[Row]:
    return [buttons[index : index + 2] for index in range(0, len(buttons), 2)]


def _nav(button: cb.Button, unit: Unit, period: Period, page: int, count: int) -> list[Row]:
    """◀ and ▶ between the pages of a long list."""
    code = rules.part_code(period)
    row = []
    if page > 0:
        row.append(("◀️ " + gettext("Previous"), button(unit.id, period.year, code, str(page - 1))))
    if page < count - 1:
        row.append((gettext("Next") + " ▶️", button(unit.id, period.year, code, str(page + 1))))
    return [row] if row else []


# Showing ------------------------------------------------------------------------------------


async def show_overview(
    update: Update,
    context: CadreContext,
    unit: Unit | str | int | None,
    period: Period,
    page: int = 0,
    others: Sequence[Unit] = (),
) -> None:
    """A unit's overview: a page of its child units with a button each (a cell: a page of
    its members), the totals, "Back up" when the unit above is in scope, the other units
    the person oversees, and the other features' buttons."""
    service = context.services.reports
    actor = context.actor
    overview = await service.overview(actor, unit, period)
    top = overview.total.unit
    code = rules.part_code(period)
    buttons: list[Row] = []
    if overview.rows:
        shown, page, count = _page(overview.rows, page)
        lines = overview_lines(overview, rows=shown)
        buttons += _pairs(
            [
                (_label(row.unit.name), cb.REPORT_UNIT(row.unit.id, period.year, code, "0"))
                for row in shown
            ]
        )
        buttons += _nav(cb.REPORT_UNIT, top, period, page, count)
        own = overview.total.members - sum(row.members for row in overview.rows)
        if own:
            label = gettext("Members of {unit} itself ({count})").format(
                unit=_label(top.name), count=own
            )
            buttons.append([(label, cb.REPORT_MEMBERS(top.id, period.year, code, "0"))])
    else:
        _, members = await service.members(actor, top.id, period)
        shown, page, count = _page(members, page)
        first = page * PAGE_SIZE + 1
        lines = [*overview_lines(overview), "", *members_lines(top, period, shown, first)]
        buttons += _member_buttons(shown, first, period)
        buttons += _nav(cb.REPORT_UNIT, top, period, page, count)
    buttons += await _around(context, top, period, others)
    buttons += _pairs([pair for make in extras.OVERVIEW_BUTTONS for pair in make(overview)])
    lines += ["", f"<i>{legend()}</i>"]
    await reply_lines(update, lines, keyboard(*buttons) if buttons else None)


async def show_members(
    update: Update, context: CadreContext, unit_id: int, period: Period, page: int
) -> None:
    """A unit's own members (a committee's, beside its child units)."""
    unit, members = await context.services.reports.members(context.actor, unit_id, period)
    shown, page, count = _page(members, page)
    first = page * PAGE_SIZE + 1
    buttons = _member_buttons(shown, first, period)
    buttons += _nav(cb.REPORT_MEMBERS, unit, period, page, count)
    back = cb.REPORT_UNIT(unit.id, period.year, rules.part_code(period), "0")
    buttons.append([(f"{UP} {_label(unit.name)}", back)])
    await reply_lines(update, members_lines(unit, period, shown, first), keyboard(*buttons))


def _member_buttons(shown: Sequence[MemberLine], first: int, period: Period) -> list[Row]:
    code = rules.part_code(period)
    return _pairs(
        [
            (
                _label(f"{first + index}. {line.name}"),
                cb.REPORT_MEMBER(line.member_id, period.year, code),
            )
            for index, line in enumerate(shown)
        ]
    )


async def _around(
    context: CadreContext, unit: Unit, period: Period, others: Sequence[Unit]
) -> list[Row]:
    """ "Back up" to the unit above when the person oversees it; the other top units."""
    code = rules.part_code(period)
    rows: list[Row] = []
    parent = await context.services.reports.parent_in_scope(context.actor, unit)
    if parent is not None:
        rows.append(
            [(f"{UP} {_label(parent.name)}", cb.REPORT_UNIT(parent.id, period.year, code, "0"))]
        )
    # Telegram takes at most 100 buttons: the others past a page are reached by code.
    rows += _pairs(
        [
            (_label(other.name), cb.REPORT_UNIT(other.id, period.year, code, "0"))
            for other in others[:PAGE_SIZE]
        ]
    )
    return rows


# Answering ----------------------------------------------------------------------------------


async def report_command(update: Update, context: CadreContext, args: list[str]) -> None:
    """/report [UNIT_CODE] [YEAR] [PART]: the person's first top unit when no unit is named,
    with buttons to the others."""
    try:
        unit, year, part = parse_args(args)
        service = context.services.reports
        period = service.period(year, part)
        others: list[Unit] = []
        if unit is None:
            others = (await service.tops(context.actor))[1:]
        await show_overview(update, context, unit, period, 0, others)
    except UserFacingError as error:
        await reply(update, error.render_html())


async def pressed_unit(
    update: Update, context: CadreContext, button: cb.Button
) -> tuple[Unit, Period, tuple] | None:
    """A pressed button naming (unit id, year, part, ...): the unit, when the person still
    oversees it, the period and the rest of the values; a stale or out-of-scope press is
    refused in an alert (the refusal comes first) and gives None."""
    values = parse_button(button, update)
    if values is None:
        await refuse_button(update, stale_text())
        return None
    unit_id, year, code, *rest = values
    try:
        period = rules.from_code(year, code)
        unit = await context.services.reports.unit(context.actor, unit_id)
    except UserFacingError as error:
        await refuse_button(update, error)
        return None
    await answer(update)
    return unit, period, tuple(rest)


async def unit_pressed(update: Update, context: CadreContext) -> None:
    found = await pressed_unit(update, context, cb.REPORT_UNIT)
    if found is None:
        return
    unit, period, (page,) = found
    try:
        await show_overview(update, context, unit.id, period, int(page))
    except UserFacingError as error:  # changed between the two looks: said in the chat
        await reply(update, error.render_html())


async def members_pressed(update: Update, context: CadreContext) -> None:
    found = await pressed_unit(update, context, cb.REPORT_MEMBERS)
    if found is None:
        return
    unit, period, (page,) = found
    try:
        await show_members(update, context, unit.id, period, int(page))
    except UserFacingError as error:
        await reply(update, error.render_html())


async def member_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.REPORT_MEMBER, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    member_id, year, code = values
    try:
        period = rules.from_code(year, code)
        unit, line = await context.services.reports.member(context.actor, member_id, period)
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)
    buttons: list[Row] = [
        [(f"{UP} {_label(unit.name)}", cb.REPORT_UNIT(unit.id, period.year, code, "0"))]
    ]
    buttons += _pairs([pair for make in extras.MEMBER_BUTTONS for pair in make(unit, line, period)])
    await reply_lines(update, member_detail(unit, period, line), keyboard(*buttons))


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(unit_pressed, pattern=cb.REPORT_UNIT.pattern),
        CallbackQueryHandler(members_pressed, pattern=cb.REPORT_MEMBERS.pattern),
        CallbackQueryHandler(member_pressed, pattern=cb.REPORT_MEMBER.pattern),
    ]
