"""The reminder engine's rules. Pure: no I/O, no Telegram, no database (the public holidays
come from the ``holidays`` package's tables, as the calendar's lunar day does).

- the catalogue of kinds lives in :mod:`bot.rules.reminder_kinds` ;
- quiet hours and public holidays: when a non-urgent reminder may go out;
- the plan of one kind for one anchor (a deadline, a session's start): the moments, each with
  the occurrence that names it in its dedup key;
- the meeting cadence, the year-end weeks, "leaders first", and the dedup keys.

See docs/reminders.md for the design these serve.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Protocol, TypeVar

import holidays as holiday_tables

from bot.rules.reminder_kinds import DAY, MORNING, ReminderKind, spec_of
from bot.rules.sessions import CADENCE_KINDS, Kind

# Quiet hours and public holidays ------------------------------------------------------------

QUIET = (time(21, 0), time(7, 0))  # local; the start is quiet, the end is not
HOLIDAY_SEARCH_DAYS = 60  # no run of holidays is longer; a guard against a bad calendar
FALLBACK_MORNING = time(7, 0)  # the morning when the quiet hours do not span the night


@cache
def _public_holidays(year: int) -> frozenset[date]:
    try:
        return frozenset(holiday_tables.country_holidays("VN", years=year))
    except (NotImplementedError, ValueError):  # pragma: no cover - outside the tables
        return frozenset()


def is_public_holiday(day: date) -> bool:
    """A public holiday in Viet Nam (Tết, the days in lieu included), from the ``holidays``
    package."""
    return day in _public_holidays(day.year)


def in_quiet_hours(moment: time, quiet: tuple[time, time] = QUIET) -> bool:
    """Whether this local time of day is quiet; the span may cross midnight (21:00–07:00)
    or not (12:00–13:30); equal ends mean no quiet hours."""
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    # Through UTC and back: a wall time in a DST gap becomes a real instant.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def defer_for_quiet_hours(
    moment: datetime,
    tz: tzinfo,
    quiet: tuple[time, time] = QUIET,
    holidays: Callable[[date], bool] = is_public_holiday,
) -> datetime:
    """The first allowed moment at or after ``moment`` for a non-urgent reminder: outside
    quiet hours and not on a public holiday; a deferred reminder goes at the end of the
    quiet hours (the morning) of the first allowed day. Returned in ``tz``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    start, end = quiet
    local = moment.astimezone(tz)
    for _ in range(HOLIDAY_SEARCH_DAYS):
        if holidays(local.date()):
            local = _local(local.date() + DAY, _morning(quiet), tz)
        elif in_quiet_hours(local.time(), quiet):
            # A span across midnight ends tomorrow when it is evening; else it ends today.
            evening = start > end and local.time() >= start
            local = _local(local.date() + DAY if evening else local.date(), end, tz)
        else:
            return local
    raise ValueError("no allowed day found")  # pragma: no cover - endless holidays


def _morning(quiet: tuple[time, time]) -> time:
    """When a day after a holiday starts: the end of the night's quiet hours, else 07:00."""
    start, end = quiet
    return end if start > end else FALLBACK_MORNING


def is_stale(kind: str | ReminderKind, due: datetime, now: datetime) -> bool:
    """A reminder more than its kind's grace past its due time is no longer worth sending."""
    return now > due + spec_of(kind).grace


