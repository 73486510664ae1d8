"""Year-end grading: proposals, decisions and the remarks of a temporary cell. SQL only.

The decided grade in force lives on ``commitments`` (``grade``, ``points``, ``grade_comment``,
``grade_revision``) with every decision in ``commitment_grades``; proposals in
``grade_proposals``; remarks in ``grade_remarks`` (migration 0010).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db, utcnow
from storage.commitments import _C, CommitmentRecord, _commitment
from storage.records import Unit
from storage.units import chunked, unit_from_row


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    """One proposed grade; a change adds the next revision, the earlier ones stay."""

    id: int
    commitment_id: int
    revision: int
    unit_id: int | None
    grade: str
    points: int
    comment: str
    source: str  # "cell", or "decider" (changed by the deciding committee)
    proposed_by: int | None
    proposed_by_name: str | None
    proposed_at: datetime


@dataclass(frozen=True, slots=True)
class RemarkRecord:
    """The comment of the cell where a temporarily attached member attends."""

    id: int
    member_id: int
    campaign_id: int
    unit_id: int
    remark: str
    written_by: int | None
    written_by_name: str | None
    written_at: datetime


_P = (
    "id, commitment_id, revision, unit_id, grade, points, comment, source, proposed_by, "
    "proposed_by_name, proposed_at"
)
_P_JOINED = ", ".join(f"p.{column.strip()}" for column in _P.split(","))
_R = "id, member_id, campaign_id, unit_id, remark, written_by, written_by_name, written_at"


def _proposal(row: sqlite3.Row) -> ProposalRecord:
    return ProposalRecord(
        id=row["id"],
        commitment_id=row["commitment_id"],
        revision=row["revision"],
        unit_id=row["unit_id"],
        grade=row["grade"],
        points=row["points"],
        comment=row["comment"],
        source=row["source"],
        proposed_by=row["proposed_by"],
        proposed_by_name=row["proposed_by_name"],
        proposed_at=from_db(row["proposed_at"]),  # type: ignore[arg-type]
    )


def _remark(row: sqlite3.Row) -> RemarkRecord:
    return RemarkRecord(
        id=row["id"],
        member_id=row["member_id"],
        campaign_id=row["campaign_id"],
        unit_id=row["unit_id"],
        remark=row["remark"],
        written_by=row["written_by"],
        written_by_name=row["written_by_name"],
        written_at=from_db(row["written_at"]),  # type: ignore[arg-type]
    )


class GradingRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Who is graded where -----------------------------------------------------------------

    async def candidates(self, campaign_id: int, path: str | None) -> list[CommitmentRecord]:
        """The campaign's commitments of members who may be graded in the subtree at
        ``path`` (everything when None): members whose current primary unit is in it, and
        temporarily attached members with an open extra membership in it (the service
        decides, by :func:`bot.rules.grading.official_unit`, which of them it grades)."""
        where, params = "", []
        if path is not None:
            where, params = " AND u.path >= ? AND u.path < ?", [path, path + "\uffff"]
        # The subtree drives (units by path, then their open memberships), not the campaign's
        # index: see storage/commitments.py, _SUBTREE_MEMBERS.
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {_C} FROM units u "
            "CROSS JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
            "CROSS JOIN commitments c ON c.member_id = ms.member_id AND c.campaign_id = ? "
            "JOIN members m ON m.id = c.member_id "
            f"WHERE (ms.is_primary = 1 OR m.status = 'temporary'){where} "
            "ORDER BY c.id",
            [campaign_id, *params],
        )
        return [_commitment(row) for row in await cursor.fetchall()]

    async def open_units(self, member_ids: Iterable[int]) -> dict[int, list[Unit]]:
        """Each member's units of their open memberships, the primary first, then the
        extra ones in the order they began."""
        found: dict[int, list[Unit]] = {}
        for chunk in chunked(list(dict.fromkeys(member_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                "SELECT ms.member_id, u.id, u.code, u.name, u.kind, u.parent_id, u.path "
                "FROM memberships ms JOIN units u ON u.id = ms.unit_id "
                f"WHERE ms.ended_on IS NULL AND ms.member_id IN ({marks}) "
                "ORDER BY ms.member_id, ms.is_primary DESC, ms.started_on, ms.id",
                chunk,
            )
            for row in await cursor.fetchall():
                found.setdefault(row["member_id"], []).append(unit_from_row(row))
        return found

    async def grades_by_official_unit(
        self,
        campaign_id: int,
        path: str,
        *,
        temporary: str,
        official_kinds: tuple[str, ...],
        not_graded: str,
    ) -> list[tuple[int, str | None, int]]:
        """How many active members are graded in each official unit of the subtree at
        ``path``, by their decided grade this campaign: (unit id, grade, count), the grade
        None for no grade yet. What :func:`bot.rules.grading.official_unit` picks from
        :meth:`open_units`, counted in SQL: the first open membership (primary first, then
        by start); for a ``temporary`` member, the first extra one in a unit of
        ``official_kinds``. Members of status ``not_graded`` are left out. A grade counts
        only while the member's current primary unit is in the subtree (the review's
        scope); otherwise the member counts under None."""
        low, high = path, path + "\uffff"
        kinds = ", ".join(f":kind{i}" for i in range(len(official_kinds)))
        cursor = await self.conn.execute(
            # Most members: not temporary, with a primary membership, which is their
            # official one. The subtree drives (units_path, memberships_primary_unit).
            "SELECT u.id, c.grade, COUNT(*) FROM units u CROSS JOIN memberships ms "
            "ON ms.unit_id = u.id AND ms.ended_on IS NULL AND ms.is_primary = 1 "
            "JOIN members m ON m.id = ms.member_id AND m.registration = 'active' "
            "AND m.status NOT IN (:temporary, :skip) "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = :campaign "
            "WHERE u.path >= :low AND u.path < :high GROUP BY u.id, c.grade "
            # The others, few: temporary members, and members without a primary
            # membership. Their official membership is an extra one, so one in the subtree
            # finds them; their open memberships are ranked as open_units orders them, and
            # a temporary member's official one is the first extra in a unit of
            # official_kinds.
            "UNION ALL SELECT * FROM (WITH irregular AS (SELECT DISTINCT s.member_id AS id "
            "FROM units su CROSS JOIN memberships s ON s.unit_id = su.id "
            "AND s.ended_on IS NULL AND s.is_primary = 0 "
            "JOIN members m ON m.id = s.member_id AND m.registration = 'active' "
            "AND m.status != :skip WHERE su.path >= :low AND su.path < :high "
            "AND (m.status = :temporary OR NOT EXISTS (SELECT 1 FROM memberships p "
            "WHERE p.member_id = s.member_id AND p.ended_on IS NULL AND p.is_primary = 1))), "
            "ranked AS (SELECT ms.member_id, ms.unit_id, u.kind, ROW_NUMBER() OVER ("
            "PARTITION BY ms.member_id ORDER BY ms.is_primary DESC, ms.started_on, ms.id) "
            "AS rank FROM irregular i CROSS JOIN memberships ms ON ms.member_id = i.id "
            "AND ms.ended_on IS NULL JOIN units u ON u.id = ms.unit_id), "
            "extra AS (SELECT member_id, unit_id, ROW_NUMBER() OVER (PARTITION BY member_id "
            f"ORDER BY rank) AS rank FROM ranked WHERE rank > 1 AND kind IN ({kinds})), "
            "official AS (SELECT r.member_id, r.unit_id FROM ranked r "
            "JOIN members m ON m.id = r.member_id AND m.status != :temporary "
            "WHERE r.rank = 1 UNION ALL SELECT e.member_id, e.unit_id FROM extra e "
            "JOIN members m ON m.id = e.member_id AND m.status = :temporary WHERE e.rank = 1) "
            "SELECT o.unit_id, CASE WHEN pu.id IS NOT NULL THEN c.grade END, COUNT(*) "
            "FROM official o "
            "JOIN units ou ON ou.id = o.unit_id AND ou.path >= :low AND ou.path < :high "
            "LEFT JOIN memberships p ON p.member_id = o.member_id AND p.ended_on IS NULL "
            "AND p.is_primary = 1 "
            "LEFT JOIN units pu ON pu.id = p.unit_id AND pu.path >= :low AND pu.path < :high "
            "LEFT JOIN commitments c ON c.member_id = o.member_id AND c.campaign_id = :campaign "
            "GROUP BY o.unit_id, 2)",
            {
                **{f"kind{i}": kind for i, kind in enumerate(official_kinds)},
                "low": low,
                "high": high,
                "temporary": temporary,
                "skip": not_graded,
                "campaign": campaign_id,
            },
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    # Proposals ---------------------------------------------------------------------------

    async def propose(
        self,
        commitment_id: int,
        *,
        expect_revision: int,
        unit_id: int | None,
        grade: str,
        points: int,
        comment: str,
        source: str,
        by: int | None,
        by_name: str,
        at: datetime,
    ) -> ProposalRecord | None:
        """Record the next proposal when the one in force is still ``expect_revision``
        (0: none); None when someone proposed first (nothing is written then)."""
        revision = expect_revision + 1
        cursor = await self.conn.execute(
            "UPDATE commitments SET proposal_revision = ?, updated_at = ? "
            "WHERE id = ? AND proposal_revision = ?",
            (revision, to_db(utcnow()), commitment_id, expect_revision),
        )
        if cursor.rowcount != 1:
            return None
        cursor = await self.conn.execute(
            "INSERT INTO grade_proposals (commitment_id, revision, unit_id, grade, points, "
            "comment, source, proposed_by, proposed_by_name, proposed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                commitment_id,
                revision,
                unit_id,
                grade,
                points,
                comment,
                source,
                by,
                by_name,
                to_db(at),
            ),
        )
        return await self.proposal(commitment_id, revision)

    async def proposal(self, commitment_id: int, revision: int) -> ProposalRecord | None:
        cursor = await self.conn.execute(
            f"SELECT {_P} FROM grade_proposals WHERE commitment_id = ? AND revision = ?",
            (commitment_id, revision),
        )
        row = await cursor.fetchone()
        return _proposal(row) if row else None

    async def proposals(self, commitment_id: int) -> list[ProposalRecord]:
        """Every proposal made for this commitment, the first first."""
        cursor = await self.conn.execute(
            f"SELECT {_P} FROM grade_proposals WHERE commitment_id = ? ORDER BY revision",
            (commitment_id,),
        )
        return [_proposal(row) for row in await cursor.fetchall()]

    async def in_force(self, commitment_ids: Iterable[int]) -> dict[int, ProposalRecord]:
        """The proposal in force of each of these commitments that has one."""
        found: dict[int, ProposalRecord] = {}
        for chunk in chunked(list(dict.fromkeys(commitment_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_P_JOINED} "
                "FROM grade_proposals p JOIN commitments c ON c.id = p.commitment_id "
                f"AND p.revision = c.proposal_revision WHERE c.id IN ({marks})",
                chunk,
            )
            for row in await cursor.fetchall():
                found[row["commitment_id"]] = _proposal(row)
        return found

    # Decisions ---------------------------------------------------------------------------

    async def decide(
        self,
        record: CommitmentRecord,
        proposal: ProposalRecord,
        *,
        by: int | None,
        by_name: str,
        at: datetime,
        unit_id: int,
    ) -> bool:
        """Make ``proposal`` the decided grade in force, keeping every earlier decision.

        Conditional on the commitment being as read (the same decided grade and proposal in
        force); False, writing nothing, when someone changed either meanwhile.
        """
        revision = record.grade_revision + 1
        cursor = await self.conn.execute(
            "UPDATE commitments SET grade = ?, points = ?, grade_comment = ?, graded_by = ?, "
            "graded_at = ?, grade_revision = ?, decided_proposal = ?, updated_at = ? "
            "WHERE id = ? AND grade_revision = ? AND proposal_revision = ?",
            (
                proposal.grade,
                proposal.points,
                proposal.comment,
                by,
                to_db(at),
                revision,
                proposal.revision,
                to_db(utcnow()),
                record.id,
                record.grade_revision,
                proposal.revision,
            ),
        )
        if cursor.rowcount != 1:
            return False
        await self.conn.execute(
            "INSERT INTO commitment_grades (commitment_id, revision, grade, points, comment, "
            "graded_by, graded_by_name, graded_at, proposal_id, decided_unit_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                revision,
                proposal.grade,
                proposal.points,
                proposal.comment,
                by,
                by_name,
                to_db(at),
                proposal.id,
                unit_id,
            ),
        )
        return True

    # Remarks of the temporary cell -------------------------------------------------------

    async def add_remark(
        self,
        member_id: int,
        campaign_id: int,
        unit_id: int,
        remark: str,
        *,
        by: int | None,
        by_name: str,
        at: datetime,
    ) -> RemarkRecord:
        cursor = await self.conn.execute(
            "INSERT INTO grade_remarks (member_id, campaign_id, unit_id, remark, written_by, "
            "written_by_name, written_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (member_id, campaign_id, unit_id, remark, by, by_name, to_db(at)),
        )
        found = await self.conn.execute(
            f"SELECT {_R} FROM grade_remarks WHERE id = ?", (cursor.lastrowid,)
        )
        row = await found.fetchone()
        return _remark(row)

    async def remarks(
        self, member_ids: Iterable[int], campaign_id: int
    ) -> dict[int, list[RemarkRecord]]:
        """The remarks in force (the latest of each cell) about these members, by member."""
        found: dict[int, list[RemarkRecord]] = {}
        for chunk in chunked(list(dict.fromkeys(member_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_R} FROM grade_remarks r WHERE r.campaign_id = ? "
                f"AND r.member_id IN ({marks}) AND r.id = (SELECT MAX(id) FROM grade_remarks x "
                "WHERE x.member_id = r.member_id AND x.campaign_id = r.campaign_id "
                "AND x.unit_id = r.unit_id) ORDER BY r.member_id, r.id",
                [campaign_id, *chunk],
            )
            for row in await cursor.fetchall():
                found.setdefault(row["member_id"], []).append(_remark(row))
        return found
