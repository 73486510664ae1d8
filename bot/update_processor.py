"""Concurrent across people, in order for each person.

python-telegram-bot runs every update as its own task; this processor makes the updates of
one person (or, without a user, one chat) wait for each other in arrival order, while
different people run at the same time. asyncio locks wake waiters first-come first-served,
so arrival order is kept.
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
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self.after_update = after_update

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
                if self.after_update is not None:
                    # Save conversation state before this person's next update runs, so a
                    # crash right after a reply never loses what they entered.
                    await self.after_update()
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Forget idle people so the table does not grow with every user ever seen.
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
