"""Sessions: creating them, invitations and answers, check-in, closing, minutes, conferences
with bridge points, the study cascade and attendance reports.

Every management action is checked against the unit's scope and audited. Notifications
go out through the NotificationService after the transaction has committed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from html import escape

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound, Term
from bot.i18n import N_, format_datetime, gettext
from bot.parsing import parse_datetime
from bot.render.documents import PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.render.exports import export_table
from bot.rules import sessions as rules
from bot.rules.access import MANAGERS, Actor, Role, has_role_over, scope_units
from bot.services.audit import actor_label, audit
from bot.services.notifications import Button, NotificationService, Render
from bot.services.organisation import nearest_managers
from storage import Database, Store
from storage.records import Campaign, Member, Unit
from storage.sessions import BridgeReport, Invitee, Minutes, Session

log = logging.getLogger(__name__)

SESSION_MANAGERS = MANAGERS | {Role.COMMITTEE}
TOPIC_MIN, TOPIC_MAX = 5, 500
PLACE_MAX = 300
LEAD_IN_MAX = 3000
RECENT = timedelta(days=30)


def clean_text(text: str, *, low: int, high: int, what: str) -> str:
    value = " ".join(text.split()) if "\n" not in text.strip() else text.strip()
    if not low <= len(value) <= high:
        raise InvalidInput(
            N_("The {what} must be {low} to {high} characters."),
            what=Term(what),
            low=low,
            high=high,
        )
    if value.startswith("/"):
        raise InvalidInput(N_("Please send the text itself, not a command."))
    return value


# The free-text fields of a session: (shortest, longest, what the error calls it).
FIELDS = {
    "topic": (TOPIC_MIN, TOPIC_MAX, N_("topic")),
    "place": (2, PLACE_MAX, N_("place")),
    "presenter": (4, 100, N_("presenter's name")),
    "lead_in": (10, LEAD_IN_MAX, N_("lead-in")),
}


def check_field(field: str, text: str) -> str:
    """The cleaned value of a free-text field, or InvalidInput saying what is wrong."""
    low, high, what = FIELDS[field]
    return clean_text(text, low=low, high=high, what=what)


def _member_of(actor: Actor, unit: Unit) -> bool:
    """True when one of the actor's current units is this unit or below it."""
    return any(unit.contains(own) for own in actor.units)


@dataclass(frozen=True)
class Draft:
    unit_id: int
    kind: str
    topic: str
    on_campaign: bool
    starts_at: datetime
    place: str
    presenter: str = ""
    lead_in: str = ""


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


@dataclass(frozen=True)
class AttendOutcome:
    session: Session
    unit: Unit
    outcome: str  # checked_in, already, reported, pending


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
    cadence: rules.Cadence


@dataclass(frozen=True)
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


