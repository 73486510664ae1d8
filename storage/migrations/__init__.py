"""Versioned schema migrations: ``NNNN_name.sql`` files applied in order and recorded."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from storage.clock import to_db, utcnow

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a migration into complete SQL statements (triggers included)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


async def apply_migrations(conn: aiosqlite.Connection) -> list[Migration]:
    """Apply, in order, every migration not yet recorded; return those applied.

    The versions are read inside the same ``BEGIN IMMEDIATE`` transaction that applies
    them, so two processes starting at once (the bot and ``cadrebot db upgrade``) never
    apply one twice; and by "not yet recorded", not "newer than the highest", so a
    migration merged late still runs. All pending migrations apply together or not at all.
    """
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    await conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        recorded = {row[0] for row in await cursor.fetchall()}
        applied = []
        for migration in available_migrations():
            if migration.version in recorded:
                continue
            for statement in split_statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, to_db(utcnow())),
            )
            applied.append(migration)
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    return applied
