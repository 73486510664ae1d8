"""What every part of the story service shares: the board's scope, loading a story, the
audience (who it names, each once), the checks before a change, queueing its copies, and
the data the handlers receive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.rules.access import Actor, Role, has_role_over, scope_units
from bot.rules.organisation import MASS_ORG
from bot.rules.stories import (
    Audience,
    AudienceKind,
    current_status,
    stamp,
)
from bot.services.notifications import NotificationService, Priority, Recipient
from storage import Database
from storage.db import Store
from storage.records import Member, Unit
from storage.stories import StoryRecord

BOARD = frozenset({Role.PROPAGANDA})

EDITABLE = ("draft", "scheduled")
SCHEDULE_AHEAD = timedelta(days=366)  # "up to a year ahead", as the refusal says
EMPTY_AUDIENCE = N_(
    "The audience of story {id} is empty: nobody would receive it. Please choose another "
    "audience with /story edit {id}."
)


@dataclass(frozen=True)
class UnitEngagement:
    """One child unit of a story's audience (or of a unit, over a period)."""

    unit: Unit
    recipients: int
    delivered: int
    failed: int
    blocked: int
    read: int

    @property
    def rate(self) -> float | None:
        return self.read / self.delivered if self.delivered else None


@dataclass(frozen=True)
class StoryStats:
    story: StoryRecord
    total: UnitEngagement
    units: list[UnitEngagement]  # per child unit, the most engaged first


@dataclass(frozen=True)
class UnitChoice:
    """A unit a story may be aimed at, and how many units sit directly below it."""

    unit: Unit
    below: int


@dataclass(frozen=True)
class AudienceLevel:
    """One level of the units a story written in ``top`` may go to: ``parent``'s children."""

    top: Unit
    parent: Unit
    children: list[UnitChoice]


@dataclass(frozen=True)
class StoryOverview:
    """A story with what the board checks before sending it."""

    story: StoryRecord
    unit: Unit  # the board's unit it is written in
    status: str  # as now: see StoryService.status
    audience: Audience
    audience_units: list[Unit]  # the chosen units, for an audience of units
    recipients: int  # members the audience names (each once)
    reachable: int  # of them, those who can receive it now (on Telegram, not blocked)
    stamp: int  # what it is now (see story_stamp)
    author: str | None = None  # who wrote it (None: the operator's CLI)


def story_stamp(story: StoryRecord) -> int:
    """What the story is now, as a number: buttons shown with it carry it (see rules.stamp)."""
    return stamp(
        (
            story.title,
            story.body,
            story.photo,
            story.tag,
            story.audience,
            story.to_channels,
            story.status,
            story.send_at.isoformat() if story.send_at else None,
            story.batch_id,
        )
    )


def story_params(story: StoryRecord) -> dict:
    """What a recipient's copy is rendered from (a batch's shared parameters)."""
    return {
        "story": {"id": story.id, "title": story.title, "body": story.body, "tag": story.tag},
        "photo": story.photo,
    }


