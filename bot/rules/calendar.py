"""The commemorative calendar: when a day falls, how many years it marks, and what a board may
add. Pure: no I/O (the lunar date comes from the ``holidays`` package's tables).

A day is either solar (a day and month of the Gregorian calendar) or lunar. The one lunar day
the calendar knows is Giỗ Tổ Hùng Vương (10/3 of the lunar calendar), resolved each year by
the maintained ``holidays`` package rather than by hand-written lunar arithmetic. Days a board
adds are solar.

29 February: a board may add it; in a common year the day is marked on 28 February (the last
day of that February), so it is never skipped.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cache

import holidays

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.render.text import has_control_characters, utf16_len


class DayKind(StrEnum):
    SOLAR = "solar"
    LUNAR = "lunar"


HUNG_KINGS = (3, 10)  # (lunar month, lunar day) of Giỗ Tổ Hùng Vương
# The name the holidays package gives it in English; its "(observed)" day off is another name.
_HUNG_KINGS_NAME = "Hung Kings' Commemoration Day"

REMIND_DEFAULT = 7
REMIND_MAX = 60  # days ahead a reminder may come; 0: no reminder
NAME_MIN, NAME_MAX = 3, 150  # UTF-16 units, as Telegram counts
ORIGIN_MIN = 1000
LOOK_AHEAD_YEARS = 3  # a lunar day missing from one year's table is looked for in the next
ROUND_EVERY = 5  # 5, 10, 15 ... years: a round anniversary ("kỷ niệm tròn")


@cache
def hung_kings_day(year: int) -> date | None:
    """The solar date of Giỗ Tổ Hùng Vương in ``year``; None where the holidays package has no
    date (before 2007, when it became a public holiday, or beyond its lunar tables)."""
    try:
        found = holidays.country_holidays("VN", years=year, language="en_US")
    except (NotImplementedError, ValueError):  # pragma: no cover - outside the package's range
        return None
    # The "(observed)" day off, when the day falls on a weekend, is not the day itself.
    days = [day for day, name in found.items() if name == _HUNG_KINGS_NAME]
    return min(days) if days else None


def occurrence_in(kind: str, month: int, day: int, year: int) -> date | None:
    """The date the day falls on in ``year``; None when that cannot be known."""
    if DayKind(kind) is DayKind.LUNAR:
        return hung_kings_day(year) if (month, day) == HUNG_KINGS else None
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_occurrence(kind: str, month: int, day: int, today: date) -> date | None:
    """The first date on or after ``today`` the day falls on."""
    for year in range(today.year, today.year + LOOK_AHEAD_YEARS + 1):
        found = occurrence_in(kind, month, day, year)
        if found is not None and found >= today:
            return found
    return None


def anniversary(origin_year: int | None, year: int) -> int | None:
    """How many years the day marks in ``year`` (2026 − 1930 = 96); None without a year of
    origin, or before the first anniversary."""
    if origin_year is None or year <= origin_year:
        return None
    return year - origin_year


def is_round(count: int | None) -> bool:
    """A round anniversary (5, 10, 15 ... years), worth preparing for with more care."""
    return count is not None and count % ROUND_EVERY == 0


REMIND_AT = time(8, 0)  # local time the board is reminded


def reminder_at(on: date, remind_days: int, tz: tzinfo) -> datetime:
    """08:00 local time, ``remind_days`` before the day."""
    return datetime.combine(on - timedelta(days=remind_days), REMIND_AT, tzinfo=tz)


def ordinal_en(count: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 96th."""
    teens = 10 <= count % 100 <= 20
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(count % 10, "th")
    return f"{count}{suffix}"


def day_name(name_vi: str, name_en: str, locale: str) -> str:
    """The name in the reader's language; the Vietnamese one when there is no English."""
    return name_en if locale == "en" and name_en else name_vi


def anniversary_text(name: str, count: int | None, locale: str) -> str:
    """ "96 năm Ngày thành lập Đảng ..." in Vietnamese, "... (96th anniversary)" in English
    (names like "President Ho Chi Minh's Birthday" take no "the", so the count follows);
    the bare name when there is no count (no year of origin)."""
    if count is None:
        return name
    if locale == "en":
        return f"{name} ({ordinal_en(count)} anniversary)"
    return f"{count} năm {name}"


# What a board types ---------------------------------------------------------------------------


def clean_name(text: str, *, required: bool = True) -> str:
    """A day's name: spaces tidied, no control characters, 3 to 150 characters; an optional
    name may be left empty (or "-")."""
    name = " ".join(text.split())
    if not required and name in ("", "-"):
        return ""
    if has_control_characters(name):
        raise InvalidInput(N_("The name contains invisible control characters; type it again."))
    if not NAME_MIN <= utf16_len(name) <= NAME_MAX:
        raise InvalidInput(
            N_("The name must be {low} to {high} characters."), low=NAME_MIN, high=NAME_MAX
        )
    return name


def check_solar_date(day: int, month: int) -> tuple[int, int]:
    """(day, month) when that date exists (29/02 does: see the module's note)."""
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise InvalidInput(
            N_("{date} is not a real date. Please send the day and month, like 03/02."),
            date=f"{day:02d}/{month:02d}",
        )
    return day, month


def parse_day_month(text: str) -> tuple[int, int]:
    """``03/02``, ``3/2``, ``3-2`` or ``3.2`` → (3, 2)."""
    value = text.strip()
    for separator in ("/", "-", "."):
        parts = value.split(separator)
        if len(parts) == 2 and all(p.isascii() and p.isdigit() and len(p) <= 2 for p in parts):
            return check_solar_date(int(parts[0]), int(parts[1]))
    raise InvalidInput(
        N_("I could not read '{text}'. Please send the day and month, like 03/02."),
        text=value[:40],
    )


def check_origin_year(year: int | None, this_year: int) -> int | None:
    """The year the day was first marked: from 1000 to this year, or None (no count)."""
    if year is None:
        return None
    if not ORIGIN_MIN <= year <= this_year:
        raise InvalidInput(
            N_("The year of origin must be from {low} to {high}."), low=ORIGIN_MIN, high=this_year
        )
    return year


def check_remind_days(days: int) -> int:
    if not 0 <= days <= REMIND_MAX:
        raise InvalidInput(
            N_("Remind from 0 to {high} days before (0: no reminder)."), high=REMIND_MAX
        )
    return days
