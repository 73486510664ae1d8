"""Where reminders come from: for each subject (a campaign's deadlines, the sessions, the
cells' cadence, the study cascade, the year-end review), the reminders whose send time falls
in the sweep's window, with their people and parameters.

Each source first plans from dates alone (pure, :mod:`bot.rules.reminders`) and reads the
people only for a plan inside the window, so a sweep that finds nothing due costs a few
small queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.delivery.notices import session_params
from bot.rules import reminders as rules
from bot.rules import sessions as session_rules
from bot.rules.reminder_kinds import ReminderKind, spec_of
from bot.services.reminders.engine import Due, Window, personal
from storage.db import Store
from storage.records import Campaign, Member, Unit
from storage.reminders import LEADING_ROLES, Placed
from storage.sessions import Session

if TYPE_CHECKING:
    from bot.services.reminders.engine import ReminderService

SECRETARIES = ("secretary", "deputy")
LIST_CAP = 200  # names carried in one escalation row; the message says how many more
DEFAULT_COMMIT_DAYS = (14, 7, 3, 1)


def in_window(planned: Iterable[rules.Planned], window: Window) -> list[rules.Planned]:
    return [p for p in planned if window.holds(p.send_at)]


def days_left(anchor: date, planned: rules.Planned, tz: Any) -> int:
    return (anchor - planned.send_at.astimezone(tz).date()).days


def commit_offsets(campaign: Campaign) -> list[timedelta]:
    days = campaign.commit_reminder_days or DEFAULT_COMMIT_DAYS
    return [timedelta(days=-day) for day in days]


async def _campaigns(store: Store) -> list[Campaign]:
    return await store.campaigns.all()


def _entry(member: Member, leaders: set[int]) -> dict[str, Any]:
    return {
        "name": member.full_name,
        "leader": member.is_head or member.id in leaders,
        "reachable": member.telegram_id is not None and member.blocked_at is None,
    }


def _leaders_first(placed: list[Placed], leaders: set[int]) -> list[Placed]:
    heads = [p for p in placed if p.member.is_head or p.member.id in leaders]
    return heads + [p for p in placed if not (p.member.is_head or p.member.id in leaders)]


async def _holders(store: Store, unit_ids: Iterable[int], roles: tuple[str, ...]):
    units = await store.units.many(set(unit_ids))
    return units, await store.roles.nearest_holders(units.values(), roles)


# The commitment deadline ------------------------------------------------------------------------


async def commitments(service: ReminderService, store: Store, window: Window) -> list[Due]:
    found: list[Due] = []
    for campaign in await _campaigns(store):
        deadline = campaign.commit_deadline
        base = {"year": campaign.year, "deadline": deadline.isoformat(), "campaign_id": campaign.id}
        members = in_window(
            service.plan(ReminderKind.COMMITMENT_DUE, deadline, commit_offsets(campaign)), window
        )
        secretaries = in_window(service.plan(ReminderKind.COMMITMENT_MISSING, deadline), window)
        summary = in_window(service.plan(ReminderKind.COMMITMENT_SUMMARY, deadline), window)
        if not (members or secretaries or summary):
            continue
        leaders = await store.reminders.leaders()
        pending = _leaders_first(await store.reminders.not_submitted(campaign.id), leaders)
        subject = ("campaign", campaign.id)
        for planned in members:
            to: list = []
            for p in pending:
                if p.status is None:
                    to.append(p.member)
                elif (one := personal(p.member, {"started": True})) is not None:
                    to.append(one)
            params = {**base, "days": days_left(deadline, planned, service.tz), "started": False}
            found.append(Due(planned, subject, deadline, to, params))
        for planned in secretaries:
            params = {**base, "days": days_left(deadline, planned, service.tz)}
            found += await _missing_lists(
                store, planned, subject, deadline, pending, leaders, params
            )
        for planned in summary:
            found += await _summaries(store, campaign, planned, subject, pending, leaders, base)
    return found


async def _missing_lists(
    store: Store,
    planned: rules.Planned,
    subject: tuple[str, int],
    deadline: date,
    pending: list[Placed],
    leaders: set[int],
    params: dict[str, Any],
) -> list[Due]:
    """Each secretary (and deputy) of a unit with members still missing gets their list."""
    by_unit: dict[int, list[Placed]] = defaultdict(list)
    for p in pending:
        by_unit[p.unit_id].append(p)
    units, holders = await _holders(store, by_unit, SECRETARIES)
    counts = await _expected_per_unit(store, params["campaign_id"])
    lists: dict[int, tuple[Member, list[Unit]]] = {}
    for unit_id in by_unit:
        for holder in holders.get(unit_id, []):
            lists.setdefault(holder.id, (holder, []))[1].append(units[unit_id])
    to = []
    for holder, covered in lists.values():
        missing = [p for unit in covered for p in by_unit[unit.id]]
        missing = _leaders_first(missing, leaders)
        extra = {
            "unit": ", ".join(unit.name for unit in covered),
            "expected": sum(counts.get(unit.id, (0, 0))[0] for unit in covered),
            "missing": [_entry(p.member, leaders) for p in missing[:LIST_CAP]],
            "more": max(0, len(missing) - LIST_CAP),
        }
        if (one := personal(holder, extra)) is not None:
            to.append(one)
    return [Due(planned, subject, deadline, to, params)]


async def _expected_per_unit(store: Store, campaign_id: int) -> dict[int, tuple[int, int]]:
    """Unit id → (expected, filed) over the members in it (not its subtree)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for p in await store.reminders.expected(campaign_id):
        row = counts[p.unit_id]
        row[0] += 1
        if p.status in ("submitted", "approved"):
            row[1] += 1
    return {unit_id: (row[0], row[1]) for unit_id, row in counts.items()}


