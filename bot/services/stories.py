"""The propaganda board's stories: drafts, the audience, sending now or at a time, "read and
learned", and the figures per unit.

A story is sent through the outbox: one row per recipient, queued in the transaction that
moves the story to ``scheduled`` or ``sent`` (a scheduled story's rows wait with a
not-before time, so the schedule survives restarts). Who may write: the ``propaganda`` role
(and administrators), within the units they hold it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.parsing import parse_future_datetime
from bot.rules.access import Actor, Role, has_role_over, scope_units
from bot.rules.organisation import MASS_ORG
from bot.rules.stories import (
    Audience,
    AudienceKind,
    Tag,
    check_audience,
    clean_body,
    clean_title,
    current_status,
    stamp,
)
from bot.services.audit import audit
from bot.services.notifications import NotificationService, Priority, Recipient
from storage import Database
from storage.db import Store
from storage.records import Member, Unit
from storage.stories import PublicChannel, StoryRecord

BOARD = frozenset({Role.PROPAGANDA})

EDITABLE = ("draft", "scheduled")
SCHEDULE_AHEAD = timedelta(days=400)


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


class StoryService:
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

    def parse_time(self, text: str) -> datetime:
        """A sending time as typed ("20/3 19:30", "20/03/2026 19:30"), in the configured zone;
        a past one is refused."""
        return parse_future_datetime(text, tz=self.clock.tz, now=self.clock.now())

    # Writing ----------------------------------------------------------------------------------

    async def create_draft(
        self,
        actor: Actor,
        *,
        unit_id: int,
        title: str,
        body: str,
        tag: str,
        photo: str | None = None,
        audience: Audience | None = None,
        to_channels: bool = False,
    ) -> StoryRecord:
        """A draft in the board's unit; nothing is sent."""
        found = Tag(tag)
        audience = check_audience(audience or Audience())
        clean = clean_title(title), clean_body(body)
        async with self.db.write() as store:
            unit = await store.units.get(unit_id)
            if unit is None:
                raise NotFound(N_("This unit no longer exists."))
            self._check_board(actor, unit)
            await self._audience_units(store, unit, audience)
            story = await store.stories.create(
                title=clean[0],
                body=clean[1],
                photo=photo,
                tag=found.value,
                unit_id=unit.id,
                audience=audience.to_json(),
                to_channels=to_channels,
                created_by=actor.member.id if actor.member else None,
                now=self.clock.now(),
            )
            await audit(store, actor, "story.draft", story.id, unit=unit.code)
        return story

    async def edit(self, actor: Actor, story_id: int, **changes: object) -> StoryRecord:
        """Change a story not sent yet. A scheduled one keeps its time: its queued copies
        take the new text, or, with a new audience, are queued again."""
        fields: dict[str, object] = {}
        if "title" in changes:
            fields["title"] = clean_title(str(changes["title"]))
        if "body" in changes:
            fields["body"] = clean_body(str(changes["body"]))
        if "tag" in changes:
            fields["tag"] = Tag(str(changes["tag"])).value
        if "photo" in changes:
            fields["photo"] = changes["photo"]
        if "to_channels" in changes:
            fields["to_channels"] = bool(changes["to_channels"])
        audience = changes.get("audience")
        if isinstance(audience, Audience):
            fields["audience"] = check_audience(audience).to_json()
        if not fields:
            raise InvalidInput(N_("Nothing to change."))
        async with self.db.write() as store:
            story, unit = await self._story(store, actor, story_id)
            self._check_not_sent(story)
            if isinstance(audience, Audience):
                await self._audience_units(store, unit, audience)
            now = self.clock.now()
            await store.stories.update(story.id, now, **fields)
            story = await store.stories.get(story.id)  # type: ignore[assignment]
            assert story is not None
            if story.status == "scheduled" and story.batch_id is not None:
                if "audience" in fields or "to_channels" in fields:
                    await store.outbox.cancel_batch(story.batch_id, now)
                    batch_id, queued = await self._queue(
                        store, actor, story, unit, story.send_at or now
                    )
                    await store.stories.set_status(
                        story.id,
                        "scheduled",
                        now,
                        expect=("scheduled",),
                        batch_id=batch_id,
                        recipients=queued,
                    )
                else:
                    await store.outbox.set_batch_params(story.batch_id, story_params(story))
            await audit(store, actor, "story.edit", story.id, fields=",".join(sorted(fields)))
        return story

    # Sending ----------------------------------------------------------------------------------

    async def count_recipients(self, actor: Actor, story_id: int) -> tuple[int, int]:
        """(members the story would reach, those of them who can receive it now)."""
        async with self.db.read() as store:
            story, unit = await self._story(store, actor, story_id)
            members = await self._recipients(store, unit, Audience.from_json(story.audience))
        reachable = [m for m in members if m.telegram_id is not None and m.blocked_at is None]
        return len(members), len(reachable)

    async def overview(self, actor: Actor, story_id: int) -> StoryOverview:
        """The story, its audience by name and how many it would reach, for a preview."""
        async with self.db.read() as store:
            story, unit = await self._story(store, actor, story_id)
            audience = Audience.from_json(story.audience)
            chosen = await store.units.many(audience.unit_ids)
            members = await self._recipients_or_none(store, unit, audience)
        reachable = [m for m in members if m.telegram_id is not None and m.blocked_at is None]
        return StoryOverview(
            story=story,
            unit=unit,
            status=self.status(story),
            audience=audience,
            audience_units=sorted(chosen.values(), key=lambda u: u.name),
            recipients=len(members),
            reachable=len(reachable),
            stamp=story_stamp(story),
        )

    def parse_send_at(self, text: str) -> datetime:
        """A typed date and time to send at ("20/3 19:30", "20/03/2026 19:30"), read in the
        organisation's time zone; it must lie ahead, within a year."""
        moment = parse_future_datetime(text, tz=self.clock.tz, now=self.clock.now())
        return self._check_send_at(moment)

    async def _recipients_or_none(
        self, store: Store, unit: Unit, audience: Audience
    ) -> list[Member]:
        """As _recipients, but nobody (rather than a refusal) when a chosen unit is gone or
        has moved out of the story's unit since it was chosen: sending would say why."""
        try:
            return await self._recipients(store, unit, audience)
        except (AccessDenied, InvalidInput):
            return []

    async def send_now(
        self, actor: Actor, story_id: int, *, seen: int | None = None
    ) -> StoryRecord:
        """Send it now. ``seen``: the stamp of the story as the person saw it; refused if it
        has changed since (a preview's button pressed after an edit)."""
        return await self._send(actor, story_id, None, seen)

    async def schedule(
        self, actor: Actor, story_id: int, at: datetime, *, seen: int | None = None
    ) -> StoryRecord:
        return await self._send(actor, story_id, self._check_send_at(at), seen)

    def _check_send_at(self, at: datetime) -> datetime:
        if at <= self.clock.now():
            raise InvalidInput(N_("That time has passed. Please choose a time ahead."))
        if at - self.clock.now() > SCHEDULE_AHEAD:
            raise InvalidInput(N_("A story can be scheduled up to a year ahead."))
        return at

    async def _send(
        self, actor: Actor, story_id: int, at: datetime | None, seen: int | None = None
    ) -> StoryRecord:
        now = self.clock.now()
        async with self.db.write() as store:
            story, unit = await self._story(store, actor, story_id)
            self._check_not_sent(story)
            self._check_seen(story, seen)
            if story.status == "scheduled" and story.batch_id is not None:
                await store.outbox.cancel_batch(story.batch_id, now)  # sent now, or at a new time
            batch_id, queued = await self._queue(store, actor, story, unit, at or now)
            moved = await store.stories.set_status(
                story.id,
                "scheduled" if at else "sent",
                now,
                expect=EDITABLE,
                send_at=at or now,
                batch_id=batch_id,
                recipients=queued,
            )
            if not moved:
                raise Conflict(N_("The story changed meanwhile. Please look again."))
            await audit(
                store,
                actor,
                "story.schedule" if at else "story.send",
                story.id,
                recipients=queued,
                at=(at or now).isoformat(),
            )
            story = await store.stories.get(story.id)  # type: ignore[assignment]
        assert story is not None
        return story

    async def _queue(
        self, store: Store, actor: Actor, story: StoryRecord, unit: Unit, at: datetime
    ) -> tuple[int | None, int]:
        """One copy per recipient (and per public channel when asked), not before ``at``."""
        members = await self._recipients(store, unit, Audience.from_json(story.audience))
        to: list[Member | Recipient] = list(members)
        if story.to_channels:
            channels = await store.stories.channels()
            to += [Recipient(c.chat_id, params={"public": True}) for c in channels]
        return await self.notifications.queue_batch(
            store,
            kind="story",
            template="story",
            to=to,
            params=story_params(story),
            dedup=f"story:{story.id}:{at.isoformat()}",
            priority=Priority.BROADCAST,
            not_before=at,
            progress_to=(actor.telegram_id, _locale_of(actor)) if actor.telegram_id else None,
        )

    async def cancel(self, actor: Actor, story_id: int, *, seen: int | None = None) -> StoryRecord:
        """Withdraw a scheduled story (what is queued is dropped); it becomes a draft again."""
        async with self.db.write() as store:
            story, _ = await self._story(store, actor, story_id)
            self._check_not_sent(story)
            if story.status != "scheduled":
                raise Conflict(N_("Only a scheduled story can be cancelled."))
            self._check_seen(story, seen)
            now = self.clock.now()
            if story.batch_id is not None:
                await store.outbox.cancel_batch(story.batch_id, now)
            await store.stories.set_status(story.id, "draft", now, expect=("scheduled",))
            await audit(store, actor, "story.cancel", story.id)
            story = await store.stories.get(story.id)  # type: ignore[assignment]
        assert story is not None
        return story

    # Reading ----------------------------------------------------------------------------------

    async def list(self, actor: Actor, limit: int = 20) -> list[StoryRecord]:
        units = await self.board_units(actor)
        async with self.db.read() as store:
            return await store.stories.in_units([u.path for u in units], limit)

    async def get(self, actor: Actor, story_id: int) -> tuple[StoryRecord, Unit]:
        async with self.db.read() as store:
            return await self._story(store, actor, story_id)

    async def received(self, actor: Actor, limit: int = 10) -> list[StoryRecord]:
        """The latest stories sent to this member."""
        if actor.member is None:
            return []
        async with self.db.read() as store:
            return await store.stories.received_by(actor.member.id, limit)

    async def open_received(self, actor: Actor, story_id: int) -> StoryRecord:
        """A story this member received, to read again."""
        async with self.db.read() as store:
            story = await store.stories.get(story_id)
            if (
                story is None
                or actor.member is None
                or not await store.stories.was_sent_to(story_id, actor.member.id)
            ):
                raise NotFound(N_("This story is not among those sent to you."))
        return story

    async def mark_read(self, actor: Actor, story_id: int) -> bool:
        """ "Read and learned": True when counted now, False when it already was."""
        if actor.member is None:
            raise AccessDenied(N_("Only members can mark a story as read."))
        async with self.db.write() as store:
            if not await store.stories.was_sent_to(story_id, actor.member.id):
                raise NotFound(N_("This story is not among those sent to you."))
            return await store.stories.mark_read(story_id, actor.member.id, self.clock.now())

    # Figures ----------------------------------------------------------------------------------

    async def stats(self, actor: Actor, story_id: int) -> StoryStats:
        """Recipients, delivered, failed, blocked and "read and learned", in all and per child
        unit of the story's unit, the most engaged first."""
        async with self.db.read() as store:
            story, unit = await self._story(store, actor, story_id)
            rows = await store.stories.delivery(story.id)
            children = await store.units.children(unit.id)
            paths = await store.members.primary_paths(member for member, _, _ in rows)
        groups = _group(
            unit, children, [(paths.get(m, ""), status, read) for m, status, read in rows]
        )
        return StoryStats(story, _tally(unit, [r[1:] for r in rows]), groups)

    async def engagement(
        self, unit: Unit, since: datetime, until: datetime
    ) -> list[UnitEngagement]:
        """For the reports: per child unit of ``unit``, the stories delivered in the period
        to its members and how many of those were "read and learned"."""
        async with self.db.read() as store:
            rows = await store.stories.delivered_since(since, until)
            paths = await store.members.primary_paths(member for _, member, _ in rows)
            children = await store.units.children(unit.id)
        inside = [
            (paths[member], "sent", read)
            for _, member, read in rows
            if member in paths and paths[member].startswith(unit.path)
        ]
        return _group(unit, children, inside)

    # Public channels (administrators) ------------------------------------------------------------

    async def channels(self) -> list[PublicChannel]:
        async with self.db.read() as store:
            return await store.stories.channels()

    async def set_channel(self, *, chat_id: int, title: str, add: bool, actor: str) -> bool:
        async with self.db.write() as store:
            if add:
                changed = await store.stories.add_channel(chat_id, title, actor, self.clock.now())
            else:
                changed = await store.stories.remove_channel(chat_id, self.clock.now())
            await audit(store, actor, "channel.add" if add else "channel.remove", chat_id)
        return changed


