"""python-telegram-bot persistence on the SQLite store, so conversations survive a restart.

What it costs per update matters (issue 13): python-telegram-bot hands every person's and
chat's data back after every update that touched them, and twice under concurrency (once
when the handlers finish, once when the update's task does). So:

- **only what changed is written**: the text of what the database holds (or will hold once
  the writes queued are done) is kept per document, and a save of the same text is skipped;
  a conversation saved in the state it already has is skipped too;
- **one transaction per round**: python-telegram-bot saves a round's documents concurrently
  (``asyncio.gather``); each save queues its change, lets the others of the round queue
  theirs, and the first to take the writer's turn writes them all in one transaction. A save
  returns only once its change is committed (or raises if that failed; the change stays
  queued for the next write);
- **people are loaded when they first write**: at start only the data of people (and chats)
  in a conversation is read, since the conversations' guards read it; anyone else's is read
  by :meth:`refresh_user_data` before their first update is handled (python-telegram-bot
  calls it for every update and job with a user, before any callback). A document written
  before it was read (a job touching someone idle) is merged over the stored one, key by
  key, and the rest of it is filled in when it is read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.clock import Clock
from storage import Database, Store
from storage.persistence import StepInProgress, encode

log = logging.getLogger(__name__)

ConversationKey = tuple[int | str, ...]
DocumentKey = tuple[str, int]  # ("user" | "chat", id)
_ABSENT = object()
_EMPTY = encode({})


@dataclass(frozen=True)
class _Save:
    kind: str
    ident: int
    text: str | None  # None: drop the document
    merge: bool = False  # written before it was read: over the stored one, key by key


@dataclass(frozen=True)
class _State:
    name: str
    key: ConversationKey
    state: object | None  # None: the conversation ended
    at: datetime
    ends_step: int | None = None  # the person whose step's note goes with this state


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
        # The text each document read so far has in the database once the queued writes
        # are done; a document absent here was never read (see the module's docstring).
        self._latest: dict[DocumentKey, str] = {}
        self._queued: dict[object, _Save | _State] = {}
        self._writing = asyncio.Lock()
        self.writes = 0  # transactions committed (tests count them)
        # Steps the bot began and never saw through (it died): read once at start.
        self.replayable: set[str] = set()  # flows whose steps may simply be handled again
        self._steps: dict[tuple[str, ConversationKey], StepInProgress] | None = None
        self._interrupted: list[StepInProgress] = []
        self._replay: list[StepInProgress] = []
        # Steps noted and not yet done, by person: (conversation, key).
        self._noted: dict[int, tuple[str, tuple[int, int]]] = {}

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

    # Loading ---------------------------------------------------------------------------------

    async def _load_in_conversations(self, kind: str) -> dict[int, dict]:
        async with (await self._ready()).read() as store:
            found = await store.persistence.load_in_conversations(kind)
        for ident, data in found.items():
            self._latest[(kind, ident)] = encode(data)
        return found

    async def get_user_data(self) -> dict[int, dict]:
        return await self._load_in_conversations("user")

    async def get_chat_data(self) -> dict[int, dict]:
        return await self._load_in_conversations("chat")

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def _refresh(self, kind: str, ident: int, data: dict) -> None:
        """Fill in a document read for the first time. Keys already in memory were set
        since the start (by a job) and are newer than the stored ones."""
        if (kind, ident) in self._latest:
            return
        async with (await self._ready()).read() as store:
            stored = await store.persistence.load(kind, ident)
        if (kind, ident) in self._latest:  # read meanwhile by another update's refresh
            return
        self._latest[(kind, ident)] = encode(stored) if stored is not None else _EMPTY
        if isinstance(stored, dict):
            for name, value in stored.items():
                data.setdefault(name, value)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        await self._refresh("user", user_id, user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        await self._refresh("chat", chat_id, chat_data)

    async def refresh_bot_data(self, bot_data: dict) -> None:
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
        self._noted[int(user_id)] = (name, (int(chat_id), int(user_id)))

    async def end_step(self, user_id: int) -> None:
        """The step's new state is saved (see :meth:`begin_step`). When the step moved its
        conversation, the note went with the new state, in the same transaction; only a
        step that left its state as it was drops the note here, in a write of its own."""
        if self._noted.pop(user_id, None) is None:
            return
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

    # Saving ----------------------------------------------------------------------------------

    async def update_conversation(
        self, name: str, key: tuple[Hashable, ...], new_state: object | None
    ) -> None:
        conversation_key = tuple(key)  # type: ignore[arg-type]
        known = self._states.get((name, conversation_key), _ABSENT)
        unchanged = known is _ABSENT if new_state is None else known == new_state
        if unchanged:
            # Unchanged, so not written; and not a sign of life either (python-telegram-bot
            # saves every state again at shutdown): the time it last moved stays.
            return
        now = self._now()
        if new_state is None:
            self._touched.pop((name, conversation_key), None)
            self._states.pop((name, conversation_key), None)
        else:
            self._touched[(name, conversation_key)] = now
            self._states[(name, conversation_key)] = new_state
        ends_step = None
        if len(conversation_key) == 2:
            person = int(conversation_key[1])
            if self._noted.get(person) == (name, (int(conversation_key[0]), person)):
                del self._noted[person]  # the note goes with this state, wherever written
                ends_step = person
        await self._save(
            ("conv", name, conversation_key),
            _State(name, conversation_key, new_state, now, ends_step),
        )

    async def _update_document(self, kind: str, ident: int, data: dict | None) -> None:
        text = encode(data) if data is not None else None
        latest = self._latest.get((kind, ident))
        if latest is None:  # never read: written over what is stored, key by key
            if text is None:
                self._latest[(kind, ident)] = _EMPTY
            elif not data:
                return  # nothing to add to what is stored
            await self._save((kind, ident), _Save(kind, ident, text, merge=text is not None))
            return
        text = text or _EMPTY
        if text == latest:
            return
        if data is not None and json.loads(latest) == data:
            self._latest[(kind, ident)] = text  # the same keys and values, in another order
            return
        self._latest[(kind, ident)] = text
        await self._save((kind, ident), _Save(kind, ident, text if data is not None else None))

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._update_document("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._update_document("chat", chat_id, data)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._update_document("chat", chat_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._update_document("user", user_id, None)

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def flush(self) -> None:
        """Write whatever a failed write left queued (python-telegram-bot calls this last)."""
        await self._write_queued()

    async def _save(self, key: object, change: _Save | _State) -> None:
        # A newer change of the same document replaces one not yet written (a step's note
        # to drop goes on with it).
        replaced = self._queued.pop(key, None)
        if isinstance(replaced, _State) and isinstance(change, _State) and not change.ends_step:
            change = replace(change, ends_step=replaced.ends_step)
        self._queued[key] = change
        # Let the other saves of this round (python-telegram-bot gathers them) queue theirs,
        # so that one transaction writes them all.
        await asyncio.sleep(0)
        await self._write_queued()

    async def _write_queued(self) -> None:
        async with self._writing:
            if not self._queued:
                return  # written by an earlier save of the round
            batch, self._queued = self._queued, {}
            try:
                async with (await self._ready()).write() as store:
                    for change in batch.values():
                        await _apply(store, change)
            except BaseException:
                # Kept for the next write, unless a newer change of the same document came.
                for key, change in batch.items():
                    self._queued.setdefault(key, change)
                raise
            self.writes += 1


async def _apply(store: Store, change: _Save | _State) -> None:
    repository = store.persistence
    if isinstance(change, _State):
        await repository.save_conversation(change.name, change.key, change.state, change.at)
        if change.ends_step is not None:
            await repository.end_step(change.ends_step)
    elif change.text is None:
        await repository.drop(change.kind, change.ident)
    elif change.merge:
        await repository.merge(change.kind, change.ident, json.loads(change.text))
    else:
        await repository.save_text(change.kind, change.ident, change.text)
