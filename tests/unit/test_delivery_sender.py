"""bot/delivery: rows queued in a transaction, sent by the paced sender, with every outcome
recorded; a controllable pacing clock, a recording bot, a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.outbox import Outbox, Priority, Recipient
from bot.delivery.pacing import Pacer
from bot.delivery.sender import MAX_ATTEMPTS, Sender
from bot.delivery.templates import template
from storage import Database
from tests.conftest import FakeBot


@template("test.hello")
def _hello(params: dict) -> tuple[str, None]:
    from bot.i18n import current_locale

    return f"[{current_locale()}] {params['greeting']} {params.get('name', '')}".strip(), None


# Three paragraphs of 3,000 characters: three messages of at most 4,096.
PARAGRAPHS = [f"Đoạn {n}. " + "chữ " * 745 for n in (1, 2, 3)]
READ = [[("Đã đọc", "test:read")]]


@template("test.long")
def _long(params: dict) -> tuple[str, list]:
    return "\n".join(PARAGRAPHS), READ


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def sender(db: Database, clock, ticker: Ticker) -> Sender:
    # A high rate sends in small bursts, which these tests use; the 30/s pacing is below.
    return Sender(FakeBot(), db, clock, Pacer(rate=1000, clock=ticker))  # type: ignore[arg-type]


async def _queue(db: Database, clock, chats: list[int], **kw) -> int:
    outbox = Outbox(clock)
    async with db.write() as store:
        return await outbox.queue(
            store,
            kind="test",
            template="test.hello",
            to=[Recipient(chat) for chat in chats],
            params={"greeting": "Chào"},
            **kw,
        )


async def _rows(db: Database) -> list[tuple]:
    async with db.read() as store:
        cursor = await store.conn.execute(
            "SELECT chat_id, status, attempts, last_error FROM outbox ORDER BY id"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def _drain(sender: Sender, ticker: Ticker, rounds: int = 50) -> None:
    for _ in range(rounds):
        wait = await sender.step()
        ticker.now += max(wait, 0.05)


async def test_one_message_per_chat_per_second_and_everything_once(
    db: Database, clock, sender: Sender, ticker: Ticker
) -> None:
    assert await _queue(db, clock, [1, 1, 2, 3, 1]) == 5
    await sender.step()
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    assert sorted(m.chat_id for m in bot.sent) == [1, 2, 3]  # chat 1 waits its second
    ticker.now += 0.5
    await sender.step()
    assert len(bot.sent) == 3
    ticker.now += 0.5
    await sender.step()
    assert len(bot.sent) == 4
    await _drain(sender, ticker)
    assert [m.chat_id for m in bot.sent].count(1) == 3
    assert {status for _, status, _, _ in await _rows(db)} == {"sent"}
    assert all(m.text == "[vi] Chào" for m in bot.sent)


async def test_the_overall_rate_is_kept(db: Database, clock, ticker) -> None:
    sender = Sender(FakeBot(), db, clock, Pacer(rate=30, clock=ticker))  # type: ignore[arg-type]
    await _queue(db, clock, list(range(100, 200)))
    await sender.step()
    await sender.step()  # the same instant: no budget left
    assert len(sender.bot.sent) == 2  # type: ignore[attr-defined]
    while ticker.now < 2.0:  # two seconds, waiting as long as the sender asks each time
        ticker.now += max(await sender.step(), 0.001)
    sent = len(sender.bot.sent)  # type: ignore[attr-defined]
    assert 57 <= sent <= 60, sent


async def test_urgent_rows_go_first(db: Database, clock, sender: Sender, ticker) -> None:
    await _queue(db, clock, list(range(100, 140)), priority=Priority.BROADCAST)
    await _queue(db, clock, [7], priority=Priority.ANSWER)
    await sender.step()
    assert sender.bot.sent[0].chat_id == 7  # type: ignore[attr-defined]


async def test_not_before_and_dedup(db: Database, clock, sender: Sender, ticker) -> None:
    later = clock.now() + timedelta(hours=1)
    assert await _queue(db, clock, [5], dedup="hello", not_before=later) == 1
    assert await _queue(db, clock, [5, 6], dedup="hello") == 1  # chat 5 already has it
    await _drain(sender, ticker, rounds=3)
    assert [m.chat_id for m in sender.bot.sent] == [6]  # type: ignore[attr-defined]
    clock.moment = later
    await _drain(sender, ticker, rounds=3)
    assert sorted(m.chat_id for m in sender.bot.sent) == [5, 6]  # type: ignore[attr-defined]


async def test_a_429_pauses_and_the_row_is_sent_later_without_counting_against_it(
    db: Database, clock, sender: Sender, ticker
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_once[9] = [RetryAfter(3)]
    await _queue(db, clock, [9])
    await sender.step()
    assert bot.sent == [] and sender.pacer.free_slots() == 0
    assert await _rows(db) == [(9, "queued", 0, "429")]
    ticker.now += 3
    await _drain(sender, ticker, rounds=3)
    assert [m.chat_id for m in bot.sent] == [9]
    assert (await _rows(db))[0][:3] == (9, "sent", 1)


async def test_a_blocked_member_is_marked_and_skipped(
    db: Database, clock, sender: Sender, ticker, org
) -> None:
    member = org.members["DV002"]
    assert member.telegram_id is not None
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_for[member.telegram_id] = Forbidden("Forbidden: bot was blocked by the user")
    outbox = Outbox(clock)
    async with db.write() as store:
        for n in range(3):
            await outbox.queue(
                store,
                kind="test",
                template="test.hello",
                to=[member],
                params={"greeting": f"Chào {n}"},
            )
    await _drain(sender, ticker)
    assert [status for _, status, _, _ in await _rows(db)] == ["blocked"] * 3
    async with db.read() as store:
        again = await store.members.get(member.id)
    assert again is not None and again.blocked_at is not None


async def test_bad_requests_fail_and_network_errors_back_off_then_fail(
    db: Database, clock, sender: Sender, ticker
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_for[11] = BadRequest("Bad Request: chat not found")
    bot.fail_for[12] = NetworkError("connection reset")
    await _queue(db, clock, [11, 12])
    await sender.step()
    rows = await _rows(db)
    assert rows[0] == (11, "failed", 1, "Chat not found")
    assert rows[1][:3] == (12, "queued", 1)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.moment += timedelta(minutes=11)  # past any back-off
        ticker.now += 2
        await sender.step()
        assert (await _rows(db))[1][2] == attempt
    assert (await _rows(db))[1][:2] == (12, "failed")


async def test_rows_in_flight_at_a_crash_are_sent_again_at_start(
    db: Database, clock, sender: Sender, ticker
) -> None:
    await _queue(db, clock, [21, 22])
    async with db.write() as store:
        due = await store.outbox.due(clock.now(), 10)
        await store.outbox.claim([due[0].id], clock.now())  # then the process was killed
    await sender.start()
    try:
        assert (await _rows(db))[0][1] == "queued"
    finally:
        await sender.stop()
    await _drain(sender, ticker, rounds=3)
    assert sorted(m.chat_id for m in sender.bot.sent) == [21, 22]  # type: ignore[attr-defined]


async def test_members_read_it_in_their_language_at_send_time(
    db: Database, clock, sender: Sender, ticker, org
) -> None:
    member = org.members["DV002"]
    outbox = Outbox(clock)
    async with db.write() as store:
        await outbox.queue(
            store, kind="test", template="test.hello", to=[member], params={"greeting": "Hi"}
        )
        await store.members.set_language(member.id, "en")  # changed after it was queued
    await _drain(sender, ticker, rounds=2)
    assert sender.bot.sent[0].text == "[en] Hi"  # type: ignore[attr-defined]


async def test_a_fan_out_shows_its_progress_and_a_summary(
    db: Database, clock, sender: Sender, ticker
) -> None:
    await _queue(db, clock, list(range(300, 340)), progress_to=(77, "vi"))
    await sender.start()
    await sender.stop()
    ticker.now += 100
    await _drain(sender, ticker, rounds=40)
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    to_77 = [m.text for m in bot.sent if m.chat_id == 77]
    assert to_77[0].endswith("/ 40 đã gửi · 0 đã chặn bot · 0 lỗi")
    assert to_77[-1].startswith("Đã gửi xong") and "40 / 40 đã gửi" in to_77[-1]
    assert len([m for m in bot.sent if m.chat_id != 77]) == 40


async def test_a_fan_out_scheduled_for_later_shows_no_progress_until_it_begins(
    db: Database, clock, sender: Sender, ticker
) -> None:
    later = clock.now() + timedelta(days=2)
    await _queue(db, clock, list(range(300, 320)), progress_to=(77, "vi"), not_before=later)
    for _ in range(10):  # the sender looks at open batches every few seconds
        ticker.now += 5
        await sender.step()
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    assert bot.sent == [] and bot.edits == []
    clock.moment = later
    await _drain(sender, ticker, rounds=40)
    to_77 = [m.text for m in bot.sent if m.chat_id == 77]
    assert to_77 and to_77[-1].startswith("Đã gửi xong") and "20 / 20 đã gửi" in to_77[-1]


async def _queue_long(db: Database, clock, chat: int, photo: str | None = None) -> None:
    async with db.write() as store:
        await Outbox(clock).queue(
            store,
            kind="test",
            template="test.long",
            to=[Recipient(chat)],
            params={"photo": photo} if photo else {},
        )


def _seen(bot: FakeBot, chat: int) -> list[tuple[str, bool]]:
    """What the chat shows, in order: each message's first words (a photo alone: "") and
    whether it carries buttons."""
    return [(m.text[:6], m.reply_markup is not None) for m in bot.to(chat)]


async def _parts_sent(db: Database) -> list[tuple]:
    async with db.read() as store:
        cursor = await store.conn.execute("SELECT status, parts_sent FROM outbox ORDER BY id")
        return [tuple(row) for row in await cursor.fetchall()]


async def test_a_long_message_cut_short_by_a_429_resumes_at_the_part_that_failed(
    db: Database, clock, sender: Sender, ticker
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_once[31] = [None, RetryAfter(2)]  # part 1 goes, part 2 is refused
    await _queue_long(db, clock, 31)
    await sender.step()
    assert _seen(bot, 31) == [("Đoạn 1", False)]
    assert await _parts_sent(db) == [("queued", 1)]
    ticker.now += 3
    await _drain(sender, ticker, rounds=5)
    # Each part once, in order, the buttons on the last.
    assert _seen(bot, 31) == [("Đoạn 1", False), ("Đoạn 2", False), ("Đoạn 3", True)]
    assert await _parts_sent(db) == [("sent", 1)]
    async with db.read() as store:
        cursor = await store.conn.execute("SELECT message_id, attempts FROM outbox")
        message_id, attempts = await cursor.fetchone()
    assert message_id == bot.to(31)[-1].message_id  # the last part, as before
    assert attempts == 1  # the 429 did not count


async def test_a_photo_and_a_long_text_cut_short_by_the_network_resume_without_the_photo(
    db: Database, clock, sender: Sender, ticker
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_once[32] = [None, None, TimedOut(), NetworkError("connection reset")]
    await _queue_long(db, clock, 32, photo="PHOTO-ID")
    await sender.step()
    assert _seen(bot, 32) == [("", False), ("Đoạn 1", False)]  # the photo, then part 1
    assert await _parts_sent(db) == [("queued", 2)]
    clock.moment += timedelta(minutes=11)  # past the back-off
    ticker.now += 2
    await sender.step()  # it resumes with part 2, which fails again, as the first call
    assert len(bot.to(32)) == 2 and await _parts_sent(db) == [("queued", 2)]
    clock.moment += timedelta(minutes=11)
    await _drain(sender, ticker, rounds=5)
    assert _seen(bot, 32) == [("", False), ("Đoạn 1", False), ("Đoạn 2", False), ("Đoạn 3", True)]
    assert await _parts_sent(db) == [("sent", 2)]


async def test_a_failure_on_the_first_call_sends_everything_at_the_retry(
    db: Database, clock, sender: Sender, ticker
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_once[33] = [NetworkError("connection reset")]
    await _queue_long(db, clock, 33, photo="PHOTO-ID")
    await sender.step()
    assert bot.to(33) == [] and await _parts_sent(db) == [("queued", 0)]
    clock.moment += timedelta(minutes=11)
    await _drain(sender, ticker, rounds=5)
    assert _seen(bot, 33) == [("", False), ("Đoạn 1", False), ("Đoạn 2", False), ("Đoạn 3", True)]


async def test_a_failed_long_message_retried_by_hand_resumes_and_a_block_keeps_its_count(
    db: Database, clock, sender: Sender, ticker, org
) -> None:
    bot: FakeBot = sender.bot  # type: ignore[assignment]
    bot.fail_once[34] = [None, BadRequest("Bad Request: message is too long")]
    await _queue_long(db, clock, 34)
    member = org.members["DV002"]
    assert member.telegram_id is not None
    bot.fail_once[member.telegram_id] = [None, Forbidden("Forbidden: bot was blocked by the user")]
    async with db.write() as store:
        await Outbox(clock).queue(store, kind="test", template="test.long", to=[member])
    await _drain(sender, ticker, rounds=5)
    assert await _parts_sent(db) == [("failed", 1), ("blocked", 1)]
    assert _seen(bot, member.telegram_id) == [("Đoạn 1", False)]
    # ``cadrebot outbox retry --failed``: the row resumes after what its recipient has.
    async with db.write() as store:
        assert await store.outbox.retry_failed(clock.now()) == 1
    await _drain(sender, ticker, rounds=5)
    assert _seen(bot, 34) == [("Đoạn 1", False), ("Đoạn 2", False), ("Đoạn 3", True)]
    assert await _parts_sent(db) == [("sent", 1), ("blocked", 1)]
