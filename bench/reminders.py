"""The reminder engine on a city of 100,000 members (issue 11).

Prints figures; asserts nothing. A city is built once (``city.build_city``, in a process of
its own so that its memory is not counted here) and copied afresh for each measurement:
  a. the full sweep at the moment the 14-days-before commitment reminder falls due (taken
     from the campaign's plan, so quiet hours and holidays are respected), the last sweep
     10 minutes before: time, rows queued, peak RSS of this process, and tracemalloc's peak
     for the sweep alone (a separate, untimed run);
  b. the sweeps that follow every 10 minutes for three hours (the steady state);
  c. incremental: one session's start moved (``store.sessions.update``) so that a reminder
     falls within the lead, then ``sync_session`` in the same ``db.write()``; and a session
     moved to later in the week (nothing to queue);
  d. the baseline, in the same run (each run after a run of a): the members the sweep
     reminds, loaded with the engine's own query, and queued with a plain
     ``NotificationService.queue`` (one dedup key).

    .venv/bin/python bench/reminders.py [--members 100000] [--repeat 3] [--moves 50]
        [--profile]   (cProfile of one full sweep and of the moves, the top functions)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import logging
import multiprocessing
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from city import TZ, City, build_city
from measure import Ticker

from bot.app import build_services
from bot.clock import FixedClock
from bot.config import load_settings
from bot.rules.reminder_kinds import ReminderKind
from bot.services.notifications import NotificationService, Priority
from bot.services.reminders import SWEEP_EVERY
from bot.services.reminders.engine import LAST_SWEEP_KEY, template_of
from bot.services.reminders.sources import commit_offsets
from storage import Database
from storage.db import Store

AIM_SWEEP_S, AIM_RSS_MB, AIM_SYNC_MS = 5.0, 300.0, 50.0


def rss_mb() -> float:
    """The process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def built(path: str, members: int) -> City:
    return asyncio.run(build_city(Path(path), members=members))


@dataclass
class Bench:
    pristine: Path
    folder: Path
    city: City
    moment: datetime

    def fresh(self, name: str) -> Path:
        """A copy of the city as built (nothing queued yet)."""
        work = self.folder / f"{name}.sqlite3"
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(self.pristine, work)
        return work

    def services(self, path: Path, at: datetime):  # type: ignore[no-untyped-def]
        settings = load_settings(env_file=None, CADREBOT_DB=str(path))
        return build_services(settings, db=TimedDatabase(path), clock=FixedClock(TZ, at))


