"""What the committees' reports are made of (issue 12): plain data, computed by the report
service in bulk SQL over a subtree, and rendered elsewhere (text, chart, XLSX, DOCX).

Every member counts once, in their current primary unit; the exempt (miễn sinh hoạt) are not
expected to file, not counted in attendance, not graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from storage.records import Unit

GRADES = ("excellent", "good", "fulfilled", "not_fulfilled")


def rate(part: int, whole: int) -> float | None:
    """part / whole as a share (0.0-1.0); None when there is nothing to count."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Period:
    """Local dates, both ends included: a year, a half (H1, H2), a quarter or a month."""

    year: int
    start: date
    end: date
    label: str  # "2026", "2026-H1", "2026-Q3", "2026-05": stable, for files and keys


@dataclass(frozen=True)
class Figures:
    """One unit's figures over its whole subtree, for one campaign year and period."""

    unit: Unit
    members: int = 0  # active members (primary unit in the subtree), each once
    expected: int = 0  # members expected to file a commitment (the exempt are not)
    filed: int = 0  # submitted at least once (submitted or approved now)
    approved: int = 0
    late: int = 0  # filed after the deadline
    invited: int = 0  # invitations to sessions held (closed) in the period, the exempt excluded
    present: int = 0  # of those, present (checked in, or marked present)
    regular_held: int = 0  # regular sessions held (closed) in the period, in cadence units
    regular_due: int = 0  # what the rule asks: one per month per cadence unit
    thematic_held: int = 0
    thematic_due: int = 0  # one per quarter per cadence unit
    study_units: int = 0  # units of the subtree in the study cascade
    study_done: int = 0  # of those, done by their deadline
    stories_delivered: int = 0  # story copies delivered to members of the subtree
    stories_read: int = 0  # of those, marked "read and learned"
    grades: dict[str, int] = field(default_factory=dict)  # GRADES → count (decided grades)
    ungraded: int = 0  # expected members with no decided grade yet

    @property
    def filed_rate(self) -> float | None:
        return rate(self.filed, self.expected)

    @property
    def approved_rate(self) -> float | None:
        return rate(self.approved, self.expected)

    @property
    def late_rate(self) -> float | None:
        return rate(self.late, self.filed)

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.present, self.invited)

    @property
    def engagement_rate(self) -> float | None:
        return rate(self.stories_read, self.stories_delivered)


@dataclass(frozen=True)
class MonthAttendance:
    month: date  # the first day of the month
    invited: int
    present: int

    @property
    def rate(self) -> float | None:
        return rate(self.present, self.invited)


@dataclass(frozen=True)
class Overview:
    """A unit's report: its own totals, one row per child unit (each over its subtree), and
    the month-by-month attendance of the period. ``rows`` is empty for a unit without units
    below it (a cell): its drill-down is the member list."""

    period: Period
    total: Figures
    rows: list[Figures]
    trend: list[MonthAttendance]


@dataclass(frozen=True)
class MemberLine:
    """One member in a cell's drill-down."""

    member_id: int
    name: str
    status: str  # official, probationary, temporary, exempt
    commitment: str | None  # draft, submitted, returned, approved; None: not started
    late: bool
    invited: int
    present: int
    grade: str | None  # the decided grade, if any
