"""The committees' new reports (issue 12) on a generated city: the overview, the chart, the
XLSX workbook, the year-end review and a cell's dossiers, each against the issue's aim; then
the reply latency of the real bot while it builds the city's workbook, and its memory after.

Prints markdown tables; asserts nothing. The database comes from bench/generate.py: ``--db
FILE`` (build it once beforehand; it is only read), else one is generated into a temporary
folder in a process of its own (``--members``, 2,000 by default: a smoke run), so that
neither its memory nor its time counts. Results and analysis: docs/benchmarks.md, "The
committees' reports (issue 12)".

Part 1, the calls (``MEASUREMENTS``). Each runs in a fresh spawned process, so its peak is
its own: the process connects, builds what the call needs but does not time (the chart's
overview), then times the call ``--repeat`` times (median, best; a ticker task records the
event loop's longest stall meanwhile, which is what other users would wait in the bot). The
figures: the peak RSS (``VmHWM``; ``ru_maxrss`` agrees), the RSS when the process was ready,
and what the RSS kept once the results were dropped, before and after glibc's
``malloc_trim(0)`` (memory the allocator keeps, not objects). Then one more fresh process
runs the call once after a warm-up under ``tracemalloc``: the peak of Python allocations,
and what was still allocated once the result was dropped (what a report leaves behind).
Files are built in a worker thread, as the bot builds them.

Part 2, the bot: the real bot (``python -m bot run``) on a copy of the database against the
fake Bot API server (in this process, as bench/broadcast.py runs it). Five members with
Telegram send /help, each about once a second; the latency of each reply is recorded: first
for ``--baseline`` seconds with nothing else going on (the baseline, same run), then while a
member of the city's committee types ``/report export TP YEAR`` until the workbook arrives
(sendDocument), split by the export's phases (reading the data until the bot says "sending
a file…", writing the XLSX, the upload), then 10 s more; ``--exports`` times in a row, so
that memory kept can be told from memory growing. The bot's RSS comes from /proc.

    .venv/bin/python bench/generate.py --members 100000 --units 1500 --out /tmp/city.sqlite3
    .venv/bin/python bench/report_views.py --db /tmp/city.sqlite3 [--repeat 5] [--only TEXT ...]
        [--no-trace] [--no-bot | --bot-only] [--exports 2] [--baseline 20]
    .venv/bin/python bench/report_views.py                       # smoke: a 2,000-member city

``--profile NAME`` runs the measurement whose name contains NAME once more after a warm-up,
under cProfile (in a fresh process), and prints the functions with the most time in the
event loop's thread and in the worker threads (aiosqlite's, where SQL time shows as
``_connection_worker_thread``'s own time, and ``asyncio.to_thread``'s), instead of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import ctypes
import gc
import io
import multiprocessing
import os
import platform
import pstats
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from city import YEAR
from generate import generate
from measure import Ticker, rss_mb, services_on, status_mb
from report_views_bot import bot_run

from bot.context import Services

ROOT = Path(__file__).resolve().parents[1]
QUARTER = "Q1"  # with the study conferences: the busiest quarter

# Call → result: whatever it returns is dropped before "left" is measured.
Call = Callable[["Bench", object], Awaitable[object]]
Prepare = Callable[["Bench"], Awaitable[object]]


@dataclass
class Bench:
    """What a measurement gets: the services on the database, the sample units by code."""

    services: Services
    samples: dict[str, str]  # cell, committee, city


@dataclass(frozen=True)
class Measurement:
    name: str
    call: Call
    aim: float | None = None  # seconds, median; None: no aim of the issue's
    prepare: Prepare | None = None  # built once, untimed; its result is the call's second argument
    rss_aim: float | None = None  # MB, peak RSS of the process


# The calls -------------------------------------------------------------------------------------


def overview(which: str, part: str | None) -> Call:
    """``ReportService.overview(None, unit, period)``: what /report shows."""

    async def call(bench: Bench, _: object) -> object:
        reports = bench.services.reports
        return await reports.overview(None, bench.samples[which], reports.period(YEAR, part))

    return call


async def cell_members(bench: Bench, _: object) -> object:
    """``ReportService.members``: a cell's drill-down, one line per member."""
    reports = bench.services.reports
    return await reports.members(None, bench.samples["cell"], reports.period(YEAR, None))


async def city_overview(bench: Bench) -> object:
    return await overview("city", None)(bench, None)


async def charts(bench: Bench, found: object) -> object:
    """The bars per child unit and the month trend, as /report chart sends them."""
    from bot.render.report_charts import overview_chart, trend_chart

    bars = await asyncio.to_thread(overview_chart, found)  # type: ignore[arg-type]
    trend = await asyncio.to_thread(trend_chart, found)  # type: ignore[arg-type]
    return [bars, trend]


