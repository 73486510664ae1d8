"""The attendance roll-up (migration 0018): each closed session's counts per invitee's
current primary unit, kept so that a city's reports need not read every invitation. SQL only;
bot/services/reports/rollup.py decides when it runs."""

from __future__ import annotations

import aiosqlite

from storage.reports import session_counts


class RollupRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def pending(self, limit: int) -> list[int]:
        """Up to ``limit`` closed sessions whose counts are not kept (or no longer are),
        the latest first: those are the ones this year's reports read."""
        cursor = await self.conn.execute(
            "SELECT s.id FROM sessions s INDEXED BY sessions_closed WHERE s.status = 'closed' "
            "AND NOT EXISTS (SELECT 1 FROM attendance_rolled ar WHERE ar.session_id = s.id) "
            "ORDER BY s.starts_at DESC LIMIT ?",
            (limit,),
        )
        return [row[0] for row in await cursor.fetchall()]

    async def roll_up(self, session_ids: list[int]) -> None:
        """Keep the counts of these closed sessions (in the caller's write transaction,
        so that no change can fall between the count and the mark)."""
        if not session_ids:
            return
        marks = ",".join("?" * len(session_ids))
        await self.conn.execute(
            f"DELETE FROM attendance_rollup WHERE session_id IN ({marks})", session_ids
        )
        await self.conn.execute(
            "INSERT INTO attendance_rollup (unit_id, session_id, invited, present) "
            + session_counts()
            + f"WHERE s.id IN ({marks}) AND s.status = 'closed' GROUP BY s.id, ms.unit_id",
            session_ids,
        )
        await self.conn.execute(
            "INSERT OR IGNORE INTO attendance_rolled (session_id) SELECT id FROM sessions "
            f"WHERE id IN ({marks}) AND status = 'closed'",
            session_ids,
        )
