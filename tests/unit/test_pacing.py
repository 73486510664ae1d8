"""bot/delivery/pacing.py with a controllable clock: the overall rate, one message a second
per person, twenty a minute per group, and the pause after a 429."""

from __future__ import annotations

from bot.delivery.pacing import SPACING, Pacer, is_group, retry_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_overall_rate_is_spread_evenly() -> None:
    clock = Clock()
    pacer = Pacer(rate=30, clock=clock)
    assert pacer.free_slots() == 2  # two at most at 30/s: a late wake-up catches up, no more
    pacer.record(1)
    pacer.record(3)
    assert pacer.free_slots() == 0
    assert abs(pacer.next_free_in() - SPACING / 30) < 1e-9
    clock.now += SPACING / 30
    assert pacer.free_slots() == 1
    # Over a long run: 98% of the rate, never more than the rate in any second.
    sent: list[float] = []
    for _ in range(3000):
        if pacer.free_slots():
            pacer.record(2)
            sent.append(clock.now)
        clock.now += 0.001
    per_second = len(sent) / 3.0
    assert 29.0 <= per_second <= 30
    assert all(sum(1 for t in sent if s <= t < s + 1.0) <= 30 for s in sent)


def test_a_high_rate_sends_in_small_bursts() -> None:
    clock = Clock()
    pacer = Pacer(rate=1000, clock=clock)
    assert pacer.free_slots() == 50
    for _ in range(50):
        pacer.record(None)
    assert pacer.free_slots() == 0
    clock.now += 0.0255
    assert pacer.free_slots() == 25


def test_interactive_replies_take_from_the_same_budget() -> None:
    clock = Clock()
    pacer = Pacer(rate=30, clock=clock)
    for _ in range(3):
        pacer.record(None)  # replies go out at once, even beyond the bucket
    assert pacer.free_slots() == 0
    assert pacer.next_free_in() > 2 * (1 / 30)  # the outbox waits for them to be paid back
    for _ in range(27):
        pacer.record(None)
    clock.now += 0.9
    assert pacer.free_slots() == 0  # thirty in the last second: the overall limit holds


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
    assert pacer.free_slots() == 2


def test_retry_after_as_number_or_timedelta() -> None:
    from datetime import timedelta

    assert retry_seconds(3) == 3.0
    assert retry_seconds(timedelta(seconds=2.5)) == 2.5
