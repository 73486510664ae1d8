"""Fault injection for the fake server: Telegram errors and slow answers, per method and chat.

:class:`FaultInjection` is mixed into :class:`~fake_telegram.server.FakeTelegramServer` and gives
tests :meth:`~FaultInjection.inject_error`, :meth:`~FaultInjection.rate_limit` (429 with
retry_after), :meth:`~FaultInjection.slow_down` and :meth:`~FaultInjection.clear_faults`. A
403 "bot was blocked", a "message is not modified" or any other answer is an injected error with
that code and description. The server takes the matching faults before running each method.
"""

from __future__ import annotations

from dataclasses import dataclass

from fake_telegram.types import ApiError


@dataclass
class Fault:
    """One injected delay or error, for a method (or "*") and optionally one chat."""

    method: str
    chat_id: int | str | None
    remaining: int | None
    delay: float = 0.0
    error: ApiError | None = None

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

    def inject_error(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 400,
        description: str = "Bad Request",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail.

        ``method="*"`` matches every method except getUpdates.
        """
        self._faults.append(
            Fault(
                method=method,
                chat_id=chat_id,
                remaining=times,
                error=ApiError(error_code, description, retry_after),
            )
        )

    def rate_limit(
        self, method: str, *, retry_after: int = 1, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls with Telegram's 429 flood-control error."""
        self.inject_error(
            method,
            chat_id=chat_id,
            error_code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
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
        """The injected error for this call, if any, counting it as used."""
        fault = self._take(method, chat_id, want_error=True)
        return None if fault is None else fault.error

    def _take(self, method: str, chat_id: int | str | None, *, want_error: bool) -> Fault | None:
        for fault in self._faults:
            if (fault.error is not None) == want_error and fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
