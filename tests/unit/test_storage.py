"""storage/: migrations, connections, transactions, backup and every repository, against a
real temporary SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage import Database
from storage.clock import from_db, to_db
from storage.db import BUSY_TIMEOUT_MS
from storage.migrations import apply_migrations, available_migrations
from storage.records import Unit
from tests.threads import threads_left

# Migrations and connections --------------------------------------------------------------


async def test_migrations_apply_on_a_fresh_file_and_are_recorded(db_path: Path) -> None:
    assert not db_path.exists()  # noqa: ASYNC240 - a test may block
    database = Database(db_path)
    await database.connect()
    try:
        latest = max(m.version for m in available_migrations())
        assert await database.schema_version() == latest
        async with database.read() as store:
            cursor = await store.conn.execute(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            )
            rows = [tuple(r) for r in await cursor.fetchall()]
            cursor = await store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            tables = {r[0] for r in await cursor.fetchall()}
        assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in available_migrations()]
        assert rows[0][:2] == (1, "foundation")
        assert from_db(rows[0][2]).tzinfo is not None
        assert {
            "units",
            "members",
            "memberships",
            "roles",
            "invites",
            "join_requests",
            "audit_log",
            "kv",
            "ptb_user_data",
            "ptb_chat_data",
            "ptb_conversations",
        } <= tables
    finally:
        await database.close()
    assert db_path.exists()  # noqa: ASYNC240


async def test_rerunning_migrations_applies_nothing(db: Database, db_path: Path) -> None:
    async with db.write() as store:
        await store.kv.set("kept", "yes")
    # Directly on the writer connection...
    assert await apply_migrations(db._writer) == []  # type: ignore[arg-type]
    # ...and by a second Database opening the same file.
    again = Database(db_path)
    await again.connect()
    try:
        async with again.read() as store:
            cursor = await store.conn.execute("SELECT COUNT(*) FROM schema_migrations")
            assert (await cursor.fetchone())[0] == len(available_migrations())
            assert await store.kv.get("kept") == "yes"
    finally:
        await again.close()


async def test_two_processes_migrating_a_fresh_file_at_once_both_succeed(
    tmp_path: Path,
) -> None:
    # The bot starting while someone runs `cadrebot db upgrade`: each connection reads the
    # recorded versions inside its own BEGIN IMMEDIATE, so the second applies nothing.
    for attempt in range(10):
        path = tmp_path / f"race-{attempt}.sqlite3"
        first, second = Database(path), Database(path)
        try:
            await asyncio.gather(first.connect(), second.connect())
            latest = max(m.version for m in available_migrations())
            assert await first.schema_version() == latest
            assert await second.schema_version() == latest
            async with first.read() as store:
                cursor = await store.conn.execute("SELECT COUNT(*) FROM schema_migrations")
                assert (await cursor.fetchone())[0] == len(available_migrations())
        finally:
            await first.close()
            await second.close()


def test_available_migrations_are_numbered_and_sorted() -> None:
    migrations = available_migrations()
    versions = [m.version for m in migrations]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert versions == list(range(1, max(versions) + 1))  # numbered from 1 without gaps
    assert all(m.sql.strip() for m in migrations)


async def _pragmas(conn) -> tuple[str, int, int]:
    values = []
    for name in ("journal_mode", "foreign_keys", "busy_timeout"):
        cursor = await conn.execute(f"PRAGMA {name}")
        values.append((await cursor.fetchone())[0])
    return tuple(values)  # type: ignore[return-value]


async def test_reader_and_writer_connections_have_the_pragmas(db: Database) -> None:
    async with db.read() as store:
        reader = store.conn
        assert await _pragmas(reader) == ("wal", 1, BUSY_TIMEOUT_MS)
    async with db.write() as store:
        writer = store.conn
        assert await _pragmas(writer) == ("wal", 1, BUSY_TIMEOUT_MS)
    assert reader is not writer
    assert BUSY_TIMEOUT_MS > 0


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as store:
            await store.conn.execute(
                "INSERT INTO memberships (member_id, unit_id, started_on) VALUES (999, 999, "
                "'2026-03-10')"
            )


async def test_using_a_closed_database_is_an_error(db_path: Path) -> None:
    database = Database(db_path)
    with pytest.raises(RuntimeError):
        async with database.read():
            pass
    with pytest.raises(RuntimeError):
        async with database.write():
            pass
    await database.ensure_connected()
    try:
        assert await database.schema_version() >= 1
    finally:
        await database.close()


async def test_a_failed_connect_leaves_no_connection_open(
    tmp_path: Path, thread_guard: set[threading.Thread]
) -> None:
    bad = tmp_path / "not-a-database.sqlite3"
    bad.write_text("this is not sqlite\n" * 50, encoding="utf-8")
    with pytest.raises(sqlite3.DatabaseError):
        await Database(bad).connect()
    assert await asyncio.to_thread(threads_left, thread_guard) == []


async def test_a_failed_migration_leaves_no_connection_open(
    tmp_path: Path, thread_guard: set[threading.Thread]
) -> None:
    clash = tmp_path / "clash.sqlite3"
    conn = sqlite3.connect(clash)
    conn.execute("CREATE TABLE units (x)")
    conn.commit()
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        await Database(clash).connect()
    assert await asyncio.to_thread(threads_left, thread_guard) == []


# Transactions ----------------------------------------------------------------------------


async def test_write_rolls_back_completely_on_an_exception(db: Database, table_dump) -> None:
    before = await table_dump(db)
    with pytest.raises(RuntimeError, match="boom"):
        async with db.write() as store:
            unit = await store.units.upsert("R1", "Chi bộ Thử", "cell", None)
            await store.units.rebuild_paths()
            member, _ = await store.members.upsert(
                code="X1",
                full_name="Ngô Thị Lan",
                status="official",
                position="",
                is_head=False,
                language=None,
                telegram_id=None,
            )
            await store.members.set_memberships(member.id, unit.id, [], date(2026, 3, 10))
            await store.kv.set("k", "v")
            await store.audit.record(actor="test", action="x")
            raise RuntimeError("boom")
    assert await table_dump(db) == before
    # The lock is free and the connection usable after the rollback.
    async with db.write() as store:
        await store.kv.set("after", "1")
    async with db.read() as store:
        assert await store.kv.get("after") == "1"
        assert await store.kv.get("k") is None


async def test_cancelled_write_rolls_back_and_releases_the_lock(db: Database) -> None:
    entered = asyncio.Event()

    async def stuck() -> None:
        async with db.write() as store:
            await store.kv.set("cancelled", "1")
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(stuck())
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5), db.write() as store:
        await store.kv.set("next", "1")
    async with db.read() as store:
        assert await store.kv.get("cancelled") is None
        assert await store.kv.get("next") == "1"


async def test_reader_sees_only_committed_data(db: Database) -> None:
    async with db.write() as store:
        await store.kv.set("k", "uncommitted")
        async with db.read() as reader:
            assert await reader.kv.get("k") is None
    async with db.read() as reader:
        assert await reader.kv.get("k") == "uncommitted"


@pytest.mark.parametrize("failing_first", [True, False])
async def test_concurrent_writes_are_serialised(db: Database, failing_first: bool) -> None:
    events: list[str] = []

    async def writer(name: str, fail: bool) -> None:
        async with db.write() as store:
            events.append(f"{name} begin")
            await store.kv.set(f"{name}1", name)
            await asyncio.sleep(0.02)
            await store.kv.set(f"{name}2", name)
            events.append(f"{name} end")
            if fail:
                raise RuntimeError(f"{name} failed")

    first, second = ("a", "b") if failing_first else ("b", "a")
    results = await asyncio.gather(
        writer(first, first == "a"), writer(second, second == "a"), return_exceptions=True
    )
    # No interleaving: one block runs from begin to end before the other begins.
    assert events in (
        ["a begin", "a end", "b begin", "b end"],
        ["b begin", "b end", "a begin", "a end"],
    )
    assert events[0] == f"{first} begin"
    errors = [r for r in results if isinstance(r, Exception)]
    assert [str(e) for e in errors] == ["a failed"]
    async with db.read() as store:
        cursor = await store.conn.execute("SELECT key, value FROM kv ORDER BY key")
        rows = [tuple(r) for r in await cursor.fetchall()]
    # b's rows committed, none of a's (whichever ran first).
    assert rows == [("b1", "b"), ("b2", "b")]


# Backup ----------------------------------------------------------------------------------


async def test_backup_during_a_write_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    async with db.write() as store:
        unit = await store.units.upsert("CB-1", "Chi bộ Ấp Mỹ Khánh", "cell", None)
        await store.units.rebuild_paths()
        await store.kv.set("committed", "yes")
    target = tmp_path / "backups" / "copy.sqlite3"
    async with db.write() as store:
        await store.kv.set("in-flight", "not yet")
        await store.units.upsert("CB-2", "Chi bộ Hai", "cell", unit.id)
        await db.backup(target)
    assert target.exists()
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT key, value FROM kv").fetchall() == [("committed", "yes")]
        assert copy.execute("SELECT code, name FROM units").fetchall() == [
            ("CB-1", "Chi bộ Ấp Mỹ Khánh")
        ]
        assert copy.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] >= 1
    finally:
        copy.close()
    # The copy opens as a Database in its own right.
    restored = Database(target)
    await restored.connect()
    try:
        async with restored.read() as store:
            assert await store.kv.get("committed") == "yes"
            assert (await store.units.by_code("CB-1")) is not None
    finally:
        await restored.close()
    # And the live database went on to commit the in-flight write.
    async with db.read() as store:
        assert await store.kv.get("in-flight") == "not yet"


async def test_backup_with_writes_running_concurrently(db: Database, tmp_path: Path) -> None:
    async with db.write() as store:
        for i in range(200):
            await store.kv.set(f"seed{i:03}", "x" * 200)

    async def keep_writing() -> None:
        for i in range(20):
            async with db.write() as store:
                await store.kv.set(f"live{i:02}", "a")
                await store.kv.set(f"pair{i:02}", "b")
            await asyncio.sleep(0)

    target = tmp_path / "concurrent.sqlite3"
    await asyncio.gather(keep_writing(), db.backup(target))
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {row[0] for row in copy.execute("SELECT key FROM kv")}
    finally:
        copy.close()
    assert {f"seed{i:03}" for i in range(200)} <= keys
    # Each transaction is in the copy whole or not at all.
    for i in range(20):
        assert (f"live{i:02}" in keys) == (f"pair{i:02}" in keys)


# Units -----------------------------------------------------------------------------------


async def _tree(db: Database) -> dict[str, Unit]:
    """root → (c1 → (cell1, cell2)), (c2 → cell3)."""
    async with db.write() as store:
        root = await store.units.upsert("ROOT", "Thành ủy", "city_committee", None)
        c1 = await store.units.upsert("C1", "Quận ủy Một", "committee", root.id)
        c2 = await store.units.upsert("C2", "Huyện ủy Hai", "committee", root.id)
        await store.units.upsert("CELL1", "Chi bộ 1", "cell", c1.id)
        await store.units.upsert("CELL2", "Chi bộ 2", "cell", c1.id)
        await store.units.upsert("CELL3", "Chi bộ 3", "cell", c2.id)
        await store.units.rebuild_paths()
        return {u.code: u for u in await store.units.all()}


async def test_units_paths_subtree_and_ancestors(db: Database) -> None:
    units = await _tree(db)
    root, c1, cell1 = units["ROOT"], units["C1"], units["CELL1"]
    assert root.path == f"/{root.id}/"
    assert c1.path == f"/{root.id}/{c1.id}/"
    assert cell1.path == f"/{root.id}/{c1.id}/{cell1.id}/"
    async with db.read() as store:
        assert [u.code for u in await store.units.subtree(c1)] == ["C1", "CELL1", "CELL2"]
        assert [u.code for u in await store.units.subtree(cell1)] == ["CELL1"]
        assert len(await store.units.subtree(root)) == 6
        assert [u.code for u in await store.units.ancestors(cell1)] == ["ROOT", "C1"]
        assert await store.units.ancestors(root) == []
        assert (await store.units.get(c1.id)) == c1
        assert await store.units.by_code("NOPE") is None
    assert root.contains(cell1) and c1.contains(c1)
    assert not c1.contains(units["CELL3"]) and not cell1.contains(c1)


async def test_unit_upsert_updates_by_code_without_duplicating(db: Database) -> None:
    units = await _tree(db)
    async with db.write() as store:
        renamed = await store.units.upsert(
            "CELL1", "Chi bộ Một (mới)", "party_group", units["C1"].id
        )
        cursor = await store.conn.execute("SELECT COUNT(*) FROM units WHERE code = 'CELL1'")
        assert (await cursor.fetchone())[0] == 1
    assert renamed.id == units["CELL1"].id
    assert (renamed.name, renamed.kind) == ("Chi bộ Một (mới)", "party_group")


async def test_unit_upsert_without_change_keeps_updated_at(db: Database) -> None:
    units = await _tree(db)
    async with db.read() as store:
        cursor = await store.conn.execute("SELECT updated_at FROM units WHERE code = 'C1'")
        before = (await cursor.fetchone())[0]
    async with db.write() as store:
        await store.conn.execute("UPDATE units SET updated_at = 'sentinel' WHERE code = 'C1'")
        await store.units.upsert("C1", "Quận ủy Một", "committee", units["ROOT"].id)
        cursor = await store.conn.execute("SELECT updated_at FROM units WHERE code = 'C1'")
        assert (await cursor.fetchone())[0] == "sentinel"
    assert before


async def test_rebuild_paths_after_moving_a_subtree(db: Database) -> None:
    units = await _tree(db)
    async with db.write() as store:
        # Move C1 (with its cells) under C2.
        await store.units.upsert("C1", "Quận ủy Một", "committee", units["C2"].id)
        await store.units.rebuild_paths()
        moved = {u.code: u for u in await store.units.all()}
        subtree_c2 = [u.code for u in await store.units.subtree(moved["C2"])]
    root, c1, c2 = units["ROOT"].id, units["C1"].id, units["C2"].id
    assert moved["C1"].path == f"/{root}/{c2}/{c1}/"
    assert moved["CELL2"].path == f"/{root}/{c2}/{c1}/{units['CELL2'].id}/"
    assert set(subtree_c2) == {"C2", "C1", "CELL1", "CELL2", "CELL3"}


async def test_rebuild_paths_refuses_a_cycle(db: Database) -> None:
    units = await _tree(db)
    with pytest.raises(ValueError, match="cycle"):
        async with db.write() as store:
            await store.units.upsert("ROOT", "Thành ủy", "city_committee", units["CELL1"].id)
            await store.units.rebuild_paths()
    async with db.read() as store:
        assert (await store.units.by_code("ROOT")).parent_id is None  # type: ignore[union-attr]


def test_unit_contains_does_not_confuse_id_prefixes() -> None:
    one = Unit(1, "A", "A", "committee", None, "/1/")
    eleven = Unit(11, "B", "B", "committee", None, "/11/")
    assert not one.contains(eleven)
    assert not eleven.contains(one)


# Members and memberships -----------------------------------------------------------------


async def _member(store, code: str, **kwargs):
    values = {
        "full_name": "Trần Thị Bích",
        "status": "official",
        "position": "",
        "is_head": False,
        "language": None,
        "telegram_id": None,
    }
    values.update(kwargs)
    member, _ = await store.members.upsert(code=code, **values)
    return member


async def test_member_upsert_reports_changes_and_keeps_bot_choices(db: Database) -> None:
    async with db.write() as store:
        member, changed = await store.members.upsert(
            code="M1",
            full_name="Trần Thị Bích",
            status="official",
            position="Bí thư",
            is_head=True,
            language="en",
            telegram_id=123,
        )
        assert changed
        same, changed = await store.members.upsert(
            code="M1",
            full_name="Trần Thị Bích",
            status="official",
            position="Bí thư",
            is_head=True,
            language=None,
            telegram_id=None,
        )
        assert not changed
        assert same == member  # empty language / telegram id keep what is stored
        updated, changed = await store.members.upsert(
            code="M1",
            full_name="Trần Thị Bích",
            status="exempt",
            position="Bí thư",
            is_head=True,
            language=None,
            telegram_id=None,
        )
        assert changed
    assert updated.id == member.id
    assert (updated.status, updated.language, updated.telegram_id) == ("exempt", "en", 123)
    assert updated.is_head is True


async def test_moving_the_primary_unit_ends_the_old_membership(db: Database) -> None:
    units = await _tree(db)
    day1, day2 = date(2026, 3, 10), date(2026, 4, 1)
    async with db.write() as store:
        member = await _member(store, "M1")
        assert await store.members.set_memberships(member.id, units["CELL1"].id, [], day1)
        assert not await store.members.set_memberships(member.id, units["CELL1"].id, [], day1)
        assert await store.members.set_memberships(member.id, units["CELL2"].id, [], day2)
        current = await store.members.memberships(member.id)
        history = await store.members.memberships(member.id, current_only=False)
        primary = await store.members.primary_unit(member.id)
    assert [(m.unit.code, m.is_primary, m.ended_on) for m in current] == [("CELL2", True, None)]
    assert primary is not None and primary.code == "CELL2"
    by_unit = {m.unit.code: m for m in history}
    assert set(by_unit) == {"CELL1", "CELL2"}
    assert by_unit["CELL1"].started_on == day1
    assert by_unit["CELL1"].ended_on == day2  # ended, not deleted
    assert by_unit["CELL2"].started_on == day2


async def test_primary_and_extra_memberships_swap(db: Database) -> None:
    units = await _tree(db)
    day = date(2026, 3, 10)
    async with db.write() as store:
        member = await _member(store, "M1")
        await store.members.set_memberships(member.id, units["CELL1"].id, [units["CELL3"].id], day)
        first = await store.members.memberships(member.id)
        await store.members.set_memberships(member.id, units["CELL3"].id, [units["CELL1"].id], day)
        second = await store.members.memberships(member.id)
    assert [(m.unit.code, m.is_primary) for m in first] == [("CELL1", True), ("CELL3", False)]
    assert [(m.unit.code, m.is_primary) for m in second] == [("CELL3", True), ("CELL1", False)]


async def test_in_units_counts_a_person_in_two_units_once(db: Database) -> None:
    units = await _tree(db)
    day = date(2026, 3, 10)
    async with db.write() as store:
        both = await _member(store, "M1", full_name="Đặng Minh Khôi")
        one = await _member(store, "M2", full_name="Bùi Thanh Sơn")
        await store.members.set_memberships(both.id, units["CELL1"].id, [units["CELL3"].id], day)
        await store.members.set_memberships(one.id, units["CELL3"].id, [], day)
        pending = await store.members.create_pending(
            full_name="Lâm Mỹ Hạnh", telegram_id=555, language="vi"
        )
        await store.members.set_memberships(pending.id, units["CELL3"].id, [], day)
    ids = [units["CELL1"].id, units["CELL3"].id]
    async with db.read() as store:
        active = await store.members.in_units(ids)
        everyone = await store.members.in_units(ids, active_only=False)
        subtree = await store.members.in_subtree(units["ROOT"])
        assert await store.members.in_units([]) == []
    assert sorted(m.code for m in active) == ["M1", "M2"]
    assert len(everyone) == 3
    assert sorted(m.code for m in subtree) == ["M1", "M2"]


async def test_pending_member_registration_and_reachability(db: Database) -> None:
    at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    async with db.write() as store:
        pending = await store.members.create_pending(
            full_name="Lâm Mỹ Hạnh", telegram_id=555, language="en"
        )
        assert pending.registration == "pending" and pending.code is None
        assert not pending.is_active
        await store.members.set_registration(pending.id, "rejected")
        rejected = await store.members.get(pending.id)
        member = await _member(store, "M1", telegram_id=777)
        assert not member.reachable
        assert await store.members.mark_started(777, at)
        assert not await store.members.mark_started(777, at)  # nothing new
        started = await store.members.by_telegram_id(777)
        assert await store.members.mark_blocked(777, at)
        assert not await store.members.mark_blocked(777, at)
        blocked = await store.members.by_telegram_id(777)
        await store.members.bind_telegram(member.id, 777)
        rebound = await store.members.get(member.id)
        await store.members.set_language(member.id, "vi")
        relanguaged = await store.members.get(member.id)
    assert rejected.registration == "rejected" and rejected.telegram_id is None
    assert started.reachable and started.started_bot_at == at
    assert blocked.blocked_at == at and not blocked.reachable
    assert rebound.blocked_at is None and rebound.started_bot_at == at and rebound.reachable
    assert relanguaged.language == "vi"


# Roles -----------------------------------------------------------------------------------


async def test_roles_grant_and_revoke_are_idempotent(db: Database) -> None:
    units = await _tree(db)
    async with db.write() as store:
        member = await _member(store, "M1")
        assert await store.roles.grant(member.id, "secretary", units["CELL1"].id)
        assert not await store.roles.grant(member.id, "secretary", units["CELL1"].id)
        assert await store.roles.grant(member.id, "committee", units["C1"].id)
        grants = await store.roles.for_member(member.id)
        holders = await store.roles.holders([units["CELL1"].id], ("secretary", "deputy"))
        assert await store.roles.revoke(member.id, "secretary", units["CELL1"].id)
        assert not await store.roles.revoke(member.id, "secretary", units["CELL1"].id)
        after = await store.roles.for_member(member.id)
        assert await store.roles.grant(member.id, "secretary", units["CELL1"].id)
        cursor = await store.conn.execute(
            "SELECT COUNT(*), COUNT(revoked_at) FROM roles WHERE role = 'secretary'"
        )
        total, revoked = await cursor.fetchone()
        assert await store.roles.holders([], ("secretary",)) == []
    assert sorted((g.role, g.unit.code) for g in grants) == [
        ("committee", "C1"),
        ("secretary", "CELL1"),
    ]
    assert holders == [(member.id, "secretary", units["CELL1"].id)]
    assert [(g.role, g.unit.code) for g in after] == [("committee", "C1")]
    assert (total, revoked) == (2, 1)  # the revoked grant is kept as history


# Invites and join requests ---------------------------------------------------------------


async def test_invite_use_never_exceeds_max_uses(db: Database) -> None:
    units = await _tree(db)
    async with db.write() as store:
        invite = await store.invites.create(
            code="ABCDEFGH",
            member_id=None,
            unit_id=units["CELL1"].id,
            max_uses=2,
            expires_on=date(2026, 3, 31),
            created_by="cli",
        )
        results = [await store.invites.use(invite.id) for _ in range(4)]
        stored = await store.invites.by_code("ABCDEFGH")
    assert results == [True, True, False, False]
    assert stored is not None and stored.uses == 2 and stored.max_uses == 2
    assert stored.expires_on == date(2026, 3, 31)
    assert stored.created_at.tzinfo is not None


async def test_invite_must_target_exactly_one_of_member_or_unit(db: Database) -> None:
    units = await _tree(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as store:
            member = await _member(store, "M1")
            await store.invites.create(
                code="BOTH2345",
                member_id=member.id,
                unit_id=units["CELL1"].id,
                max_uses=1,
                expires_on=None,
                created_by="cli",
            )


async def test_open_for_member_skips_used_expired_and_revoked(db: Database) -> None:
    today = date(2026, 3, 10)
    async with db.write() as store:
        member = await _member(store, "M1")

        async def make(code: str, expires: date | None = None):
            return await store.invites.create(
                code=code,
                member_id=member.id,
                unit_id=None,
                max_uses=1,
                expires_on=expires,
                created_by="cli",
            )

        assert await store.invites.open_for_member(member.id, today) is None
        good = await make("GOOD2345")
        used = await make("USED2345")
        await store.invites.use(used.id)
        await make("OLD23456", today - timedelta(days=1))
        revoked = await make("REVK2345")
        await store.conn.execute(
            "UPDATE invites SET revoked_at = ? WHERE id = ?",
            (to_db(datetime.now(UTC)), revoked.id),
        )
        found = await store.invites.open_for_member(member.id, today)
        last_day = await make("LAST2345", today)
        newest = await store.invites.open_for_member(member.id, today)
    assert found is not None and found.code == good.code
    assert newest is not None and newest.code == last_day.code  # valid through its last day


async def test_join_request_is_decided_only_once(db: Database) -> None:
    units = await _tree(db)
    async with db.write() as store:
        invite = await store.invites.create(
            code="UNIT2345",
            member_id=None,
            unit_id=units["CELL1"].id,
            max_uses=5,
            expires_on=None,
            created_by="cli",
        )
        decider = await _member(store, "SEC")
        pending = await store.members.create_pending(
            full_name="Lâm Mỹ Hạnh", telegram_id=555, language=None
        )
        request = await store.invites.create_request(
            member_id=pending.id,
            unit_id=units["CELL1"].id,
            invite_id=invite.id,
            telegram_id=555,
            full_name="Lâm Mỹ Hạnh",
        )
        assert (await store.invites.pending_request_for(555)) == request
        assert [r.id for r in await store.invites.pending_requests([units["CELL1"].id])] == [
            request.id
        ]
        assert await store.invites.decide(request.id, "approved", decider.id)
        assert not await store.invites.decide(request.id, "rejected", decider.id)
        decided = await store.invites.get_request(request.id)
        assert await store.invites.pending_request_for(555) is None
        assert await store.invites.pending_requests([units["CELL1"].id]) == []
        assert await store.invites.pending_requests([]) == []
    assert request.status == "pending" and request.decided_at is None
    assert decided is not None
    assert (decided.status, decided.decided_by) == ("approved", decider.id)
    assert decided.decided_at is not None


# Audit, kv, persistence ------------------------------------------------------------------


async def test_audit_record_and_recent(db: Database) -> None:
    async with db.write() as store:
        member = await _member(store, "M1")
        await store.audit.record(actor="cli", action="units.import", detail={"rows": 3})
        await store.audit.record(
            actor="tg:42",
            action="join.decide",
            outcome="denied",
            target="7",
            member_id=member.id,
            detail={"đơn vị": "Chi bộ Ấp Mỹ Khánh"},
        )
        await store.audit.record(actor="system", action="units.import", outcome="error")
    async with db.read() as store:
        recent = await store.audit.recent()
        imports = await store.audit.recent(action="units.import")
        one = await store.audit.recent(limit=1)
    assert [e.action for e in recent] == ["units.import", "join.decide", "units.import"]
    assert [e.outcome for e in imports] == ["error", "ok"]
    assert one == recent[:1]
    denied = recent[1]
    assert (denied.actor, denied.target, denied.member_id) == ("tg:42", "7", member.id)
    assert denied.detail == {"đơn vị": "Chi bộ Ấp Mỹ Khánh"}
    assert recent[2].detail == {"rows": 3}
    assert denied.at.tzinfo is not None


async def test_audit_outcome_is_constrained(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as store:
            await store.audit.record(actor="cli", action="x", outcome="maybe")


async def test_kv_get_set_overwrite(db: Database) -> None:
    async with db.write() as store:
        assert await store.kv.get("bot_username") is None
        await store.kv.set("bot_username", "first_bot")
        await store.kv.set("bot_username", "cadre_bot")
    async with db.read() as store:
        assert await store.kv.get("bot_username") == "cadre_bot"


async def test_persistence_repository_round_trips(db: Database) -> None:
    at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    later = at + timedelta(minutes=5)
    async with db.write() as store:
        repo = store.persistence
        await repo.save("user", 1, {"language": "vi", "tên": "Bích"})
        await repo.save("user", 2, {"n": [1, 2]})
        await repo.save("user", 2, {"n": [3]})
        await repo.save("chat", -100, {"menu": "vi:start"})
        await repo.save_conversation("join", (10, 10), 1, at)
        await repo.save_conversation("join", (11, 11), {"step": "name"}, at)
        await repo.save_conversation("join", (11, 11), {"step": "confirm"}, later)
        await repo.save_conversation("other", (10, 10), 0, at)
    async with db.read() as store:
        repo = store.persistence
        assert await repo.load_all("user") == {1: {"language": "vi", "tên": "Bích"}, 2: {"n": [3]}}
        assert await repo.load_all("chat") == {-100: {"menu": "vi:start"}}
        assert await repo.conversations("join") == {
            (10, 10): (1, at),
            (11, 11): ({"step": "confirm"}, later),
        }
        assert await repo.conversations("none") == {}
    async with db.write() as store:
        await store.persistence.drop("user", 1)
        await store.persistence.save_conversation("join", (10, 10), None, later)
    async with db.read() as store:
        assert await store.persistence.load_all("user") == {2: {"n": [3]}}
        assert await store.persistence.conversations("join") == {
            (11, 11): ({"step": "confirm"}, later)
        }
        assert await store.persistence.conversations("other") == {(10, 10): (0, at)}


async def test_the_unused_persistence_tables_are_gone(db: Database) -> None:
    async with db.read() as store:
        cursor = await store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ptb_%'"
        )
        tables = {row[0] for row in await cursor.fetchall()}
    assert tables == {"ptb_user_data", "ptb_chat_data", "ptb_conversations"}


# Timestamps ------------------------------------------------------------------------------


def test_db_timestamps_are_utc_and_refuse_naive_values() -> None:
    local = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    stored = to_db(local)
    assert stored == "2026-03-10T02:00:00+00:00"
    assert from_db(stored) == local
    assert to_db(None) is None and from_db(None) is None
    with pytest.raises(ValueError):
        to_db(datetime(2026, 3, 10, 9, 0))


# The write unit and read snapshots --------------------------------------------------------


async def test_a_write_cancelled_during_begin_leaves_no_transaction_behind(db: Database) -> None:
    # Another process holds the write lock, so our BEGIN IMMEDIATE waits in SQLite.
    other = sqlite3.connect(str(db.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write_something() -> None:
        async with db.write() as store:
            await store.kv.set("never", "1")

    task = asyncio.create_task(write_something())
    await asyncio.sleep(0.2)  # inside BEGIN, waiting on the busy handler
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    other.execute("ROLLBACK")
    other.close()
    # The BEGIN finished on the connection's thread after the cancel; it was rolled back,
    # so the next write starts cleanly instead of "cannot start a transaction within a
    # transaction".
    async with db.write() as store:
        await store.kv.set("next", "1")
    async with db.read() as store:
        assert await store.kv.get("never") is None
        assert await store.kv.get("next") == "1"


async def test_a_failing_commit_is_rolled_back_and_the_writer_recovers(db: Database) -> None:
    writer = db._writer
    assert writer is not None
    real_execute = writer.execute
    failures = []

    async def execute(sql: str, *args: object):  # type: ignore[no-untyped-def]
        if sql == "COMMIT" and not failures:
            failures.append(sql)
            raise sqlite3.OperationalError("database or disk is full")
        return await real_execute(sql, *args)

    writer.execute = execute  # type: ignore[method-assign]
    try:
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            async with db.write() as store:
                await store.kv.set("lost", "1")
        assert not writer.in_transaction
        async with db.write() as store:
            await store.kv.set("kept", "1")
    finally:
        writer.execute = real_execute  # type: ignore[method-assign]
    async with db.read() as store:
        assert await store.kv.get("lost") is None
        assert await store.kv.get("kept") == "1"


async def test_a_read_is_one_snapshot_across_its_queries(db: Database) -> None:
    async with db.write() as store:
        await store.kv.set("a", "1")
    async with db.read() as store:
        assert await store.kv.get("a") == "1"
        # A write lands between two queries of the same read ...
        async with db.write() as writer:
            await writer.kv.set("a", "2")
            await writer.kv.set("b", "2")
        # ... and the read still sees the state it started with.
        assert await store.kv.get("a") == "1"
        assert await store.kv.get("b") is None
    async with db.read() as store:
        assert (await store.kv.get("a"), await store.kv.get("b")) == ("2", "2")


async def test_concurrent_reads_each_get_a_connection(db: Database) -> None:
    seen = []

    async def read() -> None:
        async with db.read() as store:
            seen.append(store.conn)
            await asyncio.sleep(0.05)
            assert await store.kv.get("x") is None

    await asyncio.gather(*(read() for _ in range(10)))
    assert len(set(map(id, seen))) > 1


async def test_a_write_waits_for_another_process_instead_of_failing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.db as storage_db

    # SQLite's own wait is cut short so that the retry loop is what waits here.
    await db._writer.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
    monkeypatch.setattr(storage_db, "WRITE_PATIENCE_S", 5.0)
    other = sqlite3.connect(str(db.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def release_later() -> None:
        await asyncio.sleep(0.5)
        other.execute("COMMIT")

    releaser = asyncio.create_task(release_later())
    async with db.write() as store:
        await store.kv.set("waited", "1")
    await releaser
    other.close()
    async with db.read() as store:
        assert await store.kv.get("waited") == "1"


async def test_a_backup_onto_the_database_itself_is_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        await db.backup(db.path)
