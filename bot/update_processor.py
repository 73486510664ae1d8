"""Concurrent across people, in order for each person, and fair.

python-telegram-bot runs every update as its own task; this processor makes the updates of
one person (or, without a user, one chat) wait for each other in arrival order, while
different people run at the same time. asyncio locks wake waiters first-come first-served,
so arrival order is kept.

Fairness: an update first waits for its person's earlier updates, and only then takes one
of the ``max_concurrent_updates`` slots. (python-telegram-bot's own ``process_update`` takes
a slot first, so one person's queued updates could fill every slot while they wait on each
other, and everybody else would wait behind them.) So ``process_update`` is overridden, with
slots of our own; it is public API, as is ``do_process_update``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", None)


class PerUserOrderedProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int,
        after_update: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.after_update = after_update
        # Around a guided step: noted before it runs, the note dropped once its new state
        # is saved (handlers/flow.py), so a crash in between is found at the next start.
        self.begin_step: Callable[[object], Awaitable[Any]] | None = None
        self.end_step: Callable[[Any], Awaitable[None]] | None = None
        # Called with each update once it is finished (tests use it to know when the bot
        # is done with what they sent, rather than guessing from a spell of silence).
        self.on_done: Callable[[object], None] | None = None

    @property
    def in_flight(self) -> int:
        """Updates received and not yet finished (waiting or running)."""
        return self._in_flight

    async def wait_idle(self) -> None:
        """Until no update is waiting or running."""
        await self._idle.wait()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        self._in_flight += 1
        self._idle.clear()
        try:
            async with lock, self._slots:
                await self.do_process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Forget idle people so the table does not grow with every user ever seen.
                del self._waiting[key]
                self._locks.pop(key, None)
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
            if self.on_done is not None:
                self.on_done(update)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        step = await self.begin_step(update) if self.begin_step is not None else None
        await coroutine
        if self.after_update is not None:
            # Save conversation state before this person's next update runs, so a crash
            # right after a reply never loses what they entered.
            await self.after_update()
        if step is not None and self.end_step is not None:
            await self.end_step(step)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
