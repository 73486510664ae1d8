"""Progress the sender can see: one message per fan-out, edited as it goes, and a summary.

Whoever started a fan-out of more than a few recipients (a conference invitation, a story)
gets one message, "1.234 / 10.000 đã gửi · 3 đã chặn bot · 0 lỗi", edited at most every few
seconds (Telegram limits edits as it limits sends); when nothing of it is left to send, it
shows the final figures, and a moment later a summary comes as a new message (an edit does
not notify). Every one of these goes through the pacer, like any other message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.clock import Clock
from bot.delivery.pacing import OUTBOX_CALL, Pacer
from bot.i18n import format_number, gettext, use_locale
from storage import Database
from storage.outbox import Batch

log = logging.getLogger(__name__)

EDIT_EVERY = 3.0  # seconds between two edits of one progress message
LOOK_EVERY = 3.0  # seconds between looks for batches left open (after a restart)


def progress_text(counts: dict[str, int], total: int) -> str:
    sent, blocked, failed = counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0)
    return gettext("{sent} / {total} sent · {blocked} blocked the bot · {failed} errors").format(
        sent=format_number(sent),
        total=format_number(total),
        blocked=format_number(blocked),
        failed=format_number(failed),
    )


def summary_text(counts: dict[str, int], total: int) -> str:
    return gettext("Sending finished: {progress}").format(progress=progress_text(counts, total))


@dataclass
class ProgressReporter:
    bot: Bot
    db: Database
    clock: Clock
    pacer: Pacer
    monotonic: Any = time.monotonic
    _params: dict[int, dict[str, Any]] = field(default_factory=dict)
    _touched: set[int] = field(default_factory=set)
    _edited_at: dict[int, float] = field(default_factory=dict)
    _closing: set[int] = field(default_factory=set)  # final figures shown; summary next
    _silent: set[int] = field(default_factory=set)  # batches without a progress message
    _looked_at: float = 0.0

    async def batch_params(self, batch_id: int) -> dict[str, Any]:
        if batch_id not in self._params:
            async with self.db.read() as store:
                batch = await store.outbox.batch(batch_id)
            self._params[batch_id] = batch.params if batch is not None else {}
            if batch is not None and batch.progress_chat_id is None:
                self._silent.add(batch_id)
        return self._params[batch_id]

    def touched(self, batch_id: int) -> None:
        # A fan-out nobody watches needs no counting while it runs (it is closed, finished or
        # not, by the daily clean-up of old rows).
        if batch_id not in self._silent:
            self._touched.add(batch_id)

    async def report(self, *, in_flight: bool) -> None:
        now = self.monotonic()
        if now - self._looked_at >= LOOK_EVERY:
            self._looked_at = now
            async with self.db.read() as store:
                self._touched.update(await store.outbox.open_batches())
            if not in_flight:
                async with self.db.write() as store:
                    await store.outbox.finish_silent_batches(self.clock.now())
        for batch_id in sorted(self._touched):
            last = self._edited_at.get(batch_id)
            if last is not None and now - last < EDIT_EVERY and batch_id not in self._closing:
                continue
            async with self.db.read() as store:
                batch = await store.outbox.batch(batch_id)
                counts = await store.outbox.batch_counts(batch_id)
            self._touched.discard(batch_id)
            if batch is None or batch.finished:
                continue
            done = not counts.get("queued") and not counts.get("sending")
            if batch.progress_message_id is None and set(counts) <= {"queued"}:
                continue  # not begun (a story scheduled for later): nothing to show yet
            if batch.progress_chat_id is None:
                if done:
                    await self._finish(batch)
                continue
            if not self._may_send(batch.progress_chat_id):
                self._touched.add(batch_id)  # within Telegram's limits: a moment later
                continue
            if batch_id in self._closing:
                # The progress shows the final figures: now the summary, which notifies.
                await self._send(batch, summary_text, counts)
                await self._finish(batch)
                continue
            self._edited_at[batch_id] = now
            await self._show(batch, counts)
            if done:
                self._closing.add(batch_id)
            self._touched.add(batch_id)  # look again after EDIT_EVERY (or for the summary)

    def _may_send(self, chat_id: int) -> bool:
        return self.pacer.chat_ready_in(chat_id) == 0 and self.pacer.free_slots() > 0

    async def _show(self, batch: Batch, counts: dict[str, int]) -> None:
        """Send the progress message, or edit it with the figures now."""
        assert batch.progress_chat_id is not None
        if batch.progress_message_id is None:
            message = await self._send(batch, progress_text, counts)
            if message is not None:
                async with self.db.write() as store:
                    await store.outbox.set_progress_message(batch.id, message.message_id)
            return
        with use_locale(batch.progress_locale):
            text = progress_text(counts, batch.total)
        self.pacer.record(batch.progress_chat_id)
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=batch.progress_chat_id,
                message_id=batch.progress_message_id,
                rate_limit_args=OUTBOX_CALL,
            )
        except BadRequest as error:
            if "not modified" not in error.message:
                log.info("progress of batch %s: %s", batch.id, error.message)
        except TelegramError as error:
            log.info("progress of batch %s not shown: %s", batch.id, error)

    async def _send(
        self, batch: Batch, text_of: Callable[[dict[str, int], int], str], counts: dict[str, int]
    ) -> Any:
        assert batch.progress_chat_id is not None
        with use_locale(batch.progress_locale):
            text = text_of(counts, batch.total)
        self.pacer.record(batch.progress_chat_id)
        try:
            return await self.bot.send_message(
                batch.progress_chat_id, text, rate_limit_args=OUTBOX_CALL
            )
        except TelegramError as error:
            log.info("progress of batch %s not sent: %s", batch.id, error)
            return None

    async def _finish(self, batch: Batch) -> None:
        async with self.db.write() as store:
            await store.outbox.finish_batch(batch.id, self.clock.now())
        self._params.pop(batch.id, None)
        self._edited_at.pop(batch.id, None)
        self._closing.discard(batch.id)
