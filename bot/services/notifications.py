"""The one door for every message that is not a direct reply.

Decisions, invitations and alerts to a secretary all go through :meth:`notify`. Today it
sends at once; the durable, rate-paced outbox of the roadmap can take over delivery here
without touching any caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.clock import Clock
from bot.i18n import use_locale
from bot.render.text import split_html
from storage import Database
from storage.records import Member

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    label: str
    data: str


Keyboard = Sequence[Sequence[Button]]
Render = Callable[[], tuple[str, Keyboard | None]]


def to_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
    )


class NotificationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._bot: Bot | None = None

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    async def notify(self, member: Member, render: Render) -> bool:
        """Send ``render()`` (called in the member's language) to the member.

        Returns whether Telegram accepted it. A member who blocked the bot is recorded as
        unreachable, so secretaries can see it.
        """
        if self._bot is None:
            raise RuntimeError("notification service has no bot attached")
        if member.telegram_id is None:
            log.info("member %s has no Telegram account yet; not notified", member.id)
            return False
        with use_locale(member.language):
            text, keyboard = render()
        # A long notice (a thematic session's lead-in) goes in parts, the buttons on the last.
        parts = split_html([text])
        for part in parts[:-1]:
            if not await self._send(member, part, None):
                return False
        return await self._send(member, parts[-1], keyboard)

    async def _send(self, member: Member, text: str, keyboard: Keyboard | None) -> bool:
        assert self._bot is not None and member.telegram_id is not None
        for attempt in range(2):
            try:
                await self._bot.send_message(
                    member.telegram_id, text, reply_markup=to_markup(keyboard)
                )
            except RetryAfter as exc:
                if attempt:
                    log.warning("notify member %s: rate limited twice; dropped", member.id)
                    return False
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Forbidden:
                async with self.db.write() as store:
                    await store.members.mark_blocked(member.telegram_id, self.clock.now())
                log.info("member %s blocked the bot; marked unreachable", member.id)
                return False
            except TelegramError as exc:
                log.warning("notify member %s failed: %s", member.id, exc)
                return False
            return True
        return False

    async def notify_all(self, members: Sequence[Member], render: Render) -> int:
        """Notify several members; returns how many were reached."""
        reached = 0
        for member in members:
            reached += await self.notify(member, render)
        return reached


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
