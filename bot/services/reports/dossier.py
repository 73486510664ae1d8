"""The year-end dossier (hồ sơ kiểm điểm cuối năm): everything a member's year-end review
needs, gathered for one member or a whole cell. Data only: :mod:`bot.render.dossier` makes
the DOCX.

A dossier holds the member (name, status, position, work unit, cell, the organisation
above), the commitment's version in force with the member's self-ratings and evidence, the
closed sessions of the year they were invited to (present or absent, with the reason; the
exempt are said to be exempt), the good-deed nominations naming them (approved or
submitted in the year: linked to the member at approval, see migration 0017), and the
grade: every proposal, every decision, the decided grade in force and the remarks of the
cell where a temporarily attached member attends.

Everything is read in bulk (:class:`storage.dossiers.DossierRepository`): a cell of sixty
members costs the same number of queries as a cell of three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import AccessDenied, InvalidInput, NotFound
from bot.i18n import N_
from bot.parsing import check_year
from bot.rules import sessions as session_rules
from bot.rules.access import MONITORS, Actor, has_role_over
from bot.rules.commitments import Status, monitoring_bucket
from bot.rules.names import name_key
from bot.rules.organisation import Letterhead, letterhead
from bot.services.audit import audit
from bot.services.commitments.grading_state import Placement, placements
from storage import Database, Store
from storage.commitments import ActionRecord, CommitmentRecord, GradeRecord, VersionRecord
from storage.grading import ProposalRecord, RemarkRecord
from storage.records import Campaign, Member, Unit
from storage.sessions import Invitee, Session

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# One file for a cell, not for a whole city: above this, ask for one cell at a time.
MAX_MEMBERS = 300


# What a dossier is made of -------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentPart:
    """The commitment of the year: the version in force (the approved one, else the latest
    submitted) with its actions, self-ratings and evidence."""

    record: CommitmentRecord
    version: VersionRecord | None  # None: never submitted (a draft only)
    actions: list[ActionRecord]  # the version's actions; empty without a version
    approved_on: date | None  # the local day the version in force was approved
    self_reviewed_on: date | None  # every action rated, with evidence

    @property
    def status(self) -> Status:
        return monitoring_bucket(self.record.status, self.record.approved_version)


@dataclass(frozen=True)
class SessionLine:
    """One closed session the member was invited to, with their final mark."""

    session: Session
    unit: Unit  # the session's unit (the member may have moved since)
    starts_at: datetime  # local time
    mark: session_rules.Mark
    reason: str  # the reason of an absence, as finally recorded
    exempt: bool  # exempt from meetings at the time, and not there
    declined: str = ""  # the reason given beforehand, when it is not the one recorded
    late: str | None = None  # a report of attendance after the check-in: its outcome

    @property
    def present(self) -> bool:
        return self.mark is session_rules.Mark.PRESENT


@dataclass(frozen=True)
class GradeStep:
    """A proposal (by the cell, or changed by the deciding committee) or a decision."""

    kind: str  # "proposal" or "decision"
    revision: int
    on: date  # local day
    unit: Unit | None  # the cell that proposed, the level that decided
    by: str  # the name recorded
    grade: str
    points: int | None
    comment: str
    source: str = "cell"  # for a proposal: "cell" or "decider"


@dataclass(frozen=True)
class Remark:
    """The comment of the cell where a temporarily attached member attends."""

    unit: Unit
    text: str
    by: str
    on: date


@dataclass(frozen=True)
class GradePart:
    graded: bool  # False: exempt from activities, so not graded
    cell: Unit | None  # the cell that appraises and proposes
    decider: Unit | None  # the level that decides
    steps: list[GradeStep] = field(default_factory=list)  # in time order
    grade: str | None = None  # the decided grade in force
    points: int | None = None
    comment: str = ""
    awaiting: bool = False  # a proposal waits for the decision
    remarks: list[Remark] = field(default_factory=list)


@dataclass(frozen=True)
class NominationLine:
    """A good deed the member was nominated for ("người tốt, việc tốt")."""

    id: int
    on: date  # local day: approved on, or (still waiting) submitted on
    deed: str
    status: str  # "approved" or "submitted"
    story: bool  # the propaganda board made a story of it

    @property
    def approved(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class Dossier:
    campaign: Campaign
    member: Member
    unit: Unit | None  # the primary unit, where the member takes part now
    official: Unit | None  # a temporarily attached member's official unit (None otherwise)
    issuer: Unit | None  # the cell whose review it serves: the grading cell, else the unit
    letterhead: Letterhead | None  # the issuer's
    dated: date  # the day it was gathered: the data are as of that day
    commitment: CommitmentPart | None  # None: no commitment started
    sessions: list[SessionLine]
    grade: GradePart
    nominations: list[NominationLine] = field(default_factory=list)  # in time order

    @property
    def year(self) -> int:
        return self.campaign.year

    @property
    def temporary(self) -> bool:
        return self.member.status == "temporary"

    @property
    def exempt(self) -> bool:
        return self.member.status == "exempt"

    @property
    def counted(self) -> list[SessionLine]:
        """The sessions that count for attendance: not those the member was exempt from."""
        return [line for line in self.sessions if not line.exempt]

    @property
    def present(self) -> int:
        return sum(line.present for line in self.counted)

    @property
    def excused(self) -> int:
        return sum(line.mark is session_rules.Mark.EXCUSED for line in self.counted)

    @property
    def absent(self) -> int:
        return sum(line.mark is session_rules.Mark.ABSENT for line in self.counted)


# Gathering ---------------------------------------------------------------------------------------


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants the local calendar year runs between (the end exclusive)."""
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=tz)
    return start, datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=tz)


