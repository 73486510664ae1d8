"""Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): a member writes one (a draft
saved field by field), sends it to the propaganda board over their unit, and is told the
outcome; the board approves or rejects it (with a reason), and may make an approved one
into a story draft in one step. The year's approved ones are the commendation list
("Biểu dương, khen thưởng") exported per unit.

Who reviews: the ``propaganda`` role on the nomination's unit or any unit above it
(administrators everywhere); never the nominator themselves. The nearest board is alerted
when one arrives. Every decision is a conditional update in one transaction with its
notice and its audit record, so of two board members pressing at once one decides and the
other is told who did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.delivery.codec import dump
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_, gettext
from bot.parsing import check_year
from bot.rules.access import Actor, Role, has_role_over, scope_units
from bot.rules.nominations import (
    FIELD_LABELS,
    AlreadyDecided,
    Event,
    Field,
    Status,
    clean_field,
    clean_reason,
    missing,
    transition,
)
from bot.rules.stories import Tag
from bot.services.audit import audit
from bot.services.notifications import NotificationService, Priority
from storage import Database
from storage.db import Store
from storage.nominations import NominationRecord
from storage.records import Member, Unit

if TYPE_CHECKING:
    from bot.services.stories import StoryService
    from storage.stories import StoryRecord

BOARD = frozenset({Role.PROPAGANDA})
PAGE = 5
PHOTO_ID_MAX = 255  # Telegram's file ids are far shorter


@dataclass(frozen=True)
class Submitted:
    nomination: NominationRecord
    board_unit: Unit | None  # where the alerted board sits; None: no board above the unit
    alerted: int


@dataclass(frozen=True)
class Page:
    items: list[NominationRecord]
    remaining: int  # how many more follow this page


@dataclass(frozen=True)
class CommendationList:
    """The year's approved nominations of a unit's subtree, in the order decided."""

    unit: Unit
    year: int
    rows: list[NominationRecord]


def _params(nomination: NominationRecord, *, photo: bool = False) -> dict:
    """A notice's parameters; ``photo``: the nomination's photo goes with it (to the board)."""
    return {"nomination": dump(nomination), "photo": nomination.photo if photo else None}


def _published_key(nomination_id: int) -> str:
    return f"nomination:{nomination_id}:published:"


class NominationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        stories: StoryService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications
        self.stories = stories

    # The nominator ------------------------------------------------------------------------------

    def _me(self, actor: Actor) -> tuple[Member, Unit]:
        if actor.member is None or not actor.is_registered:
            raise AccessDenied(N_("Only registered members can nominate."))
        if actor.primary_unit is None:
            raise AccessDenied(
                N_("You are not in any unit yet, so there is no board to send it to.")
            )
        return actor.member, actor.primary_unit

    async def draft(self, actor: Actor) -> NominationRecord | None:
        """The nomination this member is writing, if any."""
        member, _ = self._me(actor)
        async with self.db.read() as store:
            return await store.nominations.draft_of(member.id)

    async def start(self, actor: Actor, *, fresh: bool = False) -> NominationRecord:
        """The member's draft, new when there is none (``fresh``: the old one dropped)."""
        member, unit = self._me(actor)
        async with self.db.write() as store:
            if fresh:
                await store.nominations.delete_draft(member.id)
            found = await store.nominations.draft_of(member.id)
            if found is None:
                found = await store.nominations.create_draft(member.id, unit.id, self.clock.now())
        return found

    async def _change(self, actor: Actor, **fields: object) -> NominationRecord:
        member, _ = self._me(actor)
        async with self.db.write() as store:
            found = await store.nominations.draft_of(member.id)
            if found is None or not await store.nominations.update_draft(
                found.id, self.clock.now(), **fields
            ):
                raise NotFound(N_("There is no nomination being written. Send /nominate."))
            changed = await store.nominations.get(found.id)
        assert changed is not None
        return changed

    async def set_field(self, actor: Actor, field: Field | str, text: str) -> NominationRecord:
        """Check and save one typed field of the draft."""
        found = Field(field)
        return await self._change(actor, **{found.value: clean_field(found, text)})

    async def clear_info(self, actor: Actor) -> NominationRecord:
        """The nominee's position and unit are optional: none."""
        return await self._change(actor, nominee_info="")

    async def set_photo(self, actor: Actor, file_id: str | None) -> NominationRecord:
        if file_id is not None and not 0 < len(file_id) <= PHOTO_ID_MAX:
            raise InvalidInput(N_("That photo cannot be used. Please send another one."))
        return await self._change(actor, photo=file_id)

    async def discard(self, actor: Actor) -> bool:
        member, _ = self._me(actor)
        async with self.db.write() as store:
            return await store.nominations.delete_draft(member.id)

    async def submit(self, actor: Actor) -> Submitted:
        """Send the draft to the propaganda board; the nearest one is alerted."""
        member, unit = self._me(actor)
        now = self.clock.now()
        async with self.db.write() as store:
            found = await store.nominations.draft_of(member.id)
            if found is None:
                raise NotFound(N_("There is no nomination being written. Send /nominate."))
            gaps = missing(found.values())
            if gaps:
                raise InvalidInput(
                    N_("Please fill in first: {fields}."),
                    fields=", ".join(gettext(FIELD_LABELS[field]) for field in gaps),
                )
            transition(found.status, Event.SUBMIT, number=found.id)
            if not await store.nominations.submit(found.id, unit.id, now):
                raise Conflict(N_("The nomination changed meanwhile. Please look again."))
            sent = await store.nominations.get(found.id)
            assert sent is not None
            board_unit, board = await self._nearest_board(store, unit, member)
            alerted = await self.notifications.queue(
                store,
                kind="alert",
                template="nomination.submitted",
                to=board,
                params=_params(sent, photo=True),
                dedup=f"nomination:{sent.id}:submitted",
                priority=Priority.ALERT,
            )
            await audit(store, actor, "nomination.submit", sent.id, unit=unit.code)
        return Submitted(sent, board_unit, alerted)

    async def _nearest_board(
        self, store: Store, unit: Unit, member: Member
    ) -> tuple[Unit | None, list[Member]]:
        """The propaganda board on the unit, else on the nearest unit above that has one,
        the nominator left out (they do not review their own)."""
        chain = [*await store.units.ancestors(unit), unit]
        held = await store.roles.holders([u.id for u in chain], (Role.PROPAGANDA.value,))
        people = await store.members.many(member_id for member_id, _, _ in held)
        for level in reversed(chain):
            board = [
                people[member_id]
                for member_id, _, unit_id in held
                if unit_id == level.id
                and member_id != member.id
                and member_id in people
                and people[member_id].is_active
            ]
            if board:
                return level, board
        return None, []

    async def mine(self, actor: Actor, limit: int = 20) -> list[NominationRecord]:
        """The member's own nominations, newest first, with their outcome."""
        member, _ = self._me(actor)
        async with self.db.read() as store:
            return await store.nominations.by_member(member.id, limit)

    # The board --------------------------------------------------------------------------------

    def is_board(self, actor: Actor) -> bool:
        return actor.is_admin or bool(scope_units(actor, BOARD))

    def _board_paths(self, actor: Actor) -> list[str] | None:
        """The subtrees the actor reviews (None: all, for an administrator)."""
        if actor.is_admin:
            return None
        units = scope_units(actor, BOARD)
        if not units:
            raise AccessDenied(
                N_(
                    "Only the propaganda board reviews nominations. "
                    "Send /nominations mine to see your own."
                )
            )
        return [u.path for u in units]

    async def _list(
        self, actor: Actor, statuses: tuple[str, ...], after: int | None, limit: int
    ) -> Page:
        paths = self._board_paths(actor)
        me = actor.member.id if actor.member else None
        async with self.db.read() as store:
            anchor = await store.nominations.get(after) if after is not None else None
            if anchor is not None and anchor.submitted_at is None:
                anchor = None
            items, remaining = await store.nominations.waiting(
                paths, statuses, exclude_member=me, after=anchor, limit=limit
            )
        return Page(items, remaining)

    async def pending(self, actor: Actor, after: int | None = None, limit: int = PAGE) -> Page:
        """Nominations waiting for the actor's board, the oldest first; a page after the
        nomination ``after``."""
        return await self._list(actor, (Status.SUBMITTED.value,), after, limit)

    async def approved(self, actor: Actor, after: int | None = None, limit: int = PAGE) -> Page:
        """Approved ones not yet made into a story, the oldest first."""
        return await self._list(actor, (Status.APPROVED.value,), after, limit)

    async def _reviewable(
        self, store: Store, actor: Actor, nomination_id: int
    ) -> tuple[NominationRecord, Unit]:
        found = await store.nominations.get(nomination_id)
        if found is None or found.status == Status.DRAFT:
            raise NotFound(N_("There is no nomination {id}."), id=nomination_id)
        unit = await store.units.get(found.unit_id)
        assert unit is not None
        if not has_role_over(actor, BOARD, unit):
            raise AccessDenied(
                N_("Only the propaganda board of {unit} (or above) can review this nomination."),
                unit=unit.name,
            )
        return found, unit

    def _decision(self, actor: Actor, found: NominationRecord, event: Event) -> Status:
        if actor.member is not None and found.nominated_by == actor.member.id:
            raise AccessDenied(
                N_("You cannot decide on your own nomination: another member of the board does.")
            )
        return transition(
            found.status,
            event,
            number=found.id,
            by=found.decided_by_name or "",
            story=found.story_id,
        )

    async def check_decidable(self, actor: Actor, nomination_id: int) -> NominationRecord:
        """Before asking for a reason to reject: is it still waiting, and the actor's to
        decide?"""
        async with self.db.read() as store:
            found, _ = await self._reviewable(store, actor, nomination_id)
        self._decision(actor, found, Event.REJECT)
        return found

    async def approve(self, actor: Actor, nomination_id: int) -> NominationRecord:
        return await self._decide(actor, nomination_id, Event.APPROVE, None)

    async def reject(self, actor: Actor, nomination_id: int, reason: str) -> NominationRecord:
        """Reject with a reason (required), which the nominator is told."""
        return await self._decide(actor, nomination_id, Event.REJECT, clean_reason(reason))

    async def _decide(
        self, actor: Actor, nomination_id: int, event: Event, reason: str | None
    ) -> NominationRecord:
        by_name = actor.member.full_name if actor.member else gettext("Administrator")
        async with self.db.write() as store:
            found, unit = await self._reviewable(store, actor, nomination_id)
            status = self._decision(actor, found, event)
            if not await store.nominations.decide(
                found.id,
                status.value,
                self.clock.now(),
                by=actor.member.id if actor.member else None,
                by_name=by_name,
                reason=reason,
            ):
                raise AlreadyDecided(N_("The nomination changed meanwhile. Please look again."))
            decided = await store.nominations.get(found.id)
            assert decided is not None
            nominator = await store.members.get(found.nominated_by)
            await self.notifications.queue(
                store,
                kind="answer",
                template=f"nomination.{status.value}",
                to=[nominator] if nominator else [],
                params=_params(decided),
                dedup=f"nomination:{found.id}:decision",
                priority=Priority.ANSWER,
            )
            await audit(store, actor, f"nomination.{event.value}", found.id, unit=unit.code)
        return decided

    async def make_story(
        self, actor: Actor, nomination_id: int
    ) -> tuple[NominationRecord, StoryRecord]:
        """An approved nomination becomes a story draft of the board, in one step: the title,
        the body (the deed and the place) and the photo filled in, to edit and send with
        /story. The draft and the link are written together, so it happens once."""
        async with self.db.write() as store:
            found, unit = await self._reviewable(store, actor, nomination_id)
            transition(
                found.status,
                Event.MAKE_STORY,
                number=found.id,
                by=found.decided_by_name or "",
                story=found.story_id,
            )
            board_unit = await self._story_unit(store, actor, unit)
            title, body = story_draft(found)
            story = await self.stories.create_draft(
                actor,
                unit_id=board_unit.id,
                title=title,
                body=body,
                tag=Tag.GOOD_DEED.value,
                photo=found.photo,
                within=store,
            )
            if not await store.nominations.link_story(found.id, story.id, self.clock.now()):
                raise AlreadyDecided(N_("The nomination changed meanwhile. Please look again."))
            linked = await store.nominations.get(found.id)
            assert linked is not None
            await audit(store, actor, "nomination.story", found.id, story=story.id)
        return linked, story

    async def _story_unit(self, store: Store, actor: Actor, unit: Unit) -> Unit:
        """The board's unit the story is written in: the actor's nearest propaganda unit
        over the nomination; for an administrator without one, the top of the tree."""
        held = [
            g.unit for g in actor.grants if g.role == Role.PROPAGANDA and g.unit.contains(unit)
        ]
        if held:
            return max(held, key=lambda u: len(u.path))
        root = await store.units.get(unit.chain_ids[0])
        return root or unit

    # The commendation list --------------------------------------------------------------------

    async def commendations(self, *, unit_code: str, year: int) -> CommendationList:
        """The approved nominations of the unit and below, decided in ``year`` (local time),
        for the operator's export."""
        check_year(year)
        tz = self.clock.tz
        since = datetime(year, 1, 1, tzinfo=tz)
        until = datetime(year + 1, 1, 1, tzinfo=tz)
        async with self.db.read() as store:
            unit = await store.units.by_code(unit_code)
            if unit is None:
                raise NotFound(N_("There is no unit with code {code}."), code=unit_code)
            rows = await store.nominations.commended(unit.path, since, until)
        return CommendationList(unit, year, rows)