async def _summaries(
    store: Store,
    campaign: Campaign,
    planned: rules.Planned,
    subject: tuple[str, int],
    pending: list[Placed],
    leaders: set[int],
    base: dict[str, Any],
) -> list[Due]:
    """The morning after the deadline: every committee (a unit with units below it) gets the
    figures of each unit directly below it, over its subtree, and its leaders still missing."""
    units = {unit.id: unit for unit in await store.units.all()}
    parents = {unit.parent_id for unit in units.values() if unit.parent_id is not None}
    own = await _expected_per_unit(store, campaign.id)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for unit_id, (expected, filed) in own.items():
        if unit_id in units:
            for above in units[unit_id].chain_ids:
                totals[above][0] += expected
                totals[above][1] += filed
    holders = await store.roles.holders(sorted(parents), LEADING_ROLES)
    members = await store.members.many({member_id for member_id, _, _ in holders})
    by_unit: dict[int, dict[int, Member]] = defaultdict(dict)
    for member_id, _role, unit_id in holders:
        if member_id in members:
            by_unit[unit_id][member_id] = members[member_id]
    children: dict[int, list[Unit]] = defaultdict(list)
    for unit in sorted(units.values(), key=lambda u: u.path):
        if unit.parent_id is not None:
            children[unit.parent_id].append(unit)
    # Leaders still missing, under each committee that has someone to tell.
    missing_leaders: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in pending:
        unit = units.get(p.unit_id)
        if unit is None or not (p.member.is_head or p.member.id in leaders):
            continue
        entry = {**_entry(p.member, leaders), "unit": unit.name}
        for above in unit.chain_ids:
            if above in by_unit:
                missing_leaders[above].append(entry)
    found = []
    for unit_id, people in by_unit.items():
        unit = units[unit_id]
        rows = [
            {
                "unit": child.name,
                "expected": totals[child.id][0],
                "filed": totals[child.id][1],
                "missing": totals[child.id][0] - totals[child.id][1],
            }
            for child in children[unit_id]
            if totals[child.id][0]
        ]
        named = missing_leaders[unit_id]
        extra = {
            "unit": unit.name,
            "expected": totals[unit.id][0],
            "filed": totals[unit.id][1],
            "rows": rows,
            "leaders": named[:LIST_CAP],
            "more": max(0, len(named) - LIST_CAP),
        }
        to = [one for m in people.values() if (one := personal(m, extra)) is not None]
        # One summary per committee: someone on two committees gets both.
        per_unit = replace(planned, occurrence=f"{planned.occurrence}.u{unit_id}")
        found.append(Due(per_unit, subject, campaign.commit_deadline, to, base))
    return found


