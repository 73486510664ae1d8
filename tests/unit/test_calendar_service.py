"""bot/services/calendar.py against a real database: the seeded days and their anniversaries,
who may add and change a day, and the reminders to the board (queued once per day and
year, at 08:00, withdrawn when the day is removed or a story is attached)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput, NotFound
from storage import Database
from tests.conftest import TIMEZONE as TZ
from tests.conftest import FakeBot, load_organisation
from tests.unit.sessions_support import actor_for, admin
from tests.unit.test_stories_service import IDS, MEMBERS, UNITS

BODY = "Bài viết về truyền thống vẻ vang của Khu phố Đông Hưng qua các thời kỳ."


@pytest.fixture
async def board(services: Services, fake_bot: FakeBot) -> Services:
    """Two boards: DV010 on QU-BT, DV008 on QU-HL; everyone on Telegram."""
    await load_organisation(services, UNITS, MEMBERS)
    for code, role, unit in (("DV010", "propaganda", "QU-BT"), ("DV008", "propaganda", "QU-HL")):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    for code, telegram_id in IDS.items():
        await actor_for(services, code, telegram_id)
    return services


async def _unit_id(services: Services, code: str) -> int:
    async with services.db.read() as store:
        unit = await store.units.by_code(code)
    assert unit is not None
    return unit.id


async def _queued(services: Services, day_id: int) -> list[tuple[str, str, str]]:
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT dedup_key, status, not_before FROM outbox WHERE dedup_key LIKE ? "
            "ORDER BY dedup_key",
            (f"calendar:{day_id}:%",),
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def _add(services: Services, by: str = "DV010", unit: str = "QU-BT", **extra: object):
    actor = await actor_for(services, by, IDS[by])
    fields: dict = {
        "name_vi": "Ngày truyền thống Quận ủy Bến Tre Xanh",
        "day": 20,
        "month": 3,
        "origin_year": 1976,
    } | extra
    return await services.calendar.add(actor, unit_id=await _unit_id(services, unit), **fields)


async def test_the_seeded_days_count_their_years(board: Services) -> None:
    board.clock.moment = datetime(2026, 1, 20, 9, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    member = await actor_for(board, "DV002", IDS["DV002"])
    ahead = await board.calendar.upcoming(member)
    first = ahead[0]
    assert first.on.isoformat() == "2026-02-03" and first.count == 96
    assert first.day.name_vi == "Ngày thành lập Đảng Cộng sản Việt Nam"
    assert first.days_left == 14 and first.stories == ()
    hung = next(o for o in ahead if o.day.seed_key == "hung_kings")
    assert hung.on.isoformat() == "2026-04-26" and hung.count is None
    assert [o.on for o in ahead] == sorted(o.on for o in ahead)
    years = {o.day.seed_key: o.day.origin_year for o in ahead}
    assert years["youth_union"] == 1931 and years["liberation"] == 1975


async def test_seeding_is_idempotent_and_a_removed_seeded_day_stays_removed(
    board: Services, db_path
) -> None:
    async with board.db.read() as store:
        days = await store.calendar.active()
    assert len(days) == 13 and all(d.organisation_wide for d in days)
    party = next(d for d in days if d.seed_key == "party_founding")
    await board.calendar.remove(await admin(board), party.id)
    again = Database(db_path)  # a second start migrates (nothing) and seeds nothing more
    await again.connect()
    try:
        async with again.read() as store:
            cursor = await store.conn.execute("SELECT COUNT(*) FROM calendar_days")
            assert (await cursor.fetchone())[0] == 13
            assert len(await store.calendar.active()) == 12
    finally:
        await again.close()


async def test_who_may_add_and_change_a_day(board: Services) -> None:
    day = await _add(board)
    assert day.unit_id == await _unit_id(board, "QU-BT") and day.remind_days == 7
    member = await actor_for(board, "DV002", IDS["DV002"])
    with pytest.raises(AccessDenied):
        board.calendar.add_choices(member)
    with pytest.raises(AccessDenied):
        await _add(board, by="DV002", unit="CB-BT1", name_vi="Ngày của chi bộ")
    other = await actor_for(board, "DV008", IDS["DV008"])  # QU-HL's board
    with pytest.raises(AccessDenied):
        await board.calendar.add(
            other, unit_id=await _unit_id(board, "QU-BT"), name_vi="Ngày khác", day=1, month=5
        )
    # Committee B's board can neither see nor change committee A's day.
    with pytest.raises(NotFound):
        await board.calendar.edit(other, day.id, name_vi="Đổi tên")
    with pytest.raises(NotFound):
        await board.calendar.remove(other, day.id)
    # A cell member below QU-BT sees it; only the board changes it.
    assert any(o.day.id == day.id for o in await board.calendar.upcoming(member, count=50))
    with pytest.raises(AccessDenied):
        await board.calendar.edit(member, day.id, name_vi="Đổi tên")
    # The seeded days belong to the whole organisation: administrators change them.
    own = await actor_for(board, "DV010", IDS["DV010"])
    async with board.db.read() as store:
        seeded = (await store.calendar.active())[0]
    with pytest.raises(AccessDenied):
        await board.calendar.edit(own, seeded.id, remind_days=10)
    changed = await board.calendar.edit(await admin(board), seeded.id, remind_days=10)
    assert changed.remind_days == 10
    # The same day twice is refused; the board's own edit works.
    with pytest.raises(Conflict):
        await _add(board)
    renamed = await board.calendar.edit(own, day.id, name_en="Tradition Day", date=(21, 3))
    assert (renamed.name_en, renamed.day, renamed.month) == ("Tradition Day", 21, 3)
    with pytest.raises(InvalidInput):
        await board.calendar.edit(own, day.id, remind_days=61)
    hung = next(d for d in await _active(board) if d.seed_key == "hung_kings")
    with pytest.raises(InvalidInput):  # a lunar day's date is not typed
        await board.calendar.edit(await admin(board), hung.id, date=(10, 3))


async def _active(services: Services):
    async with services.db.read() as store:
        return await store.calendar.active()


async def test_the_reminder_is_queued_once_and_reaches_the_board_at_eight(
    board: Services, fake_bot: FakeBot
) -> None:
    day = await _add(board)  # 20/03; reminded on 13/03 at 08:00
    assert await _queued(board, day.id) == []  # too early: the daily job queues it
    board.clock.moment = datetime(2026, 3, 12, 0, 5, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 1  # QU-BT's board only
    assert await board.calendar.queue_reminders() == 0
    rows = await _queued(board, day.id)
    assert rows == [
        (f"calendar:{day.id}:2026:{IDS['DV010']}", "queued", "2026-03-13T01:00:00+00:00")
    ]
    board.clock.moment = datetime(2026, 3, 13, 8, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 0  # the write delivers what is due
    sent = fake_bot.to(IDS["DV010"])
    assert len(sent) == 1
    assert "50 năm Ngày truyền thống Quận ủy Bến Tre Xanh" in sent[0].text
    assert "7 ngày" in sent[0].text
    assert fake_bot.to(IDS["DV008"]) == []
    assert await board.calendar.queue_reminders() == 0  # sent: never again this year


async def test_a_national_day_reminds_every_board(board: Services, fake_bot: FakeBot) -> None:
    board.clock.moment = datetime(2026, 1, 26, 9, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 2  # 3/2, on 27/01 at 08:00
    board.clock.moment = datetime(2026, 1, 27, 8, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    await board.calendar.queue_reminders()
    for code in ("DV010", "DV008"):
        (message,) = fake_bot.to(IDS[code])
        assert "96 năm Ngày thành lập Đảng Cộng sản Việt Nam" in message.text


async def test_a_day_added_late_is_reminded_at_once(board: Services, fake_bot: FakeBot) -> None:
    await _add(board, day=13, month=3)  # three days ahead, reminder 7 days before
    (message,) = fake_bot.to(IDS["DV010"])
    assert "3 ngày" in message.text


async def test_removing_the_day_withdraws_its_reminder(board: Services) -> None:
    day = await _add(board)
    board.clock.moment = datetime(2026, 3, 12, 9, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 1
    await board.calendar.remove(await actor_for(board, "DV010", IDS["DV010"]), day.id)
    assert await _queued(board, day.id) == []
    assert await board.calendar.queue_reminders() == 0
    with pytest.raises(NotFound):
        await board.calendar.get(await admin(board), day.id)


async def test_attaching_a_story_schedules_it_and_withdraws_the_reminder(
    board: Services,
) -> None:
    day = await _add(board)
    own = await actor_for(board, "DV010", IDS["DV010"])
    board.clock.moment = datetime(2026, 3, 12, 9, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 1
    story = await board.stories.create_draft(
        own, unit_id=await _unit_id(board, "QU-BT"), title="Truyền thống vẻ vang", body=BODY,
        tag="holiday",
    )  # fmt: skip
    _, candidates = await board.calendar.candidates(own, day.id)
    assert [s.id for s in candidates] == [story.id]
    plan = await board.calendar.plan_attach(own, day.id, story.id)
    assert plan.schedule_at == datetime(2026, 3, 20, 7, 0, tzinfo=TZ)
    with pytest.raises(Conflict):  # a draft is scheduled only when confirmed
        await board.calendar.attach_story(own, day.id, story.id)
    done = await board.calendar.attach_story(own, day.id, story.id, schedule_draft=True)
    assert done.attached and done.story.status == "scheduled"
    assert done.story.send_at == datetime(2026, 3, 20, 7, 0, tzinfo=TZ)
    assert await _queued(board, day.id) == []
    assert await board.calendar.queue_reminders() == 0
    occurrence = await board.calendar.get(own, day.id)
    assert [(a.story_id, board.calendar.story_status(a)) for a in occurrence.stories] == [
        (story.id, "scheduled")
    ]
    # A member sees the day, not the board's story.
    member = await actor_for(board, "DV002", IDS["DV002"])
    assert (await board.calendar.get(member, day.id)).stories == ()
    # Another board cannot attach its stories to a day it does not see.
    with pytest.raises(NotFound):
        await board.calendar.plan_attach(
            await actor_for(board, "DV008", IDS["DV008"]), day.id, story.id
        )
    with pytest.raises(AccessDenied):
        await board.calendar.plan_attach(member, day.id, story.id)


async def test_a_board_attaching_to_a_national_day_excuses_only_itself(
    board: Services, fake_bot: FakeBot
) -> None:
    board.clock.moment = datetime(2026, 1, 26, 9, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 2  # 3/2: both boards, on 27/01 at 08:00
    party = next(d for d in await _active(board) if d.seed_key == "party_founding")
    own = await actor_for(board, "DV010", IDS["DV010"])
    story = await board.stories.create_draft(
        own, unit_id=await _unit_id(board, "QU-BT"), title="Mừng Đảng, mừng Xuân", body=BODY,
        tag="holiday",
    )  # fmt: skip
    done = await board.calendar.attach_story(own, party.id, story.id, schedule_draft=True)
    assert done.story.send_at == datetime(2026, 2, 3, 7, 0, tzinfo=TZ)
    assert [key for key, status, _ in await _queued(board, party.id)] == [
        f"calendar:{party.id}:2026:{IDS['DV008']}"
    ]  # QU-HL's board still has to prepare its own
    board.clock.moment = datetime(2026, 1, 27, 8, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert await board.calendar.queue_reminders() == 0
    assert len(fake_bot.to(IDS["DV008"])) == 1
    assert fake_bot.to(IDS["DV010"]) == []
