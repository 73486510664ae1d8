"""The paced sender: takes queued rows from the outbox and sends them at Telegram's limits.

It runs as a task the application owns (started in ``post_init``, stopped in ``post_stop``).
Each round it picks the most urgent due rows whose chats may take a message now, as many
as the overall budget allows (:class:`~bot.delivery.pacing.Pacer`, shared with interactive
replies), marks them ``sending`` in one write, sends them concurrently, and records every
outcome in one more write:

- accepted: ``sent``;
- 429: the whole bot pauses for ``retry_after``; the row goes back to the queue, its attempt
  not counted against it;
- 403 (blocked, deactivated): the member is marked unreachable and their queued rows are
  skipped until they write to the bot again;
- 400: ``failed`` with Telegram's reason (nothing would change on a retry);
- network errors, timeouts, 5xx: back to the queue after an exponential back-off, and
  ``failed`` after MAX_ATTEMPTS.

A message in several calls (a photo alone, then a long text in parts) records on its row how
many of its calls went through (``parts_sent``), whatever the outcome: a retry resumes after
them, so nobody gets the photo or the first parts twice.

Crash safety: a row is ``sending`` from the moment it is claimed until its outcome is
written, which for a plain delivery happens in the same write as the next round's claim (a
few tens of milliseconds later, one write per round instead of two). After a crash, rows
still ``sending`` go back to the queue at the next start (:meth:`Sender.start`): they are the
only messages that can arrive twice, at most one round's worth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clock import Clock
from bot.delivery.pacing import OUTBOX_CALL, Pacer, retry_seconds
from bot.delivery.progress import ProgressReporter
from bot.delivery.templates import Rows, render
from bot.i18n import use_locale
from bot.render.text import MAX_CAPTION, split_html, visible_len
from storage import Database
from storage.db import Store
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Screen = Callable[[Store, list[OutboxRow]], Awaitable[set[int]]]
BACKOFF_FIRST, BACKOFF_MAX = timedelta(seconds=5), timedelta(minutes=10)
MIN_WAVE = 8
FLUSH_AFTER = 0.1  # seconds of waiting after which the deliveries not recorded are written
BUFFER = 500  # due rows held in memory, so the database is read once for many sends
IDLE_POLL = 1.0  # seconds between looks at an idle outbox (new rows wake it at once)


def markup(rows: Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


@dataclass
class Outcome:
    row: OutboxRow
    message_id: int | None = None
    retry_after: float | None = None
    blocked: bool = False
    error: str | None = None
    permanent: bool = False
    parts_sent: int = 0  # the calls of the message delivered, this attempt and before


class PartlyDelivered(Exception):
    """A message in several calls failed after ``sent`` of this attempt's calls went through."""

    def __init__(self, sent: int, error: TelegramError) -> None:
        super().__init__(sent, error)
        self.sent = sent
        self.error = error


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call of a message: a photo (with the text as its caption, or alone), or
    a text part."""

    text: str | None
    photo: str | None = None
    rows: Rows | None = None


def calls_of(text: str, rows: Rows | None, photo: str | None) -> list[Call]:
    """The calls one rendered message takes. A long one (a lead-in of thousands of
    characters, a story) goes in parts, never cut inside a tag, the buttons on the last. A
    photo carries the text as its caption when it fits Telegram's caption limit, and goes
    first on its own otherwise."""
    if photo and visible_len(text) <= MAX_CAPTION:
        return [Call(text, photo, rows)]
    parts = split_html([text])
    calls = [Call(None, photo)] if photo else []
    return calls + [
        Call(part, rows=rows if index == len(parts) - 1 else None)
        for index, part in enumerate(parts)
    ]


@dataclass
class Sender:
    bot: Bot
    db: Database
    clock: Clock
    pacer: Pacer
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    paid_broadcast: bool = False
    max_wave: int = 64  # the most sends on the wire at once
    # Seconds the recent sends took; their minimum is the network's own latency, without the
    # queueing that more concurrency would add (taking the average would feed on itself).
    _latencies: deque[float] = field(default_factory=lambda: deque([0.1], maxlen=50))
    _buffer: list[OutboxRow] = field(default_factory=list)
    _task: asyncio.Task | None = None
    _stopping: bool = False
    _in_flight: int = 0
    _unrecorded: list[Outcome] = field(default_factory=list)
    _next: list[OutboxRow] = field(default_factory=list)  # claimed while a wave was sending
    progress: ProgressReporter | None = None
    # The last look before sending: the ids of claimed rows that lost their reason (a
    # reminder of a commitment filed meanwhile); they are dropped, not sent.
    screen: Screen | None = None

    def __post_init__(self) -> None:
        if self.progress is None:
            self.progress = ProgressReporter(
                self.bot, self.db, self.clock, self.pacer, monotonic=self.pacer.clock
            )

    # Life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.db.write() as store:
            recovered = await store.outbox.recover_in_flight()
        if recovered:
            log.warning("outbox: %s message(s) were in flight at the last stop; sending again",
                        recovered)  # fmt: skip
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 3.0) -> None:
        """Stop taking rows; give the sends on the wire ``grace`` seconds, then stop. What is
        still queued waits in the outbox for the next start."""
        self._stopping = True
        self.wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # The loop -------------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._loop()
        finally:
            await asyncio.shield(self.flush())

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                waited = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the sender must outlive any one bad round
                log.exception("outbox: a sending round failed")
                waited = 1.0
            if waited and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), waited)

    async def step(self) -> float:
        """One round. Returns how long to wait before the next (0: go again at once).

        While a wave is on the wire, the next one is chosen and claimed (in the same write
        that records the wave before): the database and the network work side by side.
        """
        now = self.clock.now()
        fresh = self.wake.is_set()  # rows were committed since the last look
        self.wake.clear()
        if fresh or len(self._buffer) < BUFFER // 2:
            async with self.db.read() as store:
                held = [row.id for row in self._buffer]
                self._buffer += await store.outbox.due(now, BUFFER, skip=held)
            # An answer someone waits for overtakes a broadcast already in the buffer.
            self._buffer.sort(key=lambda row: (row.priority, row.id))
        wave, self._next = self._next, []
        if not wave:
            chosen, wait = await self._choose_now()
            if not chosen:
                if wait >= FLUSH_AFTER:
                    # A pause worth the name: record now. (Between two paced sends, the
                    # last delivery is recorded with the next claim instead.)
                    await self.flush()
                await self._report_progress()
                return wait
            wave = await self._claim(chosen)
        for row in wave:
            self.pacer.record(row.chat_id)
        following, _ = await self._choose_now()
        self._in_flight += len(wave)
        try:
            outcomes, self._next = await asyncio.gather(
                asyncio.gather(*(self._send(row) for row in wave)),
                self._claim(following) if following else _nothing(),
            )
        finally:
            self._in_flight -= len(wave)
        if all(outcome.message_id is not None for outcome in outcomes):
            self._unrecorded += outcomes  # recorded with the next claim (or a flush)
        else:
            await self._record(outcomes)  # a 429, a block or an error: at once
        await self._report_progress()
        return 0

    async def _choose_now(self) -> tuple[list[OutboxRow], float]:
        """The rows that may go now (blocked members' rows are set aside on the way), or
        how long to wait."""
        if not self._buffer:
            return [], IDLE_POLL
        chosen, skipped, wait = self._choose()
        if skipped:
            await self._skip_blocked(skipped)
        if not chosen:
            return [], 0 if skipped else max(0.01, min(wait, IDLE_POLL))
        return chosen, 0

    def concurrency(self) -> int:
        """Sends on the wire at once: at least MIN_WAVE (one write then covers several), and
        as many as it takes to keep up the rate over the network's latency (1,000/s at
        150 ms needs about 150), up to ``max_wave``."""
        rate = min(self.pacer.rate, 1000)  # Telegram's most, even with paid broadcasts
        wanted = math.ceil(rate * min(self._latencies) * 1.5)
        return max(MIN_WAVE, min(self.max_wave, wanted))

    async def _claim(self, rows: list[OutboxRow]) -> list[OutboxRow]:
        """One write: the deliveries not recorded yet, and these rows claimed."""
        unrecorded, self._unrecorded = self._unrecorded, []
        try:
            async with self.db.write() as store:
                await self._write_outcomes(store, unrecorded)
                lapsed = await self.screen(store, rows) if self.screen and rows else set()
                if lapsed:
                    await store.outbox.drop_queued(sorted(lapsed))
                    log.info("outbox: %s reminder(s) no longer needed, dropped", len(lapsed))
                wanted = [r.id for r in rows if r.id not in lapsed]
                claimed = set(await store.outbox.claim(wanted, self.clock.now()))
        except BaseException:
            self._unrecorded = unrecorded + self._unrecorded
            self._buffer[:0] = rows  # not claimed: they stay to be sent
            raise
        self._after_outcomes(unrecorded)
        return [row for row in rows if row.id in claimed]

    async def flush(self) -> None:
        """Record the deliveries not written yet, and give back a wave claimed ahead."""
        if self._next:
            async with self.db.write() as store:
                for row in self._next:
                    await store.outbox.requeue(row.id, self.clock.now(), None, count_attempt=False)
            self._buffer[:0] = self._next
            self._next = []
        if self._unrecorded:
            unrecorded, self._unrecorded = self._unrecorded, []
            await self._record(unrecorded)

    def _choose(self) -> tuple[list[OutboxRow], list[OutboxRow], float]:
        """The rows to send now: most urgent first, one per chat, within the budget."""
        slots = min(self.pacer.free_slots(), self.concurrency())
        wave: list[OutboxRow] = []
        skipped: list[OutboxRow] = []
        chats: set[int] = set()
        wait = self.pacer.next_free_in() or IDLE_POLL
        for row in list(self._buffer):
            if row.blocked and row.member_id is not None:
                skipped.append(row)
                self._buffer.remove(row)
                continue
            if len(wave) >= slots:
                continue
            if row.chat_id in chats:
                continue
            ready_in = self.pacer.chat_ready_in(row.chat_id)
            if ready_in > 0:
                wait = min(wait, ready_in)
                continue
            chats.add(row.chat_id)
            wave.append(row)
            self._buffer.remove(row)
        return wave, skipped, wait

    async def _skip_blocked(self, rows: Sequence[OutboxRow]) -> None:
        async with self.db.write() as store:
            for row in rows:
                await store.outbox.mark(row.id, "blocked", "blocked by the user")

    # Sending one ----------------------------------------------------------------------------

    def _render(
        self, row: OutboxRow, batch_params: dict[str, Any]
    ) -> tuple[str, Rows | None, str | None]:
        """The text, the buttons, and a photo's file id when the message carries one."""
        params = {**batch_params, **row.params}
        # A member's language as it is now; for another chat, the one it was queued in.
        with use_locale(row.language or params.get("locale")):
            text, rows = render(row.template, params)
        return text, rows, params.get("photo")

    async def _send(self, row: OutboxRow) -> Outcome:
        try:
            batch_params = await self._batch_params(row.batch_id)
            text, rows, photo = self._render(row, batch_params)
        except Exception as error:  # a template that cannot render this row: never retried
            log.exception("outbox: cannot render row %s (%s)", row.id, row.template)
            return Outcome(row, error=f"render: {error!r}"[:300], permanent=True)
        kwargs: dict[str, Any] = {}
        if self.paid_broadcast:
            kwargs["allow_paid_broadcast"] = True
        started = time.monotonic()
        try:
            message = await self._deliver(row.chat_id, text, rows, photo, kwargs, row.parts_sent)
        except PartlyDelivered as partial:
            return _failed(row, partial.error, row.parts_sent + partial.sent)
        except TelegramError as error:
            return _failed(row, error, row.parts_sent)
        self._latencies.append(time.monotonic() - started)
        return Outcome(row, message_id=message.message_id)

    async def _deliver(
        self,
        chat_id: int,
        text: str,
        rows: Rows | None,
        photo: str | None,
        kwargs: dict,
        skip: int = 0,
    ) -> Message:
        """Send one rendered message (see :func:`calls_of`), from its call ``skip`` on: the
        calls before went through at an earlier attempt. Returns the last message sent.

        A failure after some of this attempt's calls went through raises
        :class:`PartlyDelivered`, so that the retry resumes after them."""
        calls = calls_of(text, rows, photo)
        # At least the last call goes (its buttons), should the message now render in fewer
        # calls than when it was cut short (a member who changed language meanwhile).
        calls = calls[max(0, min(skip, len(calls) - 1)) :]
        # The first call was paced when the row was chosen; the others wait here.
        for sent, call in enumerate(calls):
            if sent:
                await self._extra_call(chat_id)
            try:
                message = await self._call(chat_id, call, kwargs)
            except TelegramError as error:
                if sent:
                    raise PartlyDelivered(sent, error) from error
                raise
        return message

    async def _call(self, chat_id: int, call: Call, kwargs: dict) -> Message:
        if call.photo:
            return await self.bot.send_photo(
                chat_id,
                call.photo,
                caption=call.text,
                rate_limit_args=OUTBOX_CALL,
                reply_markup=markup(call.rows),
                **kwargs,
            )
        assert call.text is not None
        return await self.bot.send_message(
            chat_id,
            call.text,
            rate_limit_args=OUTBOX_CALL,
            reply_markup=markup(call.rows),
            **kwargs,
        )

    async def _extra_call(self, chat_id: int) -> None:
        """A second part of one message counts toward the overall rate like any send."""
        while (wait := self.pacer.next_free_in()) > 0:  # noqa: ASYNC110 (time refills it)
            await asyncio.sleep(wait)
        self.pacer.record(chat_id)

    async def _batch_params(self, batch_id: int | None) -> dict[str, Any]:
        if batch_id is None or self.progress is None:
            return {}
        return await self.progress.batch_params(batch_id)

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        async with self.db.write() as store:
            await self._write_outcomes(store, outcomes)
        self._after_outcomes(outcomes)

    async def _write_outcomes(self, store: Store, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        now = self.clock.now()
        pause = max((o.retry_after or 0.0 for o in outcomes), default=0.0)
        if pause:
            self.pacer.pause(pause)
            log.warning("outbox: Telegram asked to wait %.1f s", pause)
        await store.outbox.mark_sent(
            [(o.row.id, o.message_id) for o in outcomes if o.message_id is not None], now
        )
        for outcome in outcomes:
            row = outcome.row
            if outcome.message_id is not None:
                continue
            parts = outcome.parts_sent  # kept whatever happens: a retry resumes there
            if outcome.retry_after is not None:
                await store.outbox.requeue(
                    row.id, now, "429", count_attempt=False, parts_sent=parts
                )
            elif outcome.blocked:
                await store.outbox.mark(row.id, "blocked", outcome.error, parts_sent=parts)
                if row.member_id is not None:
                    await store.members.mark_blocked(row.chat_id, now)
                    await store.outbox.block_queued_for(row.member_id)
            # ``row.attempts`` was read before this attempt was claimed (and counted).
            elif outcome.permanent or row.attempts + 1 >= MAX_ATTEMPTS:
                await store.outbox.mark(row.id, "failed", outcome.error, parts_sent=parts)
            else:
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2**row.attempts)
                await store.outbox.requeue(row.id, now + delay, outcome.error, parts_sent=parts)

    def _after_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        if any(o.blocked for o in outcomes):
            blocked = {o.row.member_id for o in outcomes if o.blocked}
            self._buffer = [row for row in self._buffer if row.member_id not in blocked]
        for outcome in outcomes:
            if outcome.row.batch_id is not None and self.progress is not None:
                self.progress.touched(outcome.row.batch_id)

    async def _report_progress(self) -> None:
        if self.progress is not None:
            await self.progress.report(in_flight=bool(self._buffer) or self._in_flight > 0)


async def _nothing() -> list[OutboxRow]:
    return []


def _failed(row: OutboxRow, error: TelegramError, parts_sent: int) -> Outcome:
    """The outcome of a failed send, by Telegram's answer; ``parts_sent``: the calls of the
    message delivered all the same."""
    if isinstance(error, RetryAfter):
        return Outcome(
            row, retry_after=retry_seconds(error.retry_after), error="429", parts_sent=parts_sent
        )
    if isinstance(error, Forbidden):
        return Outcome(row, blocked=True, error=error.message[:300], parts_sent=parts_sent)
    if isinstance(error, BadRequest):
        return Outcome(row, error=error.message[:300], permanent=True, parts_sent=parts_sent)
    return Outcome(
        row, error=f"{type(error).__name__}: {error.message}"[:300], parts_sent=parts_sent
    )
