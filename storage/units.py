"""Units of the organisation tree."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

import aiosqlite

from storage.clock import to_db, utcnow
from storage.records import Unit

_COLUMNS = "id, code, name, kind, parent_id, path"
# Stay well under SQLite's limit on bound parameters per statement.
CHUNK = 900


def chunked(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def unit_from_row(row: sqlite3.Row, prefix: str = "") -> Unit:
    return Unit(
        id=row[f"{prefix}id"],
        code=row[f"{prefix}code"],
        name=row[f"{prefix}name"],
        kind=row[f"{prefix}kind"],
        parent_id=row[f"{prefix}parent_id"],
        path=row[f"{prefix}path"],
    )


class UnitRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, unit_id: int) -> Unit | None:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} FROM units WHERE id = ?", (unit_id,))
        row = await cursor.fetchone()
        return unit_from_row(row) if row else None

    async def many(self, unit_ids: Iterable[int]) -> dict[int, Unit]:
        found: dict[int, Unit] = {}
        for chunk in chunked(list(dict.fromkeys(unit_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT {_COLUMNS} FROM units WHERE id IN ({marks})", chunk
            )
            for row in await cursor.fetchall():
                found[row["id"]] = unit_from_row(row)
        return found

    async def by_code(self, code: str) -> Unit | None:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} FROM units WHERE code = ?", (code,))
        row = await cursor.fetchone()
        return unit_from_row(row) if row else None

    async def all(self) -> list[Unit]:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} FROM units ORDER BY path")
        return [unit_from_row(r) for r in await cursor.fetchall()]

    async def subtree(self, unit: Unit) -> list[Unit]:
        """The unit and everything below it, parents before children."""
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM units WHERE path >= ? AND path < ? ORDER BY path",
            (unit.path, unit.path + "\uffff"),
        )
        return [unit_from_row(r) for r in await cursor.fetchall()]

    async def ancestors(self, unit: Unit) -> list[Unit]:
        """From the root down to the unit's parent."""
        ids = [int(part) for part in unit.path.strip("/").split("/")[:-1]]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} FROM units WHERE id IN ({marks})", ids)
        by_id = {row["id"]: unit_from_row(row) for row in await cursor.fetchall()}
        return [by_id[i] for i in ids if i in by_id]

    async def upsert(
        self, code: str, name: str, kind: str, parent_id: int | None, org_name: str | None = None
    ) -> Unit:
        """Insert or update by code; the path is recomputed by :meth:`rebuild_paths`."""
        now = to_db(utcnow())
        await self.conn.execute(
            "INSERT INTO units (code, name, kind, parent_id, path, org_name, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?) "
            "ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind, "
            "parent_id = excluded.parent_id, org_name = excluded.org_name, "
            "updated_at = excluded.updated_at "
            "WHERE units.name IS NOT excluded.name OR units.kind IS NOT excluded.kind "
            "OR units.parent_id IS NOT excluded.parent_id "
            "OR units.org_name IS NOT excluded.org_name",
            (code, name, kind, parent_id, org_name, now, now),
        )
        unit = await self.by_code(code)
        assert unit is not None
        return unit

    async def children(self, unit_id: int) -> list[Unit]:
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM units WHERE parent_id = ? ORDER BY name", (unit_id,)
        )
        return [unit_from_row(row) for row in await cursor.fetchall()]

    async def children_with_counts(self, unit_id: int) -> list[tuple[Unit, int]]:
        """The unit's children by name, each with how many units sit directly below it."""
        columns = ", ".join(f"u.{c.strip()}" for c in _COLUMNS.split(","))
        cursor = await self.conn.execute(
            f"SELECT {columns}, (SELECT COUNT(*) FROM units c WHERE c.parent_id = u.id) "
            "AS below FROM units u WHERE u.parent_id = ? ORDER BY u.name",
            (unit_id,),
        )
        return [(unit_from_row(row), row["below"]) for row in await cursor.fetchall()]

    async def org_names(self, unit_ids: Iterable[int]) -> dict[int, str]:
        """The organisation names given by import (units without one are left out)."""
        found: dict[int, str] = {}
        for chunk in chunked(list(dict.fromkeys(unit_ids))):
            marks = ",".join("?" * len(chunk))
            cursor = await self.conn.execute(
                f"SELECT id, org_name FROM units WHERE id IN ({marks}) AND org_name IS NOT NULL",
                chunk,
            )
            found.update({row[0]: row[1] for row in await cursor.fetchall()})
        return found

    async def rebuild_paths(self) -> None:
        """Recompute every materialised path from the parent links (a tree, never a cycle)."""
        cursor = await self.conn.execute("SELECT id, parent_id, path FROM units")
        rows = await cursor.fetchall()
        parent = {row["id"]: row["parent_id"] for row in rows}
        current = {row["id"]: row["path"] for row in rows}
        cache: dict[int, str] = {}

        def path_of(unit_id: int) -> str:
            chain = []
            node: int | None = unit_id
            while node is not None and node not in cache:
                chain.append(node)
                node = parent[node]
                if len(chain) > len(parent):
                    raise ValueError("the unit tree has a cycle")
            prefix = cache[node] if node is not None else "/"
            for item in reversed(chain):
                prefix = f"{prefix}{item}/"
                cache[item] = prefix
            return cache[unit_id]

        changes = [(path_of(uid), uid) for uid in parent if path_of(uid) != current[uid]]
        if changes:
            await self.conn.executemany("UPDATE units SET path = ? WHERE id = ?", changes)
