"""``cadrebot report``: a unit's report for a year or part of it, as text (on the terminal by
default), CSV, the workbook (XLSX, a sheet per topic) or the chart (PNG), for the operator
(who sees everything). Registered by :mod:`bot.cli`.

    cadrebot report --unit CODE --year 2026 [--half 1|2 | --quarter N | --month N]
                    [--format text|csv|xlsx|png] [--chart units|trend] [--out FILE]
    cadrebot report review --unit CODE --year 2026 [--half 1|2] [--out FILE.docx]

Without ``--unit``: every top unit of the organisation, one after the other. Other formats
add a builder to ``FORMATS``; other actions (``cadrebot report review …``) add their parser
under ``report`` in :func:`add_parsers` and their handler in :func:`handlers`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.context import Services
from bot.errors import UserFacingError
from bot.render.reports import overview_csv, overview_text
from bot.render.review_report import review_docx, review_file_name
from bot.services.reports.model import Overview, Period
from bot.services.reports.review import review_report

EXIT_OK, EXIT_USAGE = 0, 2
Builder = Callable[[Services, list[Overview]], Awaitable[tuple[str, bytes]]]
Writer = Callable[[str, bytes], int]


async def _text(services: Services, overviews: list[Overview]) -> tuple[str, bytes]:
    name = f"bao-cao-{overviews[0].period.label.lower()}.txt"
    return name, overview_text(overviews).encode("utf-8")


async def _csv(services: Services, overviews: list[Overview]) -> tuple[str, bytes]:
    return overview_csv(overviews)


async def _xlsx(services: Services, overviews: list[Overview]) -> tuple[str, bytes]:
    """The workbook of the first unit (``--unit``): a sheet per topic."""
    from bot.render.report_workbook import workbook_file
    from bot.services.reports.workbook import export_workbook

    first = overviews[0]
    data = await export_workbook(
        services.db, None, first.total.unit, first.period, tz=services.clock.tz
    )
    return workbook_file(data)


def _png(chart: str) -> Builder:
    async def draw(services: Services, overviews: list[Overview]) -> tuple[str, bytes]:
        from bot.render import report_charts

        first = overviews[0]
        paint = report_charts.trend_chart if chart == "trend" else report_charts.overview_chart
        name = f"bao-cao-{first.period.label.lower()}-{first.total.unit.code}-{chart}.png"
        return name, paint(first)

    return draw


# --format NAME → what builds the file (its name and bytes) from the overviews.
FORMATS: dict[str, Builder] = {"text": _text, "csv": _csv, "xlsx": _xlsx, "png": _png("units")}


def add_parsers(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="a unit's report over a period: members, commitments, meetings, ..."
    )
    report.add_argument("--unit", metavar="CODE", help="this unit and below (default: the tops)")
    report.add_argument("--year", type=int, help="the campaign year (default: this year)")
    part = report.add_mutually_exclusive_group()
    part.add_argument("--half", type=int, choices=[1, 2], help="the first or second half")
    part.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="a quarter")
    part.add_argument("--month", type=int, choices=range(1, 13), metavar="1-12", help="a month")
    report.add_argument("--format", choices=list(FORMATS), default="text")
    report.add_argument(
        "--chart",
        choices=["units", "trend"],
        default="units",
        help="png: the bars per child unit (default) or the month-by-month attendance",
    )
    report.add_argument(
        "--out", type=Path, help="the file to write (text: the terminal; csv: a name here)"
    )
    # Actions under ``report``: without one, ``sub`` is None and the report itself answers.
    actions = report.add_subparsers(dest="sub", required=False, metavar="ACTION")
    review = actions.add_parser(
        "review", help="the mid-year or year-end review's figures as a DOCX (sơ kết, tổng kết)"
    )
    review.add_argument("--unit", metavar="CODE", required=True, help="the reporting unit")
    review.add_argument("--year", type=int, required=True, help="the campaign year")
    review.add_argument("--half", type=int, choices=[1, 2], help="a half-year review (sơ kết)")
    review.add_argument("--out", type=Path, help="the DOCX to write (default: a name here)")


def part_of(args: argparse.Namespace) -> str | None:
    if getattr(args, "half", None):
        return f"H{args.half}"
    if getattr(args, "quarter", None):
        return f"Q{args.quarter}"
    if getattr(args, "month", None):
        return f"M{args.month:02d}"
    return None


def handlers(
    args: argparse.Namespace, services: Services, write: Writer
) -> dict[tuple[str, str | None], Callable[[], Awaitable[int]]]:
    """``write(name, data)`` is the CLI's one export writer (to ``args.out``)."""

    async def report() -> int:
        reports = services.reports
        try:
            period: Period = reports.period(args.year, part_of(args))
            if args.unit is None:
                tops = await reports.tops(None)
            else:
                tops = [await reports.unit(None, args.unit)]
            overviews = [await reports.overview(None, top.id, period) for top in tops]
        except UserFacingError as error:  # no such unit, a year out of range: a usage error
            print(error.render(), file=sys.stderr)
            return EXIT_USAGE
        build = _png(args.chart) if args.format == "png" else FORMATS[args.format]
        name, data = await build(services, overviews)
        if args.format == "text" and args.out is None:
            sys.stdout.write(data.decode("utf-8"))
            return EXIT_OK
        if args.out is None:
            args.out = Path(name)
        return write(name, data)

    async def review() -> int:
        try:
            found = await review_report(
                services.reports, None, args.unit, args.year, args.half, services.settings.locality
            )
        except UserFacingError as error:
            print(error.render(), file=sys.stderr)
            return EXIT_USAGE
        name = review_file_name(found)
        if args.out is None:
            args.out = Path(name)
        return write(name, review_docx(found))

    return {("report", None): report, ("report", "review"): review}
