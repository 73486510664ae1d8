"""The enqueuing side of the outbox: every message to members is queued here, in the same
transaction as the change that causes it ("the session is saved" and "its invitations are
queued" happen together or not at all), and sent later by the paced sender.

A fan-out shares one batch: its parameters are stored once, not per recipient, and whoever
started it can be shown the progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from bot.clock import Clock
from storage.db import Store
from storage.outbox import QueuedMessage
from storage.records import Member

PROGRESS_FROM = 5  # a fan-out to more recipients than this shows its progress


class Priority(IntEnum):
    """Lower goes first."""

    ANSWER = 1  # the answer to something a person is waiting on (a decision on their request)
    ALERT = 3  # something for a secretary to act on
    NOTICE = 5  # invitations, changes, grades
    REMINDER = 6
    BROADCAST = 7  # stories to thousands


@dataclass(frozen=True)
class Recipient:
    """A chat that is not a member's (a group, a channel), or a member's with extra
    parameters of their own."""

    chat_id: int
    member_id: int | None = None
    params: dict[str, Any] | None = None


class Outbox:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        # Set when rows queued by a transaction are committed: the sender looks at once.
        self.wake = asyncio.Event()

    async def queue(
        self,
        store: Store,
        *,
        kind: str,
        template: str,
        to: Iterable[Member | Recipient],
        params: dict[str, Any] | None = None,
        dedup: str | None = None,
        priority: Priority = Priority.NOTICE,
        not_before: datetime | None = None,
        progress_to: tuple[int, str] | None = None,
    ) -> int:
        """Queue one message per recipient; members without a Telegram account are left out.
        Returns how many were queued (see :meth:`queue_batch`).

        ``dedup`` names the logical message (``"session:12:invitation"``): queued twice for
        the same chat, it is kept once. ``progress_to`` is (chat id, locale) of whoever
        should see the progress of a larger fan-out.
        """
        _, queued = await self.queue_batch(
            store,
            kind=kind,
            template=template,
            to=to,
            params=params,
            dedup=dedup,
            priority=priority,
            not_before=not_before,
            progress_to=progress_to,
            always_batch=False,
        )
        return queued

    async def queue_batch(
        self,
        store: Store,
        *,
        kind: str,
        template: str,
        to: Iterable[Member | Recipient],
        params: dict[str, Any] | None = None,
        dedup: str | None = None,
        priority: Priority = Priority.NOTICE,
        not_before: datetime | None = None,
        progress_to: tuple[int, str] | None = None,
        always_batch: bool = True,
    ) -> tuple[int | None, int]:
        """As :meth:`queue`, as one batch even for one recipient (a story's figures are
        counted by its batch); returns (batch id, how many were queued)."""
        now = self.clock.now()
        messages: list[QueuedMessage] = []
        for recipient in to:
            if isinstance(recipient, Recipient):
                chat_id, member_id, extra = recipient.chat_id, recipient.member_id, recipient.params
            else:
                if recipient.telegram_id is None or not recipient.is_active:
                    continue
                chat_id, member_id, extra = recipient.telegram_id, recipient.id, None
            key = f"{dedup}:{chat_id}" if dedup else None
            messages.append(QueuedMessage(chat_id, member_id, extra, key))
        if not messages and not always_batch:
            return None, 0
        batch_id = None
        row_params: dict[str, Any] | None = params
        if len(messages) > 1 or always_batch:
            show = progress_to if progress_to and len(messages) > PROGRESS_FROM else None
            batch_id = await store.outbox.create_batch(
                kind=kind,
                template=template,
                params=params or {},
                progress_chat_id=show[0] if show else None,
                progress_locale=show[1] if show else None,
                now=now,
            )
            row_params = None
        if row_params:
            messages = [
                QueuedMessage(
                    m.chat_id, m.member_id, {**row_params, **(m.params or {})}, m.dedup_key
                )
                for m in messages
            ]
        queued = await store.outbox.enqueue(
            messages,
            kind=kind,
            template=template,
            batch_id=batch_id,
            not_before=not_before or now,
            priority=int(priority),
            now=now,
        )
        store.after_commit(self.wake.set)
        return batch_id, queued