class TimedDatabase(Database):
    """Records how long each write transaction holds SQLite's write lock (from BEGIN
    IMMEDIATE to COMMIT): what the bot's other writes wait meanwhile."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.holds: list[float] = []

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Store]:
        async with super().write() as store:
            started = time.perf_counter()
            yield store
        self.holds.append(time.perf_counter() - started)


async def last_sweep(services, at: datetime) -> None:  # type: ignore[no-untyped-def]
    async with services.db.write() as store:
        await store.kv.set(LAST_SWEEP_KEY, at.isoformat())


async def the_moment(pristine: Path) -> datetime:
    """When the 14-days-before commitment reminder goes, as the engine plans it."""
    settings = load_settings(env_file=None, CADREBOT_DB=str(pristine))
    services = build_services(settings, clock=FixedClock(TZ, datetime.now(TZ)))
    await services.db.connect()
    try:
        async with services.db.read() as store:
            (campaign,) = await store.campaigns.all()
    finally:
        await services.db.close()
    plans = services.reminders.plan(
        ReminderKind.COMMITMENT_DUE, campaign.commit_deadline, commit_offsets(campaign)
    )
    return plans[0].send_at  # the earliest: 14 days before


# a. the full sweep ------------------------------------------------------------------------------


async def full_sweep(
    bench: Bench,
    *,
    first: bool = False,
    trace: bool = False,
    stall: bool = False,
    profile: bool = False,
) -> dict:
    """One sweep at the moment; the last one 10 minutes before it (``first``: none, as at
    the first start, so the window opens 14 days back)."""
    services = bench.services(bench.fresh("sweep"), bench.moment)
    await services.db.connect()
    try:
        if not first:
            await last_sweep(services, bench.moment - SWEEP_EVERY)
        services.db.holds.clear()
        profiler = cProfile.Profile() if profile else None
        if trace:
            tracemalloc.start()
        if profiler:
            profiler.enable()
        async with contextlib.AsyncExitStack() as stack:
            ticker = await stack.enter_async_context(Ticker()) if stall else None
            started = time.perf_counter()
            result = await services.reminders.sweep()
            took = time.perf_counter() - started
        if profiler:
            profiler.disable()
            show_profile(profiler, "one full sweep")
        traced = 0.0
        if trace:
            traced = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    finally:
        await services.db.close()
    return {
        "seconds": took,
        "queued": dict(result.queued),
        "stale": dict(result.stale),
        "total": result.total,
        "mb": traced,
        "hold": max(services.db.holds),
        "stall": ticker.longest if ticker else 0.0,
    }


# b. the steady state ----------------------------------------------------------------------------


async def steady(bench: Bench, ticks: int) -> tuple[list[float], list[int]]:
    """A full sweep, then one every 10 minutes, each window following the last."""
    path = bench.fresh("steady")
    services = bench.services(path, bench.moment)
    await services.db.connect()
    try:
        await last_sweep(services, bench.moment - SWEEP_EVERY)
        await services.reminders.sweep()
    finally:
        await services.db.close()
    samples, rows = [], []
    for tick in range(1, ticks + 1):
        services = bench.services(path, bench.moment + tick * SWEEP_EVERY)
        await services.db.connect()
        try:
            started = time.perf_counter()
            result = await services.reminders.sweep()
            samples.append((time.perf_counter() - started) * 1000)
            rows.append(result.total)
        finally:
            await services.db.close()
    return samples, rows


# c. incremental ---------------------------------------------------------------------------------


INTO, AGAIN, AWAY = "into the lead", "again, within the lead", "to next week"


async def moves(bench: Bench, count: int, how: str, *, profile: bool = False) -> dict:
    """Move ``count`` sessions (each once) and sync their reminders, after a full sweep:
    INTO the lead (a reminder falls due within it: rows queued), AGAIN (moved into the lead
    first, untimed, then within it: its queued rows withdrawn and new ones queued), or AWAY
    to next week (nothing to queue)."""
    services = bench.services(bench.fresh("moves"), bench.moment)
    await services.db.connect()
    try:
        await last_sweep(services, bench.moment - SWEEP_EVERY)
        await services.reminders.sweep()
        later = bench.moment + timedelta(days=3)  # sessions not due now, moved about
        async with services.db.read() as store:
            candidates = await store.reminders.sessions_starting(later, later + timedelta(days=5))
        profiler = cProfile.Profile() if profile else None
        sync_ms, whole_ms, queued = [], [], []
        for n, session in enumerate(candidates[:count]):
            # The 24-hour notice (non-urgent) or the hour's (urgent) falls within the lead.
            ahead = timedelta(hours=24 if n % 2 else 1, minutes=10 + n % 15)
            if how == AWAY:
                ahead = timedelta(days=6, hours=n % 10)
            elif how == AGAIN:
                async with services.db.write() as store:
                    await store.sessions.update(session.id, starts_at=bench.moment + ahead)
                    await services.reminders.sync_session(store, session.id)
                ahead += timedelta(minutes=5)
            started = time.perf_counter()
            async with services.db.write() as store:
                await store.sessions.update(session.id, starts_at=bench.moment + ahead)
                if profiler:
                    profiler.enable()
                synced = time.perf_counter()
                queued.append(await services.reminders.sync_session(store, session.id))
                sync_ms.append((time.perf_counter() - synced) * 1000)
                if profiler:
                    profiler.disable()
            whole_ms.append((time.perf_counter() - started) * 1000)
        if profiler:
            show_profile(profiler, f"{len(sync_ms)} sync_session calls, moved {how}")
    finally:
        await services.db.close()
    return {"sync": sync_ms, "whole": whole_ms, "queued": queued}


# d. the baseline --------------------------------------------------------------------------------


async def baseline(bench: Bench) -> dict:
    """The members the sweep reminds, loaded by the engine's query and queued plainly."""
    services = bench.services(bench.fresh("baseline"), bench.moment)
    await services.db.connect()
    try:
        started = time.perf_counter()
        async with services.db.read() as store:
            (campaign,) = await store.campaigns.all()
            pending = await store.reminders.not_submitted(campaign.id)
        loaded = time.perf_counter() - started
        members = [p.member for p in pending]
        outbox = NotificationService(services.clock)
        started = time.perf_counter()
        async with services.db.write() as store:
            queued = await outbox.queue(
                store,
                kind="reminder",
                template=template_of(ReminderKind.COMMITMENT_DUE),
                to=members,
                params={"year": campaign.year, "days": 14},
                dedup=f"bench:campaign:{campaign.id}:commitment.due",
                priority=Priority.REMINDER,
                not_before=bench.moment,
            )
        took = time.perf_counter() - started
    finally:
        await services.db.close()
    return {"load": loaded, "queue": took, "queued": queued, "pending": len(pending)}