class SessionService:
    def __init__(self, db: Database, clock: Clock, notifications: NotificationService) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications

    # Helpers ------------------------------------------------------------------------------

    @property
    def tz(self):  # type: ignore[no-untyped-def]
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

    @staticmethod
    def _require_open(session: Session) -> None:
        if session.status == "closed":
            raise SessionOver(
                N_("Session {id} is closed; it can no longer be changed."), id=session.id
            )
        if session.status == "cancelled":
            raise SessionOver(N_("Session {id} was cancelled."), id=session.id)

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
        async with self._write() as store:
            unit = await self._unit_by_code(store, code)
            await self._manage(store, actor, unit, "unit")
        return unit

    async def has_children(self, unit: Unit) -> bool:
        async with self._read() as store:
            return len(await store.units.subtree(unit)) > 1

    def parse_start(self, text: str) -> datetime:
        """A future date and time, read in the configured zone."""
        moment = parse_datetime(text, tz=self.tz, default_year=self.clock.today().year)
        if moment <= self.clock.now():
            raise InvalidInput(
                N_(
                    "{when} is already past. Please send a date and time in the future, "
                    "like 25/03/2026 19:30."
                ),
                when=format_datetime(moment),
            )
        return moment

    async def campaign(self) -> Campaign | None:
        async with self._read() as store:
            return await self._campaign(store)

    async def _campaign(self, store: Store) -> Campaign | None:
        found = await store.campaigns.by_year(self.clock.today().year)
        if found is not None:
            return found
        every = await store.campaigns.all()
        return every[0] if every else None

    # Creating, inviting, editing, cancelling --------------------------------------------

    async def create(self, actor: Actor, draft: Draft) -> tuple[Session, int]:
        """Save the session and snapshot its invitees; returns it and how many were invited."""
        kind = rules.Kind(draft.kind)
        topic = check_field("topic", draft.topic)
        place = check_field("place", draft.place)
        presenter = lead_in = ""
        if kind is rules.Kind.THEMATIC:  # presented by a member, from a text sent beforehand
            presenter = check_field("presenter", draft.presenter)
            lead_in = check_field("lead_in", draft.lead_in)
        if draft.starts_at <= self.clock.now():
            raise InvalidInput(N_("The session must start in the future."))
        async with self._write() as store:
            unit = await store.units.get(draft.unit_id)
            if unit is None:
                raise NotFound(N_("This unit no longer exists."))
            await self._manage(store, actor, unit, "create")
            campaign = await self._campaign(store) if draft.on_campaign else None
            if kind is rules.Kind.CONFERENCE:
                members = await store.members.in_subtree(unit)
                subtree = await store.units.subtree(unit)
            else:
                members = await store.members.in_units([unit.id])
                subtree = [unit]
            session = await store.sessions.create(
                unit_id=unit.id,
                kind=kind.value,
                topic=topic,
                campaign_id=campaign.id if campaign else None,
                starts_at=draft.starts_at,
                place=place,
                presenter=presenter,
                lead_in=lead_in,
                created_by=actor.member.id if actor.member else None,
            )
            inside = {u.id for u in subtree}
            rows = []
            for member in members:
                units = [m.unit for m in await store.members.memberships(member.id)]
                home = next((u for u in units if u.id in inside), unit)
                rows.append((member.id, home.id, member.full_name, member.status))
            await store.sessions.add_invitees(session.id, rows)
            await audit(
                store,
                actor,
                "session.create",
                session.id,
                unit=unit.code,
                kind=kind,
                invited=len(rows),
            )
        return session, len(rows)

    async def send_invitations(self, session_id: int) -> int:
        """Invite every invitee (after the transaction has committed)."""
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            members = await self._invitee_members(store, session_id)
        return await self.notifications.notify_all(members, self._invitation(session, unit))

    async def _invitee_members(self, store: Store, session_id: int) -> list[Member]:
        invitees = await store.sessions.invitees(session_id)
        found = await store.members.many(invitee.member_id for invitee in invitees)
        return [
            found[i.member_id]
            for i in invitees
            if i.member_id in found and found[i.member_id].is_active
        ]

    def _invitation(self, session: Session, unit: Unit) -> Render:
        def render() -> tuple[str, list[list[Button]]]:
            lines = [gettext("<b>Invitation</b> from {unit}").format(unit=_h(unit.name))]
            lines += describe(session)
            lines.append(gettext("Please let the secretary know whether you will attend."))
            return "\n".join(lines), answer_buttons(session.id)

        return render

    async def edit(self, actor: Actor, session_id: int, field: str, value: object) -> Session:
        if field not in ("topic", "starts_at", "place", "presenter", "lead_in"):
            raise InvalidInput(N_("This field cannot be edited."))
        if field == "starts_at":
            assert isinstance(value, datetime)
            if value <= self.clock.now():
                raise InvalidInput(N_("The session must start in the future."))
        else:
            value = check_field(field, str(value))
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "edit")
            self._require_open(session)
            updated = await store.sessions.update(session_id, **{field: value})
            if field == "starts_at" and session.checkin_code:
                opens, closes = rules.checkin_window(updated.starts_at)
                await store.sessions.open_checkin(session_id, session.checkin_code, opens, closes)
                updated = await store.sessions.get(session_id)  # type: ignore[assignment]
            await audit(store, actor, "session.edit", session_id, field=field, value=value)
        assert updated is not None
        return updated

    async def send_change(self, session_id: int) -> int:
        """Tell the invitees of a new time or place (after the transaction has committed)."""
        async with self.db.read() as store:
            session, unit = await self._session(store, session_id)
            members = await self._invitee_members(store, session_id)
        return await self.notifications.notify_all(members, _changed(session, unit))

    async def cancel(self, actor: Actor, session_id: int) -> tuple[Session, list[Member]]:
        """Cancel; returns the invitees to notify (the handler sends after replying)."""
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "cancel")
            self._require_open(session)
            await store.sessions.set_status(session_id, "cancelled", self.clock.now())
            await audit(store, actor, "session.cancel", session_id)
            members = await self._invitee_members(store, session_id)
            session, _ = await self._session(store, session_id)
        return session, members

    async def send_cancellation(self, session: Session, members: Sequence[Member]) -> int:
        async with self._read() as store:
            unit = await store.units.get(session.unit_id)
        assert unit is not None

        def render() -> tuple[str, None]:
            lines = [gettext("<b>Cancelled</b>: this session will not take place.")]
            lines += describe(session)
            return "\n".join(lines), None

        return await self.notifications.notify_all(members, render)

    # Reading ------------------------------------------------------------------------------

    async def view(self, actor: Actor, session_id: int) -> SessionView:
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            invitees = await store.sessions.invitees(session_id)
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

    async def list_managed(self, actor: Actor) -> list[tuple[Session, Unit]]:
        """Upcoming sessions and those of the last 30 days, in the units the actor manages."""
        now = self.clock.now()
        async with self._read() as store:
            units = {u.id: u for u in await self._managed_subtrees(store, actor)}
            sessions = await store.sessions.in_units(list(units), since=now - RECENT)
        return [(s, units[s.unit_id]) for s in sessions]

    async def my_sessions(
        self, actor: Actor, *, past: timedelta = timedelta(0)
    ) -> list[tuple[Session, Invitee, Unit]]:
        """The member's sessions from ``past`` ago on (not cancelled)."""
        if actor.member is None:
            return []
        async with self._read() as store:
            found = await store.sessions.for_member(actor.member.id, since=self.clock.now() - past)
            result = []
            for session, invitee in found:
                unit = await store.units.get(session.unit_id)
                assert unit is not None
                if _member_of(actor, unit):  # a member who moved away no longer sees them
                    result.append((session, invitee, unit))
        return result

    async def upcoming_for_member(self, actor: Actor) -> list[tuple[Session, Invitee, Unit]]:
        # A session that started less than the check-in window ago still counts as upcoming.
        found = await self.my_sessions(actor, past=rules.CHECKIN_AFTER)
        return [row for row in found if row[0].is_open]

    # Answers to invitations ----------------------------------------------------------------

    async def rsvp(
        self, actor: Actor, session_id: int, attend: bool, reason: str | None = None
    ) -> Session:
        if actor.member is None:
            raise AccessDenied(N_("Only members can answer an invitation."))
        if reason is not None:
            reason = clean_text(reason, low=2, high=300, what=N_("reason"))
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            invitee = await store.sessions.invitee(session_id, actor.member.id)
            if invitee is None or not _member_of(actor, unit):
                raise AccessDenied(N_("You are not invited to this session."))
            self._require_open(session)
            if session.starts_at + rules.CHECKIN_AFTER < self.clock.now():
                raise Conflict(N_("This session has already taken place."))
            if not attend and reason is None and invitee.rsvp == "no":
                reason = invitee.rsvp_reason  # asked again: the reason stands until replaced
            await store.sessions.set_rsvp(
                session_id, actor.member.id, "yes" if attend else "no", reason, self.clock.now()
            )
        return session

    # Check-in ------------------------------------------------------------------------------

    async def open_checkin(self, actor: Actor, session_id: int) -> Session:
        now = self.clock.now()
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "checkin")
            self._require_open(session)
            opens, closes = rules.checkin_window(session.starts_at)
            if now > closes:
                raise Conflict(
                    N_(
                        "Check-in for this session ended at {time}. Members can still report "
                        "their attendance with /attend, for you to confirm."
                    ),
                    time=format_datetime(closes),
                )
            code = session.checkin_code
            if code is None:
                for _ in range(20):
                    code = rules.new_checkin_code()
                    if not await store.sessions.code_in_use(code):
                        break
                else:
                    raise RuntimeError("no free check-in code")
            await store.sessions.open_checkin(session_id, code, opens, closes)
            await audit(store, actor, "session.checkin.open", session_id)
            session, _ = await self._session(store, session_id)
        return session

    async def attend_code(self, actor: Actor, text: str) -> AttendOutcome:
        code = rules.normalise_checkin_code(text)
        if actor.member is None:
            raise AccessDenied(N_("Only members can check in."))
        async with self._write() as store:
            session = await store.sessions.by_open_code(code)
            if session is None:
                raise NotFound(
                    N_(
                        "The code {code} does not match any open check-in. Please check the "
                        "code the secretary read out."
                    ),
                    code=rules.format_code(code),
                )
            return await self._check_in(store, actor, session, "code", late_allowed=False)

    async def attend_button(self, actor: Actor, session_id: int) -> AttendOutcome:
        """ "I attended": a check-in inside the window, else a late report to confirm."""
        if actor.member is None:
            raise AccessDenied(N_("Only members can check in."))
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            outcome = await self._check_in(store, actor, session, "button", late_allowed=True)
            managers = await nearest_managers(store, unit) if outcome.outcome == "reported" else []
        if managers:
            await self.notifications.notify_all(
                managers, _late_request(session, unit, actor.member)
            )
        return outcome

    async def _check_in(
        self, store: Store, actor: Actor, session: Session, via: str, *, late_allowed: bool
    ) -> AttendOutcome:
        assert actor.member is not None
        unit = await store.units.get(session.unit_id)
        assert unit is not None
        invitee = await store.sessions.invitee(session.id, actor.member.id)
        if invitee is None or not _member_of(actor, unit):
            raise AccessDenied(
                N_("You are not on the list of session {id} ({unit})."),
                id=session.id,
                unit=unit.name,
            )
        if session.status == "closed":
            raise SessionOver(
                N_(
                    "Session {id} is closed; attendance can no longer be changed. Please "
                    "contact the secretary."
                ),
                id=session.id,
            )
        self._require_open(session)
        if invitee.checked_in_at is not None:
            return AttendOutcome(session, unit, "already")
        now = self.clock.now()
        if session.checkin_opens and session.checkin_closes:
            state = rules.window_state(now, session.checkin_opens, session.checkin_closes)
        else:  # not opened by the secretary: before the start it is early, after it late
            state = rules.Window.EARLY if now < session.starts_at else rules.Window.CLOSED
        if state is rules.Window.OPEN:
            await store.sessions.check_in(session.id, actor.member.id, now, via)
            return AttendOutcome(session, unit, "checked_in")
        if state is rules.Window.EARLY:
            if session.checkin_opens:
                raise Conflict(
                    N_("Check-in has not opened yet. It opens at {time}."),
                    time=format_datetime(session.checkin_opens),
                )
            raise Conflict(
                N_("Check-in has not opened yet; the secretary opens it at the session.")
            )
        if not late_allowed:
            raise Conflict(
                N_(
                    "Check-in for this session has ended. Send /attend without a code to "
                    "report your attendance; the secretary will confirm it."
                )
            )
        if invitee.late_status == "pending":
            return AttendOutcome(session, unit, "pending")
        await store.sessions.report_late(session.id, actor.member.id, now)
        await audit(store, actor, "session.attend.late", session.id)
        return AttendOutcome(session, unit, "reported")

    async def decide_late(
        self, actor: Actor, session_id: int, member_id: int, approve: bool
    ) -> tuple[Session, Invitee]:
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "late.decide")
            self._require_open(session)
            invitee = await store.sessions.invitee(session_id, member_id)
            if invitee is None:
                raise NotFound(N_("This member is not on the session's list."))
            if not await store.sessions.decide_late(
                session_id, member_id, "confirmed" if approve else "rejected"
            ):
                raise Conflict(N_("This report has already been decided."))
            if approve:
                await store.sessions.check_in(session_id, member_id, self.clock.now(), "late")
            await audit(
                store,
                actor,
                "session.late.confirm" if approve else "session.late.reject",
                session_id,
                member=member_id,
            )
            invitee = await store.sessions.invitee(session_id, member_id)  # type: ignore[assignment]
            member = await store.members.get(member_id)
        assert invitee is not None
        if member is not None:
            await self.notifications.notify(member, _late_decision(session, approve))
        return session, invitee

    # Attendance list and closing -------------------------------------------------------------

    async def attendance(
        self, actor: Actor, session_id: int
    ) -> tuple[Session, Unit, list[rules.Line]]:
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            invitees = await store.sessions.invitees(session_id)
        return session, unit, lines_of(invitees)

    async def correct(
        self, actor: Actor, session_id: int, changes: Sequence[rules.Change]
    ) -> list[rules.Line]:
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "correct")
            self._require_open(session)
            lines = lines_of(await store.sessions.invitees(session_id))
            by_number = {line.number: line for line in lines}
            marks = []
            for change in changes:
                line = by_number.get(change.number)
                if line is None:
                    raise InvalidInput(
                        N_("There is no line {number}: the list has lines 1 to {count}."),
                        number=change.number,
                        count=len(lines),
                    )
                marks.append((line.member_id, change.mark.value, change.reason))
            await store.sessions.set_marks(session_id, marks)
            await audit(
                store,
                actor,
                "session.correct",
                session_id,
                changes="; ".join(f"{c.number} {c.mark} {c.reason}".strip() for c in changes),
            )
            return lines_of(await store.sessions.invitees(session_id))

    async def close(self, actor: Actor, session_id: int) -> tuple[Session, rules.Counts]:
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "close")
            self._require_open(session)
            if self.clock.now() < session.starts_at:
                raise Conflict(
                    N_("Session {id} has not started yet; it can be closed after {time}."),
                    id=session_id,
                    time=format_datetime(session.starts_at),
                )
            lines = lines_of(await store.sessions.invitees(session_id))
            await store.sessions.set_marks(
                session_id, [(line.member_id, line.mark.value, line.reason) for line in lines]
            )
            if not await store.sessions.set_status(session_id, "closed", self.clock.now()):
                raise Conflict(N_("Session {id} is already closed."), id=session_id)
            counts = rules.count_lines(lines)
            await audit(
                store,
                actor,
                "session.close",
                session_id,
                total=counts.total,
                present=counts.present,
                excused=counts.excused,
                absent=counts.absent,
            )
            session, _ = await self._session(store, session_id)
        return session, counts

    # Minutes -------------------------------------------------------------------------------

    async def minutes_context(self, actor: Actor, session_id: int) -> SessionView:
        view = await self.view(actor, session_id)
        _require_closed(view.session)
        return view

    async def save_minutes(self, actor: Actor, minutes: Minutes) -> Minutes:
        async with self._write() as store:
            session, unit = await self._session(store, minutes.session_id)
            await self._manage(store, actor, unit, "minutes")
            _require_closed(session)
            await store.sessions.save_minutes(minutes, actor.member.id if actor.member else None)
            await audit(store, actor, "session.minutes", session.id)
            saved = await store.sessions.minutes(session.id)
        assert saved is not None
        return saved

    async def minutes_docx(self, actor: Actor, session_id: int) -> tuple[str, bytes]:
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            minutes = await store.sessions.minutes(session_id)
            if minutes is None:
                raise NotFound(
                    N_("Session {id} has no minutes yet: /session minutes {id}"), id=session_id
                )
            parent = await store.units.get(unit.parent_id) if unit.parent_id else None
            invitees = await store.sessions.invitees(session_id)
        async with self.db.write() as store:
            await audit(store, actor, "session.minutes.docx", session_id)
        document = build_minutes(session, unit, parent, invitees, minutes, self.tz)
        return f"bien-ban-{session.id}.docx", render_docx(document)

    # Conferences: bridge points --------------------------------------------------------------

    async def report_bridge(
        self, actor: Actor, session_id: int, unit_code: str | None, present: int, names: str
    ) -> tuple[Session, Unit]:
        if present < 0 or present > 100_000:
            raise InvalidInput(N_("The head count must be a whole number, e.g. 25."))
        async with self._write() as store:
            session, organiser = await self._session(store, session_id)
            if session.kind != rules.Kind.CONFERENCE:
                raise InvalidInput(N_("Session {id} is not a conference."), id=session_id)
            if session.status == "cancelled":
                self._require_open(session)
            points = [
                u for u in await store.units.subtree(organiser) if u.parent_id == organiser.id
            ]
            candidates = [organiser, *points]
            if unit_code:
                point = next((u for u in candidates if u.code == unit_code), None)
                if point is None:
                    raise NotFound(
                        N_("{code} is not a bridge point of this conference."), code=unit_code
                    )
            else:
                mine = [u for u in points if has_role_over(actor, SESSION_MANAGERS, u)]
                mine = [
                    u for u in mine if not has_role_over(actor, SESSION_MANAGERS, organiser)
                ] or mine
                if len(mine) != 1:
                    raise InvalidInput(
                        N_("Please name the bridge point: /session bridge {id} UNIT_CODE 25"),
                        id=session_id,
                    )
                point = mine[0]
            await self._manage(store, actor, point, "bridge")
            await store.sessions.save_bridge_report(
                session_id,
                point.id,
                present,
                " ".join(names.split())[:2000],
                actor.member.id if actor.member else None,
            )
            await audit(
                store, actor, "session.bridge", session_id, unit=point.code, present=present
            )
        return session, point

    # Study cascade ---------------------------------------------------------------------------

    @staticmethod
    def _check_deadline(campaign: Campaign | None, deadline: date) -> Campaign:
        if campaign is None:
            raise NotFound(N_("There is no campaign yet."))
        if deadline.year != campaign.year:
            raise InvalidInput(
                N_("The study deadline must fall within {year}."), year=campaign.year
            )
        return campaign

    async def check_study_deadline(self, deadline: date) -> Campaign:
        """The campaign the deadline is for; InvalidInput when it falls in another year."""
        return self._check_deadline(await self.campaign(), deadline)

    async def set_study_deadline(self, actor: Actor, unit: Unit, deadline: date) -> Campaign:
        async with self._write() as store:
            await self._manage(store, actor, unit, "deadline")
            campaign = self._check_deadline(await self._campaign(store), deadline)
            await store.sessions.set_study_deadline(
                campaign.id, unit.id, deadline, actor_label(actor)
            )
            await audit(store, actor, "session.deadline", unit.code, deadline=deadline)
        return campaign

    async def study_report(self, actor: Actor) -> tuple[Campaign | None, list[StudyRow]]:
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
                study = [
                    rules.StudyUnit(
                        u.id,
                        u.parent_id if u.id != top.id else None,
                        rules.effective_deadline(
                            rules.path_ids(u.path), deadlines, campaign.study_deadline
                        ),
                        tuple(held.get(u.id, ())),
                    )
                    for u in units
                ]
                states = study_states_for(study)
                depth0 = len(rules.path_ids(top.path))
                rows += [
                    StudyRow(u, len(rules.path_ids(u.path)) - depth0, states[u.id]) for u in units
                ]
        return campaign, rows

    # Reports and exports --------------------------------------------------------------------

    def _bounds(self, start: date, end: date) -> tuple[datetime, datetime]:
        """The instants a period of local days runs between (the end exclusive)."""
        since = datetime.combine(start, time(0), tzinfo=self.tz)
        return since, datetime.combine(end + timedelta(days=1), time(0), tzinfo=self.tz)

    def period(self, text: str | None) -> tuple[date, date]:
        """``3/2026`` (a month), ``Q1/2026`` or ``Q1`` (a quarter), ``2026`` (a year),
        ``1/1/2026-31/3/2026``; by default the current quarter so far."""
        today = self.clock.today()
        return parse_period(text, today)

    async def period_report(
        self, actor: Actor | None, start: date, end: date, unit_code: str | None = None
    ) -> PeriodReport:
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
            marks = await store.sessions.member_marks(list(by_id), since, until)
            held = await store.sessions.in_units(
                list(by_id), since=since, until=until, statuses=["closed"]
            )
        reports = []
        for unit in sorted(units, key=lambda u: u.path):
            sessions = [s for s in held if s.unit_id == unit.id]
            pairs = [
                (i.status, rules.Mark(i.mark or "absent")) for s, i in marks if s.unit_id == unit.id
            ]
            present, counted, _ = rules.attendance_rate(pairs)
            cadence = rules.cadence(
                [(s.kind, s.starts_at.astimezone(self.tz).date()) for s in sessions],
                start,
                end,
                self.clock.today(),
            )
            reports.append(UnitReport(unit, sessions, present, counted, cadence))
        members: dict[tuple[int, int], list[tuple[str, rules.Mark]]] = {}
        names: dict[int, str] = {}
        for session, invitee in marks:
            key = (invitee.member_id, session.unit_id)
            names[invitee.member_id] = invitee.full_name
            members.setdefault(key, []).append(
                (invitee.status, rules.Mark(invitee.mark or "absent"))
            )
        rates = []
        for (member_id, unit_id), pairs in members.items():
            present, counted, _ = rules.attendance_rate(pairs)
            if counted:
                rates.append(MemberRate(names[member_id], by_id[unit_id], present, counted))
        rates.sort(key=lambda r: (r.unit.path, r.name))
        return PeriodReport(start, end, reports, rates)

    async def export_attendance(
        self, actor: Actor | None, unit_code: str, start: date, end: date, fmt: str
    ) -> tuple[str, bytes]:
        """The attendance register of a unit and its subtree: one row per session and member."""
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput(N_("The format must be csv or xlsx."))
        if end < start:
            raise InvalidInput(N_("The period must end after it starts."))
        since, until = self._bounds(start, end)
        async with self._read() as store:
            top = await self._unit_by_code(store, unit_code)
            if actor is not None:
                await self._manage(store, actor, top, "export")
            units = {u.id: u for u in await store.units.subtree(top)}
            marks = await store.sessions.member_marks(list(units), since, until)
            found = await store.members.many(invitee.member_id for _, invitee in marks)
            member_codes = {member_id: member.code or "" for member_id, member in found.items()}
        header = [
            gettext("Session"),
            gettext("Date"),
            gettext("Unit"),
            gettext("Kind"),
            gettext("Topic"),
            gettext("Member code"),
            gettext("Full name"),
            gettext("Status"),
            gettext("Attendance"),
            gettext("Reason"),
        ]
        rows = [
            [
                session.id,
                format_datetime(session.starts_at),
                units[session.unit_id].name,
                gettext(rules.KIND_NAMES[rules.Kind(session.kind)]),
                session.topic,
                member_codes.get(invitee.member_id) or "",
                invitee.full_name,
                gettext(STATUS_NAMES.get(invitee.status, invitee.status)),
                _attendance_label(invitee),
                invitee.reason or "",
            ]
            for session, invitee in marks
        ]
        name = f"attendance-{unit_code}-{start.isoformat()}-{end.isoformat()}.{fmt}"
        async with self.db.write() as store:
            await audit(
                store, actor or "cli", "session.export", top.code, format=fmt, start=start,
                end=end, rows=len(rows),
            )  # fmt: skip
        return name, export_table(fmt, header, rows, sheet=gettext("Attendance"))