def _locale_of(actor: Actor) -> str:
    from bot.i18n import current_locale

    return (actor.member.language if actor.member else None) or current_locale()


def _tally(unit: Unit, rows: Sequence[tuple[str, bool]]) -> UnitEngagement:
    return UnitEngagement(
        unit,
        recipients=len(rows),
        delivered=sum(status == "sent" for status, _ in rows),
        failed=sum(status == "failed" for status, _ in rows),
        blocked=sum(status == "blocked" for status, _ in rows),
        read=sum(read for _, read in rows),
    )


def _group(
    unit: Unit, children: Sequence[Unit], rows: Sequence[tuple[str, str, bool]]
) -> list[UnitEngagement]:
    """Rows (member's unit path, status, read) per child unit of ``unit`` (members of the unit
    itself under the unit), the most engaged first."""
    buckets: dict[int, list[tuple[str, bool]]] = {}
    for path, status, read in rows:
        owner = next((c for c in children if path.startswith(c.path)), unit)
        buckets.setdefault(owner.id, []).append((status, read))
    by_id = {c.id: c for c in children} | {unit.id: unit}
    groups = [_tally(by_id[uid], bucket) for uid, bucket in buckets.items()]
    return sorted(groups, key=lambda g: (-(g.rate or 0), -g.delivered, g.unit.name))
