"""Sending: the overview the board checks first, now or at a time, the release of what is
due, and withdrawing.

A scheduled story queues nothing: its status and time are in the database (so a schedule
survives restarts), and :meth:`Sending.release_due`, run by a repeating job, resolves the
audience and queues the copies when the time comes."""

from __future__ import annotations

from datetime import datetime

from bot.errors import AccessDenied, Conflict, InvalidInput, denial_settled
from bot.i18n import N_
from bot.parsing import parse_future_datetime
from bot.rules.access import Actor
from bot.rules.stories import (
    Audience,
)
from bot.services.audit import audit
from bot.services.nominations import story_going_out, story_withdrawn
from bot.services.notifications import Priority, Recipient
from bot.services.stories.base import (
    EDITABLE,
    EMPTY_AUDIENCE,
    SCHEDULE_AHEAD,
    StoryBase,
    StoryOverview,
    progress_of,
    reach,
    story_stamp,
)
from storage.db import Store
from storage.records import Member, Unit
from storage.stories import StoryRecord


class Sending(StoryBase):
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
            author = await store.members.get(story.created_by) if story.created_by else None
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
            author=author.full_name if author else None,
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
        except (AccessDenied, InvalidInput) as error:
            if isinstance(error, AccessDenied):
                denial_settled(error)
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
        """Now: the copies are queued at once. At a time: only the time is recorded; the
        release (:meth:`release_due`) queues the copies then, to the audience as it is then."""
        now = self.clock.now()
        async with self.db.write() as store:
            story, unit = await self._story(store, actor, story_id)
            self._check_not_sent(story)
            self._check_seen(story, seen)
            if story.status == "scheduled" and story.batch_id is not None:
                # Queued the old way, at scheduling: withdrawn; sent now or released anew.
                await store.outbox.cancel_batch(story.batch_id, now)
                await store.stories.forget_batch(story.id)
            to = await self._copies(store, story, unit)
            if at is None:
                batch_id, queued = await self._queue(store, story, to, now, progress_of(actor))
                if not queued:
                    raise Conflict(_NOBODY_NOW, id=story.id)  # rolled back: nothing changes
                moved = await store.stories.set_status(
                    story.id,
                    "sent",
                    now,
                    expect=EDITABLE,
                    send_at=now,
                    batch_id=batch_id,
                    recipients=queued,
                )
            else:
                if not to:
                    raise Conflict(EMPTY_AUDIENCE, id=story.id)
                queued = reach(to)  # an estimate: the release counts the copies
                moved = await store.stories.schedule(
                    story.id, at, now, expect=EDITABLE, recipients=queued
                )
                await store.stories.set_progress_to(story.id, progress_of(actor))
            if not moved:
                raise Conflict(N_("The story changed meanwhile. Please look again."))
            if at is None:  # a nomination's story: its nominator is told as it goes out
                await story_going_out(store, self.notifications, story.id, now)
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

    async def release_due(self, limit: int = 50) -> list[StoryRecord]:
        """Queue the scheduled stories whose time has come (run every few seconds, and at
        start for what came due while the bot was stopped): the audience is resolved now, so
        who left it meanwhile gets nothing and who joined gets the story. Each story is
        released once, however many run this at the same time. A story nobody can receive
        now goes back to the drafts, and whoever scheduled it is told. Returns the stories
        released (or sent back)."""
        now = self.clock.now()
        done: list[StoryRecord] = []
        async with self.db.read() as store:
            due = await store.stories.due(now, limit)
        for story in due:
            async with self.db.write() as store:
                # Claimed first, in the transaction that queues: once only, all or nothing.
                if story.send_at is None or not await store.stories.claim_release(
                    story.id, story.send_at, now
                ):
                    continue
                story = await store.stories.get(story.id)  # type: ignore[assignment]
                assert story is not None and story.send_at is not None  # as claimed
                unit = await store.units.get(story.unit_id)
                progress_to = await store.stories.progress_to(story.id)
                try:
                    to = await self._copies(store, story, unit) if unit else []
                except (AccessDenied, InvalidInput) as error:  # a chosen unit gone or moved
                    if isinstance(error, AccessDenied):
                        denial_settled(error)
                    to = []
                batch_id, queued = await self._queue(store, story, to, story.send_at, progress_to)
                if queued:
                    await store.stories.released(story.id, batch_id, queued)
                    await story_going_out(store, self.notifications, story.id, story.send_at)
                    await audit(store, "scheduler", "story.release", story.id, recipients=queued)
                else:
                    await store.stories.set_status(story.id, "draft", now, expect=("sent",))
                    await story_withdrawn(store, story.id)
                    if progress_to:
                        await self.notifications.queue(
                            store,
                            kind="notice",
                            template="story.unsent",
                            to=[Recipient(progress_to[0])],
                            params={"id": story.id, "title": story.title},
                            dedup=f"story:{story.id}:unsent:{story.send_at.isoformat()}",
                            priority=Priority.ALERT,
                        )
                    await audit(store, "scheduler", "story.unsent", story.id)
                released = await store.stories.get(story.id)
            assert released is not None
            done.append(released)
        return done

    async def cancel(self, actor: Actor, story_id: int, *, seen: int | None = None) -> StoryRecord:
        """Withdraw a scheduled story not released yet; it becomes a draft again."""
        async with self.db.write() as store:
            story, _ = await self._story(store, actor, story_id)
            self._check_not_sent(story)
            if story.status != "scheduled":
                raise Conflict(N_("Only a scheduled story can be cancelled."))
            self._check_seen(story, seen)
            now = self.clock.now()
            if story.batch_id is not None:  # queued the old way, at scheduling
                await store.outbox.cancel_batch(story.batch_id, now)
            if not await store.stories.set_status(story.id, "draft", now, expect=("scheduled",)):
                raise Conflict(_ALREADY_SENT, id=story.id)  # released meanwhile
            await story_withdrawn(store, story.id)  # nor is its nominator told
            await audit(store, actor, "story.cancel", story.id)
            story = await store.stories.get(story.id)  # type: ignore[assignment]
        assert story is not None
        return story


_ALREADY_SENT = N_("Story {id} has been sent: it can no longer be changed or withdrawn.")
_NOBODY_NOW = N_(
    "Nobody in the audience of story {id} can receive it now (no one there is on Telegram). "
    "Please choose another audience with /story edit {id}."
)
