"""Fault injection for the fake server: Telegram errors and slow answers, per method and chat.

:class:`FaultInjection` is mixed into :class:`~fake_telegram.server.FakeTelegramServer` and gives
tests :meth:`~FaultInjection.inject_error`, :meth:`~FaultInjection.rate_limit` (429 with
retry_after), :meth:`~FaultInjection.slow_down`, :meth:`~FaultInjection.enforce_limits`
(Telegram's flood limits, 429 beyond them) and :meth:`~FaultInjection.clear_faults`. A
403 "bot was blocked", a "message is not modified" or any other answer is an injected error with
that code and description. The server takes the matching faults before running each method.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from fake_telegram.types import ApiError

# The calls that put something in a chat: what Telegram's flood limits count.
LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)


@dataclass
class FloodLimits:
    """Telegram's limits, enforced as Telegram does: beyond ``overall`` sends in any second,
    or a second message to one private chat within ``per_chat`` seconds, the answer is 429
    with ``retry_after``. ``hits`` counts the 429s given."""

    overall: int = 30
    per_chat: float = 1.0
    _sent: deque[float] = field(default_factory=deque)
    _chat_last: dict[int | str, float] = field(default_factory=dict)
    hits: int = 0

    def check(self, method: str, chat_id: int | str | None) -> ApiError | None:
        if method.lower() not in LIMITED_METHODS:
            return None
        now = time.monotonic()
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        wait = 0.0
        if len(self._sent) >= self.overall:
            wait = 1.0 - (now - self._sent[0])
        private = isinstance(chat_id, int) and chat_id > 0
        last = self._chat_last.get(chat_id) if private and chat_id is not None else None
        if last is not None and now - last < self.per_chat:
            wait = max(wait, self.per_chat - (now - last))
        if wait > 0:
            self.hits += 1
            seconds = max(1, math.ceil(wait))
            return ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        self._sent.append(now)
        if private and chat_id is not None:
            self._chat_last[chat_id] = now
        return None


@dataclass
class Fault:
    """One injected delay or error, for a method (or "*") and optionally one chat."""

    method: str
    chat_id: int | str | None
    remaining: int | None
    delay: float = 0.0
    error: ApiError | None = None
    after: int = 0  # matching calls still let through before it strikes

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Whether a call of ``method`` for ``chat_id`` is hit by this fault."""
        # "*" deliberately skips getUpdates: slowing every long poll is never what a test wants.
        if self.method == "*":
            if method.lower() == "getupdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


class FaultInjection:
    """The pending faults, and the test-facing ways to add and drop them."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.flood_limits: FloodLimits | None = None

    def enforce_limits(self, overall: int = 30, per_chat: float = 1.0) -> FloodLimits:
        """From now on, answer 429 beyond Telegram's flood limits (see :class:`FloodLimits`)."""
        self.flood_limits = FloodLimits(overall=overall, per_chat=per_chat)
        return self.flood_limits

    def inject_error(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 400,
        description: str = "Bad Request",
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail,
        once ``after`` of them have gone through (the second part of a long message, say).

        ``method="*"`` matches every method except getUpdates.
        """
        self._faults.append(
            Fault(
                method=method,
                chat_id=chat_id,
                remaining=times,
                error=ApiError(error_code, description, retry_after),
                after=after,
            )
        )

    def rate_limit(
        self,
        method: str,
        *,
        retry_after: int = 1,
        chat_id: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` calls (once ``after`` went through) with Telegram's 429
        flood-control error."""
        self.inject_error(
            method,
            chat_id=chat_id,
            error_code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
            after=after,
        )

    def slow_down(
        self, method: str, seconds: float, *, chat_id: int | None = None, times: int | None = None
    ) -> None:
        """Delay responses to ``method`` by ``seconds`` (``times=None``: until clear_faults)."""
        self._faults.append(Fault(method=method, chat_id=chat_id, remaining=times, delay=seconds))

    def clear_faults(self) -> None:
        """Drop every pending injected error and delay."""
        self._faults.clear()

    def take_delay(self, method: str, chat_id: int | str | None) -> float:
        """The injected delay for this call (0 if none), counting it as used."""
        fault = self._take(method, chat_id, want_error=False)
        return 0.0 if fault is None else fault.delay

    def take_error(self, method: str, chat_id: int | str | None) -> ApiError | None:
        """The injected error for this call, if any, counting it as used; else a 429 when
        the enforced flood limits are exceeded."""
        fault = self._take(method, chat_id, want_error=True)
        if fault is not None:
            return fault.error
        if self.flood_limits is not None:
            return self.flood_limits.check(method, chat_id)
        return None

    def _take(self, method: str, chat_id: int | str | None, *, want_error: bool) -> Fault | None:
        for fault in self._faults:
            if (fault.error is not None) == want_error and fault.matches(method, chat_id):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