# Plans ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One reminder of one kind for one anchor: ``due`` as the offsets give it, ``send_at``
    once quiet hours and holidays are respected; ``occurrence`` names it in its dedup key
    (it holds the anchor, so a moved session or deadline gets new keys)."""

    kind: ReminderKind
    occurrence: str
    due: datetime
    send_at: datetime


def _anchor_label(anchor: date | datetime) -> str:
    if isinstance(anchor, datetime):
        return anchor.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return anchor.isoformat()


def _offset_label(offset: timedelta, by_day: bool) -> str:
    if by_day:
        return f"{offset.days:+d}d"
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60:+d}h" if minutes % 60 == 0 else f"{minutes:+d}m"


def plan(
    kind: str | ReminderKind,
    anchor: date | datetime,
    tz: tzinfo,
    *,
    offsets: Sequence[timedelta] | None = None,
    quiet: tuple[time, time] = QUIET,
    holidays: Callable[[date], bool] = is_public_holiday,
) -> list[Planned]:
    """The reminders of ``kind`` for one anchor, in time order (``offsets`` overrides the
    catalogue's, for a campaign that sets its own). A reminder whose deferral would carry it
    past its grace, or past the anchor for a kind that is pointless afterwards, is left out;
    two deferred onto the same moment (the same day, for the day-based kinds) are sent once:
    the later offset, the nearer notice."""
    spec = spec_of(kind)
    at = spec.at
    by_day = at is not None
    if by_day and isinstance(anchor, datetime):
        raise ValueError(f"{spec.kind} is anchored on a date")
    if not by_day and not isinstance(anchor, datetime):
        raise ValueError(f"{spec.kind} is anchored on a moment")
    # A before-anchor reminder is pointless from the anchor moment, or the date's end, on.
    limit = anchor if isinstance(anchor, datetime) else _local(anchor + DAY, time(0, 0), tz)
    # Keyed by the local day for day-based kinds: one such reminder a day at most.
    found: dict[date | datetime, Planned] = {}
    for offset in sorted(offsets if offsets is not None else spec.offsets):
        if isinstance(anchor, datetime):
            due = anchor + offset
        else:  # a date, so the kind is day-based (checked above)
            due = _local(anchor + timedelta(days=offset.days), at or MORNING, tz)
        send_at = due if spec.urgent else defer_for_quiet_hours(due, tz, quiet, holidays)
        if send_at > due + spec.grace or (spec.before_anchor and send_at >= limit):
            continue
        occurrence = f"{_anchor_label(anchor)}{_offset_label(offset, by_day)}"
        slot = send_at.date() if by_day else send_at
        found[slot] = Planned(spec.kind, occurrence, due.astimezone(tz), send_at)
    return sorted(found.values(), key=lambda p: p.send_at)


def commitment_offsets(
    deadline: date,
    tz: tzinfo,
    *,
    days_before: Sequence[int] = (14, 7, 3, 1),
    quiet: tuple[time, time] = QUIET,
    holidays: Callable[[date], bool] = is_public_holiday,
) -> list[datetime]:
    """When a member without a commitment is reminded: 08:00 local, 14, 7, 3 and 1 days
    before the deadline, deferred past quiet hours and holidays."""
    offsets = [timedelta(days=-n) for n in days_before]
    found = plan(
        ReminderKind.COMMITMENT_DUE,
        deadline,
        tz,
        offsets=offsets,
        quiet=quiet,
        holidays=holidays,
    )
    return [p.send_at for p in found]


SESSION_KINDS = (
    ReminderKind.SESSION_SOON,
    ReminderKind.SESSION_HOUR,
    ReminderKind.SESSION_CHECKIN,
    ReminderKind.SESSION_CLOSE,
)


def session_plan(
    starts_at: datetime,
    tz: tzinfo,
    *,
    quiet: tuple[time, time] = QUIET,
    holidays: Callable[[date], bool] = is_public_holiday,
) -> list[Planned]:
    """A session's reminders: 24 h and 1 h before, the check-in prompt at the start, the
    secretary's "close it" 24 h after (the service drops what no longer applies)."""
    found = [
        p
        for kind in SESSION_KINDS
        for p in plan(kind, starts_at, tz, quiet=quiet, holidays=holidays)
    ]
    return sorted(found, key=lambda p: p.send_at)


# The meeting cadence ----------------------------------------------------------------------------

REGULAR_BY_DAY = 20  # a regular session is due by the 20th
THEMATIC_BY_MONTH = 2  # a thematic session is due by the quarter's second month


def regular_due(
    unit_kind: str, year: int, month: int, scheduled: Iterable[tuple[str, date]]
) -> date | None:
    """The day (the 20th) a cell's secretary is reminded that no regular session is
    scheduled in this month; None when one is, or the unit does not follow the cadence.
    ``scheduled``: (kind, local date) of the unit's sessions not cancelled."""
    if unit_kind not in CADENCE_KINDS:
        return None
    if any(kind == Kind.REGULAR and (d.year, d.month) == (year, month) for kind, d in scheduled):
        return None
    return date(year, month, REGULAR_BY_DAY)


def thematic_due(
    unit_kind: str, year: int, quarter: int, scheduled: Iterable[tuple[str, date]]
) -> date | None:
    """The first day of the quarter's second month (1 Feb, 1 May, 1 Aug, 1 Nov), when no
    thematic session is scheduled in the quarter; else None. A regular session never
    counts: the thematic one is held on top of it."""
    if unit_kind not in CADENCE_KINDS:
        return None
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter {quarter}")
    first = 3 * (quarter - 1) + 1
    for kind, d in scheduled:
        if kind == Kind.THEMATIC and d.year == year and first <= d.month < first + 3:
            return None
    return date(year, first + THEMATIC_BY_MONTH - 1, 1)


def cadence_period(kind: ReminderKind, on: date) -> str:
    """The period a cadence reminder is about, for its occurrence: ``2026-03``, ``2026-Q1``."""
    if kind is ReminderKind.CADENCE_REGULAR:
        return f"{on.year}-{on.month:02d}"
    if kind is ReminderKind.CADENCE_THEMATIC:
        return f"{on.year}-Q{(on.month - 1) // 3 + 1}"
    raise ValueError(f"{kind} is not a cadence kind")


# The year-end review ------------------------------------------------------------------------------

WEEK = timedelta(days=7)


def review_weeks(opens: date, closes: date) -> list[date]:
    """The weekly self-assessment reminders: one week after the opening (the opening is
    announced to all), then every week, while the window is open."""
    weeks = []
    day = opens + WEEK
    while day <= closes:
        weeks.append(day)
        day += WEEK
    return weeks


# Leaders first ------------------------------------------------------------------------------------


class Person(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def is_head(self) -> bool: ...


P = TypeVar("P", bound=Person)


def leaders_first(members: Iterable[P], committee: Collection[int] = ()) -> list[P]:
    """Unit heads and committee members (``committee``: the ids holding a secretary, deputy
    or committee role) first, then the others; the order within each group is kept."""
    listed = list(members)
    return [m for m in listed if _leads(m, committee)] + [
        m for m in listed if not _leads(m, committee)
    ]


def _leads(member: Person, committee: Collection[int]) -> bool:
    return member.is_head or member.id in committee


# Dedup keys -------------------------------------------------------------------------------------

KEY_PREFIX = "rem"


def _check_part(part: str, what: str) -> str:
    if not part or ":" in part or any(c.isspace() for c in part):
        raise ValueError(f"bad {what}: {part!r}")
    return part


def subject_prefix(subject_type: str, subject_id: int | str) -> str:
    """The prefix of every reminder key about one subject (``rem:session:12:``), to withdraw
    them all when the subject changes or goes."""
    kind = _check_part(subject_type, "subject")
    return f"{KEY_PREFIX}:{kind}:{_check_part(str(subject_id), 'id')}:"


def dedup_key(
    kind: str | ReminderKind,
    subject_type: str,
    subject_id: int | str,
    occurrence: str,
    recipient: int | None = None,
) -> str:
    """``rem:<subject>:<id>:<kind>:<occurrence>``, the key the outbox completes with the
    recipient's chat (``:<chat>``); with ``recipient`` given, the whole key."""
    key = (
        f"{subject_prefix(subject_type, subject_id)}{ReminderKind(kind).value}:"
        f"{_check_part(occurrence, 'occurrence')}"
    )
    return key if recipient is None else f"{key}:{recipient}"


def parse_key(key: str) -> tuple[str, int, ReminderKind] | None:
    """(subject, id, kind) of a reminder's dedup key; None for any other key."""
    parts = key.split(":")
    if len(parts) < 5 or parts[0] != KEY_PREFIX or not parts[2].isdigit():
        return None
    try:
        return parts[1], int(parts[2]), ReminderKind(parts[3])
    except ValueError:
        return None


# The calendar's reminders, folded in ------------------------------------------------------------


def calendar_plan(
    on: date,
    remind_days: int,
    tz: tzinfo,
    *,
    quiet: tuple[time, time] = QUIET,
    holidays: Callable[[date], bool] = is_public_holiday,
) -> list[Planned]:
    """The board's reminder of a commemorative day: 08:00, ``remind_days`` before it (the
    day's own setting; 0: none), deferred as any non-urgent reminder."""
    if remind_days <= 0:
        return []
    offsets = [timedelta(days=-remind_days)]
    return plan(ReminderKind.CALENDAR_DAY, on, tz, offsets=offsets, quiet=quiet, holidays=holidays)


def calendar_dedup(day_id: int, year: int) -> str:
    """The calendar's own key, ``calendar:<day>:<year>`` (the outbox adds the chat): kept
    as it is so that the reminders sent before the engine are not sent again."""
    return f"calendar:{day_id}:{year}"
