"""The rows of the committees' XLSX workbook (issue 12), read in bulk over a subtree: one
statement per sheet, whatever the size of the subtree, and rows streamed from SQLite in
chunks into small slotted records (a city has 100,000 members).

Every query starts from the subtree's units (``units.path`` prefix range, indexed) and
reaches the rest through indexes on the unit or the member; ``EXPLAIN QUERY PLAN`` of each is
checked in ``tests/unit/test_report_workbook.py``.

The subtree's members are those whose CURRENT primary unit lies in it, each once (a member
in several units counts where their primary membership is; one who moved counts where they
are now, with everything they did before).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.clock import from_db, to_db

CHUNK = 5000  # rows per fetch: few thread hops, little held at once

# The final mark of an invitee, as bot.rules.sessions.derive_mark reads it: the secretary's
# mark first (closing a session writes one for everyone), then the check-in, then a
# declined invitation with a reason; otherwise absent without a reason.
MARK = (
    "COALESCE(i.mark, CASE WHEN i.checked_in_at IS NOT NULL THEN 'present' "
    "WHEN i.rsvp = 'no' AND COALESCE(i.rsvp_reason, '') <> '' THEN 'excused' "
    "ELSE 'absent' END)"
)
# The subtree's members: their current primary membership in one of its units. CROSS JOIN
# fixes the order (SQLite never reorders it): the subtree drives, then each member's rows
# are reached by index; left to itself the planner may start from a campaign's or a
# period's rows, all of them, whatever the scope.
MEMBERS_FROM = (
    "FROM units u "
    "CROSS JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
    "AND ms.is_primary = 1 "
    "CROSS JOIN members m ON m.id = ms.member_id AND m.registration = 'active' "
)
IN_SUBTREE = "u.path >= :low AND u.path < :high"


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    code: str
    name: str
    status: str  # official, probationary, temporary, exempt
    position: str
    work_unit: str
    unit_id: int  # the current primary unit
    other_units: str  # the names of the member's other current units, "; "-separated


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    """A member's commitment of the campaign year and its year-end grading."""

    member_id: int
    status: str  # draft, submitted, returned, approved
    version: int  # the number of the latest submitted version (0: never submitted)
    first_submitted: date | None  # local day of the first submission
    last_submitted: date | None
    late: bool
    approved_at: datetime | None  # when the version in force was approved
    actions: int  # actions of the latest submitted version (of the draft before any)
    self_review_at: datetime | None
    proposed_grade: str | None  # the cell's proposal in force
    proposed_points: int | None
    grade: str | None  # the decided grade in force
    points: int | None
    graded_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    """A member's invitations to the meetings held (closed) in the period by the subtree's
    units, the invitations while exempt left out."""

    member_id: int
    invited: int
    present: int
    excused: int  # absent with a reason
    absent: int  # absent without a reason


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    unit_id: int
    kind: str
    topic: str
    starts_at: datetime
    status: str  # scheduled, closed, cancelled
    on_campaign: bool
    invited: int  # the exempt left out
    present: int
    excused: int
    absent: int
    minutes: bool


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: int
    title: str
    tag: str
    board: str  # the name of the board's unit that wrote it (maybe above the subtree)
    sent_at: datetime | None
    delivered: int  # copies delivered to the subtree's members
    read: int  # of those, "read and learned"


