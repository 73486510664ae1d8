"""Connections, pragmas, serialised write transactions, read snapshots and online backup.

One writer connection behind an asyncio lock, so a commit from one coroutine can never
commit another's half-done work. Reads use a small pool of reader connections, each read
one transaction: in WAL mode it sees one committed state from its first query to its last
(a report made of several queries is consistent) without blocking the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from storage.migrations import apply_migrations

if TYPE_CHECKING:
    from storage.audit import AuditRepository
    from storage.calendar import CalendarRepository
    from storage.campaigns import CampaignRepository
    from storage.commitments import CommitmentRepository
    from storage.dossiers import DossierRepository
    from storage.grading import GradingRepository
    from storage.invites import InviteRepository
    from storage.kv import KeyValueRepository
    from storage.members import MemberRepository
    from storage.nominations import NominationRepository
    from storage.outbox import OutboxRepository
    from storage.persistence import PersistenceRepository
    from storage.reminders import ReminderRepository
    from storage.reports import ReportRepository
    from storage.roles import RoleRepository
    from storage.sessions import SessionRepository
    from storage.stories import StoryRepository
    from storage.units import UnitRepository

BUSY_TIMEOUT_MS = 5000
# A write waits this long in all for another process's transaction (an import, a backup)
# before it fails; each attempt also waits BUSY_TIMEOUT_MS inside SQLite.
WRITE_PATIENCE_S = 30.0
READERS = 4
log = logging.getLogger(__name__)


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
    """The repositories, all bound to one connection (and so to one transaction).

    Each is built when first used: a read or a write uses one or two of the eighteen, and
    building them all cost more than the statements of a /help (issue 13).
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []

    @cached_property
    def units(self) -> UnitRepository:
        from storage.units import UnitRepository

        return UnitRepository(self.conn)

    @cached_property
    def members(self) -> MemberRepository:
        from storage.members import MemberRepository

        return MemberRepository(self.conn)

    @cached_property
    def roles(self) -> RoleRepository:
        from storage.roles import RoleRepository

        return RoleRepository(self.conn)

    @cached_property
    def invites(self) -> InviteRepository:
        from storage.invites import InviteRepository

        return InviteRepository(self.conn)

    @cached_property
    def audit(self) -> AuditRepository:
        from storage.audit import AuditRepository

        return AuditRepository(self.conn)

    @cached_property
    def kv(self) -> KeyValueRepository:
        from storage.kv import KeyValueRepository

        return KeyValueRepository(self.conn)

    @cached_property
    def persistence(self) -> PersistenceRepository:
        from storage.persistence import PersistenceRepository

        return PersistenceRepository(self.conn)

    @cached_property
    def campaigns(self) -> CampaignRepository:
        from storage.campaigns import CampaignRepository

        return CampaignRepository(self.conn)

    @cached_property
    def commitments(self) -> CommitmentRepository:
        from storage.commitments import CommitmentRepository

        return CommitmentRepository(self.conn)

    @cached_property
    def sessions(self) -> SessionRepository:
        from storage.sessions import SessionRepository

        return SessionRepository(self.conn)

    @cached_property
    def outbox(self) -> OutboxRepository:
        from storage.outbox import OutboxRepository

        return OutboxRepository(self.conn)

    @cached_property
    def grading(self) -> GradingRepository:
        from storage.grading import GradingRepository

        return GradingRepository(self.conn)

    @cached_property
    def stories(self) -> StoryRepository:
        from storage.stories import StoryRepository

        return StoryRepository(self.conn)

    @cached_property
    def calendar(self) -> CalendarRepository:
        from storage.calendar import CalendarRepository

        return CalendarRepository(self.conn)

    @cached_property
    def nominations(self) -> NominationRepository:
        from storage.nominations import NominationRepository

        return NominationRepository(self.conn)

    @cached_property
    def reminders(self) -> ReminderRepository:
        from storage.reminders import ReminderRepository

        return ReminderRepository(self.conn)

    @cached_property
    def dossiers(self) -> DossierRepository:
        from storage.dossiers import DossierRepository

        return DossierRepository(self.conn)

    @cached_property
    def reports(self) -> ReportRepository:
        from storage.reports import ReportRepository

        return ReportRepository(self.conn)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this write transaction has committed (not on rollback):
        e.g. wake the outbox sender only when the rows it will read are visible."""
        self._after_commit.append(callback)


class Database:
    """The SQLite file behind the bot."""

    def __init__(self, path: Path | str, *, readers: int = READERS) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._idle_readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._reader_count = readers
        self._write_lock = asyncio.Lock()

    async def connect(self, *, migrate: bool = True) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await open_connection(self.path)
        try:
            if migrate:
                async with self._write_lock:
                    await apply_migrations(self._writer)
            self._idle_readers = asyncio.Queue()
            for _ in range(self._reader_count):
                reader = await open_connection(self.path)
                self._readers.append(reader)
                self._idle_readers.put_nowait(reader)
        except BaseException:
            # Close what was opened: a leftover connection thread keeps the process alive.
            await self.close()
            raise

    async def ensure_connected(self) -> None:
        """Connect on first use, inside whichever event loop runs the bot."""
        if self._writer is None:
            await self.connect()

    async def close(self) -> None:
        for conn in [*self._readers, self._writer]:
            if conn is not None:
                await conn.close()
        self._readers = []
        self._idle_readers = None
        self._writer = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Store]:
        """Repositories on a reader connection, inside one read transaction: every query
        sees the same committed state."""
        if self._idle_readers is None:
            raise RuntimeError("database is not connected")
        conn = await self._idle_readers.get()
        try:
            await conn.execute("BEGIN")
            try:
                yield Store(conn)
            finally:
                # Nothing to keep: ending the snapshot, never committing anything.
                await asyncio.shield(_end_transaction(conn))
        finally:
            self._idle_readers.put_nowait(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Store]:
        """One serialised ``BEGIN IMMEDIATE`` transaction; commits on success, else rolls back.

        Begin, body and commit are one unit: whatever fails or is cancelled, including the
        ``BEGIN`` or the ``COMMIT`` themselves, the connection is rolled back (shielded from
        cancellation) before the next writer may start. Never await a Telegram call inside.
        """
        if self._writer is None:
            raise RuntimeError("database is not connected")
        conn = self._writer
        async with self._write_lock:
            store = Store(conn)
            try:
                await _begin_immediate(conn)
                yield store
                await conn.execute("COMMIT")
            except BaseException:
                await asyncio.shield(_end_transaction(conn))
                raise
        for callback in store._after_commit:
            callback()

    async def backup(self, target: Path | str) -> None:
        """An online, consistent copy through SQLite's backup API."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target = Path(target)
        if target.exists() and target.resolve() == self.path.resolve():
            raise ValueError("the backup would overwrite the database itself")
        source = await open_connection(self.path)
        dest = sqlite3.connect(str(target))
        try:
            await source.backup(dest)
        finally:
            dest.close()
            await source.close()

    async def schema_version(self) -> int:
        async with self.read() as store:
            cursor = await store.conn.execute("SELECT MAX(version) FROM schema_migrations")
            row = await cursor.fetchone()
        return int(row[0] or 0)


async def _begin_immediate(conn: aiosqlite.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting and retrying while another process holds the write lock
    (an import, a backup), up to WRITE_PATIENCE_S in all."""
    deadline = time.monotonic() + WRITE_PATIENCE_S
    while True:
        try:
            await conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise
            log.info("database busy; waiting to write")
            await asyncio.sleep(0.05)


async def _end_transaction(conn: aiosqlite.Connection) -> None:
    """Roll back whatever transaction the connection is in, if any. The connection runs
    its statements in order on its own thread, so this comes after a ``BEGIN`` that was
    still running when its caller was cancelled."""
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        if "no transaction is active" not in str(error):
            log.error("rollback failed: %s", error)
