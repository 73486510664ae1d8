"""Reports: attendance and the meeting cadence over a period, the study cascade of the
campaign, and the attendance register's data for an export (bot/render/attendance.py
makes the file)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.parsing import check_date
from bot.rules import sessions as rules
from bot.rules.access import Actor
from bot.services.audit import audit
from bot.services.sessions.base import SessionBase
from storage import Store
from storage.records import Campaign, Unit
from storage.sessions import Invitee, MemberAttendance, Session

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class StudyRow:
    unit: Unit
    depth: int
    state: rules.StudyState


@dataclass(frozen=True)
class UnitReport:
    unit: Unit
    sessions: list[Session]
    present: int
    counted: int
    cadence: rules.Cadence | None  # None: the meeting rule does not apply to this kind


@dataclass(frozen=True, slots=True)  # slots: a city's quarter has some 360,000 of them
class MemberRate:
    name: str
    unit: Unit
    present: int
    counted: int


@dataclass(frozen=True)
class PeriodReport:
    start: date
    end: date
    units: list[UnitReport]
    members: list[MemberRate]


@dataclass(frozen=True)
class AttendanceEntry:
    """One line of the register: a session and one of its invitees."""

    session: Session
    unit: Unit  # the session's unit
    invitee: Invitee
    member_code: str


@dataclass(frozen=True)
class AttendanceExport:
    unit: Unit  # the top of the subtree exported
    start: date
    end: date
    fmt: str  # csv or xlsx
    entries: list[AttendanceEntry]


class Reporting(SessionBase):
    def _bounds(self, start: date, end: date) -> tuple[datetime, datetime]:
        """The instants a period of local days runs between (the end exclusive)."""
        since = datetime.combine(start, time(0), tzinfo=self.tz)
        return since, datetime.combine(end + timedelta(days=1), time(0), tzinfo=self.tz)

    def period(self, text: str | None) -> tuple[date, date]:
        """``3/2026`` (a month), ``Q1/2026`` or ``Q1`` (a quarter), ``2026`` (a year),
        ``1/1/2026-31/3/2026``; by default the current quarter so far."""
        return rules.parse_period(text, self.clock.today())

    async def _unit(self, store: Store, unit: int | str) -> Unit:
        """A unit by id (from a button) or by code (typed, or from the CLI)."""
        if isinstance(unit, str):
            return await self._unit_by_code(store, unit)
        found = await store.units.get(unit)
        if found is None:
            raise NotFound(N_("This unit no longer exists."))
        return found

    # Attendance and cadence ---------------------------------------------------------------------

    async def period_report(
        self, actor: Actor | None, start: date, end: date, unit_code: str | None = None
    ) -> PeriodReport:
        """Per unit: closed sessions, attendance and the cadence rule; per member: the rate.
        Without a unit, every unit the actor manages; without an actor (the CLI), no check.

        The marks are counted in SQL, per unit and member (a city's quarter is some 600,000
        invitations); the sessions are grouped by unit once."""
        since, until = self._bounds(start, end)
        async with self._read() as store:
            if unit_code:
                top = await self._unit_by_code(store, unit_code)
                if actor is not None:
                    await self._manage(store, actor, top, "report")
                units = await store.units.subtree(top)
            else:
                assert actor is not None
                units = await self._managed_subtrees(store, actor)
            by_id = {u.id: u for u in units}
            counted = await store.sessions.attendance_by_member(list(by_id), since, until)
            held = await store.sessions.in_units(
                list(by_id), since=since, until=until, statuses=["closed"]
            )
        # Some 360,000 lines for a city's quarter: grouped and sorted off the event loop.
        return await asyncio.to_thread(self._period_report, start, end, units, by_id, held, counted)

    def _period_report(
        self,
        start: date,
        end: date,
        units: list[Unit],
        by_id: dict[int, Unit],
        held: list[Session],
        counted: list[MemberAttendance],
    ) -> PeriodReport:
        sessions_of: dict[int, list[Session]] = defaultdict(list)
        for session in held:  # in start order, as in_units gives them
            sessions_of[session.unit_id].append(session)
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        latest: dict[int, tuple[int, str]] = {}  # member → (their last session, the name there)
        for line in counted:
            total = totals[line.unit_id]
            total[0] += line.present
            total[1] += line.counted
            seen = latest.get(line.member_id)
            if seen is None or line.last > seen[0]:
                latest[line.member_id] = (line.last, line.name)
        reports = []
        today = self.clock.today()
        for unit in sorted(units, key=lambda u: u.path):
            sessions = sessions_of.get(unit.id, [])
            present, invited = totals.get(unit.id, (0, 0))
            cadence = (
                rules.cadence(
                    [(s.kind, s.starts_at.astimezone(self.tz).date()) for s in sessions],
                    start,
                    end,
                    today,
                )
                if rules.follows_cadence(unit.kind)
                else None
            )
            reports.append(UnitReport(unit, sessions, present, invited, cadence))
        # By unit and name; ties in the order the members first appear (by session), as the
        # member lists gave them before.
        paths = {unit.id: unit.path for unit in units}
        ordered = sorted(
            (line for line in counted if line.counted),  # the exempt have no rate at all
            key=lambda line: (
                paths[line.unit_id],
                latest[line.member_id][1],
                line.first,
                line.member_id,
            ),
        )
        rates = [
            MemberRate(latest[line.member_id][1], by_id[line.unit_id], line.present, line.counted)
            for line in ordered
        ]
        return PeriodReport(start, end, reports, rates)

    # The study cascade --------------------------------------------------------------------------

    async def study_report(self, actor: Actor) -> tuple[Campaign | None, list[StudyRow]]:
        """For each unit the actor manages and below: studied by its deadline or not."""
        async with self._read() as store:
            campaign = await self._campaign(store)
            if campaign is None:
                return None, []
            deadlines = await store.sessions.study_deadlines(campaign.id)
            held: dict[int, list[date]] = {}
            for session in await store.sessions.campaign_sessions(campaign.id):
                held.setdefault(session.unit_id, []).append(
                    session.starts_at.astimezone(self.tz).date()
                )
            rows: list[StudyRow] = []
            for top in await self._tops(store, actor):
                units = await store.units.subtree(top)
                states = rules.subtree_study(
                    units, top.id, deadlines, campaign.study_deadline, held
                )
                depth0 = len(rules.path_ids(top.path))
                rows += [
                    StudyRow(u, len(rules.path_ids(u.path)) - depth0, states[u.id]) for u in units
                ]
        return campaign, rows

    # The attendance register --------------------------------------------------------------------

    async def export_attendance(
        self, actor: Actor | None, unit: int | str, start: date, end: date, fmt: str
    ) -> AttendanceExport:
        """The register of a unit (by id or code) and its subtree: one entry per session and
        invitee. Audited, with the actor (``cli`` without one) and the format."""
        if fmt not in FORMATS:
            raise InvalidInput(N_("The format must be csv or xlsx."))
        check_date(start)
        check_date(end)
        if end < start:
            raise InvalidInput(N_("The period must end after it starts."))
        since, until = self._bounds(start, end)
        async with self._read() as store:
            top = await self._unit(store, unit)
            if actor is not None:
                await self._manage(store, actor, top, "export")
            units = {u.id: u for u in await store.units.subtree(top)}
            marks = await store.sessions.member_marks(list(units), since, until)
            found = await store.members.many(invitee.member_id for _, invitee in marks)
        codes = {member_id: member.code or "" for member_id, member in found.items()}
        entries = [
            AttendanceEntry(
                session, units[session.unit_id], invitee, codes.get(invitee.member_id, "")
            )
            for session, invitee in marks
        ]
        async with self.db.write() as store:
            await audit(
                store, actor or "cli", "session.export", top.code, format=fmt, start=start,
                end=end, rows=len(entries),
            )  # fmt: skip
        return AttendanceExport(top, start, end, fmt, entries)
