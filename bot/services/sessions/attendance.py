"""Attendance: answers to invitations, check-in (by code or by button), late reports and
their decision, the secretary's corrections, and closing with the final marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.delivery.codec import dump
from bot.delivery.notices import session_params
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_, format_datetime
from bot.rules import sessions as rules
from bot.rules.access import Actor
from bot.services.audit import audit
from bot.services.notifications import Priority
from bot.services.organisation import nearest_managers
from bot.services.sessions.base import (
    SessionBase,
    SessionOver,
    invitees_of,
    member_of,
    require_open,
)
from storage import Store
from storage.records import Unit
from storage.sessions import Invitee, Session


@dataclass(frozen=True)
class AttendOutcome:
    session: Session
    unit: Unit
    outcome: str  # checked_in, already, reported, pending


class Attendance(SessionBase):
    # Answers to invitations ---------------------------------------------------------------------

    async def rsvp(
        self, actor: Actor, session_id: int, attend: bool, reason: str | None = None
    ) -> Session:
        if actor.member is None:
            raise AccessDenied(N_("Only members can answer an invitation."))
        if reason is not None:
            reason = rules.clean_text(
                reason, low=rules.REASON_MIN, high=rules.REASON_MAX, what=N_("reason")
            )
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            invitee = await store.sessions.invitee(session_id, actor.member.id)
            if invitee is None or not member_of(actor, unit):
                raise AccessDenied(N_("You are not invited to this session."))
            require_open(session)
            if session.starts_at + rules.CHECKIN_AFTER < self.clock.now():
                raise Conflict(N_("This session has already taken place."))
            if not attend and reason is None and invitee.rsvp == "no":
                reason = invitee.rsvp_reason  # asked again: the reason stands until replaced
            await store.sessions.set_rsvp(
                session_id, actor.member.id, "yes" if attend else "no", reason, self.clock.now()
            )
        return session

    # Check-in -----------------------------------------------------------------------------------

    async def open_checkin(self, actor: Actor, session_id: int) -> Session:
        """Open the window (30 minutes before to 2 hours after the start) with a code that
        no other open session uses; opening it again keeps the code."""
        now = self.clock.now()
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "checkin")
            require_open(session)
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
            if outcome.outcome == "reported":
                await self.notifications.queue(
                    store,
                    kind="alert",
                    template="session.late_request",
                    to=await nearest_managers(store, unit),
                    params={**session_params(session), "member": dump(actor.member)},
                    dedup=f"session:{session.id}:late:{actor.member.id}",
                    priority=Priority.ALERT,
                )
        return outcome

    async def _check_in(
        self, store: Store, actor: Actor, session: Session, via: str, *, late_allowed: bool
    ) -> AttendOutcome:
        assert actor.member is not None
        unit = await store.units.get(session.unit_id)
        assert unit is not None
        invitee = await store.sessions.invitee(session.id, actor.member.id)
        if invitee is None or not member_of(actor, unit):
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
        require_open(session)
        if invitee.checked_in_at is not None:
            return AttendOutcome(session, unit, "already")
        now = self.clock.now()
        if session.checkin_opens and session.checkin_closes:
            state = rules.window_state(now, session.checkin_opens, session.checkin_closes)
        else:  # not opened by the secretary: before the start it is early, after it late
            state = rules.Window.EARLY if now < session.starts_at else rules.Window.CLOSED
        if state is rules.Window.OPEN:
            if via != "code":
                # The code read out in the room is the proof of presence.
                raise Conflict(
                    N_(
                        "Check-in is open: please send /attend with the code the secretary "
                        "reads out, for example: /attend 482913"
                    )
                )
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
        """Confirm (a check-in) or reject a late report, once; the member is told."""
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "late.decide")
            require_open(session)
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
            if member is not None:
                await self.notifications.queue(
                    store,
                    kind="answer",
                    template="session.late_decision",
                    to=[member],
                    params={**session_params(session), "approve": approve},
                    dedup=f"session:{session_id}:late-decision:{member_id}",
                    priority=Priority.ANSWER,
                )
        assert invitee is not None
        return session, invitee

    # The attendance list and closing ------------------------------------------------------------

    async def attendance(
        self, actor: Actor, session_id: int
    ) -> tuple[Session, Unit, list[rules.Line]]:
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            invitees = await invitees_of(store, session_id)
        return session, unit, rules.lines_of(invitees)

    async def correct(
        self, actor: Actor, session_id: int, changes: Sequence[rules.Change]
    ) -> list[rules.Line]:
        """The secretary's marks by line number; returns the corrected list."""
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "correct")
            require_open(session)
            lines = rules.lines_of(await invitees_of(store, session_id))
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
            return rules.lines_of(await invitees_of(store, session_id))

    async def close(self, actor: Actor, session_id: int) -> tuple[Session, rules.Counts]:
        """Write the derived marks and close, once, not before the start."""
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "close")
            require_open(session)
            if self.clock.now() < session.starts_at:
                raise Conflict(
                    N_("Session {id} has not started yet; it can be closed after {time}."),
                    id=session_id,
                    time=format_datetime(session.starts_at),
                )
            lines = rules.lines_of(await invitees_of(store, session_id))
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
