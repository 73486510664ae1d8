"""Year-end grading at the cell (/grade): the cell's appraisal and proposal (đề xuất), with
the 100-point score and a comment; and the comment of the cell where a temporarily attached
member attends.

A proposal is never told to the member. Where the cell sits under a grassroots committee,
that committee decides (:mod:`.deciding`); a grassroots cell decides itself, so there its
proposal is the decision, refused when it would break the 20% rule, and the member is told.
Every proposal is kept (``grade_proposals``); a proposal, like a decision, is written only
if the one in force is still the one the grader saw.
"""

from __future__ import annotations

from bot.delivery.notices import grade_params
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from bot.i18n import N_, format_date, gettext
from bot.rules.access import MONITORS, Actor, has_role_over
from bot.rules.campaigns import in_review_window
from bot.rules.grading import (
    TEMPORARY,
    Grade,
    Tally,
    breaks_cap,
    check_points,
    clean_comment,
    may_change_grade,
    tally_after,
)
from bot.rules.names import sorted_by_name
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase
from bot.services.commitments.grading_state import (
    CAP_REFUSED_GRADE,
    CapExceeded,
    GradeClosed,
    GradingBoard,
    GradingItem,
    NotGraded,
    Placement,
    ProposalOutcome,
    ProposalStart,
    Remark,
    RemarkItem,
    organisation,
    placements,
)
from storage import Store
from storage.commitments import CommitmentRecord
from storage.grading import ProposalRecord
from storage.records import Campaign, Member, Unit


async def audit_decision(
    store: Store,
    actor: Actor,
    record: CommitmentRecord,
    proposal: ProposalRecord,
    member: Member,
    decider: Unit,
) -> None:
    """The audit row of a decided grade (a first grade, or a change of one)."""
    await audit(
        store,
        actor,
        "commitment.regrade" if record.grade else "commitment.grade",
        record.id,
        grade=proposal.grade,
        points=proposal.points,
        member=member.code,
        previous=record.grade,
        revision=record.grade_revision + 1,
        decided_by=decider.code,
    )


def actor_name(actor: Actor) -> str:
    return actor.member.full_name if actor.member else gettext("Administrator")


