"""bot/update_processor.py: in order for each person, concurrent across people."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User

from bot.update_processor import PerUserOrderedProcessor, ordering_key

AN, BINH = 1001, 1002
WHEN = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def message_update(update_id: int, user_id: int | None, chat_id: int | None = None) -> Update:
    user = User(user_id, f"Người {user_id}", is_bot=False) if user_id is not None else None
    chat = Chat(chat_id if chat_id is not None else user_id or 0, "private")
    message = Message(update_id, WHEN, chat, from_user=user, text=f"tin {update_id}")
    return Update(update_id, message=message)


def channel_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "channel", title="Bản tin")
    return Update(update_id, channel_post=Message(update_id, WHEN, chat, text="bài"))


def test_ordering_key() -> None:
    assert ordering_key(message_update(1, AN)) == ("user", AN)
    assert ordering_key(message_update(2, AN, chat_id=-500)) == ("user", AN)  # a group message
    assert ordering_key(channel_update(3, -100200)) == ("chat", -100200)
    assert ordering_key(Update(4)) == ("other", None)
    assert ordering_key("not an update") == ("other", None)


def test_updates_built_from_json_have_the_same_key() -> None:
    data = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 1773108000,
            "chat": {"id": AN, "type": "private", "first_name": "An"},
            "from": {"id": AN, "is_bot": False, "first_name": "An"},
            "text": "/start",
        },
    }
    assert ordering_key(Update.de_json(data, bot=None)) == ("user", AN)


async def test_one_persons_updates_run_in_order_while_others_run_concurrently() -> None:
    processor = PerUserOrderedProcessor(8)
    events: list[str] = []
    slow_may_finish = asyncio.Event()

    async def slow() -> None:
        events.append("an-1 start")
        # Only another person's update can release this one: if updates were processed
        # one at a time overall, this would time out.
        await asyncio.wait_for(slow_may_finish.wait(), 5)
        events.append("an-1 end")

    async def quick(name: str) -> None:
        events.append(f"{name} start")
        await asyncio.sleep(0)
        events.append(f"{name} end")

    async def binh() -> None:
        await quick("binh-1")
        slow_may_finish.set()

    async with processor:
        tasks = [
            asyncio.create_task(processor.process_update(message_update(1, AN), slow())),
            asyncio.create_task(processor.process_update(message_update(2, AN), quick("an-2"))),
            asyncio.create_task(processor.process_update(message_update(3, BINH), binh())),
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), 10)

    # An's second update starts only after the first ended, although the first was slow.
    assert events.index("an-1 end") < events.index("an-2 start")
    # Binh's update finished while An's first one was still running.
    assert events.index("an-1 start") < events.index("binh-1 end") < events.index("an-1 end")


async def test_arrival_order_is_kept_for_many_updates_of_one_person() -> None:
    processor = PerUserOrderedProcessor(64)
    seen: list[int] = []

    async def handle(n: int) -> None:
        # Earlier updates take longer: without ordering, later ones would overtake them.
        await asyncio.sleep((20 - n) * 0.001)
        seen.append(n)

    await asyncio.gather(
        *(processor.process_update(message_update(n, AN), handle(n)) for n in range(20))
    )
    assert seen == list(range(20))
    assert processor._locks == {} and processor._waiting == {}  # idle people are forgotten


async def test_a_failing_update_does_not_block_the_next_one() -> None:
    processor = PerUserOrderedProcessor(4)
    done: list[str] = []

    async def fail() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("handler failed")

    async def ok() -> None:
        done.append("second")

    results = await asyncio.gather(
        processor.process_update(message_update(1, AN), fail()),
        processor.process_update(message_update(2, AN), ok()),
        return_exceptions=True,
    )
    assert isinstance(results[0], RuntimeError)
    assert done == ["second"]
    assert processor._locks == {}


async def test_after_update_runs_before_the_persons_next_update() -> None:
    events: list[str] = []

    async def save() -> None:
        await asyncio.sleep(0.005)
        events.append("saved")

    processor = PerUserOrderedProcessor(4, after_update=save)

    async def handle(name: str) -> None:
        events.append(name)

    await asyncio.gather(
        processor.process_update(message_update(1, AN), handle("first")),
        processor.process_update(message_update(2, AN), handle("second")),
    )
    assert events == ["first", "saved", "second", "saved"]


async def test_the_concurrency_limit_is_respected() -> None:
    processor = PerUserOrderedProcessor(2)
    running = 0
    peak = 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(message_update(n, 2000 + n), handle()) for n in range(6))
    )
    assert peak == 2


@pytest.mark.parametrize("max_updates", [1, 16])
async def test_chats_without_a_user_are_ordered_per_chat(max_updates: int) -> None:
    processor = PerUserOrderedProcessor(max_updates)
    seen: list[int] = []

    async def handle(n: int) -> None:
        await asyncio.sleep((5 - n) * 0.002)
        seen.append(n)

    await asyncio.gather(
        *(processor.process_update(channel_update(n, -100200), handle(n)) for n in range(5))
    )
    assert seen == [0, 1, 2, 3, 4]


async def test_one_busy_person_never_stalls_the_others() -> None:
    # Four slots. One person's 100 slow updates arrive first, then 20 other people send one
    # each. The others must all be done before the busy person's 10th update even starts:
    # waiting on one's own earlier updates must not hold a slot.
    processor = PerUserOrderedProcessor(4)
    events: list[str] = []

    async def slow(n: int) -> None:
        events.append(f"busy-{n}")
        await asyncio.sleep(0.01)

    async def quick(n: int) -> None:
        events.append(f"other-{n}")

    tasks = [
        asyncio.create_task(processor.process_update(message_update(n, AN), slow(n)))
        for n in range(100)
    ]
    await asyncio.sleep(0)  # the busy person's updates are all queued before the others
    tasks += [
        asyncio.create_task(processor.process_update(message_update(100 + n, 3000 + n), quick(n)))
        for n in range(20)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    tenth = events.index("busy-9")
    assert all(events.index(f"other-{n}") < tenth for n in range(20)), events[:40]


async def test_idle_is_known() -> None:
    processor = PerUserOrderedProcessor(4)
    gate = asyncio.Event()

    async def held() -> None:
        await gate.wait()

    task = asyncio.create_task(processor.process_update(message_update(1, AN), held()))
    await asyncio.sleep(0)
    assert processor.in_flight == 1
    waiter = asyncio.create_task(processor.wait_idle())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    gate.set()
    await asyncio.wait_for(waiter, 5)
    await task
    assert processor.in_flight == 0
