"""The delivery engine: every message to members is queued in the outbox (in the caller's
transaction) and sent by the paced sender. See ``docs/delivery.md``."""

from bot.delivery import notices as _notices  # noqa: F401  (registers the templates)
from bot.delivery import reminder_notices as _reminders  # noqa: F401  (and the reminders')
from bot.delivery.outbox import Outbox, Priority, Recipient

__all__ = ["Outbox", "Priority", "Recipient"]