# Rendering shared by handlers and notifications ----------------------------------------------

STATUS_NAMES = {
    "official": N_("Full member"),
    "probationary": N_("Probationary member"),
    "temporary": N_("Temporarily attached"),
    "exempt": N_("Exempt from meetings"),
}


def _require_closed(session: Session) -> None:
    if session.status != "closed":
        raise Conflict(
            N_("Please close session {id} first (/session close {id}), so the counts are final."),
            id=session.id,
        )


def answer_buttons(session_id: int) -> list[list[Button]]:
    """The two answers to an invitation, in the current locale."""
    return [
        [
            Button(gettext("I will attend"), f"ses:yes:{session_id}"),
            Button(gettext("I can't attend"), f"ses:no:{session_id}"),
        ]
    ]


def _h(text: object) -> str:
    return escape(str(text), quote=False)


def describe(session: Session) -> list[str]:
    """The session's details, one line each, in the current locale (HTML, escaped)."""
    heading = f"<b>{_h(gettext(rules.KIND_NAMES[rules.Kind(session.kind)]))}</b> — " + gettext(
        "session {id}"
    ).format(id=session.id)
    return [
        heading,
        *detail_lines(
            topic=session.topic,
            starts_at=session.starts_at,
            place=session.place,
            on_campaign=bool(session.campaign_id),
            presenter=session.presenter,
            lead_in=session.lead_in,
        ),
    ]


