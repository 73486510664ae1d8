"""bot/persistence.py: python-telegram-bot persistence on the SQLite file survives a restart."""

from __future__ import annotations

from pathlib import Path

from bot.persistence import SQLitePersistence
from storage import Database


async def _reopen(path: Path) -> tuple[Database, SQLitePersistence]:
    """A fresh Database and persistence on the same file, as after a restart."""
    database = Database(path)
    return database, SQLitePersistence(database)


async def test_user_chat_and_conversation_data_survive_a_restart(db_path: Path) -> None:
    first_db, first = await _reopen(db_path)
    await first_db.connect()
    try:
        user_data = {"language": "vi", "join_name": "Trần Thị Bích", "menu": "vi:start,help"}
        await first.update_user_data(1001, user_data)
        user_data["language"] = "en"  # a later change in memory is not what was stored
        await first.update_user_data(1002, {"nested": {"list": [1, 2, 3]}, "flag": True})
        await first.update_chat_data(-5001, {"topic": "Học tập và làm theo"})
        await first.update_conversation("join", (1001, 1001), 1)
        await first.update_conversation("join", (1002, 1002), 0)
        await first.update_conversation("invite", (1001,), {"step": "uses"})
        await first.update_conversation("join", (1002, 1002), None)  # conversation ended
    finally:
        await first_db.close()

    second_db, second = await _reopen(db_path)
    try:
        # The persistence connects the database itself on first use. At start it reads the
        # data of the people in a conversation (the guards read it); the others' is read
        # before their first update.
        assert await second.get_user_data() == {
            1001: {"language": "vi", "join_name": "Trần Thị Bích", "menu": "vi:start,help"},
        }
        assert await second.get_chat_data() == {}
        later: dict = {}
        await second.refresh_user_data(1002, later)
        assert later == {"nested": {"list": [1, 2, 3]}, "flag": True}
        chat: dict = {}
        await second.refresh_chat_data(-5001, chat)
        assert chat == {"topic": "Học tập và làm theo"}
        assert await second.get_conversations("join") == {(1001, 1001): 1}
        assert await second.get_conversations("invite") == {(1001,): {"step": "uses"}}
        assert await second.get_conversations("unknown") == {}
        assert await second.get_bot_data() == {}
        assert await second.get_callback_data() is None
        assert second.touched("join", (1001, 1001)) is not None
        assert second.touched("join", (1002, 1002)) is None
    finally:
        await second_db.close()


async def _stored(db: Database, kind: str) -> dict:
    async with db.read() as store:
        return await store.persistence.load_all(kind)