async def returned(service: ReminderService, store: Store, window: Window) -> list[Due]:
    """A returned commitment not resubmitted 3 days after the return."""
    spec = spec_of(ReminderKind.COMMITMENT_RETURNED)
    after = spec.offsets[0]
    found: list[Due] = []
    for campaign in await _campaigns(store):
        since = window.since - after - spec.grace
        for member, returned_at in await store.reminders.returned_between(
            campaign.id, since, window.until - after + timedelta(seconds=1)
        ):
            for planned in in_window(
                service.plan(ReminderKind.COMMITMENT_RETURNED, returned_at), window
            ):
                params = {
                    "year": campaign.year,
                    "deadline": campaign.commit_deadline.isoformat(),
                    "campaign_id": campaign.id,
                    "returned_on": returned_at.astimezone(service.tz).date().isoformat(),
                }
                found.append(Due(planned, ("campaign", campaign.id), returned_at, [member], params))
    return found


# Sessions ---------------------------------------------------------------------------------------

BEFORE = timedelta(hours=24)  # the earliest session reminder, before the start
AFTER = timedelta(hours=24) + spec_of(ReminderKind.SESSION_CLOSE).grace  # the latest, after


async def sessions(service: ReminderService, store: Store, window: Window) -> list[Due]:
    # The window's end is inclusive, the query's is not: a second more.
    until = window.until + BEFORE + timedelta(seconds=1)
    starting = await store.reminders.sessions_starting(window.since - AFTER, until)
    return await session_dues(service, store, window, starting)


async def session_dues(
    service: ReminderService, store: Store, window: Window, sessions: Sequence[Session]
) -> list[Due]:
    plans = {
        s.id: in_window(
            rules.session_plan(
                s.starts_at, service.tz, quiet=service.quiet, holidays=service.holidays
            ),
            window,
        )
        for s in sessions
        if s.status != "cancelled"
    }
    live = [s for s in sessions if plans.get(s.id)]
    if not live:
        return []
    ids = [s.id for s in live]
    coming: dict[int, list] = defaultdict(list)
    for row in await store.reminders.coming(ids):
        coming[row.session_id].append(row)
    minutes = await store.reminders.with_minutes(ids)
    units, secretaries = await _holders(store, {s.unit_id for s in live}, SECRETARIES)
    found: list[Due] = []
    for session in live:
        params = session_params(session, units.get(session.unit_id))
        for planned in plans[session.id]:
            kind = planned.kind
            if kind is ReminderKind.SESSION_CLOSE:
                if session.status == "closed" and session.id in minutes:
                    continue
                to: list = list(secretaries.get(session.unit_id, []))
                extra = {**params, "minutes": session.id in minutes}
                found.append(Due(planned, ("session", session.id), session.starts_at, to, extra))
                continue
            if session.status != "scheduled":
                continue
            people = [
                c.member
                for c in coming[session.id]
                if not (kind is ReminderKind.SESSION_CHECKIN and c.checked_in)
            ]
            found.append(Due(planned, ("session", session.id), session.starts_at, people, params))
    return found


# The meeting cadence ----------------------------------------------------------------------------


def _months(window: Window, tz: Any) -> list[tuple[int, int]]:
    first = window.since.astimezone(tz).date().replace(day=1)
    last = window.until.astimezone(tz).date()
    months = []
    while first <= last:
        months.append((first.year, first.month))
        first = (first + timedelta(days=32)).replace(day=1)
    return months


