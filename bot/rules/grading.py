"""Year-end grading: the four grades, the 100-point bands, the 20% quota and the window for
changing a grade. Pure functions only: no Telegram, no database.

The steps (Quy định 124-QĐ/TW, 2023) are the member's self-assessment (a commitment matter,
:mod:`bot.rules.commitments`), the cell's appraisal and the competent level's decision; the
bot records the decided grade, with optional points on the 100-point scale used since 2025.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from bot.errors import InvalidInput, Term
from bot.i18n import N_
from storage.records import Campaign

EXCELLENT_SHARE_OF_GOOD = 0.2


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FULFILLED = "fulfilled"
    NOT_FULFILLED = "not_fulfilled"


GRADE_LABELS = {
    Grade.EXCELLENT: N_("Excellent"),
    Grade.GOOD: N_("Good"),
    Grade.FULFILLED: N_("Fulfilled"),
    Grade.NOT_FULFILLED: N_("Not fulfilled"),
}

# Inclusive point bands of the 100-point scale (since 2025).
GRADE_BANDS = {
    Grade.EXCELLENT: (90, 100),
    Grade.GOOD: (70, 89),
    Grade.FULFILLED: (50, 69),
    Grade.NOT_FULFILLED: (0, 49),
}


def grade_for_points(points: int) -> Grade:
    for grade, (low, high) in GRADE_BANDS.items():
        if low <= points <= high:
            return grade
    raise InvalidInput(N_("Points must be a whole number from 0 to 100."))


def check_points(grade: Grade | str, points: int | None) -> int | None:
    """Optional points must lie in the grade's band."""
    if points is None:
        return None
    if not 0 <= points <= 100:
        raise InvalidInput(N_("Points must be a whole number from 0 to 100."))
    low, high = GRADE_BANDS[Grade(grade)]
    if not low <= points <= high:
        raise InvalidInput(
            N_("For \u201c{grade}\u201d the points must be from {low} to {high}."),
            grade=Term(GRADE_LABELS[Grade(grade)]),
            low=low,
            high=high,
        )
    return points


def parse_points(text: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise InvalidInput(N_("Points must be a whole number from 0 to 100."))
    return int(value)


def may_change_grade(campaign: Campaign, today: date) -> bool:
    """A grade may be changed (a mistake corrected, an appeal upheld) until the year-end
    review window closes; after that it stands, as the year's record."""
    return today <= campaign.review_closes


def excellent_exceeds_quota(excellent: int, good: int) -> bool:
    """True when "excellent" would be more than 20% of those graded "good"."""
    return excellent > EXCELLENT_SHARE_OF_GOOD * good


def quota_after(grades: list[str], new_grade: Grade | str, replacing: str | None = None) -> bool:
    """Whether giving ``new_grade`` (instead of ``replacing``) would break the 20% rule."""
    counted = list(grades)
    if replacing is not None and replacing in counted:
        counted.remove(replacing)
    counted.append(str(new_grade))
    if Grade(new_grade) is not Grade.EXCELLENT:
        return False
    return excellent_exceeds_quota(counted.count(Grade.EXCELLENT), counted.count(Grade.GOOD))
