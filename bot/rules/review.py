"""The mid-year and year-end reviews (sơ kết, tổng kết) a committee reports upward: which
period a review covers, which one it is compared with, and how a figure changed. Pure."""

from __future__ import annotations

from bot.errors import InvalidInput
from bot.i18n import N_

HALVES = {1: "H1", 2: "H2"}


def review_part(half: int | None) -> str | None:
    """The period part of a review: None for the year-end review (tổng kết), "H1"/"H2" for a
    half-year one (sơ kết)."""
    if half is None:
        return None
    if half not in HALVES:
        raise InvalidInput(N_("The half must be 1 or 2."))
    return HALVES[half]


def previous_part(year: int, part: str | None) -> tuple[int, str | None]:
    """The period a review is compared with: the year before for a year; the half before for
    a half (the second half of the year before, for the first)."""
    if part is None:
        return year - 1, None
    if part == "H1":
        return year - 1, "H2"
    if part == "H2":
        return year, "H1"
    raise InvalidInput(N_("A review covers a year or one of its halves."))


def change(now: float | None, before: float | None) -> float | None:
    """How a figure moved from the previous period (None when either is unknown)."""
    if now is None or before is None:
        return None
    return now - before
