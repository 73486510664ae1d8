"""How fast the bot may send: Telegram's limits, counted the way Telegram counts them.

- Overall: at most ``rate`` messages in any one second (30 by default; up to 1,000 with paid
  broadcasts), spread evenly rather than in bursts. Interactive replies and the outbox share
  this budget: a reply is counted the moment it goes out and never waits here, so the outbox,
  which asks before each send, leaves room for the people talking to the bot.
- Per private chat: one message a second. Per group or channel: twenty a minute.
- After a 429, nothing is sent until its ``retry_after`` has passed: the limit is per bot.

Pure bookkeeping with an injectable clock (seconds, monotonic), so it is tested without
waiting.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Passed as ``rate_limit_args`` by the outbox sender: it paced the call itself.
OUTBOX_CALL = {"outbox": True}
PRIVATE_INTERVAL = 1.0  # seconds between two messages to one person
GROUP_WINDOW, GROUP_LIMIT = 60.0, 20  # twenty a minute to one group or channel


def retry_seconds(value: object) -> float:
    """A 429's ``retry_after`` in seconds, whether python-telegram-bot gives a number or a
    timedelta."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def is_group(chat_id: int) -> bool:
    """Telegram gives groups, supergroups and channels negative ids."""
    return chat_id < 0


SPACING = 1.02  # sends are spread a little wider than 1/rate, so that jitter on the way
# never puts rate + 1 of them into one second as Telegram counts (98% of the rate is used)


@dataclass
class Pacer:
    rate: int = 30
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._sent: deque[float] = deque()  # every send in the last second
        self._chat_last: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        # Sends are spread evenly: a bucket refilled at rate/SPACING, holding a small burst
        # (two messages at 30/s, so a sender woken a few milliseconds late catches up; fifty
        # at 1,000/s, so that fast sending needs few rounds). The one-second count below
        # still never lets more than ``rate`` through.
        self._capacity = float(max(2, self.rate // 20))
        self._tokens = self._capacity
        self._filled_at = self.clock()
        # One short of the rate in any one second, as we count it: Telegram counts arrivals,
        # and a message that travelled a little faster than the one before it must not make
        # rate + 1.
        self._per_second = self.rate - 1 if self.rate >= 10 else self.rate

    # Recording ------------------------------------------------------------------------------

    def record(self, chat_id: int | None) -> None:
        """A message went out (interactive or from the outbox)."""
        now = self.clock()
        self._refill(now)
        self._tokens -= 1  # an interactive reply may take it below zero: the outbox waits
        self._sent.append(now)
        if chat_id is None:
            return
        if is_group(chat_id):
            self._group_sent.setdefault(chat_id, deque()).append(now)
        else:
            self._chat_last[chat_id] = now

    def pause(self, seconds: float) -> None:
        """Telegram said 429: everybody waits."""
        self._paused_until = max(self._paused_until, self.clock() + max(0.0, seconds))

    # Asking ---------------------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._filled_at)
        self._tokens = min(self._capacity, self._tokens + elapsed * self.rate / SPACING)
        self._filled_at = now

    def _trim(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()

    def free_slots(self) -> int:
        """How many messages may go out right now without breaking the overall limit."""
        now = self.clock()
        if now < self._paused_until:
            return 0
        self._trim(now)
        self._refill(now)
        return max(0, min(int(self._tokens + 1e-9), self._per_second - len(self._sent)))

    def next_free_in(self) -> float:
        """Seconds until the overall budget has a free slot (0: now)."""
        now = self.clock()
        if now < self._paused_until:
            return self._paused_until - now
        self._trim(now)
        self._refill(now)
        wait = 0.0
        if self._tokens < 1:
            wait = (1 - self._tokens) * SPACING / self.rate
        if len(self._sent) >= self._per_second:
            wait = max(wait, 1.0 - (now - self._sent[0]))
        return wait

    def chat_ready_in(self, chat_id: int) -> float:
        """Seconds until this chat may take another message (0: now)."""
        now = self.clock()
        wait = max(0.0, self._paused_until - now)
        if is_group(chat_id):
            sent = self._group_sent.get(chat_id)
            if sent:
                while sent and now - sent[0] >= GROUP_WINDOW:
                    sent.popleft()
                if len(sent) >= GROUP_LIMIT:
                    wait = max(wait, GROUP_WINDOW - (now - sent[0]))
                if not sent:
                    del self._group_sent[chat_id]
            return wait
        last = self._chat_last.get(chat_id)
        if last is not None:
            wait = max(wait, PRIVATE_INTERVAL - (now - last))
        return wait

    def forget_idle_chats(self) -> None:
        """Drop per-chat bookkeeping that no longer matters (memory stays bounded)."""
        now = self.clock()
        stale = [c for c, t in self._chat_last.items() if now - t >= PRIVATE_INTERVAL]
        for chat_id in stale:
            del self._chat_last[chat_id]
