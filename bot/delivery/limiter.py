"""The one rate limiter every Bot API call goes through (python-telegram-bot's
``BaseRateLimiter``), sharing the :class:`~bot.delivery.pacing.Pacer` with the outbox sender.

- A call the outbox sender made (``rate_limit_args=OUTBOX_CALL``) was paced by the sender and
  is passed straight through; the sender handles its own 429s (one retry policy: requeue).
- Any other call that sends something is an interactive reply to someone using the bot. It
  goes out at once, never waiting behind a broadcast, and is counted, so the sender leaves it
  room. On a 429 it waits ``retry_after`` once and tries again, and the sender pauses too:
  Telegram's limit is per bot.

This replaces ``AIORateLimiter``: two limiters (and two retry policies) would each count only
half of the traffic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacer, retry_seconds

log = logging.getLogger(__name__)

# Methods that put a message in a chat (and count toward Telegram's limits).
SENDING = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "sendAnimation",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)


def _chat_of(data: dict[str, Any]) -> int | None:
    chat = data.get("chat_id")
    try:
        return int(chat) if chat is not None else None
    except (TypeError, ValueError):
        return None  # an @channel username


class SharedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args and rate_limit_args.get("outbox"):
            return await callback(*args, **kwargs)
        counted = endpoint in SENDING
        for attempt in range(2):
            if counted:
                self.pacer.record(_chat_of(data))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_seconds(error.retry_after)
                self.pacer.pause(seconds)
                if attempt or not counted:
                    raise
                log.warning("reply rate-limited; retrying once in %.1f s", seconds)
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable")
