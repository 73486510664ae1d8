"""The grading rules alone (bot/rules/grading.py): the grades' point bands (points required),
the comment's check, who proposes and who decides, the official cell of a temporarily
attached member, the exempt, the 20% cap and the window for changing a grade."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from bot.errors import InvalidInput
from bot.i18n import use_locale
from bot.rules.campaigns import default_campaign
from bot.rules.grading import (
    GRADE_BANDS,
    Grade,
    Tally,
    breaks_cap,
    check_points,
    clean_comment,
    deciding_unit,
    excellent_cap,
    grade_for_points,
    grading_cell,
    is_deciding_committee,
    is_graded,
    may_change_grade,
    official_unit,
    parse_points,
    tally_after,
    within_cap,
)
from storage.records import Unit

CAMPAIGN = default_campaign(2026, "Tinh thần trách nhiệm, năng động, sáng tạo")

CITY = Unit(1, "TU", "Thành ủy", "city_committee", None, "/1/")
DISTRICT = Unit(2, "QU", "Quận ủy", "committee", 1, "/1/2/")
GRASSROOTS = Unit(3, "DU", "Đảng ủy Trường", "grassroots_committee", 2, "/1/2/3/")
PARTIAL = Unit(4, "DB", "Đảng bộ bộ phận Khoa", "grassroots_committee", 3, "/1/2/3/4/")
CELL_UNDER_GRASSROOTS = Unit(5, "CB-A", "Chi bộ A", "cell", 3, "/1/2/3/5/")
CELL_UNDER_PARTIAL = Unit(6, "CB-P", "Chi bộ P", "cell", 4, "/1/2/3/4/6/")
GRASSROOTS_CELL = Unit(7, "CB-G", "Chi bộ cơ sở G", "cell", 2, "/1/2/7/")
GROUP = Unit(8, "TD", "Tổ đảng", "party_group", 5, "/1/2/3/5/8/")
BRANCH = Unit(9, "CD", "Chi đoàn", "mass_org_branch", 2, "/1/2/9/")


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


def test_the_points_are_required_with_the_grade() -> None:
    # Since 2025 the 100-point score goes with every grade: no grade without it.
    for grade in Grade:
        with pytest.raises(InvalidInput) as refused:
            check_points(grade, None)
        low, high = GRADE_BANDS[grade]
        with use_locale("vi"):
            assert f"{low}" in refused.value.render() and f"{high}" in refused.value.render()


def test_points_are_plain_digits() -> None:
    for text in ("٩٠", "９０", "9 0", "90.5", "-5", ""):
        with pytest.raises(InvalidInput):
            parse_points(text)


def test_the_comment_is_checked_before_it_is_shown() -> None:
    assert clean_comment("  Gương mẫu,\n  tích cực  ") == "Gương mẫu,\ntích cực"
    assert clean_comment("<b>Tốt</b> & đúng") == "<b>Tốt</b> & đúng"  # escaped when shown
    for text in ("", "ok", "x" * 1001, "/cancel", "Tốt\x00lắm", "Tốt \x1b[31m lắm", "Tốt\x7f"):
        with pytest.raises(InvalidInput):
            clean_comment(text)


def test_excellent_at_most_twenty_percent_of_good() -> None:
    assert within_cap(1, 5)
    assert not within_cap(2, 5)
    assert not within_cap(1, 0)  # no one "good": no "excellent"
    assert within_cap(0, 0)


@pytest.mark.parametrize(
    ("good", "cap"),
    [(0, 0), (1, 0), (4, 0), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3), (35, 7), (100, 20)],
)
def test_the_cap_is_twenty_percent_of_good_rounded_down(good: int, cap: int) -> None:
    assert excellent_cap(good) == cap
    assert within_cap(cap, good) and not within_cap(cap + 1, good)


def test_the_cap_is_exact_where_floating_point_would_not_be() -> None:
    for good in range(2000):
        assert excellent_cap(good) == int(Fraction(good) * Fraction(20, 100))


def test_a_tally_counts_each_grade_and_nothing_ungraded() -> None:
    tally = Tally.of(["excellent", "good", "good", None, "fulfilled", Grade.NOT_FULFILLED])
    assert (tally.excellent, tally.good, tally.fulfilled, tally.not_fulfilled) == (1, 2, 1, 1)
    assert tally.total == 5 and tally.cap == 0 and tally.over_cap


def test_changing_a_grade_counts_the_cap_without_the_old_one() -> None:
    # One "excellent" and five "good": changing a "good" to "excellent" breaks the rule,
    # changing the "excellent" itself to "excellent" again does not.
    current = {1: "excellent", **{n: "good" for n in range(2, 7)}}
    before = Tally.of(current.values())
    assert not before.over_cap
    assert breaks_cap(before, tally_after(current, {2: Grade.EXCELLENT}))
    assert not breaks_cap(before, tally_after(current, {1: Grade.EXCELLENT}))
    # Changing the only "excellent" to "good": nothing is excellent any more.
    assert not breaks_cap(before, tally_after(current, {1: Grade.GOOD}))


def test_a_decision_breaks_the_cap_only_if_it_gets_there_itself() -> None:
    nothing = Tally()
    # The first "excellent" with no one "good" is over the cap (0).
    assert breaks_cap(nothing, Tally(excellent=1))
    # All at once, seeing the whole organisation: 1 excellent with 5 good is within it.
    assert not breaks_cap(nothing, Tally(excellent=1, good=5))
    assert breaks_cap(nothing, Tally(excellent=2, good=9))
    # Fewer "good" lowers the cap under the "excellent" already decided.
    assert breaks_cap(Tally(excellent=1, good=5), Tally(excellent=1, good=4, fulfilled=1))
    # An excess made before the rule was enforced does not block the "good" that cure it.
    assert not breaks_cap(Tally(excellent=1), Tally(excellent=1, good=1))
    assert not breaks_cap(Tally(excellent=2, good=5), Tally(excellent=1, good=6))


def test_a_grade_may_be_changed_until_the_review_window_closes() -> None:
    assert may_change_grade(CAMPAIGN, CAMPAIGN.review_opens)
    assert may_change_grade(CAMPAIGN, CAMPAIGN.review_closes)
    assert not may_change_grade(CAMPAIGN, date(CAMPAIGN.year + 1, 1, 1))


def test_the_bands_cover_0_to_100_once_each_and_nothing_else() -> None:
    covered = sorted(p for low, high in GRADE_BANDS.values() for p in range(low, high + 1))
    assert covered == list(range(101))
    for outside in (-1, 101):
        with pytest.raises(InvalidInput):
            grade_for_points(outside)


# Who proposes, who decides ------------------------------------------------------------------


def test_a_cell_under_a_grassroots_committee_proposes_and_the_committee_decides() -> None:
    chain = [CITY, DISTRICT, GRASSROOTS, CELL_UNDER_GRASSROOTS]
    assert grading_cell(chain) == CELL_UNDER_GRASSROOTS
    assert deciding_unit(chain) == GRASSROOTS


def test_a_grassroots_cell_decides_itself() -> None:
    chain = [CITY, DISTRICT, GRASSROOTS_CELL]
    assert grading_cell(chain) == deciding_unit(chain) == GRASSROOTS_CELL


def test_a_partial_committee_s_cells_are_decided_by_the_grassroots_committee_above() -> None:
    chain = [CITY, DISTRICT, GRASSROOTS, PARTIAL, CELL_UNDER_PARTIAL]
    assert grading_cell(chain) == CELL_UNDER_PARTIAL
    assert deciding_unit(chain) == GRASSROOTS
    assert is_deciding_committee(GRASSROOTS, DISTRICT)
    assert not is_deciding_committee(PARTIAL, GRASSROOTS)
    assert not is_deciding_committee(CELL_UNDER_GRASSROOTS, GRASSROOTS)
    assert is_deciding_committee(GRASSROOTS, None)


def test_a_party_group_is_appraised_by_its_cell() -> None:
    chain = [CITY, DISTRICT, GRASSROOTS, CELL_UNDER_GRASSROOTS, GROUP]
    assert grading_cell(chain) == CELL_UNDER_GRASSROOTS
    assert deciding_unit(chain) == GRASSROOTS


def test_a_member_attached_to_another_kind_of_unit_is_graded_there() -> None:
    assert grading_cell([CITY, DISTRICT]) == deciding_unit([CITY, DISTRICT]) == DISTRICT
    assert deciding_unit([CITY, DISTRICT, GRASSROOTS]) == GRASSROOTS
    assert deciding_unit([CITY, DISTRICT, GRASSROOTS, PARTIAL]) == GRASSROOTS
    assert deciding_unit([CITY, DISTRICT, BRANCH]) == BRANCH
    with pytest.raises(ValueError):
        grading_cell([])


# Who is graded, and where -------------------------------------------------------------------


def test_exempt_members_are_not_graded() -> None:
    assert not is_graded("exempt")
    assert all(is_graded(s) for s in ("official", "probationary", "temporary"))


def test_the_official_cell_of_a_member() -> None:
    # Everyone but the temporarily attached: the primary membership.
    assert official_unit("official", [GRASSROOTS_CELL, CELL_UNDER_GRASSROOTS]) == GRASSROOTS_CELL
    assert official_unit("probationary", [CELL_UNDER_GRASSROOTS]) == CELL_UNDER_GRASSROOTS
    assert official_unit("official", []) is None
    # Temporarily attached: the primary is where they attend; the official cell is the first
    # extra membership in a cell or party group.
    assert official_unit("temporary", [GRASSROOTS_CELL, CELL_UNDER_GRASSROOTS]) == (
        CELL_UNDER_GRASSROOTS
    )
    assert official_unit("temporary", [GRASSROOTS_CELL, BRANCH, GROUP]) == GROUP
    # Not in the bot: not graded here.
    assert official_unit("temporary", [GRASSROOTS_CELL]) is None
    assert official_unit("temporary", [GRASSROOTS_CELL, BRANCH]) is None
