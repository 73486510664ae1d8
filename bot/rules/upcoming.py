"""What /reminders shows one person: which reminders apply to them, from the state of things
now (a commitment not yet submitted, a meeting not declined, a cell without its meeting this
month). Pure: the service reads the state and the plans, these decide.

The list says what the engine will send if nothing changes: a member who files their
commitment tomorrow will not get the reminders listed today for next week.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bot.rules import reminders as rules
from bot.rules.reminder_kinds import CATALOGUE, MUTABLE, ReminderKind, reminds, spec_of
from bot.rules.sessions import months_between

NOT_SUBMITTED = (None, "draft", "returned")  # a commitment still to be submitted
ORDER = {kind: index for index, kind in enumerate(CATALOGUE)}  # the catalogue's order
INVITEE_KINDS = (
    ReminderKind.SESSION_SOON,
    ReminderKind.SESSION_HOUR,
    ReminderKind.SESSION_CHECKIN,
)


def in_period(
    planned: Iterable[rules.Planned], since: datetime, until: datetime
) -> list[rules.Planned]:
    """The reminders sent after ``since`` and by ``until``."""
    return [p for p in planned if since < p.send_at <= until]


def sort_key(kind: ReminderKind, send_at: datetime) -> tuple[datetime, int]:
    """Time first; at the same time, in the catalogue's order."""
    return send_at, ORDER[kind]


# A member's own ------------------------------------------------------------------------------


def commitment_kinds(expected: bool, status: str | None) -> list[ReminderKind]:
    """The deadline reminders go to an expected member (not exempt, in a unit) while their
    commitment is not submitted; a returned one is also reminded 3 days after the return."""
    kinds = []
    if expected and status in NOT_SUBMITTED:
        kinds.append(ReminderKind.COMMITMENT_DUE)
    if status == "returned":
        kinds.append(ReminderKind.COMMITMENT_RETURNED)
    return kinds


def invitee_kinds(
    session_status: str, rsvp: str | None, checked_in: bool, member_status: str
) -> list[ReminderKind]:
    """A session's reminders to one invitee: none once declined or when the session is no
    longer scheduled; no check-in prompt once checked in; none to the exempt."""
    if session_status != "scheduled" or rsvp == "no":
        return []
    kinds = [k for k in INVITEE_KINDS if not (k is ReminderKind.SESSION_CHECKIN and checked_in)]
    return [k for k in kinds if reminds(k, member_status)]


# The earliest invitee reminder, before the start (24 h).
EARLIEST = max(-min(spec_of(kind).offsets) for kind in INVITEE_KINDS)


def session_span(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The starts of the sessions whose invitee reminders (from a day before to the start)
    can fall in (since, until]."""
    return since, until + EARLIEST


def review_kinds(
    expected: bool, member_status: str, filed: bool, self_assessed: bool
) -> list[ReminderKind]:
    """The year-end review: its opening to every expected member; the weekly nudge to those
    with a filed commitment not yet self-assessed (or graded). None to the exempt."""
    kinds = []
    if expected:
        kinds.append(ReminderKind.REVIEW_OPENS)
        if filed and not self_assessed:
            kinds.append(ReminderKind.REVIEW_SELF)
    return [k for k in kinds if reminds(k, member_status)]


# Secretaries and committees -------------------------------------------------------------------


def session_close_due(session_status: str, has_minutes: bool) -> bool:
    """The secretary is reminded to close a session not closed with its minutes."""
    return session_status != "cancelled" and not (session_status == "closed" and has_minutes)


def held_by(member_id: int, holder_ids: Iterable[int]) -> bool:
    """Whether this member is among a unit's (nearest) holders of a role: the reminders of
    that unit's duties go to them."""
    return member_id in set(holder_ids)


def cadence_anchors(
    unit_kind: str, start: date, end: date, scheduled: Iterable[tuple[str, date]]
) -> list[tuple[ReminderKind, date]]:
    """The cadence reminders of one cell for the months from ``start`` to ``end``: (kind, the
    day it is anchored on) for each month without a regular session and each quarter (on its
    second month) without a thematic one. ``scheduled``: (kind, local date) of its sessions
    not cancelled, over the whole quarters concerned."""
    held = list(scheduled)
    found: list[tuple[ReminderKind, date]] = []
    for year, month in months_between(start, end):
        day = rules.regular_due(unit_kind, year, month, held)
        if day is not None:
            found.append((ReminderKind.CADENCE_REGULAR, day))
        if (month - 1) % 3 == rules.THEMATIC_BY_MONTH - 1:
            day = rules.thematic_due(unit_kind, year, (month - 1) // 3 + 1, held)
            if day is not None:
                found.append((ReminderKind.CADENCE_THEMATIC, day))
    return found


def quarters_span(start: date, end: date) -> tuple[date, date]:
    """The first day of ``start``'s quarter and the first day after ``end``'s quarter: the
    sessions a cadence check over these months must see."""
    first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    last_month = 3 * ((end.month - 1) // 3) + 3
    after = date(end.year + 1, 1, 1) if last_month == 12 else date(end.year, last_month + 1, 1)
    return first, after


# Muting -----------------------------------------------------------------------------------------


def mutable_for(member_status: str) -> list[ReminderKind]:
    """The kinds this member may mute, in the catalogue's order: the meeting notices and the
    weekly self-assessment nudge, unless they are exempt and get none of them."""
    return [k for k in CATALOGUE if k in MUTABLE and reminds(k, member_status)]


def is_mutable(kind: str) -> bool:
    try:
        return ReminderKind(kind) in MUTABLE
    except ValueError:
        return False


def button_code(kind: ReminderKind) -> str:
    """The word a button carries for a kind (button choices have no dots)."""
    return kind.value.replace(".", "_")


def from_button_code(code: str) -> ReminderKind | None:
    try:
        return ReminderKind(code.replace("_", "."))
    except ValueError:
        return None


MUTE_CODES = tuple(button_code(k) for k in CATALOGUE if k in MUTABLE)