async def letterheads(
    store: Store, units: Sequence[Unit], locality: str | None
) -> dict[int, Letterhead]:
    """The letterhead of each unit (see :func:`bot.services.documents.letterhead_of`), for
    every unit at once: two queries however many."""
    chains = {i for unit in units for i in unit.chain_ids}
    by_id = await store.units.many(chains)
    given = await store.units.org_names(chains)
    found = {}
    for unit in units:
        ancestors = [by_id[i] for i in unit.chain_ids[:-1] if i in by_id]
        found[unit.id] = letterhead(unit, ancestors, given, locality)
    return found


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _session_line(session: Session, invitee: Invitee, unit: Unit, tz: tzinfo) -> SessionLine:
    mark, reason = session_rules.derive_mark(
        checked_in=invitee.checked_in_at is not None,
        rsvp=invitee.rsvp,
        rsvp_reason=invitee.rsvp_reason,
        mark=invitee.mark,
        reason=invitee.reason,
    )
    present = mark is session_rules.Mark.PRESENT
    declined = ""
    if not present and invitee.rsvp == "no" and invitee.rsvp_reason:
        declined = "" if invitee.rsvp_reason == reason else invitee.rsvp_reason
    return SessionLine(
        session=session,
        unit=unit,
        starts_at=session.starts_at.astimezone(tz),
        mark=mark,
        reason="" if present else reason,
        exempt=invitee.status == session_rules.EXEMPT and not present,
        declined=declined,
        late=invitee.late_status,
    )


async def gather(
    store: Store,
    members: Sequence[Member],
    campaign: Campaign,
    *,
    clock: Clock,
    locality: str | None = None,
    placed: dict[int, Placement] | None = None,
) -> list[Dossier]:
    """The dossiers of ``members`` for ``campaign``, in their order, in a constant number
    of queries."""
    tz = clock.tz
    ids = [m.id for m in members]
    placed = placed if placed is not None else await placements(store, list(members))
    records = await store.dossiers.commitments(campaign.id, ids)
    commitment_ids = [r.id for r in records.values()]
    versions = await store.dossiers.versions_in_force(commitment_ids)
    actions = await store.dossiers.version_actions(v.id for v in versions.values())
    proposals = await store.dossiers.proposals(commitment_ids)
    grades = await store.dossiers.grades(commitment_ids)
    remarks = await store.grading.remarks(ids, campaign.id)
    since, until = year_bounds(campaign.year, tz)
    sessions = await store.dossiers.closed_sessions(ids, since, until)
    deeds = await store.dossiers.nominations(ids, since, until)

    wanted: set[int] = set()
    for placement in placed.values():
        wanted |= {u.id for u in placement.units}
    for lines in sessions.values():
        wanted |= {s.unit_id for s, _ in lines}
    for found in proposals.values():
        wanted |= {p.unit_id for p in found if p.unit_id}
    for found in grades.values():
        wanted |= {g.decided_unit_id for g in found if g.decided_unit_id}
    for found in remarks.values():
        wanted |= {r.unit_id for r in found}
    units = await store.units.many(wanted)
    issuers = {}
    for member in members:
        placement = placed[member.id]
        issuer = placement.cell or (placement.units[0] if placement.units else None)
        if issuer is not None:
            issuers[member.id] = issuer
    heads = await letterheads(store, list({u.id: u for u in issuers.values()}.values()), locality)

    today = clock.today()
    dossiers = []
    for member in members:
        placement = placed[member.id]
        record = records.get(member.id)
        part = None
        if record is not None:
            version = versions.get(record.id)
            approved_on = (
                _local_day(version.decided_at, tz)
                if version is not None and version.decision == "approved" and version.decided_at
                else None
            )
            reviewed = record.self_review_at
            part = CommitmentPart(
                record,
                version,
                actions.get(version.id, []) if version is not None else [],
                approved_on,
                _local_day(reviewed, tz) if reviewed is not None else None,
            )
        lines = [
            _session_line(session, invitee, units[session.unit_id], tz)
            for session, invitee in sessions.get(member.id, [])
            if session.unit_id in units
        ]
        issuer = issuers.get(member.id)
        dossiers.append(
            Dossier(
                campaign=campaign,
                member=member,
                unit=placement.units[0] if placement.units else None,
                official=placement.official if member.status == "temporary" else None,
                issuer=issuer,
                letterhead=heads.get(issuer.id) if issuer is not None else None,
                dated=today,
                commitment=part,
                sessions=lines,
                grade=_grade_part(
                    placement,
                    record,
                    proposals.get(record.id, []) if record else [],
                    grades.get(record.id, []) if record else [],
                    remarks.get(member.id, []),
                    units,
                    tz,
                ),
                nominations=[
                    NominationLine(
                        n.id,
                        _local_day(n.decided_at if n.decided_at else n.created_at, tz),
                        n.deed,
                        n.status,
                        n.story_id is not None,
                    )
                    for n in deeds.get(member.id, [])
                ],
            )
        )
    return dossiers


