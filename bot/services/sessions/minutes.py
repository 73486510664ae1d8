"""After a session: its minutes (and the data the printed minutes are built from), the head
counts of a conference's bridge points, and the campaign's study deadline per unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.rules import sessions as rules
from bot.rules.access import Actor, has_role_over
from bot.rules.organisation import Letterhead
from bot.services.audit import actor_label, audit
from bot.services.documents import letterhead_of
from bot.services.sessions.base import (
    SESSION_MANAGERS,
    SessionBase,
    SessionView,
    invitees_of,
    require_open,
)
from storage.records import Campaign, Unit
from storage.sessions import Invitee, Minutes, Session

MAX_HEAD_COUNT = 100_000
NAMES_MAX = 2000


@dataclass(frozen=True)
class MinutesData:
    """Everything the minutes document shows: bot/render/minutes.py builds it."""

    session: Session
    unit: Unit
    letterhead: Letterhead  # the unit under its superior, and the locality of the date line
    invitees: list[Invitee]
    minutes: Minutes
    tz: tzinfo  # the local time of the session is written out in words


def require_closed(session: Session) -> None:
    if session.status != "closed":
        raise Conflict(
            N_("Please close session {id} first (/session close {id}), so the counts are final."),
            id=session.id,
        )


class MinutesKeeping(SessionBase):
    # Minutes ------------------------------------------------------------------------------------

    async def minutes_context(self, actor: Actor, session_id: int) -> SessionView:
        """The session to record minutes for; Conflict until it is closed."""
        view = await self.view(actor, session_id)
        require_closed(view.session)
        return view

    async def save_minutes(self, actor: Actor, minutes: Minutes) -> Minutes:
        async with self._write() as store:
            session, unit = await self._session(store, minutes.session_id)
            await self._manage(store, actor, unit, "minutes")
            require_closed(session)
            if minutes.ends_at is not None and minutes.ends_at <= session.starts_at:
                raise InvalidInput(N_("The meeting cannot end before it starts."))
            await store.sessions.save_minutes(minutes, actor.member.id if actor.member else None)
            await audit(store, actor, "session.minutes", session.id)
            saved = await store.sessions.minutes(session.id)
        assert saved is not None
        return saved

    async def minutes_data(self, actor: Actor, session_id: int) -> MinutesData:
        """The recorded minutes with what the document shows; taking them is audited."""
        async with self._read() as store:
            session, unit = await self._session(store, session_id)
            await self._manage(store, actor, unit, "view")
            minutes = await store.sessions.minutes(session_id)
            if minutes is None:
                raise NotFound(
                    N_("Session {id} has no minutes yet: /session minutes {id}"), id=session_id
                )
            head = await letterhead_of(store, unit, self.locality)
            invitees = await invitees_of(store, session_id)
        async with self.db.write() as store:
            await audit(store, actor, "session.minutes.docx", session_id)
        return MinutesData(session, unit, head, invitees, minutes, self.tz)

    # Conferences: bridge points -----------------------------------------------------------------

    async def report_bridge(
        self, actor: Actor, session_id: int, unit_code: str | None, present: int, names: str
    ) -> tuple[Session, Unit]:
        """A bridge point's head count: the named point, else the one the actor manages."""
        if present < 0 or present > MAX_HEAD_COUNT:
            raise InvalidInput(N_("The head count must be a whole number, e.g. 25."))
        async with self._write() as store:
            session, organiser = await self._session(store, session_id)
            if session.kind != rules.Kind.CONFERENCE:
                raise InvalidInput(N_("Session {id} is not a conference."), id=session_id)
            if session.status == "cancelled":  # a closed conference may still be reported
                require_open(session)
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
                # The organiser's managers manage every point: they must name one.
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
                " ".join(names.split())[:NAMES_MAX],
                actor.member.id if actor.member else None,
            )
            await audit(
                store, actor, "session.bridge", session_id, unit=point.code, present=present
            )
        return session, point

    # The study deadline -------------------------------------------------------------------------

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
        """The deadline for the unit and every unit below it without one of its own."""
        async with self._write() as store:
            await self._manage(store, actor, unit, "deadline")
            campaign = self._check_deadline(await self._campaign(store), deadline)
            await store.sessions.set_study_deadline(
                campaign.id, unit.id, deadline, actor_label(actor)
            )
            await audit(store, actor, "session.deadline", unit.code, deadline=deadline)
        return campaign