def detail_lines(
    *,
    topic: str,
    starts_at: datetime,
    place: str,
    on_campaign: bool,
    presenter: str = "",
    lead_in: str = "",
) -> list[str]:
    """Topic, time, place, and for a thematic session the presenter and the lead-in."""
    lines = [
        gettext("Topic: {topic}").format(topic=_h(topic)),
        gettext("Time: {time}").format(time=format_datetime(starts_at)),
        gettext("Place: {place}").format(place=_h(place)),
    ]
    if on_campaign:
        lines.append(gettext("On the campaign topic of the year."))
    if presenter:
        lines.append(gettext("Presenter: {name}").format(name=_h(presenter)))
    if lead_in:
        lines.append(gettext("Lead-in:") + "\n<i>" + _h(lead_in) + "</i>")
    return lines


def _changed(session: Session, unit: Unit) -> Render:
    def render() -> tuple[str, list[list[Button]]]:
        lines = [gettext("<b>Changed</b>: the session's details have been updated.")]
        lines += describe(session)
        return "\n".join(lines), answer_buttons(session.id)

    return render


def _late_request(session: Session, unit: Unit, member: Member) -> Render:
    def render() -> tuple[str, list[list[Button]]]:
        text = gettext(
            "Comrade <b>{name}</b> reports having attended session {id} ({topic}, {time}) "
            "after check-in closed. Please confirm."
        ).format(
            name=_h(member.full_name),
            id=session.id,
            topic=_h(session.topic),
            time=format_datetime(session.starts_at),
        )
        return text, [
            [
                Button(gettext("Confirm"), f"ses:late:ok:{session.id}:{member.id}"),
                Button(gettext("Reject"), f"ses:late:no:{session.id}:{member.id}"),
            ]
        ]

    return render