def _grade_part(
    placement: Placement,
    record: CommitmentRecord | None,
    proposals: list[ProposalRecord],
    decisions: list[GradeRecord],
    remarks: list[RemarkRecord],
    units: dict[int, Unit],
    tz: tzinfo,
) -> GradePart:
    def day(moment: datetime) -> date:
        return _local_day(moment, tz)

    steps = [
        GradeStep(
            "proposal",
            p.revision,
            _local_day(p.proposed_at, tz),
            units.get(p.unit_id) if p.unit_id else None,
            p.proposed_by_name or "",
            p.grade,
            p.points,
            p.comment,
            p.source,
        )
        for p in proposals
    ]
    steps += [
        GradeStep(
            "decision",
            g.revision,
            _local_day(g.graded_at, tz),
            units.get(g.decided_unit_id) if g.decided_unit_id else None,
            g.graded_by_name or "",
            g.grade,
            g.points,
            g.comment or "",
        )
        for g in decisions
    ]
    # In time order; on one day a proposal comes before the decision that follows it.
    steps.sort(key=lambda s: (s.on, s.kind != "proposal", s.revision))
    return GradePart(
        graded=placement.graded,
        cell=placement.cell,
        decider=placement.decider,
        steps=steps,
        grade=record.grade if record else None,
        points=record.points if record else None,
        comment=(record.grade_comment or "") if record else "",
        awaiting=bool(record and record.awaiting_decision),
        remarks=[
            Remark(
                units[r.unit_id], r.remark, r.written_by_name or "", _local_day(r.written_at, tz)
            )
            for r in remarks
            if r.unit_id in units
        ],
    )


async def campaign_of(store: Store, year: int | None, today: date) -> Campaign:
    """The campaign of ``year``; without one, this year's, else the latest there is."""
    if year is not None:
        check_year(year)
        found = await store.campaigns.by_year(year)
        if found is None:
            raise NotFound(N_("There is no campaign for {year}."), year=year)
        return found
    found = await store.campaigns.by_year(today.year)
    if found is None:
        every = await store.campaigns.all()
        if not every:
            raise NotFound(N_("No campaign has been set up yet. Please ask the administrator."))
        found = every[0]
    return found


async def dossier(
    store: Store,
    member_id: int,
    year: int,
    *,
    clock: Clock | None = None,
    locality: str | None = None,
) -> Dossier:
    """One member's dossier for the campaign of ``year`` (no permission check: callers
    check who asks)."""
    clock = clock or Clock(DEFAULT_TZ)
    member = await store.members.get(member_id)
    if member is None:
        raise NotFound(N_("This member no longer exists."))
    campaign = await campaign_of(store, year, clock.today())
    [found] = await gather(store, [member], campaign, clock=clock, locality=locality)
    return found


# Who may see what --------------------------------------------------------------------------------


