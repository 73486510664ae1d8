"""What the year-end dossiers read, in bulk: a constant number of queries however many
members a cell has (each ``IN`` list chunked under SQLite's parameter limit). SQL only.

Every query is driven by an index: the members' ids (``commitments`` by its unique
(member_id, campaign_id), ``session_invitees_member``, ``grade_remarks_member``), the
commitments' ids (the unique (commitment_id, number/revision) of versions, proposals and
grades) and the versions' ids (``commitment_version_actions_version``); the roster of a
subtree by ``units_path`` then the open memberships of each unit; the nominations naming
the members by ``nominations_nominee`` (migration 0017).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.commitments import (
    _C,
    _FROZEN,
    ActionRecord,
    CommitmentRecord,
    GradeRecord,
    VersionRecord,
    _action,
    _commitment,
    _version,
    grade_from_row,
)
from storage.grading import _P, ProposalRecord, _proposal
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member
from storage.sessions import _INVITEE_JOINED, _SESSION, Invitee, Session, _invitee, _session
from storage.units import chunked

_V_JOINED = (
    "v.id, v.commitment_id, v.number, v.unit_id, v.submitted_at, v.submitted_on, v.late, "
    "v.decision, v.decided_by, v.decided_by_name, v.decided_at, v.comment"
)


@dataclass(frozen=True, slots=True)
class NomineeDeed:
    """A good-deed nomination naming a member, as the dossier lists it."""

    id: int
    member_id: int
    deed: str
    status: str  # "approved" or "submitted" (waiting for the board)
    created_at: datetime
    decided_at: datetime | None
    story_id: int | None  # the story made from it


def _ids(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))


class DossierRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def roster(self, path: str) -> list[Member]:
        """Active members with an open membership in the subtree at ``path``: their primary
        one, or any one for a temporarily attached member (the cell of their official
        membership keeps them as an extra one). Each member once."""
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {MEMBER_COLUMNS} FROM units u "
            "JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
            "JOIN members m ON m.id = ms.member_id "
            "WHERE u.path >= ? AND u.path < ? AND m.registration = 'active' "
            "AND (ms.is_primary = 1 OR m.status = 'temporary') ORDER BY m.id",
            (path, path + "\uffff"),
        )
        return [member_from_row(row) for row in await cursor.fetchall()]

    async def commitments(
        self, campaign_id: int, member_ids: Iterable[int]
    ) -> dict[int, CommitmentRecord]:
        """The campaign's commitment of each member who has one, by member id."""
        found: dict[int, CommitmentRecord] = {}
        for chunk in chunked(_ids(member_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_C} FROM commitments c WHERE c.campaign_id = ? "
                f"AND c.member_id IN ({marks})",
                [campaign_id, *chunk],
            )
            for row in await cursor.fetchall():
                record = _commitment(row)
                found[record.member_id] = record
        return found

    async def versions_in_force(self, commitment_ids: Iterable[int]) -> dict[int, VersionRecord]:
        """The version in force of each commitment (the approved one, else the latest
        submitted), by commitment id; commitments never submitted have none."""
        found: dict[int, VersionRecord] = {}
        for chunk in chunked(_ids(commitment_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_V_JOINED} FROM commitments c JOIN commitment_versions v "
                "ON v.commitment_id = c.id "
                "AND v.number = COALESCE(c.approved_version, c.last_version) "
                f"WHERE c.id IN ({marks})",
                chunk,
            )
            for row in await cursor.fetchall():
                version = _version(row)
                found[version.commitment_id] = version
        return found

    async def version_actions(self, version_ids: Iterable[int]) -> dict[int, list[ActionRecord]]:
        """The frozen actions of each version, in their order, by version id."""
        found: dict[int, list[ActionRecord]] = {}
        for chunk in chunked(_ids(version_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"{_FROZEN} WHERE version_id IN ({marks}) ORDER BY version_id, position, id",
                chunk,
            )
            for row in await cursor.fetchall():
                action = _action(row, "version_id")
                found.setdefault(action.owner_id, []).append(action)
        return found

    async def proposals(self, commitment_ids: Iterable[int]) -> dict[int, list[ProposalRecord]]:
        """Every grade proposed for each commitment, the first first."""
        found: dict[int, list[ProposalRecord]] = {}
        for chunk in chunked(_ids(commitment_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_P} FROM grade_proposals WHERE commitment_id IN ({marks}) "
                "ORDER BY commitment_id, revision",
                chunk,
            )
            for row in await cursor.fetchall():
                proposal = _proposal(row)
                found.setdefault(proposal.commitment_id, []).append(proposal)
        return found

    async def grades(self, commitment_ids: Iterable[int]) -> dict[int, list[GradeRecord]]:
        """Every grade decided for each commitment, the first first."""
        found: dict[int, list[GradeRecord]] = {}
        for chunk in chunked(_ids(commitment_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                "SELECT id, commitment_id, revision, grade, points, comment, graded_by, "
                "graded_by_name, graded_at, proposal_id, decided_unit_id FROM commitment_grades "
                f"WHERE commitment_id IN ({marks}) ORDER BY commitment_id, revision",
                chunk,
            )
            for row in await cursor.fetchall():
                found.setdefault(row["commitment_id"], []).append(grade_from_row(row))
        return found

    async def closed_sessions(
        self, member_ids: Iterable[int], since: datetime, until: datetime
    ) -> dict[int, list[tuple[Session, Invitee]]]:
        """The closed sessions starting in [since, until) each member was invited to, with
        their line (the final mark), in time order, by member id."""
        found: dict[int, list[tuple[Session, Invitee]]] = {}
        for chunk in chunked(_ids(member_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_SESSION}, {_INVITEE_JOINED} FROM session_invitees i "
                "JOIN sessions s ON s.id = i.session_id "
                f"WHERE i.member_id IN ({marks}) AND s.status = 'closed' "
                "AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
                [*chunk, to_db(since), to_db(until)],
            )
            for row in await cursor.fetchall():
                invitee = _invitee(row, "i_")
                found.setdefault(invitee.member_id, []).append((_session(row), invitee))
        return found

    async def nominations(
        self, member_ids: Iterable[int], since: datetime, until: datetime
    ) -> dict[int, list[NomineeDeed]]:
        """The nominations naming each member that were approved in [since, until), or
        submitted then and not rejected, by member id, in the order they were submitted."""
        found: dict[int, list[NomineeDeed]] = {}
        bounds = (to_db(since), to_db(until))
        for chunk in chunked(_ids(member_ids)):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                "SELECT id, nominee_member_id, deed, status, created_at, decided_at, story_id "
                f"FROM nominations WHERE nominee_member_id IN ({marks}) "
                # "+status": by the members (nominations_nominee), never every approved one
                "AND +status IN ('approved', 'submitted') "
                "AND ((created_at >= ? AND created_at < ?) "
                "OR (+status = 'approved' AND decided_at >= ? AND decided_at < ?)) "
                "ORDER BY created_at, id",
                [*chunk, *bounds, *bounds],
            )
            for row in await cursor.fetchall():
                found.setdefault(row["nominee_member_id"], []).append(
                    NomineeDeed(
                        id=row["id"],
                        member_id=row["nominee_member_id"],
                        deed=row["deed"],
                        status=row["status"],
                        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
                        decided_at=from_db(row["decided_at"]),
                        story_id=row["story_id"],
                    )
                )
        return found