# Reporting --------------------------------------------------------------------------------------


def show_profile(profiler: cProfile.Profile, what: str) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    print(f"--- cProfile: {what}\n{out.getvalue()}")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def line(
    label: str, best: str = "", median: str = "", p95: str = "", rows: object = "", note: str = ""
) -> None:
    print(f"{label:60s} {best:>9s} {median:>9s} {p95:>9s}  {rows!s:>8s}  {note}".rstrip())


def seconds(values: list[float]) -> tuple[str, str]:
    return f"{min(values):.2f} s", f"{statistics.median(values):.2f} s"


def millis(values: list[float]) -> tuple[str, str, str]:
    return (
        f"{min(values):.1f} ms",
        f"{statistics.median(values):.1f} ms",
        f"{percentile(values, 0.95):.1f} ms",
    )


async def run(args: argparse.Namespace, folder: Path) -> None:
    pristine = folder / "city.sqlite3"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        city = await asyncio.get_running_loop().run_in_executor(
            pool, built, str(pristine), args.members
        )
    moment = await the_moment(pristine)
    bench = Bench(pristine, folder, city, moment)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (nproc "
        f"{len(os.sched_getaffinity(0))}), Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"city: {city.describe()} (in another process)")
    print(
        f"the sweep's moment: {moment.astimezone(TZ):%d/%m/%Y %H:%M %Z} from the campaign's "
        f"plan (14 days before the deadline); the last sweep 10 minutes before"
    )
    rss_before = rss_mb()
    sweeps, bases = [], []
    for _ in range(args.repeat):  # interleaved, so that other load falls on both alike
        sweeps.append(await full_sweep(bench))
        bases.append(await baseline(bench))
    rss_after = rss_mb()
    firsts = [await full_sweep(bench, first=True) for _ in range(args.repeat)]
    traced = await full_sweep(bench, trace=True)
    stalled = await full_sweep(bench, stall=True)
    ticks, tick_rows = await steady(bench, args.ticks)
    into = [await moves(bench, args.moves, INTO) for _ in range(args.repeat)]
    again = [await moves(bench, args.moves, AGAIN) for _ in range(args.repeat)]
    outside = await moves(bench, args.moves, AWAY)

    times = [s["seconds"] for s in sweeps]
    print(f"full sweeps: {', '.join(f'{t:.2f} s' for t in times)}; queued {sweeps[0]['queued']}")
    print(f"first start: queued {firsts[0]['queued']}; too late, dropped {firsts[0]['stale']}")
    print()
    line(
        "measure (best and median of the runs; p95 over all samples)",
        "best",
        "median",
        "p95",
        "rows",
        "aim",
    )
    when = f"{moment.astimezone(TZ):%d/%m/%Y %H:%M}"
    median_s = statistics.median(times)
    line(
        f"a. full sweep at {when} (n={len(times)})",
        *seconds(times),
        "",
        sweeps[0]["total"],
        f"< {AIM_SWEEP_S:.0f} s: {verdict(median_s < AIM_SWEEP_S)}",
    )
    line(
        "   peak RSS of this process after them and d (ru_maxrss)",
        f"{rss_after:.0f} MB",
        "",
        "",
        "",
        f"< {AIM_RSS_MB:.0f} MB: {verdict(rss_after < AIM_RSS_MB)}",
    )
    line("   the same before the first sweep", f"{rss_before:.0f} MB")
    line("   tracemalloc peak, the sweep alone (a run of its own)", f"{traced['mb']:.0f} MB")
    holds = [s["hold"] for s in sweeps]
    line("   longest write-lock hold in a sweep", *seconds(holds))
    line("   longest event-loop stall in a sweep (a run of its own)", f"{stalled['stall']:.2f} s")
    first_times = [s["seconds"] for s in firsts]
    line(
        f"   first start, no last sweep: window from 14 days back (n={len(firsts)})",
        *seconds(first_times),
        "",
        firsts[0]["total"],
    )
    quiet = [t for t, r in zip(ticks, tick_rows, strict=True) if not r]
    busy = [t for t, r in zip(ticks, tick_rows, strict=True) if r]
    if quiet:
        line(f"b. the next sweeps every 10 min, nothing due (n={len(quiet)})", *millis(quiet), 0)
    if busy:
        line(
            f"   the same, some session reminder due (n={len(busy)})", *millis(busy), sum(tick_rows)
        )
    sync = [ms for run_ in into for ms in run_["sync"]]
    whole = [ms for run_ in into for ms in run_["whole"]]
    queued = [n for run_ in into for n in run_["queued"]]
    p95 = percentile(sync, 0.95)
    line(
        f"c. sync_session, a start moved into the lead (n={len(sync)})",
        *millis(sync),
        f"{statistics.median(queued):.0f}/call",
        f"< {AIM_SYNC_MS:.0f} ms: {verdict(p95 < AIM_SYNC_MS)}",
    )
    line("   the whole write: update, sync_session, commit", *millis(whole))
    sync_again = [ms for run_ in again for ms in run_["sync"]]
    queued_again = [n for run_ in again for n in run_["queued"]]
    line(
        f"   moved again within the lead: withdraw, queue (n={len(sync_again)})",
        *millis(sync_again),
        f"{statistics.median(queued_again):.0f}/call",
        f"< {AIM_SYNC_MS:.0f} ms: {verdict(percentile(sync_again, 0.95) < AIM_SYNC_MS)}",
    )
    line(
        f"   sync_session, a start moved to next week (n={len(outside['sync'])})",
        *millis(outside["sync"]),
        sum(outside["queued"]),
    )
    loads = [b["load"] for b in bases]
    queues = [b["queue"] for b in bases]
    line(
        f"d. baseline: NotificationService.queue, one write (n={len(queues)})",
        *seconds(queues),
        "",
        bases[0]["queued"],
    )
    line(f"   loading them: store.reminders.not_submitted ({bases[0]['pending']})", *seconds(loads))
    both = statistics.median(loads) + statistics.median(queues)
    line(
        "   the two together",
        f"{min(loads) + min(queues):.2f} s",
        f"{both:.2f} s",
        "",
        "",
        f"sweep/this: best {min(times) / (min(loads) + min(queues)):.2f}×, "
        f"median {median_s / both:.2f}×",
    )
    print(f"load average at the end {os.getloadavg()[0]:.2f} (other work on the machine)")
    if args.profile:
        await full_sweep(bench, profile=True)
        await moves(bench, args.moves, AGAIN, profile=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--moves", type=int, default=50, help="sessions moved per run (c)")
    parser.add_argument("--ticks", type=int, default=18, help="10-minute sweeps after (b)")
    parser.add_argument("--profile", action="store_true", help="cProfile a sweep and moves")
    args = parser.parse_args()
    # The first-start sweep logs what it drops as too late; the table says it.
    logging.getLogger("bot.services.reminders").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
