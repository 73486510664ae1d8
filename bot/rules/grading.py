"""Year-end grading (đánh giá, xếp loại chất lượng đảng viên cuối năm): the four grades, the
100-point bands, who proposes and who decides, the 20% cap, who is graded at all, and the
window for changing a decided grade. Pure functions only: no Telegram, no database.

The steps (Quy định 124-QĐ/TW, 2023): the member's self-assessment (a commitment matter,
:mod:`bot.rules.commitments`); the cell's appraisal and proposed grade (đề xuất); the
decision of the competent level. A cell under a grassroots committee (đảng ủy cơ sở)
proposes and that committee decides, for all its cells together; a grassroots cell (chi bộ
cơ sở: a cell whose parent is not a grassroots committee) decides itself. Since 2025 a
100-point score goes with every grade. "Excellent" may be at most 20% of those graded
"good", counted per grassroots organisation at the deciding level. Members exempt from
activities are not graded and not counted (Quy định 24-QĐ/TW, 2021). Temporarily attached
members are graded by the cell of their official membership; the cell where they attend
gives its comment.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.errors import InvalidInput, Term
from bot.i18n import N_
from bot.rules.commitments import COMMENT_MAX, COMMENT_MIN, clean_text
from storage.records import Campaign, Unit

# "Excellent" at most this percentage of those graded "good" (integer arithmetic: no float
# rounding can let one more through or hold one back).
EXCELLENT_PERCENT_OF_GOOD = 20

EXEMPT = "exempt"
TEMPORARY = "temporary"
CELL = "cell"
PARTY_GROUP = "party_group"
GRASSROOTS_COMMITTEE = "grassroots_committee"
OFFICIAL_KINDS = (CELL, PARTY_GROUP)  # where a temporary member's official membership is


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


# Points and the comment ------------------------------------------------------------------


def grade_for_points(points: int) -> Grade:
    for grade, (low, high) in GRADE_BANDS.items():
        if low <= points <= high:
            return grade
    raise InvalidInput(N_("Points must be a whole number from 0 to 100."))


def check_points(grade: Grade | str, points: int | None) -> int:
    """The points are required with the grade (since 2025) and must lie in its band."""
    if points is None:
        low, high = GRADE_BANDS[Grade(grade)]
        raise InvalidInput(
            N_("The points are required with the grade: for \u201c{grade}\u201d, {low} to {high}."),
            grade=Term(GRADE_LABELS[Grade(grade)]),
            low=low,
            high=high,
        )
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
    if not value.isascii() or not value.isdigit():
        raise InvalidInput(N_("Points must be a whole number from 0 to 100."))
    return int(value)


def clean_comment(text: str) -> str:
    """The appraisal's comment (or a temporary cell's remark), checked before it is shown
    back to anyone: the length, and no control characters (a line break is allowed)."""
    if any(unicodedata.category(char) == "Cc" and char not in "\n\r\t" for char in text or ""):
        raise InvalidInput(
            N_("The comment contains control characters. Please type it again as plain text.")
        )
    return clean_text(text, low=COMMENT_MIN, high=COMMENT_MAX)


# The window ------------------------------------------------------------------------------


def may_change_grade(campaign: Campaign, today: date) -> bool:
    """A decided grade may be changed (a mistake corrected, an appeal upheld) until the
    year-end review window closes; after that it stands, as the year's record."""
    return today <= campaign.review_closes


# Who is graded, where --------------------------------------------------------------------


def is_graded(status: str) -> bool:
    """Members exempt from activities are exempt from evaluation while exempt: not graded,
    and not counted in the 20% cap."""
    return status != EXEMPT


def official_unit(status: str, units: Sequence[Unit]) -> Unit | None:
    """The unit of the member's official membership, from their open memberships (primary
    first).

    The primary membership is where the member takes part now (meetings, the commitment,
    monitoring). For a temporarily attached member that is the cell where they attend
    temporarily; their official membership is kept as an extra one, the first extra
    membership in a cell or party group (imports list the primary first: ``CB-TEMP;CB-HOME``).
    None when it is not in the bot: the member is then not graded here.
    """
    if not units:
        return None
    if status != TEMPORARY:
        return units[0]
    return next((unit for unit in units[1:] if unit.kind in OFFICIAL_KINDS), None)


def grading_cell(chain: Sequence[Unit]) -> Unit:
    """The cell that appraises and proposes: given the chain from the root down to the
    member's official unit, the nearest cell at or above it (a party group's cell). A member
    attached directly to another kind of unit is appraised by that unit."""
    if not chain:
        raise ValueError("an empty chain of units")
    return next((unit for unit in reversed(chain) if unit.kind == CELL), chain[-1])


def deciding_unit(chain: Sequence[Unit]) -> Unit:
    """The level that decides: the grassroots committee the grading cell sits under (the
    topmost of a run of grassroots committees, so a partial committee's cells are decided by
    the đảng ủy cơ sở above it), else the grading cell itself (a grassroots cell)."""
    cell = grading_cell(chain)
    index = max(i for i, unit in enumerate(chain) if unit.id == cell.id)
    if cell.kind != GRASSROOTS_COMMITTEE:
        index -= 1
    decider = cell
    while index >= 0 and chain[index].kind == GRASSROOTS_COMMITTEE:
        decider = chain[index]
        index -= 1
    return decider


def is_deciding_committee(unit: Unit, parent: Unit | None) -> bool:
    """A grassroots committee that decides for its cells (not one nested in another)."""
    return unit.kind == GRASSROOTS_COMMITTEE and (
        parent is None or parent.kind != GRASSROOTS_COMMITTEE
    )


# The 20% cap -----------------------------------------------------------------------------


def excellent_cap(good: int) -> int:
    """At most this many "excellent": 20% of those graded "good", rounded down."""
    return max(good, 0) * EXCELLENT_PERCENT_OF_GOOD // 100


def within_cap(excellent: int, good: int) -> bool:
    return excellent <= excellent_cap(good)


@dataclass(frozen=True)
class Tally:
    """How many of each grade in one grassroots organisation (exempt members left out)."""

    excellent: int = 0
    good: int = 0
    fulfilled: int = 0
    not_fulfilled: int = 0

    @classmethod
    def of(cls, grades: Iterable[str | Grade | None]) -> Tally:
        counted = [Grade(g) for g in grades if g]
        return cls(*(counted.count(grade) for grade in Grade))

    @property
    def cap(self) -> int:
        return excellent_cap(self.good)

    @property
    def over_cap(self) -> bool:
        return not within_cap(self.excellent, self.good)

    @property
    def total(self) -> int:
        return self.excellent + self.good + self.fulfilled + self.not_fulfilled


def tally_after(current: dict[int, str | None], changes: dict[int, str]) -> Tally:
    """The tally once ``changes`` (key → new grade) replace the grades in ``current``
    (key → grade in force, None: none yet). Keys are whatever identifies a member."""
    merged = dict(current)
    merged.update(changes)
    return Tally.of(merged.values())


def breaks_cap(before: Tally, after: Tally) -> bool:
    """Whether a decision taking the organisation from ``before`` to ``after`` breaks the
    20% rule: "excellent" ends above the cap, and the decision got it there (more
    "excellent", or fewer "good" to allow them). A decision that adds neither is not blocked
    by an excess it did not make (grades decided before the rule was enforced), so the
    members graded "good" that would cure it can still be decided."""
    return after.over_cap and (after.excellent > before.excellent or after.cap < before.cap)
