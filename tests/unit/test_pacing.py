"""bot/delivery/pacing.py with a controllable clock: the overall rate, one message a second
per person, twenty a minute per group, and the pause after a 429."""

from __future__ import annotations

from bot.delivery.pacing import Pacer, is_group, retry_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_overall_rate_counts_every_send_in_the_last_second() -> None:
    clock = Clock()
    pacer = Pacer(rate=30, clock=clock)
    assert pacer.free_slots() == 30
    for chat in range(25):
        pacer.record(chat)
    assert pacer.free_slots() == 5
    clock.now += 0.5
    for chat in range(25, 30):
        pacer.record(chat)
    assert pacer.free_slots() == 0
    assert 0.49 < pacer.next_free_in() <= 0.5
    clock.now += 0.5  # the first 25 leave the window
    assert pacer.free_slots() == 25
    assert pacer.next_free_in() == 0


def test_interactive_replies_take_from_the_same_budget() -> None:
    clock = Clock()
    pacer = Pacer(rate=3, clock=clock)
    pacer.record(None)  # a reply whose chat is unknown still counts overall
    pacer.record(7)
    assert pacer.free_slots() == 1


def test_one_message_a_second_per_person() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    assert pacer.chat_ready_in(42) == 0
    pacer.record(42)
    assert pacer.chat_ready_in(42) == 1.0
    assert pacer.chat_ready_in(43) == 0
    clock.now += 0.75
    assert abs(pacer.chat_ready_in(42) - 0.25) < 1e-9
    clock.now += 0.25
    assert pacer.chat_ready_in(42) == 0
    pacer.forget_idle_chats()
    assert pacer.chat_ready_in(42) == 0


def test_twenty_a_minute_per_group() -> None:
    clock = Clock()
    pacer = Pacer(rate=1000, clock=clock)
    group = -100123
    assert is_group(group) and not is_group(42)
    for _ in range(20):
        assert pacer.chat_ready_in(group) == 0
        pacer.record(group)
        clock.now += 1
    assert pacer.chat_ready_in(group) == 40  # the first of the twenty leaves at 60 s
    clock.now += 40
    assert pacer.chat_ready_in(group) == 0


def test_a_429_pauses_everything() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.pause(5)
    assert pacer.free_slots() == 0
    assert pacer.next_free_in() == 5
    assert pacer.chat_ready_in(42) == 5
    pacer.pause(2)  # a shorter pause never shortens the longer one
    clock.now += 5
    assert pacer.free_slots() == 30


def test_retry_after_as_number_or_timedelta() -> None:
    from datetime import timedelta

    assert retry_seconds(3) == 3.0
    assert retry_seconds(timedelta(seconds=2.5)) == 2.5
