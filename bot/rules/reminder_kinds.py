"""The reminder engine's catalogue of kinds: who is reminded, when (offsets from an anchor),
how long a late reminder stays useful (grace), whether quiet hours and holidays may hold it
(urgent), whether a member may mute it, and the button it carries. Pure data and rules.

docs/reminders.md has the same table, in words.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum

# Kinds ----------------------------------------------------------------------------------------


class ReminderKind(StrEnum):
    COMMITMENT_DUE = "commitment.due"  # a member without a submitted commitment
    COMMITMENT_MISSING = "commitment.missing"  # a secretary: their members still missing
    COMMITMENT_SUMMARY = "commitment.summary"  # a committee: per-unit figures at the deadline
    COMMITMENT_RETURNED = "commitment.returned"  # a member: returned, not resubmitted
    SESSION_SOON = "session.soon"  # invitees who have not declined, 24 h before
    SESSION_HOUR = "session.hour"  # the same, 1 h before
    SESSION_CHECKIN = "session.checkin"  # invitees, at the start: check in
    SESSION_CLOSE = "session.close"  # the secretary, 24 h after, if not closed
    CADENCE_REGULAR = "cadence.regular"  # a cell's secretary: no regular session this month
    CADENCE_THEMATIC = "cadence.thematic"  # the same: no thematic session this quarter
    STUDY_DUE = "study.due"  # a unit not done studying, 7 days before its deadline
    STUDY_LIST = "study.list"  # its committee: the units not done
    REVIEW_OPENS = "review.opens"  # every member: the year-end review is open
    REVIEW_SELF = "review.self"  # weekly: members who have not self-assessed
    REVIEW_GRADE = "review.grade"  # secretaries with ungraded members, before the close
    CALENDAR_DAY = "calendar.day"  # the propaganda board: a commemorative day is coming


class Audience(StrEnum):
    MEMBER = "member"  # the member concerned
    INVITEES = "invitees"  # a session's invitees who have not declined
    SECRETARY = "secretary"  # the unit's secretary (and deputy)
    COMMITTEE = "committee"  # the committee above the units concerned
    ALL = "all"  # every active member in the campaign's scope
    BOARD = "board"  # the propaganda board of the unit and above


MORNING = time(8, 0)  # local time of the day-based reminders


@dataclass(frozen=True)
class KindSpec:
    """One kind of reminder.

    ``offsets`` are from the anchor (negative: before it). With ``at`` set the anchor is a
    local date and each reminder falls at ``at`` on the day the offset gives (whole days);
    without it the anchor is a moment and the offset is exact. ``grace``: how late after its
    due time a reminder is still worth sending (a restart after downtime, or a deferral past
    quiet hours and holidays); later, it is dropped and logged. ``before_anchor``: it is
    pointless once the anchor has passed (a reminder of a deadline after the deadline).
    ``urgent`` ignores quiet hours and holidays. ``mutable``: a member may mute it.
    ``action``: the button the message carries (bot/callbacks names it), "" for none.
    """

    kind: ReminderKind
    audience: Audience
    offsets: tuple[timedelta, ...]
    grace: timedelta
    at: time | None = MORNING
    urgent: bool = False
    mutable: bool = False
    before_anchor: bool = True
    action: str = ""


def _days(*values: int) -> tuple[timedelta, ...]:
    return tuple(timedelta(days=value) for value in values)


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

CATALOGUE: dict[ReminderKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            ReminderKind.COMMITMENT_DUE,
            Audience.MEMBER,
            _days(-14, -7, -3, -1),
            grace=2 * DAY,
            action="commitment.file",
        ),
        KindSpec(
            ReminderKind.COMMITMENT_MISSING,
            Audience.SECRETARY,
            _days(-7, -1),
            grace=DAY,
            action="commitment.monitor",
        ),
        # The morning after the deadline day: the figures are final.
        KindSpec(
            ReminderKind.COMMITMENT_SUMMARY,
            Audience.COMMITTEE,
            _days(1),
            grace=7 * DAY,
            before_anchor=False,
            action="commitment.monitor",
        ),
        KindSpec(
            ReminderKind.COMMITMENT_RETURNED,
            Audience.MEMBER,
            (3 * DAY,),
            grace=3 * DAY,
            at=None,
            before_anchor=False,
            action="commitment.file",
        ),
        # Until the one-hour reminder takes over.
        KindSpec(
            ReminderKind.SESSION_SOON,
            Audience.INVITEES,
            (-24 * HOUR,),
            grace=23 * HOUR,
            at=None,
            mutable=True,
            action="session.answer",
        ),
        KindSpec(
            ReminderKind.SESSION_HOUR,
            Audience.INVITEES,
            (-HOUR,),
            grace=HOUR,
            at=None,
            urgent=True,
            mutable=True,
            action="session.show",
        ),
        # While check-in is open (bot.rules.sessions.CHECKIN_AFTER).
        KindSpec(
            ReminderKind.SESSION_CHECKIN,
            Audience.INVITEES,
            (timedelta(0),),
            grace=2 * HOUR,
            at=None,
            urgent=True,
            before_anchor=False,
            action="session.checkin",
        ),
        KindSpec(
            ReminderKind.SESSION_CLOSE,
            Audience.SECRETARY,
            (24 * HOUR,),
            grace=7 * DAY,
            at=None,
            before_anchor=False,
            action="session.close",
        ),
        # Anchored on the first day of the month / quarter month the rule looks at.
        KindSpec(
            ReminderKind.CADENCE_REGULAR,
            Audience.SECRETARY,
            _days(0),
            grace=5 * DAY,
            before_anchor=False,
            action="session.create",
        ),
        KindSpec(
            ReminderKind.CADENCE_THEMATIC,
            Audience.SECRETARY,
            _days(0),
            grace=14 * DAY,
            before_anchor=False,
            action="session.create",
        ),
        KindSpec(
            ReminderKind.STUDY_DUE,
            Audience.SECRETARY,
            _days(-7),
            grace=3 * DAY,
            action="session.create",
        ),
        KindSpec(
            ReminderKind.STUDY_LIST,
            Audience.COMMITTEE,
            _days(-7),
            grace=3 * DAY,
            action="study.show",
        ),
        KindSpec(
            ReminderKind.REVIEW_OPENS,
            Audience.ALL,
            _days(0),
            grace=7 * DAY,
            before_anchor=False,
            action="review.self",
        ),
        # Anchored on each week's date (see review_weeks).
        KindSpec(
            ReminderKind.REVIEW_SELF,
            Audience.MEMBER,
            _days(0),
            grace=3 * DAY,
            mutable=True,
            before_anchor=False,
            action="review.self",
        ),
        KindSpec(
            ReminderKind.REVIEW_GRADE,
            Audience.SECRETARY,
            _days(-7, -1),
            grace=DAY,
            action="review.grade",
        ),
        # The calendar's days: the offset is the day's own remind_days (see calendar_plan).
        KindSpec(
            ReminderKind.CALENDAR_DAY,
            Audience.BOARD,
            _days(-7),
            grace=2 * DAY,
            action="calendar.show",
        ),
    )
}

URGENT = frozenset(kind for kind, spec in CATALOGUE.items() if spec.urgent)
MUTABLE = frozenset(kind for kind, spec in CATALOGUE.items() if spec.mutable)


def spec_of(kind: str | ReminderKind) -> KindSpec:
    return CATALOGUE[ReminderKind(kind)]


# Exempted members (miễn sinh hoạt) are not invited, not graded, not counted: nothing about
# sessions or the year-end review reaches them.
EXEMPT_STATUS = "exempt"
EXEMPT_SKIPS = frozenset(
    {
        ReminderKind.SESSION_SOON,
        ReminderKind.SESSION_HOUR,
        ReminderKind.SESSION_CHECKIN,
        ReminderKind.REVIEW_OPENS,
        ReminderKind.REVIEW_SELF,
    }
)


def reminds(kind: ReminderKind, status: str, muted: Collection[str] = ()) -> bool:
    """Whether a member of this status, who muted these kinds, gets this kind."""
    if status == EXEMPT_STATUS and kind in EXEMPT_SKIPS:
        return False
    return not (kind in muted and spec_of(kind).mutable)
