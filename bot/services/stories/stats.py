"""The figures: a story's recipients, deliveries and "read and learned", in all and per
unit; the engagement per unit over a period, for the reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.rules.access import Actor
from bot.rules.stories import Audience, AudienceKind
from bot.services.stories.base import StoryBase, StoryStats, UnitEngagement
from storage.records import Unit


class Figures(StoryBase):
    async def stats(self, actor: Actor, story_id: int) -> StoryStats:
        """Recipients, delivered, failed, blocked and "read and learned", in all and per unit
        of the audience, the most engaged first: per chosen unit for an audience of units
        (a member under two of them counts in the innermost one), else per child unit of
        the story's unit."""
        async with self.db.read() as store:
            story, unit = await self._story(store, actor, story_id)
            rows = await store.stories.delivery(story.id)
            audience = Audience.from_json(story.audience)
            if audience.kind is AudienceKind.UNITS:
                chosen = (await store.units.many(audience.unit_ids)).values()
                children = sorted(chosen, key=lambda u: -len(u.path))
            else:
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