def may_see(actor: Actor | None, placement: Placement) -> bool:
    """The member themself; a secretary, deputy or committee member over the unit where the
    member takes part or over the cell that grades them; an administrator; the CLI (None)."""
    if actor is None or actor.is_admin:
        return True
    if actor.member is not None and actor.is_registered and actor.member.id == placement.member.id:
        return True
    units = [*placement.units[:1], *(u for u in (placement.cell, placement.official) if u)]
    return any(has_role_over(actor, MONITORS, unit) for unit in units)


class DossierService:
    """``services.dossiers``: the dossier of one member, or of every member of a cell."""

    def __init__(self, db: Database, clock: Clock, locality: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.locality = locality

    async def member_dossier(
        self, actor: Actor | None, member: str | int | None = None, year: int | None = None
    ) -> Dossier:
        """The dossier of the member with this code (or id); None: the actor's own."""
        async with self.db.read() as store:
            found = await self._member(store, actor, member)
            campaign = await campaign_of(store, year, self.clock.today())
            placed = await placements(store, [found])
            if not may_see(actor, placed[found.id]):
                denied = True
            else:
                denied = False
                [result] = await gather(
                    store, [found], campaign, clock=self.clock, locality=self.locality,
                    placed=placed,
                )  # fmt: skip
        async with self.db.write() as store:
            await audit(
                store, actor or "cli", "dossier.member", found.code or found.id,
                outcome="denied" if denied else "ok", year=campaign.year,
            )  # fmt: skip
        if denied:
            raise AccessDenied(
                N_(
                    "You may see your own dossier, and those of members in the units you "
                    "oversee. Send /dossier for your own."
                )
            )
        return result

    async def cell_dossiers(
        self, actor: Actor | None, unit: str | int, year: int | None = None
    ) -> list[Dossier]:
        """The dossiers of every member the cell (by code or id) reviews at year end: those
        who take part in it, and the temporarily attached members whose official cell it is
        (a temporarily attached member the cell only hosts is in their official cell's file,
        when that cell is in the bot). In the cell's roster order."""
        async with self.db.read() as store:
            top = await self._unit(store, unit)
            if actor is not None and not has_role_over(actor, MONITORS, top):
                denied = True
            else:
                denied = False
                campaign = await campaign_of(store, year, self.clock.today())
                members = await store.dossiers.roster(top.path)
                placed = await placements(store, members)
                members = [m for m in members if _reviewed_in(placed[m.id], top)]
                if not members:
                    raise NotFound(N_("{unit} has no members to review."), unit=top.name)
                if len(members) > MAX_MEMBERS:
                    raise InvalidInput(
                        N_(
                            "{unit} has {count} members: too many for one file. Please ask "
                            "for one cell at a time: /dossier cell CODE"
                        ),
                        unit=top.name,
                        count=len(members),
                    )
                found = await gather(
                    store, members, campaign, clock=self.clock, locality=self.locality,
                    placed=placed,
                )  # fmt: skip
        async with self.db.write() as store:
            await audit(
                store, actor or "cli", "dossier.cell", top.code,
                outcome="denied" if denied else "ok",
                **({} if denied else {"year": campaign.year, "members": len(found)}),
            )  # fmt: skip
        if denied:
            raise AccessDenied(
                N_("You do not oversee {unit}. Send /dossier for your own dossier."),
                unit=top.name,
            )
        return sorted(found, key=_roster_order)

    # Helpers -------------------------------------------------------------------------------------

    async def _member(self, store: Store, actor: Actor | None, member: str | int | None) -> Member:
        if member is None:
            if actor is None or actor.member is None or not actor.is_registered:
                raise NotFound(
                    N_("You have no dossier of your own. Name a member: /dossier MEMBER_CODE")
                )
            found = await store.members.get(actor.member.id)
        elif isinstance(member, int):
            found = await store.members.get(member)
        else:
            found = await store.members.by_code(member)
        if found is None:
            raise NotFound(N_("No member has the code '{code}'."), code=str(member))
        return found

    async def _unit(self, store: Store, unit: str | int) -> Unit:
        found = await (
            store.units.get(unit) if isinstance(unit, int) else store.units.by_code(unit)
        )
        if found is None:
            raise NotFound(N_("No unit has the code '{code}'."), code=str(unit))
        return found


def _reviewed_in(placement: Placement, top: Unit) -> bool:
    """Whether the member's year-end review belongs to the subtree at ``top``: their
    grading cell is in it, or (without one in the bot) the unit they take part in."""
    home = placement.cell or (placement.units[0] if placement.units else None)
    return home is not None and top.contains(home)


def _roster_order(found: Dossier) -> tuple[str, object]:
    return (found.issuer.path if found.issuer else "", name_key(found.member.full_name))
