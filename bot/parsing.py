"""Reading dates and times the way people type them. Pure functions.

Accepted: ``25/03/2022``, ``25/3/2022``, ``25/3`` (this year), ``2022-03-25``, with an
optional time ``19:30`` or ``19h30`` before or after; times are read in the configured zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

from bot.errors import InvalidInput
from bot.i18n import N_

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)$")


def parse_date(text: str, *, default_year: int) -> date:
    """A calendar date, or InvalidInput saying how to write one."""
    value = text.strip()
    match = _ISO.match(value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _DMY.match(value)
        if match:
            year = int(match[3]) if match[3] else default_year
            if year < 100:
                year += 2000
            return date(year, int(match[2]), int(match[1]))
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


def parse_whole_number(text: str) -> int | None:
    """A non-negative whole number written with the digits 0-9, or None.

    Stricter than ``str.isdigit`` (true for "²", which ``int`` refuses) and bounded to 18
    digits, so the value always fits SQLite's 64-bit integers.
    """
    value = text.strip()
    if not value or len(value) > 18 or not (value.isascii() and value.isdigit()):
        return None
    return int(value)
