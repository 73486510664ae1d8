"""The reminder engine (issue 11): :mod:`.engine` queues, :mod:`.sources` says what is due,
:mod:`.checks` drops what lost its reason at send time, :mod:`.upcoming` shows a member what
is coming."""

from bot.services.reminders.engine import LEAD, SWEEP_EVERY, ReminderService, SweepResult

__all__ = ["LEAD", "SWEEP_EVERY", "ReminderService", "SweepResult"]
