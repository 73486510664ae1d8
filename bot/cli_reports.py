"""The committees' report as a file from the command line: ``cadrebot report-file --unit CODE
--year Y [--half 1|2] --format png|xlsx --out FILE``. The chart (PNG) draws the report
service's overview; the workbook (XLSX) is the same as ``/report export`` sends. Registered by
:mod:`bot.cli`; every line is in the configured language.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from bot import i18n
from bot.context import Services
from bot.errors import NotFound, UserFacingError
from bot.i18n import N_
from bot.services.reports.model import Period

_ = i18n.gettext
EXIT_FAILED, EXIT_USAGE = 1, 2  # as bot.cli
YEARS = (2000, 2100)  # the campaigns' range


def period_of(year: int, half: int | None = None) -> Period:
    """The campaign year, or its first or second half (local days, both ends included)."""
    if half == 1:
        return Period(year, date(year, 1, 1), date(year, 6, 30), f"{year}-H1")
    if half == 2:
        return Period(year, date(year, 7, 1), date(year, 12, 31), f"{year}-H2")
    return Period(year, date(year, 1, 1), date(year, 12, 31), str(year))


def _year(text: str) -> int:
    if not text.isdigit() or not YEARS[0] <= int(text) <= YEARS[1]:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a year from {low} to {high}").format(
                text=text, low=YEARS[0], high=YEARS[1]
            )
        )
    return int(text)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report-file",
        help="a unit's report as a file: the chart (png) or the workbook (xlsx)",
    )
    report.add_argument("--unit", metavar="CODE", required=True, help="this unit and below")
    report.add_argument("--year", type=_year, required=True, help="the campaign year")
    report.add_argument(
        "--half", type=int, choices=[1, 2], help="the first or second half (default: the year)"
    )
    report.add_argument("--format", choices=["png", "xlsx"], required=True)
    report.add_argument(
        "--chart",
        choices=["units", "trend"],
        default="units",
        help="png: the bars per child unit (default) or the month-by-month attendance",
    )
    report.add_argument("--out", type=Path, required=True, help="the file to write")


def handlers(
    args: argparse.Namespace,
    services: Services,
    write: Callable[[str, bytes], int],
) -> dict[tuple[str, str | None], Callable[[], Awaitable[int]]]:
    """``write(name, data)`` is the CLI's one export writer (bot.cli)."""

    async def report_file() -> int:
        period = period_of(args.year, args.half)
        async with services.db.read() as store:
            unit = await store.units.by_code(args.unit)
        if unit is None:
            missing = NotFound(N_("There is no unit {code}."), code=args.unit)
            print(missing.render(), file=sys.stderr)
            return EXIT_USAGE
        if args.format == "xlsx":
            from bot.render.report_workbook import workbook_file
            from bot.services.reports.workbook import export_workbook

            data = await export_workbook(services.db, None, unit, period, tz=services.clock.tz)
            return write(*workbook_file(data))
        reports = getattr(services, "reports", None)
        if reports is None:  # the report service comes with /report (issue 12)
            print(_("The report's figures are not available in this version."), file=sys.stderr)
            return EXIT_FAILED
        from bot.render import report_charts

        try:
            overview = await reports.overview(None, unit, period)
        except UserFacingError as error:
            print(error.render(), file=sys.stderr)
            return EXIT_FAILED
        draw = report_charts.trend_chart if args.chart == "trend" else report_charts.overview_chart
        return write(args.out.name, draw(overview))

    return {("report-file", None): report_file}