def export(which: str, part: str | None) -> Call:
    """``export_workbook`` (the data, audited) then ``workbook`` (the XLSX), as /report export."""

    async def call(bench: Bench, _: object) -> object:
        from bot.render.report_workbook import workbook
        from bot.services.reports.workbook import export_workbook

        services = bench.services
        async with services.db.read() as store:
            unit = await store.units.by_code(bench.samples[which])
        assert unit is not None
        period = services.reports.period(YEAR, part)
        data = await export_workbook(services.db, None, unit, period, tz=services.clock.tz)
        content = await asyncio.to_thread(workbook, data)
        del data
        return content

    return call


def review(which: str, half: int | None) -> Call:
    """``review_report`` then ``review_docx``: the review's figures for the level above."""

    async def call(bench: Bench, _: object) -> object:
        from bot.render.review_report import review_docx
        from bot.services.reports.review import review_report

        services = bench.services
        found = await review_report(
            services.reports, None, bench.samples[which], YEAR, half, services.settings.locality
        )
        content = await asyncio.to_thread(review_docx, found)
        del found
        return content

    return call


async def cell_dossiers(bench: Bench, _: object) -> object:
    """``DossierService.cell_dossiers`` then ``cell_docx``: one file for the whole cell."""
    from bot.render.dossier import cell_docx

    found = await bench.services.dossiers.cell_dossiers(None, bench.samples["cell"], YEAR)
    content = await asyncio.to_thread(cell_docx, found)
    del found
    return content


MEASUREMENTS: list[Measurement] = [
    Measurement("overview, a cell, the year", overview("cell", None), aim=0.05),
    Measurement("overview, a cell, Q1", overview("cell", QUARTER), aim=0.05),
    Measurement("members(), a cell, the year", cell_members, aim=0.05),
    Measurement("overview, a committee, the year", overview("committee", None), aim=0.3),
    Measurement("overview, a committee, Q1", overview("committee", QUARTER), aim=0.3),
    Measurement("overview, the city, the year", overview("city", None), aim=2.0),
    Measurement("overview, the city, Q1", overview("city", QUARTER), aim=2.0),
    Measurement("chart: bars + trend, the city, the year", charts, aim=1.0, prepare=city_overview),
    Measurement("workbook (XLSX), a committee, the year", export("committee", None)),
    Measurement("workbook (XLSX), the city, Q1", export("city", QUARTER)),
    Measurement(
        "workbook (XLSX), the city, the year", export("city", None), aim=30.0, rss_aim=300.0
    ),
    Measurement("review DOCX, a committee, the year", review("committee", None)),
    Measurement("review DOCX, the city, H1", review("city", 1)),
    Measurement("review DOCX, the city, the year", review("city", None)),
    Measurement("dossiers DOCX, a cell, the year", cell_dossiers),
]


# One measurement in a process of its own --------------------------------------------------------


def size_of(result: object) -> str:
    """What a call returned, for the table: bytes of a file, units or members of a report."""
    if isinstance(result, bytes):
        return (
            f"{len(result) / 2**20:.1f} MB" if len(result) > 2**20 else f"{len(result) // 1024} kB"
        )
    if isinstance(result, list) and result and isinstance(result[0], bytes):
        return " + ".join(size_of(part) for part in result)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list):
        return f"{len(result[1])} members"
    rows = getattr(result, "rows", None)
    if isinstance(rows, list):
        return f"{len(rows)} rows, {result.total.members} members"  # type: ignore[attr-defined]
    return ""


def find(name: str) -> Measurement:
    (found,) = [m for m in MEASUREMENTS if m.name == name]
    return found


async def settle() -> None:
    """Let the loop run the callbacks in hand (the future that handed over the last result
    is alive until the task yields), then collect."""
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()


THREAD_PROFILES: list[cProfile.Profile] = []


def _profile_thread(*_: object) -> None:
    """Run once in each new thread, at its first call: a profiler of its own from then on
    (cProfile sees only the thread that enables it; the work is in worker threads)."""
    sys.setprofile(None)
    profile = cProfile.Profile()
    THREAD_PROFILES.append(profile)
    profile.enable()


