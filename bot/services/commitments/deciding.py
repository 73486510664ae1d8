"""Year-end grading at the deciding level (/decide): a grassroots committee (đảng ủy cơ sở)
decides the grades of all its cells together, seeing their proposals and the figures.

Who decides: the holders of a secretary, deputy or committee role on the grassroots
committee or above it (the command table checks the role, :meth:`Deciding._decider` the
scope). The committee may change some proposals first (a proposal of its own, recorded as
such, through the cell's card), then decides every proposal waiting at once. A decision
that would take "excellent" past 20% of "good" in the organisation is refused with the
figures. Each member is told the decided grade, in their own language; a decision changed
before the review window closes keeps the earlier one on record.
"""

from __future__ import annotations

from bot.delivery.notices import grade_params
from bot.errors import AccessDenied, Conflict, NotFound
from bot.i18n import N_, format_date
from bot.rules.access import MONITORS, Actor, has_role_over, scope_units
from bot.rules.grading import (
    CELL,
    Tally,
    breaks_cap,
    is_deciding_committee,
    may_change_grade,
    tally_after,
)
from bot.rules.names import sorted_by_name
from bot.services.audit import audit
from bot.services.commitments.base import CommitmentBase
from bot.services.commitments.grading import actor_name, audit_decision
from bot.services.commitments.grading_state import (
    CAP_REFUSED_DECISION,
    BoardChanged,
    CapExceeded,
    CellSection,
    Decided,
    DecidingChoice,
    DecisionBoard,
    DecisionOutcome,
    Entry,
    Organisation,
    organisation,
)
from storage import Store
from storage.records import Campaign, Unit


