"""Good-deed nominations: drafts being written, and those sent to the propaganda board with
its decision. Every read names the nominator and their unit, which every view shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db

_COLUMNS = (
    "n.id, n.nominee, n.nominee_info, n.deed, n.place, n.photo, n.unit_id, n.nominated_by, "
    "n.status, n.reason, n.decided_by, n.decided_by_name, n.decided_at, n.story_id, "
    "n.created_at, n.submitted_at, n.updated_at, m.full_name AS nominator_name, "
    "u.name AS unit_name"
)
_FROM = "FROM nominations n JOIN members m ON m.id = n.nominated_by JOIN units u ON u.id = n.unit_id"
EDITABLE = frozenset({"nominee", "nominee_info", "deed", "place", "photo"})


@dataclass(frozen=True, slots=True)
class NominationRecord:
    id: int
    nominee: str
    nominee_info: str
    deed: str
    place: str
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
    submitted_at: datetime | None
    updated_at: datetime
    nominator_name: str
    unit_name: str

    def values(self) -> dict[str, str]:
        """The typed fields by name (for the rules' completeness check)."""
        return {
            "nominee": self.nominee,
            "nominee_info": self.nominee_info,
            "deed": self.deed,
            "place": self.place,
        }


def _record(row: aiosqlite.Row) -> NominationRecord:
    return NominationRecord(
        id=row["id"],
        nominee=row["nominee"],
        nominee_info=row["nominee_info"],
        deed=row["deed"],
        place=row["place"],
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
        submitted_at=from_db(row["submitted_at"]),
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
        nominator_name=row["nominator_name"],
        unit_name=row["unit_name"],
    )


def _in_paths(unit_paths: Sequence[str]) -> tuple[str, list[str]]:
    """A WHERE part for "the nomination's unit lies in one of these subtrees"."""
    where = " OR ".join("(u.path >= ? AND u.path < ?)" for _ in unit_paths)
    return f"({where})", [bound for path in unit_paths for bound in (path, path + "\uffff")]


class NominationRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _many(self, where: str, params: Sequence[object], tail: str = "") -> list:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE {where} {tail}", params)
        return [_record(row) for row in await cursor.fetchall()]

    async def get(self, nomination_id: int) -> NominationRecord | None:
        found = await self._many("n.id = ?", (nomination_id,))
        return found[0] if found else None

    # The nominator's draft --------------------------------------------------------------------

    async def draft_of(self, member_id: int) -> NominationRecord | None:
        found = await self._many("n.nominated_by = ? AND n.status = 'draft'", (member_id,))
        return found[0] if found else None

    async def create_draft(self, member_id: int, unit_id: int, now: datetime) -> NominationRecord:
        cursor = await self.conn.execute(
            "INSERT INTO nominations (unit_id, nominated_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?)",
            (unit_id, member_id, to_db(now), to_db(now)),
        )
        found = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert found is not None
        return found

    async def update_draft(self, nomination_id: int, now: datetime, **fields: object) -> bool:
        """Change fields of a draft (nothing once it is sent); whether it changed."""
        if not fields or not set(fields) <= EDITABLE:
            raise ValueError(f"cannot update {sorted(fields)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        cursor = await self.conn.execute(
            f"UPDATE nominations SET {sets}, updated_at = ? WHERE id = ? AND status = 'draft'",
            (*fields.values(), to_db(now), nomination_id),
        )
        return cursor.rowcount > 0

    async def delete_draft(self, member_id: int) -> bool:
        cursor = await self.conn.execute(
            "DELETE FROM nominations WHERE nominated_by = ? AND status = 'draft'", (member_id,)
        )
        return cursor.rowcount > 0

    # Moving on --------------------------------------------------------------------------------

    async def submit(self, nomination_id: int, unit_id: int, now: datetime) -> bool:
        """Send a draft, under the nominator's unit as it is now."""
        cursor = await self.conn.execute(
            "UPDATE nominations SET status = 'submitted', unit_id = ?, submitted_at = ?, "
            "updated_at = ? WHERE id = ? AND status = 'draft'",
            (unit_id, to_db(now), to_db(now), nomination_id),
        )
        return cursor.rowcount > 0

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
            "decided_at = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
            (status, reason, by, by_name, to_db(now), to_db(now), nomination_id),
        )
        return cursor.rowcount > 0

    async def link_story(self, nomination_id: int, story_id: int, now: datetime) -> bool:
        """An approved nomination made into a story draft, once."""
        cursor = await self.conn.execute(
            "UPDATE nominations SET status = 'story', story_id = ?, updated_at = ? "
            "WHERE id = ? AND status = 'approved' AND story_id IS NULL",
            (story_id, to_db(now), nomination_id),
        )
        return cursor.rowcount > 0

    async def by_story(self, story_id: int) -> NominationRecord | None:
        found = await self._many("n.story_id = ?", (story_id,))
        return found[0] if found else None

    # Lists ------------------------------------------------------------------------------------

    def _scope(
        self, unit_paths: Sequence[str] | None, statuses: Sequence[str], exclude: int | None
    ) -> tuple[str, list[object]]:
        marks = ",".join("?" * len(statuses))
        where = f"n.status IN ({marks})"
        params: list[object] = list(statuses)
        if unit_paths is not None:
            part, bounds = _in_paths(unit_paths)
            where += f" AND {part}"
            params += bounds
        if exclude is not None:
            where += " AND n.nominated_by != ?"
            params.append(exclude)
        return where, params

    async def waiting(
        self,
        unit_paths: Sequence[str] | None,
        statuses: Sequence[str],
        *,
        exclude_member: int | None = None,
        after: NominationRecord | None = None,
        limit: int = 5,
    ) -> tuple[list[NominationRecord], int]:
        """Nominations in these subtrees (``None``: everywhere) in these statuses, oldest
        sent first, the nominator's own left out; a page after ``after``, and how many
        follow it."""
        if unit_paths is not None and not unit_paths:
            return [], 0
        where, params = self._scope(unit_paths, statuses, exclude_member)
        if after is not None:
            where += " AND (n.submitted_at, n.id) > (?, ?)"
            params += [to_db(after.submitted_at), after.id]
        page = await self._many(where, [*params, limit], "ORDER BY n.submitted_at, n.id LIMIT ?")
        cursor = await self.conn.execute(f"SELECT COUNT(*) {_FROM} WHERE {where}", params)
        row = await cursor.fetchone()
        total = row[0] if row else 0
        return page, max(0, total - len(page))

    async def by_member(self, member_id: int, limit: int = 20) -> list[NominationRecord]:
        """The member's own, newest first (their draft included)."""
        return await self._many(
            "n.nominated_by = ?", (member_id, limit), "ORDER BY n.id DESC LIMIT ?"
        )

    async def commended(
        self, unit_path: str, since: datetime, until: datetime
    ) -> list[NominationRecord]:
        """Approved ones (made into stories or not) of the subtree, decided in the period,
        in the order they were decided."""
        part, bounds = _in_paths([unit_path])
        return await self._many(
            f"n.status IN ('approved', 'story') AND {part} AND n.decided_at >= ? "
            "AND n.decided_at < ?",
            (*bounds, to_db(since), to_db(until)),
            "ORDER BY n.decided_at, n.id",
        )
