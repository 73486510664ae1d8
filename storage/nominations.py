"""Good-deed nominations and the board's decisions on them. Every read names the nominator
and the unit the nomination went to, which every view shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db

_COLUMNS = (
    "n.id, n.nominee, n.nominee_info, n.deed, n.photo, n.unit_id, n.nominated_by, n.status, "
    "n.reason, n.decided_by, n.decided_by_name, n.decided_at, n.story_id, n.created_at, "
    "m.full_name AS nominator_name, u.name AS unit_name, u.path AS unit_path, "
    "s.status AS story_status, s.send_at AS story_send_at, "
    "n.nominee_member_id, n.nominee_linked_by, nm.full_name AS nominee_member_name, "
    "nm.code AS nominee_member_code"
)
_FROM = (
    "FROM nominations n JOIN members m ON m.id = n.nominated_by "
    "JOIN units u ON u.id = n.unit_id LEFT JOIN stories s ON s.id = n.story_id "
    "LEFT JOIN members nm ON nm.id = n.nominee_member_id"
)


@dataclass(frozen=True, slots=True)
class NominationRecord:
    id: int
    nominee: str
    nominee_info: str
    deed: str
    photo: str | None
    unit_id: int
    nominated_by: int
    status: str
    reason: str | None
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    story_id: int | None
    created_at: datetime
    nominator_name: str
    unit_name: str
    unit_path: str = ""
    story_status: str | None = None  # of the story made from it, as stored
    story_send_at: datetime | None = None
    nominee_member_id: int | None = None  # the member it names (see migration 0017)
    nominee_linked_by: str | None = None  # "rule", "hand", or None: never decided
    nominee_member_name: str | None = None
    nominee_member_code: str | None = None


def _record(row: aiosqlite.Row) -> NominationRecord:
    return NominationRecord(
        id=row["id"],
        nominee=row["nominee"],
        nominee_info=row["nominee_info"],
        deed=row["deed"],
        photo=row["photo"],
        unit_id=row["unit_id"],
        nominated_by=row["nominated_by"],
        status=row["status"],
        reason=row["reason"],
        decided_by=row["decided_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=from_db(row["decided_at"]),
        story_id=row["story_id"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        nominator_name=row["nominator_name"],
        unit_name=row["unit_name"],
        unit_path=row["unit_path"],
        story_status=row["story_status"],
        story_send_at=from_db(row["story_send_at"]),
        nominee_member_id=row["nominee_member_id"],
        nominee_linked_by=row["nominee_linked_by"],
        nominee_member_name=row["nominee_member_name"],
        nominee_member_code=row["nominee_member_code"],
    )


def _in_paths(unit_paths: Sequence[str]) -> tuple[str, list[str]]:
    """A WHERE part for "the nomination's unit lies in one of these subtrees"."""
    where = " OR ".join("(u.path >= ? AND u.path < ?)" for _ in unit_paths)
    return f"({where})", [bound for path in unit_paths for bound in (path, path + "\uffff")]


class NominationRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _many(
        self, where: str, params: Sequence[object], tail: str = ""
    ) -> list[NominationRecord]:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE {where} {tail}", params)
        return [_record(row) for row in await cursor.fetchall()]

    async def get(self, nomination_id: int) -> NominationRecord | None:
        found = await self._many("n.id = ?", (nomination_id,))
        return found[0] if found else None

    async def create(
        self,
        *,
        nominee: str,
        nominee_info: str,
        deed: str,
        photo: str | None,
        unit_id: int,
        member_id: int,
        now: datetime,
    ) -> NominationRecord:
        cursor = await self.conn.execute(
            "INSERT INTO nominations (nominee, nominee_info, deed, photo, unit_id, nominated_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (nominee, nominee_info, deed, photo, unit_id, member_id, to_db(now)),
        )
        found = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert found is not None
        return found

    async def decide(
        self,
        nomination_id: int,
        status: str,
        now: datetime,
        *,
        by: int | None,
        by_name: str,
        reason: str | None = None,
    ) -> bool:
        """Approve or reject, only while it waits (of two presses at once, one decides)."""
        cursor = await self.conn.execute(
            "UPDATE nominations SET status = ?, reason = ?, decided_by = ?, decided_by_name = ?, "
            "decided_at = ? WHERE id = ? AND status = 'submitted'",
            (status, reason, by, by_name, to_db(now), nomination_id),
        )
        return cursor.rowcount > 0

    async def link_story(self, nomination_id: int, story_id: int) -> bool:
        """An approved nomination made into a story draft, once."""
        cursor = await self.conn.execute(
            "UPDATE nominations SET story_id = ? "
            "WHERE id = ? AND status = 'approved' AND story_id IS NULL",
            (story_id, nomination_id),
        )
        return cursor.rowcount > 0

    async def link_nominee(self, nomination_id: int, member_id: int | None, *, by: str) -> bool:
        """Set the member the nomination names (None: none). ``by="rule"`` only where
        nobody has decided yet, so the rule never overrides the operator; ``by="hand"``
        always."""
        only_undecided = " AND nominee_linked_by IS NULL" if by == "rule" else ""
        cursor = await self.conn.execute(
            "UPDATE nominations SET nominee_member_id = ?, nominee_linked_by = ? "
            f"WHERE id = ?{only_undecided}",
            (member_id, by, nomination_id),
        )
        return cursor.rowcount > 0

    async def by_story(self, story_id: int) -> NominationRecord | None:
        found = await self._many("n.story_id = ?", (story_id,))
        return found[0] if found else None

    async def listed(
        self, unit_paths: Sequence[str] | None, statuses: Sequence[str], limit: int
    ) -> tuple[list[NominationRecord], int]:
        """Nominations in these subtrees (``None``: everywhere) in these statuses, the
        newest first, at most ``limit``; and how many there are in all."""
        if unit_paths is not None and not unit_paths:
            return [], 0
        marks = ",".join("?" * len(statuses))
        where = f"n.status IN ({marks})"
        params: list[object] = list(statuses)
        if unit_paths is not None:
            part, bounds = _in_paths(unit_paths)
            where += f" AND {part}"
            params += bounds
        page = await self._many(where, [*params, limit], "ORDER BY n.id DESC LIMIT ?")
        cursor = await self.conn.execute(f"SELECT COUNT(*) {_FROM} WHERE {where}", params)
        row = await cursor.fetchone()
        return page, row[0] if row else 0

    async def by_member(self, member_id: int, limit: int = 20) -> list[NominationRecord]:
        """The member's own, newest first."""
        return await self._many(
            "n.nominated_by = ?", (member_id, limit), "ORDER BY n.id DESC LIMIT ?"
        )

    async def counts_in_subtree(
        self, unit_path: str, since: datetime, until: datetime
    ) -> tuple[int, int]:
        """(nominated, approved) of the subtree: made in [since, until), and of those, the
        ones approved (a review's figures)."""
        part, bounds = _in_paths([unit_path])
        cursor = await self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(n.status = 'approved'), 0) FROM units u "
            f"CROSS JOIN nominations n ON n.unit_id = u.id WHERE {part} "
            "AND n.created_at >= ? AND n.created_at < ?",
            (*bounds, to_db(since), to_db(until)),
        )
        row = await cursor.fetchone()
        return (row[0], row[1]) if row else (0, 0)

    async def commended(
        self, unit_path: str, since: datetime, until: datetime
    ) -> list[NominationRecord]:
        """Approved ones of the subtree, decided in the period, in the order decided."""
        part, bounds = _in_paths([unit_path])
        return await self._many(
            f"n.status = 'approved' AND {part} AND n.decided_at >= ? AND n.decided_at < ?",
            (*bounds, to_db(since), to_db(until)),
            "ORDER BY n.decided_at, n.id",
        )
