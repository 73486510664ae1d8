"""The committees' report as files in the chat: the charts (sendPhoto) and the workbook
(sendDocument). ``/report`` decides what to show and calls these; they register no command
or button of their own, and a caller that was reached by a button answers it itself.

Drawing and writing the files is CPU work. A chart is a third of a second: a worker thread.
The workbook is up to 30 s of writing for a city: a child process (bot/builds), which keeps
the GIL and the memory it takes away from the bot.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot.builds import files
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import format_number, gettext
from bot.render.report_charts import (
    ATTENDANCE_TARGET,
    COMMITMENT_TARGET,
    label,
    overview_chart,
    percent,
    period_title,
    trend_chart,
)
from bot.services.reports.model import Overview, Period
from bot.services.reports.workbook import audit_export, check_export
from handlers.replies import h, reply
from storage.records import Unit

# What the Bot API accepts as a document from a bot; a larger workbook is for the CLI.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def _heading(unit: Unit, period: Period) -> str:
    return f"<b>{h(label(unit.name, 120))}</b> · {h(period_title(period))}"


async def _busy(update: Update, context: CadreContext, action: str) -> None:
    """ "Sending a photo…" while the file is made: a city's workbook takes a while."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_chat_action(chat.id, action)


async def send_chart(update: Update, context: CadreContext, overview: Overview) -> None:
    """The overview as pictures: the bars per child unit against the targets, then the
    month-by-month attendance when any meeting was held in the period."""
    message = update.effective_message
    if message is None:
        return
    heading = _heading(overview.total.unit, overview.period)
    await _busy(update, context, ChatAction.UPLOAD_PHOTO)
    bars = await asyncio.to_thread(overview_chart, overview)
    units = overview.rows or [overview.total]
    if all(u.filed_rate is None and u.attendance_rate is None for u in units):
        caption = gettext("No figures for this period yet.")
    else:
        caption = gettext(
            "Commitments filed and attendance per unit, the lowest first. The dashed line is "
            "the target: {commitments} for commitments, {attendance} for attendance."
        ).format(commitments=percent(COMMITMENT_TARGET), attendance=percent(ATTENDANCE_TARGET))
    await message.reply_photo(
        InputFile(bars, filename=f"bao-cao-{overview.period.label.lower()}.png"),
        caption=f"{heading}\n{caption}",
    )
    if any(month.rate is not None for month in overview.trend):
        trend = await asyncio.to_thread(trend_chart, overview)
        await message.reply_photo(
            InputFile(trend, filename=f"chuyen-can-{overview.period.label.lower()}.png"),
            caption=f"{heading}\n" + gettext("Attendance month by month."),
        )


async def send_workbook(update: Update, context: CadreContext, unit: Unit, period: Period) -> None:
    """The workbook of ``unit`` and below for the period, if the person monitors it (a
    refusal says what to do instead). Checked and audited here; read and written in a child
    process (bot/builds), so a city's 30 s of writing holds up nobody else's reply."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    try:
        await check_export(services.db, context.actor, unit)
        await _busy(update, context, ChatAction.UPLOAD_DOCUMENT)
        built = await services.builder.build(files.workbook, unit, period)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    members = built.facts["members"]
    await audit_export(
        services.db, context.actor, unit, period,
        members=members, sessions=built.facts["sessions"],
    )  # fmt: skip
    if len(built.content) > MAX_DOCUMENT_BYTES:
        await reply(
            update,
            gettext(
                "The workbook is too large to send in Telegram ({size} MB). The administrator "
                "can write it with the command line: cadrebot report --unit {code} "
                "--year {year} --format xlsx --out FILE"
            ).format(
                size=format_number(len(built.content) // (1024 * 1024)),
                code=h(unit.code),
                year=period.year,
            ),
        )
        return
    await message.reply_document(
        InputFile(built.content, filename=built.name),
        caption=_heading(unit, period)
        + "\n"
        + gettext(
            "Members, commitments, attendance, sessions, stories and grades, one sheet each "
            "({count} members)."
        ).format(count=format_number(members)),
    )