class Grading(CommitmentBase):
    # The cell's list -------------------------------------------------------------------------

    async def grading_board(self, actor: Actor, year: int | None = None) -> GradingBoard:
        """Everyone the actor's cells appraise once the review window has opened: those
        without a proposal, those with one (or a decision), the temporarily attached they
        only comment on, the exempt (not graded), and each organisation's figures."""
        async with self.db.read() as store:
            campaign = await self._campaign(store, year)
            self._opened(campaign)
            records: dict[int, CommitmentRecord] = {}
            for path in await self._scope_paths(store, actor):
                for record in await store.grading.candidates(campaign.id, path):
                    if not (actor.member and record.member_id == actor.member.id):
                        records[record.id] = record
            members = await store.members.many(r.member_id for r in records.values())
            placed = await placements(store, list(members.values()))
            proposals = await store.grading.in_force(records.keys())
            remarks = await self._remarks(store, campaign, members)
            to_grade, graded, remark_only, exempt = [], [], [], []
            for record in records.values():
                placement = placed[record.member_id]
                member = placement.member
                if not placement.graded:
                    if self._oversees(actor, placement):
                        exempt.append(member)
                    continue
                if placement.cell is not None and has_role_over(actor, MONITORS, placement.cell):
                    if record.approved_version is None:
                        continue
                    item = GradingItem(
                        await self._view(store, record),
                        placement,
                        proposals.get(record.id),
                        remarks.get(member.id, []),
                    )
                    pending = record.grade is None and record.proposal_revision == 0
                    (to_grade if pending else graded).append(item)
                elif placement.attending is not None and self._oversees(actor, placement):
                    attending = placement.attending
                    mine = [r.record for r in remarks.get(member.id, [])]
                    remark_only.append(
                        RemarkItem(
                            member,
                            campaign,
                            attending,
                            placement.official,
                            next((r for r in mine if r.unit_id == attending.id), None),
                        )
                    )
            deciders = {unit.id: unit for i in to_grade + graded if (unit := i.placement.decider)}
            figures = [
                (await organisation(store, campaign, unit)).figures
                for unit in sorted(deciders.values(), key=lambda u: u.path)
            ]
        return GradingBoard(
            campaign,
            self._cell_order(to_grade),
            self._cell_order(graded),
            sorted_by_name(remark_only, lambda i: i.member.full_name),
            sorted_by_name(exempt, lambda m: m.full_name),
            figures,
            may_change_grade(campaign, self.clock.today()),
        )

    async def grading_card(self, actor: Actor, commitment_id: int) -> GradingItem:
        """One member's card for the grading cell (or the deciding committee), to propose
        or change a proposal."""
        async with self.db.read() as store:
            record, member, placement, campaign = await self._proposable(
                store, actor, commitment_id, None
            )
            proposals = await store.grading.in_force([record.id])
            remarks = await self._remarks(store, campaign, {member.id: member})
            return GradingItem(
                await self._view(store, record),
                placement,
                proposals.get(record.id),
                remarks.get(member.id, []),
            )

    # Proposing -------------------------------------------------------------------------------

    async def start_proposal(
        self, actor: Actor, commitment_id: int, grade: str, revision: int = 0
    ) -> ProposalStart:
        """Pressing a grade: whether it may be given now, and the organisation's figures
        with it. At a grassroots cell, a grade that would break the 20% rule is refused
        here, before the points and the comment are asked for."""
        found = _grade(grade)
        try:
            async with self.db.read() as store:
                record, _member, placement, campaign = await self._proposable(
                    store, actor, commitment_id, revision
                )
                assert placement.decider is not None
                org = await organisation(store, campaign, placement.decider)
            if placement.decides_itself:
                after = tally_after(org.decided(), {record.id: found})
                if breaks_cap(Tally.of(org.decided().values()), after):
                    raise _cap_refused(placement, after)
            else:
                after = tally_after(org.outlook(), {record.id: found})
        except (CapExceeded, NotGraded, AccessDenied) as error:
            await self._audit_denied(actor, commitment_id, error, found)
            raise
        return ProposalStart(placement, after, placement.decides_itself)

    async def propose(
        self,
        actor: Actor,
        commitment_id: int,
        grade: str,
        *,
        points: int | None,
        comment: str,
        revision: int = 0,
    ) -> ProposalOutcome:
        """The cell's proposal (``revision``: the proposal in force the grader saw, 0 for
        none), with the points (required) and the comment. At a grassroots cell it is the
        decision: refused when it would break the 20% rule, else the member is told."""
        found = _grade(grade)
        points = check_points(found, points)
        comment = clean_comment(comment)
        previous: str | None = None
        try:
            async with self.db.write() as store:
                record, member, placement, campaign = await self._proposable(
                    store, actor, commitment_id, revision
                )
                cell, decider = placement.cell, placement.decider
                assert cell is not None and decider is not None
                org = await organisation(store, campaign, decider)
                after = tally_after(org.decided(), {record.id: found})
                if placement.decides_itself and breaks_cap(Tally.of(org.decided().values()), after):
                    raise _cap_refused(placement, after)
                proposal = await store.grading.propose(
                    record.id,
                    expect_revision=revision,
                    unit_id=cell.id,
                    grade=found,
                    points=points,
                    comment=comment,
                    source=_source(actor, placement),
                    by=actor.member.id if actor.member else None,
                    by_name=actor_name(actor),
                    at=self.clock.now(),
                )
                if proposal is None:
                    raise GradeClosed(N_("Someone graded this member meanwhile."))
                await audit(
                    store,
                    actor,
                    "grading.propose",
                    record.id,
                    grade=str(found),
                    points=points,
                    member=member.code,
                    cell=cell.code,
                    revision=proposal.revision,
                    source=proposal.source,
                )
                if placement.decides_itself:
                    previous = record.grade
                    await self._decide_at_once(store, actor, record.id, proposal, placement)
                    await self.notifications.queue(
                        store,
                        kind="grade",
                        template="commitment.grade",
                        to=[member],
                        params=grade_params(
                            campaign.year, found, previous, points=points, comment=comment
                        ),
                        dedup=f"grade:{record.id}:{proposal.revision}",
                    )
                fresh = await store.commitments.get(record.id)
                assert fresh is not None
                view = await self._view(store, fresh)
                figures = (await organisation(store, campaign, decider)).figures
        except (CapExceeded, NotGraded, AccessDenied) as error:
            await self._audit_denied(actor, commitment_id, error, found)
            raise
        return ProposalOutcome(view, proposal, placement.decides_itself, placement, figures)

    # The temporary cell's comment ------------------------------------------------------------

    async def remark_target(self, actor: Actor, member_id: int, campaign_id: int) -> RemarkItem:
        """The temporarily attached member the actor's cell is about to comment on."""
        async with self.db.read() as store:
            member, campaign, placement = await self._remarkable(
                store, actor, member_id, campaign_id
            )
            assert placement.attending is not None
            found = await store.grading.remarks([member.id], campaign.id)
        mine = [r for r in found.get(member.id, []) if r.unit_id == placement.attending.id]
        return RemarkItem(
            member, campaign, placement.attending, placement.official, mine[-1] if mine else None
        )

    async def add_remark(
        self, actor: Actor, member_id: int, campaign_id: int, text: str
    ) -> RemarkItem:
        """The comment (nhận xét) of the cell where a temporarily attached member attends,
        for the cell of their official membership, which grades them. A member whose
        official cell is not in the bot is not graded here; the comment is still kept."""
        remark = clean_comment(text)
        async with self.db.write() as store:
            member, campaign, placement = await self._remarkable(
                store, actor, member_id, campaign_id
            )
            attending = placement.attending
            assert attending is not None
            record = await store.grading.add_remark(
                member.id,
                campaign.id,
                attending.id,
                remark,
                by=actor.member.id if actor.member else None,
                by_name=actor_name(actor),
                at=self.clock.now(),
            )
            await audit(
                store,
                actor,
                "grading.remark",
                member.id,
                member=member.code,
                cell=attending.code,
                official=placement.official.code if placement.official else None,
            )
        return RemarkItem(member, campaign, attending, placement.official, record)

    async def _remarkable(
        self, store: Store, actor: Actor, member_id: int, campaign_id: int
    ) -> tuple[Member, Campaign, Placement]:
        member = await store.members.get(member_id)
        campaign = await store.campaigns.get(campaign_id)
        if member is None or campaign is None:
            raise NotFound(N_("This member is no longer on the roster."))
        if actor.member is not None and actor.member.id == member.id:
            raise AccessDenied(N_("You cannot comment on your own grading."))
        placement = (await placements(store, [member]))[member.id]
        attending = placement.attending
        if attending is None:
            raise Conflict(
                N_("Comrade {member} is not temporarily attached to your cell."),
                member=member.full_name,
            )
        if not has_role_over(actor, MONITORS, attending):
            raise AccessDenied(N_("This member is not in a unit you oversee."))
        if not in_review_window(campaign, self.clock.today()):
            raise Conflict(
                N_("The year-end review for {year} is open from {opens} to {closes}."),
                year=campaign.year,
                opens=format_date(campaign.review_opens),
                closes=format_date(campaign.review_closes),
            )
        return member, campaign, placement

    # Helpers ---------------------------------------------------------------------------------

    def _opened(self, campaign: Campaign) -> None:
        if self.clock.today() < campaign.review_opens:
            raise Conflict(
                N_("Grading for {year} opens on {opens}."),
                year=campaign.year,
                opens=format_date(campaign.review_opens),
            )

    @staticmethod
    def _oversees(actor: Actor, placement: Placement) -> bool:
        """Whether the actor oversees the member's primary unit (where they attend)."""
        unit = placement.units[0] if placement.units else None
        return unit is not None and has_role_over(actor, MONITORS, unit)

    @staticmethod
    def _cell_order(items: list[GradingItem]) -> list[GradingItem]:
        """Cell by cell (in the tree's order), each in Vietnamese roster order."""
        cells = sorted({i.placement.cell.path for i in items if i.placement.cell})
        ordered = []
        for path in cells:
            ordered += sorted_by_name(
                [i for i in items if i.placement.cell and i.placement.cell.path == path],
                lambda i: i.view.member.full_name,
            )
        return ordered

    async def _remarks(
        self, store: Store, campaign: Campaign, members: dict[int, Member]
    ) -> dict[int, list[Remark]]:
        temporary = [m.id for m in members.values() if m.status == TEMPORARY]
        if not temporary:
            return {}
        found = await store.grading.remarks(temporary, campaign.id)
        units = await store.units.many(r.unit_id for rs in found.values() for r in rs)
        return {
            member_id: [Remark(units[r.unit_id], r) for r in records if r.unit_id in units]
            for member_id, records in found.items()
        }

    async def _proposable(
        self, store: Store, actor: Actor, commitment_id: int, revision: int | None
    ) -> tuple[CommitmentRecord, Member, Placement, Campaign]:
        """The commitment to propose a grade for, when the actor may (the grading cell, or
        a level above it), the member is graded (not exempt) and the proposal in force is
        still ``revision`` (None: not checked, only looking)."""
        record, member = await self._someone_elses(store, actor, commitment_id)
        campaign = await store.campaigns.get(record.campaign_id)
        assert campaign is not None
        placement = (await placements(store, [member]))[member.id]
        if not placement.graded:
            raise NotGraded(
                N_(
                    "Comrade {member} is exempt from meetings and so is not graded while "
                    "exempt (nor counted in the 20% rule)."
                ),
                member=member.full_name,
            )
        if placement.cell is None or not has_role_over(actor, MONITORS, placement.cell):
            attending = placement.attending
            if attending is not None and has_role_over(actor, MONITORS, attending):
                raise AccessDenied(
                    N_(
                        "Comrade {member} is temporarily attached here and is graded by the "
                        "cell of their official membership ({cell}). Your cell gives its "
                        "comment: send /grade and press \u201cComment\u201d."
                    ),
                    member=member.full_name,
                    cell=placement.cell.name if placement.cell else "—",
                )
            raise AccessDenied(N_("This member is not in a unit you oversee."))
        if record.approved_version is None:
            raise Conflict(N_("Only an approved commitment can be graded."))
        self._opened(campaign)
        if revision is None:
            return record, member, placement, campaign
        if record.proposal_revision != revision:
            given = await store.grading.proposals(record.id)
            name = given[-1].proposed_by_name if given and given[-1].proposed_by_name else "—"
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
        if (revision or record.grade) and not may_change_grade(campaign, self.clock.today()):
            raise GradeClosed(
                N_(
                    "The year-end review for {year} closed on {closes}; the grade can no "
                    "longer be changed."
                ),
                year=campaign.year,
                closes=format_date(campaign.review_closes),
            )
        return record, member, placement, campaign

    async def _decide_at_once(
        self,
        store: Store,
        actor: Actor,
        commitment_id: int,
        proposal: ProposalRecord,
        placement: Placement,
    ) -> None:
        """A grassroots cell's proposal is its decision."""
        assert placement.decider is not None
        record = await store.commitments.get(commitment_id)
        assert record is not None
        decided = await store.grading.decide(
            record,
            proposal,
            by=actor.member.id if actor.member else None,
            by_name=actor_name(actor),
            at=self.clock.now(),
            unit_id=placement.decider.id,
        )
        assert decided  # one writer: nothing moved since the proposal
        await audit_decision(store, actor, record, proposal, placement.member, placement.decider)

    async def _audit_denied(
        self, actor: Actor, commitment_id: int, error: Conflict | AccessDenied, grade: str
    ) -> None:
        """A refused grade, with why: over the cap (and the figures), an exempt member, or a
        member the actor does not grade."""
        reason = {CapExceeded: "cap", NotGraded: "exempt"}.get(type(error), "scope")
        figures = {k: v for k, v in error.params.items() if isinstance(v, int)}
        await self._audit_refusal(
            actor, "commitment.grade", commitment_id, reason=reason, grade=str(grade), **figures
        )


def _cap_refused(placement: Placement, after: Tally) -> CapExceeded:
    assert placement.decider is not None
    return CapExceeded(
        CAP_REFUSED_GRADE,
        unit=placement.decider.name,
        excellent=after.excellent,
        cap=after.cap,
        good=after.good,
    )


def _source(actor: Actor, placement: Placement) -> str:
    """ "decider" when the deciding committee changes a cell's proposal, else "cell"."""
    decider = placement.decider
    if placement.decides_itself or decider is None:
        return "cell"
    return "decider" if has_role_over(actor, MONITORS, decider) else "cell"


def _grade(grade: str) -> Grade:
    try:
        return Grade(grade)
    except ValueError:
        raise InvalidInput(N_("Unknown grade.")) from None