def story_draft(nomination: NominationRecord) -> tuple[str, str]:
    """The prefilled title and body (Telegram HTML, the typed text escaped) of the story made
    from a nomination, in the board member's language; they edit it before sending."""
    title = gettext("Good people, good deeds: {name}").format(name=nomination.nominee)
    head = f"<b>{escape(nomination.nominee, quote=False)}</b>"
    if nomination.nominee_info:
        head += f", {escape(nomination.nominee_info, quote=False)}"
    place = gettext("Where: {place}").format(place=escape(nomination.place, quote=False))
    body = f"{head}\n\n{escape(nomination.deed, quote=False)}\n\n<i>{place}</i>"
    return title, body


# Told when the story made from a nomination goes out (called by the story service) ----------


async def story_going_out(
    store: Store, notifications: NotificationService, story_id: int, at: datetime
) -> None:
    """The story ``story_id`` is sent now or scheduled for ``at``: if it was made from a
    nomination, its nominator is told at that moment (a notice queued for then replaces one
    queued for an earlier schedule)."""
    found = await store.nominations.by_story(story_id)
    if found is None:
        return
    await store.outbox.withdraw(_published_key(found.id))
    nominator = await store.members.get(found.nominated_by)
    await notifications.queue(
        store,
        kind="notice",
        template="nomination.published",
        to=[nominator] if nominator else [],
        params=_params(found),
        dedup=_published_key(found.id) + at.isoformat(),
        priority=Priority.NOTICE,
        not_before=at,
    )


async def story_withdrawn(store: Store, story_id: int) -> None:
    """A scheduled story was cancelled: its nominator is not told it went out."""
    found = await store.nominations.by_story(story_id)
    if found is not None:
        await store.outbox.withdraw(_published_key(found.id))
