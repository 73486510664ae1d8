"""The commitments' records and how rows become them, shared by the repository
(storage/commitments.py) and the queries that read commitments in bulk. SQL fragments only."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from storage.clock import from_db


@dataclass(frozen=True, slots=True)
class CommitmentRecord:
    id: int
    member_id: int
    campaign_id: int
    filed_unit_id: int | None
    status: str
    last_version: int
    approved_version: int | None
    late: bool
    self_review_at: datetime | None
    grade: str | None
    points: int | None
    grade_comment: str | None
    graded_by: int | None
    graded_at: datetime | None
    grade_revision: int = 0  # the number of the (decided) grade in force; 0 before any
    proposal_revision: int = 0  # the number of the proposal in force; 0 before any
    decided_proposal: int = 0  # the proposal the decided grade followed; 0: none (old flow)

    @property
    def awaiting_decision(self) -> bool:
        """A proposal is in force that no decision has followed yet."""
        return self.proposal_revision > self.decided_proposal


@dataclass(frozen=True, slots=True)
class GradeRecord:
    """One grade given; a change adds the next revision, the earlier ones stay."""

    id: int
    commitment_id: int
    revision: int
    grade: str
    points: int | None
    comment: str | None
    graded_by: int | None
    graded_by_name: str | None
    graded_at: datetime
    proposal_id: int | None = None  # the proposal decided; None: decided before proposals
    decided_unit_id: int | None = None  # the level that decided


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: int
    owner_id: int  # the commitment (working copy) or the version it belongs to
    heading: str
    position: int
    text: str
    target_date: date | None
    self_rating: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """What the export needs of one member in their current primary unit, with their
    commitment for a campaign (``id`` None: not started): a slim record, as a city's
    export holds one per member while it runs."""

    member_id: int
    code: str | None
    full_name: str
    status: str  # the member's
    unit_path: str
    unit_name: str
    id: int | None  # the commitment's, and what shown_actions reads of it
    commitment_status: str | None
    last_version: int
    approved_version: int | None
    late: bool
    grade: str | None
    points: int | None


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: int
    commitment_id: int
    number: int
    unit_id: int | None
    submitted_at: datetime
    submitted_on: date
    late: bool
    decision: str
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    comment: str | None


_C = (
    "c.id, c.member_id, c.campaign_id, c.filed_unit_id, c.status, c.last_version, "
    "c.approved_version, c.late, c.self_review_at, c.grade, c.points, c.grade_comment, "
    "c.graded_by, c.graded_at, c.grade_revision, c.proposal_revision, c.decided_proposal"
)
_V = (
    "id, commitment_id, number, unit_id, submitted_at, submitted_on, late, decision, "
    "decided_by, decided_by_name, decided_at, comment"
)


def _commitment(row: sqlite3.Row) -> CommitmentRecord:
    return CommitmentRecord(
        id=row["id"],
        member_id=row["member_id"],
        campaign_id=row["campaign_id"],
        filed_unit_id=row["filed_unit_id"],
        status=row["status"],
        last_version=row["last_version"],
        approved_version=row["approved_version"],
        late=bool(row["late"]),
        self_review_at=from_db(row["self_review_at"]),
        grade=row["grade"],
        points=row["points"],
        grade_comment=row["grade_comment"],
        graded_by=row["graded_by"],
        graded_at=from_db(row["graded_at"]),
        grade_revision=row["grade_revision"],
        proposal_revision=row["proposal_revision"],
        decided_proposal=row["decided_proposal"],
    )


def _version(row: sqlite3.Row) -> VersionRecord:
    return VersionRecord(
        id=row["id"],
        commitment_id=row["commitment_id"],
        number=row["number"],
        unit_id=row["unit_id"],
        submitted_at=from_db(row["submitted_at"]),  # type: ignore[arg-type]
        submitted_on=date.fromisoformat(row["submitted_on"]),
        late=bool(row["late"]),
        decision=row["decision"],
        decided_by=row["decided_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=from_db(row["decided_at"]),
        comment=row["comment"],
    )


# Target dates repeat (a campaign's deadlines): each day parsed once, one object shared.
_target_day = lru_cache(maxsize=4096)(date.fromisoformat)


def _action(row: sqlite3.Row, owner: str) -> ActionRecord:
    """An action of the working copy (``owner`` "commitment_id") or of a frozen version
    ("version_id", with the member's self-rating and evidence). Exports read a city's
    half a million of these: positional, no per-row key list."""
    target = row["target_date"]
    frozen = owner == "version_id"  # _FROZEN's columns
    return ActionRecord(
        row["id"],
        row[owner],
        row["heading"],
        row["position"],
        row["text"],
        _target_day(target) if target else None,
        row["self_rating"] if frozen else None,
        row["evidence"] if frozen else None,
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def grade_from_row(row: sqlite3.Row) -> GradeRecord:
    """A commitment_grades row (all its columns, by name) as a record."""
    return GradeRecord(
        id=row["id"],
        commitment_id=row["commitment_id"],
        revision=row["revision"],
        grade=row["grade"],
        points=row["points"],
        comment=row["comment"],
        graded_by=row["graded_by"],
        graded_by_name=row["graded_by_name"],
        graded_at=from_db(row["graded_at"]),  # type: ignore[arg-type]
        proposal_id=row["proposal_id"],
        decided_unit_id=row["decided_unit_id"],
    )


def _subtree(path: str | None) -> tuple[str, list[object]]:
    """The WHERE fragment (on ``u.path``) and parameters for the subtree at ``path``."""
    if path is None:
        return "", []
    return " AND u.path >= ? AND u.path < ?", [path, path + "\uffff"]


# The member's primary unit now: scope follows it, so a member who moves takes all along.
# The subtree drives: its units by path (units_path), their members by primary membership
# (memberships_primary_unit, migration 0016), then each member's rows. CROSS JOIN keeps
# SQLite from starting at the campaign's index instead, which reads every commitment of the
# campaign whatever the subtree (docs/reports-performance.md has the plans).
_SUBTREE_MEMBERS = (
    "units u CROSS JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
    "AND ms.is_primary = 1 "
)
_WORKING = "SELECT id, commitment_id, heading, position, text, target_date FROM commitment_actions"
_FROZEN = (
    "SELECT id, version_id, heading, position, text, target_date, self_rating, evidence "
    "FROM commitment_version_actions"
)