class StoryBase:
    def __init__(self, db: Database, clock: Clock, notifications: NotificationService) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications

    # Scope ------------------------------------------------------------------------------------

    async def board_units(self, actor: Actor) -> list[Unit]:
        """The units the actor writes stories for: where they hold the propaganda role (all
        the roots for an administrator)."""
        if actor.is_admin:
            async with self.db.read() as store:
                return [u for u in await store.units.all() if u.parent_id is None]
        return scope_units(actor, BOARD)

    def _check_board(self, actor: Actor, unit: Unit) -> None:
        if not has_role_over(actor, BOARD, unit):
            raise AccessDenied(
                N_("Only the propaganda board of {unit} (or above) can do this."), unit=unit.name
            )

    async def _story(self, store: Store, actor: Actor, story_id: int) -> tuple[StoryRecord, Unit]:
        story = await store.stories.get(story_id)
        if story is None:
            raise NotFound(N_("There is no story {id}."), id=story_id)
        unit = await store.units.get(story.unit_id)
        assert unit is not None
        self._check_board(actor, unit)
        return story, unit

    async def _audience_units(self, store: Store, unit: Unit, audience: Audience) -> list[Unit]:
        """The chosen units, each checked to lie in the story's unit."""
        chosen = list((await store.units.many(audience.unit_ids)).values())
        if len(chosen) != len(set(audience.unit_ids)):
            raise InvalidInput(N_("One of the chosen units no longer exists."))
        for other in chosen:
            if not unit.contains(other):
                raise AccessDenied(
                    N_("{other} is outside {unit}: a story goes only to units below its own."),
                    other=other.name,
                    unit=unit.name,
                )
        return chosen

    async def _recipients(self, store: Store, unit: Unit, audience: Audience) -> list[Member]:
        """Everyone the audience names, each once, with a Telegram account or not."""
        found: dict[int, Member] = {}

        def add(members: Iterable[Member]) -> None:
            for member in members:
                found.setdefault(member.id, member)

        if audience.kind is AudienceKind.SCOPE:
            add(await store.members.in_subtree(unit))
        elif audience.kind is AudienceKind.UNITS:
            for chosen in await self._audience_units(store, unit, audience):
                add(await store.members.in_subtree(chosen))
        elif audience.kind is AudienceKind.ROLE:
            assert audience.role is not None
            add(await store.roles.members_in_subtree(unit, audience.role))
        else:
            add(await store.members.in_subtree_of_kind(unit, MASS_ORG))
        return list(found.values())

    def status(self, story: StoryRecord) -> str:
        """draft, scheduled, sent (a scheduled one whose time has come) or cancelled."""
        return current_status(story.status, story.send_at, self.clock.now())

    def _check_not_sent(self, story: StoryRecord) -> None:
        if self.status(story) not in EDITABLE:
            raise Conflict(
                N_("Story {id} has been sent: it can no longer be changed or withdrawn."),
                id=story.id,
            )

    def _check_seen(self, story: StoryRecord, seen: int | None) -> None:
        if seen is not None and story_stamp(story) != seen:
            raise Conflict(
                N_(
                    "Story {id} has changed since this was shown. Please look at it again: "
                    "/story show {id}"
                ),
                id=story.id,
            )

    # The audience picker --------------------------------------------------------------------

    async def audience_level(
        self, actor: Actor, unit_id: int, parent_id: int | None = None
    ) -> AudienceLevel:
        """The units below ``parent_id`` (the story's unit ``unit_id`` when None), one level:
        what the board may pick from. A parent outside the story's unit is refused."""
        async with self.db.read() as store:
            top = await self._board_unit(store, actor, unit_id)
            parent = top
            if parent_id is not None and parent_id != top.id:
                parent = await self._inside(store, top, parent_id)
            children = await store.units.children_with_counts(parent.id)
        return AudienceLevel(top, parent, [UnitChoice(u, below) for u, below in children])

    async def audience_unit(self, actor: Actor, unit_id: int, chosen_id: int) -> Unit:
        """A unit the board picks for a story written in ``unit_id``: one below it."""
        async with self.db.read() as store:
            top = await self._board_unit(store, actor, unit_id)
            return await self._inside(store, top, chosen_id)

    async def _board_unit(self, store: Store, actor: Actor, unit_id: int) -> Unit:
        unit = await store.units.get(unit_id)
        if unit is None:
            raise NotFound(N_("This unit no longer exists."))
        self._check_board(actor, unit)
        return unit

    async def _inside(self, store: Store, top: Unit, unit_id: int) -> Unit:
        unit = await store.units.get(unit_id)
        if unit is None:
            raise NotFound(N_("This unit no longer exists."))
        if not top.contains(unit):
            raise AccessDenied(
                N_("{other} is outside {unit}: a story goes only to units below its own."),
                other=unit.name,
                unit=top.name,
            )
        return unit

    async def _copies(
        self, store: Store, story: StoryRecord, unit: Unit
    ) -> list[Member | Recipient]:
        """Who gets a copy, as the audience is now: its members (each once) and the public
        channels when asked."""
        to: list[Member | Recipient] = list(
            await self._recipients(store, unit, Audience.from_json(story.audience))
        )
        if story.to_channels:
            channels = await store.stories.channels()
            to += [Recipient(c.chat_id, params={"public": True}) for c in channels]
        return to

    async def _queue(
        self,
        store: Store,
        story: StoryRecord,
        to: list[Member | Recipient],
        at: datetime,
        progress_to: tuple[int, str] | None,
    ) -> tuple[int | None, int]:
        """One copy per recipient, not before ``at``."""
        return await self.notifications.queue_batch(
            store,
            kind="story",
            template="story",
            to=to,
            params=story_params(story),
            dedup=f"story:{story.id}:{at.isoformat()}",
            priority=Priority.BROADCAST,
            not_before=at,
            progress_to=progress_to,
        )


def reach(to: Iterable[Member | Recipient]) -> int:
    """How many of these can receive a copy now: members on Telegram who have not blocked
    the bot, and the channels (the estimate shown before sending)."""
    return sum(
        1
        for r in to
        if isinstance(r, Recipient) or (r.telegram_id is not None and r.blocked_at is None)
    )


def progress_of(actor: Actor) -> tuple[int, str] | None:
    """Where the progress of a story's sending is shown: the chat of whoever sent or
    scheduled it, in their language."""
    return (actor.telegram_id, _locale_of(actor)) if actor.telegram_id else None


def _locale_of(actor: Actor) -> str:
    from bot.i18n import current_locale

    return (actor.member.language if actor.member else None) or current_locale()