class Deciding(CommitmentBase):
    async def deciding_choices(self, actor: Actor, year: int | None = None) -> list[DecidingChoice]:
        """The grassroots committees the actor decides for, each with its proposals
        waiting."""
        async with self.db.read() as store:
            campaign = await self._decision_campaign(store, year)
            units = await self._deciding_units(store, actor)
            return [
                DecidingChoice(
                    unit,
                    len(self._waiting(await organisation(store, campaign, unit), actor, campaign)),
                    campaign.year,
                )
                for unit in units
            ]

    async def decision_board(
        self, actor: Actor, unit_id: int, year: int | None = None
    ) -> DecisionBoard:
        """One grassroots organisation, cell by cell: each member's proposal and decided
        grade, the exempt, the figures now and once the waiting proposals are decided."""
        async with self.db.read() as store:
            # Who may decide first: a member refused is not told when grading opens.
            unit = await self._decider(store, actor, unit_id)
            campaign = await self._decision_campaign(store, year)
            org = await organisation(store, campaign, unit)
            cells = [u for u in await store.units.subtree(unit) if u.kind == CELL]
        return self._board(actor, campaign, org, cells)

    async def decide_grades(
        self, actor: Actor, unit_id: int, year: int, stamp: int
    ) -> DecisionOutcome:
        """Decide every proposal waiting in the organisation, as it stands, at once.

        ``stamp`` is the board's: when a proposal was made or changed since, nothing is
        decided (:class:`BoardChanged`). Refused with the figures when the decision would
        break the 20% rule; the members are told their decided grade."""
        decided: list[Decided] = []
        try:
            async with self.db.write() as store:
                unit = await self._decider(store, actor, unit_id)
                campaign = await self._decision_campaign(store, year)
                org = await organisation(store, campaign, unit)
                if org.stamp != stamp:
                    raise BoardChanged(
                        N_(
                            "The proposals changed after this list was made. Here is the "
                            "list again."
                        )
                    )
                waiting = self._waiting(org, actor, campaign)
                if not waiting:
                    raise Conflict(
                        N_("No proposal is waiting for a decision in {unit}."), unit=unit.name
                    )
                after = self._after(org, waiting)
                if breaks_cap(Tally.of(org.decided().values()), after):
                    raise CapExceeded(
                        CAP_REFUSED_DECISION,
                        unit=unit.name,
                        excellent=after.excellent,
                        cap=after.cap,
                        good=after.good,
                    )
                for entry in waiting:
                    decided.append(await self._decide_one(store, actor, unit, entry))
                # Decided and told together: each member hears their decided grade.
                for item, entry in zip(decided, waiting, strict=True):
                    await self.notifications.queue(
                        store,
                        kind="grade",
                        template="commitment.grade",
                        to=[entry.member],
                        params=grade_params(
                            campaign.year,
                            item.grade,
                            item.previous,
                            points=item.points,
                            comment=entry.proposal.comment,  # type: ignore[union-attr]
                            decided_by=unit.name,
                        ),
                        dedup=f"grade:{entry.member.id}:{campaign.year}:{stamp}",
                        progress_to=None,
                    )
                await audit(
                    store,
                    actor,
                    "grading.decide",
                    unit.id,
                    unit=unit.code,
                    year=campaign.year,
                    decided=len(decided),
                    excellent=after.excellent,
                    cap=after.cap,
                    good=after.good,
                )
                figures = (await organisation(store, campaign, unit)).figures
        except (CapExceeded, AccessDenied) as error:
            figures_given = {k: v for k, v in error.params.items() if isinstance(v, int)}
            await self._audit_refusal(
                actor,
                "grading.decide",
                unit_id,
                year=year,
                reason=type(error).__name__,
                **figures_given,
            )
            raise
        return DecisionOutcome(
            unit,
            campaign,
            sorted_by_name(decided, lambda d: d.member.full_name),
            figures,
            self._own_waiting(org, actor),
        )

    # Helpers ---------------------------------------------------------------------------------

    async def _decide_one(self, store: Store, actor: Actor, unit: Unit, entry: Entry) -> Decided:
        proposal = entry.proposal
        assert proposal is not None
        record = entry.record
        if not await store.grading.decide(
            record,
            proposal,
            by=actor.member.id if actor.member else None,
            by_name=actor_name(actor),
            at=self.clock.now(),
            unit_id=unit.id,
        ):
            raise Conflict(N_("The proposals changed meanwhile. Please send /decide again."))
        await audit_decision(store, actor, record, proposal, entry.member, unit)
        return Decided(entry.member, proposal.grade, proposal.points, record.grade)

    def _board(
        self, actor: Actor, campaign: Campaign, org: Organisation, cells: list[Unit]
    ) -> DecisionBoard:
        waiting = self._waiting(org, actor, campaign)
        known = {cell.id: cell for cell in cells}
        for entry in org.entries:
            cell = entry.placement.cell
            if cell is not None and cell.id not in known:
                known[cell.id] = cell
        sections = []
        for cell in sorted(known.values(), key=lambda u: u.path):
            here = [e for e in org.entries if e.placement.cell and e.placement.cell.id == cell.id]
            sections.append(
                CellSection(
                    cell,
                    sorted_by_name(
                        [e for e in here if e.placement.graded], lambda e: e.member.full_name
                    ),
                    sorted_by_name(
                        [e.member for e in here if not e.placement.graded],
                        lambda m: m.full_name,
                    ),
                )
            )
        return DecisionBoard(
            campaign,
            org.unit,
            sections,
            org.figures,
            self._after(org, waiting),
            org.stamp,
            len(waiting),
            self._own_waiting(org, actor),
            may_change_grade(campaign, self.clock.today()),
        )

    def _waiting(self, org: Organisation, actor: Actor, campaign: Campaign) -> list[Entry]:
        """The proposals the actor decides now: those waiting, of members graded (not
        exempt), not the actor's own; a change of a decided grade only while it may change."""
        open_for_change = may_change_grade(campaign, self.clock.today())
        return [
            entry
            for entry in org.counted
            if entry.record.awaiting_decision
            and entry.proposal is not None
            and not (actor.member and entry.member.id == actor.member.id)
            and (entry.record.grade is None or open_for_change)
        ]

    @staticmethod
    def _own_waiting(org: Organisation, actor: Actor) -> bool:
        return actor.member is not None and any(
            e.member.id == actor.member.id and e.record.awaiting_decision for e in org.counted
        )

    @staticmethod
    def _after(org: Organisation, waiting: list[Entry]) -> Tally:
        return tally_after(
            org.decided(),
            {e.record.id: e.proposal.grade for e in waiting if e.proposal is not None},
        )

    async def _decision_campaign(self, store: Store, year: int | None) -> Campaign:
        campaign = await self._campaign(store, year)
        if self.clock.today() < campaign.review_opens:
            raise Conflict(
                N_("Grading for {year} opens on {opens}."),
                year=campaign.year,
                opens=format_date(campaign.review_opens),
            )
        return campaign

    async def _decider(self, store: Store, actor: Actor, unit_id: int) -> Unit:
        """The grassroots committee, when the actor decides for it."""
        unit = await store.units.get(unit_id)
        if unit is None:
            raise NotFound(N_("This unit no longer exists."))
        if not has_role_over(actor, MONITORS, unit):
            raise AccessDenied(
                N_(
                    "The grades in {unit} are decided by its committee (the secretary, the "
                    "deputies and the committee members) or a level above."
                ),
                unit=unit.name,
            )
        parent = await store.units.get(unit.parent_id) if unit.parent_id else None
        if not is_deciding_committee(unit, parent):
            raise Conflict(
                N_(
                    "{unit} is not a grassroots committee: the grades of a grassroots cell "
                    "are decided by the cell itself, with /grade."
                ),
                unit=unit.name,
            )
        return unit

    async def _deciding_units(self, store: Store, actor: Actor) -> list[Unit]:
        """The grassroots committees in the actor's scope that decide for their cells."""
        if actor.is_admin:
            units = await store.units.all()
        else:
            units = []
            for top in scope_units(actor, MONITORS) if actor.is_registered else []:
                units += await store.units.subtree(top)
        parents = await store.units.many(u.parent_id for u in units if u.parent_id)
        return [
            unit
            for unit in units
            if is_deciding_committee(unit, parents.get(unit.parent_id) if unit.parent_id else None)
        ]
