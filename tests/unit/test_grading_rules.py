"""The grading rules alone: the grades' point bands, the 20% quota and the window for
changing a grade (bot/rules/grading.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InvalidInput
from bot.rules.campaigns import default_campaign
from bot.rules.grading import (
    GRADE_BANDS,
    Grade,
    check_points,
    excellent_exceeds_quota,
    grade_for_points,
    may_change_grade,
    parse_points,
    quota_after,
)

CAMPAIGN = default_campaign(2026, "Tinh thần trách nhiệm, năng động, sáng tạo")


@pytest.mark.parametrize(
    ("points", "grade"),
    [
        (100, Grade.EXCELLENT),
        (90, Grade.EXCELLENT),
        (89, Grade.GOOD),
        (70, Grade.GOOD),
        (69, Grade.FULFILLED),
        (50, Grade.FULFILLED),
        (49, Grade.NOT_FULFILLED),
        (0, Grade.NOT_FULFILLED),
    ],
)
def test_grade_bands(points: int, grade: Grade) -> None:
    assert grade_for_points(points) is grade
    assert check_points(grade, points) == points


def test_points_outside_the_band_are_refused() -> None:
    assert check_points(Grade.GOOD, None) is None
    for grade, points in (
        (Grade.EXCELLENT, 89),
        (Grade.GOOD, 90),
        (Grade.GOOD, 69),
        (Grade.FULFILLED, 70),
        (Grade.NOT_FULFILLED, 50),
        (Grade.GOOD, 101),
        (Grade.GOOD, -1),
    ):
        with pytest.raises(InvalidInput):
            check_points(grade, points)
    with pytest.raises(InvalidInput):
        parse_points("chín mươi")
    assert parse_points(" 75 ") == 75


def test_excellent_at_most_twenty_percent_of_good() -> None:
    assert not excellent_exceeds_quota(1, 5)
    assert excellent_exceeds_quota(2, 5)
    assert excellent_exceeds_quota(1, 0)
    assert not excellent_exceeds_quota(0, 0)
    assert not quota_after(["good"] * 5, Grade.EXCELLENT)  # 1 of 5: exactly 20%
    assert quota_after(["good"] * 5 + ["excellent"], Grade.EXCELLENT)  # 2 of 5
    assert not quota_after(["excellent"] * 3, Grade.GOOD)  # only excellent is warned about


def test_a_grade_may_be_changed_until_the_review_window_closes() -> None:
    assert may_change_grade(CAMPAIGN, CAMPAIGN.review_opens)
    assert may_change_grade(CAMPAIGN, CAMPAIGN.review_closes)
    assert not may_change_grade(CAMPAIGN, date(CAMPAIGN.year + 1, 1, 1))


def test_changing_a_grade_counts_the_quota_without_the_old_one() -> None:
    # One "excellent" and five "good": changing a "good" to "excellent" breaks the rule,
    # changing the "excellent" itself to "excellent" again does not.
    grades = ["excellent", *["good"] * 5]
    assert quota_after(grades, Grade.EXCELLENT, replacing="good")
    assert not quota_after(grades, Grade.EXCELLENT, replacing="excellent")


def test_the_bands_cover_0_to_100_once_each_and_nothing_else() -> None:
    covered = sorted(p for low, high in GRADE_BANDS.values() for p in range(low, high + 1))
    assert covered == list(range(101))
    for outside in (-1, 101):
        with pytest.raises(InvalidInput):
            grade_for_points(outside)


def test_the_quota_with_no_one_graded_and_after_a_change_away_from_excellent() -> None:
    assert quota_after([], Grade.EXCELLENT)  # the first grade of a unit: 1 > 20% of none
    assert not quota_after([], Grade.GOOD)
    # Changing the only "excellent" to "good": nothing is excellent any more.
    assert not quota_after(["excellent", "good"], Grade.GOOD, replacing="excellent")
    # A "replacing" grade that is not counted (a race, a bad value) removes nothing.
    assert quota_after(["good"] * 5 + ["excellent"], Grade.EXCELLENT, replacing="fulfilled")
