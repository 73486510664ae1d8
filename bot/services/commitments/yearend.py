"""The year end: the member's self-assessment (/review) inside the review window, then the
grade by whoever oversees them (/grade), which may be changed until the window closes.

Every grade given is kept (``commitment_grades``); the grade in force carries its revision,
and a grade or a change is written only if the revision is still the one the grader saw.
"""

from __future__ import annotations

from functools import partial

from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, format_date, gettext
from bot.render.commitment_notices import grade_notice
from bot.rules.access import Actor
from bot.rules.campaigns import in_review_window
from bot.rules.commitments import (
    COMMENT_MAX,
    COMMENT_MIN,
    EVIDENCE_MAX,
    EVIDENCE_MIN,
    Rating,
    clean_text,
)
from bot.rules.grading import Grade, check_points, may_change_grade, quota_after
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase, CommitmentView
from storage import Store
from storage.commitments import ActionRecord, CommitmentRecord
from storage.records import Member, Unit


class ReviewClosed(Conflict):
    """The self-assessment can no longer go on: the window is closed, the member has been
    graded, or the version being rated is not the one in force any more."""


class GradeClosed(Conflict):
    """The grade a card offers to give or change has moved on (someone graded or changed it
    meanwhile) or may no longer be changed: the card's buttons will never work again."""


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

    # Grading ---------------------------------------------------------------------------------

    async def gradable(
        self, actor: Actor, year: int | None = None, *, graded: bool = False
    ) -> list[CommitmentView]:
        """Approved commitments in scope once the review window has opened: the ungraded
        ones; with ``graded``, the graded ones whose grade may still be changed."""
        async with self.db.read() as store:
            campaign = await self._campaign(store, year)
            today = self.clock.today()
            if today < campaign.review_opens:
                raise Conflict(
                    N_("Grading for {year} opens on {opens}."),
                    year=campaign.year,
                    opens=format_date(campaign.review_opens),
                )
            if graded and not may_change_grade(campaign, today):
                return []
            return [
                await self._view(store, record)
                for record in await self._in_scope(store, actor, campaign)
                if record.approved_version is not None and (record.grade is not None) == graded
            ]

    async def grade_warning(
        self, actor: Actor, commitment_id: int, grade: str, revision: int = 0
    ) -> bool:
        """Whether this grade would make "excellent" more than 20% of "good" in the unit."""
        found = Grade(grade)
        async with self.db.read() as store:
            record, _, unit = await self._gradable_one(store, actor, commitment_id, revision)
            grades = await store.commitments.grades_in_unit(record.campaign_id, unit.id)
        return quota_after(grades, found, replacing=record.grade)

    async def grade(
        self,
        actor: Actor,
        commitment_id: int,
        grade: str,
        *,
        points: int | None,
        comment: str,
        revision: int = 0,
    ) -> CommitmentView:
        """Grade a member (``revision`` 0), or change the grade in force, ``revision``, until
        the review window closes. Every grade given is kept; the member is told."""
        try:
            found = Grade(grade)
        except ValueError:
            raise InvalidInput(N_("Unknown grade.")) from None
        points = check_points(found, points)
        comment = clean_text(comment, low=COMMENT_MIN, high=COMMENT_MAX)
        by_name = actor.member.full_name if actor.member else gettext("Administrator")
        async with self.db.write() as store:
            record, member, _ = await self._gradable_one(store, actor, commitment_id, revision)
            previous = Grade(record.grade) if record.grade else None
            if not await store.commitments.set_grade(
                record.id,
                grade=found,
                points=points,
                comment=comment,
                graded_by=actor.member.id if actor.member else None,
                graded_by_name=by_name,
                at=self.clock.now(),
                expect_revision=revision,
            ):
                raise GradeClosed(N_("Someone graded this member meanwhile."))
            await audit(
                store,
                actor,
                "commitment.regrade" if previous else "commitment.grade",
                record.id,
                grade=str(found),
                points=points,
                member=member.code,
                previous=str(previous) if previous else None,
                revision=revision + 1,
            )
            record = await store.commitments.get(record.id)
            assert record is not None
            view = await self._view(store, record)
        notice = partial(
            grade_notice,
            view.campaign.year,
            found,
            previous=previous,
            points=points,
            comment=comment,
        )
        await self.notifications.notify(member, notice)
        return view

    async def _gradable_one(
        self, store: Store, actor: Actor, commitment_id: int, revision: int
    ) -> tuple[CommitmentRecord, Member, Unit]:
        """The commitment to grade, once the review window has opened, when the grade in
        force is still ``revision`` (0: none) and, for a change, the window has not closed."""
        record, member, unit = await self._others(store, actor, commitment_id)
        if record.approved_version is None:
            raise Conflict(N_("Only an approved commitment can be graded."))
        campaign = await store.campaigns.get(record.campaign_id)
        assert campaign is not None
        if self.clock.today() < campaign.review_opens:
            # /grade shows no card before then; the rule holds whatever the caller.
            raise Conflict(
                N_("Grading for {year} opens on {opens}."),
                year=campaign.year,
                opens=format_date(campaign.review_opens),
            )
        if record.grade_revision != revision:
            given = await store.commitments.grades(record.id)
            name = given[-1].graded_by_name if given and given[-1].graded_by_name else "—"
            if revision == 0:
                raise GradeClosed(
                    N_("Comrade {member} was already graded by {name}."),
                    member=member.full_name,
                    name=name,
                )
            raise GradeClosed(
                N_(
                    "The grade of comrade {member} was changed meanwhile by {name}. "
                    "Please send /grade again."
                ),
                member=member.full_name,
                name=name,
            )
        if revision and not may_change_grade(campaign, self.clock.today()):
            raise GradeClosed(
                N_(
                    "The year-end review for {year} closed on {closes}; the grade can no "
                    "longer be changed."
                ),
                year=campaign.year,
                closes=format_date(campaign.review_closes),
            )
        return record, member, unit
