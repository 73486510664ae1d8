"""Stories, their readers ("read and learned"), and the public channels they may go to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db

_COLUMNS = (
    "id, title, body, photo, tag, unit_id, audience, to_channels, status, send_at, batch_id, "
    "recipients, created_by, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class StoryRecord:
    id: int
    title: str
    body: str
    photo: str | None
    tag: str
    unit_id: int
    audience: str  # JSON, read with bot.rules.stories.Audience.from_json
    to_channels: bool
    status: str
    send_at: datetime | None
    batch_id: int | None
    recipients: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PublicChannel:
    id: int
    chat_id: int
    title: str


def _story(row: aiosqlite.Row) -> StoryRecord:
    return StoryRecord(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        photo=row["photo"],
        tag=row["tag"],
        unit_id=row["unit_id"],
        audience=row["audience"],
        to_channels=bool(row["to_channels"]),
        status=row["status"],
        send_at=from_db(row["send_at"]),
        batch_id=row["batch_id"],
        recipients=row["recipients"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
    )


class StoryRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def create(
        self,
        *,
        title: str,
        body: str,
        photo: str | None,
        tag: str,
        unit_id: int,
        audience: str,
        to_channels: bool,
        created_by: int | None,
        now: datetime,
    ) -> StoryRecord:
        cursor = await self.conn.execute(
            "INSERT INTO stories (title, body, photo, tag, unit_id, audience, to_channels, "
            "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                body,
                photo,
                tag,
                unit_id,
                audience,
                int(to_channels),
                created_by,
                to_db(now),
                to_db(now),
            ),
        )
        story = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert story is not None
        return story

    async def get(self, story_id: int) -> StoryRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM stories WHERE id = ?", (story_id,)
        )
        row = await cursor.fetchone()
        return _story(row) if row else None

    async def update(self, story_id: int, now: datetime, **fields: object) -> None:
        allowed = {"title", "body", "photo", "tag", "audience", "to_channels", "unit_id"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"cannot update {sorted(fields)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]
        await self.conn.execute(
            f"UPDATE stories SET {sets}, updated_at = ? WHERE id = ?",
            (*values, to_db(now), story_id),
        )

    async def set_status(
        self,
        story_id: int,
        status: str,
        now: datetime,
        *,
        expect: Sequence[str],
        send_at: datetime | None = None,
        batch_id: int | None = None,
        recipients: int | None = None,
    ) -> bool:
        """Move the story on, only from one of the ``expect`` statuses (two presses, one
        sending). Returns whether it moved."""
        marks = ",".join("?" * len(expect))
        cursor = await self.conn.execute(
            "UPDATE stories SET status = ?, send_at = COALESCE(?, send_at), "
            "batch_id = COALESCE(?, batch_id), recipients = COALESCE(?, recipients), "
            f"updated_at = ? WHERE id = ? AND status IN ({marks})",
            (
                status,
                to_db(send_at),
                batch_id,
                recipients,
                to_db(now),
                story_id,
                *expect,
            ),
        )
        return cursor.rowcount > 0

    async def in_units(self, unit_paths: Sequence[str], limit: int = 20) -> list[StoryRecord]:
        """The latest stories written in these units or below."""
        if not unit_paths:
            return []
        where = " OR ".join("(u.path >= ? AND u.path < ?)" for _ in unit_paths)
        params = [bound for path in unit_paths for bound in (path, path + "\uffff")]
        cursor = await self.conn.execute(
            f"SELECT {', '.join('s.' + c.strip() for c in _COLUMNS.split(','))} FROM stories s "
            f"JOIN units u ON u.id = s.unit_id WHERE {where} ORDER BY s.id DESC LIMIT ?",
            (*params, limit),
        )
        return [_story(row) for row in await cursor.fetchall()]

    async def received_by(self, member_id: int, limit: int = 10) -> list[StoryRecord]:
        """The latest stories delivered to this member."""
        cursor = await self.conn.execute(
            f"SELECT {', '.join('s.' + c.strip() for c in _COLUMNS.split(','))} FROM stories s "
            "JOIN outbox o ON o.batch_id = s.batch_id AND o.member_id = ? AND o.kind = 'story' "
            "AND o.status IN ('sent', 'sending') ORDER BY s.send_at DESC, s.id DESC LIMIT ?",
            (member_id, limit),
        )
        return [_story(row) for row in await cursor.fetchall()]

    async def was_sent_to(self, story_id: int, member_id: int) -> bool:
        """Whether the member got the story (or it is on its way: a delivery is recorded a
        moment after it arrives, and the member may press its button first)."""
        cursor = await self.conn.execute(
            "SELECT 1 FROM stories s JOIN outbox o ON o.batch_id = s.batch_id "
            "WHERE s.id = ? AND o.member_id = ? AND o.kind = 'story' "
            "AND o.status IN ('sent', 'sending') LIMIT 1",
            (story_id, member_id),
        )
        return await cursor.fetchone() is not None

    # Engagement -----------------------------------------------------------------------------

    async def mark_read(self, story_id: int, member_id: int, now: datetime) -> bool:
        """Count a member's "read and learned" once; True when it is new."""
        cursor = await self.conn.execute(
            "INSERT INTO story_reads (story_id, member_id, read_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (story_id, member_id, to_db(now)),
        )
        return cursor.rowcount > 0

    async def delivery(self, story_id: int) -> list[tuple[int, str, bool]]:
        """(member id, outbox status, has read) for every member the story was queued to."""
        cursor = await self.conn.execute(
            "SELECT o.member_id, o.status, r.member_id IS NOT NULL FROM stories s "
            "JOIN outbox o ON o.batch_id = s.batch_id AND o.member_id IS NOT NULL "
            "LEFT JOIN story_reads r ON r.story_id = s.id AND r.member_id = o.member_id "
            "WHERE s.id = ?",
            (story_id,),
        )
        return [(row[0], row[1], bool(row[2])) for row in await cursor.fetchall()]

    async def delivered_since(
        self, since: datetime, until: datetime
    ) -> list[tuple[int, int, bool]]:
        """(story id, member id, has read) of every story delivered in the period."""
        cursor = await self.conn.execute(
            "SELECT s.id, o.member_id, r.member_id IS NOT NULL FROM stories s "
            "JOIN outbox o ON o.batch_id = s.batch_id AND o.member_id IS NOT NULL "
            "AND o.status = 'sent' "
            "LEFT JOIN story_reads r ON r.story_id = s.id AND r.member_id = o.member_id "
            "WHERE s.status IN ('sent', 'scheduled') AND s.send_at >= ? AND s.send_at < ?",
            (to_db(since), to_db(until)),
        )
        return [(row[0], row[1], bool(row[2])) for row in await cursor.fetchall()]

    # Public channels --------------------------------------------------------------------------

    async def channels(self) -> list[PublicChannel]:
        cursor = await self.conn.execute(
            "SELECT id, chat_id, title FROM public_channels WHERE removed_at IS NULL ORDER BY id"
        )
        return [PublicChannel(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def add_channel(self, chat_id: int, title: str, by: str, now: datetime) -> bool:
        cursor = await self.conn.execute(
            "INSERT INTO public_channels (chat_id, title, added_by, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(chat_id) DO UPDATE SET title = excluded.title, removed_at = NULL, "
            "added_by = excluded.added_by, added_at = excluded.added_at",
            (chat_id, title, by, to_db(now)),
        )
        return cursor.rowcount > 0

    async def remove_channel(self, chat_id: int, now: datetime) -> bool:
        cursor = await self.conn.execute(
            "UPDATE public_channels SET removed_at = ? WHERE chat_id = ? AND removed_at IS NULL",
            (to_db(now), chat_id),
        )
        return cursor.rowcount > 0
