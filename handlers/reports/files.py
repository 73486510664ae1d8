"""/report's files: ``/report chart [UNIT_CODE] [YEAR] [PART]`` (the charts, as photos),
``/report export …`` (the workbook, a sheet per topic), the "Chart" and "Excel" buttons under
an overview, and the "Dossier" button under a member's line (the year-end dossier, DOCX).
The files are made by :mod:`.files_send` and handlers/reports_dossier.py."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import N_, gettext
from bot.rules import reports as rules
from bot.services.reports.model import MemberLine, Overview, Period
from handlers.replies import reply
from handlers.reports import extras
from handlers.reports.files_send import send_chart, send_workbook
from handlers.reports.view import parse_args, pressed_unit
from handlers.reports_dossier import send_dossier
from handlers.ui import answer, parse_button, refuse_button, stale_text
from storage.records import Unit

USAGE = "[UNIT_CODE] [YEAR] [H1|H2|Q1..Q4]"


async def _typed(context: CadreContext, args: list[str]) -> tuple[Unit, Period]:
    unit, year, part = parse_args(args)
    service = context.services.reports
    period = service.period(year, part)
    if unit is None:
        return (await service.tops(context.actor))[0], period
    return await service.unit(context.actor, unit), period


@extras.subcommand("chart", N_("the figures as charts (pictures)"), USAGE)
async def chart(update: Update, context: CadreContext, args: list[str]) -> None:
    try:
        unit, period = await _typed(context, args)
        overview = await context.services.reports.overview(context.actor, unit.id, period)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    await send_chart(update, context, overview)


@extras.subcommand("export", N_("everything as an Excel workbook, a sheet per topic"), USAGE)
async def export(update: Update, context: CadreContext, args: list[str]) -> None:
    try:
        unit, period = await _typed(context, args)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    await send_workbook(update, context, unit, period)


@extras.overview_buttons
def file_buttons(overview: Overview) -> extras.Buttons:
    unit, period = overview.total.unit, overview.period
    code = rules.part_code(period)
    return [
        (gettext("📊 Chart"), cb.REPORT_CHART(unit.id, period.year, code)),
        (gettext("📥 Excel file"), cb.REPORT_EXPORT(unit.id, period.year, code)),
    ]


@extras.member_buttons
def dossier_button(unit: Unit, line: MemberLine, period: Period) -> extras.Buttons:
    return [(gettext("📄 Year-end dossier"), cb.REPORT_DOSSIER(line.member_id, period.year))]


async def chart_pressed(update: Update, context: CadreContext) -> None:
    found = await pressed_unit(update, context, cb.REPORT_CHART)
    if found is None:
        return
    unit, period, _ = found
    try:
        overview = await context.services.reports.overview(context.actor, unit.id, period)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    await send_chart(update, context, overview)


async def export_pressed(update: Update, context: CadreContext) -> None:
    found = await pressed_unit(update, context, cb.REPORT_EXPORT)
    if found is not None:
        await send_workbook(update, context, found[0], found[1])


async def dossier_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.REPORT_DOSSIER, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    member_id, year = values
    try:
        one = await context.services.dossiers.member_dossier(context.actor, member_id, year)
    except UserFacingError as error:
        await refuse_button(update, error)
        return
    await answer(update)
    if update.effective_message is not None:
        await send_dossier(update.effective_message, one)


extras.HANDLERS.extend(
    [
        CallbackQueryHandler(chart_pressed, pattern=cb.REPORT_CHART.pattern),
        CallbackQueryHandler(export_pressed, pattern=cb.REPORT_EXPORT.pattern),
        CallbackQueryHandler(dossier_pressed, pattern=cb.REPORT_DOSSIER.pattern),
    ]
)
