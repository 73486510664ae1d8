"""What every part of the session service shares: loading a session, the scope check and
the audit of a refusal, the units a person manages, the year's campaign, and the session as
its managers see it (read by the live view, by editing and by the minutes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import tzinfo

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, NotFound
from bot.i18n import N_, current_locale
from bot.rules import sessions as rules
from bot.rules.access import MANAGERS, Actor, Role, has_role_over, scope_units
from bot.rules.names import sorted_by_name
from bot.services.audit import audit
from bot.services.notifications import NotificationService
from bot.services.reminders import ReminderService
from storage import Database, Store
from storage.records import Campaign, Unit
from storage.sessions import BridgeReport, Invitee, Minutes, Session

SESSION_MANAGERS = MANAGERS | {Role.COMMITTEE}


class SessionOver(Conflict):
    """The session is closed or cancelled: whatever was asked will never work for it again,
    so the buttons that ask it can go."""


class ScopeDenied(AccessDenied):
    """The unit is outside the actor's scope; carries what to audit."""

    def __init__(self, actor: Actor, action: str, unit: Unit) -> None:
        super().__init__(
            N_("Only the secretary, the deputy or a committee above {unit} can do this."),
            unit=unit.name,
        )
        self.actor = actor
        self.action = action
        self.unit = unit


@dataclass(frozen=True)
class BridgeRow:
    unit: Unit
    invited: int
    checked_in: int
    report: BridgeReport | None


@dataclass(frozen=True)
class SessionView:
    session: Session
    unit: Unit
    invitees: list[Invitee]
    campaign: Campaign | None
    bridges: list[BridgeRow]
    minutes: Minutes | None

    @property
    def answered_yes(self) -> list[Invitee]:
        return [i for i in self.invitees if i.rsvp == "yes"]

    @property
    def answered_no(self) -> list[Invitee]:
        return [i for i in self.invitees if i.rsvp == "no"]

    @property
    def checked_in(self) -> list[Invitee]:
        return [i for i in self.invitees if i.checked_in_at is not None]

    @property
    def late_pending(self) -> list[Invitee]:
        return [i for i in self.invitees if i.late_status == "pending"]


def progress_to(actor: Actor) -> tuple[int, str] | None:
    """Where the progress of a fan-out this person started is shown: their chat, in the
    language they are using now."""
    if actor.telegram_id is None or (actor.member is None and not actor.is_admin):
        return None
    return actor.telegram_id, current_locale()


async def invitees_of(store: Store, session_id: int) -> list[Invitee]:
    """The session's invitees in roster order (Vietnamese: given name, then family name),
    as the paper list is written and numbered."""
    return sorted_by_name(await store.sessions.invitees(session_id), lambda i: i.full_name)


def member_of(actor: Actor, unit: Unit) -> bool:
    """True when one of the actor's current units is this unit or below it."""
    return any(unit.contains(own) for own in actor.units)


def require_open(session: Session) -> None:
    if session.status == "closed":
        raise SessionOver(N_("Session {id} is closed; it can no longer be changed."), id=session.id)
    if session.status == "cancelled":
        raise SessionOver(N_("Session {id} was cancelled."), id=session.id)