async def _measure(path: Path, samples: dict[str, str], name: str, repeat: int, mode: str) -> dict:
    """``mode``: "time" (``repeat`` timed runs), "trace" (one run under tracemalloc) or
    "profile" (one run under cProfile, after one untimed warm-up)."""
    measurement = find(name)
    services = services_on(path)
    await services.db.connect()
    try:
        bench = Bench(services, samples)
        state = await measurement.prepare(bench) if measurement.prepare else None
        gc.collect()
        figures: dict = {"start": rss_mb()}
        if mode == "trace":
            await measurement.call(bench, state)  # warm-up: imports and caches stay out of it
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            started = time.perf_counter()
            result = await measurement.call(bench, state)
            figures["seconds"] = time.perf_counter() - started
            del result
            await settle()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            figures.update(traced_peak=(peak - base) / 2**20, traced_left=(current - base) / 2**20)
            return figures
        if mode == "profile":
            await measurement.call(bench, state)  # imports, caches: what a running bot has
            # Fresh threads for the measured run, each profiled from its start (a profile
            # cleared while its thread is inside a call loses that thread's later calls).
            await services.db.close()
            THREAD_PROFILES.clear()
            threading.setprofile(_profile_thread)
            await services.db.connect()
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            await measurement.call(bench, state)
            profiler.disable()
            figures["seconds"] = time.perf_counter() - started
            text = io.StringIO()
            threads = [
                ("the event loop's thread", [profiler]),
                ("the worker threads (aiosqlite, to_thread)", THREAD_PROFILES),
            ]
            for name, found in threads:
                for profile in found:
                    profile.create_stats()
                found = [profile for profile in found if profile.stats]
                if not found:
                    continue
                stats = pstats.Stats(*found, stream=text).strip_dirs()
                print(f"==== {name}", file=text)
                stats.sort_stats("cumulative").print_stats(30)
                stats.sort_stats("tottime").print_stats(20)
            figures["profile"] = text.getvalue()
            return figures
        times, stalls, made = [], [], ""
        for _ in range(repeat):
            async with Ticker() as ticker:
                started = time.perf_counter()
                result = await measurement.call(bench, state)
                times.append(time.perf_counter() - started)
            stalls.append(ticker.longest)
            made = size_of(result)
            del result
        del state
        await settle()
        figures.update(
            times=times,
            stall=max(stalls),
            made=made,
            peak=status_mb("self", "VmHWM"),
            maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            left=rss_mb() - figures["start"],
        )
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        figures["trimmed"] = rss_mb() - figures["start"]
        return figures
    finally:
        await services.db.close()


def measure(path: str, samples: dict[str, str], name: str, repeat: int, mode: str) -> dict:
    return asyncio.run(_measure(Path(path), samples, name, repeat, mode))


def in_fresh_process(*args: object) -> dict:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(measure, *args).result()


def built(path: str, members: int, units: int | None, seed: int) -> None:
    asyncio.run(generate(Path(path), members, units, seed))


def machine() -> str:
    cpu = platform.machine()
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as info:
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    return (
        f"{cpu}, nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def verdict(value: float, aim: float | None) -> str:
    if aim is None:
        return ""
    return "met" if value < aim else "**missed**"


COLUMNS = (
    "measurement", "median", "best", "aim", "met", "loop stall", "peak RSS", "RSS ready",
    "left", "left, trimmed", "traced peak", "traced left", "made",
)  # fmt: skip


def header() -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS), flush=True)


def show(measurement: Measurement, timed: dict, traced: dict | None) -> None:
    """One row of the table (markdown, as docs/benchmarks.md shows it)."""
    median = statistics.median(timed["times"])
    aim = f"< {seconds(measurement.aim)}" if measurement.aim else ""
    met = verdict(median, measurement.aim)
    if measurement.rss_aim is not None:
        aim += f", RSS < {measurement.rss_aim:.0f} MB"
        met += ", " + verdict(timed["peak"], measurement.rss_aim)
    cells = [
        measurement.name,
        seconds(median),
        seconds(min(timed["times"])),
        aim,
        met,
        f"{timed['stall'] * 1000:.0f} ms",
        f"{timed['peak']:.0f} MB",
        f"{timed['start']:.0f} MB",
        f"{timed['left']:+.0f} MB",
        f"{timed['trimmed']:+.0f} MB",
        f"{traced['traced_peak']:.0f} MB" if traced else "",
        f"{traced['traced_left']:+.1f} MB" if traced else "",
        timed["made"],
    ]
    print("| " + " | ".join(cells) + " |", flush=True)


