"""Scheduling: creating a session with its invitees, the invitations, editing and cancelling
(with the notices to the invitees), and the lists of sessions for managers and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.notices import session_params
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.parsing import parse_future_datetime
from bot.rules import sessions as rules
from bot.rules.access import Actor
from bot.services.audit import audit
from bot.services.notifications import Recipient
from bot.services.sessions.base import (
    SessionBase,
    invitees_of,
    member_of,
    progress_to,
    require_open,
)
from storage import Store
from storage.records import Member, Unit
from storage.sessions import Invitee, Session

RECENT = timedelta(days=30)


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
    # The draft's own key: the same draft saved again returns the meeting saved from it.
    request_key: str | None = None


class Scheduling(SessionBase):
    def parse_start(self, text: str) -> datetime:
        """A future date and time, read in the configured zone."""
        return parse_future_datetime(text, tz=self.tz, now=self.clock.now())

    async def kinds_for(self, unit_id: int) -> list[rules.Kind]:
        """Regular and thematic sessions anywhere; a conference only where there are units
        below to link as its bridge points."""
        kinds = [rules.Kind.REGULAR, rules.Kind.THEMATIC]
        async with self._read() as store:
            unit = await store.units.get(unit_id)
            if unit is not None and len(await store.units.subtree(unit)) > 1:
                kinds.append(rules.Kind.CONFERENCE)
        return kinds

    # Creating and inviting ----------------------------------------------------------------------

    async def create(self, actor: Actor, draft: Draft) -> tuple[Session, int]:
        """Save the session and snapshot its invitees; returns it and how many were invited."""
        kind = rules.Kind(draft.kind)
        topic = rules.check_field("topic", draft.topic)
        place = rules.check_field("place", draft.place)
        presenter = lead_in = ""
        if kind is rules.Kind.THEMATIC:  # presented by a member, from a text sent beforehand
            presenter = rules.check_field("presenter", draft.presenter)
            lead_in = rules.check_field("lead_in", draft.lead_in)
        if draft.starts_at <= self.clock.now():
            raise InvalidInput(N_("The session must start in the future."))
        async with self._write() as store:
            if draft.request_key and (
                saved := await store.sessions.by_request_key(draft.request_key)
            ):
                return saved
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
                request_key=draft.request_key,
            )
            # Each person once, counted at the unit of the subtree they belong to.
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
            # Saved and invited together, or neither.
            await self._queue_invitations(store, actor, session, unit)
            await self._sync_reminders(store, session.id)
        return session, len(rows)

    async def _queue_invitations(
        self, store: Store, actor: Actor, session: Session, unit: Unit
    ) -> int:
        """Every invitee's invitation; the organiser's (who scheduled it, or a secretary of
        the unit) only for the record. The person who scheduled it sees the progress."""
        members = await self._invitee_members(store, session.id)
        held = await store.roles.holders([unit.id], ("secretary",))
        organisers = {session.created_by, *(member_id for member_id, _, _ in held)}
        recipients = [
            Recipient(m.telegram_id, m.id, {"organiser": True} if m.id in organisers else None)
            for m in members
            if m.telegram_id is not None
        ]
        return await self.notifications.queue(
            store,
            kind="invitation",
            template="session.invitation",
            to=recipients,
            params=session_params(session, unit),
            dedup=f"session:{session.id}:invitation",
            progress_to=progress_to(actor),
        )

    async def _invitee_members(self, store: Store, session_id: int) -> list[Member]:
        invitees = await invitees_of(store, session_id)
        found = await store.members.many(invitee.member_id for invitee in invitees)
        return [
            found[i.member_id]
            for i in invitees
            if i.member_id in found and found[i.member_id].is_active
        ]

    # Editing and cancelling ---------------------------------------------------------------------

    async def edit(self, actor: Actor, session_id: int, field: str, value: object) -> Session:
        if field not in rules.EDITABLE:
            raise InvalidInput(N_("This field cannot be edited."))
        if field == "starts_at":
            assert isinstance(value, datetime)
            if value <= self.clock.now():
                raise InvalidInput(N_("The session must start in the future."))
        else:
            value = rules.check_field(field, str(value))
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "edit")
            require_open(session)
            updated = await store.sessions.update(session_id, **{field: value})
            if field == "starts_at" and session.checkin_code:  # the window moves with the start
                opens, closes = rules.checkin_window(updated.starts_at)
                await store.sessions.open_checkin(session_id, session.checkin_code, opens, closes)
                updated = await store.sessions.get(session_id)  # type: ignore[assignment]
            await audit(store, actor, "session.edit", session_id, field=field, value=value)
            assert updated is not None
            # Every invitee gets the new details, a new lead-in included.
            await self.notifications.queue(
                store,
                kind="session_change",
                template="session.changed",
                to=await self._invitee_members(store, session_id),
                params=session_params(updated),
                dedup=f"session:{session_id}:change:{self.clock.now().isoformat()}",
                progress_to=progress_to(actor),
            )
            await self._sync_reminders(store, session_id)
        return updated

    async def cancel(self, actor: Actor, session_id: int) -> tuple[Session, int]:
        """Cancel, and queue the invitees' notices; returns how many are told."""
        async with self._write() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "cancel")
            require_open(session)
            await store.sessions.set_status(session_id, "cancelled", self.clock.now())
            await audit(store, actor, "session.cancel", session_id)
            session, _ = await self._session(store, session_id)
            told = await self.notifications.queue(
                store,
                kind="session_cancelled",
                template="session.cancelled",
                to=await self._invitee_members(store, session_id),
                params=session_params(session),
                dedup=f"session:{session_id}:cancelled",
                progress_to=progress_to(actor),
            )
            await self._sync_reminders(store, session_id)
        return session, told

    # Lists --------------------------------------------------------------------------------------

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
                if member_of(actor, unit):  # a member who moved away no longer sees them
                    result.append((session, invitee, unit))
        return result

    async def upcoming_for_member(self, actor: Actor) -> list[tuple[Session, Invitee, Unit]]:
        # A session that started less than the check-in window ago still counts as upcoming.
        found = await self.my_sessions(actor, past=rules.CHECKIN_AFTER)
        return [row for row in found if row[0].is_open]