def _late_decision(session: Session, approve: bool) -> Render:
    def render() -> tuple[str, None]:
        if approve:
            text = gettext("The secretary confirmed your attendance at session {id} ({topic}).")
        else:
            text = gettext(
                "The secretary did not confirm your attendance at session {id} ({topic}). "
                "Please contact the secretary if this is a mistake."
            )
        return text.format(id=session.id, topic=_h(session.topic)), None

    return render


def lines_of(invitees: Sequence[Invitee]) -> list[rules.Line]:
    """The numbered attendance list: counted members first, the exempt at the end."""
    ordered = [i for i in invitees if i.status != rules.EXEMPT] + [
        i for i in invitees if i.status == rules.EXEMPT
    ]
    lines = []
    for number, invitee in enumerate(ordered, start=1):
        mark, reason = rules.derive_mark(
            checked_in=invitee.checked_in_at is not None,
            rsvp=invitee.rsvp,
            rsvp_reason=invitee.rsvp_reason,
            mark=invitee.mark,
            reason=invitee.reason,
        )
        lines.append(
            rules.Line(number, invitee.member_id, invitee.full_name, invitee.status, mark, reason)
        )
    return lines


def _bridge_of(unit: Unit, organiser: Unit, points: Sequence[Unit]) -> int:
    for point in points:
        if point.contains(unit):
            return point.id
    return organiser.id


