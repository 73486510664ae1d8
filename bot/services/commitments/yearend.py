"""The year end: the member's self-assessment (/review) inside the review window. It stays
open until the member's grade is decided. The grading that follows is in :mod:`.grading`
(the cell's proposal) and :mod:`.deciding` (the competent level's decision).
"""

from __future__ import annotations

from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, format_date
from bot.rules.access import Actor
from bot.rules.campaigns import in_review_window
from bot.rules.commitments import (
    EVIDENCE_MAX,
    EVIDENCE_MIN,
    Rating,
    clean_text,
)
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase, CommitmentView
from storage import Store
from storage.commitments import ActionRecord


class ReviewClosed(Conflict):
    """The self-assessment can no longer go on: the window is closed, the member has been
    graded, or the version being rated is not the one in force any more."""


class YearEnd(CommitmentBase):
    # The self-assessment ---------------------------------------------------------------------

    async def self_review(self, actor: Actor) -> CommitmentView:
        """The version to rate (the approved one, else the latest submitted) in the window."""
        member = self._me(actor)
        today = self.clock.today()
        async with self.db.read() as store:
            campaign = await self._campaign(store)
            if not in_review_window(campaign, today):
                raise ReviewClosed(
                    N_("The year-end review for {year} is open from {opens} to {closes}."),
                    year=campaign.year,
                    opens=format_date(campaign.review_opens),
                    closes=format_date(campaign.review_closes),
                )
            record = await store.commitments.find(member.id, campaign.id)
            if record is None or record.last_version == 0:
                raise NotFound(
                    N_("You have no submitted commitment for {year} to review."),
                    year=campaign.year,
                )
            if record.grade is not None:
                raise ReviewClosed(N_("Your year-end review is closed: you have been graded."))
            return await self._view(store, record)

    async def rate(self, actor: Actor, action_id: int, rating: str) -> ActionRecord:
        try:
            found = Rating(rating)
        except ValueError:
            raise InvalidInput(N_("Unknown rating.")) from None
        async with self.db.write() as store:
            action = await self._rateable(store, actor, action_id)
            await store.commitments.rate_action(action.id, rating=found, at=self.clock.now())
            updated = await store.commitments.version_action(action.id)
        assert updated is not None
        return updated

    async def add_evidence(self, actor: Actor, action_id: int, text: str) -> bool:
        """Save the evidence note; True when every action is now rated with evidence."""
        evidence = clean_text(text, low=EVIDENCE_MIN, high=EVIDENCE_MAX)
        async with self.db.write() as store:
            action = await self._rateable(store, actor, action_id)
            if action.self_rating is None:
                raise Conflict(N_("Please choose a rating first."))
            now = self.clock.now()
            await store.commitments.rate_action(action.id, evidence=evidence, at=now)
            actions = await store.commitments.version_actions(action.owner_id)
            complete = all(a.self_rating and a.evidence for a in actions)
            if complete:
                campaign = await self._campaign(store)
                record = await store.commitments.find(self._me(actor).id, campaign.id)
                assert record is not None
                await store.commitments.mark_self_reviewed(record.id, now)
                await audit(
                    store, actor, "commitment.self_review", record.id, member_id=record.member_id
                )
        return complete

    async def _rateable(self, store: Store, actor: Actor, action_id: int) -> ActionRecord:
        member = self._me(actor)
        action = await store.commitments.version_action(action_id)
        campaign = await self._campaign(store)
        record = await store.commitments.find(member.id, campaign.id)
        if action is None or record is None:
            raise NotFound(N_("This action no longer exists."))
        view = await self._view(store, record)
        if view.version is None or view.version.id != action.owner_id:
            raise ReviewClosed(N_("This list is out of date. Please send /review again."))
        if not in_review_window(campaign, self.clock.today()):
            raise ReviewClosed(N_("The year-end review window is closed."))
        if record.grade is not None:
            raise ReviewClosed(N_("Your year-end review is closed: you have been graded."))
        return action