async def cadence(service: ReminderService, store: Store, window: Window) -> list[Due]:
    """A cell without a regular session in the month by the 20th, without a thematic one in
    the quarter by its second month: its secretary is reminded."""
    wanted: list[tuple[ReminderKind, rules.Planned, date, date, dict[str, Any]]] = []
    for year, month in _months(window, service.tz):
        day = date(year, month, rules.REGULAR_BY_DAY)
        for planned in in_window(service.plan(ReminderKind.CADENCE_REGULAR, day), window):
            start = date(year, month, 1)
            wanted.append(
                (
                    ReminderKind.CADENCE_REGULAR,
                    planned,
                    start,
                    _next_month(start),
                    {"year": year, "month": month},
                )
            )
        if (month - 1) % 3 == rules.THEMATIC_BY_MONTH - 1:
            day = date(year, month, 1)
            quarter = (month - 1) // 3 + 1
            for planned in in_window(service.plan(ReminderKind.CADENCE_THEMATIC, day), window):
                start = date(year, 3 * (quarter - 1) + 1, 1)
                end = _next_month(_next_month(_next_month(start)))
                wanted.append(
                    (
                        ReminderKind.CADENCE_THEMATIC,
                        planned,
                        start,
                        end,
                        {"year": year, "quarter": quarter},
                    )
                )
    found: list[Due] = []
    for kind, planned, start, end, base in wanted:
        since = datetime.combine(start, datetime.min.time(), tzinfo=service.tz)
        until = datetime.combine(end, datetime.min.time(), tzinfo=service.tz)
        held = await store.reminders.session_kinds_between(
            sorted(session_rules.CADENCE_KINDS), since.astimezone(UTC), until.astimezone(UTC)
        )
        cells = [u for u in await store.units.all() if session_rules.follows_cadence(u.kind)]
        session_kind = "regular" if kind is ReminderKind.CADENCE_REGULAR else "thematic"
        lacking = [u for u in cells if not any(k == session_kind for k, _ in held.get(u.id, []))]
        _, holders = await _holders(store, [u.id for u in lacking], SECRETARIES)
        for unit in lacking:
            params = {**base, "unit": unit.name, "unit_id": unit.id}
            found.append(
                Due(planned, ("unit", unit.id), start, list(holders.get(unit.id, [])), params)
            )
    return found


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


# The study cascade ------------------------------------------------------------------------------


