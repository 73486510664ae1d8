"""What the reminder engine reads: who is still to file, self-assess or be graded, which
sessions start soon and who is still coming, the cells' sessions per period; and the kinds
members muted. One query per question for the whole organisation, not one per member."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member
from storage.sessions import _SESSION, Session, _session
from storage.units import chunked

# The member's current primary unit; the exempt are not expected to file or be graded.
_PRIMARY = (
    "FROM members m JOIN memberships ms ON ms.member_id = m.id AND ms.ended_on IS NULL "
    "AND ms.is_primary = 1 JOIN units u ON u.id = ms.unit_id "
)
_EXPECTED = "m.registration = 'active' AND m.status != 'exempt'"
LEADING_ROLES = ("secretary", "deputy", "committee")


@dataclass(frozen=True, slots=True)
class Placed:
    """A member in their current primary unit, with their commitment's status (None: none)."""

    member: Member
    unit_id: int
    status: str | None


@dataclass(frozen=True, slots=True)
class Coming:
    """A session's invitee who has not declined."""

    session_id: int
    member: Member
    checked_in: bool


def _placed(row: sqlite3.Row) -> Placed:
    return Placed(member_from_row(row), row["unit_id"], row["c_status"])


class ReminderRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # Commitments ------------------------------------------------------------------------------

    async def expected(self, campaign_id: int) -> list[Placed]:
        """Every member expected to file for the campaign, with their commitment's status,
        unit by unit."""
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, u.id AS unit_id, c.status AS c_status {_PRIMARY}"
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE {_EXPECTED} ORDER BY u.path, m.id",
            (campaign_id,),
        )
        return [_placed(row) for row in await cursor.fetchall()]

    async def not_submitted(
        self, campaign_id: int, member_ids: Sequence[int] | None = None
    ) -> list[Placed]:
        """The expected members without a submitted commitment (none, a draft, or returned)."""
        where, params = "", [campaign_id]
        if member_ids is not None:
            if not member_ids:
                return []
            where = f" AND m.id IN ({','.join('?' * len(member_ids))})"
            params += list(member_ids)
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, u.id AS unit_id, c.status AS c_status {_PRIMARY}"
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE {_EXPECTED} AND (c.status IS NULL OR c.status IN ('draft', 'returned'))"
            f"{where} ORDER BY u.path, m.id",
            params,
        )
        return [_placed(row) for row in await cursor.fetchall()]

    async def returned_between(
        self, campaign_id: int, since: datetime, until: datetime
    ) -> list[tuple[Member, datetime]]:
        """Members whose commitment was returned in [since, until) and is still returned,
        with the moment of the return."""
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, v.decided_at AS returned_at FROM commitments c "
            "JOIN commitment_versions v ON v.commitment_id = c.id AND v.number = c.last_version "
            "JOIN members m ON m.id = c.member_id "
            "WHERE c.campaign_id = ? AND c.status = 'returned' AND v.decision = 'returned' "
            "AND v.decided_at >= ? AND v.decided_at < ? AND m.registration = 'active' "
            "ORDER BY v.decided_at, m.id",
            (campaign_id, to_db(since), to_db(until)),
        )
        return [
            (member_from_row(row), from_db(row["returned_at"])) for row in await cursor.fetchall()
        ]

    async def submitted_members(self, campaign_id: int, member_ids: Iterable[int]) -> set[int]:
        """Of these members, those whose commitment is submitted or approved."""
        found: set[int] = set()
        for chunk in chunked(list(member_ids)):
            cursor = await self.conn.execute(
                "SELECT member_id FROM commitments WHERE campaign_id = ? "
                f"AND status IN ('submitted', 'approved') AND member_id IN "
                f"({','.join('?' * len(chunk))})",
                (campaign_id, *chunk),
            )
            found.update(row[0] for row in await cursor.fetchall())
        return found

    async def leaders(self) -> set[int]:
        """Members holding a secretary, deputy or committee role anywhere."""
        cursor = await self.conn.execute(
            "SELECT DISTINCT member_id FROM roles WHERE revoked_at IS NULL AND role IN "
            f"({','.join('?' * len(LEADING_ROLES))})",
            LEADING_ROLES,
        )
        return {row[0] for row in await cursor.fetchall()}

    # The year-end review ----------------------------------------------------------------------

    async def not_self_assessed(self, campaign_id: int) -> list[Placed]:
        """Expected members with a submitted commitment, not graded, who have not rated it."""
        cursor = await self.conn.execute(
            f"SELECT {MEMBER_COLUMNS}, u.id AS unit_id, c.status AS c_status {_PRIMARY}"
            "JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE {_EXPECTED} AND c.last_version > 0 AND c.self_review_at IS NULL "
            "AND c.grade IS NULL ORDER BY u.path, m.id",
            (campaign_id,),
        )
        return [_placed(row) for row in await cursor.fetchall()]

    async def self_assessed(self, campaign_id: int, member_ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunked(list(member_ids)):
            cursor = await self.conn.execute(
                "SELECT member_id FROM commitments WHERE campaign_id = ? AND "
                "(self_review_at IS NOT NULL OR grade IS NOT NULL) AND member_id IN "
                f"({','.join('?' * len(chunk))})",
                (campaign_id, *chunk),
            )
            found.update(row[0] for row in await cursor.fetchall())
        return found

    async def ungraded_per_unit(self, campaign_id: int) -> dict[int, int]:
        """Unit id → how many of its expected members have a submitted commitment and no
        grade yet."""
        cursor = await self.conn.execute(
            f"SELECT u.id, COUNT(*) {_PRIMARY}"
            "JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            f"WHERE {_EXPECTED} AND c.last_version > 0 AND c.grade IS NULL GROUP BY u.id",
            (campaign_id,),
        )
        return {row[0]: row[1] for row in await cursor.fetchall()}

    # Sessions ---------------------------------------------------------------------------------

    async def sessions_starting(
        self, since: datetime, until: datetime, *, unit_ids: Sequence[int] | None = None
    ) -> list[Session]:
        """Sessions not cancelled starting in [since, until)."""
        where, params = "", [to_db(since), to_db(until)]
        if unit_ids is not None:
            if not unit_ids:
                return []
            where = f" AND s.unit_id IN ({','.join('?' * len(unit_ids))})"
            params += list(unit_ids)
        cursor = await self.conn.execute(
            f"SELECT {_SESSION} FROM sessions s WHERE s.starts_at >= ? AND s.starts_at < ? "
            f"AND s.status != 'cancelled'{where} ORDER BY s.starts_at, s.id",
            params,
        )
        return [_session(row) for row in await cursor.fetchall()]

    async def coming(self, session_ids: Sequence[int]) -> list[Coming]:
        """The invitees of these sessions who have not declined, as members now."""
        found: list[Coming] = []
        for chunk in chunked(list(session_ids)):
            cursor = await self.conn.execute(
                f"SELECT i.session_id AS session_id, i.checked_in_at AS checked_in_at, "
                f"{MEMBER_COLUMNS} FROM session_invitees i JOIN members m ON m.id = i.member_id "
                f"WHERE i.session_id IN ({','.join('?' * len(chunk))}) "
                "AND (i.rsvp IS NULL OR i.rsvp != 'no') ORDER BY i.session_id, m.id",
                chunk,
            )
            found += [
                Coming(row["session_id"], member_from_row(row), row["checked_in_at"] is not None)
                for row in await cursor.fetchall()
            ]
        return found

    async def with_minutes(self, session_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunked(list(session_ids)):
            cursor = await self.conn.execute(
                "SELECT session_id FROM session_minutes WHERE session_id IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(row[0] for row in await cursor.fetchall())
        return found

    async def session_kinds_between(
        self, unit_kinds: Sequence[str], since: datetime, until: datetime
    ) -> dict[int, list[tuple[str, datetime]]]:
        """For the units of these kinds: (kind, start) of their sessions not cancelled with a
        start in [since, until)."""
        cursor = await self.conn.execute(
            "SELECT s.unit_id, s.kind, s.starts_at FROM sessions s JOIN units u "
            "ON u.id = s.unit_id WHERE s.status != 'cancelled' AND s.starts_at >= ? "
            f"AND s.starts_at < ? AND u.kind IN ({','.join('?' * len(unit_kinds))})",
            (to_db(since), to_db(until), *unit_kinds),
        )
        found: dict[int, list[tuple[str, datetime]]] = {}
        for row in await cursor.fetchall():
            found.setdefault(row[0], []).append((row[1], from_db(row[2])))
        return found

    # Mutes ------------------------------------------------------------------------------------

    async def muted(self, member_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
        """Member id → the kinds they muted (every member who muted any, without ids)."""
        found: dict[int, set[str]] = {}
        if member_ids is None:
            cursor = await self.conn.execute("SELECT member_id, kind FROM reminder_mutes")
            rows: list = list(await cursor.fetchall())
        else:
            rows = []
            for chunk in chunked(list(member_ids)):
                cursor = await self.conn.execute(
                    "SELECT member_id, kind FROM reminder_mutes WHERE member_id IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                )
                rows += await cursor.fetchall()
        for member_id, kind in rows:
            found.setdefault(member_id, set()).add(kind)
        return found

    async def set_muted(self, member_id: int, kind: str, muted: bool, at: datetime) -> None:
        if muted:
            await self.conn.execute(
                "INSERT INTO reminder_mutes (member_id, kind, muted_at) VALUES (?, ?, ?) "
                "ON CONFLICT (member_id, kind) DO NOTHING",
                (member_id, kind, to_db(at)),
            )
        else:
            await self.conn.execute(
                "DELETE FROM reminder_mutes WHERE member_id = ? AND kind = ?", (member_id, kind)
            )

    # Outbox keys ------------------------------------------------------------------------------

    async def withdraw_keys(self, keys: Iterable[str]) -> int:
        """Delete the rows still queued under exactly these dedup keys."""
        withdrawn = 0
        for chunk in chunked(list(keys)):
            cursor = await self.conn.execute(
                "DELETE FROM outbox WHERE status = 'queued' AND dedup_key IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            withdrawn += cursor.rowcount
        return withdrawn

    # One person's coming reminders (/reminders) -----------------------------------------------
    # Per member and per unit: what /reminders reads for one person, never the organisation.

    async def standing(self, campaign_id: int, member_id: int) -> Standing | None:
        """One active member's commitment for a campaign as the reminders see it; None for a
        member not active. ``unit_id`` is None without a current primary unit."""
        cursor = await self.conn.execute(
            "SELECT m.status AS m_status, ms.unit_id AS unit_id, c.status AS c_status, "
            "c.last_version AS last_version, c.self_review_at AS self_review_at, "
            "c.grade AS grade, v.decided_at AS returned_at FROM members m "
            "LEFT JOIN memberships ms ON ms.member_id = m.id AND ms.ended_on IS NULL "
            "AND ms.is_primary = 1 "
            "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
            "LEFT JOIN commitment_versions v ON v.commitment_id = c.id "
            "AND v.number = c.last_version AND c.status = 'returned' AND v.decision = 'returned' "
            "WHERE m.id = ? AND m.registration = 'active' LIMIT 1",
            (campaign_id, member_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return Standing(
            unit_id=row["unit_id"],
            expected=row["unit_id"] is not None and row["m_status"] != "exempt",
            status=row["c_status"],
            filed=(row["last_version"] or 0) > 0,
            self_assessed=row["self_review_at"] is not None or row["grade"] is not None,
            returned_at=from_db(row["returned_at"]),
        )

    async def pending_in_units(self, campaign_id: int, unit_ids: Sequence[int]) -> dict[int, int]:
        """Unit id → how many expected members (by primary unit) of these units have not
        submitted their commitment."""
        found: dict[int, int] = {}
        for chunk in chunked(list(unit_ids)):
            cursor = await self.conn.execute(
                f"SELECT u.id, COUNT(*) {_PRIMARY}"
                "LEFT JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
                f"WHERE {_EXPECTED} AND (c.status IS NULL OR c.status IN ('draft', 'returned')) "
                f"AND u.id IN ({','.join('?' * len(chunk))}) GROUP BY u.id",
                (campaign_id, *chunk),
            )
            found.update({row[0]: row[1] for row in await cursor.fetchall()})
        return found

    async def ungraded_in_units(self, campaign_id: int, unit_ids: Sequence[int]) -> dict[int, int]:
        """Unit id → how many expected members of these units have a filed commitment and no
        grade yet."""
        found: dict[int, int] = {}
        for chunk in chunked(list(unit_ids)):
            cursor = await self.conn.execute(
                f"SELECT u.id, COUNT(*) {_PRIMARY}"
                "JOIN commitments c ON c.member_id = m.id AND c.campaign_id = ? "
                f"WHERE {_EXPECTED} AND c.last_version > 0 AND c.grade IS NULL "
                f"AND u.id IN ({','.join('?' * len(chunk))}) GROUP BY u.id",
                (campaign_id, *chunk),
            )
            found.update({row[0]: row[1] for row in await cursor.fetchall()})
        return found

    async def withdraw_member_template(self, member_id: int, template: str) -> int:
        """Delete one member's rows still queued with this template (a kind they muted)."""
        cursor = await self.conn.execute(
            "DELETE FROM outbox WHERE status = 'queued' AND member_id = ? AND template = ?",
            (member_id, template),
        )
        return cursor.rowcount


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's commitment for one campaign, as /reminders needs it."""

    unit_id: int | None  # the current primary unit
    expected: bool  # in a unit and not exempt: expected to file, self-assess, be graded
    status: str | None  # the commitment's status; None: none started
    filed: bool  # a version was submitted at least once
    self_assessed: bool  # rated their actions, or already graded
    returned_at: datetime | None  # when it was returned, while it stays returned
