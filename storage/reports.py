"""The committees' reports (issue 12): figures over a subtree, in bulk. SQL only.

Every query here starts from the units of one subtree, found as one range of the indexed
materialised path (``/1/4/`` ≤ path < ``/1/4/\\uffff``), and groups by the child of the
subtree's top that each row lies under (:data:`CHILD`): one query per figure family for the
top's total and all its children at once, never one per unit or per member. A member counts
once, in their current primary unit. ``EXPLAIN QUERY PLAN`` of the heavy ones:
docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.records import Unit
from storage.units import unit_from_row

# The id of the child of the top (path ``:top``, ``:n`` characters) that ``u`` lies under;
# 0 for the top itself. ``substr`` with a negative length counts backwards, hence the CASE.
CHILD = (
    "CASE WHEN length(u.path) = :n THEN 0 ELSE CAST(substr(u.path, :n + 1, "
    "instr(substr(u.path, :n + 1), '/') - 1) AS INTEGER) END"
)
SUBTREE = "u.path >= :top AND u.path < :top_end"
# The member's current primary unit (memberships_primary_unit, migration 0016).
PRIMARY = (
    "JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL AND ms.is_primary = 1 "
    "JOIN members m ON m.id = ms.member_id AND m.registration = 'active'"
)
# How a commitment counts (bot.rules.commitments.monitoring_bucket): a draft revising an
# approved one still counts as approved, the approved version standing until replaced.
APPROVED = "(c.status = 'approved' OR (c.status = 'draft' AND COALESCE(c.approved_version, 0) > 0))"
FILED = f"(c.status = 'submitted' OR {APPROVED})"
EXPECTED = "m.status != 'exempt'"
# Present: the secretary's mark when there is one (the correction, then final), else the
# check-in (bot.rules.sessions.derive_mark).
PRESENT = (
    "CASE WHEN i.mark IS NOT NULL THEN i.mark = 'present' ELSE i.checked_in_at IS NOT NULL END"
)
CADENCE_KINDS = ("cell", "party_group")


@dataclass(frozen=True, slots=True)
class MemberCounts:
    """Members, commitments and grades of one child (0: the top's own members)."""

    child: int
    members: int
    expected: int
    filed: int
    approved: int
    late: int
    grades: dict[str, int]
    ungraded: int


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """Invitations of one child's members to one closed session, the exempt left out."""

    child: int
    session_id: int
    starts_at: datetime
    invited: int
    present: int


@dataclass(frozen=True, slots=True)
class HeldSession:
    """A closed session of a unit of the subtree."""

    child: int
    unit_id: int
    kind: str
    starts_at: datetime
    campaign_id: int | None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One member of a unit with their commitment for a campaign (the drill-down)."""

    member_id: int
    unit_id: int
    name: str
    status: str
    commitment: str | None  # as monitoring counts it; None: not started
    late: bool
    grade: str | None


def _scope(path: str) -> dict[str, object]:
    return {"top": path, "top_end": path + "\uffff", "n": len(path)}


class ReportRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def units(self, path: str) -> list[tuple[int, Unit]]:
        """(child, unit) for every unit of the subtree, parents before children."""
        cursor = await self.conn.execute(
            f"SELECT {CHILD} AS child, u.id, u.code, u.name, u.kind, u.parent_id, u.path "
            f"FROM units u WHERE {SUBTREE} ORDER BY u.path",
            _scope(path),
        )
        return [(row["child"], unit_from_row(row)) for row in await cursor.fetchall()]

    async def member_counts(self, path: str, campaign_id: int | None) -> list[MemberCounts]:
        """Per child: active members, those expected to file (not exempt), filed, approved,
        filed late, and the decided grades of the expected; without a campaign nobody is
        expected."""
        params = _scope(path) | {"campaign": campaign_id if campaign_id is not None else -1}
        cursor = await self.conn.execute(
            f"SELECT {CHILD} AS child, COUNT(*) AS members, "
            f"COALESCE(SUM({EXPECTED}), 0) AS expected, "
            f"COALESCE(SUM({EXPECTED} AND {FILED}), 0) AS filed, "
            f"COALESCE(SUM({EXPECTED} AND {APPROVED}), 0) AS approved, "
            f"COALESCE(SUM({EXPECTED} AND {FILED} AND c.late = 1), 0) AS late, "
            f"COALESCE(SUM({EXPECTED} AND c.grade = 'excellent'), 0) AS excellent, "
            f"COALESCE(SUM({EXPECTED} AND c.grade = 'good'), 0) AS good, "
            f"COALESCE(SUM({EXPECTED} AND c.grade = 'fulfilled'), 0) AS fulfilled, "
            f"COALESCE(SUM({EXPECTED} AND c.grade = 'not_fulfilled'), 0) AS not_fulfilled, "
            f"COALESCE(SUM({EXPECTED} AND c.grade IS NULL), 0) AS ungraded "
            f"FROM units u {PRIMARY} "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = :campaign "
            f"WHERE {SUBTREE} GROUP BY child",
            params,
        )
        found = []
        for row in await cursor.fetchall():
            expected = row["expected"] if campaign_id is not None else 0
            found.append(
                MemberCounts(
                    child=row["child"],
                    members=row["members"],
                    expected=expected,
                    filed=row["filed"] if expected else 0,
                    approved=row["approved"] if expected else 0,
                    late=row["late"] if expected else 0,
                    grades={
                        grade: row[grade] if expected else 0
                        for grade in ("excellent", "good", "fulfilled", "not_fulfilled")
                    },
                    ungraded=row["ungraded"] if expected else 0,
                )
            )
        return found

    async def attendance(
        self, path: str, since: datetime, until: datetime
    ) -> list[SessionAttendance]:
        """Per child and closed session starting in [since, until): the invitations of the
        child's members (by their current primary unit, wherever the session was held),
        the exempt left out, and how many of them were present."""
        params = _scope(path) | {"since": to_db(since), "until": to_db(until)}
        cursor = await self.conn.execute(
            f"SELECT {CHILD} AS child, s.id, s.starts_at, COUNT(*) AS invited, "
            f"COALESCE(SUM({PRESENT}), 0) AS present "
            f"FROM units u {PRIMARY} "
            "JOIN session_invitees i ON i.member_id = m.id AND i.status != 'exempt' "
            "JOIN sessions s ON s.id = i.session_id AND s.status = 'closed' "
            "AND s.starts_at >= :since AND s.starts_at < :until "
            f"WHERE {SUBTREE} GROUP BY child, s.id",
            params,
        )
        return [
            SessionAttendance(
                row["child"], row["id"], from_db(row["starts_at"]), row["invited"], row["present"]
            )  # type: ignore[arg-type]
            for row in await cursor.fetchall()
        ]

    async def held(
        self,
        path: str,
        since: datetime,
        until: datetime,
        campaign_id: int | None,
    ) -> list[HeldSession]:
        """Closed sessions of the subtree's units: the regular and thematic ones of the
        cadence units starting in [since, until), and, for the study cascade, every one on
        the campaign's topic whenever it was held."""
        kinds = ",".join(f"'{kind}'" for kind in CADENCE_KINDS)
        params = _scope(path) | {
            "since": to_db(since),
            "until": to_db(until),
            "campaign": campaign_id if campaign_id is not None else -1,
        }
        cursor = await self.conn.execute(
            f"SELECT {CHILD} AS child, u.id AS unit_id, s.kind, s.starts_at, s.campaign_id "
            "FROM units u JOIN sessions s ON s.unit_id = u.id AND s.status = 'closed' "
            f"WHERE {SUBTREE} AND (s.campaign_id = :campaign OR (u.kind IN ({kinds}) "
            "AND s.kind IN ('regular', 'thematic') "
            "AND s.starts_at >= :since AND s.starts_at < :until))",
            params,
        )
        return [
            HeldSession(
                row["child"],
                row["unit_id"],
                row["kind"],
                from_db(row["starts_at"]),  # type: ignore[arg-type]
                row["campaign_id"],
            )
            for row in await cursor.fetchall()
        ]

    async def stories(self, path: str, since: datetime, until: datetime) -> dict[int, tuple]:
        """Per child: story copies delivered to its members (sent) of stories sent in
        [since, until), and how many of those the member marked "read and learned"."""
        params = _scope(path) | {"since": to_db(since), "until": to_db(until)}
        cursor = await self.conn.execute(
            f"SELECT {CHILD} AS child, COUNT(*) AS delivered, "
            "COALESCE(SUM(r.member_id IS NOT NULL), 0) AS read "
            f"FROM units u {PRIMARY} "
            "JOIN outbox o ON o.member_id = m.id AND o.kind = 'story' AND o.status = 'sent' "
            "JOIN stories s ON s.batch_id = o.batch_id "
            "AND s.send_at >= :since AND s.send_at < :until "
            "LEFT JOIN story_reads r ON r.story_id = s.id AND r.member_id = m.id "
            f"WHERE {SUBTREE} GROUP BY child",
            params,
        )
        return {row["child"]: (row["delivered"], row["read"]) for row in await cursor.fetchall()}

    # One unit's own members (the drill-down) -----------------------------------------------

    async def member_rows(
        self, unit_id: int, campaign_id: int | None, member_id: int | None = None
    ) -> list[MemberRow]:
        """The active members whose current primary unit is this one (or only
        ``member_id``), with their commitment for the campaign."""
        where = "ms.member_id = :member" if member_id is not None else "ms.unit_id = :unit"
        cursor = await self.conn.execute(
            "SELECT m.id, ms.unit_id, m.full_name, m.status, c.status AS commitment, "
            f"{FILED} AS filed, {APPROVED} AS approved, c.late, c.grade "
            "FROM memberships ms JOIN members m ON m.id = ms.member_id "
            "AND m.registration = 'active' "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = :campaign "
            f"WHERE {where} AND ms.ended_on IS NULL AND ms.is_primary = 1",
            {
                "unit": unit_id,
                "member": member_id,
                "campaign": campaign_id if campaign_id is not None else -1,
            },
        )
        found = []
        for row in await cursor.fetchall():
            commitment = row["commitment"]
            if row["approved"]:
                commitment = "approved"
            found.append(
                MemberRow(
                    member_id=row["id"],
                    unit_id=row["unit_id"],
                    name=row["full_name"],
                    status=row["status"],
                    commitment=commitment,
                    late=bool(row["filed"] and row["late"]),
                    grade=row["grade"],
                )
            )
        return found

    async def member_attendance(
        self, member_ids: Sequence[int], since: datetime, until: datetime
    ) -> dict[int, tuple[int, int]]:
        """Member id → (invited, present) over closed sessions starting in [since, until),
        invitations as exempt left out."""
        found: dict[int, tuple[int, int]] = {}
        ids = list(dict.fromkeys(member_ids))
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT i.member_id, COUNT(*), SUM({PRESENT}) FROM session_invitees i "
                "JOIN sessions s ON s.id = i.session_id AND s.status = 'closed' "
                "AND s.starts_at >= ? AND s.starts_at < ? "
                f"WHERE i.member_id IN ({marks}) AND i.status != 'exempt' GROUP BY i.member_id",
                (to_db(since), to_db(until), *chunk),
            )
            found.update({row[0]: (row[1], row[2]) for row in await cursor.fetchall()})
        return found