class WorkbookRepository:
    """Bound to one connection, like every repository (see :class:`storage.db.Store`)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _rows(self, sql: str, params: dict[str, object]) -> AsyncIterator[sqlite3.Row]:
        cursor = await self.conn.execute(sql, params)
        try:
            while rows := await cursor.fetchmany(CHUNK):
                for row in rows:
                    yield row
        finally:
            await cursor.close()

    @staticmethod
    def _subtree(path: str, **params: object) -> dict[str, object]:
        return {"low": path, "high": path + "\uffff", **params}

    async def members(self, path: str) -> list[MemberRow]:
        """The subtree's members, by unit (tree order) then name."""
        sql = (
            "SELECT m.id, COALESCE(m.code, ''), m.full_name, m.status, m.position, m.work_unit, "
            "u.id, (SELECT group_concat(ou.name, '; ') FROM memberships o "
            "JOIN units ou ON ou.id = o.unit_id WHERE o.member_id = m.id "
            f"AND o.ended_on IS NULL AND o.is_primary = 0) {MEMBERS_FROM}"
            f"WHERE {IN_SUBTREE} ORDER BY u.path, m.full_name, m.id"
        )
        return [
            MemberRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] or "")
            async for row in self._rows(sql, self._subtree(path))
        ]

    async def commitments(self, path: str, campaign_id: int) -> list[CommitmentRow]:
        """The campaign's commitments of the subtree's members, with the proposal and the
        decided grade in force."""
        sql = (
            "SELECT c.member_id, c.status, c.last_version, "
            "(SELECT f.submitted_on FROM commitment_versions f "
            " WHERE f.commitment_id = c.id AND f.number = 1), "
            "lv.submitted_on, c.late, av.decided_at, "
            "CASE WHEN lv.id IS NULL THEN (SELECT COUNT(*) FROM commitment_actions w "
            "  WHERE w.commitment_id = c.id) "
            " ELSE (SELECT COUNT(*) FROM commitment_version_actions a "
            "  WHERE a.version_id = lv.id) END, "
            "c.self_review_at, p.grade, p.points, c.grade, c.points, c.graded_at "
            f"{MEMBERS_FROM}"
            "CROSS JOIN commitments c ON c.member_id = m.id AND c.campaign_id = :campaign "
            "LEFT JOIN commitment_versions lv ON lv.commitment_id = c.id "
            " AND lv.number = c.last_version "
            "LEFT JOIN commitment_versions av ON av.commitment_id = c.id "
            " AND av.number = c.approved_version "
            "LEFT JOIN grade_proposals p ON p.commitment_id = c.id "
            " AND p.revision = c.proposal_revision "
            f"WHERE {IN_SUBTREE}"
        )
        return [
            CommitmentRow(
                member_id=row[0],
                status=row[1],
                version=row[2],
                first_submitted=_day(row[3]),
                last_submitted=_day(row[4]),
                late=bool(row[5]),
                approved_at=from_db(row[6]),
                actions=row[7],
                self_review_at=from_db(row[8]),
                proposed_grade=row[9],
                proposed_points=row[10],
                grade=row[11],
                points=row[12],
                graded_at=from_db(row[13]),
            )
            async for row in self._rows(sql, self._subtree(path, campaign=campaign_id))
        ]

    async def attendance(self, path: str, since: datetime, until: datetime) -> list[AttendanceRow]:
        """Per member, the invitations to the meetings the subtree's units held (closed) in
        ``[since, until)``; invitations while exempt are not counted."""
        sql = (
            "SELECT i.member_id, COUNT(*), "
            f"SUM({MARK} = 'present'), SUM({MARK} = 'excused'), SUM({MARK} = 'absent') "
            "FROM units u "
            "CROSS JOIN sessions s ON s.unit_id = u.id AND s.starts_at >= :since "
            " AND s.starts_at < :until AND s.status = 'closed' "
            "CROSS JOIN session_invitees i ON i.session_id = s.id AND i.status <> 'exempt' "
            f"WHERE {IN_SUBTREE} GROUP BY i.member_id"
        )
        params = self._subtree(path, since=to_db(since), until=to_db(until))
        return [
            AttendanceRow(row[0], row[1], row[2], row[3], row[4])
            async for row in self._rows(sql, params)
        ]

    async def sessions(self, path: str, since: datetime, until: datetime) -> list[SessionRow]:
        """Every session of the subtree's units starting in ``[since, until)``, whatever its
        status, with its invitees' marks (the exempt left out)."""
        sql = (
            "SELECT s.id, s.unit_id, s.kind, s.topic, s.starts_at, s.status, "
            "s.campaign_id IS NOT NULL, COUNT(i.member_id), "
            f"COALESCE(SUM({MARK} = 'present'), 0), COALESCE(SUM({MARK} = 'excused'), 0), "
            f"COALESCE(SUM({MARK} = 'absent'), 0), "
            "EXISTS (SELECT 1 FROM session_minutes mn WHERE mn.session_id = s.id) "
            "FROM units u "
            "CROSS JOIN sessions s ON s.unit_id = u.id AND s.starts_at >= :since "
            " AND s.starts_at < :until "
            "LEFT JOIN session_invitees i ON i.session_id = s.id AND i.status <> 'exempt' "
            f"WHERE {IN_SUBTREE} GROUP BY s.id ORDER BY s.starts_at, u.path, s.id"
        )
        params = self._subtree(path, since=to_db(since), until=to_db(until))
        return [
            SessionRow(
                id=row[0],
                unit_id=row[1],
                kind=row[2],
                topic=row[3],
                starts_at=from_db(row[4]),  # type: ignore[arg-type]
                status=row[5],
                on_campaign=bool(row[6]),
                invited=row[7],
                present=row[8],
                excused=row[9],
                absent=row[10],
                minutes=bool(row[11]),
            )
            async for row in self._rows(sql, params)
        ]

    async def stories(self, path: str, since: datetime, until: datetime) -> list[StoryRow]:
        """The stories sent in ``[since, until)`` that reached the subtree's members: per
        story, the copies delivered to them and how many of those were "read and learned"."""
        # Stories have no index on their batch, and a city's copies run to millions: the
        # period's few stories are picked first. Each member's copies of them are counted
        # from the (member, batch) index alone: the unary + keeps SQLite from probing it once
        # per story and member (27 s for a city), and reading each copy's status would cost
        # a row lookup each (2 s); the copies not sent (yet), few, are found by their batch
        # and status and taken off. Reads are read by member. The titles are joined to the
        # handful of totals at the end.
        sql = (
            "WITH sent AS MATERIALIZED (SELECT id, batch_id, title, tag, unit_id, send_at "
            " FROM stories WHERE status IN ('sent', 'scheduled') AND batch_id IS NOT NULL "
            " AND send_at >= :since AND send_at < :until), "
            f"copies AS (SELECT o.batch_id, COUNT(*) AS n {MEMBERS_FROM}"
            " CROSS JOIN outbox o ON o.member_id = m.id AND o.kind = 'story' "
            "  AND +o.batch_id IN (SELECT batch_id FROM sent) "
            f" WHERE {IN_SUBTREE} GROUP BY o.batch_id), "
            "unsent AS (SELECT o.batch_id, COUNT(*) AS n FROM sent "
            " CROSS JOIN outbox o ON o.batch_id = sent.batch_id "
            "  AND o.status IN ('queued', 'sending', 'failed', 'blocked') "
            "  AND o.kind = 'story' AND o.member_id IS NOT NULL "
            " CROSS JOIN memberships ms ON ms.member_id = o.member_id "
            "  AND ms.ended_on IS NULL AND ms.is_primary = 1 "
            " CROSS JOIN units u ON u.id = ms.unit_id "
            " CROSS JOIN members m ON m.id = ms.member_id AND m.registration = 'active' "
            f" WHERE {IN_SUBTREE} GROUP BY o.batch_id), "
            f"reads AS (SELECT r.story_id, COUNT(*) AS n {MEMBERS_FROM}"
            " CROSS JOIN story_reads r ON r.member_id = m.id "
            "  AND +r.story_id IN (SELECT id FROM sent) "
            f" WHERE {IN_SUBTREE} GROUP BY r.story_id) "
            "SELECT sent.id, sent.title, sent.tag, bu.name, sent.send_at, "
            "c.n - COALESCE(un.n, 0) AS delivered, COALESCE(rd.n, 0) FROM sent "
            "JOIN copies c ON c.batch_id = sent.batch_id "
            "LEFT JOIN unsent un ON un.batch_id = sent.batch_id "
            "LEFT JOIN reads rd ON rd.story_id = sent.id "
            "JOIN units bu ON bu.id = sent.unit_id "
            "WHERE delivered > 0 ORDER BY sent.send_at, sent.id"
        )
        params = self._subtree(path, since=to_db(since), until=to_db(until))
        return [
            StoryRow(row[0], row[1], row[2], row[3], from_db(row[4]), row[5], row[6])
            async for row in self._rows(sql, params)
        ]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
