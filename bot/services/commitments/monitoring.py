"""Monitoring: progress per unit (/commitments), the export table, the member's own history
(/mycommitments) and the data of the printed form.

The service returns data; the handler and the CLI turn it into CSV/XLSX
(:mod:`bot.render.exports`) and DOCX (:mod:`bot.render.commitment_form`). Every member counts
once, in their current primary unit; exempt members are not expected.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

from bot.errors import AccessDenied, NotFound
from bot.i18n import N_, gettext
from bot.rules.access import MONITORS, Actor, has_role_over, scope_units
from bot.rules.commitments import (
    HEADING_LABELS,
    MISSING_LABEL,
    RATING_LABELS,
    STATUS_LABELS,
    headings_for,
    monitoring_bucket,
)
from bot.rules.grading import GRADE_LABELS
from bot.rules.names import name_key
from bot.rules.organisation import Letterhead
from bot.services.commitments.base import CommitmentBase, CommitmentView
from bot.services.documents import holder_name, letterhead_of
from storage import Store
from storage.commitments import ActionRecord, RosterEntry
from storage.records import Campaign, Unit


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
class CommitmentTable:
    """The export: one row per action, under a translated header; ``units`` are the top
    units it covers (the unit asked for, else the subtrees overseen, else the roots), for
    naming the file (:mod:`bot.render.commitment_export`)."""

    year: int
    units: list[Unit]
    header: list[str]
    rows: list[list[object]]

    @property
    def sheet(self) -> str:
        return str(self.year)


@dataclass(frozen=True)
class ExportScope:
    """What an export covers, once the person was found allowed: the campaign, the subtrees'
    paths (None: everything, the CLI) and their top units."""

    campaign: Campaign
    paths: list[str | None]
    units: list[Unit]


@dataclass(frozen=True)
class Confirmation:
    """Who confirms the commitment on paper: the cell ("T/M CHI BỘ", its secretary), or for a
    secretary's own commitment the level that approved it, with the approver's role."""

    unit: Unit  # the confirming level
    role: str  # the signer's role on it: secretary, deputy or committee
    name: str  # the signer; "" when nobody holds the role
    approved_on: date | None  # the local day the printed version was approved
    approved_by: str  # who approved it; "" while it is not approved


@dataclass(frozen=True)
class CommitmentForm:
    """What the printed form needs: the version to print, the member's unit as the
    letterhead names it, the confirmation, and the document's own date (the local day of
    the approval, else of the submission; None for a working copy: left blank)."""

    view: CommitmentView
    letterhead: Letterhead | None  # None: the member has no unit
    confirmation: Confirmation | None
    dated: date | None

    @property
    def file_name(self) -> str:
        member = self.view.member
        return f"cam-ket-{self.view.campaign.year}-{member.code or member.id}.docx"


EXPORT_SLICE = 250  # members whose actions are loaded at once: few, so that little is freed
# between the rows that stay (a city export peaked 30 MB lower than with 2,000, and ran faster)


class _Labels:
    """The export's words, translated once per export rather than once per row."""

    def __init__(self) -> None:
        self.missing = gettext(MISSING_LABEL)
        self.yes = gettext("Yes")
        self.status = {s: gettext(label) for s, label in STATUS_LABELS.items()}
        self.grade = {g: gettext(label) for g, label in GRADE_LABELS.items()}
        self.heading = {h: gettext(label) for h, label in HEADING_LABELS.items()}
        self.rating = {r: gettext(label) for r, label in RATING_LABELS.items()}
        # A city's export holds half a million rows until its file is written: a text or
        # day that repeats (the same action in many members' commitments) is kept once.
        self.shared: dict[object, object] = {}


def _export_rows(
    labels: _Labels,
    campaign: Campaign,
    entry: RosterEntry,
    number: int | None,
    actions: list[ActionRecord],
) -> list[list[object]]:
    """One member's rows: one per action of the version a view shows (``number``; None: the
    working copy), or one with the status when there is none."""
    keep = labels.shared.setdefault  # keep(text, text): the one copy of an equal text
    name = keep(entry.full_name, entry.full_name)
    base: list[object] = [campaign.year, entry.code or "", name, entry.unit_name]
    if entry.id is None:
        if entry.status == "exempt":
            return []
        return [[*base, "", "", "", "", labels.missing, *[""] * 6]]
    status = labels.status[monitoring_bucket(entry.commitment_status, entry.approved_version)]  # type: ignore[arg-type]
    grade = labels.grade[entry.grade] if entry.grade else ""  # type: ignore[index]
    shown: object = number if number is not None else ""
    if not actions:  # started, then every action deleted: still listed
        return [[*base, "", "", "", "", status, *[""] * 6]]
    late = labels.yes if entry.late else ""
    points: object = entry.points if entry.points is not None else ""
    rows: list[list[object]] = []
    for heading in headings_for(True):
        counter = 0
        for action in actions:
            if action.heading != heading:
                continue
            counter += 1
            rows.append(
                [
                    *base,
                    labels.heading[heading],
                    counter,
                    keep(action.text, action.text),
                    action.target_date,  # a date cell in XLSX
                    status,
                    late,
                    shown,
                    labels.rating[action.self_rating] if action.self_rating else "",  # type: ignore[index]
                    keep(action.evidence, action.evidence) if action.evidence else "",
                    grade,
                    points,
                ]
            )
    return rows


