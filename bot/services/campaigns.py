"""Creating, editing and finding the yearly campaigns."""

from __future__ import annotations

from datetime import date

from bot.clock import Clock
from bot.errors import Conflict, NotFound
from bot.i18n import N_
from bot.rules.campaigns import default_campaign, validate_campaign, with_changes
from bot.services.reminders import ReminderService
from storage import Database
from storage.records import Campaign


class CampaignService:
    def __init__(
        self, db: Database, clock: Clock, reminders: ReminderService | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.reminders = reminders  # the campaign's reminders follow its dates

    async def create(
        self,
        *,
        year: int,
        topic: str,
        actor: str,
        commit_deadline: date | None = None,
        study_deadline: date | None = None,
        review_opens: date | None = None,
        review_closes: date | None = None,
        commit_reminder_days: tuple[int, ...] | None = None,
    ) -> Campaign:
        campaign = with_changes(
            default_campaign(year, topic),
            commit_deadline=commit_deadline,
            study_deadline=study_deadline,
            review_opens=review_opens,
            review_closes=review_closes,
            commit_reminder_days=commit_reminder_days,
        )
        async with self.db.write() as store:
            if await store.campaigns.by_year(year) is not None:
                raise Conflict(
                    N_("A campaign for {year} already exists. Edit it instead."), year=year
                )
            created = await store.campaigns.create(validate_campaign(campaign))
            await store.audit.record(
                actor=actor,
                action="campaign.create",
                target=str(year),
                detail={"topic": created.topic},
            )
        return created

    async def edit(self, *, year: int, actor: str, **changes: object) -> Campaign:
        async with self.db.write() as store:
            current = await store.campaigns.by_year(year)
            if current is None:
                raise NotFound(N_("There is no campaign for {year}."), year=year)
            updated = await store.campaigns.update(with_changes(current, **changes))
            if self.reminders is not None and updated != current:
                await self.reminders.sync_campaign(store, updated.id)
            await store.audit.record(
                actor=actor,
                action="campaign.edit",
                target=str(year),
                detail={k: str(v) for k, v in changes.items() if v is not None},
            )
        return updated

    async def all(self) -> list[Campaign]:
        async with self.db.read() as store:
            return await store.campaigns.all()

    async def for_year(self, year: int) -> Campaign | None:
        async with self.db.read() as store:
            return await store.campaigns.by_year(year)

    async def current(self) -> Campaign | None:
        """This year's campaign, else the most recent one."""
        async with self.db.read() as store:
            found = await store.campaigns.by_year(self.clock.today().year)
            if found is not None:
                return found
            every = await store.campaigns.all()
        return every[0] if every else None
