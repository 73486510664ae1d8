"""What every part of the commitment service shares: the view of one commitment, finding
the campaign, and the scope checks.

Scope is always the member's CURRENT primary unit: a member moved mid-year takes their
commitment (and its history) with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.errors import AccessDenied, NotFound
from bot.i18n import N_
from bot.rules.access import MONITORS, Actor, has_role_over, scope_units
from bot.rules.commitments import Status
from bot.services.audit import audit
from bot.services.notifications import NotificationService
from storage import Database, Store
from storage.commitments import ActionRecord, CommitmentRecord, GradeRecord, VersionRecord
from storage.records import Campaign, Member, Unit


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


class CommitmentBase:
    """The state and helpers the parts (filing, review, year end, monitoring) build on."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifications: NotificationService,
        locality: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifications = notifications
        self.locality = locality  # the configured place of documents; None: the root's

    # Who and which campaign ----------------------------------------------------------------

    def _me(self, actor: Actor) -> Member:
        if actor.member is None or not actor.is_registered:
            raise AccessDenied(N_("Only registered members have a commitment."))
        return actor.member

    async def _campaign(self, store: Store, year: int | None = None) -> Campaign:
        """The campaign of ``year``; without one, this year's, else the latest there is."""
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

    async def _mine_for_update(
        self, store: Store, actor: Actor, *, create: bool = False
    ) -> tuple[Campaign, CommitmentRecord | None]:
        """The actor's own commitment for the current campaign (started when ``create``)."""
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

    # Views ---------------------------------------------------------------------------------

    async def _view(
        self,
        store: Store,
        commitment: CommitmentRecord,
        *,
        working: bool = False,
        version_number: int | None = None,
    ) -> CommitmentView:
        """The commitment with the actions of ``version_number``, else of the approved
        version, else of the latest one; with ``working``, of the working copy."""
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

    async def _audit_refusal(
        self, actor: Actor, action: str, target: object, **detail: object
    ) -> None:
        """Record a refusal in a transaction of its own (the one it happened in is rolled
        back)."""
        async with self.db.write() as store:
            await audit(store, actor, action, target, outcome="denied", **detail)

    # Scope ---------------------------------------------------------------------------------

    async def _scope_check(self, store: Store, actor: Actor, member: Member) -> Unit | None:
        unit = await store.members.primary_unit(member.id)
        if unit is None or not has_role_over(actor, MONITORS, unit):
            raise AccessDenied(N_("This member is not in a unit you oversee."))
        return unit

    async def _someone_elses(
        self, store: Store, actor: Actor, commitment_id: int
    ) -> tuple[CommitmentRecord, Member]:
        """A commitment and its member, refused when it is gone or is the actor's own."""
        record = await store.commitments.get(commitment_id)
        if record is None:
            raise NotFound(N_("This commitment no longer exists."))
        member = await store.members.get(record.member_id)
        assert member is not None
        if actor.member is not None and actor.member.id == member.id:
            raise AccessDenied(
                N_("Your own commitment is reviewed by the secretary or the committee above you.")
            )
        return record, member

    async def _others(
        self, store: Store, actor: Actor, commitment_id: int
    ) -> tuple[CommitmentRecord, Member, Unit]:
        """Another member's commitment, in a unit the actor oversees (review and grading)."""
        record, member = await self._someone_elses(store, actor, commitment_id)
        unit = await self._scope_check(store, actor, member)
        assert unit is not None
        return record, member, unit

    async def _scope_paths(self, store: Store, actor: Actor) -> list[str | None]:
        """The paths of the subtrees the actor oversees; [None] (everything) for an admin
        without a unit of their own."""
        tops = scope_units(actor, MONITORS) if actor.is_registered else []
        if actor.is_admin and not tops:
            return [None]
        if not tops:
            raise AccessDenied(N_("Only secretaries and committee members can see this."))
        return [unit.path for unit in tops]

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
