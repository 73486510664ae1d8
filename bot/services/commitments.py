"""Commitments: filing, review, versions, the year-end self-assessment and grading,
monitoring and exports.

Every change is one write transaction; notifications go out after it commits. Scope is
always the member's CURRENT primary unit: a member moved mid-year takes their commitment
(and its history) with them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.clock import Clock
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_, format_date, gettext
from bot.parsing import parse_date
from bot.render.documents import PartyDocument, Signature, render_docx, vietnamese_place_date
from bot.render.exports import export_table
from bot.rules.access import MONITORS, Actor, has_role_over, scope_units
from bot.rules.campaigns import in_review_window
from bot.rules.commitments import (
    COMMENT_MAX,
    COMMENT_MIN,
    EVIDENCE_MAX,
    EVIDENCE_MIN,
    GRADE_LABELS,
    HEADING_LABELS,
    MAX_ACTIONS,
    MISSING_LABEL,
    RATING_LABELS,
    STATUS_LABELS,
    ActionDraft,
    Event,
    Grade,
    Rating,
    Status,
    check_complete,
    check_heading,
    check_points,
    check_target_date,
    clean_action_text,
    clean_text,
    headings_for,
    may_change_grade,
    may_edit,
    monitoring_bucket,
    quota_after,
    submission_is_late,
    transition,
)
from bot.services.audit import audit
from bot.services.notifications import Button, NotificationService
from bot.services.organisation import nearest_managers
from storage import Database, Store
from storage.commitments import ActionRecord, CommitmentRecord, GradeRecord, VersionRecord
from storage.records import Campaign, Member, Unit

log = logging.getLogger(__name__)

PLACE_PREFIXES = ("Thành ủy ", "Tỉnh ủy ", "Đảng ủy ", "Quận ủy ", "Huyện ủy ", "Đảng bộ ")


@dataclass(frozen=True)
class CommitmentView:
    """Everything needed to show one commitment the same way to its member and reviewer."""

    campaign: Campaign
    member: Member
    unit: Unit | None  # the member's current primary unit
    commitment: CommitmentRecord | None
    actions: list[ActionRecord]  # the working copy (filing) or the shown version's actions
    versions: list[VersionRecord] = field(default_factory=list)
    version: VersionRecord | None = None  # the version the actions come from, if frozen
    grades: list[GradeRecord] = field(default_factory=list)  # every grade given, first first

    @property
    def status(self) -> Status | None:
        return Status(self.commitment.status) if self.commitment else None

    @property
    def latest(self) -> VersionRecord | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class UnitProgress:
    unit: Unit
    expected: int = 0
    draft: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0
    missing: int = 0
    late: int = 0
    missing_names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    view: CommitmentView
    approved: bool
    by_name: str


def _place_of(root: Unit | None) -> str:
    name = root.name if root else ""
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


class CommitmentService:
    def __init__(self, db: Database, clock: Clock, notifications: NotificationService) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications

    # Helpers -----------------------------------------------------------------------------

    def _me(self, actor: Actor) -> Member:
        if actor.member is None or not actor.is_registered:
            raise AccessDenied(N_("Only registered members have a commitment."))
        return actor.member

    async def _campaign(self, store: Store, year: int | None = None) -> Campaign:
        if year is not None:
            found = await store.campaigns.by_year(year)
            if found is None:
                raise NotFound(N_("There is no campaign for {year}."), year=year)
            return found
        found = await store.campaigns.by_year(self.clock.today().year)
        if found is None:
            every = await store.campaigns.all()
            if not every:
                raise NotFound(N_("No campaign has been set up yet. Please ask the administrator."))
            found = every[0]
        return found

    async def _view(
        self,
        store: Store,
        commitment: CommitmentRecord,
        *,
        working: bool = False,
        version_number: int | None = None,
    ) -> CommitmentView:
        campaign = await store.campaigns.get(commitment.campaign_id)
        member = await store.members.get(commitment.member_id)
        assert campaign is not None and member is not None
        unit = await store.members.primary_unit(member.id)
        versions = await store.commitments.versions(commitment.id)
        version = None
        if not working:
            number = version_number or commitment.approved_version or commitment.last_version
            version = next((v for v in versions if v.number == number), None)
        if version is not None:
            actions = await store.commitments.version_actions(version.id)
        else:
            actions = await store.commitments.actions(commitment.id)
        grades = await store.commitments.grades(commitment.id) if commitment.grade else []
        return CommitmentView(
            campaign, member, unit, commitment, actions, versions, version, grades
        )

    async def _mine_for_update(
        self, store: Store, actor: Actor, *, create: bool = False
    ) -> tuple[Campaign, CommitmentRecord | None]:
        member = self._me(actor)
        campaign = await self._campaign(store)
        commitment = await store.commitments.find(member.id, campaign.id)
        if commitment is None and create:
            unit = await store.members.primary_unit(member.id)
            commitment = await store.commitments.create(
                member.id, campaign.id, unit.id if unit else None
            )
            await audit(
                store,
                actor,
                "commitment.start",
                commitment.id,
                member_id=member.id,
                year=campaign.year,
            )
        return campaign, commitment

    def _editable(self, commitment: CommitmentRecord) -> None:
        if not may_edit(commitment.status):
            transition(commitment.status, Event.EDIT)  # raises the status's own refusal

    async def _own_action(
        self, store: Store, actor: Actor, action_id: int
    ) -> tuple[Campaign, CommitmentRecord, ActionRecord]:
        campaign, commitment = await self._mine_for_update(store, actor)
        action = await store.commitments.action(action_id)
        if commitment is None or action is None or action.owner_id != commitment.id:
            raise NotFound(N_("This action no longer exists."))
        self._editable(commitment)
        return campaign, commitment, action

    async def _scope_check(self, store: Store, actor: Actor, member: Member) -> Unit | None:
        unit = await store.members.primary_unit(member.id)
        if unit is None or not has_role_over(actor, MONITORS, unit):
            raise AccessDenied(N_("This member is not in a unit you oversee."))
        return unit

    async def _others(
        self, store: Store, actor: Actor, commitment_id: int
    ) -> tuple[CommitmentRecord, Member, Unit]:
        """Another member's commitment, in a unit the actor oversees (review and grading)."""
        record = await store.commitments.get(commitment_id)
        if record is None:
            raise NotFound(N_("This commitment no longer exists."))
        member = await store.members.get(record.member_id)
        assert member is not None
        if actor.member is not None and actor.member.id == member.id:
            raise AccessDenied(
                N_("Your own commitment is reviewed by the secretary or the committee above you.")
            )
        unit = await self._scope_check(store, actor, member)
        assert unit is not None
        return record, member, unit

    async def _in_scope(
        self,
        store: Store,
        actor: Actor,
        campaign: Campaign,
        statuses: tuple[str, ...] | None = None,
    ) -> list[CommitmentRecord]:
        """The campaign's commitments in the actor's subtrees, each once, their own left out."""
        seen: set[int] = set()
        found = []
        for path in await self._scope_paths(store, actor):
            for record in await store.commitments.in_subtree(campaign.id, path, statuses):
                if record.id in seen or (actor.member and record.member_id == actor.member.id):
                    continue
                seen.add(record.id)
                found.append(record)
        return found

    async def _roster(
        self, store: Store, campaign: Campaign, paths: list[str | None]
    ) -> list[tuple[Member, Unit, CommitmentRecord | None]]:
        """Every active member under ``paths`` once, in their current primary unit, with
        their commitment for the campaign (None when they have not started one)."""
        seen: set[int] = set()
        roster = []
        for path in paths:
            records = {
                r.member_id: r for r in await store.commitments.in_subtree(campaign.id, path)
            }
            pairs = [
                (member_id, unit_id)
                for member_id, unit_id in await store.commitments.primary_members_in_subtree(path)
                if member_id not in seen
            ]
            members = await store.members.many(m for m, _ in pairs)
            units = await store.units.many(u for _, u in pairs)
            for member_id, unit_id in pairs:
                seen.add(member_id)
                roster.append((members[member_id], units[unit_id], records.get(member_id)))
        return roster

    async def _scope_paths(self, store: Store, actor: Actor) -> list[str | None]:
        tops = scope_units(actor, MONITORS) if actor.is_registered else []
        if actor.is_admin and not tops:
            return [None]
        if not tops:
            raise AccessDenied(N_("Only secretaries and committee members can see this."))
        return [unit.path for unit in tops]

    # Filing ------------------------------------------------------------------------------

    async def filing(self, actor: Actor) -> tuple[Campaign, CommitmentView | None]:
        """The member's commitment for the current campaign (the working copy), if started."""
        async with self.db.read() as store:
            campaign, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                return campaign, None
            return campaign, await self._view(store, commitment, working=True)

    async def add_action(self, actor: Actor, heading: str, text: str) -> ActionRecord:
        member = self._me(actor)
        found = check_heading(heading, member.is_head)
        cleaned = clean_action_text(text)
        async with self.db.write() as store:
            _, commitment = await self._mine_for_update(store, actor, create=True)
            assert commitment is not None
            self._editable(commitment)
            if len(await store.commitments.actions(commitment.id)) >= MAX_ACTIONS:
                raise InvalidInput(
                    N_("A commitment can hold at most {count} actions."), count=MAX_ACTIONS
                )
            return await store.commitments.add_action(commitment.id, found, cleaned, None)

    async def action(self, actor: Actor, action_id: int) -> ActionRecord:
        async with self.db.read() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            return action

    async def set_target(self, actor: Actor, action_id: int, text: str | None) -> ActionRecord:
        """Set (or with ``None`` clear) an action's target date, typed as 25/03/2026."""
        async with self.db.write() as store:
            campaign, _, action = await self._own_action(store, actor, action_id)
            target = None
            if text is not None:
                target = check_target_date(campaign, parse_date(text, default_year=campaign.year))
            await store.commitments.update_action(action.id, target=target)
            await store.commitments.touch(action.owner_id)
            updated = await store.commitments.action(action.id)
        assert updated is not None
        return updated

    async def edit_action(self, actor: Actor, action_id: int, text: str) -> ActionRecord:
        cleaned = clean_action_text(text)
        async with self.db.write() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            await store.commitments.update_action(action.id, text=cleaned)
            await store.commitments.touch(action.owner_id)
            updated = await store.commitments.action(action.id)
        assert updated is not None
        return updated

    async def delete_action(self, actor: Actor, action_id: int) -> None:
        async with self.db.write() as store:
            _, _, action = await self._own_action(store, actor, action_id)
            await store.commitments.delete_action(action.id)
            await store.commitments.touch(action.owner_id)

    async def submit(self, actor: Actor) -> tuple[CommitmentView, VersionRecord]:
        member = self._me(actor)
        today = self.clock.today()
        async with self.db.write() as store:
            campaign, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                raise InvalidInput(N_("Please add at least one action before submitting."))
            next_status = transition(commitment.status, Event.SUBMIT)
            actions = await store.commitments.actions(commitment.id)
            check_complete([ActionDraft(a.heading, a.text) for a in actions], member.is_head)
            unit = await store.members.primary_unit(member.id)
            late = submission_is_late(campaign, today)
            version = await store.commitments.freeze_version(
                commitment,
                unit_id=unit.id if unit else None,
                at=self.clock.now(),
                on=today,
                late=late,
            )
            first_late = late if commitment.last_version == 0 else commitment.late
            if not await store.commitments.set_status(
                commitment.id,
                next_status,
                expect=commitment.status,
                last_version=version.number,
                late=int(first_late),
            ):
                raise Conflict(N_("The commitment changed meanwhile. Please look again."))
            await audit(
                store,
                actor,
                "commitment.submit",
                commitment.id,
                member_id=member.id,
                version=version.number,
                late=late,
                year=campaign.year,
            )
            commitment = await store.commitments.get(commitment.id)
            assert commitment is not None
            view = await self._view(store, commitment, version_number=version.number)
            reviewers = await self._reviewers(store, unit)
        await self._alert_reviewers(reviewers, view)
        return view, version

    async def revise(self, actor: Actor) -> CommitmentView:
        """Open an approved commitment for a new version; the approved one is kept."""
        async with self.db.write() as store:
            _, commitment = await self._mine_for_update(store, actor)
            if commitment is None:
                raise NotFound(N_("You have no commitment for this campaign yet."))
            next_status = transition(commitment.status, Event.REVISE)
            if not await store.commitments.set_status(
                commitment.id, next_status, expect=Status.APPROVED
            ):
                raise Conflict(N_("The commitment changed meanwhile. Please look again."))
            await audit(
                store,
                actor,
                "commitment.revise",
                commitment.id,
                member_id=commitment.member_id,
                approved_version=commitment.approved_version,
            )
            commitment = await store.commitments.get(commitment.id)
            assert commitment is not None
            return await self._view(store, commitment, working=True)

    # Review ------------------------------------------------------------------------------

    async def pending(self, actor: Actor) -> list[CommitmentView]:
        """Submitted commitments in the actor's scope, their own excluded."""
        async with self.db.read() as store:
            return [
                await self._view(store, record, version_number=record.last_version)
                for campaign in await store.campaigns.all()
                for record in await self._in_scope(store, actor, campaign, (Status.SUBMITTED,))
            ]

    async def view_for_reviewer(
        self, actor: Actor, commitment_id: int, version: int | None = None
    ) -> CommitmentView:
        """The commitment for its member or someone overseeing them: ``version``, else the
        approved one, else the latest submitted one, else the working copy."""
        async with self.db.read() as store:
            record = await store.commitments.get(commitment_id)
            if record is None:
                raise NotFound(N_("This commitment no longer exists."))
            member = await store.members.get(record.member_id)
            assert member is not None
            if not (actor.member and actor.member.id == member.id):
                await self._scope_check(store, actor, member)
            return await self._view(store, record, version_number=version)

    async def check_decidable(self, actor: Actor, commitment_id: int, version: int) -> str:
        """Before asking for a return comment: is this still waiting? Returns the name."""
        async with self.db.read() as store:
            _, member = await self._decidable(store, actor, commitment_id, version)
            return member.full_name

    async def _decidable(
        self, store: Store, actor: Actor, commitment_id: int, version: int
    ) -> tuple[CommitmentRecord, Member]:
        record, member, _ = await self._others(store, actor, commitment_id)
        if record.last_version != version or record.status != Status.SUBMITTED:
            shown = await store.commitments.version(record.id, version)
            if shown is not None and shown.decision != "pending":
                message = (
                    N_("This version was already approved by {name}.")
                    if shown.decision == "approved"
                    else N_("This version was already returned by {name}.")
                )
                raise Conflict(message, name=shown.decided_by_name or "—")
            raise Conflict(
                N_("This commitment has changed since this message. Please send /pending again.")
            )
        return record, member

    async def decide(
        self,
        actor: Actor,
        commitment_id: int,
        version: int,
        *,
        approve: bool,
        comment: str | None = None,
    ) -> Decision:
        if not approve:
            comment = clean_text(comment or "", low=COMMENT_MIN, high=COMMENT_MAX)
        by_name = actor.member.full_name if actor.member else gettext("Administrator")
        now = self.clock.now()
        async with self.db.write() as store:
            record, member = await self._decidable(store, actor, commitment_id, version)
            event = Event.APPROVE if approve else Event.RETURN
            next_status = transition(record.status, event)
            shown = await store.commitments.version(record.id, version)
            assert shown is not None
            extra: dict[str, object] = {"approved_version": version} if approve else {}
            if not await store.commitments.set_status(
                record.id, next_status, expect=Status.SUBMITTED, **extra
            ) or not await store.commitments.decide_version(
                shown.id,
                "approved" if approve else "returned",
                by=actor.member.id if actor.member else None,
                by_name=by_name,
                at=now,
                comment=comment,
            ):
                raise Conflict(N_("This commitment has changed. Please send /pending again."))
            await audit(
                store,
                actor,
                "commitment.approve" if approve else "commitment.return",
                record.id,
                version=version,
                member=member.code,
                comment=comment,
            )
            record = await store.commitments.get(record.id)
            assert record is not None
            view = await self._view(store, record, version_number=version)
        await self.notifications.notify(member, _decision_render(view, approve, by_name, comment))
        return Decision(view, approve, by_name)

    async def _reviewers(self, store: Store, unit: Unit | None) -> list[Member]:
        """The secretaries and deputies of the unit, else of the nearest unit above."""
        return [] if unit is None else await nearest_managers(store, unit)

    async def _alert_reviewers(self, reviewers: list[Member], view: CommitmentView) -> None:
        others = [m for m in reviewers if m.id != view.member.id]

        def render() -> tuple[str, None]:
            return (
                gettext(
                    "Comrade {name} has submitted the commitment for {year}. Send /pending "
                    "to review it."
                ).format(name=_html(view.member.full_name), year=view.campaign.year),
                None,
            )

        await self.notifications.notify_all(others, render)

    # The member's own history --------------------------------------------------------------

    async def mine(self, actor: Actor) -> list[CommitmentView]:
        member = self._me(actor)
        async with self.db.read() as store:
            return [
                await self._view(store, record, working=record.last_version == 0)
                for record in await store.commitments.for_member(member.id)
            ]

    # Year-end self-assessment ------------------------------------------------------------

    async def self_review(self, actor: Actor) -> CommitmentView:
        """The version to rate (the approved one, else the latest submitted) in the window."""
        member = self._me(actor)
        today = self.clock.today()
        async with self.db.read() as store:
            campaign = await self._campaign(store)
            if not in_review_window(campaign, today):
                raise Conflict(
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
                raise Conflict(N_("Your year-end review is closed: you have been graded."))
            return await self._view(store, record)

    async def _rateable(self, store: Store, actor: Actor, action_id: int) -> ActionRecord:
        member = self._me(actor)
        action = await store.commitments.version_action(action_id)
        campaign = await self._campaign(store)
        record = await store.commitments.find(member.id, campaign.id)
        if action is None or record is None:
            raise NotFound(N_("This action no longer exists."))
        view = await self._view(store, record)
        if view.version is None or view.version.id != action.owner_id:
            raise Conflict(N_("This list is out of date. Please send /review again."))
        if not in_review_window(campaign, self.clock.today()):
            raise Conflict(N_("The year-end review window is closed."))
        if record.grade is not None:
            raise Conflict(N_("Your year-end review is closed: you have been graded."))
        return action

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

    # Grading -----------------------------------------------------------------------------

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

    async def _gradable_one(
        self, store: Store, actor: Actor, commitment_id: int, revision: int
    ) -> tuple[CommitmentRecord, Member, Unit]:
        """The commitment to grade, when the grade in force is still ``revision`` (0: none)
        and, for a change, the review window has not closed."""
        record, member, unit = await self._others(store, actor, commitment_id)
        if record.approved_version is None:
            raise Conflict(N_("Only an approved commitment can be graded."))
        if record.grade_revision != revision:
            given = await store.commitments.grades(record.id)
            name = given[-1].graded_by_name if given and given[-1].graded_by_name else "—"
            if revision == 0:
                raise Conflict(
                    N_("Comrade {member} was already graded by {name}."),
                    member=member.full_name,
                    name=name,
                )
            raise Conflict(
                N_(
                    "The grade of comrade {member} was changed meanwhile by {name}. "
                    "Please send /grade again."
                ),
                member=member.full_name,
                name=name,
            )
        if revision:
            campaign = await store.campaigns.get(record.campaign_id)
            assert campaign is not None
            if not may_change_grade(campaign, self.clock.today()):
                raise Conflict(
                    N_(
                        "The year-end review for {year} closed on {closes}; the grade can no "
                        "longer be changed."
                    ),
                    year=campaign.year,
                    closes=format_date(campaign.review_closes),
                )
        return record, member, unit

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
                raise Conflict(N_("Someone graded this member meanwhile."))
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

        def render() -> tuple[str, None]:
            label = gettext(GRADE_LABELS[found])
            if previous is None:
                head = gettext("Your year-end grade for {year}: <b>{grade}</b>").format(
                    year=view.campaign.year, grade=label
                )
            else:
                head = gettext(
                    "Your year-end grade for {year} has been changed to <b>{grade}</b> "
                    "(previously: {previous})."
                ).format(
                    year=view.campaign.year, grade=label, previous=gettext(GRADE_LABELS[previous])
                )
            lines = [head]
            if points is not None:
                lines.append(gettext("Points: {points}").format(points=points))
            lines.append(gettext("Comment: {comment}").format(comment=_html(comment)))
            return "\n".join(lines), None

        await self.notifications.notify(member, render)
        return view

    # Monitoring and exports ----------------------------------------------------------------

    async def progress(
        self, actor: Actor | None, year: int | None = None, unit_code: str | None = None
    ) -> tuple[Campaign, list[UnitProgress]]:
        """Per unit of the subtree(s): expected (exempt excluded), each status, missing, late.

        Every member counts once, in their current primary unit.
        """
        counts: dict[int, dict] = {}
        units: dict[int, Unit] = {}
        async with self.db.read() as store:
            campaign = await self._campaign(store, year)
            paths = await self._paths(store, actor, unit_code)
            for member, unit, record in await self._roster(store, campaign, paths):
                if member.status == "exempt":
                    continue
                units[unit.id] = unit
                row = counts.setdefault(unit.id, {"expected": 0, "missing_names": []})
                row["expected"] += 1
                if record is None:
                    row["missing"] = row.get("missing", 0) + 1
                    row["missing_names"].append(member.full_name)
                    continue
                bucket = monitoring_bucket(record.status, record.approved_version)
                row[bucket.value] = row.get(bucket.value, 0) + 1
                if record.late:
                    row["late"] = row.get("late", 0) + 1
        progress = [
            UnitProgress(
                unit=units[unit_id],
                expected=row["expected"],
                draft=row.get("draft", 0),
                submitted=row.get("submitted", 0),
                approved=row.get("approved", 0),
                returned=row.get("returned", 0),
                missing=row.get("missing", 0),
                late=row.get("late", 0),
                missing_names=row["missing_names"],
            )
            for unit_id, row in sorted(counts.items(), key=lambda item: units[item[0]].path)
        ]
        return campaign, progress

    async def _paths(
        self, store: Store, actor: Actor | None, unit_code: str | None
    ) -> list[str | None]:
        if unit_code is not None:
            unit = await store.units.by_code(unit_code)
            if unit is None:
                raise NotFound(N_("No unit has the code '{code}'."), code=unit_code)
            if actor is not None and not has_role_over(actor, MONITORS, unit):
                raise AccessDenied(N_("You do not oversee this unit."))
            return [unit.path]
        if actor is None:
            return [None]
        return await self._scope_paths(store, actor)

    async def export(
        self,
        fmt: str,
        *,
        year: int | None = None,
        unit_code: str | None = None,
        actor: Actor | None = None,
    ) -> tuple[str, bytes]:
        """One row per action with member, unit, heading, text, status, self-rating, grade.

        ``actor`` None is the operator's CLI (everything); a bot user sees their scope.
        Members without a commitment get one row with the status "Not filed".
        """
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput(N_("The format must be csv or xlsx."))
        header = [
            gettext("Year"),
            gettext("Member code"),
            gettext("Member"),
            gettext("Unit"),
            gettext("Heading"),
            gettext("No."),
            gettext("Action"),
            gettext("Target date"),
            gettext("Status"),
            gettext("Late"),
            gettext("Version"),
            gettext("Self-rating"),
            gettext("Evidence"),
            gettext("Grade"),
            gettext("Points"),
        ]
        rows: list[list[object]] = []
        async with self.db.read() as store:
            campaign = await self._campaign(store, year)
            paths = await self._paths(store, actor, unit_code)
            for member, unit, record in await self._roster(store, campaign, paths):
                base = [campaign.year, member.code or "", member.full_name, unit.name]
                if record is None:
                    if member.status != "exempt":
                        rows.append([*base, "", "", "", "", gettext(MISSING_LABEL), *[""] * 6])
                    continue
                view = await self._view(store, record, working=record.last_version == 0)
                status = gettext(
                    STATUS_LABELS[monitoring_bucket(record.status, record.approved_version)]
                )
                grade = gettext(GRADE_LABELS[Grade(record.grade)]) if record.grade else ""
                number = view.version.number if view.version else ""
                counter: dict[str, int] = {}
                if not view.actions:  # started, then every action deleted: still listed
                    rows.append([*base, "", "", "", "", status, *[""] * 6])
                for heading in headings_for(True):
                    for action in [a for a in view.actions if a.heading == heading]:
                        counter[heading] = counter.get(heading, 0) + 1
                        rows.append(
                            [
                                *base,
                                gettext(HEADING_LABELS[heading]),
                                counter[heading],
                                action.text,
                                format_date(action.target_date) if action.target_date else "",
                                status,
                                gettext("Yes") if record.late else "",
                                number,
                                gettext(RATING_LABELS[Rating(action.self_rating)])
                                if action.self_rating
                                else "",
                                action.evidence or "",
                                grade,
                                record.points if record.points is not None else "",
                            ]
                        )
        suffix = unit_code or "all"
        name = f"commitments-{campaign.year}-{suffix}.{fmt}"
        return name, export_table(fmt, header, rows, sheet=f"{campaign.year}")

    async def document(
        self, actor: Actor, commitment_id: int, version: int | None = None
    ) -> tuple[str, bytes]:
        """The printable commitment form (DOCX) for its member or a reviewer above them;
        ``version`` is the one under review (from /pending), else the standing one."""
        view = await self.view_for_reviewer(actor, commitment_id, version)
        async with self.db.read() as store:
            ancestors = await store.units.ancestors(view.unit) if view.unit else []
        return f"cam-ket-{view.campaign.year}-{view.member.code or view.member.id}.docx", (
            render_docx(build_document(view, ancestors, self.clock.today()))
        )


def build_document(view: CommitmentView, ancestors: list[Unit], today: date) -> PartyDocument:
    """The paper form: header, topic, actions by heading, the cell's confirmation."""
    unit = view.unit
    parent = ancestors[-1].name if ancestors else ""
    root = ancestors[0] if ancestors else unit
    member = view.member
    doc = PartyDocument(
        issuing_parent=parent,
        issuing_body=unit.name if unit else "",
        place_date=vietnamese_place_date(_place_of(root), today),
        kind="BẢN CAM KẾT",
        subtitle=(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
            f"năm {view.campaign.year}"
        ),
    )
    doc.paragraph(f"Họ và tên: {member.full_name}")
    if member.position:
        doc.paragraph(f"Chức vụ: {member.position}")
    doc.paragraph(f"Chi bộ: {unit.name if unit else ''}")
    if parent:
        doc.paragraph(f"Đảng bộ: {parent}")
    doc.paragraph(f"Chuyên đề năm {view.campaign.year}: {view.campaign.topic}")
    doc.paragraph("Tôi xin cam kết thực hiện những nội dung sau:")
    vi_headings = {
        "ideology": "Về tư tưởng chính trị",
        "ethics": "Về phẩm chất đạo đức, lối sống",
        "discipline": "Về ý thức tổ chức kỷ luật",
        "tasks": "Về kết quả thực hiện chức trách, nhiệm vụ được giao",
        "example": "Trách nhiệm nêu gương của người đứng đầu",
    }
    for index, heading in enumerate(headings_for(member.is_head), start=1):
        doc.heading(f"{index}. {vi_headings[heading]}")
        actions = [a for a in view.actions if a.heading == heading]
        if not actions:
            doc.italic("(Không có nội dung)")
        for action in actions:
            suffix = (
                f" (thời hạn: {action.target_date.strftime('%d/%m/%Y')})"
                if action.target_date
                else ""
            )
            doc.bullet(action.text + suffix)
    # The confirmation belongs to the version printed: a revision under review is unconfirmed
    # even while an earlier version stands approved.
    approved = view.version if view.version and view.version.decision == "approved" else None
    doc.heading("XÁC NHẬN CỦA CHI BỘ")
    if approved is not None and approved.decided_at is not None:
        doc.paragraph(
            f"Chi bộ đã duyệt bản cam kết ngày {approved.decided_at.strftime('%d/%m/%Y')}"
            + (f" (đồng chí {approved.decided_by_name})." if approved.decided_by_name else ".")
        )
    else:
        doc.italic("(Chưa duyệt)")
    doc.signatures = [
        Signature("T/M CHI BỘ", note="(Ký, ghi rõ họ tên)"),
        Signature("NGƯỜI CAM KẾT", name=member.full_name, note="(Ký, ghi rõ họ tên)"),
    ]
    return doc


def _html(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _decision_render(
    view: CommitmentView, approve: bool, by_name: str, comment: str | None
) -> Callable[[], tuple[str, list[list[Button]] | None]]:
    def render() -> tuple[str, list[list[Button]] | None]:
        if approve:
            return (
                gettext(
                    "Comrade {name}, your commitment for {year} has been approved by comrade {by}."
                ).format(
                    name=_html(view.member.full_name), year=view.campaign.year, by=_html(by_name)
                ),
                None,
            )
        return (
            gettext(
                "Comrade {name}, your commitment for {year} was returned for revision by "
                "comrade {by}.\nComment: <i>{comment}</i>\nSend /commit to revise and "
                "submit it again."
            ).format(
                name=_html(view.member.full_name),
                year=view.campaign.year,
                by=_html(by_name),
                comment=_html(comment or ""),
            ),
            None,
        )

    return render
