"""The calendar's reminders to the propaganda board: "day X is in N days, prepare a story".

The reminder engine's ``calendar.day`` kind. One outbox row per board member and
occurrence, dedup key ``calendar:<day>:<year>:<chat>``, queued with a not-before time of
08:00 local, ``remind_days`` before the day, deferred past quiet hours and public holidays
like every non-urgent reminder (none when that would pass the day). The rows are queued
shortly ahead (within :data:`LEAD`) by the engine's sweep and at start, and at once when a
day is added or changed, so a day added late still gets its reminder. The dedup key keeps
a sent reminder from being queued again. A reminder still queued is withdrawn when the day
is removed or changed, or, for the board members it concerns, when a story is attached to
the occurrence: a story of a unit within a member's board scope (the city board's story
for the Party's founding day does not excuse a district board from preparing its own).

Who is reminded: for a day of the whole organisation, every member holding the propaganda
role; for a unit's day, those holding it on that unit or a unit above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from bot.clock import Clock
from bot.rules import calendar as rules
from bot.rules import reminders as reminder_rules
from bot.rules.stories import current_status
from bot.services.notifications import NotificationService, Priority
from storage.calendar import Attachment, CalendarDay
from storage.db import Store
from storage.records import Member

LEAD = timedelta(hours=36)  # how far ahead the rows are queued
CATCH_UP = timedelta(days=2)  # a reminder missed while stopped is still queued (its grace)
IN_EFFECT = frozenset({"scheduled", "sent"})


def in_effect(attachment: Attachment, now: datetime) -> bool:
    """An attached story counts while it is scheduled or sent (a cancelled one, back to a
    draft, no longer prepares the day)."""
    return current_status(attachment.status, attachment.send_at, now) in IN_EFFECT


def prefix(day_id: int) -> str:
    return f"calendar:{day_id}:"


class Reminders:
    def __init__(
        self,
        clock: Clock,
        notifications: NotificationService,
        *,
        quiet: tuple[time, time] = reminder_rules.QUIET,
        holidays: Callable[[date], bool] = reminder_rules.is_public_holiday,
    ) -> None:
        self.clock = clock
        self.notifications = notifications
        self.quiet = quiet  # the engine's: non-urgent reminders wait for the morning
        self.holidays = holidays  # and skip public holidays (Tết)

    async def withdraw(self, store: Store, day_id: int) -> int:
        return await store.outbox.withdraw_queued(prefix(day_id))

    async def sync(
        self, store: Store, days: Iterable[CalendarDay], *, catch_up: bool = False
    ) -> int:
        """Queue the reminders due within :data:`LEAD` for these days, and withdraw those no
        longer wanted. ``catch_up``: also a reminder whose time is long past (a day just
        added or changed, less than ``remind_days`` before it). Returns how many were queued.
        """
        now = self.clock.now()
        tomorrow = self.clock.today() + timedelta(days=1)
        wanted: list[tuple[CalendarDay, date, datetime]] = []
        for day in days:
            on = rules.next_occurrence(day.kind, day.month, day.day, tomorrow)
            if day.removed_at is not None or day.remind_days == 0 or on is None:
                await self.withdraw(store, day.id)
                continue
            planned = reminder_rules.calendar_plan(
                on, day.remind_days, self.clock.tz, quiet=self.quiet, holidays=self.holidays
            )
            if not planned:  # deferred past the day by quiet hours or holidays: none
                await self.withdraw(store, day.id)
                continue
            at = planned[0].send_at
            if at > now + LEAD or (not catch_up and at < now - CATCH_UP):
                await self.withdraw(store, day.id)
                continue
            wanted.append((day, on, at))
        if not wanted:
            return 0
        attached = await store.calendar.attachments((d.id, on.year) for d, on, _ in wanted)
        prepared: dict[tuple[int, int], list[str]] = {}
        for attachment in attached:
            if in_effect(attachment, now):
                key = (attachment.day_id, attachment.year)
                prepared.setdefault(key, []).append(attachment.story_unit_path)
        seats = await store.calendar.board_seats()
        units = await store.units.many({d.unit_id for d, _, _ in wanted if d.unit_id is not None})
        queued = 0
        for day, on, at in wanted:
            year = on.year
            unit = units.get(day.unit_id) if day.unit_id is not None else None
            stories = prepared.get((day.id, year), [])
            members: dict[int, Member] = {}
            covered: set[int] = set()
            for seat in seats:
                if day.unit_id is not None and (
                    unit is None or not unit.path.startswith(seat.unit_path)
                ):
                    continue
                members[seat.member.id] = seat.member
                # A story of this board's units is attached: this board has prepared.
                if any(path.startswith(seat.unit_path) for path in stories):
                    covered.add(seat.member.id)
            to = [m for m in members.values() if m.id not in covered]
            keys = {f"{prefix(day.id)}{year}:{m.telegram_id}" for m in to if m.telegram_id}
            await store.outbox.withdraw_queued(prefix(day.id), keep=keys)
            queued += await self.notifications.queue(
                store,
                kind="reminder",
                template="calendar.reminder",
                to=to,
                params={
                    "day_id": day.id,
                    "name_vi": day.name_vi,
                    "name_en": day.name_en,
                    "on": on.isoformat(),
                    "count": rules.anniversary(day.origin_year, year),
                    "days": (on - max(at, now).astimezone(self.clock.tz).date()).days,
                },
                dedup=f"{prefix(day.id)}{year}",
                priority=Priority.REMINDER,
                not_before=max(at, now),
            )
        return queued
