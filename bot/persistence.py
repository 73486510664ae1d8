"""python-telegram-bot persistence on the SQLite store, so conversations survive a restart."""

from __future__ import annotations

import copy
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.clock import Clock
from storage import Database
from storage.persistence import StepInProgress

ConversationKey = tuple[int | str, ...]
_ABSENT = object()


class SQLitePersistence(BasePersistence[dict, dict, dict]):
    """User data, chat data and conversation states as JSON in the bot's database.

    Values must be JSON-serialisable: keep only plain data in ``user_data``; domain records
    live in their own tables. Bot data is not persisted (services live there).

    It also knows, for each conversation and key, when its state last changed: the flow
    guard asks (:meth:`touched`) whether a conversation still holds a person and since when.
    States older than ``conversation_timeout`` when the bot starts are dropped, and kept in
    :meth:`take_expired` so that the bot can tell those people once.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        *,
        conversation_timeout: timedelta | None = None,
        update_interval: float = 5,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self.clock = clock or Clock(UTC)
        self.conversation_timeout = conversation_timeout
        self._touched: dict[tuple[str, ConversationKey], datetime] = {}
        self._expired: list[tuple[str, ConversationKey]] = []
        self._states: dict[tuple[str, ConversationKey], object] = {}
        # Steps the bot began and never saw through (it died): read once at start.
        self.replayable: set[str] = set()  # flows whose steps may simply be handled again
        self._steps: dict[tuple[str, ConversationKey], StepInProgress] | None = None
        self._interrupted: list[StepInProgress] = []
        self._replay: list[StepInProgress] = []

    def _now(self) -> datetime:
        return self.clock.now()

    async def _ready(self) -> Database:
        await self.db.ensure_connected()
        return self.db

    def touched(self, name: str, key: ConversationKey) -> datetime | None:
        """When conversation ``name`` last changed state for ``key``; None when it holds none."""
        return self._touched.get((name, tuple(key)))

    def take_expired(self) -> list[tuple[str, ConversationKey]]:
        """The conversations dropped at start for being past the timeout (once)."""
        expired, self._expired = self._expired, []
        return expired

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

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        async with (await self._ready()).read() as store:
            stored = await store.persistence.conversations(name)
            if self._steps is None:
                self._steps = {
                    (step.flow, (step.chat_id, step.user_id)): step
                    for step in await store.persistence.steps()
                }
        now = self._now()
        states: dict[ConversationKey, object] = {}
        dropped: list[ConversationKey] = []
        for key, (state, updated_at) in stored.items():
            at = updated_at or now
            if self.conversation_timeout and now - at > self.conversation_timeout:
                self._expired.append((name, key))
                dropped.append(key)
                continue
            states[key] = state
            self._touched[(name, key)] = at
            self._states[(name, key)] = state
        for (flow, key), step in self._steps.items():
            # The step's new state was never saved: it was cut short (else it is done).
            if flow != name or states.get(key) != step.state:
                continue
            if name in self.replayable:
                self._replay.append(step)
            else:
                self._interrupted.append(step)
                if key in states:
                    del states[key]
                    self._touched.pop((name, key), None)
                    self._states.pop((name, key), None)
                    dropped.append(key)
        if dropped:
            async with self.db.write() as store:
                for key in dropped:
                    await store.persistence.save_conversation(name, key, None, now)
        return states

    def state(self, name: str, key: ConversationKey) -> object | None:
        """The conversation's saved state for ``key`` (None: it holds none)."""
        return self._states.get((name, tuple(key)))

    async def begin_step(
        self, name: str, key: ConversationKey, state: object | None, update: dict
    ) -> None:
        """Note that a step of conversation ``name`` (now in ``state``) begins, before it
        runs: should the bot die before its new state is saved, the next start finds it."""
        chat_id, user_id = key
        async with self.db.write() as store:
            await store.persistence.begin_step(
                int(user_id), int(chat_id), name, state, update, self._now()
            )

    async def end_step(self, user_id: int) -> None:
        """The step's new state is saved (see :meth:`begin_step`)."""
        async with self.db.write() as store:
            await store.persistence.end_step(user_id)

    async def take_cut_short(self) -> tuple[list[StepInProgress], list[StepInProgress]]:
        """Once, at start: the steps cut short by the last stop, as (to handle again, whose
        conversation was closed); their notes are cleared."""
        replay, interrupted = self._replay, self._interrupted
        self._replay, self._interrupted = [], []
        if self._steps:
            async with self.db.write() as store:
                await store.persistence.clear_steps()
        self._steps = {}
        return replay, interrupted

    async def update_conversation(
        self, name: str, key: tuple[Hashable, ...], new_state: object | None
    ) -> None:
        conversation_key = tuple(key)  # type: ignore[arg-type]
        # python-telegram-bot saves every conversation again when it shuts down: a state
        # saved unchanged is not a sign of life, so it keeps the time it last moved.
        known = self._states.get((name, conversation_key), _ABSENT)
        now = self._now()
        if new_state is not None and known == new_state:
            now = self._touched.get((name, conversation_key), now)
        async with self.db.write() as store:
            await store.persistence.save_conversation(name, conversation_key, new_state, now)
        if new_state is None:
            self._touched.pop((name, conversation_key), None)
            self._states.pop((name, conversation_key), None)
        else:
            self._touched[(name, conversation_key)] = now
            self._states[(name, conversation_key)] = new_state

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
