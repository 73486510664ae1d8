"""The outbox: queued messages, their claims, their outcomes, and the batches they belong to.

Rows move queued → sending → sent, or failed / blocked; a row in ``sending`` at start-up was
in flight when the bot stopped and goes back to ``queued`` (it may have been sent: the only
possible duplicate).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import to_db
from storage.units import chunked


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message to enqueue; ``params`` are merged over its batch's."""

    chat_id: int
    member_id: int | None = None
    params: dict | None = None
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    batch_id: int | None
    kind: str
    chat_id: int
    member_id: int | None
    template: str
    params: dict
    priority: int
    attempts: int
    language: str | None  # the recipient's language now (members only)
    blocked: bool  # the recipient has blocked the bot
    parts_sent: int = 0  # the calls of a multi-call message already delivered (a retry resumes)
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    kind: str
    template: str
    params: dict
    total: int
    progress_chat_id: int | None
    progress_locale: str | None
    progress_message_id: int | None
    finished: bool


_ROW = (
    "o.id, o.batch_id, o.kind, o.chat_id, o.member_id, o.template, o.params, o.priority, "
    "o.attempts, m.language, m.blocked_at IS NOT NULL AS blocked, o.parts_sent, o.dedup_key"
)


def _row(row: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        id=row[0],
        batch_id=row[1],
        kind=row[2],
        chat_id=row[3],
        member_id=row[4],
        template=row[5],
        params=json.loads(row[6]),
        priority=row[7],
        attempts=row[8],
        language=row[9],
        blocked=bool(row[10]),
        parts_sent=row[11],
        dedup_key=row[12],
    )


class OutboxRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Queueing -------------------------------------------------------------------------------

    async def create_batch(
        self,
        *,
        kind: str,
        template: str,
        params: dict,
        progress_chat_id: int | None,
        progress_locale: str | None,
        now: datetime,
    ) -> int:
        cursor = await self.conn.execute(
            "INSERT INTO outbox_batches (kind, template, params, progress_chat_id, "
            "progress_locale, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                kind,
                template,
                json.dumps(params, ensure_ascii=False),
                progress_chat_id,
                progress_locale,
                to_db(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def enqueue(
        self,
        messages: Sequence[QueuedMessage],
        *,
        kind: str,
        template: str,
        batch_id: int | None,
        not_before: datetime,
        priority: int,
        now: datetime,
    ) -> int:
        """Insert the rows; one already queued under the same dedup key is left alone.
        Returns how many were queued."""
        before = self.conn.total_changes
        # The same for every row: worked out once, not per row of a large fan-out.
        due_at, created_at, empty = to_db(not_before), to_db(now), "{}"
        await self.conn.executemany(
            "INSERT INTO outbox (batch_id, kind, chat_id, member_id, template, params, "
            "dedup_key, not_before, priority, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
            [
                (
                    batch_id,
                    kind,
                    message.chat_id,
                    message.member_id,
                    template,
                    json.dumps(message.params, ensure_ascii=False) if message.params else empty,
                    message.dedup_key,
                    due_at,
                    priority,
                    created_at,
                )
                for message in messages
            ],
        )
        queued = self.conn.total_changes - before
        if batch_id is not None:
            await self.conn.execute(
                "UPDATE outbox_batches SET total = total + ? WHERE id = ?", (queued, batch_id)
            )
        return queued

    # Sending --------------------------------------------------------------------------------

    async def due(self, now: datetime, limit: int, skip: Iterable[int] = ()) -> list[OutboxRow]:
        """Queued rows whose time has come, most urgent first (``skip``: already held)."""
        held = list(skip)
        marks = ",".join("?" * len(held))
        extra = f"AND o.id NOT IN ({marks})" if held else ""
        cursor = await self.conn.execute(
            f"SELECT {_ROW} FROM outbox o LEFT JOIN members m ON m.id = o.member_id "
            f"WHERE o.status = 'queued' AND o.not_before <= ? {extra} "
            "ORDER BY o.priority, o.not_before, o.id LIMIT ?",
            (to_db(now), *held, limit),
        )
        return [_row(row) for row in await cursor.fetchall()]

    async def claim(self, ids: Sequence[int], now: datetime) -> list[int]:
        """Mark queued rows as being sent; returns those actually claimed."""
        claimed: list[int] = []
        for chunk in chunked(list(ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"UPDATE outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1 "
                f"WHERE id IN ({marks}) AND status = 'queued' RETURNING id",
                (to_db(now), *chunk),
            )
            claimed += [row[0] for row in await cursor.fetchall()]
        return claimed

    async def mark_sent(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None:
        await self.conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, last_error = NULL "
            "WHERE id = ?",
            [(to_db(now), message_id, row_id) for row_id, message_id in sent],
        )

    async def requeue(
        self,
        row_id: int,
        not_before: datetime,
        error: str | None,
        *,
        count_attempt: bool = True,
        parts_sent: int | None = None,
    ) -> None:
        """Back to the queue; a 429 is not the message's fault and does not count.
        ``parts_sent``: the calls of the message delivered so far (None: unchanged)."""
        await self.conn.execute(
            "UPDATE outbox SET status = 'queued', not_before = ?, last_error = ?, "
            "attempts = attempts - ?, parts_sent = COALESCE(?, parts_sent) WHERE id = ?",
            (to_db(not_before), error, 0 if count_attempt else 1, parts_sent, row_id),
        )

    async def mark(
        self, row_id: int, status: str, error: str | None, *, parts_sent: int | None = None
    ) -> None:
        await self.conn.execute(
            "UPDATE outbox SET status = ?, last_error = ?, parts_sent = COALESCE(?, parts_sent) "
            "WHERE id = ?",
            (status, error, parts_sent, row_id),
        )

    async def block_queued_for(self, member_id: int) -> int:
        """The member blocked the bot: their queued messages are skipped."""
        cursor = await self.conn.execute(
            "UPDATE outbox SET status = 'blocked', last_error = 'blocked by the user' "
            "WHERE member_id = ? AND status = 'queued'",
            (member_id,),
        )
        return cursor.rowcount

    async def recover_in_flight(self) -> int:
        """At start: rows in flight when the bot stopped are queued again."""
        cursor = await self.conn.execute(
            "UPDATE outbox SET status = 'queued' WHERE status = 'sending'"
        )
        return cursor.rowcount

    # Batches and progress -------------------------------------------------------------------

    async def batch(self, batch_id: int) -> Batch | None:
        cursor = await self.conn.execute(
            "SELECT id, kind, template, params, total, progress_chat_id, progress_locale, "
            "progress_message_id, finished_at FROM outbox_batches WHERE id = ?",
            (batch_id,),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return Batch(
            id=row[0],
            kind=row[1],
            template=row[2],
            params=json.loads(row[3]),
            total=row[4],
            progress_chat_id=row[5],
            progress_locale=row[6],
            progress_message_id=row[7],
            finished=row[8] is not None,
        )

    async def batch_counts(self, batch_id: int) -> dict[str, int]:
        cursor = await self.conn.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE batch_id = ? GROUP BY status", (batch_id,)
        )
        return {row[0]: row[1] for row in await cursor.fetchall()}

    async def set_progress_message(self, batch_id: int, message_id: int) -> None:
        await self.conn.execute(
            "UPDATE outbox_batches SET progress_message_id = ? WHERE id = ?",
            (message_id, batch_id),
        )

    async def finish_batch(self, batch_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE outbox_batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
            (to_db(now), batch_id),
        )

    async def finish_silent_batches(self, now: datetime) -> int:
        """Close the fan-outs without a progress message once nothing of them is left."""
        cursor = await self.conn.execute(
            "UPDATE outbox_batches SET finished_at = ? WHERE finished_at IS NULL "
            "AND progress_chat_id IS NULL AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
            "o.batch_id = outbox_batches.id AND o.status IN ('queued', 'sending'))",
            (to_db(now),),
        )
        return cursor.rowcount

    async def cancel_batch(self, batch_id: int, now: datetime) -> int:
        """Withdraw what of a batch is still queued (a scheduled story cancelled); the batch
        is closed, so nobody is shown its progress."""
        cursor = await self.conn.execute(
            "DELETE FROM outbox WHERE batch_id = ? AND status = 'queued'", (batch_id,)
        )
        await self.finish_batch(batch_id, now)
        return cursor.rowcount

    async def drop_queued(self, ids: Sequence[int]) -> int:
        """Delete these rows if still queued (a reminder that lost its reason)."""
        dropped = 0
        for chunk in chunked(list(ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"DELETE FROM outbox WHERE status = 'queued' AND id IN ({marks})", chunk
            )
            dropped += cursor.rowcount
        return dropped

    async def withdraw(self, dedup_prefix: str) -> int:
        """Withdraw the queued messages whose dedup key starts with ``dedup_prefix`` (a
        notice timed with a scheduled story that was cancelled or moved)."""
        cursor = await self.conn.execute(
            "DELETE FROM outbox WHERE status = 'queued' AND dedup_key >= ? AND dedup_key < ?",
            (dedup_prefix, dedup_prefix + "\uffff"),
        )
        return cursor.rowcount

    async def set_batch_params(self, batch_id: int, params: dict) -> None:
        """New shared parameters for a batch not sent yet (a scheduled story edited)."""
        await self.conn.execute(
            "UPDATE outbox_batches SET params = ? WHERE id = ?",
            (json.dumps(params, ensure_ascii=False), batch_id),
        )

    async def keys_with_prefix(self, prefix: str) -> dict[str, str]:
        """Dedup key → status of every row whose key starts with ``prefix`` (the reminders of
        one calendar day, say), whatever became of it."""
        cursor = await self.conn.execute(
            "SELECT dedup_key, status FROM outbox WHERE dedup_key >= ? AND dedup_key < ?",
            (prefix, prefix + "\uffff"),
        )
        return {row[0]: row[1] for row in await cursor.fetchall()}

    async def withdraw_queued(self, prefix: str, keep: Iterable[str] = ()) -> int:
        """Delete the rows still queued whose dedup key starts with ``prefix``, but those in
        ``keep``: messages no longer wanted (a reminder for a day moved or removed, or for a
        story already prepared). Sent rows stay."""
        kept = set(keep)
        keys = [
            key
            for key, status in (await self.keys_with_prefix(prefix)).items()
            if status == "queued" and key not in kept
        ]
        withdrawn = 0
        for chunk in chunked(keys):
            cursor = await self.conn.execute(
                f"DELETE FROM outbox WHERE status = 'queued' AND dedup_key IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            withdrawn += cursor.rowcount
        return withdrawn

    async def open_batches(self) -> list[int]:
        cursor = await self.conn.execute(
            "SELECT id FROM outbox_batches WHERE finished_at IS NULL AND progress_chat_id "
            "IS NOT NULL ORDER BY id"
        )
        return [row[0] for row in await cursor.fetchall()]

    # Upkeep and the operator's view -----------------------------------------------------------

    async def summary(self) -> list[tuple[str, str, int]]:
        """(kind, status, count), for ``cadrebot outbox status``."""
        cursor = await self.conn.execute(
            "SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status ORDER BY kind, status"
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def failures(self, limit: int = 20) -> list[tuple[str, str, int]]:
        """The commonest reasons of failure: (kind, last error, count)."""
        cursor = await self.conn.execute(
            "SELECT kind, COALESCE(last_error, ''), COUNT(*) FROM outbox WHERE status = 'failed' "
            "GROUP BY kind, last_error ORDER BY COUNT(*) DESC LIMIT ?",
            (limit,),
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def retry_failed(self, now: datetime) -> int:
        """Queue the failed rows again. ``parts_sent`` is kept: a message that failed part-way
        resumes after the parts its recipient already has."""
        cursor = await self.conn.execute(
            "UPDATE outbox SET status = 'queued', attempts = 0, not_before = ? "
            "WHERE status = 'failed'",
            (to_db(now),),
        )
        return cursor.rowcount

    async def purge_sent(self, before: datetime) -> int:
        """Delete sent rows older than ``before``, and the batches left empty. A story's
        rows stay: they are who received it, for its figures and the members' /stories."""
        cursor = await self.conn.execute(
            "DELETE FROM outbox WHERE status IN ('sent', 'blocked') AND kind != 'story' AND "
            "COALESCE(sent_at, created_at) < ?",
            (to_db(before),),
        )
        purged = cursor.rowcount
        await self.conn.execute(
            "DELETE FROM outbox_batches WHERE finished_at IS NOT NULL AND finished_at < ? "
            "AND kind != 'story' "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.batch_id = outbox_batches.id)",
            (to_db(before),),
        )
        return purged
