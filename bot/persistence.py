"""python-telegram-bot persistence on the SQLite store, so conversations survive a restart."""

from __future__ import annotations

import copy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage import Database


class SQLitePersistence(BasePersistence[dict, dict, dict]):
    """User data, chat data and conversation states as JSON in the bot's database.

    Values must be JSON-serialisable: keep only plain data in ``user_data``; domain records
    live in their own tables. Bot data is not persisted (services live there).
    """

    def __init__(self, db: Database, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db

    async def _ready(self) -> Database:
        await self.db.ensure_connected()
        return self.db

    async def get_user_data(self) -> dict[int, dict]:
        async with (await self._ready()).read() as store:
            return await store.persistence.load_all("user")

    async def get_chat_data(self) -> dict[int, dict]:
        async with (await self._ready()).read() as store:
            return await store.persistence.load_all("chat")

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with (await self._ready()).read() as store:
            return await store.persistence.conversations(name)  # type: ignore[return-value]

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        async with self.db.write() as store:
            await store.persistence.save_conversation(name, tuple(key), new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        async with self.db.write() as store:
            await store.persistence.save("user", user_id, copy.deepcopy(data))

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        async with self.db.write() as store:
            await store.persistence.save("chat", chat_id, copy.deepcopy(data))

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        async with self.db.write() as store:
            await store.persistence.drop("chat", chat_id)

    async def drop_user_data(self, user_id: int) -> None:
        async with self.db.write() as store:
            await store.persistence.drop("user", user_id)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None
