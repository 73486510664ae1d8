"""The committees' reports (issue 12): who may see which part of the organisation, and the
overview, the member lines and one member's line of a unit for a period.

Scope: the units the person MONITORS (secretary, deputy, committee) and everything below
them; administrators see everything; ``actor`` None is the operator's CLI (everything).
The figures are computed in bulk over the subtree (:mod:`.figures`, :mod:`storage.reports`);
this module returns data, the callers render it (:mod:`bot.render.reports`, charts, files).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.clock import Clock
from bot.errors import AccessDenied, NotFound
from bot.i18n import N_
from bot.rules import reports as rules
from bot.rules.access import MONITORS, Actor, has_role_over, scope_units
from bot.rules.names import name_key
from bot.services.audit import audit
from bot.services.reports import figures
from bot.services.reports.model import MemberLine, Overview, Period
from storage import Database, Store
from storage.records import Campaign, Unit
from storage.reports import MemberRow

UnitRef = Unit | str | int  # a unit, its code (typed, the CLI) or its id (a button)


class OutOfScope(AccessDenied):
    """The unit asked for is not one the person oversees; carries what to audit."""

    def __init__(self, actor: Actor, unit: Unit) -> None:
        super().__init__(
            N_(
                "This unit is not among the units you oversee, so its report cannot be shown. "
                "Send /report to see your own."
            )
        )
        self.actor = actor
        self.unit = unit


class ReportService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # Periods and scope ----------------------------------------------------------------------

    def period(self, year: int | None = None, part: str | None = None) -> Period:
        """The period of ``year`` (this year when None) and ``part`` (see
        :func:`bot.rules.reports.period`)."""
        return rules.period(self.clock.today().year if year is None else year, part)

    async def tops(self, actor: Actor | None) -> list[Unit]:
        """The top units of the person's scope by path (the roots for the CLI and for an
        administrator without a unit of their own); AccessDenied when there are none."""
        async with self.db.read() as store:
            return await self._tops(store, actor)

    async def unit(self, actor: Actor | None, unit: UnitRef) -> Unit:
        """The unit (by code or id), when the person oversees it."""
        async with self._reading() as store:
            return await self._unit(store, actor, unit)

    async def top(self, actor: Actor | None, unit: UnitRef | None) -> Unit:
        """The unit asked for when the person oversees it (a refusal audited), else the
        first top unit of their scope: the unit :meth:`overview` would show."""
        if unit is None:
            return (await self.tops(actor))[0]
        return await self.unit(actor, unit)

    async def parent_in_scope(self, actor: Actor | None, unit: Unit) -> Unit | None:
        """The unit above ``unit`` when the person oversees it too ("Back up"), else None."""
        if unit.parent_id is None:
            return None
        async with self.db.read() as store:
            parent = await store.units.get(unit.parent_id)
        if parent is None or not _sees(actor, parent):
            return None
        return parent

    # The reports ----------------------------------------------------------------------------

    async def overview(
        self, actor: Actor | None, unit_code_or_id: UnitRef | None, period: Period
    ) -> Overview:
        """The unit's figures for the period, over its subtree, with one row per child unit
        (each over its own subtree) and the month trend of attendance. Without a unit: the
        first top unit of the person's scope (the caller offers the others)."""
        async with self._reading() as store:
            if unit_code_or_id is None:
                top = (await self._tops(store, actor))[0]
            else:
                top = await self._unit(store, actor, unit_code_or_id)
            campaign = await store.campaigns.by_year(period.year)
        return await figures.overview(
            self.db, top, period, campaign, self.clock.today(), self.clock.tz
        )

    async def members(
        self, actor: Actor | None, unit: UnitRef, period: Period
    ) -> tuple[Unit, list[MemberLine]]:
        """The unit's own members (current primary unit), in roster order, each with their
        commitment for the period's campaign, attendance in the period and decided grade."""
        async with self._reading() as store:
            found = await self._unit(store, actor, unit)
            campaign = await store.campaigns.by_year(period.year)
            rows = await store.reports.member_rows(found.id, _id(campaign))
            lines = await self._lines(store, rows, period)
        return found, sorted(lines, key=lambda line: name_key(line.name))

    async def member(
        self, actor: Actor | None, member_id: int, period: Period
    ) -> tuple[Unit, MemberLine]:
        """One member's line, with their current primary unit; refused like the unit when
        that unit is outside the person's scope."""
        async with self._reading() as store:
            campaign = await store.campaigns.by_year(period.year)
            rows = await store.reports.member_rows(0, _id(campaign), member_id=member_id)
            if not rows:
                raise NotFound(N_("This member is no longer in any unit."))
            unit = await self._unit(store, actor, rows[0].unit_id)
            lines = await self._lines(store, rows, period)
        return unit, lines[0]

    # Inside ---------------------------------------------------------------------------------

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[Store]:
        """A read; a refusal is audited in a write of its own once the read is over."""
        try:
            async with self.db.read() as store:
                yield store
        except OutOfScope as denied:
            async with self.db.write() as store:
                await audit(store, denied.actor, "report.view", denied.unit.code, outcome="denied")
            raise

    async def _tops(self, store: Store, actor: Actor | None) -> list[Unit]:
        if actor is None or (actor.is_admin and not _grants(actor)):
            roots = [unit for unit in await store.units.all() if unit.parent_id is None]
            if not roots:
                raise NotFound(N_("There are no units yet. Import the organisation first."))
            return roots
        tops = _grants(actor)
        if not tops:
            raise AccessDenied(
                N_("Reports are for secretaries, deputies, committee members and administrators.")
            )
        return tops

    async def _unit(self, store: Store, actor: Actor | None, ref: UnitRef) -> Unit:
        if isinstance(ref, Unit):
            ref = ref.id
        if isinstance(ref, str):
            found = await store.units.by_code(ref.strip())
            if found is None:
                raise NotFound(N_("No unit has the code '{code}'."), code=ref.strip())
        else:
            found = await store.units.get(ref)
            if found is None:
                raise NotFound(N_("This unit no longer exists."))
        if actor is not None and not _sees(actor, found):
            raise OutOfScope(actor, found)
        return found

    async def _lines(self, store: Store, rows: list[MemberRow], period: Period) -> list[MemberLine]:
        since, until = rules.bounds(period, self.clock.tz)
        attendance = await store.reports.member_attendance(
            [row.member_id for row in rows], since, until
        )
        return [
            MemberLine(
                member_id=row.member_id,
                name=row.name,
                status=row.status,
                commitment=row.commitment,
                late=row.late,
                invited=attendance.get(row.member_id, (0, 0))[0],
                present=attendance.get(row.member_id, (0, 0))[1],
                grade=row.grade if row.status != "exempt" else None,
            )
            for row in rows
        ]


def _grants(actor: Actor) -> list[Unit]:
    return scope_units(actor, MONITORS) if actor.is_registered else []


def _sees(actor: Actor | None, unit: Unit) -> bool:
    return actor is None or has_role_over(actor, MONITORS, unit)


def _id(campaign: Campaign | None) -> int | None:
    return campaign.id if campaign is not None else None
