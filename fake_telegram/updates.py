"""The bot's update queue and the change signal the fake's waiters sleep on.

:class:`UpdateQueue` holds the updates Telegram keeps for the bot until a getUpdates offset
confirms them, numbers them, filters them by allowed_updates and wakes long polls when one
arrives. :class:`Signal` is a broadcast "something changed" flag: every waiter wakes on each
fire, which is how tests, long polls and slowed-down requests wait without polling.
"""

from __future__ import annotations

import asyncio
import copy
import itertools

from fake_telegram.types import JSONDict

# Update kinds Telegram leaves out unless allowed_updates names them explicitly.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Signal:
    """A broadcast "something changed" flag: every waiter wakes on each fire()."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake everyone waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, within: float) -> bool:
        """Wait for the next fire(); False when ``within`` seconds passed first."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout=max(within, 0))
        except TimeoutError:
            return False
        return True


class UpdateQueue:
    """The updates Telegram holds for the bot until a getUpdates offset confirms them."""

    def __init__(self) -> None:
        self._updates: list[JSONDict] = []
        self._ids = itertools.count(10_001)
        self._signal = Signal()

    def __len__(self) -> int:
        return len(self._updates)

    def push(self, kind: str, payload: JSONDict) -> JSONDict:
        """Queue an update of ``kind`` with the next update_id, and wake long polls."""
        update = {"update_id": next(self._ids), kind: payload}
        self._updates.append(update)
        self._signal.fire()
        return update

    def copies(self) -> list[JSONDict]:
        """The unconfirmed updates (copies)."""
        return copy.deepcopy(self._updates)

    def clear(self) -> None:
        """Drop every pending update (deleteWebhook with drop_pending_updates)."""
        self._updates.clear()

    def confirm(self, offset: int) -> None:
        """Forget the updates a getUpdates ``offset`` confirms."""
        if offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            del self._updates[: max(len(self._updates) + offset, 0)]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def deliverable(self, limit: int, allowed: frozenset[str] | None) -> list[JSONDict]:
        """Up to ``limit`` updates of the ``allowed`` kinds (None: the default kinds)."""
        kept: list[JSONDict] = []
        batch: list[JSONDict] = []
        for update in self._updates:
            kind = next(key for key in update if key != "update_id")
            wanted = kind not in _NOT_DELIVERED_BY_DEFAULT if allowed is None else kind in allowed
            # Telegram never creates updates of kinds the bot did not ask for: drop them.
            if not wanted:
                continue
            kept.append(update)
            if len(batch) < limit:
                batch.append(update)
        self._updates = kept
        return batch

    def wake(self) -> None:
        """Wake long polls without a new update (another poll came, or shutdown)."""
        self._signal.fire()

    async def wait(self, within: float) -> bool:
        """Wait for a new update or a wake(); False on timeout."""
        return await self._signal.wait(within)