def show_bot(figures: dict) -> None:
    print(
        f"bot ready in {figures['ready']:.1f} s (database copied in {figures['copy']:.1f} s); "
        f"/help from 5 members, each about once a second; the bot's RSS "
        f"{figures['rss_before']:.0f} MB before the first export"
    )
    print("| /help reply latency | n | p50 | p95 | max | unanswered |")
    print("|---|---|---|---|---|---|")
    rows = [("baseline, nothing else running", figures["baseline"])]
    for n, found in enumerate(figures["exports"], start=1):
        rows.append((f"while the city's workbook is built ({n})", found["during"]))
        for phase, (start, end) in found["phases"].items():
            took = f"{end - start:.1f} s"
            rows.append(
                (f"&nbsp;&nbsp;asked during {phase}, {took}", found["during"].between(start, end))
            )
        rows.append((f"the 10 s after ({n})", found["later"]))
    for label, found in rows:
        print(f"| {label} | {found.cells()} |")
    for n, found in enumerate(figures["exports"], start=1):
        print(
            f"export {n}: /report export TP {YEAR} answered with the workbook after "
            f"{found['seconds']:.1f} s ({found['document'] / 2**20:.1f} MB, ok={found['ok']}); "
            f"the bot's RSS peak {found['peak']:.0f} MB (VmHWM, since start), right after "
            f"{found['after']:.0f} MB, 10 s later {found['rss_later']:.0f} MB",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a database from bench/generate.py")
    parser.add_argument("--members", type=int, default=2000, help="without --db: generate")
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="measurements whose name has one of these")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--no-bot", action="store_true", help="skip the bot's latency")
    parser.add_argument("--bot-only", action="store_true", help="only the bot's latency")
    parser.add_argument("--baseline", type=float, default=20.0, help="seconds of /help alone")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between one's /help")
    parser.add_argument("--exports", type=int, default=2, help="city exports, one by one")
    parser.add_argument("--profile", help="cProfile the measurement whose name has this")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        path = args.db
        if path is None:
            path = Path(folder) / "city.sqlite3"
            started = time.perf_counter()
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                pool.submit(built, str(path), args.members, args.units, args.seed).result()
            print(f"generated {args.members} members in {time.perf_counter() - started:.0f} s")
        samples = {"cell": median_cell(path), "committee": "Q0", "city": "TP"}
        print(f"machine: {machine()}; load average {load()} (1/5/15 min)")
        print(f"database: {path} ({path.stat().st_size / 2**20:.0f} MB): {describe(path, samples)}")
        if args.profile:
            (chosen,) = [m for m in MEASUREMENTS if args.profile in m.name]
            figures = in_fresh_process(str(path), samples, chosen.name, 1, "profile")
            print(f"{chosen.name}: {seconds(figures['seconds'])} under cProfile")
            print(figures["profile"])
            return 0
        if not args.bot_only:
            print(f"median of {args.repeat}, each measurement in a fresh process:")
            header()
            for measurement in MEASUREMENTS:
                if args.only and not any(text in measurement.name for text in args.only):
                    continue
                timed = in_fresh_process(str(path), samples, measurement.name, args.repeat, "time")
                traced = None
                if not args.no_trace:
                    traced = in_fresh_process(str(path), samples, measurement.name, 1, "trace")
                show(measurement, timed, traced)
            print(f"load average {load()}")
        if not args.no_bot:
            figures = asyncio.run(bot_run(path, samples, args.baseline, args.every, args.exports))
            show_bot(figures)
            print(f"load average at the end {load()}")
    return 0


def median_cell(path: Path) -> str:
    """The cell of median size: what a secretary's /report usually covers."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT u.code, COUNT(*) FROM units u JOIN memberships ms ON ms.unit_id = u.id "
            "AND ms.ended_on IS NULL AND ms.is_primary = 1 WHERE u.kind = 'cell' "
            "GROUP BY u.id ORDER BY 2, u.code"
        ).fetchall()
    return rows[len(rows) // 2][0]


def describe(path: Path, samples: dict[str, str]) -> str:
    """How big the sample units are: units and members below each."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        parts = []
        for which, code in samples.items():
            (unit_path,) = conn.execute("SELECT path FROM units WHERE code = ?", (code,)).fetchone()
            units, members = conn.execute(
                "SELECT COUNT(DISTINCT u.id), COUNT(ms.member_id) FROM units u LEFT JOIN "
                "memberships ms ON ms.unit_id = u.id AND ms.ended_on IS NULL "
                "AND ms.is_primary = 1 WHERE u.path >= ? AND u.path < ?",
                (unit_path, unit_path + "\uffff"),
            ).fetchone()
            parts.append(f"{which} {code} ({units} units, {members} members)")
        (sessions,) = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()
        (invitees,) = conn.execute("SELECT COUNT(*) FROM session_invitees").fetchone()
        try:
            (rolled,) = conn.execute("SELECT COUNT(*) FROM attendance_rolled").fetchone()
        except sqlite3.OperationalError:  # a database from before migration 0018
            rolled = 0
        parts.append(f"{sessions} sessions ({rolled} rolled up), {invitees} invitations")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
