"""Commitments, their working copy of actions and their frozen versions. SQL only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import aiosqlite

from storage.clock import from_db, to_db, utcnow
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member, Unit
from storage.units import chunked, unit_from_row


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


class CommitmentRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Commitments -------------------------------------------------------------------------

    async def get(self, commitment_id: int) -> CommitmentRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c WHERE c.id = ?", (commitment_id,)
        )
        row = await cursor.fetchone()
        return _commitment(row) if row else None

    async def find(self, member_id: int, campaign_id: int) -> CommitmentRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c WHERE c.member_id = ? AND c.campaign_id = ?",
            (member_id, campaign_id),
        )
        row = await cursor.fetchone()
        return _commitment(row) if row else None

    async def for_member(self, member_id: int) -> list[CommitmentRecord]:
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM commitments c JOIN campaigns k ON k.id = c.campaign_id "
            "WHERE c.member_id = ? ORDER BY k.year DESC",
            (member_id,),
        )
        return [_commitment(row) for row in await cursor.fetchall()]

    async def create(
        self, member_id: int, campaign_id: int, unit_id: int | None
    ) -> CommitmentRecord:
        now = to_db(utcnow())
        cursor = await self.conn.execute(
            "INSERT INTO commitments (member_id, campaign_id, filed_unit_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(member_id, campaign_id) DO NOTHING",
            (member_id, campaign_id, unit_id, now, now),
        )
        del cursor
        found = await self.find(member_id, campaign_id)
        assert found is not None
        return found

    async def set_status(
        self, commitment_id: int, status: str, *, expect: str | tuple[str, ...], **extra: object
    ) -> bool:
        """A conditional update: only when the status is still one of ``expect``.

        Returns False when someone else changed it first (nothing is written then).
        """
        expected = (expect,) if isinstance(expect, str) else expect
        columns = ", ".join(f"{name} = ?" for name in extra)
        sets = f"status = ?, updated_at = ?{', ' + columns if columns else ''}"
        marks = ",".join("?" * len(expected))
        cursor = await self.conn.execute(
            f"UPDATE commitments SET {sets} WHERE id = ? AND status IN ({marks})",
            (status, to_db(utcnow()), *extra.values(), commitment_id, *expected),
        )
        return cursor.rowcount == 1

    async def touch(self, commitment_id: int) -> None:
        await self.conn.execute(
            "UPDATE commitments SET updated_at = ? WHERE id = ?", (to_db(utcnow()), commitment_id)
        )

    async def grades(self, commitment_id: int) -> list[GradeRecord]:
        """Every grade given to this commitment, the first first."""
        cursor = await self.conn.execute(
            "SELECT id, commitment_id, revision, grade, points, comment, graded_by, "
            "graded_by_name, graded_at, proposal_id, decided_unit_id FROM commitment_grades "
            "WHERE commitment_id = ? "
            "ORDER BY revision",
            (commitment_id,),
        )
        return [grade_from_row(row) for row in await cursor.fetchall()]

    async def mark_self_reviewed(self, commitment_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE commitments SET self_review_at = COALESCE(self_review_at, ?), updated_at = ? "
            "WHERE id = ?",
            (to_db(at), to_db(utcnow()), commitment_id),
        )

    # Scope queries -----------------------------------------------------------------------

    async def in_subtree(
        self, campaign_id: int, path: str | None, statuses: tuple[str, ...] | None = None
    ) -> list[CommitmentRecord]:
        """Commitments of members whose CURRENT primary unit lies in the subtree at ``path``
        (every unit when ``path`` is None)."""
        where, params = _subtree(path)
        params = [campaign_id, *params]
        if statuses:
            where += f" AND c.status IN ({','.join('?' * len(statuses))})"
            params += list(statuses)
        cursor = await self.conn.execute(
            f"SELECT {_C} FROM {_SUBTREE_MEMBERS}"
            "CROSS JOIN commitments c ON c.member_id = ms.member_id AND c.campaign_id = ? "
            f"JOIN members m ON m.id = c.member_id WHERE 1{where} "
            "ORDER BY u.path, m.full_name, c.id",
            params,
        )
        return [_commitment(row) for row in await cursor.fetchall()]

    async def primary_members_in_subtree(self, path: str | None) -> list[tuple[Member, Unit]]:
        """Active members by their current primary unit in the subtree at ``path`` (every
        unit when None), with that unit: by unit path, then name. One query, each unit's
        record shared by its members."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, u.id AS u_id, u.code AS u_code, u.name AS u_name, "
            "u.kind AS u_kind, u.parent_id AS u_parent_id, u.path AS u_path "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            f"WHERE m.registration = 'active'{where} ORDER BY u.path, m.full_name, m.id",
            params,
        )
        units: dict[int, Unit] = {}
        found = []
        for row in await cursor.fetchall():
            unit = units.get(row["u_id"])
            if unit is None:
                unit = units[row["u_id"]] = unit_from_row(row, "u_")
            found.append((member_from_row(row), unit))
        return found

    async def roster_in_subtree(self, campaign_id: int, path: str | None) -> list[RosterEntry]:
        """Active members by their current primary unit in the subtree at ``path`` (every
        unit when None), each with their commitment for the campaign if any: one query, by
        unit path, then name (what primary_members_in_subtree and in_subtree give, slim)."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            "SELECT m.id, m.code, m.full_name, m.status, u.path, u.name, c.id, c.status, "
            "c.last_version, c.approved_version, c.late, c.grade, c.points "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE m.registration = 'active'{where} ORDER BY u.path, m.full_name, m.id",
            [campaign_id, *params],
        )
        shared: dict[str, str] = {}  # a unit's path and name once, for all its members
        found = []
        while rows := await cursor.fetchmany(5000):  # never a city's rows all at once
            found += [
                RosterEntry(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    shared.setdefault(row[4], row[4]),
                    shared.setdefault(row[5], row[5]),
                    row[6],
                    row[7],
                    row[8] or 0,
                    row[9],
                    bool(row[10]),
                    row[11],
                    row[12],
                )
                for row in rows
            ]
        return found

    async def progress_in_subtree(
        self, campaign_id: int, path: str | None
    ) -> list[tuple[Unit, dict[str, int]]]:
        """Per unit of the subtree at ``path`` (every unit when None) with members expected
        to file (active, not exempt) by their current primary unit: how many are expected,
        how many have no commitment (``missing``), how many count in each status and how
        many filed late. Counted in SQL; units without anyone expected are left out.

        A draft revising an approved commitment counts as approved, as
        :func:`bot.rules.commitments.monitoring_bucket` says."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path, COUNT(*) AS expected, "
            "SUM(c.member_id IS NULL) AS missing, SUM(c.bucket = 'draft') AS draft, "
            "SUM(c.bucket = 'submitted') AS submitted, SUM(c.bucket = 'approved') AS approved, "
            "SUM(c.bucket = 'returned') AS returned, SUM(COALESCE(c.late, 0)) AS late "
            f"FROM {_SUBTREE_MEMBERS}CROSS JOIN members m ON m.id = ms.member_id "
            "LEFT JOIN (SELECT member_id, late, CASE WHEN status = 'draft' "
            "AND COALESCE(approved_version, 0) != 0 THEN 'approved' ELSE status END AS bucket "
            "FROM commitments WHERE campaign_id = ?) c ON c.member_id = m.id "
            f"WHERE m.registration = 'active' AND m.status != 'exempt'{where} "
            "GROUP BY u.path ORDER BY u.path",
            [campaign_id, *params],
        )
        names = ("expected", "missing", "draft", "submitted", "approved", "returned", "late")
        return [
            (unit_from_row(row), {name: row[name] for name in names})
            for row in await cursor.fetchall()
        ]

    async def missing_in_subtree(
        self, campaign_id: int, path: str | None
    ) -> list[tuple[int, str, str]]:
        """(unit id, unit path, full name) of the members expected to file in the subtree
        at ``path`` who have not started a commitment, by unit path and name."""
        where, params = _subtree(path)
        cursor = await self.conn.execute(
            f"SELECT u.id, u.path, m.full_name FROM {_SUBTREE_MEMBERS}"
            "CROSS JOIN members m ON m.id = ms.member_id "
            "WHERE m.registration = 'active' AND m.status != 'exempt' AND NOT EXISTS "
            "(SELECT 1 FROM commitments c WHERE c.member_id = m.id AND c.campaign_id = ?)"
            f"{where} ORDER BY u.path, m.full_name, m.id",
            [campaign_id, *params],
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def shown_actions(
        self, records: Iterable[CommitmentRecord | RosterEntry]
    ) -> dict[int, tuple[int | None, list[ActionRecord]]]:
        """For each commitment, the number of the version a view shows (the approved one,
        else the latest; None for the working copy of one never submitted) and its actions
        in order: what ``CommitmentBase._view`` gives, for many commitments in a few queries."""
        wanted: dict[int, int] = {}  # commitment → the version number to show
        working: list[int] = []
        for record in records:
            if record.last_version == 0:
                working.append(record.id)
            else:
                wanted[record.id] = record.approved_version or record.last_version
        found: dict[int, tuple[int | None, list[ActionRecord]]] = {}
        version_of: dict[int, tuple[int, int]] = {}  # version id → (commitment, number)
        for chunk in chunked(list(wanted)):
            cursor = await self.conn.execute(
                "SELECT id, commitment_id, number FROM commitment_versions "
                f"WHERE commitment_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for version_id, commitment_id, number in await cursor.fetchall():
                if wanted[commitment_id] == number:
                    version_of[version_id] = (commitment_id, number)
                    found[commitment_id] = (number, [])
        for chunk in chunked(list(version_of)):
            cursor = await self.conn.execute(
                f"{_FROZEN} WHERE version_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY version_id, position, id",
                chunk,
            )
            for row in await cursor.fetchall():
                found[version_of[row["version_id"]][0]][1].append(_action(row, "version_id"))
        # A version missing (never, but as the view does): the working copy instead.
        working += [commitment_id for commitment_id in wanted if commitment_id not in found]
        for commitment_id in working:
            found[commitment_id] = (None, [])
        for chunk in chunked(working):
            cursor = await self.conn.execute(
                f"{_WORKING} WHERE commitment_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY commitment_id, position, id",
                chunk,
            )
            for row in await cursor.fetchall():
                found[row["commitment_id"]][1].append(_action(row, "commitment_id"))
        return found

    # Working copy ------------------------------------------------------------------------

    async def actions(self, commitment_id: int) -> list[ActionRecord]:
        cursor = await self.conn.execute(
            f"{_WORKING} WHERE commitment_id = ? ORDER BY position, id",
            (commitment_id,),
        )
        return [_action(row, "commitment_id") for row in await cursor.fetchall()]

    async def action(self, action_id: int) -> ActionRecord | None:
        cursor = await self.conn.execute(
            f"{_WORKING} WHERE id = ?",
            (action_id,),
        )
        row = await cursor.fetchone()
        return _action(row, "commitment_id") if row else None

    async def add_action(
        self, commitment_id: int, heading: str, text: str, target: date | None
    ) -> ActionRecord:
        cursor = await self.conn.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM commitment_actions WHERE commitment_id = ?",
            (commitment_id,),
        )
        position = (await cursor.fetchone())[0]
        cursor = await self.conn.execute(
            "INSERT INTO commitment_actions (commitment_id, heading, position, text, target_date) "
            "VALUES (?, ?, ?, ?, ?)",
            (commitment_id, heading, position, text, _day(target)),
        )
        await self.touch(commitment_id)
        found = await self.action(cursor.lastrowid)  # type: ignore[arg-type]
        assert found is not None
        return found

    async def update_action(
        self, action_id: int, *, text: str | None = None, target: date | bool | None = False
    ) -> None:
        """Change the text and/or the target date (``target=None`` clears it)."""
        if text is not None:
            await self.conn.execute(
                "UPDATE commitment_actions SET text = ? WHERE id = ?", (text, action_id)
            )
        if target is not False:
            await self.conn.execute(
                "UPDATE commitment_actions SET target_date = ? WHERE id = ?",
                (_day(target) if isinstance(target, date) else None, action_id),
            )

    async def delete_action(self, action_id: int) -> bool:
        cursor = await self.conn.execute(
            "DELETE FROM commitment_actions WHERE id = ?", (action_id,)
        )
        return cursor.rowcount == 1

    # Versions ----------------------------------------------------------------------------

    async def freeze_version(
        self,
        commitment: CommitmentRecord,
        *,
        unit_id: int | None,
        at: datetime,
        on: date,
        late: bool,
    ) -> VersionRecord:
        """Copy the working actions into version ``last_version + 1``."""
        number = commitment.last_version + 1
        cursor = await self.conn.execute(
            "INSERT INTO commitment_versions (commitment_id, number, unit_id, submitted_at, "
            "submitted_on, late) VALUES (?, ?, ?, ?, ?, ?)",
            (commitment.id, number, unit_id, to_db(at), on.isoformat(), int(late)),
        )
        version_id = cursor.lastrowid
        await self.conn.execute(
            "INSERT INTO commitment_version_actions (version_id, heading, position, text, "
            "target_date) SELECT ?, heading, position, text, target_date "
            "FROM commitment_actions WHERE commitment_id = ? ORDER BY position, id",
            (version_id, commitment.id),
        )
        found = await self.version(commitment.id, number)
        assert found is not None
        return found

    async def version(self, commitment_id: int, number: int) -> VersionRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_V} FROM commitment_versions WHERE commitment_id = ? AND number = ?",
            (commitment_id, number),
        )
        row = await cursor.fetchone()
        return _version(row) if row else None

    async def versions(self, commitment_id: int) -> list[VersionRecord]:
        cursor = await self.conn.execute(
            f"SELECT {_V} FROM commitment_versions WHERE commitment_id = ? ORDER BY number",
            (commitment_id,),
        )
        return [_version(row) for row in await cursor.fetchall()]

    async def decide_version(
        self,
        version_id: int,
        decision: str,
        *,
        by: int | None,
        by_name: str,
        at: datetime,
        comment: str | None,
    ) -> bool:
        cursor = await self.conn.execute(
            "UPDATE commitment_versions SET decision = ?, decided_by = ?, decided_by_name = ?, "
            "decided_at = ?, comment = ? WHERE id = ? AND decision = 'pending'",
            (decision, by, by_name, to_db(at), comment, version_id),
        )
        return cursor.rowcount == 1

    async def version_actions(self, version_id: int) -> list[ActionRecord]:
        cursor = await self.conn.execute(
            f"{_FROZEN} WHERE version_id = ? ORDER BY position, id",
            (version_id,),
        )
        return [_action(row, "version_id") for row in await cursor.fetchall()]

    async def version_action(self, action_id: int) -> ActionRecord | None:
        cursor = await self.conn.execute(
            f"{_FROZEN} WHERE id = ?",
            (action_id,),
        )
        row = await cursor.fetchone()
        return _action(row, "version_id") if row else None

    async def rate_action(
        self,
        action_id: int,
        *,
        rating: str | None = None,
        evidence: str | None = None,
        at: datetime,
    ) -> None:
        if rating is not None:
            await self.conn.execute(
                "UPDATE commitment_version_actions SET self_rating = ?, rated_at = ? WHERE id = ?",
                (rating, to_db(at), action_id),
            )
        if evidence is not None:
            await self.conn.execute(
                "UPDATE commitment_version_actions SET evidence = ?, rated_at = ? WHERE id = ?",
                (evidence, to_db(at), action_id),
            )
