"""Stories, their readers ("read and learned"), and the public channels they may go to."""

from __future__ import annotations

import json
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


def _progress_key(story_id: int) -> str:
    return f"story:{story_id}:progress"


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

    async def schedule(
        self,
        story_id: int,
        at: datetime,
        now: datetime,
        *,
        expect: Sequence[str],
        recipients: int,
    ) -> bool:
        """Scheduled for ``at``, nothing queued yet (the release queues it at its time);
        ``recipients`` is the estimate shown meanwhile. Only from an ``expect`` status."""
        marks = ",".join("?" * len(expect))
        cursor = await self.conn.execute(
            "UPDATE stories SET status = 'scheduled', send_at = ?, batch_id = NULL, "
            f"recipients = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
            (to_db(at), recipients, to_db(now), story_id, *expect),
        )
        return cursor.rowcount > 0

    async def forget_batch(self, story_id: int) -> None:
        """A scheduled story queued the old way (at scheduling): its batch was withdrawn,
        and the release queues it again at its time."""
        await self.conn.execute("UPDATE stories SET batch_id = NULL WHERE id = ?", (story_id,))

    async def due(self, now: datetime, limit: int = 50) -> list[StoryRecord]:
        """Scheduled stories whose time has come and that are not queued yet, the oldest
        first."""
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM stories "
            "WHERE status = 'scheduled' AND batch_id IS NULL AND send_at <= ? "
            "ORDER BY send_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_story(row) for row in await cursor.fetchall()]

    # Who scheduled a story sees the progress of its sending: kept until its release.

    async def set_progress_to(self, story_id: int, to: tuple[int, str] | None) -> None:
        value = json.dumps(list(to)) if to else ""
        await self.conn.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_progress_key(story_id), value),
        )

    async def progress_to(self, story_id: int) -> tuple[int, str] | None:
        cursor = await self.conn.execute(
            "SELECT value FROM kv WHERE key = ?", (_progress_key(story_id),)
        )
        row = await cursor.fetchone()
        if not row or not row[0]:
            return None
        chat_id, locale = json.loads(row[0])
        return int(chat_id), str(locale)

    async def claim_release(self, story_id: int, send_at: datetime, now: datetime) -> bool:
        """Take a due scheduled story for its release: True for one caller only (the
        condition is the story as ``due`` found it)."""
        cursor = await self.conn.execute(
            "UPDATE stories SET status = 'sent', updated_at = ? WHERE id = ? "
            "AND status = 'scheduled' AND batch_id IS NULL AND send_at = ?",
            (to_db(now), story_id, to_db(send_at)),
        )
        return cursor.rowcount > 0

    async def set_estimate(self, story_id: int, recipients: int) -> None:
        """A scheduled story's audience changed: how many it would reach now."""
        await self.conn.execute(
            "UPDATE stories SET recipients = ? WHERE id = ?", (recipients, story_id)
        )

    async def released(self, story_id: int, batch_id: int | None, recipients: int) -> None:
        await self.conn.execute(
            "UPDATE stories SET batch_id = ?, recipients = ? WHERE id = ?",
            (batch_id, recipients, story_id),
        )

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