class SessionBase:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        locality: str | None = None,
        reminders: ReminderService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications
        self.locality = locality  # the configured place of documents; None: the root's
        self.reminders = reminders  # a session's reminders follow it when it changes

    async def _sync_reminders(self, store: Store, session_id: int) -> None:
        if self.reminders is not None:
            await self.reminders.sync_session(store, session_id)

    @property
    def tz(self) -> tzinfo:
        return self.clock.tz

    async def _session(self, store: Store, session_id: int) -> tuple[Session, Unit]:
        session = await store.sessions.get(session_id)
        if session is None:
            raise NotFound(N_("There is no session number {id}."), id=session_id)
        unit = await store.units.get(session.unit_id)
        assert unit is not None
        return session, unit

    async def _manage(self, store: Store, actor: Actor, unit: Unit, action: str) -> None:
        """Raise ScopeDenied unless the actor manages the unit's sessions.

        The refusal is audited by :meth:`_write`/:meth:`_read` in a transaction of its own,
        since the one it happens in is rolled back.
        """
        if has_role_over(actor, SESSION_MANAGERS, unit):
            return
        raise ScopeDenied(actor, f"session.{action}", unit)

    @asynccontextmanager
    async def _audited(
        self, opener: Callable[[], AbstractAsyncContextManager[Store]]
    ) -> AsyncIterator[Store]:
        try:
            async with opener() as store:
                yield store
        except ScopeDenied as denied:
            await self._record_denial(denied)
            raise

    def _write(self) -> AbstractAsyncContextManager[Store]:
        return self._audited(self.db.write)

    def _read(self) -> AbstractAsyncContextManager[Store]:
        return self._audited(self.db.read)

    async def _record_denial(self, denied: ScopeDenied) -> None:
        async with self.db.write() as store:
            await audit(store, denied.actor, denied.action, denied.unit.code, outcome="denied")

    # The units a person manages ---------------------------------------------------------------

    async def managed_units(self, actor: Actor) -> list[Unit]:
        """The top units whose sessions this person manages."""
        async with self._read() as store:
            return await self._tops(store, actor)

    @staticmethod
    async def _tops(store: Store, actor: Actor) -> list[Unit]:
        tops = scope_units(actor, SESSION_MANAGERS)
        if not tops and actor.is_admin:
            tops = [u for u in await store.units.all() if u.parent_id is None]
        return tops

    async def _managed_subtrees(self, store: Store, actor: Actor) -> list[Unit]:
        units: dict[int, Unit] = {}
        for top in await self._tops(store, actor):
            for unit in await store.units.subtree(top):
                units[unit.id] = unit
        return list(units.values())

    @staticmethod
    async def _unit_by_code(store: Store, code: str) -> Unit:
        unit = await store.units.by_code(code.strip())
        if unit is None:
            raise NotFound(N_("No unit has the code '{code}'."), code=code.strip())
        return unit

    async def unit_for(self, actor: Actor, code: str) -> Unit:
        """The unit with this code, when the actor manages its sessions."""
        async with self._write() as store:
            unit = await self._unit_by_code(store, code)
            await self._manage(store, actor, unit, "unit")
        return unit

    # The campaign -----------------------------------------------------------------------------

    async def campaign(self) -> Campaign | None:
        """This year's campaign, else the latest one."""
        async with self._read() as store:
            return await self._campaign(store)

    async def _campaign(self, store: Store) -> Campaign | None:
        found = await store.campaigns.by_year(self.clock.today().year)
        if found is not None:
            return found
        every = await store.campaigns.all()
        return every[0] if every else None

    # The managers' view -----------------------------------------------------------------------

    async def view(self, actor: Actor, session_id: int) -> SessionView:
        """The session, its answers, check-ins, bridge points and minutes (not audited)."""
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            invitees = await invitees_of(store, session_id)
            campaign = (
                await store.campaigns.get(session.campaign_id) if session.campaign_id else None
            )
            bridges = (
                await self._bridges(store, session, unit, invitees)
                if session.kind == rules.Kind.CONFERENCE
                else []
            )
            minutes = await store.sessions.minutes(session_id)
        return SessionView(session, unit, invitees, campaign, bridges, minutes)

    async def _bridges(
        self, store: Store, session: Session, unit: Unit, invitees: list[Invitee]
    ) -> list[BridgeRow]:
        """One row per bridge point (the organiser, then each child unit): invited, checked
        in, and the head count it reported. The organiser's row only when it has any."""
        points = [u for u in await store.units.subtree(unit) if u.parent_id == unit.id]
        reports = {r.unit_id: r for r in await store.sessions.bridge_reports(session.id)}
        units = {u.id: u for u in await store.units.subtree(unit)}
        rows = []
        for point in [unit, *points]:
            mine = [
                i
                for i in invitees
                if i.unit_id in units and _bridge_of(units[i.unit_id], unit, points) == point.id
            ]
            if point.id == unit.id and not mine and point.id not in reports:
                continue
            rows.append(
                BridgeRow(
                    point,
                    len(mine),
                    sum(i.checked_in_at is not None for i in mine),
                    reports.get(point.id),
                )
            )
        return rows


def _bridge_of(unit: Unit, organiser: Unit, points: Sequence[Unit]) -> int:
    for point in points:
        if point.contains(unit):
            return point.id
    return organiser.id
