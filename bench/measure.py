"""What the benchmarks share for measuring: the event loop's longest stall, a process's
memory, and the bot's services on a generated city at the benchmarks' fixed moment."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class Ticker:
    """A task that sleeps 1 ms in a loop and records the longest gap between its wake-ups:
    how long every other user's update would wait for the event loop."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.02)
        self.longest = 0.0
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(0.01)  # let the ticker see the end of a stall
        self._stop.set()
        assert self._task is not None
        await self._task


def rss_mb() -> float:
    """This process's resident set now, in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def status_mb(pid: int | str, key: str) -> float:
    """A line of /proc/PID/status in MB: VmRSS (now) or VmHWM (the peak of the process)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def services_on(path: Path) -> Services:
    """The bot's services on the database at ``path``, the clock at the city's NOW."""
    from city import TZ  # here: the benchmarks that only measure need not load the bot
    from city_year import NOW

    from bot.app import build_services
    from bot.clock import FixedClock
    from bot.config import load_settings

    settings = load_settings(env_file=None, CADREBOT_DB=str(path))
    return build_services(settings, clock=FixedClock(TZ, NOW))
