"""The committees' reports (issue 12): figures over a subtree, in bulk. SQL only.

Every query here starts from the units of one subtree, found as one range of the indexed
materialised path (``/1/4/`` ≤ path < ``/1/4/\\uffff``), goes to the members whose current
primary unit they are, then to what those members did, and adds up per unit: one query per
figure family for a whole subtree, never one per unit or per member. A member counts once,
in their current primary unit.

The joins are written ``CROSS JOIN``, which SQLite takes as "keep this order": without it
the planner, which has no statistics here, starts from whichever table has an index on the
other condition (all the sessions of the period, every story copy of the outbox) and then
looks each row's member up, which costs the same for one cell as for the whole city.
Grouping by ``u.id`` follows the scan (units in path order), so it needs no sort.
``EXPLAIN QUERY PLAN`` of each: docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.records import Unit
from storage.units import unit_from_row

SUBTREE = "u.path >= :top AND u.path < :top_end"
# The members whose current primary unit is ``u`` (memberships_primary_unit, 0016).
PRIMARY = (
    "CROSS JOIN memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
    "AND ms.is_primary = 1 "
    "CROSS JOIN members m ON m.id = ms.member_id AND m.registration = 'active'"
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
CLOSED_IN_PERIOD = "s.status = 'closed' AND s.starts_at >= :since AND s.starts_at < :until"
NOT_ROLLED = "NOT EXISTS (SELECT 1 FROM attendance_rolled ar WHERE ar.session_id = s.id)"
# Up to this many sessions not rolled up are counted from their invitations; more (a database
# not rolled up yet), from the members, which costs the same whatever their number.
LIVE_BY_SESSION = 500
CADENCE_KINDS = ("cell", "party_group")
GRADE_NAMES = ("excellent", "good", "fulfilled", "not_fulfilled")


@dataclass(frozen=True, slots=True)
class MemberCounts:
    """Members, commitments and grades of the members of one unit."""

    unit_id: int
    members: int
    expected: int
    filed: int
    approved: int
    late: int
    grades: dict[str, int]
    ungraded: int


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """Invitations of one unit's members to one closed session, the exempt left out."""

    unit_id: int
    session_id: int
    month: int  # the session's place among the months asked for: 0 before the second one
    invited: int
    present: int


@dataclass(frozen=True, slots=True)
class HeldSession:
    """A closed session of a unit of the subtree."""

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


def session_counts(*columns: str) -> str:
    """SELECT ... FROM the sessions ``s`` and their invitations ``i`` counted per invitee's
    current primary unit ``ms.unit_id``: the exempt left out, active members only, as
    :meth:`ReportRepository.attendance` counts them; the caller adds the WHERE and GROUP BY
    (s.id, ms.unit_id). Shared with the roll-up (storage/report_rollup.py)."""
    extra = "".join(f", {column}" for column in columns)
    return (
        f"SELECT ms.unit_id AS unit_id, s.id{extra}, COUNT(*) AS invited, "
        f"COALESCE(SUM({PRESENT}), 0) AS present FROM sessions s "
        "CROSS JOIN session_invitees i ON i.session_id = s.id AND i.status != 'exempt' "
        "CROSS JOIN members m ON m.id = i.member_id AND m.registration = 'active' "
        "CROSS JOIN memberships ms ON ms.member_id = i.member_id AND ms.ended_on IS NULL "
        "AND ms.is_primary = 1 "
    )


def _attendance(row: aiosqlite.Row) -> SessionAttendance:
    return SessionAttendance(
        row["unit_id"], row["id"], row["month"], row["invited"], row["present"]
    )


def _scope(path: str) -> dict[str, object]:
    return {"top": path, "top_end": path + "\uffff"}


class ReportRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def units(self, path: str) -> list[Unit]:
        """Every unit of the subtree, parents before children."""
        cursor = await self.conn.execute(
            "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path "
            f"FROM units u WHERE {SUBTREE} ORDER BY u.path",
            _scope(path),
        )
        return [unit_from_row(row) for row in await cursor.fetchall()]

    async def member_counts(self, path: str, campaign_id: int | None) -> list[MemberCounts]:
        """Per unit: active members, those expected to file (not exempt), filed, approved,
        filed late, and the decided grades of the expected; without a campaign nobody is
        expected."""
        params = _scope(path) | {"campaign": campaign_id if campaign_id is not None else -1}
        grades = ", ".join(
            f"COALESCE(SUM({EXPECTED} AND c.grade = '{grade}'), 0) AS {grade}"
            for grade in GRADE_NAMES
        )
        cursor = await self.conn.execute(
            "SELECT u.id, COUNT(*) AS members, "
            f"COALESCE(SUM({EXPECTED}), 0) AS expected, "
            f"COALESCE(SUM({EXPECTED} AND {FILED}), 0) AS filed, "
            f"COALESCE(SUM({EXPECTED} AND {APPROVED}), 0) AS approved, "
            f"COALESCE(SUM({EXPECTED} AND {FILED} AND c.late = 1), 0) AS late, "
            f"{grades}, COALESCE(SUM({EXPECTED} AND c.grade IS NULL), 0) AS ungraded "
            f"FROM units u {PRIMARY} "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = :campaign "
            f"WHERE {SUBTREE} GROUP BY u.path",
            params,
        )
        found = []
        for row in await cursor.fetchall():
            counted = campaign_id is not None  # no campaign that year: nothing is expected
            found.append(
                MemberCounts(
                    unit_id=row["id"],
                    members=row["members"],
                    expected=row["expected"] if counted else 0,
                    filed=row["filed"] if counted else 0,
                    approved=row["approved"] if counted else 0,
                    late=row["late"] if counted else 0,
                    grades={grade: row[grade] if counted else 0 for grade in GRADE_NAMES},
                    ungraded=row["ungraded"] if counted else 0,
                )
            )
        return found

    async def _session_ids(self, since: datetime, until: datetime) -> tuple[int, int] | None:
        """The lowest and highest id of the sessions starting in [since, until) (index
        sessions_starts), or None when there are none."""
        cursor = await self.conn.execute(
            "SELECT MIN(id), MAX(id) FROM sessions WHERE starts_at >= ? AND starts_at < ?",
            (to_db(since), to_db(until)),
        )
        low, high = await cursor.fetchone()
        return None if low is None else (low, high)

    async def attendance(
        self, path: str, since: datetime, until: datetime, months: Sequence[datetime] = ()
    ) -> list[SessionAttendance]:
        """Per unit and closed session starting in [since, until): the invitations of the
        unit's members (by their current primary unit, wherever the session was held), the
        exempt left out, and how many of them were present; with the session's month: how
        many of ``months`` (the instants the months after the first begin) it starts at or
        after, counted by SQL once per row returned, so the caller reads no timestamps.

        The sessions rolled up (migration 0018) are read from their kept counts; the others
        are counted live, from the sessions when they are few, else from the members."""
        params = _scope(path) | {"since": to_db(since), "until": to_db(until)}
        month = " + ".join(f"(s.starts_at >= :month{k})" for k in range(len(months))) or "0"
        params |= {f"month{k}": to_db(start) for k, start in enumerate(months)}
        cursor = await self.conn.execute(
            f"SELECT u.id AS unit_id, s.id, {month} AS month, r.invited, r.present "
            "FROM units u CROSS JOIN attendance_rollup r ON r.unit_id = u.id "
            "CROSS JOIN sessions s ON s.id = r.session_id AND s.status = 'closed' "
            "AND s.starts_at >= :since AND s.starts_at < :until "
            "CROSS JOIN attendance_rolled ar ON ar.session_id = s.id "
            f"WHERE {SUBTREE}",
            params,
        )
        found = [_attendance(row) for row in await cursor.fetchall()]
        cursor = await self.conn.execute(
            f"SELECT COUNT(*) FROM sessions s WHERE {CLOSED_IN_PERIOD} AND {NOT_ROLLED}", params
        )
        (pending,) = await cursor.fetchone()
        if not pending:
            return found
        if pending <= LIVE_BY_SESSION:
            cursor = await self.conn.execute(
                session_counts(f"{month} AS month")
                + f"CROSS JOIN units u ON u.id = ms.unit_id WHERE {CLOSED_IN_PERIOD} "
                f"AND {NOT_ROLLED} AND {SUBTREE} GROUP BY s.id, ms.unit_id",
                params,
            )
        else:
            cursor = await self._attendance_by_member(params, month, since, until)
        return found + [_attendance(row) for row in await cursor.fetchall()]

    async def _attendance_by_member(
        self, params: dict[str, object], month: str, since: datetime, until: datetime
    ) -> aiosqlite.Cursor:
        """The sessions not rolled up counted from the subtree's members: each member's
        invitations read from the covering index on (member, session, ...) within the range
        of ids of the period's sessions, so the years before are skipped without being read
        (the range only narrows the search; the period decides)."""
        ids = await self._session_ids(since, until)
        low, high = ids if ids is not None else (0, -1)
        return await self.conn.execute(
            f"SELECT u.id AS unit_id, s.id, {month} AS month, COUNT(*) AS invited, "
            f"COALESCE(SUM({PRESENT}), 0) AS present "
            f"FROM units u {PRIMARY} "
            "CROSS JOIN session_invitees i ON i.member_id = m.id "
            "AND i.session_id BETWEEN :low AND :high AND i.status != 'exempt' "
            f"CROSS JOIN sessions s ON s.id = i.session_id AND {CLOSED_IN_PERIOD} "
            f"AND {NOT_ROLLED} WHERE {SUBTREE} GROUP BY u.id, s.id",
            params | {"low": low, "high": high},
        )

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
            "SELECT u.id AS unit_id, s.kind, s.starts_at, s.campaign_id "
            "FROM units u CROSS JOIN sessions s ON s.unit_id = u.id AND s.status = 'closed' "
            f"WHERE {SUBTREE} AND (s.campaign_id = :campaign OR (u.kind IN ({kinds}) "
            "AND s.kind IN ('regular', 'thematic') "
            "AND s.starts_at >= :since AND s.starts_at < :until))",
            params,
        )
        return [
            HeldSession(
                row["unit_id"],
                row["kind"],
                from_db(row["starts_at"]),  # type: ignore[arg-type]
                row["campaign_id"],
            )
            for row in await cursor.fetchall()
        ]

    async def stories(
        self, path: str, since: datetime, until: datetime
    ) -> dict[int, tuple[int, int]]:
        """Per unit: story copies delivered (sent) to its members of the stories sent in
        [since, until), and how many of those the member marked "read and learned".

        A story's batch is made when it goes out, so the batches of the period's stories
        lie in one range of ids: a member's copies are read within it (the range only
        narrows the search; the story's time decides)."""
        cursor = await self.conn.execute(
            "SELECT MIN(batch_id), MAX(batch_id) FROM stories "
            "WHERE send_at >= ? AND send_at < ? AND batch_id IS NOT NULL",
            (to_db(since), to_db(until)),
        )
        low, high = await cursor.fetchone()
        if low is None:
            return {}
        params = _scope(path) | {
            "since": to_db(since),
            "until": to_db(until),
            "low": low,
            "high": high,
        }
        cursor = await self.conn.execute(
            "SELECT u.id, COUNT(*) AS delivered, "
            "COALESCE(SUM(r.member_id IS NOT NULL), 0) AS read "
            f"FROM units u {PRIMARY} "
            "CROSS JOIN outbox o ON o.member_id = m.id AND o.kind = 'story' "
            "AND o.batch_id BETWEEN :low AND :high AND o.status = 'sent' "
            "CROSS JOIN stories s ON s.batch_id = o.batch_id "
            "AND s.send_at >= :since AND s.send_at < :until "
            "LEFT JOIN story_reads r ON r.story_id = s.id AND r.member_id = m.id "
            f"WHERE {SUBTREE} GROUP BY u.path",
            params,
        )
        return {row[0]: (row["delivered"], row["read"]) for row in await cursor.fetchall()}

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
        bounds = await self._session_ids(since, until)
        if bounds is None:
            return found
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT i.member_id, COUNT(*), SUM({PRESENT}) FROM session_invitees i "
                "CROSS JOIN sessions s ON s.id = i.session_id AND s.status = 'closed' "
                "AND s.starts_at >= ? AND s.starts_at < ? "
                f"WHERE i.member_id IN ({marks}) AND i.session_id BETWEEN ? AND ? "
                "AND i.status != 'exempt' GROUP BY i.member_id",
                (to_db(since), to_db(until), *chunk, *bounds),
            )
            found.update({row[0]: (row[1], row[2]) for row in await cursor.fetchall()})
        return found