class Monitoring(CommitmentBase):
    async def progress(
        self, actor: Actor | None, year: int | None = None, unit_code: str | None = None
    ) -> tuple[Campaign, list[UnitProgress]]:
        """Per unit of the subtree(s): expected (exempt excluded), each status, missing, late.

        Every member counts once, in their current primary unit (the subtrees an actor
        oversees never nest, so nobody is in two). Counted in SQL; only the names of those
        missing are loaded, in the Vietnamese roster order.
        """
        progress: list[UnitProgress] = []
        async with self.db.read() as store:
            campaign = await self._campaign(store, year)
            for path in await self._paths(store, actor, unit_code=unit_code):
                missing: dict[int, list[str]] = {}
                names = await store.commitments.missing_in_subtree(campaign.id, path)
                for unit_id, _, full_name in sorted(
                    names, key=lambda entry: (entry[1], name_key(entry[2]))
                ):
                    missing.setdefault(unit_id, []).append(full_name)
                for unit, row in await store.commitments.progress_in_subtree(campaign.id, path):
                    progress.append(
                        UnitProgress(unit=unit, missing_names=missing.get(unit.id, []), **row)
                    )
        progress.sort(key=lambda row: row.unit.path)
        return campaign, progress

    async def export(
        self,
        *,
        year: int | None = None,
        unit_code: str | None = None,
        unit_id: int | None = None,
        actor: Actor | None = None,
    ) -> CommitmentTable:
        """One row per action with member, unit, heading, text, status, self-rating, grade,
        for the unit (by code or id) and below, else for everything the actor oversees.

        ``actor`` None is the operator's CLI (everything); a bot user sees their scope.
        Members without a commitment get one row with the status "Not filed".
        """
        async with self.db.read() as store:
            scope = await self._export_scope(store, actor, year, unit_code, unit_id)
            return await export_table(store, scope)

    async def export_scope(
        self, *, year: int | None = None, unit_id: int | None = None, actor: Actor | None = None
    ) -> ExportScope:
        """What :meth:`export` would cover, refused the same way (no campaign, a unit the
        actor does not oversee): the bot checks here and builds the file in a child
        process with :func:`export_table` (bot/builds/files.py)."""
        async with self.db.read() as store:
            return await self._export_scope(store, actor, year, None, unit_id)

    async def _export_scope(
        self,
        store: Store,
        actor: Actor | None,
        year: int | None,
        unit_code: str | None,
        unit_id: int | None,
    ) -> ExportScope:
        campaign = await self._campaign(store, year)
        unit = await self._unit(store, actor, unit_code, unit_id)
        paths = [unit.path] if unit else await self._paths(store, actor)
        tops = [unit] if unit else await self._tops(store, actor, paths)
        return ExportScope(campaign, paths, tops)

    async def mine(self, actor: Actor) -> list[CommitmentView]:
        """The member's own commitments, every campaign."""
        member = self._me(actor)
        async with self.db.read() as store:
            return [
                await self._view(store, record, working=record.last_version == 0)
                for record in await store.commitments.for_member(member.id)
            ]

    async def document(
        self, actor: Actor, commitment_id: int, version: int | None = None
    ) -> CommitmentForm:
        """The printable form's data, for its member or a reviewer above them; ``version``
        is the one under review (from /pending), else the standing one."""
        view = await self.view_for_reviewer(actor, commitment_id, version)
        shown = view.version
        approved = shown if shown is not None and shown.decision == "approved" else None
        approved_on = (
            approved.decided_at.astimezone(self.clock.tz).date()
            if approved is not None and approved.decided_at is not None
            else None
        )
        dated = approved_on or (shown.submitted_on if shown is not None else None)
        if view.unit is None:
            return CommitmentForm(view, None, None, dated)
        async with self.db.read() as store:
            head = await letterhead_of(store, view.unit, self.locality)
            confirmation = await self._confirmation(store, view, view.unit, approved_on)
        return CommitmentForm(view, head, confirmation, dated)

    async def _confirmation(
        self, store: Store, view: CommitmentView, unit: Unit, approved_on: date | None
    ) -> Confirmation:
        """The cell's secretary confirms; the secretary's own commitment is confirmed by
        the level that approved it (by the approver, in their role there), and before its
        approval by the level above."""
        version = view.version
        approver = version.decided_by if approved_on and version else None
        by_name = (version.decided_by_name or "") if approved_on and version else ""
        secretaries = {m for m, _, _ in await store.roles.holders([unit.id], ("secretary",))}
        own = view.member.id in secretaries
        if approver is not None:
            grants = [
                g
                for g in await store.roles.for_member(approver)
                if g.role in MONITORS and g.unit.contains(unit)
            ]
            if grants:
                grant = max(grants, key=lambda g: len(g.unit.path))  # the nearest level
                if grant.unit.id == unit.id and not own and secretaries:
                    name = await holder_name(store, unit)
                    return Confirmation(unit, "secretary", name, approved_on, by_name)
                return Confirmation(grant.unit, grant.role, by_name, approved_on, by_name)
        level = unit
        if own and unit.parent_id is not None:
            level = await store.units.get(unit.parent_id) or unit
        return Confirmation(
            level, "secretary", await holder_name(store, level), approved_on, by_name
        )

    # Helpers -------------------------------------------------------------------------------

    async def _unit(
        self, store: Store, actor: Actor | None, code: str | None, unit_id: int | None
    ) -> Unit | None:
        """The unit asked for by code or id, when the actor oversees it; None: none asked."""
        if code is not None:
            unit = await store.units.by_code(code)
            if unit is None:
                raise NotFound(N_("No unit has the code '{code}'."), code=code)
        elif unit_id is not None:
            unit = await store.units.get(unit_id)
            if unit is None:
                raise NotFound(N_("This unit no longer exists."))
        else:
            return None
        if actor is not None and not has_role_over(actor, MONITORS, unit):
            raise AccessDenied(N_("You do not oversee this unit."))
        return unit

    async def _paths(
        self, store: Store, actor: Actor | None, *, unit_code: str | None = None
    ) -> list[str | None]:
        unit = await self._unit(store, actor, unit_code, None)
        if unit is not None:
            return [unit.path]
        if actor is None:
            return [None]
        return await self._scope_paths(store, actor)

    async def _tops(self, store: Store, actor: Actor | None, paths: list[str | None]) -> list[Unit]:
        """The top units of the subtrees at ``paths``; for everything (None), the roots."""
        if None in paths:
            return [u for u in await store.units.all() if u.parent_id is None]
        assert actor is not None
        tops = {u.path: u for u in scope_units(actor, MONITORS)}
        return [tops[path] for path in paths if path in tops]

    @staticmethod
    async def _roster(
        store: Store, campaign: Campaign, paths: list[str | None]
    ) -> list[RosterEntry]:
        """Every active member under ``paths`` once, in their current primary unit, with
        their commitment for the campaign (``id`` None when they have not started one): one
        query per path, the subtree driving it; slim records, not members and commitments."""
        seen: set[int] = set()
        roster = []
        for path in paths:
            for entry in await store.commitments.roster_in_subtree(campaign.id, path):
                if entry.member_id not in seen:
                    seen.add(entry.member_id)
                    roster.append(entry)
        # Unit by unit, and in each the Vietnamese roster order.
        roster.sort(key=lambda entry: (entry.unit_path, name_key(entry.full_name)))
        return roster


async def export_table(store: Store, scope: ExportScope) -> CommitmentTable:
    """The export's header and rows over ``scope`` (no permission check: the caller got
    the scope from :meth:`Monitoring.export_scope`, which checks)."""
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
    campaign = scope.campaign
    roster = deque(await Monitoring._roster(store, campaign, scope.paths))
    labels = _Labels()
    # The actions a slice of the roster at a time, each slice dropped once its rows are
    # made: only the rows stay in memory.
    while roster:
        part = [roster.popleft() for _ in range(min(EXPORT_SLICE, len(roster)))]
        shown = await store.commitments.shown_actions(e for e in part if e.id is not None)
        for entry in part:
            number, actions = shown[entry.id] if entry.id is not None else (None, [])
            rows += _export_rows(labels, campaign, entry, number, actions)
    return CommitmentTable(campaign.year, scope.units, header, rows)
