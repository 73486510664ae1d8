"""Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): a member proposes a person,
the deed and the unit it goes to; the propaganda board over that unit approves or rejects it
(with a reason) and may make an approved one into a story draft in one step. The nominator
is told each outcome, and when the story made from it goes out. The year's approved ones
are the commendation list ("Biểu dương, khen thưởng") exported per unit.

Who reviews: the ``propaganda`` role on the nomination's unit or any unit above it
(administrators everywhere); never the nominator themselves. The nearest board up the tree
is alerted when one arrives. Every decision is a conditional update in one transaction with
its notice and its audit record, so of two board members pressing at once one decides and
the other is told who did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.delivery.codec import dump
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_, gettext
from bot.parsing import check_year
from bot.render.nomination_notices import story_draft
from bot.rules.access import Actor, Role, has_role_over, scope_units
from bot.rules.nominations import (
    AlreadyDecided,
    Event,
    Field,
    Status,
    check_event,
    clean_field,
    clean_reason,
    named_member,
)
from bot.rules.stories import Tag, current_status
from bot.services.audit import audit
from bot.services.notifications import NotificationService, Priority, Recipient
from storage import Database
from storage.db import Store
from storage.nominations import NominationRecord
from storage.records import Member, Unit

if TYPE_CHECKING:
    from bot.services.stories import StoryService
    from storage.stories import StoryRecord

BOARD = frozenset({Role.PROPAGANDA})
LIST_SIZE = 20
TARGETS_MAX = 8
PHOTO_ID_MAX = 255  # Telegram's file ids are far shorter


@dataclass(frozen=True)
class Draft:
    """What the nominator typed, checked again when it is saved."""

    nominee: str
    deed: str
    unit_id: int
    nominee_info: str = ""
    photo: str | None = None


@dataclass(frozen=True)
class Submitted:
    nomination: NominationRecord
    alerted: int  # board members told


@dataclass(frozen=True)
class Listing:
    items: list[NominationRecord]
    total: int


@dataclass(frozen=True)
class CommendationList:
    """The year's approved nominations of a unit's subtree, in the order decided."""

    unit: Unit
    year: int
    rows: list[NominationRecord]
    story_sent: dict[int, bool]  # nomination id → the story made from it has gone out


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
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.db = db
        self.admin_ids = admin_ids
        self.clock = clock
        self.notifications = notifications
        self.stories = stories

    # The nominator ------------------------------------------------------------------------------

    def _me(self, actor: Actor) -> Member:
        if actor.member is None or not actor.is_registered:
            raise AccessDenied(N_("Only registered members can nominate."))
        if actor.primary_unit is None:
            raise AccessDenied(
                N_("You are not in any unit yet. Please ask your cell secretary to add you.")
            )
        return actor.member

    async def targets(self, actor: Actor) -> list[Unit]:
        """Where a nomination can go: the member's own unit first, then the units above it
        (nearest first), then their other units."""
        self._me(actor)
        found: dict[int, Unit] = {}
        async with self.db.read() as store:
            for unit in actor.units:
                found.setdefault(unit.id, unit)
                for above in reversed(await store.units.ancestors(unit)):
                    found.setdefault(above.id, above)
        return list(found.values())[:TARGETS_MAX]

    def check(self, field: Field | str, text: str) -> str:
        """One typed field, checked and trimmed (InvalidInput says what to fix)."""
        return clean_field(field, text)

    def check_photo(self, file_id: str) -> str:
        if not 0 < len(file_id) <= PHOTO_ID_MAX:
            raise InvalidInput(N_("That photo cannot be used. Please send another one."))
        return file_id

    async def submit(self, actor: Actor, draft: Draft) -> Submitted:
        """Save the nomination and alert the nearest propaganda board over its unit."""
        member = self._me(actor)
        nominee = clean_field(Field.NOMINEE, draft.nominee)
        info = clean_field(Field.NOMINEE_INFO, draft.nominee_info) if draft.nominee_info else ""
        deed = clean_field(Field.DEED, draft.deed)
        photo = self.check_photo(draft.photo) if draft.photo else None
        if draft.unit_id not in {unit.id for unit in await self.targets(actor)}:
            raise InvalidInput(N_("Please choose one of the units offered."))
        async with self.db.write() as store:
            unit = await store.units.get(draft.unit_id)
            if unit is None:
                raise NotFound(N_("This unit no longer exists."))
            saved = await store.nominations.create(
                nominee=nominee,
                nominee_info=info,
                deed=deed,
                photo=photo,
                unit_id=unit.id,
                member_id=member.id,
                now=self.clock.now(),
            )
            board = await self._reviewers(store, unit, member)
            alerted = await self.notifications.queue(
                store,
                kind="alert",
                template="nomination.submitted",
                to=board,
                params=_params(saved, photo=True),
                dedup=f"nomination:{saved.id}:submitted",
                priority=Priority.ALERT,
            )
            await audit(store, actor, "nomination.submit", saved.id, unit=unit.code)
        return Submitted(saved, alerted)

    async def _reviewers(
        self, store: Store, unit: Unit, nominator: Member
    ) -> list[Member | Recipient]:
        """Who is alerted: the nearest propaganda board over the unit, the nominator left out;
        when that leaves nobody (the nominator is that board, or there is none), the next
        board up; at the top, the administrators. Nobody only when there is no one at all."""
        chain = await store.units.many(unit.chain_ids)
        ordered = [chain[i] for i in reversed(unit.chain_ids) if i in chain]
        nearest = await store.roles.nearest_holders(ordered, (Role.PROPAGANDA.value,))
        for above in ordered:
            board = [m for m in nearest.get(above.id, []) if m.id != nominator.id]
            if board:
                return board
        admins = set(self.admin_ids) | set(await store.roles.telegram_ids_of(Role.ADMIN.value))
        admins.discard(nominator.telegram_id or 0)
        return [Recipient(chat_id) for chat_id in sorted(admins)]

    async def mine(self, actor: Actor, limit: int = LIST_SIZE) -> list[NominationRecord]:
        """The member's own nominations, newest first, with their outcome."""
        member = self._me(actor)
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
                N_("Only the propaganda board reviews nominations. Send /nominate to propose one.")
            )
        return [u.path for u in units]

    async def board_list(
        self, actor: Actor, *, decided: bool = False, limit: int = LIST_SIZE
    ) -> Listing:
        """Nominations in the actor's scope: those waiting, or (``decided``) those decided,
        the newest first."""
        paths = self._board_paths(actor)
        statuses = (
            (Status.APPROVED.value, Status.REJECTED.value) if decided else (Status.SUBMITTED.value,)
        )
        async with self.db.read() as store:
            items, total = await store.nominations.listed(paths, statuses, limit)
        return Listing(items, total)

    async def _reviewable(
        self, store: Store, actor: Actor, nomination_id: int
    ) -> tuple[NominationRecord, Unit]:
        found = await store.nominations.get(nomination_id)
        if found is None:
            raise NotFound(N_("There is no nomination {id}."), id=nomination_id)
        unit = await store.units.get(found.unit_id)
        assert unit is not None
        if not has_role_over(actor, BOARD, unit):
            raise AccessDenied(
                N_(
                    "Nomination {id} went to {unit}: only the propaganda board there or above "
                    "can review it. Send /nominations to see those in your scope."
                ),
                id=nomination_id,
                unit=unit.name,
            )
        return found, unit

    async def get(self, actor: Actor, nomination_id: int) -> NominationRecord:
        """One nomination, for the board in its scope."""
        async with self.db.read() as store:
            found, _ = await self._reviewable(store, actor, nomination_id)
        return found

    def _check(self, actor: Actor, found: NominationRecord, event: Event) -> Status:
        if actor.member is not None and found.nominated_by == actor.member.id:
            raise AccessDenied(
                N_("You cannot decide on your own nomination: another member of the board does.")
            )
        return check_event(
            found.status,
            event,
            number=found.id,
            by=found.decided_by_name or "",
            story=found.story_id,
        )

    async def check_decidable(self, actor: Actor, nomination_id: int) -> NominationRecord:
        """Before asking for a reason to reject: is it still waiting, and the actor's to
        decide?"""
        found = await self.get(actor, nomination_id)
        self._check(actor, found, Event.REJECT)
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
            status = self._check(actor, found, event)
            if not await store.nominations.decide(
                found.id,
                status.value,
                self.clock.now(),
                by=actor.member.id if actor.member else None,
                by_name=by_name,
                reason=reason,
            ):
                raise AlreadyDecided(N_("The nomination changed meanwhile. Please look again."))
            if status is Status.APPROVED:
                await _link_nominee(store, found, unit)
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
            linked = (
                {"nominee": decided.nominee_member_code or ""}
                if decided.status == "approved"
                else {}
            )
            await audit(
                store, actor, f"nomination.{event.value}", found.id, unit=unit.code, **linked
            )
        return decided

    async def make_story(
        self, actor: Actor, nomination_id: int
    ) -> tuple[NominationRecord, StoryRecord]:
        """An approved nomination becomes a story draft of the board, its title, body and
        photo filled in, to finish and send with /story. Once per nomination."""
        async with self.db.write() as store:  # the draft and its link, or neither
            found, unit = await self._reviewable(store, actor, nomination_id)
            self._check_story(found)
            await _link_nominee(store, found, unit)  # approved before the link existed
            title, body = story_draft(found)
            story = await self.stories.draft_in(
                store,
                actor,
                unit_id=self._story_unit(actor, unit).id,
                title=title,
                body=body,
                tag=Tag.GOOD_DEED.value,
                photo=found.photo,
            )
            if not await store.nominations.link_story(found.id, story.id):
                raise Conflict(N_("The nomination changed meanwhile. Please look again."))
            linked = await store.nominations.get(found.id)
            await audit(store, actor, "nomination.story", found.id, story=story.id)
        assert linked is not None
        return linked, story

    def _check_story(self, found: NominationRecord) -> None:
        check_event(
            found.status,
            Event.MAKE_STORY,
            number=found.id,
            by=found.decided_by_name or "",
            story=found.story_id,
        )

    def _story_unit(self, actor: Actor, unit: Unit) -> Unit:
        """The board's unit the story is written in: the actor's nearest propaganda unit
        over the nomination's unit; for an administrator without one, that unit itself."""
        held = [
            g.unit
            for g in actor.grants
            if Role(g.role) in BOARD and actor.is_registered and g.unit.contains(unit)
        ]
        return max(held, key=lambda u: len(u.path)) if held else unit

    # The nominee's member record ---------------------------------------------------------------

    async def link(
        self, nomination_id: int, member_code: str | None, *, actor: Actor | str = "cli"
    ) -> NominationRecord:
        """The operator's correction: the nomination names this member (``None``: no
        member). It stands: approval's rule never changes it afterwards."""
        async with self.db.write() as store:
            found = await store.nominations.get(nomination_id)
            if found is None:
                raise NotFound(N_("There is no nomination {id}."), id=nomination_id)
            member = None
            if member_code is not None:
                member = await store.members.by_code(member_code)
                if member is None:
                    raise NotFound(N_("No member has the code '{code}'."), code=member_code)
                if found.status == Status.REJECTED:
                    raise Conflict(
                        N_(
                            "Nomination {id} was not approved, so it is in no dossier; "
                            "only approved or waiting nominations can be linked."
                        ),
                        id=nomination_id,
                    )
            await store.nominations.link_nominee(found.id, member.id if member else None, by="hand")
            await audit(
                store, actor, "nomination.link" if member else "nomination.unlink", found.id,
                member=member.code if member else "", before=found.nominee_member_code or "",
            )  # fmt: skip
            linked = await store.nominations.get(found.id)
        assert linked is not None
        return linked

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
        now = self.clock.now()
        sent = {
            row.id: row.story_status is not None
            and current_status(row.story_status, row.story_send_at, now) == "sent"
            for row in rows
        }
        return CommendationList(unit, year, rows, sent)


