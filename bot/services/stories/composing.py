"""Writing a story: the draft (the nominations and the calendar call create_draft too) and
changes to it while it is not sent."""

from __future__ import annotations

from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.rules.access import Actor
from bot.rules.stories import (
    Audience,
    Tag,
    check_audience,
    clean_body,
    clean_title,
)
from bot.services.audit import audit
from bot.services.stories.base import StoryBase, reach
from storage.db import Store
from storage.stories import StoryRecord


class Composing(StoryBase):
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
        async with self.db.write() as store:
            return await self.draft_in(
                store,
                actor,
                unit_id=unit_id,
                title=title,
                body=body,
                tag=tag,
                photo=photo,
                audience=audience,
                to_channels=to_channels,
            )

    async def draft_in(
        self,
        store: Store,
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
        """As create_draft, inside the caller's transaction (a nomination made into a story
        and linked to it at once)."""
        found = Tag(tag)
        audience = check_audience(audience or Audience())
        clean = clean_title(title), clean_body(body)
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
        """Change a story not sent yet. A scheduled one keeps its time; nothing of it is
        queued before then, so the release sends it as it is at that time."""
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
                # Queued the old way, at scheduling: withdrawn, and released anew at its time
                # with the change (a scheduled story queues nothing before then).
                await store.outbox.cancel_batch(story.batch_id, now)
                await store.stories.forget_batch(story.id)
                story = await store.stories.get(story.id)  # type: ignore[assignment]
                assert story is not None
            if story.status == "scheduled" and {"audience", "to_channels"} & set(fields):
                to = await self._copies(store, story, unit)
                if not to:
                    raise InvalidInput(
                        N_(
                            "Nobody would receive story {id} with this audience. Please "
                            "choose another audience."
                        ),
                        id=story.id,
                    )
                await store.stories.set_estimate(story.id, reach(to))
                story = await store.stories.get(story.id)  # type: ignore[assignment]
            await audit(store, actor, "story.edit", story.id, fields=",".join(sorted(fields)))
        return story