def study_states_for(units: Sequence[rules.StudyUnit]) -> dict[int, rules.StudyState]:
    return rules.study_states(units)


def parse_period(text: str | None, today: date) -> tuple[date, date]:
    import re

    from bot.parsing import parse_date

    value = (text or "").strip().upper().replace(" ", "")
    if not value:
        quarter = (today.month - 1) // 3
        return date(today.year, quarter * 3 + 1, 1), today
    match = re.fullmatch(r"Q([1-4])(?:[/\-](\d{4}))?", value)
    if match:
        year = int(match[2] or today.year)
        first = (int(match[1]) - 1) * 3 + 1
        return date(year, first, 1), _month_end(year, first + 2)
    match = re.fullmatch(r"(\d{1,2})[/\-](\d{4})", value)
    if match and 1 <= int(match[1]) <= 12:
        year, month = int(match[2]), int(match[1])
        return date(year, month, 1), _month_end(year, month)
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1), date(int(value), 12, 31)
    if "-" in value and not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        left, _, right = (text or "").strip().partition("-")
        if re.fullmatch(r"\d{4}", left.strip()):  # ISO on both sides: 2026-01-01..2026-03-31
            raise InvalidInput(N_("Please write the period like 1/2026, Q1/2026 or 2026."))
        start = parse_date(left, default_year=today.year)
        end = parse_date(right, default_year=today.year)
        if end < start:
            raise InvalidInput(N_("The period must end after it starts."))
        return start, end
    raise InvalidInput(
        N_(
            "I could not read the period '{text}'. Write it like 3/2026 (a month), Q1/2026 "
            "(a quarter), 2026 (a year) or 1/1/2026-31/3/2026."
        ),
        text=(text or "").strip()[:40],
    )


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


