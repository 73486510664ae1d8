"""What the two grading parts (the cell's proposals, :mod:`.grading`; the committee's
decision, :mod:`.deciding`) share: where each member is graded and decided, the state of
one grassroots organisation, the records they return and the refusals they raise.

Where a member is graded (:class:`Placement`): their official unit (for a temporarily
attached member, the first extra membership in a cell; see
:func:`bot.rules.grading.official_unit`), the cell at or above it that proposes, and the
level that decides (the grassroots committee above the cell, or the cell itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import Conflict
from bot.i18n import N_
from bot.rules.grading import (
    TEMPORARY,
    Tally,
    deciding_unit,
    grading_cell,
    is_graded,
    official_unit,
)
from bot.services.commitments.base import CommitmentView
from storage import Store
from storage.commitments import CommitmentRecord
from storage.grading import ProposalRecord, RemarkRecord
from storage.records import Campaign, Member, Unit

# Errors ------------------------------------------------------------------------------------


class GradeClosed(Conflict):
    """The grade or proposal a card offers to give or change has moved on (someone
    proposed, decided or changed it meanwhile) or may no longer be changed: the card's
    buttons will never work again."""


class CapExceeded(Conflict):
    """The decision would take "excellent" past 20% of "good" in the grassroots
    organisation; the message gives the figures."""


class NotGraded(Conflict):
    """The member is exempt from activities: not graded while exempt."""


class BoardChanged(Conflict):
    """The proposals changed after the committee's view was made: it must look again."""


# Where a member is graded ------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    member: Member
    units: tuple[Unit, ...]  # the open memberships, the primary first
    official: Unit | None  # the unit of the official membership; None: not in the bot
    cell: Unit | None  # the cell that appraises and proposes
    decider: Unit | None  # the level that decides

    @property
    def graded(self) -> bool:
        """False for members exempt from activities: not graded, not counted."""
        return is_graded(self.member.status)

    @property
    def attending(self) -> Unit | None:
        """For a temporarily attached member, the cell where they attend (their primary
        membership), which comments on them; None for everyone else."""
        if self.member.status != TEMPORARY or not self.units:
            return None
        return self.units[0]

    @property
    def decides_itself(self) -> bool:
        """A grassroots cell (or a unit outside any grassroots committee): its grade is the
        decision."""
        return self.cell is not None and self.decider is not None and self.cell == self.decider


async def placements(store: Store, members: list[Member]) -> dict[int, Placement]:
    """Where each member is graded and decided, by member id, in a few queries."""
    units = await store.grading.open_units(m.id for m in members)
    officials = {m.id: official_unit(m.status, units.get(m.id, [])) for m in members}
    chain_ids = {i for unit in officials.values() if unit for i in unit.chain_ids}
    by_id = await store.units.many(chain_ids)
    found = {}
    for member in members:
        official = officials[member.id]
        cell = decider = None
        if official is not None:
            chain = [by_id[i] for i in official.chain_ids if i in by_id]
            cell, decider = grading_cell(chain), deciding_unit(chain)
        found[member.id] = Placement(
            member, tuple(units.get(member.id, [])), official, cell, decider
        )
    return found


# One grassroots organisation -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One commitment graded in a grassroots organisation."""

    record: CommitmentRecord
    placement: Placement
    proposal: ProposalRecord | None  # the proposal in force

    @property
    def member(self) -> Member:
        return self.placement.member

    @property
    def outlook(self) -> str | None:
        """The grade if every proposal waiting were decided as proposed."""
        if self.record.awaiting_decision and self.proposal is not None:
            return self.proposal.grade
        return self.record.grade


@dataclass(frozen=True)
class Figures:
    """The 20% cap in one grassroots organisation: the grades decided, and the grades if
    every proposal waiting were decided as it stands (exempt members are not counted)."""

    unit: Unit  # the deciding level
    decided: Tally
    outlook: Tally
    waiting: int  # proposals waiting for a decision


