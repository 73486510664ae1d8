"""The audit log: who did what, when, and how it ended."""

from __future__ import annotations

import json

import aiosqlite

from storage.clock import from_db, to_db, utcnow
from storage.records import AuditEntry


class AuditRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def record(
        self,
        *,
        actor: str,
        action: str,
        outcome: str = "ok",
        target: str = "",
        member_id: int | None = None,
        detail: dict | None = None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO audit_log (at, actor, member_id, action, target, outcome, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                to_db(utcnow()),
                actor,
                member_id,
                action,
                target,
                outcome,
                json.dumps(detail or {}, ensure_ascii=False),
            ),
        )

    async def recent(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        where, params = ("WHERE action = ?", (action, limit)) if action else ("", (limit,))
        cursor = await self.conn.execute(
            "SELECT id, at, actor, member_id, action, target, outcome, detail FROM audit_log "
            f"{where} ORDER BY id DESC LIMIT ?",
            params,
        )
        return [
            AuditEntry(
                id=row["id"],
                at=from_db(row["at"]),
                actor=row["actor"],
                member_id=row["member_id"],
                action=row["action"],
                target=row["target"],
                outcome=row["outcome"],
                detail=json.loads(row["detail"]),
            )
            for row in await cursor.fetchall()
        ]

    async def members_touched(
        self, actions: tuple[str, ...], after_id: int
    ) -> tuple[int, list[int]]:
        """Members named by successful ``actions`` after row ``after_id``, and the last id."""
        marks = ",".join("?" * len(actions))
        cursor = await self.conn.execute(
            f"SELECT id, member_id FROM audit_log WHERE id > ? AND action IN ({marks}) "
            "AND outcome = 'ok' ORDER BY id",
            (after_id, *actions),
        )
        rows = await cursor.fetchall()
        cursor = await self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log")
        last = (await cursor.fetchone())[0]
        return last, [row[1] for row in rows if row[1] is not None]
