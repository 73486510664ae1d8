"""The committees' reports (issue 12): report periods, their short codes on buttons, and how
the meeting rule turns into "held against due". Pure functions: no Telegram, no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.parsing import check_year
from bot.rules.names import word_key
from bot.rules.sessions import Cadence, months_between
from bot.services.reports.model import Period

HALVES = ("H1", "H2")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
MONTHS = tuple(f"M{month:02d}" for month in range(1, 13))
PARTS = HALVES + QUARTERS + MONTHS
# The part of a year as a button carries it: "y" for the whole year, else the part in
# lower case ("h1", "q3", "m05"); see bot.callbacks.REPORT_PERIOD.
WHOLE_YEAR = "y"
PART_CODES = (WHOLE_YEAR, *(part.lower() for part in PARTS))


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def normalise_part(part: str | None) -> str | None:
    """``"h1"``, ``" Q3 "``, ``"M5"``, ``"m05"`` → ``"H1"``, ``"Q3"``, ``"M05"``; None or
    ``"y"`` → None (the whole year). InvalidInput on anything else."""
    if part is None:
        return None
    value = part.strip().upper()
    if value in ("", WHOLE_YEAR.upper()):
        return None
    match = re.fullmatch(r"M(\d{1,2})", value)
    if match and 1 <= int(match[1]) <= 12:
        value = f"M{int(match[1]):02d}"
    if value not in PARTS:
        raise InvalidInput(
            N_(
                "'{part}' is not a part of the year. Write H1 or H2 (a half), Q1 to Q4 (a "
                "quarter) or M01 to M12 (a month), or nothing for the whole year."
            ),
            part=part.strip()[:20],
        )
    return value


def period(year: int, part: str | None = None) -> Period:
    """A campaign year (``part`` None), a half (``"H1"``, ``"H2"``), a quarter (``"Q1"`` to
    ``"Q4"``) or a month (``"M01"`` to ``"M12"``), as local dates, both ends included.
    Years 2000 to 2100 only; InvalidInput otherwise."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput(N_("Please write the year as a number, e.g. 2026."))
    check_year(year)
    value = normalise_part(part)
    if value is None:
        return Period(year, date(year, 1, 1), date(year, 12, 31), str(year))
    if value in HALVES:
        first = 1 if value == "H1" else 7
    elif value in QUARTERS:
        first = (int(value[1]) - 1) * 3 + 1
    else:
        month = int(value[1:])
        return Period(year, date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")
    last = first + (5 if value in HALVES else 2)
    return Period(year, date(year, first, 1), _month_end(year, last), f"{year}-{value}")


def part_of(period: Period) -> str | None:
    """The part a period was made from (``"H1"``, ``"Q3"``, ``"M05"``; None: the year)."""
    _, _, tail = period.label.partition("-")
    if not tail:
        return None
    return tail if tail[0] in "HQ" else f"M{tail}"


def part_code(period: Period) -> str:
    """The period's short code on a button: ``"y"``, ``"h1"``, ``"q3"``, ``"m05"``."""
    part = part_of(period)
    return WHOLE_YEAR if part is None else part.lower()


def from_code(year: int, code: str) -> Period:
    """The period a button's year and code stand for (the inverse of :func:`part_code`)."""
    return period(year, None if code == WHOLE_YEAR else code)


def bounds(period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants the period's local days run between, the end excluded."""
    since = datetime.combine(period.start, datetime.min.time(), tzinfo=tz)
    until = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return since, until


def trend_months(period: Period, today: date) -> list[date]:
    """The first day of each month of the period that has begun by ``today``."""
    return [
        date(year, month, 1)
        for year, month in months_between(period.start, period.end)
        if (year, month) <= (today.year, today.month)
    ]


def held_and_due(cadence: Cadence) -> tuple[int, int, int, int]:
    """(regular held, regular due, thematic held, thematic due) of one unit under the rule.

    A month (a quarter) is due once it has ended, or earlier when its meeting is already
    held; held counts the months (quarters) that had at least one, so two meetings in one
    month never make up for a month without: held ≤ due, and due − held is what is missing.
    """
    regular_held = sum(1 for count in cadence.regular_by_month.values() if count)
    thematic_held = sum(1 for count in cadence.thematic_by_quarter.values() if count)
    return (
        regular_held,
        regular_held + len(cadence.missing_months),
        thematic_held,
        thematic_held + len(cadence.missing_quarters),
    )


def unit_key(name: str) -> tuple:
    """Sort key of a unit's name: Vietnamese letter order, numbers by value, so "Khu vực 2"
    comes before "Khu vực 10"."""
    return tuple(
        (0, int(word), ((), ())) if word.isascii() and word.isdigit() else (1, 0, word_key(word))
        for word in name.split()
    )
