"""The commemorative calendar: the days coming up for each member, the board's own days, the
stories prepared for a day, and the reminders that tell the board to prepare one.

Who sees a day: everyone sees the organisation-wide days (the national days, seeded by the
migration); a unit's own day (a sector's founding day) is seen by the members of that unit
and of the units below it, and by the boards above it. Administrators see every day.

Who changes a day: a unit's day, the propaganda board of that unit or above it (as for
stories), and administrators; an organisation-wide day (the seeded ones), administrators.

Reminders (:mod:`bot.services.calendar_reminders`) are rows in the outbox, queued in the
transaction of the change that calls for them, so they survive restarts and are sent once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.rules import calendar as rules
from bot.rules.access import Actor, Role, has_role_over, scope_units
from bot.rules.reminders import QUIET
from bot.rules.stories import current_status
from bot.services.audit import audit
from bot.services.calendar_reminders import Reminders
from bot.services.notifications import NotificationService
from bot.services.stories import StoryService
from storage import Database
from storage.calendar import Attachment, CalendarDay
from storage.db import Store
from storage.records import Unit
from storage.stories import StoryRecord

BOARD = frozenset({Role.PROPAGANDA})
LIST_SIZE = 8
CANDIDATES = 20
MORNING = time(7, 0)  # a draft attached to a day is scheduled for 07:00 on the day


@dataclass(frozen=True)
class Occurrence:
    """A day as it falls next: the date, the years it marks, the stories prepared for it."""

    day: CalendarDay
    on: date
    count: int | None
    days_left: int
    unit: Unit | None  # None: the whole organisation
    stories: tuple[Attachment, ...] = ()
    manageable: bool = False

    @property
    def is_round(self) -> bool:
        return rules.is_round(self.count)


@dataclass(frozen=True)
class AddChoices:
    """Where the actor may add a day: for the whole organisation, and/or these units."""

    organisation: bool
    units: list[Unit] = field(default_factory=list)


@dataclass(frozen=True)
class AttachPlan:
    day: CalendarDay
    on: date
    story: StoryRecord
    status: str  # the story's: scheduled or draft
    schedule_at: datetime | None  # a draft: the time it would be scheduled for
    attached: bool = False  # after attaching: whether it was new


@dataclass(frozen=True)
class _Scope:
    """The units that place an actor: where they are members, and where they hold the board."""

    member_units: tuple[Unit, ...]
    board_units: tuple[Unit, ...]

    def sees_unit_day(self, unit: Unit) -> bool:
        return any(unit.contains(u) for u in (*self.member_units, *self.board_units)) or any(
            board.contains(unit) for board in self.board_units
        )

    def sees_story(self, attachment: Attachment) -> bool:
        """The board sees the stories of its own units (their status is its business)."""
        return any(attachment.story_unit_path.startswith(b.path) for b in self.board_units)


class CalendarService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        stories: StoryService,
        *,
        quiet: tuple[time, time] = QUIET,
    ) -> None:
        self.db = db
        self.clock = clock
        self.stories = stories
        self.reminders = Reminders(clock, notifications, quiet=quiet)

    # Scope and permissions --------------------------------------------------------------------

    @staticmethod
    def _scope(actor: Actor) -> _Scope:
        boards = tuple(g.unit for g in actor.grants if Role(g.role) in BOARD)
        return _Scope(tuple(actor.units), boards if actor.is_registered else ())

    @staticmethod
    def is_board(actor: Actor) -> bool:
        """Whether the actor may prepare for days at all (the board, or an administrator)."""
        return actor.is_admin or (
            actor.is_registered and any(Role(g.role) in BOARD for g in actor.grants)
        )

    def _visible(self, actor: Actor, day: CalendarDay, unit: Unit | None) -> bool:
        if day.organisation_wide or actor.is_admin:
            return True
        return unit is not None and self._scope(actor).sees_unit_day(unit)

    def _may_manage(self, actor: Actor, day: CalendarDay, unit: Unit | None) -> bool:
        if day.organisation_wide:
            return actor.is_admin
        return unit is not None and has_role_over(actor, BOARD, unit)

    def _check_manage(self, actor: Actor, day: CalendarDay, unit: Unit | None) -> None:
        if self._may_manage(actor, day, unit):
            return
        self._check_place(actor, None if day.organisation_wide else unit)

    @staticmethod
    def _check_place(actor: Actor, unit: Unit | None) -> None:
        """May the actor have days of ``unit`` (None: of the whole organisation)?"""
        if actor.is_admin or (unit is not None and has_role_over(actor, BOARD, unit)):
            return
        if unit is None:
            raise AccessDenied(
                N_(
                    "Only an administrator can change the days of the whole organisation. "
                    "Send /calendar to see the days."
                )
            )
        raise AccessDenied(
            N_("Only the propaganda board of {unit} (or above) can change this day."),
            unit=unit.name,
        )

    async def _day(
        self, store: Store, actor: Actor, day_id: int
    ) -> tuple[CalendarDay, Unit | None]:
        """A day the actor can see, with its unit; a removed one is not found."""
        day = await store.calendar.get(day_id)
        unit = await store.units.get(day.unit_id) if day and day.unit_id is not None else None
        if day is None or day.removed_at is not None or not self._visible(actor, day, unit):
            raise NotFound(
                N_("There is no day {id} in your calendar. Send /calendar to see the days."),
                id=day_id,
            )
        return day, unit

    # Reading ----------------------------------------------------------------------------------

    async def upcoming(
        self, actor: Actor, count: int = LIST_SIZE, within: int | None = None
    ) -> list[Occurrence]:
        """The next ``count`` days the actor sees (those within ``within`` days, if given),
        soonest first, each with the stories prepared for it that concern the actor."""
        today = self.clock.today()
        async with self.db.read() as store:
            days = await store.calendar.active()
            units = await store.units.many({d.unit_id for d in days if d.unit_id is not None})
            found: list[Occurrence] = []
            for day in days:
                unit = units.get(day.unit_id) if day.unit_id is not None else None
                if not day.organisation_wide and unit is None:
                    continue
                if not self._visible(actor, day, unit):
                    continue
                on = rules.next_occurrence(day.kind, day.month, day.day, today)
                if on is None or (within is not None and (on - today).days > within):
                    continue
                found.append(
                    Occurrence(
                        day=day,
                        on=on,
                        count=rules.anniversary(day.origin_year, on.year),
                        days_left=(on - today).days,
                        unit=unit,
                        manageable=self._may_manage(actor, day, unit),
                    )
                )
            found.sort(key=lambda o: (o.on, o.unit is not None, o.day.id))
            found = found[:count]
            attached = await store.calendar.attachments((o.day.id, o.on.year) for o in found)
        return [self._with_stories(actor, o, attached) for o in found]

    def _with_stories(
        self, actor: Actor, occurrence: Occurrence, attached: Iterable[Attachment]
    ) -> Occurrence:
        scope = self._scope(actor)
        mine = tuple(
            a
            for a in attached
            if a.day_id == occurrence.day.id
            and a.year == occurrence.on.year
            and (actor.is_admin or scope.sees_story(a))
        )
        return Occurrence(
            occurrence.day,
            occurrence.on,
            occurrence.count,
            occurrence.days_left,
            occurrence.unit,
            mine,
            occurrence.manageable,
        )

    def story_status(self, attachment: Attachment) -> str:
        """An attached story's status now (a scheduled one whose time has come is sent)."""
        return current_status(attachment.status, attachment.send_at, self.clock.now())

    async def get(self, actor: Actor, day_id: int) -> Occurrence:
        """One day the actor can see, as it falls next."""
        today = self.clock.today()
        async with self.db.read() as store:
            day, unit = await self._day(store, actor, day_id)
            on = rules.next_occurrence(day.kind, day.month, day.day, today) or today
            attached = await store.calendar.attachments([(day.id, on.year)])
        occurrence = Occurrence(
            day,
            on,
            rules.anniversary(day.origin_year, on.year),
            (on - today).days,
            unit,
            manageable=self._may_manage(actor, day, unit),
        )
        return self._with_stories(actor, occurrence, attached)

    async def managed(self, actor: Actor, day_id: int) -> Occurrence:
        """A day the actor may change (for the edit and remove steps)."""
        occurrence = await self.get(actor, day_id)
        self._check_manage(actor, occurrence.day, occurrence.unit)
        return occurrence

    # The board's days -------------------------------------------------------------------------

    def add_choices(self, actor: Actor) -> AddChoices:
        """Where the actor may add a day; AccessDenied when nowhere."""
        units = scope_units(actor, BOARD) if actor.is_registered else []
        if not units and not actor.is_admin:
            raise AccessDenied(
                N_(
                    "Only the propaganda board can add a day to the calendar. "
                    "Send /calendar to see the days."
                )
            )
        return AddChoices(actor.is_admin, units)

    async def add(
        self,
        actor: Actor,
        *,
        unit_id: int | None,
        name_vi: str,
        day: int,
        month: int,
        name_en: str = "",
        origin_year: int | None = None,
        remind_days: int = rules.REMIND_DEFAULT,
    ) -> CalendarDay:
        """A solar day for a unit (or, ``unit_id=None``, for the whole organisation); its
        reminders are queued at once."""
        clean_vi = rules.clean_name(name_vi)
        clean_en = rules.clean_name(name_en, required=False)
        rules.check_solar_date(day, month)
        origin = rules.check_origin_year(origin_year, self.clock.today().year)
        remind = rules.check_remind_days(remind_days)
        async with self.db.write() as store:
            unit = None
            if unit_id is not None:
                unit = await store.units.get(unit_id)
                if unit is None:
                    raise NotFound(N_("This unit no longer exists."))
            self._check_place(actor, unit)
            for other in await store.calendar.active():
                if (other.unit_id, other.month, other.day, other.name_vi.casefold()) == (
                    unit_id,
                    month,
                    day,
                    clean_vi.casefold(),
                ):
                    raise Conflict(
                        N_("This day is already in the calendar as day {id}."), id=other.id
                    )
            created = await store.calendar.create(
                name_vi=clean_vi,
                name_en=clean_en,
                month=month,
                day=day,
                origin_year=origin,
                unit_id=unit_id,
                remind_days=remind,
                created_by=actor.member.id if actor.member else None,
                now=self.clock.now(),
            )
            await self.reminders.sync(store, [created], catch_up=True)
            await audit(
                store,
                actor,
                "calendar.add",
                created.id,
                unit=unit.code if unit else "*",
                date=f"{day:02d}/{month:02d}",
            )
        return created

    async def edit(self, actor: Actor, day_id: int, **changes: object) -> CalendarDay:
        """Change a day's names, date (solar days only), year of origin or reminder; its
        queued reminders are withdrawn and queued again as they now should be."""
        today = self.clock.today()
        fields: dict[str, object] = {}
        if "name_vi" in changes:
            fields["name_vi"] = rules.clean_name(str(changes["name_vi"]))
        if "name_en" in changes:
            fields["name_en"] = rules.clean_name(str(changes["name_en"]), required=False)
        if "date" in changes:
            day_month = changes["date"]
            if not isinstance(day_month, tuple) or len(day_month) != 2:
                raise InvalidInput(N_("Please send the day and month, like 03/02."))
            fields["day"], fields["month"] = rules.check_solar_date(*day_month)
        if "origin_year" in changes:
            origin = changes["origin_year"]
            fields["origin_year"] = rules.check_origin_year(
                origin if isinstance(origin, int) else None, today.year
            )
        if "remind_days" in changes:
            fields["remind_days"] = rules.check_remind_days(int(changes["remind_days"]))  # type: ignore[call-overload]
        if not fields:
            raise InvalidInput(N_("Nothing to change."))
        async with self.db.write() as store:
            day, unit = await self._day(store, actor, day_id)
            self._check_manage(actor, day, unit)
            if "day" in fields and day.kind != rules.DayKind.SOLAR:
                raise InvalidInput(
                    N_("{name} follows the lunar calendar: its date is not changed by hand."),
                    name=day.name_vi,
                )
            await store.calendar.update(day.id, self.clock.now(), **fields)
            changed = await store.calendar.get(day.id)
            assert changed is not None
            await self.reminders.withdraw(store, day.id)
            await self.reminders.sync(store, [changed], catch_up=True)
            await audit(store, actor, "calendar.edit", day.id, fields=",".join(sorted(fields)))
        return changed

    async def remove(self, actor: Actor, day_id: int) -> CalendarDay:
        """Take a day off the calendar (kept, marked removed: a seeded day stays removed);
        its queued reminders are withdrawn."""
        async with self.db.write() as store:
            day, unit = await self._day(store, actor, day_id)
            self._check_manage(actor, day, unit)
            await store.calendar.remove(day.id, self.clock.now())
            withdrawn = await self.reminders.withdraw(store, day.id)
            await audit(store, actor, "calendar.remove", day.id, withdrawn=withdrawn)
        return day

    # Stories for a day ------------------------------------------------------------------------

    async def plan_attach(
        self, actor: Actor, day_id: int, story_id: int, year: int | None = None
    ) -> AttachPlan:
        """What attaching the story to the day's occurrence (the next one, or ``year``'s)
        would do. The story must be the board's (in its scope) and scheduled to go out by
        the day; a draft would be scheduled for the morning of the day."""
        if not self.is_board(actor):
            raise AccessDenied(
                N_(
                    "Only the propaganda board can attach a story to a day. "
                    "Send /calendar to see the days."
                )
            )
        today = self.clock.today()
        async with self.db.read() as store:
            day, _ = await self._day(store, actor, day_id)
        if year is None:
            on = rules.next_occurrence(day.kind, day.month, day.day, today)
        else:
            on = rules.occurrence_in(day.kind, day.month, day.day, year)
        if on is None or on < today:
            raise InvalidInput(N_("That day has passed this year. Attach a story to a day ahead."))
        story, _ = await self.stories.get(actor, story_id)
        status = self.stories.status(story)
        schedule_at = None
        if status == "scheduled":
            assert story.send_at is not None
            if story.send_at.astimezone(self.clock.tz).date() > on:
                raise InvalidInput(
                    N_(
                        "Story {id} is scheduled after the day ({date}). Schedule it for the day "
                        "or before, then attach it."
                    ),
                    id=story.id,
                    date=f"{on:%d/%m/%Y}",
                )
        elif status == "draft":
            schedule_at = datetime.combine(on, MORNING, tzinfo=self.clock.tz)
            if schedule_at <= self.clock.now():
                raise InvalidInput(
                    N_(
                        "The morning of {date} has passed, so story {id} cannot be scheduled "
                        "for it. Send the story now instead."
                    ),
                    id=story.id,
                    date=f"{on:%d/%m/%Y}",
                )
        else:
            raise Conflict(
                N_(
                    "Story {id} has been sent or cancelled. Attach a scheduled story, or a draft "
                    "(it is then scheduled for the morning of the day)."
                ),
                id=story.id,
            )
        return AttachPlan(day, on, story, status, schedule_at)

    async def attach_story(
        self,
        actor: Actor,
        day_id: int,
        story_id: int,
        year: int | None = None,
        *,
        schedule_draft: bool = False,
    ) -> AttachPlan:
        """Attach a scheduled story to the day's occurrence; a draft only with
        ``schedule_draft``, which schedules it for the morning of the day first. The board
        members the story covers are no longer reminded of the occurrence."""
        plan = await self.plan_attach(actor, day_id, story_id, year)
        story = plan.story
        if plan.schedule_at is not None:
            if not schedule_draft:
                raise Conflict(
                    N_("Story {id} is a draft: confirm to schedule it for the day."), id=story.id
                )
            # The story service's own transaction; what follows only adds the link, so a
            # failure there leaves a scheduled story, which the board can attach again.
            story = await self.stories.schedule(actor, story.id, plan.schedule_at)
        async with self.db.write() as store:
            day, _ = await self._day(store, actor, day_id)
            new = await store.calendar.attach(
                day.id,
                plan.on.year,
                story.id,
                actor.member.id if actor.member else None,
                self.clock.now(),
            )
            await self.reminders.sync(store, [day])
            await audit(store, actor, "calendar.attach", day.id, story=story.id, year=plan.on.year)
        return AttachPlan(day, plan.on, story, plan.status, plan.schedule_at, attached=new)

    # Reminders --------------------------------------------------------------------------------

    async def queue_reminders(self) -> int:
        """Bring every day's reminders in line with the calendar, the boards and the stories
        prepared (at start and daily): missing ones are queued, stale ones withdrawn. Returns
        how many were queued; running it twice queues nothing the second time."""
        async with self.db.write() as store:
            return await self.reminders.sync(store, await store.calendar.active())

    async def candidates(self, actor: Actor, day_id: int) -> tuple[Occurrence, list[StoryRecord]]:
        """The board's stories that may be attached to the day's next occurrence: drafts,
        and stories scheduled to go out by the day."""
        occurrence = await self.get(actor, day_id)
        if not self.is_board(actor):
            raise AccessDenied(
                N_(
                    "Only the propaganda board can attach a story to a day. "
                    "Send /calendar to see the days."
                )
            )
        attached = {a.story_id for a in occurrence.stories}
        found = []
        for story in await self.stories.list(actor, limit=CANDIDATES):
            status = self.stories.status(story)
            if story.id in attached or status not in ("draft", "scheduled"):
                continue
            late = story.send_at and story.send_at.astimezone(self.clock.tz).date() > occurrence.on
            if status == "scheduled" and late:
                continue
            found.append(story)
        return occurrence, found
