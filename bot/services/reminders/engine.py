"""The reminder engine: works out from the database what is due and queues it in the outbox.

Reminders are outbox rows with a not-before time and a dedup key that names the logical
reminder (``rem:<subject>:<id>:<kind>:<occurrence>:<chat>``), so queueing one twice, from a
second sweep, a restart or a change, is a no-op. Nothing lives in memory: the JobQueue only
wakes :meth:`ReminderService.sweep`. docs/reminders.md has the design.

- **Sweep** (at start, then every few minutes): every reminder whose send time falls in
  ``(last sweep, now + LEAD]`` is queued. After downtime the missed span is examined once:
  what is still within its kind's grace goes now (after quiet hours, for the non-urgent);
  what is stale is dropped and logged, as a count per kind.
- **On change**, in the caller's transaction: :meth:`sync_session` for a session created,
  moved or cancelled (its queued rows are withdrawn, the new ones queued).
- **At send time** the sender asks :meth:`screen` which claimed reminder rows have lost their
  reason (filed, declined, checked in, closed, self-assessed) and drops them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.rules import reminders as rules
from bot.rules.reminder_kinds import CATALOGUE, ReminderKind, reminds, spec_of
from bot.services.notifications import NotificationService, Priority, Recipient
from storage import Database
from storage.db import Store
from storage.outbox import OutboxRow
from storage.records import Member

if TYPE_CHECKING:
    from bot.rules.access import Actor
    from bot.services.reminders.upcoming import Upcoming

log = logging.getLogger(__name__)

LEAD = timedelta(minutes=30)  # how far ahead rows are queued; the sweep runs more often
SWEEP_EVERY = timedelta(minutes=10)
LAST_SWEEP_KEY = "reminders.last_sweep"
MAX_GRACE = max(spec.grace for spec in CATALOGUE.values())
TEMPLATE_PREFIX = "reminder."


def template_of(kind: ReminderKind) -> str:
    return f"{TEMPLATE_PREFIX}{kind.value}"


@dataclass
class Due:
    """One reminder for one anchor, to a list of people (``to``: members, or recipients
    with parameters of their own)."""

    planned: rules.Planned
    subject: tuple[str, int]
    anchor: date | datetime
    to: list[Member | Recipient]
    params: dict[str, Any]

    @property
    def kind(self) -> ReminderKind:
        return self.planned.kind

    @property
    def dedup(self) -> str:
        return rules.dedup_key(self.kind, *self.subject, self.planned.occurrence)


@dataclass
class SweepResult:
    queued: Counter[str] = field(default_factory=Counter)
    stale: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.queued.values())


@dataclass(frozen=True)
class Window:
    """Reminders whose send time falls in (since, until] are queued now."""

    since: datetime
    until: datetime
    now: datetime

    def holds(self, moment: datetime) -> bool:
        return self.since < moment <= self.until


class ReminderService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        *,
        quiet: tuple[time, time] = rules.QUIET,
        holidays: Callable[[date], bool] = rules.is_public_holiday,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications
        self.quiet = quiet
        self.holidays = holidays

    @property
    def tz(self):
        return self.clock.tz

    def plan(
        self, kind: ReminderKind, anchor: date | datetime, offsets: list[timedelta] | None = None
    ) -> list[rules.Planned]:
        return rules.plan(
            kind, anchor, self.tz, offsets=offsets, quiet=self.quiet, holidays=self.holidays
        )

    # The sweep --------------------------------------------------------------------------------

    async def sweep(self) -> SweepResult:
        """Queue what falls due in the window since the last sweep; returns the counts."""
        from bot.services.reminders import sources

        now = self.clock.now()
        async with self.db.read() as store:
            last = await store.kv.get(LAST_SWEEP_KEY)
        since = datetime.fromisoformat(last) if last else now - MAX_GRACE
        since = max(since, now - MAX_GRACE)  # nothing older can still be useful
        window = Window(since, now + LEAD, now)
        result = SweepResult()
        for collect in sources.ALL:
            # Read in a snapshot, write in a short transaction: members filing at 08:00 do
            # not wait for the reading. A change in between is caught at send time (screen).
            async with self.db.read() as store:
                dues = await collect(self, store, window)
            if dues:
                async with self.db.write() as store:
                    for due in dues:
                        await self.queue(store, due, window.now, result)
        async with self.db.write() as store:
            await store.kv.set(LAST_SWEEP_KEY, window.until.isoformat())
        for kind, count in sorted(result.stale.items()):
            log.warning("reminders: %s %s reminder(s) too late to be useful, dropped", count, kind)
        if result.total:
            log.info("reminders: %s queued (%s)", result.total, dict(sorted(result.queued.items())))
        return result

    def send_time(self, due: Due, now: datetime) -> datetime | None:
        """When to send: the planned time, or, when that has passed (downtime, a late
        change), now or the end of the quiet hours; None when that is too late (stale)."""
        planned = due.planned
        if planned.send_at > now:
            return planned.send_at
        spec = spec_of(due.kind)
        moment = now if spec.urgent else self.defer(now)
        if rules.is_stale(due.kind, planned.due, moment):
            return None
        if spec.before_anchor and moment >= _limit(due.anchor, self.tz):
            return None
        return moment

    def defer(self, moment: datetime) -> datetime:
        return rules.defer_for_quiet_hours(moment, self.tz, self.quiet, self.holidays)

    async def queue(
        self, store: Store, due: Due, now: datetime, result: SweepResult | None = None
    ) -> int:
        """Queue one reminder to its people, but to those who muted it or are exempt."""
        at = self.send_time(due, now)
        if at is None:
            if result is not None:
                result.stale[due.kind.value] += 1
            return 0
        people = [p for p in due.to if self._reaches(p)]
        if people:
            muted = await store.reminders.muted(
                p.id if isinstance(p, Member) else p.member_id
                for p in people
                if not isinstance(p, Recipient) or p.member_id is not None
            )
            people = [p for p in people if self._wants(due.kind, p, muted)]
        if not people:
            return 0
        spec = spec_of(due.kind)
        params = due.params
        if "days" in params and not isinstance(due.anchor, datetime):
            # From the day it actually goes (late after downtime, or deferred).
            params = {**params, "days": (due.anchor - at.astimezone(self.tz).date()).days}
        queued = await self.notifications.queue(
            store,
            kind="reminder",
            template=template_of(due.kind),
            to=people,
            params=params,
            dedup=due.dedup,
            priority=Priority.ALERT if spec.urgent else Priority.REMINDER,
            not_before=at,
        )
        if result is not None and queued:
            result.queued[due.kind.value] += queued
        return queued

    @staticmethod
    def _reaches(person: Member | Recipient) -> bool:
        return not isinstance(person, Member) or (
            person.telegram_id is not None and person.is_active
        )

    @staticmethod
    def _wants(kind: ReminderKind, person: Member | Recipient, muted: dict[int, set[str]]) -> bool:
        if isinstance(person, Recipient):  # an escalation's own list, or a member's extra
            return reminds(kind, "", muted.get(person.member_id or 0, set()))
        return reminds(kind, person.status, muted.get(person.id, set()))

    # On change ----------------------------------------------------------------------------------

    async def sync_session(self, store: Store, session_id: int) -> int:
        """In the transaction that created, changed or cancelled a session: its queued
        reminders are withdrawn and those due within the lead queued again, with the new
        details (sent ones stay, and their keys keep them from going twice). Reminders whose
        time has already passed are not sent late: the change's own notice (the invitation,
        the change) has just told the invitees."""
        from bot.services.reminders import sources

        now = self.clock.now()
        window = Window(now, now + LEAD, now)
        session = await store.sessions.get(session_id)
        dues = [] if session is None else await sources.session_dues(self, store, window, [session])
        await store.outbox.withdraw_queued(rules.subject_prefix("session", session_id))
        queued = 0
        for due in dues:
            queued += await self.queue(store, due, now)
        return queued

    async def sync_campaign(self, store: Store, campaign_id: int) -> int:
        """In the transaction that changed a campaign's dates or reminder days: its queued
        reminders (keyed on the old dates) are withdrawn, and those now due within the lead
        queued; later ones come with the sweeps."""
        from bot.services.reminders import sources

        now = self.clock.now()
        window = Window(now, now + LEAD, now)
        await store.outbox.withdraw_queued(rules.subject_prefix("campaign", campaign_id))
        queued = 0
        for collect in sources.CAMPAIGN:
            for due in await collect(self, store, window):
                queued += await self.queue(store, due, now)
        return queued

    # At send time -------------------------------------------------------------------------------

    async def screen(self, store: Store, rows: list[OutboxRow]) -> set[int]:
        """The ids of claimed reminder rows whose reason has gone since they were queued."""
        from bot.services.reminders import checks

        return await checks.lapsed(
            store, [r for r in rows if r.template.startswith(TEMPLATE_PREFIX)]
        )

    # Muting -------------------------------------------------------------------------------------

    async def muted(self, member_id: int) -> set[str]:
        async with self.db.read() as store:
            return (await store.reminders.muted([member_id])).get(member_id, set())

    # /reminders: what is coming for one person (bot/services/reminders/upcoming.py) ---------

    async def upcoming(self, actor: Actor, days: int = 30) -> list[Upcoming]:
        from bot.services.reminders import upcoming

        return await upcoming.upcoming(self, actor, days)

    async def mute_choices(self, actor: Actor) -> list[tuple[ReminderKind, bool]]:
        from bot.services.reminders import upcoming

        return await upcoming.mute_choices(self, actor)

    async def set_muted(self, actor: Actor, kind: str, muted: bool) -> bool:
        from bot.services.reminders import upcoming

        return await upcoming.set_muted(self, actor, kind, muted)


def personal(member: Member, params: dict[str, Any]) -> Recipient | None:
    """A member with parameters of their own (their list, their unit), when reachable."""
    if member.telegram_id is None or not member.is_active:
        return None
    return Recipient(member.telegram_id, member.id, params)


def _limit(anchor: date | datetime, tz) -> datetime:
    """From when a before-anchor reminder is pointless: the moment, or the day's end."""
    if isinstance(anchor, datetime):
        return anchor
    return datetime.combine(anchor + timedelta(days=1), time(0, 0), tzinfo=tz)
