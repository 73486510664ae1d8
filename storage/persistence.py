"""JSON documents behind python-telegram-bot's persistence (no telegram import here)."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

_TABLES = {"user": ("ptb_user_data", "user_id"), "chat": ("ptb_chat_data", "chat_id")}


class PersistenceRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def load_all(self, kind: str) -> dict[int, Any]:
        table, key = _TABLES[kind]
        cursor = await self.conn.execute(f"SELECT {key}, data FROM {table}")
        return {row[0]: json.loads(row[1]) for row in await cursor.fetchall()}

    async def load_one(self, kind: str, ident: int) -> Any | None:
        table, key = _TABLES[kind]
        cursor = await self.conn.execute(f"SELECT data FROM {table} WHERE {key} = ?", (ident,))
        row = await cursor.fetchone()
        return json.loads(row[0]) if row else None

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

    async def load_singleton(self, table: str) -> Any | None:
        assert table in ("ptb_bot_data", "ptb_callback_data")
        cursor = await self.conn.execute(f"SELECT data FROM {table} WHERE id = 1")
        row = await cursor.fetchone()
        return json.loads(row[0]) if row else None

    async def save_singleton(self, table: str, data: Any) -> None:
        assert table in ("ptb_bot_data", "ptb_callback_data")
        await self.conn.execute(
            f"INSERT INTO {table} (id, data) VALUES (1, ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            (json.dumps(data, ensure_ascii=False),),
        )

    async def conversations(self, name: str) -> dict[tuple, Any]:
        cursor = await self.conn.execute(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(row[0])): json.loads(row[1]) for row in await cursor.fetchall()}

    async def save_conversation(self, name: str, key: tuple, state: Any | None) -> None:
        encoded_key = json.dumps(list(key))
        if state is None:
            await self.conn.execute(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        await self.conn.execute(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
            "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, json.dumps(state)),
        )
