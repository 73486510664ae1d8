"""``/report review YEAR [H1|H2] [UNIT_CODE]``: the figures section of the committee's
mid-year or year-end review (sơ kết, tổng kết) as a DOCX in the Party layout, for the level
above (bot/services/reports/review.py, bot/render/review_report.py)."""

from __future__ import annotations

import io

from telegram import Update

from bot.builds import files
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.services.reports.review import review_top
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
    message = update.effective_message
    if message is None:
        return
    try:
        year, half, unit = parse_review_args(args)
        top = await review_top(services.reports, context.actor, unit, year, half)
        # A city's review is 7.5 s and 350 MB: built in a child process (bot/builds).
        built = await services.builder.build(files.review, top, year, half)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    kind = gettext("Year-end review") if half is None else gettext("Mid-year review")
    await message.reply_document(
        document=io.BytesIO(built.content),
        filename=built.name,
        caption=gettext(
            "{kind} {period}: the figures of {unit}, compared with the period before. "
            "The assessment is left for the committee to write."
        ).format(kind=kind, period=h(built.facts["period"]), unit=h(top.name)),
    )
