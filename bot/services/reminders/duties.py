"""/reminders for secretaries and committees: the reminders about their units coming in the
period, as the sweep's sources would address them.

A unit's secretary reminders go to its nearest secretaries and deputies (its own, else the
nearest unit above that has any), its committee lists to the nearest holders of a leading
role; so a unit is this person's duty when they are among those nearest holders. Only the
subtrees of the person's own grants are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from bot.rules import sessions as session_rules
from bot.rules import upcoming as decide
from bot.rules.access import Actor, Role, scope_units
from bot.rules.reminder_kinds import ReminderKind, spec_of
from bot.rules.reminders import Planned
from bot.services.reminders.subjects import Found, Subject
from storage.db import Store
from storage.records import Campaign, Unit
from storage.reminders import LEADING_ROLES
from storage.sessions import Session
from storage.units import chunked

if TYPE_CHECKING:
    from bot.services.reminders.engine import ReminderService

SECRETARIES = ("secretary", "deputy")
CLOSE_AFTER = max(spec_of(ReminderKind.SESSION_CLOSE).offsets)


class _Scope:
    """The units this person's grants cover, and those among them whose reminders go to
    them (for the secretaries' kinds, for the committees' lists)."""

    def __init__(self, units: dict[int, Unit], managed: set[int], leading: set[int]) -> None:
        self.units = units
        self.managed = managed  # nearest secretary or deputy
        self.leading = leading  # nearest holder of a leading role

    def managed_units(self) -> list[Unit]:
        return sorted((self.units[i] for i in self.managed), key=lambda u: u.path)


async def _scope(store: Store, actor: Actor, member_id: int) -> _Scope:
    units: dict[int, Unit] = {}
    for top in scope_units(actor, frozenset(Role(role) for role in LEADING_ROLES)):
        for unit in await store.units.subtree(top):
            units[unit.id] = unit
    if not units:
        return _Scope({}, set(), set())
    secretaries = await store.roles.nearest_holders(units.values(), SECRETARIES)
    leaders = await store.roles.nearest_holders(units.values(), LEADING_ROLES)
    return _Scope(
        units,
        {i for i in units if decide.held_by(member_id, [m.id for m in secretaries.get(i, [])])},
        {i for i in units if decide.held_by(member_id, [m.id for m in leaders.get(i, [])])},
    )


async def collect(
    service: ReminderService,
    store: Store,
    actor: Actor,
    campaigns: list[Campaign],
    since: datetime,
    until: datetime,
) -> list[Found]:
    """Every duty reminder coming for this person in (since, until]."""
    if actor.member is None:
        return []
    scope = await _scope(store, actor, actor.member.id)
    if not scope.units:
        return []
    found: list[Found] = []
    managed = scope.managed_units()
    if managed:
        found += await _closing(service, store, managed, since, until)
        found += await _cadence(service, store, managed, since, until)
    for campaign in campaigns:
        if managed:
            found += await _missing(service, store, campaign, managed, since, until)
            found += await _grading(service, store, campaign, managed, since, until)
        found += await _summary(service, store, actor, campaign, since, until)
        found += await _study(service, store, campaign, scope, since, until)
    return found


def _within(service: ReminderService, kind: ReminderKind, anchor, since, until) -> list:
    return decide.in_period(service.plan(kind, anchor), since, until)


def _names(units: Sequence[Unit]) -> tuple[str, ...]:
    return tuple(unit.name for unit in units)


# Sessions: closing, cadence --------------------------------------------------------------------


async def _closing(
    service: ReminderService, store: Store, managed: list[Unit], since: datetime, until: datetime
) -> list[Found]:
    """Sessions of the managed units to close (with minutes) a day after they started."""
    sessions: list[Session] = []
    for chunk in chunked([u.id for u in managed]):
        sessions += await store.reminders.sessions_starting(
            since - CLOSE_AFTER, until, unit_ids=chunk
        )
    minutes = await store.reminders.with_minutes([s.id for s in sessions])
    found: list[Found] = []
    for session in sessions:
        if not decide.session_close_due(session.status, session.id in minutes):
            continue
        subject = Subject.of_session(session)
        for planned in _within(
            service, ReminderKind.SESSION_CLOSE, session.starts_at, since, until
        ):
            found.append(Found(planned.kind, planned.send_at, subject))
    return found


async def _cadence(
    service: ReminderService, store: Store, managed: list[Unit], since: datetime, until: datetime
) -> list[Found]:
    """The managed cells' months without a regular session, quarters without a thematic
    one (sessions not cancelled count, as for the sweep)."""
    cells = [u for u in managed if session_rules.follows_cadence(u.kind)]
    if not cells:
        return []
    tz = service.tz
    start, end = since.astimezone(tz).date(), until.astimezone(tz).date()
    first, after = decide.quarters_span(start, end)
    held: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for chunk in chunked([u.id for u in cells]):
        for session in await store.sessions.in_units(
            chunk,
            since=datetime.combine(first, time(0), tzinfo=tz),
            until=datetime.combine(after, time(0), tzinfo=tz),
            statuses=("scheduled", "closed"),
        ):
            held[session.unit_id].append((session.kind, session.starts_at.astimezone(tz).date()))
    found: list[Found] = []
    for unit in cells:
        for kind, day in decide.cadence_anchors(unit.kind, start, end, held[unit.id]):
            subject = Subject(year=day.year, on=day, units=(unit.name,))
            for planned in _within(service, kind, day, since, until):
                found.append(Found(kind, planned.send_at, subject))
    return found


# Commitments and the year-end review -------------------------------------------------------------


async def _missing(
    service: ReminderService,
    store: Store,
    campaign: Campaign,
    managed: list[Unit],
    since: datetime,
    until: datetime,
) -> list[Found]:
    """Before the deadline: the managed units' members who have not submitted, as of now."""
    deadline = campaign.commit_deadline
    plans = _within(service, ReminderKind.COMMITMENT_MISSING, deadline, since, until)
    if not plans:
        return []
    pending = await store.reminders.pending_in_units(campaign.id, [u.id for u in managed])
    return _counted(plans, campaign, deadline, managed, pending)


