"""From the bulk queries of :mod:`storage.reports` to an :class:`Overview`: the figures of a
unit's total and of each child unit, each over its subtree, and the month trend.

One query per figure family over the whole subtree (members, commitments and grades;
attendance; sessions held; stories), grouped by unit in SQL; what is left here is adding
up and the rules that are not SQL (the meeting rule, the study cascade).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from bot.rules import reports as rules
from bot.rules import sessions as session_rules
from bot.services.reports.model import GRADES, Figures, MonthAttendance, Overview, Period
from storage import Database, Store
from storage.records import Campaign, Unit
from storage.reports import HeldSession, MemberCounts, SessionAttendance


@dataclass
class _Tally:
    """Figures being added up for one child (or the top's own members)."""

    members: int = 0
    expected: int = 0
    filed: int = 0
    approved: int = 0
    late: int = 0
    invited: int = 0
    present: int = 0
    regular_held: int = 0
    regular_due: int = 0
    thematic_held: int = 0
    thematic_due: int = 0
    study_units: int = 0
    study_done: int = 0
    stories_delivered: int = 0
    stories_read: int = 0
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    ungraded: int = 0

    def add(self, other: _Tally) -> None:
        for name, value in vars(other).items():
            if name == "grades":
                for grade, count in value.items():
                    self.grades[grade] += count
            else:
                setattr(self, name, getattr(self, name) + value)

    def figures(self, unit: Unit) -> Figures:
        values = dict(vars(self))
        values["grades"] = dict(self.grades)
        return Figures(unit=unit, **values)


async def overview(
    db: Database,
    top: Unit,
    period: Period,
    campaign: Campaign | None,
    today: date,
    tz: tzinfo,
) -> Overview:
    """The overview of ``top`` for the period: its total, one row per child unit (each over
    its subtree) by name, and the attendance of each month of the period begun by today.

    Attendance and stories, the heaviest families on a city (every invitation, every story
    copy of the period), are each read on a reader connection of their own while the others
    are read on a third: SQLite works outside the GIL, so both cores work. The reads are
    snapshots begun together; each family is read whole in one, so no figure mixes two
    states."""
    since, until = rules.bounds(period, tz)
    month_starts = _month_starts(period)
    boundaries = [datetime.combine(start, time(0), tzinfo=tz) for start in month_starts[1:]]

    async def attendance() -> list[SessionAttendance]:
        async with db.read() as store:
            return await store.reports.attendance(top.path, since, until, boundaries)

    async def stories() -> dict[int, tuple[int, int]]:
        async with db.read() as store:
            return await store.reports.stories(top.path, since, until)

    async def the_rest() -> _Read:
        async with db.read() as store:
            return await _read(store, top, since, until, campaign)

    attended, engaged, read = await asyncio.gather(attendance(), stories(), the_rest())
    units = read.units
    child = _children_of(units, top)  # unit id → the child of the top it lies under (0: top)
    tallies: dict[int, _Tally] = defaultdict(_Tally)

    for counts in read.member_counts:
        tally = tallies[child[counts.unit_id]]
        tally.members += counts.members
        tally.expected += counts.expected
        tally.filed += counts.filed
        tally.approved += counts.approved
        tally.late += counts.late
        tally.ungraded += counts.ungraded
        for grade, count in counts.grades.items():
            tally.grades[grade] += count

    months = {month: [0, 0] for month in rules.trend_months(period, today)}
    for row in attended:
        tallies[child[row.unit_id]].invited += row.invited
        tallies[child[row.unit_id]].present += row.present
        month = months.setdefault(month_starts[row.month], [0, 0])
        month[0] += row.invited
        month[1] += row.present

    held = read.held
    _meeting_rule(tallies, units, child, held, period, today, tz)
    study = _study(units, top, held, campaign, read.deadlines, tz)
    for key, state in study.items():
        if key:  # the top's own state (0) covers its whole subtree: the total's
            tallies[key].study_units += state.leaves_total
            tallies[key].study_done += state.leaves_done

    for unit_id, (delivered, marked) in engaged.items():
        tallies[child[unit_id]].stories_delivered += delivered
        tallies[child[unit_id]].stories_read += marked

    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    if 0 in study:
        total.study_units, total.study_done = study[0].leaves_total, study[0].leaves_done
    children = [unit for unit in units if unit.parent_id == top.id]
    rows = [tallies.get(unit.id, _Tally()).figures(unit) for unit in children]
    rows.sort(key=lambda figures: rules.unit_key(figures.unit.name))
    trend = [
        MonthAttendance(month, invited, present)
        for month, (invited, present) in sorted(months.items())
    ]
    return Overview(period, total.figures(top), rows, trend)


@dataclass(frozen=True)
class _Read:
    """The figure families read in one snapshot: all but attendance and stories."""

    units: list[Unit]
    member_counts: list[MemberCounts]
    held: list[HeldSession]
    deadlines: dict[int, date]


async def _read(
    store: Store, top: Unit, since: datetime, until: datetime, campaign: Campaign | None
) -> _Read:
    campaign_id = campaign.id if campaign is not None else None
    reports = store.reports
    return _Read(
        units=await reports.units(top.path),
        member_counts=await reports.member_counts(top.path, campaign_id),
        held=await reports.held(top.path, since, until, campaign_id),
        deadlines=await _deadlines(store, campaign),
    )


def _month_starts(period: Period) -> list[date]:
    """The first day of each month of the period (the period's own start for the first)."""
    return [
        date(year, month, 1)
        for year, month in session_rules.months_between(period.start, period.end)
    ]


def _children_of(units: list[Unit], top: Unit) -> dict[int, int]:
    """Unit id → the id of the child of ``top`` it lies under, 0 for ``top`` itself."""
    depth = len(top.chain_ids)
    return {unit.id: unit.chain_ids[depth] if unit.id != top.id else 0 for unit in units}


def _meeting_rule(
    tallies: dict[int, _Tally],
    units: list[Unit],
    child: dict[int, int],
    held: list[HeldSession],
    period: Period,
    today: date,
    tz: tzinfo,
) -> None:
    """Regular and thematic meetings held against the rule, for each unit the rule binds
    (bot.rules.sessions.CADENCE_KINDS), added up per child."""
    by_unit: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for session in held:
        by_unit[session.unit_id].append((session.kind, session.starts_at.astimezone(tz).date()))
    for unit in units:
        if not session_rules.follows_cadence(unit.kind):
            continue
        cadence = session_rules.cadence(by_unit.get(unit.id, []), period.start, period.end, today)
        regular_held, regular_due, thematic_held, thematic_due = rules.held_and_due(cadence)
        tally = tallies[child[unit.id]]
        tally.regular_held += regular_held
        tally.regular_due += regular_due
        tally.thematic_held += thematic_held
        tally.thematic_due += thematic_due


async def _deadlines(store: Store, campaign: Campaign | None) -> dict[int, date]:
    return await store.sessions.study_deadlines(campaign.id) if campaign is not None else {}


def _study(
    units: list[Unit],
    top: Unit,
    held: list[HeldSession],
    campaign: Campaign | None,
    deadlines: dict[int, date],
    tz: tzinfo,
) -> dict[int, session_rules.StudyState]:
    """The study cascade's state of the top (key 0) and of each child, as
    :meth:`SessionService.study_report` computes it: a unit without children has studied
    when it closed a session on the campaign's topic by its deadline; one with children,
    when all of them have."""
    if campaign is None:
        return {}
    days: dict[int, list[date]] = defaultdict(list)
    for session in held:
        if session.campaign_id == campaign.id:
            days[session.unit_id].append(session.starts_at.astimezone(tz).date())
    states = session_rules.subtree_study(units, top.id, deadlines, campaign.study_deadline, days)
    found = {0: states[top.id]}
    for unit in units:
        if unit.parent_id == top.id:
            found[unit.id] = states[unit.id]
    return found
