"""Invite codes and the join requests made with unit invites."""

from __future__ import annotations

import sqlite3
from datetime import date

import aiosqlite

from storage.clock import from_db, to_db, utcnow
from storage.records import Invite, JoinRequest

_INVITE_COLUMNS = (
    "id, code, member_id, unit_id, max_uses, uses, expires_on, created_by, created_at, revoked_at"
)
_REQUEST_COLUMNS = (
    "id, member_id, unit_id, invite_id, telegram_id, full_name, status, requested_at, "
    "decided_by, decided_at"
)


def _invite(row: sqlite3.Row) -> Invite:
    return Invite(
        id=row["id"],
        code=row["code"],
        member_id=row["member_id"],
        unit_id=row["unit_id"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        expires_on=date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),
        revoked_at=from_db(row["revoked_at"]),
    )


def _request(row: sqlite3.Row) -> JoinRequest:
    return JoinRequest(
        id=row["id"],
        member_id=row["member_id"],
        unit_id=row["unit_id"],
        invite_id=row["invite_id"],
        telegram_id=row["telegram_id"],
        full_name=row["full_name"],
        status=row["status"],
        requested_at=from_db(row["requested_at"]),
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
    )


class InviteRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def create(
        self,
        *,
        code: str,
        member_id: int | None,
        unit_id: int | None,
        max_uses: int,
        expires_on: date | None,
        created_by: str,
    ) -> Invite:
        cursor = await self.conn.execute(
            "INSERT INTO invites (code, member_id, unit_id, max_uses, expires_on, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                member_id,
                unit_id,
                max_uses,
                expires_on.isoformat() if expires_on else None,
                created_by,
                to_db(utcnow()),
            ),
        )
        invite = await self.get(cursor.lastrowid)
        assert invite is not None
        return invite

    async def get(self, invite_id: int) -> Invite | None:
        cursor = await self.conn.execute(
            f"SELECT {_INVITE_COLUMNS} FROM invites WHERE id = ?", (invite_id,)
        )
        row = await cursor.fetchone()
        return _invite(row) if row else None

    async def by_code(self, code: str) -> Invite | None:
        cursor = await self.conn.execute(
            f"SELECT {_INVITE_COLUMNS} FROM invites WHERE code = ?", (code,)
        )
        row = await cursor.fetchone()
        return _invite(row) if row else None

    async def open_for_member(self, member_id: int, today: date) -> Invite | None:
        """A still-usable personal invite, so listing unreached members reuses codes."""
        cursor = await self.conn.execute(
            f"SELECT {_INVITE_COLUMNS} FROM invites WHERE member_id = ? AND revoked_at IS NULL "
            "AND uses < max_uses AND (expires_on IS NULL OR expires_on >= ?) "
            "ORDER BY id DESC LIMIT 1",
            (member_id, today.isoformat()),
        )
        row = await cursor.fetchone()
        return _invite(row) if row else None

    async def use(self, invite_id: int) -> bool:
        """Count one use, only while uses remain; False when it was used up meanwhile."""
        cursor = await self.conn.execute(
            "UPDATE invites SET uses = uses + 1 WHERE id = ? AND uses < max_uses", (invite_id,)
        )
        return cursor.rowcount > 0

    # Join requests -----------------------------------------------------------------------

    async def create_request(
        self, *, member_id: int, unit_id: int, invite_id: int, telegram_id: int, full_name: str
    ) -> JoinRequest:
        cursor = await self.conn.execute(
            "INSERT INTO join_requests (member_id, unit_id, invite_id, telegram_id, full_name, "
            "requested_at) VALUES (?, ?, ?, ?, ?, ?)",
            (member_id, unit_id, invite_id, telegram_id, full_name, to_db(utcnow())),
        )
        request = await self.get_request(cursor.lastrowid)
        assert request is not None
        return request

    async def get_request(self, request_id: int) -> JoinRequest | None:
        cursor = await self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM join_requests WHERE id = ?", (request_id,)
        )
        row = await cursor.fetchone()
        return _request(row) if row else None

    async def pending_request_for(self, telegram_id: int) -> JoinRequest | None:
        cursor = await self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM join_requests WHERE telegram_id = ? "
            "AND status = 'pending' ORDER BY id DESC LIMIT 1",
            (telegram_id,),
        )
        row = await cursor.fetchone()
        return _request(row) if row else None

    async def pending_requests(self, unit_ids: list[int]) -> list[JoinRequest]:
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        cursor = await self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM join_requests WHERE status = 'pending' "
            f"AND unit_id IN ({marks}) ORDER BY requested_at, id",
            unit_ids,
        )
        return [_request(row) for row in await cursor.fetchall()]

    async def decide(self, request_id: int, status: str, decided_by: int) -> bool:
        """Record a decision once; False when someone decided first."""
        cursor = await self.conn.execute(
            "UPDATE join_requests SET status = ?, decided_by = ?, decided_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (status, decided_by, to_db(utcnow()), request_id),
        )
        return cursor.rowcount > 0