@dataclass(frozen=True)
class Organisation:
    """Every commitment graded under one deciding level, with its proposal in force."""

    unit: Unit
    entries: list[Entry]

    @property
    def counted(self) -> list[Entry]:
        return [e for e in self.entries if e.placement.graded]

    def decided(self) -> dict[int, str | None]:
        return {e.record.id: e.record.grade for e in self.counted}

    def outlook(self) -> dict[int, str | None]:
        return {e.record.id: e.outlook for e in self.counted}

    @property
    def stamp(self) -> int:
        """Changes whenever a proposal is made in the organisation: the newest proposal."""
        return max((e.proposal.id for e in self.entries if e.proposal), default=0)

    @property
    def figures(self) -> Figures:
        waiting = sum(1 for e in self.counted if e.record.awaiting_decision)
        return Figures(
            self.unit, Tally.of(self.decided().values()), Tally.of(self.outlook().values()), waiting
        )


async def organisation(store: Store, campaign: Campaign, decider: Unit) -> Organisation:
    """The approved commitments of the campaign decided by ``decider``."""
    records = [
        r
        for r in await store.grading.candidates(campaign.id, decider.path)
        if r.approved_version is not None
    ]
    members = await store.members.many(r.member_id for r in records)
    placed = await placements(store, list(members.values()))
    proposals = await store.grading.in_force(r.id for r in records)
    entries = [
        Entry(record, placed[record.member_id], proposals.get(record.id))
        for record in records
        if placed[record.member_id].decider == decider
    ]
    return Organisation(decider, entries)


# What the parts return -----------------------------------------------------------------------


@dataclass(frozen=True)
class Remark:
    """A temporary cell's comment, with the cell that wrote it."""

    unit: Unit
    record: RemarkRecord


@dataclass(frozen=True)
class GradingItem:
    """One member to appraise, as the grading cell sees them."""

    view: CommitmentView
    placement: Placement
    proposal: ProposalRecord | None
    remarks: list[Remark] = field(default_factory=list)

    @property
    def record(self) -> CommitmentRecord:
        assert self.view.commitment is not None
        return self.view.commitment


@dataclass(frozen=True)
class RemarkItem:
    """A temporarily attached member the actor's cell comments on but does not grade."""

    member: Member
    campaign: Campaign
    attending: Unit
    official: Unit | None  # None: not in the bot
    remark: RemarkRecord | None  # the cell's comment in force


@dataclass(frozen=True)
class GradingBoard:
    """/grade: whom the actor's cells appraise, and the figures of their organisations."""

    campaign: Campaign
    to_grade: list[GradingItem]  # nothing proposed or decided yet
    graded: list[GradingItem]  # a proposal or a decision in force
    remark_only: list[RemarkItem]
    exempt: list[Member]
    figures: list[Figures]
    may_change: bool  # the review window is still open


@dataclass(frozen=True)
class ProposalStart:
    """Pressing a grade: the figures if it were given, and who will decide."""

    placement: Placement
    after: Tally  # the organisation's outlook with this grade (decided, for a grassroots cell)
    decides: bool  # the proposal is the decision (a grassroots cell)


@dataclass(frozen=True)
class ProposalOutcome:
    view: CommitmentView
    proposal: ProposalRecord
    decided: bool  # a grassroots cell: the proposal was decided at once
    placement: Placement
    figures: Figures


@dataclass(frozen=True)
class CellSection:
    cell: Unit
    entries: list[Entry]
    exempt: list[Member]


@dataclass(frozen=True)
class DecisionBoard:
    """/decide: one grassroots organisation, cell by cell, with its figures."""

    campaign: Campaign
    unit: Unit
    cells: list[CellSection]
    figures: Figures
    after: Tally  # the decided grades if the waiting proposals were decided now
    stamp: int
    waiting: int  # proposals the actor would decide now
    own_waiting: bool  # the actor's own proposal waits: another member decides it
    may_change: bool


@dataclass(frozen=True)
class DecidingChoice:
    unit: Unit
    waiting: int
    year: int  # the campaign's


@dataclass(frozen=True)
class Decided:
    member: Member
    grade: str
    points: int
    previous: str | None


@dataclass(frozen=True)
class DecisionOutcome:
    unit: Unit
    campaign: Campaign
    decided: list[Decided]
    figures: Figures
    own_waiting: bool


CAP_REFUSED_DECISION = N_(
    "Refused: {unit} would have Excellent {excellent} / at most {cap} (20% of the {good} "
    "graded \u201cGood\u201d). Change some proposals, then decide again."
)
CAP_REFUSED_GRADE = N_(
    "Refused: {unit} would have Excellent {excellent} / at most {cap} (20% of the {good} "
    "graded \u201cGood\u201d). Choose another grade, or grade the other members first."
)