# The minutes as a Party document ---------------------------------------------------------------

_VI_KIND = {
    "regular": "Sinh hoạt chi bộ thường kỳ",
    "thematic": "Sinh hoạt chuyên đề",
    "conference": "Hội nghị (trực tuyến)",
}


def build_minutes(
    session: Session,
    unit: Unit,
    parent: Unit | None,
    invitees: Sequence[Invitee],
    minutes: Minutes,
    tz,  # type: ignore[no-untyped-def]
) -> PartyDocument:
    """BIÊN BẢN in the Party's layout; the text is Vietnamese, as the paper form is."""
    local = session.starts_at.astimezone(tz)
    place = session.place if not session.place.startswith("http") else "Trực tuyến"
    doc = PartyDocument(
        issuing_parent=parent.name if parent else "",
        issuing_body=unit.name,
        place_date=vietnamese_place_date(place.split(",")[-1].strip() or "....", local.date()),
        kind="BIÊN BẢN",
        subtitle=f"{_VI_KIND[session.kind]}: {session.topic}",
    )
    lines = lines_of(invitees)
    counts = rules.count_lines(lines)
    by_status = {s: sum(i.status == s for i in invitees) for s in STATUS_NAMES}
    doc.paragraph(
        f"Thời gian: bắt đầu lúc {local.hour} giờ {local.minute:02d} phút, "
        f"ngày {local.day} tháng {local.month} năm {local.year}."
    )
    doc.paragraph(f"Địa điểm: {session.place}.")
    doc.paragraph(f"Chủ trì: đồng chí {minutes.chair}.")
    doc.paragraph(f"Thư ký: đồng chí {minutes.minute_taker}.")
    if minutes.guests:
        doc.paragraph(f"Khách mời: {minutes.guests}.")
    doc.heading("I. THÀNH PHẦN")
    doc.paragraph(
        f"Tổng số đảng viên: {len(invitees)} đồng chí; trong đó: chính thức "
        f"{by_status['official']}, dự bị {by_status['probationary']}, sinh hoạt tạm thời "
        f"{by_status['temporary']}, miễn sinh hoạt {by_status['exempt']}."
    )
    doc.paragraph(
        f"Sĩ số {counts.total} · Có mặt {counts.present} · Vắng có lý do {counts.excused} · "
        f"Vắng không lý do {counts.absent}."
    )
    for line in lines:
        if line.mark is rules.Mark.EXCUSED:
            doc.bullet(f"Đồng chí {line.name}: vắng có lý do ({line.reason or 'không ghi'}).")
        elif line.mark is rules.Mark.ABSENT and not line.exempt:
            doc.bullet(f"Đồng chí {line.name}: vắng không lý do.")
    doc.heading("II. NỘI DUNG")
    doc.paragraph(f"Chương trình: {minutes.agenda or session.topic}")
    if session.presenter:
        doc.paragraph(f"Đồng chí {session.presenter} trình bày chuyên đề.")
    if minutes.speakers:
        doc.paragraph("Ý kiến phát biểu:")
        for name, opinion in minutes.speakers:
            doc.bullet(f"Đồng chí {name}: {opinion}")
    if minutes.difficulties:
        doc.paragraph(f"Khó khăn, hạn chế: {minutes.difficulties}")
    if minutes.solutions:
        doc.paragraph(f"Giải pháp đề xuất: {minutes.solutions}")
    doc.heading("III. KẾT LUẬN")
    doc.paragraph(minutes.conclusion)
    doc.italic("Biên bản đã được thông qua trước chi bộ.")
    doc.signatures = [
        Signature("THƯ KÝ", minutes.minute_taker, "(Ký, ghi rõ họ tên)"),
        Signature("CHỦ TRÌ", minutes.chair, "(Ký, ghi rõ họ tên)"),
    ]
    return doc


def with_speakers(minutes: Minutes, speakers: Sequence[tuple[str, str]]) -> Minutes:
    return replace(minutes, speakers=tuple(speakers))


def _attendance_label(invitee: Invitee) -> str:
    """The register's mark; an exempt member who did not come is "exempt", not "absent"."""
    mark = rules.Mark(invitee.mark or "absent")
    if invitee.status == "exempt" and mark is not rules.Mark.PRESENT:
        exempt = STATUS_NAMES[invitee.status]  # a variable: the extractor must not see a literal
        return gettext(exempt)
    return gettext(rules.MARK_NAMES[mark])
