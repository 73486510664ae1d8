"""``/report review YEAR [H1|H2] [UNIT_CODE]``: the figures section of the committee's
mid-year or year-end review (sơ kết, tổng kết) as a DOCX in the Party layout, for the level
above (bot/services/reports/review.py, bot/render/review_report.py)."""

from __future__ import annotations

import asyncio
import io

from telegram import Update

from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.render.review_report import review_docx, review_file_name
from bot.services.reports.review import review_report
from handlers.replies import h, reply
from handlers.reports import extras

USAGE = "YEAR [H1|H2] [UNIT_CODE]"


def parse_review_args(args: list[str]) -> tuple[int, int | None, str | None]:
    """(year, half, unit code) from the words after ``/report review``."""
    year: int | None = None
    half: int | None = None
    unit: str | None = None
    for word in args:
        upper = word.upper()
        if word.isdecimal() and len(word) == 4 and year is None:
            year = int(word)
        elif upper in ("H1", "H2") and half is None:
            half = int(upper[1])
        elif unit is None and len(word) <= 40:
            unit = word
        else:
            raise InvalidInput(N_("Send for example: /report review 2026 H1"))
    if year is None:
        raise InvalidInput(
            N_(
                "Which year? Send for example: /report review 2026 (year-end) or "
                "/report review 2026 H1 (mid-year)."
            )
        )
    return year, half, unit


@extras.subcommand("review", N_("the mid-year or year-end review's figures as a DOCX"), USAGE)
async def review(update: Update, context: CadreContext, args: list[str]) -> None:
    services = context.services
    try:
        year, half, unit = parse_review_args(args)
        report = await review_report(
            services.reports, context.actor, unit, year, half, services.settings.locality
        )
    except UserFacingError as error:
        await reply(update, h(error.render()))
        return
    data = await asyncio.to_thread(review_docx, report)
    message = update.effective_message
    if message is None:
        return
    kind = gettext("Year-end review") if half is None else gettext("Mid-year review")
    await message.reply_document(
        document=io.BytesIO(data),
        filename=review_file_name(report),
        caption=gettext(
            "{kind} {period}: the figures of {unit}, compared with the period before. "
            "The assessment is left for the committee to write."
        ).format(kind=kind, period=h(report.period.label), unit=h(report.unit.name)),
    )
