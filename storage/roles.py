"""Role grants, each scoped to a unit and everything below it."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from storage.clock import to_db, utcnow
from storage.members import MEMBER_COLUMNS, member_from_row
from storage.records import Member, RoleGrant, Unit
from storage.units import chunked, unit_from_row


class RoleRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def for_member(self, member_id: int) -> list[RoleGrant]:
        cursor = await self.conn.execute(
            "SELECT r.id AS role_id, r.member_id, r.role, "
            "u.id, u.code, u.name, u.kind, u.parent_id, u.path "
            "FROM roles r JOIN units u ON u.id = r.unit_id "
            "WHERE r.member_id = ? AND r.revoked_at IS NULL ORDER BY r.role, u.path",
            (member_id,),
        )
        return [
            RoleGrant(
                id=row["role_id"],
                member_id=row["member_id"],
                role=row["role"],
                unit=unit_from_row(row),
            )
            for row in await cursor.fetchall()
        ]

    async def grant(self, member_id: int, role: str, unit_id: int) -> bool:
        """True when the grant is new; granting twice changes nothing."""
        cursor = await self.conn.execute(
            "INSERT INTO roles (member_id, role, unit_id, granted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (member_id, role, unit_id, to_db(utcnow())),
        )
        return cursor.rowcount > 0

    async def revoke(self, member_id: int, role: str, unit_id: int) -> bool:
        cursor = await self.conn.execute(
            "UPDATE roles SET revoked_at = ? WHERE member_id = ? AND role = ? AND unit_id = ? "
            "AND revoked_at IS NULL",
            (to_db(utcnow()), member_id, role, unit_id),
        )
        return cursor.rowcount > 0

    async def holders(
        self, unit_ids: list[int], roles: tuple[str, ...]
    ) -> list[tuple[int, str, int]]:
        """(member id, role, unit id) of the active grants on these units."""
        if not unit_ids:
            return []
        unit_marks = ",".join("?" * len(unit_ids))
        role_marks = ",".join("?" * len(roles))
        cursor = await self.conn.execute(
            f"SELECT member_id, role, unit_id FROM roles WHERE revoked_at IS NULL "
            f"AND unit_id IN ({unit_marks}) AND role IN ({role_marks})",
            (*unit_ids, *roles),
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

    async def nearest_holders(
        self, units: Iterable[Unit], roles: tuple[str, ...]
    ) -> dict[int, list[Member]]:
        """For each unit (by id): the active members holding one of ``roles`` on it, else on
        the nearest unit above it that has any; an empty list when no unit up to the root
        has one. One query per 900 units of the chains, not one per unit or per holder."""
        units = list(units)
        chain_ids = list(dict.fromkeys(i for unit in units for i in unit.chain_ids))
        role_marks = ",".join("?" * len(roles))
        by_unit: dict[int, dict[int, Member]] = {}
        for chunk in chunked(chain_ids):
            unit_marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT r.unit_id AS held_on, {MEMBER_COLUMNS} FROM roles r "
                "JOIN members m ON m.id = r.member_id "
                f"WHERE r.revoked_at IS NULL AND r.unit_id IN ({unit_marks}) "
                f"AND r.role IN ({role_marks}) AND m.registration = 'active' "
                "ORDER BY m.id",
                (*chunk, *roles),
            )
            for row in await cursor.fetchall():
                by_unit.setdefault(row["held_on"], {})[row["id"]] = member_from_row(row)
        nearest: dict[int, list[Member]] = {}
        for unit in units:
            found = next((by_unit[i] for i in reversed(unit.chain_ids) if by_unit.get(i)), {})
            nearest[unit.id] = list(found.values())
        return nearest

    async def telegram_ids_of(self, role: str) -> list[int]:
        """The Telegram ids of active members holding ``role`` anywhere."""
        cursor = await self.conn.execute(
            "SELECT DISTINCT m.telegram_id FROM roles r JOIN members m ON m.id = r.member_id "
            "WHERE r.revoked_at IS NULL AND r.role = ? AND m.registration = 'active' "
            "AND m.telegram_id IS NOT NULL ORDER BY m.telegram_id",
            (role,),
        )
        return [row[0] for row in await cursor.fetchall()]

    async def members_in_subtree(self, unit: Unit, role: str) -> list[Member]:
        """Active members holding ``role`` on a unit of the subtree."""
        cursor = await self.conn.execute(
            f"SELECT DISTINCT {MEMBER_COLUMNS} FROM roles r JOIN members m ON m.id = r.member_id "
            "JOIN units u ON u.id = r.unit_id WHERE r.revoked_at IS NULL AND r.role = ? "
            "AND u.path >= ? AND u.path < ? AND m.registration = 'active' ORDER BY m.id",
            (role, unit.path, unit.path + "\uffff"),
        )
        return [member_from_row(row) for row in await cursor.fetchall()]