async def _grading(
    service: ReminderService,
    store: Store,
    campaign: Campaign,
    managed: list[Unit],
    since: datetime,
    until: datetime,
) -> list[Found]:
    """Before the review closes: the managed units' members still to be graded, as of now."""
    closes = campaign.review_closes
    plans = _within(service, ReminderKind.REVIEW_GRADE, closes, since, until)
    if not plans:
        return []
    ungraded = await store.reminders.ungraded_in_units(campaign.id, [u.id for u in managed])
    return _counted(plans, campaign, closes, managed, ungraded)


def _counted(
    plans: list[Planned],
    campaign: Campaign,
    on: date,
    managed: list[Unit],
    counts: dict[int, int],
) -> list[Found]:
    """The plans' entries about the managed units that have anyone left (``counts``: unit id
    → how many), naming those units and the total; none when nobody is left."""
    units = [u for u in managed if counts.get(u.id)]
    if not units:
        return []
    subject = Subject(
        year=campaign.year, on=on, units=_names(units), count=sum(counts[u.id] for u in units)
    )
    return [Found(p.kind, p.send_at, subject) for p in plans]


async def _summary(
    service: ReminderService,
    store: Store,
    actor: Actor,
    campaign: Campaign,
    since: datetime,
    until: datetime,
) -> list[Found]:
    """The morning after the deadline, to whoever holds a leading role on a unit with units
    below it (the sweep sends it to exactly those grants)."""
    deadline = campaign.commit_deadline
    plans = _within(service, ReminderKind.COMMITMENT_SUMMARY, deadline, since, until)
    if not plans:
        return []
    held = {g.unit.id: g.unit for g in actor.grants if g.role in LEADING_ROLES}
    units = [
        unit
        for unit in sorted(held.values(), key=lambda u: u.path)
        if await store.units.children(unit.id)
    ]
    if not units:
        return []
    subject = Subject(year=campaign.year, on=deadline, units=_names(units))
    return [Found(p.kind, p.send_at, subject) for p in plans]


# The study cascade -----------------------------------------------------------------------------


async def _study(
    service: ReminderService,
    store: Store,
    campaign: Campaign,
    scope: _Scope,
    since: datetime,
    until: datetime,
) -> list[Found]:
    """A week before a unit's study deadline: each managed unit without units below it that
    has not studied yet; and each unit this person leads with units below it not done."""
    set_deadlines = await store.sessions.study_deadlines(campaign.id)
    candidates = {campaign.study_deadline, *set_deadlines.values()}
    due = {d: _within(service, ReminderKind.STUDY_DUE, d, since, until) for d in candidates}
    if not any(due.values()):
        return []
    units = list(scope.units.values())
    held_on: dict[int, list[date]] = defaultdict(list)
    for chunk in chunked([u.id for u in units]):
        for session in await store.sessions.in_units(chunk, statuses=("closed",)):
            if session.campaign_id == campaign.id:
                held_on[session.unit_id].append(session.starts_at.astimezone(service.tz).date())
    deadline_of = {
        u.id: session_rules.effective_deadline(
            session_rules.path_ids(u.path), set_deadlines, campaign.study_deadline
        )
        for u in units
    }
    states = session_rules.study_states(
        [
            session_rules.StudyUnit(u.id, u.parent_id, deadline_of[u.id], tuple(held_on[u.id]))
            for u in units
        ]
    )
    parents = {u.parent_id for u in units if u.parent_id is not None}
    found: list[Found] = []
    for deadline, plans in due.items():
        late = [u for u in units if deadline_of[u.id] == deadline and not states[u.id].done]
        for unit in sorted(late, key=lambda u: u.path):
            if unit.id not in parents and unit.id in scope.managed:
                subject = Subject(year=campaign.year, on=deadline, units=(unit.name,))
                found += [Found(p.kind, p.send_at, subject) for p in plans]
        by_parent: dict[int, list[Unit]] = defaultdict(list)
        for unit in late:
            if unit.parent_id in scope.leading:
                by_parent[unit.parent_id].append(unit)
        for parent_id, children in by_parent.items():
            subject = Subject(
                year=campaign.year,
                on=deadline,
                units=(scope.units[parent_id].name,),
                count=len(children),
            )
            found += [Found(ReminderKind.STUDY_LIST, p.send_at, subject) for p in plans]
    return found


__all__ = ["collect"]