async def study(service: ReminderService, store: Store, window: Window) -> list[Due]:
    """Seven days before a unit's study deadline: the secretaries of the cells not done, and
    the committee above them with the list of its units not done."""
    found: list[Due] = []
    for campaign in await _campaigns(store):
        set_deadlines = await store.sessions.study_deadlines(campaign.id)
        candidates = {campaign.study_deadline, *set_deadlines.values()}
        due_on = {
            deadline: in_window(service.plan(kind, deadline), window)
            for deadline in candidates
            for kind in (ReminderKind.STUDY_DUE,)
        }
        if not any(due_on.values()):
            continue
        units = await store.units.all()
        held: dict[int, list[date]] = defaultdict(list)
        for session in await store.sessions.campaign_sessions(campaign.id):
            held[session.unit_id].append(session.starts_at.astimezone(service.tz).date())
        deadline_of = {
            u.id: session_rules.effective_deadline(
                session_rules.path_ids(u.path), set_deadlines, campaign.study_deadline
            )
            for u in units
        }
        states = session_rules.study_states(
            [
                session_rules.StudyUnit(u.id, u.parent_id, deadline_of[u.id], tuple(held[u.id]))
                for u in units
            ]
        )
        parents = {u.parent_id for u in units if u.parent_id is not None}
        by_id = {u.id: u for u in units}
        for deadline, plans in due_on.items():
            if not plans:
                continue
            late = [u for u in units if deadline_of[u.id] == deadline and not states[u.id].done]
            leaves = [u for u in late if u.id not in parents]
            _, holders = await _holders(store, [u.id for u in leaves], SECRETARIES)
            by_parent: dict[int, list[Unit]] = defaultdict(list)
            for unit in late:
                if unit.parent_id is not None:
                    by_parent[unit.parent_id].append(unit)
            _, above = await _holders(store, by_parent, LEADING_ROLES)
            for planned in plans:
                days = days_left(deadline, planned, service.tz)
                base = {"deadline": deadline.isoformat(), "days": days, "campaign_id": campaign.id}
                for unit in leaves:
                    params = {**base, "unit": unit.name, "unit_id": unit.id}
                    found.append(
                        Due(
                            planned,
                            ("unit", unit.id),
                            deadline,
                            list(holders.get(unit.id, [])),
                            params,
                        )
                    )
                list_plan = rules.Planned(
                    ReminderKind.STUDY_LIST, planned.occurrence, planned.due, planned.send_at
                )
                for parent_id, children in by_parent.items():
                    params = {
                        **base,
                        "unit": by_id[parent_id].name,
                        "units": [u.name for u in sorted(children, key=lambda u: u.path)],
                    }
                    found.append(
                        Due(
                            list_plan,
                            ("unit", parent_id),
                            deadline,
                            list(above.get(parent_id, [])),
                            params,
                        )
                    )
    return found


# The year-end review ----------------------------------------------------------------------------


def review_params(campaign: Campaign) -> dict[str, Any]:
    """What every year-end review reminder says (also used by an unmute's re-queue)."""
    return {
        "year": campaign.year,
        "opens": campaign.review_opens.isoformat(),
        "closes": campaign.review_closes.isoformat(),
        "campaign_id": campaign.id,
    }


async def review(service: ReminderService, store: Store, window: Window) -> list[Due]:
    found: list[Due] = []
    for campaign in await _campaigns(store):
        opens, closes = campaign.review_opens, campaign.review_closes
        base = review_params(campaign)
        subject = ("campaign", campaign.id)
        for planned in in_window(service.plan(ReminderKind.REVIEW_OPENS, opens), window):
            everyone = [p.member for p in await store.reminders.expected(campaign.id)]
            found.append(Due(planned, subject, opens, everyone, base))
        for week in rules.review_weeks(opens, closes):
            for planned in in_window(service.plan(ReminderKind.REVIEW_SELF, week), window):
                waiting = await store.reminders.not_self_assessed(campaign.id)
                leaders = await store.reminders.leaders()
                people = [p.member for p in _leaders_first(waiting, leaders)]
                found.append(Due(planned, subject, week, people, base))
        for planned in in_window(service.plan(ReminderKind.REVIEW_GRADE, closes), window):
            ungraded = await store.reminders.ungraded_per_unit(campaign.id)
            units, holders = await _holders(store, ungraded, SECRETARIES)
            per_holder: dict[int, tuple[Member, list[int]]] = {}
            for unit_id in ungraded:
                for holder in holders.get(unit_id, []):
                    per_holder.setdefault(holder.id, (holder, []))[1].append(unit_id)
            to = []
            for holder, unit_ids in per_holder.values():
                extra = {
                    "unit": ", ".join(units[u].name for u in unit_ids),
                    "ungraded": sum(ungraded[u] for u in unit_ids),
                }
                if (one := personal(holder, extra)) is not None:
                    to.append(one)
            found.append(Due(planned, subject, closes, to, {**base, "days": 0}))
    return found


Source = Callable[["ReminderService", Store, Window], Awaitable[list[Due]]]
ALL: tuple[Source, ...] = (commitments, returned, sessions, cadence, study, review)
CAMPAIGN: tuple[Source, ...] = (commitments, returned, study, review)  # keyed on its dates

__all__ = ["ALL", "session_dues"]