# Called by the story service when a story goes out ---------------------------------------------
#
# The nominator's "published" notice is queued in the same transaction that queues the story's
# copies: at once for a story sent now, at its release for a scheduled one (never when the
# story is only scheduled: it may be moved, cancelled, or find nobody at its time). Keyed by
# the nomination; withdrawn again if a story goes back to the drafts.


async def story_going_out(
    store: Store, notifications: NotificationService, story_id: int, at: datetime
) -> None:
    """The story ``story_id`` is sent now or scheduled for ``at``: if it was made from a
    nomination, its nominator is told at that moment."""
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


async def _link_nominee(store: Store, found: NominationRecord, unit: Unit) -> None:
    """At approval: the member the nominee's name names among the active members of the
    nomination's unit and below (:func:`named_member`), unless the operator has already
    decided (by hand). Nobody, or namesakes: it stays unlinked."""
    if found.nominee_linked_by is not None:
        return
    member = named_member(found.nominee, await store.members.in_subtree(unit))
    if member is not None:
        await store.nominations.link_nominee(found.id, member.id, by="rule")


async def story_withdrawn(store: Store, story_id: int) -> None:
    """A scheduled story was cancelled: its nominator is not told it went out."""
    found = await store.nominations.by_story(story_id)
    if found is not None:
        await store.outbox.withdraw(_published_key(found.id))
