"""JSON documents behind python-telegram-bot's persistence (no telegram import here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite


@dataclass(frozen=True)
class StepInProgress:
    """A guided step the bot began and never saw through (it died meanwhile)."""

    user_id: int
    chat_id: int
    flow: str
    state: Any | None  # the conversation's state when the step began (None: its entry)
    update: dict  # the Telegram update, as JSON


_TABLES = {"user": ("ptb_user_data", "user_id"), "chat": ("ptb_chat_data", "chat_id")}


class PersistenceRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def load_all(self, kind: str) -> dict[int, Any]:
        table, key = _TABLES[kind]
        cursor = await self.conn.execute(f"SELECT {key}, data FROM {table}")
        return {row[0]: json.loads(row[1]) for row in await cursor.fetchall()}

    async def save(self, kind: str, ident: int, data: Any) -> None:
        table, key = _TABLES[kind]
        await self.conn.execute(
            f"INSERT INTO {table} ({key}, data) VALUES (?, ?) "
            f"ON CONFLICT({key}) DO UPDATE SET data = excluded.data",
            (ident, json.dumps(data, ensure_ascii=False)),
        )

    async def drop(self, kind: str, ident: int) -> None:
        table, key = _TABLES[kind]
        await self.conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (ident,))

    async def conversations(self, name: str) -> dict[tuple, tuple[Any, datetime | None]]:
        """Each key's state and when it last changed (None: not recorded)."""
        cursor = await self.conn.execute(
            "SELECT key, state, updated_at FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {
            tuple(json.loads(row[0])): (
                json.loads(row[1]),
                datetime.fromisoformat(row[2]) if row[2] else None,
            )
            for row in await cursor.fetchall()
        }

    async def save_conversation(
        self, name: str, key: tuple, state: Any | None, at: datetime
    ) -> None:
        encoded_key = json.dumps(list(key))
        if state is None:
            await self.conn.execute(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        await self.conn.execute(
            "INSERT INTO ptb_conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state, "
            "updated_at = excluded.updated_at",
            (name, encoded_key, json.dumps(state), at.isoformat()),
        )

    # Steps in progress (migration 0019) ------------------------------------------------------

    async def begin_step(
        self, user_id: int, chat_id: int, flow: str, state: Any | None, update: dict, at: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO flow_steps (user_id, chat_id, flow, state, update_json, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
            "chat_id = excluded.chat_id, flow = excluded.flow, state = excluded.state, "
            "update_json = excluded.update_json, started_at = excluded.started_at",
            (
                user_id,
                chat_id,
                flow,
                None if state is None else json.dumps(state),
                json.dumps(update, ensure_ascii=False),
                at.isoformat(),
            ),
        )

    async def end_step(self, user_id: int) -> None:
        await self.conn.execute("DELETE FROM flow_steps WHERE user_id = ?", (user_id,))

    async def steps(self) -> list[StepInProgress]:
        cursor = await self.conn.execute(
            "SELECT user_id, chat_id, flow, state, update_json FROM flow_steps ORDER BY started_at"
        )
        return [
            StepInProgress(
                row[0], row[1], row[2], None if row[3] is None else json.loads(row[3]),
                json.loads(row[4]),
            )
            for row in await cursor.fetchall()
        ]  # fmt: skip

    async def clear_steps(self) -> None:
        await self.conn.execute("DELETE FROM flow_steps")
