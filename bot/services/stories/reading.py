"""Reading: the board's list and one story; what a member received, "read and learned";
the public channels."""

from __future__ import annotations

from bot.errors import AccessDenied, NotFound
from bot.i18n import N_
from bot.rules.access import Actor
from bot.services.audit import audit
from bot.services.stories.base import StoryBase
from storage.records import Unit
from storage.stories import PublicChannel, StoryRecord


class Reading(StoryBase):
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
