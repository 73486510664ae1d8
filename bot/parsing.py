"""Reading dates and times the way people type them. Pure functions.

Accepted: ``25/03/2022``, ``25/3/2022``, ``25/3`` (this year), ``2022-03-25``, with an
optional time ``19:30`` or ``19h30`` before or after; times are read in the configured zone.

Every date falls in the years 2000 to 2100, the campaign years the schema allows: year 0
or 9999 would overflow the date arithmetic downstream (a day later, a check-in window).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

from bot.errors import InvalidInput
from bot.i18n import N_, format_datetime

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)$")

YEAR_MIN, YEAR_MAX = 2000, 2100  # as campaigns.year's CHECK in the schema


def check_year(year: int, text: object = None) -> int:
    """``year`` when it is one the bot handles, else InvalidInput saying which ones are."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidInput(
            N_(
                "'{text}' is outside the years {low} to {high}. "
                "Please write a year from {low} to {high}."
            ),
            text=str(year if text is None else text).strip()[:40],
            low=YEAR_MIN,
            high=YEAR_MAX,
        )
    return year


def check_date(day: date, text: object = None) -> date:
    """``day`` when its year is one the bot handles (see :func:`check_year`)."""
    shown = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    check_year(day.year, shown if text is None else text)
    return day


def parse_date(text: str, *, default_year: int) -> date:
    """A calendar date in the years 2000 to 2100, or InvalidInput saying how to write one."""
    value = text.strip()
    match = _ISO.match(value)
    try:
        if match:
            return date(check_year(int(match[1]), value), int(match[2]), int(match[3]))
        match = _DMY.match(value)
        if match:
            year = int(match[3]) if match[3] else default_year
            if match[3] and len(match[3]) == 2:  # 25/3/26; but 0026 is the year 26
                year += 2000
            return date(check_year(year, value), int(match[2]), int(match[1]))
    except ValueError:
        raise InvalidInput(
            N_("'{text}' is not a real date. Please write it like 25/03/2026."), text=value
        ) from None
    raise InvalidInput(
        N_("I could not read the date '{text}'. Please write it like 25/03/2026."), text=value
    )


def parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(
        N_("I could not read the time '{text}'. Please write it like 19:30."), text=text.strip()
    )


def parse_datetime(text: str, *, tz: tzinfo, default_year: int) -> datetime:
    """``25/03/2022 19:30``, ``19:30 25/3``, ``2022-03-25T19:30`` → an aware datetime."""
    value = text.strip().replace(",", " ")
    if "T" in value and _ISO.match(value.split("T")[0]):
        value = value.replace("T", " ", 1)
    parts = value.split()
    if len(parts) != 2:
        raise InvalidInput(
            N_("Please write the date and time like 25/03/2026 19:30."),
        )
    first, second = parts
    if _TIME.match(first) and not _TIME.match(second):
        first, second = second, first
    day = parse_date(first, default_year=default_year)
    clock = parse_time(second[:5] if _ISO.match(first) and len(second) > 5 else second)
    return datetime.combine(day, clock, tzinfo=tz)


def parse_future_datetime(text: str, *, tz: tzinfo, now: datetime) -> datetime:
    """A date and time ahead of ``now``, read in ``tz`` (a year left out is this year's): a
    meeting's start, a story's sending time. A past one is refused, naming it."""
    moment = parse_datetime(text, tz=tz, default_year=now.astimezone(tz).year)
    if moment <= now:
        raise InvalidInput(
            N_(
                "{when} is already past. Please send a date and time in the future, "
                "like 25/03/2026 19:30."
            ),
            when=format_datetime(moment),
        )
    return moment


def parse_whole_number(text: str) -> int | None:
    """A non-negative whole number written with the digits 0-9, or None.

    Stricter than ``str.isdigit`` (true for "²", which ``int`` refuses) and bounded to 18
    digits, so the value always fits SQLite's 64-bit integers.
    """
    value = text.strip()
    if not value or len(value) > 18 or not (value.isascii() and value.isdigit()):
        return None
    return int(value)
