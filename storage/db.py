"""Connections, pragmas, serialised write transactions and online backup.

One writer connection behind an asyncio lock, so a commit from one coroutine can never
commit another's half-done work; a separate reader connection, which in WAL mode sees
the last committed state without blocking the writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.migrations import apply_migrations

BUSY_TIMEOUT_MS = 5000


async def open_connection(path: Path | str) -> aiosqlite.Connection:
    """Open a connection with the pragmas every connection must have."""
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await _enable_wal(conn)
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        # Not a database, or unreadable: close, or the worker thread keeps the process alive.
        await conn.close()
        raise
    return conn


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    # Switching a fresh file to WAL does not wait on the busy handler when another process
    # is switching it at the same moment, so wait here, within the same time budget.
    for _ in range(BUSY_TIMEOUT_MS // 50):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            await asyncio.sleep(0.05)
    await conn.execute("PRAGMA journal_mode=WAL")


class Store:
    """The repositories, all bound to one connection (and so to one transaction)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        from storage.audit import AuditRepository
        from storage.campaigns import CampaignRepository
        from storage.commitments import CommitmentRepository
        from storage.invites import InviteRepository
        from storage.kv import KeyValueRepository
        from storage.members import MemberRepository
        from storage.persistence import PersistenceRepository
        from storage.roles import RoleRepository
        from storage.sessions import SessionRepository
        from storage.units import UnitRepository

        self.conn = conn
        self.units = UnitRepository(conn)
        self.members = MemberRepository(conn)
        self.roles = RoleRepository(conn)
        self.invites = InviteRepository(conn)
        self.audit = AuditRepository(conn)
        self.kv = KeyValueRepository(conn)
        self.persistence = PersistenceRepository(conn)
        self.campaigns = CampaignRepository(conn)
        self.commitments = CommitmentRepository(conn)
        self.sessions = SessionRepository(conn)


class Database:
    """The SQLite file behind the bot."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def connect(self, *, migrate: bool = True) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await open_connection(self.path)
        try:
            if migrate:
                async with self._write_lock:
                    await apply_migrations(self._writer)
            self._reader = await open_connection(self.path)
        except BaseException:
            # Close what was opened: a leftover connection thread keeps the process alive.
            await self.close()
            raise

    async def ensure_connected(self) -> None:
        """Connect on first use, inside whichever event loop runs the bot."""
        if self._writer is None:
            await self.connect()

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Store]:
        """Repositories on the reader connection: committed data only."""
        if self._reader is None:
            raise RuntimeError("database is not connected")
        yield Store(self._reader)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Store]:
        """One serialised ``BEGIN IMMEDIATE`` transaction; commits on success, else rolls back.

        Never await a Telegram call inside it.
        """
        if self._writer is None:
            raise RuntimeError("database is not connected")
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Store(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def backup(self, target: Path | str) -> None:
        """An online, consistent copy through SQLite's backup API."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = self._reader or await open_connection(self.path)
        dest = sqlite3.connect(str(target))
        try:
            await source.backup(dest)
        finally:
            dest.close()
            if source is not self._reader:
                await source.close()

    async def schema_version(self) -> int:
        async with self.read() as store:
            cursor = await store.conn.execute("SELECT MAX(version) FROM schema_migrations")
            row = await cursor.fetchone()
        return int(row[0] or 0)
