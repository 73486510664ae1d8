"""The one door for every message to members that is not a direct reply.

It queues: :class:`bot.delivery.outbox.Outbox`, in the caller's write transaction, so a
change and the messages it causes are saved together or not at all. The paced sender
(``bot/delivery/sender.py``) delivers them, in each recipient's language at send time.
"""

from __future__ import annotations

from bot.delivery import Outbox, Priority, Recipient


class NotificationService(Outbox):
    """The services' name for the outbox's enqueuing side."""


__all__ = ["NotificationService", "Priority", "Recipient"]