async def test_updates_overwrite_and_drops_remove(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_user_data(1001, {"a": 1})
    await persistence.update_user_data(1001, {"a": 2})
    await persistence.update_user_data(1002, {"b": 1})
    await persistence.update_chat_data(-1, {"c": 1})
    await persistence.update_chat_data(-2, {"d": 1})
    assert await _stored(db, "user") == {1001: {"a": 2}, 1002: {"b": 1}}
    await persistence.drop_user_data(1001)
    await persistence.drop_chat_data(-1)
    await persistence.drop_user_data(424242)  # dropping what is not there is harmless
    assert await _stored(db, "user") == {1002: {"b": 1}}
    assert await _stored(db, "chat") == {-2: {"d": 1}}
    restarted = SQLitePersistence(Database(db.path))
    try:
        dropped, kept = {}, {}  # type: ignore[var-annotated]
        await restarted.refresh_user_data(1001, dropped)
        await restarted.refresh_user_data(1002, kept)
        assert (dropped, kept) == ({}, {"b": 1})
    finally:
        await restarted.db.close()


async def test_bot_data_and_callback_data_are_not_persisted(db: Database, table_dump) -> None:
    persistence = SQLitePersistence(db)
    before = await table_dump(db)
    await persistence.update_bot_data({"services": object()})
    await persistence.update_callback_data(([], {}))
    await persistence.refresh_user_data(1, {})
    await persistence.refresh_chat_data(1, {})
    await persistence.refresh_bot_data({})
    await persistence.flush()
    assert await table_dump(db) == before
    assert persistence.store_data.user_data and persistence.store_data.chat_data
    assert not persistence.store_data.bot_data and not persistence.store_data.callback_data


async def test_conversations_past_the_timeout_are_dropped_at_start(db_path: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.clock import FixedClock

    start = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    clock = FixedClock(ZoneInfo("Asia/Ho_Chi_Minh"), start)
    database = Database(db_path)
    first = SQLitePersistence(database, clock, conversation_timeout=timedelta(hours=24))
    await database.connect()
    try:
        await first.update_conversation("session_new", (7, 7), 3)
        clock.moment = start + timedelta(hours=20)
        await first.update_conversation("commitment_filing", (8, 8), 1)
        assert first.touched("session_new", (7, 7)) == start
        await first.update_conversation("commitment_filing", (9, 9), 1)
        await first.update_conversation("commitment_filing", (9, 9), None)
        assert first.touched("commitment_filing", (9, 9)) is None
    finally:
        await database.close()

    # The bot comes back 25 hours after the session step: that one is past the timeout.
    clock.moment = start + timedelta(hours=25)
    second = SQLitePersistence(Database(db_path), clock, conversation_timeout=timedelta(hours=24))
    try:
        assert await second.get_conversations("session_new") == {}
        assert await second.get_conversations("commitment_filing") == {(8, 8): 1}
        assert second.touched("commitment_filing", (8, 8)) == start + timedelta(hours=20)
        assert second.take_expired() == [("session_new", (7, 7))]
        assert second.take_expired() == []  # told once
    finally:
        await second.db.close()
    # The dropped state is gone from the file too.
    third = SQLitePersistence(Database(db_path), clock, conversation_timeout=timedelta(hours=24))
    try:
        assert await third.get_conversations("session_new") == {}
        assert third.take_expired() == []
    finally:
        await third.db.close()


async def test_saving_a_state_unchanged_is_not_activity(db: Database) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.clock import FixedClock

    start = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    clock = FixedClock(ZoneInfo("Asia/Ho_Chi_Minh"), start)
    persistence = SQLitePersistence(db, clock, conversation_timeout=timedelta(hours=24))
    await persistence.update_conversation("commitment_filing", (8, 8), 1)
    clock.moment = start + timedelta(hours=3)
    # python-telegram-bot saves everything again when it shuts down.
    await persistence.update_conversation("commitment_filing", (8, 8), 1)
    assert persistence.touched("commitment_filing", (8, 8)) == start
    await persistence.update_conversation("commitment_filing", (8, 8), 2)
    assert persistence.touched("commitment_filing", (8, 8)) == start + timedelta(hours=3)


async def test_a_step_cut_short_is_handled_again_or_closed(db_path: Path) -> None:
    """A crash between a step's start and the save of its new state (issue 13's drills):
    the next start finds the note. A replayable conversation keeps its state and hands the
    update back; another one is closed; a step whose new state was saved is done."""
    update = {"update_id": 7, "message": {"text": "Giữ gìn lối sống giản dị"}}
    first_db, first = await _reopen(db_path)
    await first_db.connect()
    try:
        await first.update_conversation("filing", (1001, 1001), 1)
        await first.update_conversation("minutes", (1002, 1002), 3)
        await first.update_conversation("join", (1003, 1003), 0)
        await first.begin_step("filing", (1001, 1001), 1, update)
        await first.begin_step("minutes", (1002, 1002), 3, update)
        await first.begin_step("join", (1003, 1003), 0, update)
        await first.update_conversation("join", (1003, 1003), 2)  # this step's state was saved
        await first.begin_step("session_new", (1004, 1004), None, update)  # an entry
        await first.begin_step("filing", (1005, 1005), 1, update)
        await first.end_step(1005)  # done: the note is gone
    finally:
        await first_db.close()

    second_db, second = await _reopen(db_path)
    second.replayable.update({"filing", "session_new"})
    try:
        assert await second.get_conversations("filing") == {(1001, 1001): 1}
        assert await second.get_conversations("minutes") == {}  # closed
        assert await second.get_conversations("join") == {(1003, 1003): 2}
        assert await second.get_conversations("session_new") == {}
        replay, closed = await second.take_cut_short()
        assert sorted((s.flow, s.user_id, s.update["update_id"]) for s in replay) == [
            ("filing", 1001, 7),
            ("session_new", 1004, 7),
        ]
        assert [(s.flow, s.chat_id) for s in closed] == [("minutes", 1002)]
        assert await second.take_cut_short() == ([], [])  # once
    finally:
        await second_db.close()
    third_db, third = await _reopen(db_path)
    try:
        assert await third.get_conversations("minutes") == {}
        assert await third.take_cut_short() == ([], [])  # the notes were cleared
    finally:
        await third_db.close()


async def test_only_what_changed_is_written(db: Database) -> None:
    persistence = SQLitePersistence(db)
    data: dict = {}
    await persistence.refresh_user_data(1001, data)  # read first, as before every update
    await persistence.update_user_data(1001, data)
    assert persistence.writes == 0  # nothing stored, nothing to store
    data["menu"] = "vi:start,help"
    await persistence.update_user_data(1001, data)
    assert persistence.writes == 1
    # python-telegram-bot hands the same data back after every update, twice at times.
    for _ in range(3):
        await persistence.update_user_data(1001, dict(data))
    await persistence.update_chat_data(1001, {})
    assert persistence.writes == 1
    await persistence.update_conversation("commitment_filing", (1001, 1001), 0)
    assert persistence.writes == 2
    await persistence.update_conversation("commitment_filing", (1001, 1001), 0)
    await persistence.update_conversation("session_new", (1001, 1001), None)  # never held
    assert persistence.writes == 2
    data["menu"] = "en:start,help"
    await persistence.update_user_data(1001, data)
    await persistence.update_conversation("commitment_filing", (1001, 1001), None)
    assert persistence.writes == 4
    assert await _stored(db, "user") == {1001: {"menu": "en:start,help"}}
    async with db.read() as store:
        assert await store.persistence.conversations("commitment_filing") == {}


async def test_a_round_of_saves_is_one_transaction(db: Database) -> None:
    import asyncio

    persistence = SQLitePersistence(db)
    for ident in (1, 2, 3):
        await persistence.refresh_user_data(ident, {})
    # How python-telegram-bot saves a round: everything at once, gathered.
    await asyncio.gather(
        persistence.update_user_data(1, {"a": 1}),
        persistence.update_user_data(2, {"b": 2}),
        persistence.update_user_data(3, {}),  # unchanged: not part of it
        persistence.update_chat_data(-7, {"told": "2026-03-10"}),
        persistence.update_conversation("join", (1, 1), 2),
    )
    assert persistence.writes == 1
    assert await _stored(db, "user") == {1: {"a": 1}, 2: {"b": 2}}
    assert await _stored(db, "chat") == {-7: {"told": "2026-03-10"}}
    async with db.read() as store:
        assert list(await store.persistence.conversations("join")) == [(1, 1)]


async def test_a_failed_write_stays_queued_and_is_written_next_time(
    db: Database, monkeypatch
) -> None:
    import pytest

    from storage.persistence import PersistenceRepository

    persistence = SQLitePersistence(db)
    await persistence.refresh_user_data(1, {})
    original = PersistenceRepository.save_text

    async def failing(self, kind, ident, text):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(PersistenceRepository, "save_text", failing)
    with pytest.raises(OSError):
        await persistence.update_user_data(1, {"a": 1})
    assert await _stored(db, "user") == {}
    monkeypatch.setattr(PersistenceRepository, "save_text", original)
    # The same data handed back again is "unchanged", yet what failed is written.
    await persistence.update_user_data(1, {"a": 1})
    await persistence.flush()
    assert await _stored(db, "user") == {1: {"a": 1}}


async def test_data_written_before_it_was_read_keeps_what_was_stored(db_path: Path) -> None:
    first_db, first = await _reopen(db_path)
    await first_db.connect()
    try:
        await first.update_user_data(5, {"language": "en", "menu": "en:old"})
    finally:
        await first_db.close()
    second_db, second = await _reopen(db_path)
    await second_db.connect()
    try:
        # A job sets someone's menu before they send anything: the dict in memory starts
        # empty, and must not wipe their stored language.
        in_memory = {"menu": "en:new"}
        await second.update_user_data(5, in_memory)
        assert await _stored(second_db, "user") == {5: {"language": "en", "menu": "en:new"}}
        await second.refresh_user_data(5, in_memory)  # their first update
        assert in_memory == {"menu": "en:new", "language": "en"}
        writes = second.writes
        await second.update_user_data(5, in_memory)
        assert second.writes == writes  # what is stored already
    finally:
        await second_db.close()


async def test_the_people_in_a_conversation_are_loaded_at_start(db_path: Path) -> None:
    first_db, first = await _reopen(db_path)
    await first_db.connect()
    try:
        await first.update_user_data(7, {"open_flow": {"name": "session_new"}})
        await first.update_user_data(8, {"menu": "vi:help"})
        await first.update_conversation("session_new", (7, 7), 1)
    finally:
        await first_db.close()
    second_db, second = await _reopen(db_path)
    try:
        assert await second.get_user_data() == {7: {"open_flow": {"name": "session_new"}}}
        assert await second.get_conversations("session_new") == {(7, 7): 1}
    finally:
        await second_db.close()


async def test_a_step_that_moves_drops_its_note_with_its_new_state(db_path: Path) -> None:
    """The note of a step goes in the same transaction as the step's new state (a crash
    can never keep one without the other); a step that leaves its state as it was drops the
    note in a write of its own."""
    database, persistence = await _reopen(db_path)
    await database.connect()
    update = {"update_id": 9, "message": {"text": "30/06/2026"}}
    writes = 0
    original = database.write

    def counting_write():  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return original()

    database.write = counting_write  # type: ignore[method-assign]
    try:
        await persistence.update_conversation("filing", (1001, 1001), 1)
        await persistence.begin_step("filing", (1001, 1001), 1, update)
        before = writes
        await persistence.update_conversation("filing", (1001, 1001), 2)
        await persistence.end_step(1001)
        assert writes == before + 1  # the state and the note's removal: one transaction
        async with database.read() as store:
            assert await store.persistence.steps() == []

        await persistence.begin_step("filing", (1001, 1001), 2, update)
        before = writes
        await persistence.update_conversation("filing", (1001, 1001), 2)  # unchanged
        await persistence.end_step(1001)
        assert writes == before + 1  # the note alone
        async with database.read() as store:
            assert await store.persistence.steps() == []
    finally:
        database.write = original  # type: ignore[method-assign]
        await database.close()
