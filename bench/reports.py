"""How long the committees' reports take on a city-sized organisation (issue 12).

Prints figures; asserts nothing. The database comes from bench/generate.py (``--db FILE``,
else one is generated into a temporary folder, in a process of its own). Each measurement
runs in a fresh process, so that its peak RSS is its own: the process connects, notes its
RSS, runs the call ``--repeat`` times (each timed, a ticker task measuring the event loop's
longest stall meanwhile), and reports the times, the peak RSS (``ru_maxrss``), and what is
left once the results are dropped: the RSS (what the process keeps from the allocator) and
the objects still alive (what a report would leave behind in the bot: 0 give or take a few).

The measurements are a list, ``MEASUREMENTS``: a name and an async call taking a ``Bench``
(the services on the database, the sample units, the campaign year, the quarter). Paths
that changed are measured twice, ``before:`` (the code as it was, kept in bench/before.py)
and ``after:``, one right after the other. To time a new report, add a ``Measurement``.

    .venv/bin/python bench/reports.py [--db FILE | --members 100000 --units 1500]
        [--repeat 5] [--only TEXT ...] [--skip-before] [--plans]

``--plans`` prints instead the query plan (EXPLAIN QUERY PLAN) of every statement each
subtree query of storage/ runs, for a cell, as run (``PLANS``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import before
from city import YEAR
from generate import generate
from measure import Ticker, rss_mb, services_on

from bot.context import Services
from bot.render.commitment_export import commitments_file
from storage.clock import to_db

QUARTER = (date(YEAR, 1, 1), date(YEAR, 3, 31))  # with the study conferences: the busiest


@dataclass
class Bench:
    """What a measurement gets."""

    services: Services
    samples: dict[str, str]  # unit codes: cell, committee, city
    year: int
    quarter: tuple[date, date]
    folder: Path  # for files a measurement writes

    async def path(self, sample: str) -> str:
        async with self.services.db.read() as store:
            unit = await store.units.by_code(self.samples[sample])
        assert unit is not None
        return unit.path


@dataclass(frozen=True)
class Measurement:
    name: str
    call: Callable[[Bench], Awaitable[object]]
    repeat: int | None = None  # None: --repeat


def count(result: object) -> int:
    """Rows in a result, for the table: lists, reports, tables and files."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list):
        return len(result[1])  # (campaign, progress)
    for attribute in ("members", "rows"):
        if hasattr(result, attribute):
            return len(getattr(result, attribute))
    if isinstance(result, bytes | list):
        return len(result)
    return int(result) if isinstance(result, int) else 0


# The calls -------------------------------------------------------------------------------------


def progress(which: str, old: bool = False) -> Callable[[Bench], Awaitable[object]]:
    """/commitments for a unit: the service call behind the view."""

    async def call(bench: Bench) -> object:
        service, code = bench.services.commitments, bench.samples[which]
        if old:
            return await before.progress(service, None, bench.year, code)
        return await service.progress(None, bench.year, unit_code=code)

    return call


def subtree(which: str, old: bool = False) -> Callable[[Bench], Awaitable[object]]:
    """storage's in_subtree alone (what the issue timed: 67 ms for a 49-row cell)."""

    async def call(bench: Bench) -> object:
        path = await bench.path(which)
        async with bench.services.db.read() as store:
            (campaign,) = await store.campaigns.all()
            if old:
                return await before.in_subtree(store, campaign.id, path)
            return await store.commitments.in_subtree(campaign.id, path)

    return call


def session_report(old: bool = False) -> Callable[[Bench], Awaitable[object]]:
    """/session report for the city over the quarter."""

    async def call(bench: Bench) -> object:
        service, code = bench.services.sessions, bench.samples["city"]
        if old:
            return await before.period_report(service, None, *bench.quarter, unit_code=code)
        return await service.period_report(None, *bench.quarter, unit_code=code)

    return call


async def attendance_baseline(bench: Bench) -> object:
    """The issue's baseline: the units' attendance figures alone, one GROUP BY over the
    quarter's invitations (the report also rates every member)."""
    since, until = bench.services.sessions._bounds(*bench.quarter)
    async with bench.services.db.read() as store:
        units = await store.units.subtree(await store.units.by_code(bench.samples["city"]))  # type: ignore[arg-type]
        cursor = await store.conn.execute(
            "SELECT s.unit_id, SUM(i.status != 'exempt' AND i.mark = 'present'), "
            "SUM(i.status != 'exempt') FROM sessions s JOIN session_invitees i "
            f"ON i.session_id = s.id WHERE s.unit_id IN ({','.join('?' * len(units))}) "
            "AND s.status = 'closed' AND s.starts_at >= ? AND s.starts_at < ? GROUP BY s.unit_id",
            (*[u.id for u in units], to_db(since), to_db(until)),
        )
        return len(await cursor.fetchall())


async def member_attendance(bench: Bench) -> object:
    """The session report's query alone: per unit and member, counted in SQL."""
    since, until = bench.services.sessions._bounds(*bench.quarter)
    async with bench.services.db.read() as store:
        units = await store.units.subtree(await store.units.by_code(bench.samples["city"]))  # type: ignore[arg-type]
        return len(await store.sessions.attendance_by_member([u.id for u in units], since, until))


def export(fmt: str, old: bool = False) -> Callable[[Bench], Awaitable[object]]:
    """``cadrebot export commitments --format FMT`` for the city: the table, the file, written."""

    async def call(bench: Bench) -> object:
        service, code = bench.services.commitments, bench.samples["city"]
        # The file is built in a worker thread, as the bot builds it.
        if old:
            table = await before.export(service, year=bench.year, unit_code=code)
            if fmt == "xlsx":
                data = await asyncio.to_thread(
                    before.to_xlsx, table.header, table.rows, table.sheet
                )
            else:
                data = (await asyncio.to_thread(commitments_file, table, fmt))[1]
        else:
            table = await service.export(year=bench.year, unit_code=code)
            data = (await asyncio.to_thread(commitments_file, table, fmt))[1]
        (bench.folder / f"export.{fmt}").write_bytes(data)
        return len(table.rows)

    return call


MEASUREMENTS: list[Measurement] = [
    Measurement("in_subtree, a cell: before", subtree("cell", old=True)),
    Measurement("in_subtree, a cell: after", subtree("cell")),
    Measurement("in_subtree, a committee: before", subtree("committee", old=True)),
    Measurement("in_subtree, a committee: after", subtree("committee")),
    Measurement("in_subtree, the city: before", subtree("city", old=True)),
    Measurement("in_subtree, the city: after", subtree("city")),
    Measurement("/commitments, a cell: before", progress("cell", old=True)),
    Measurement("/commitments, a cell: after", progress("cell")),
    Measurement("/commitments, a committee: before", progress("committee", old=True)),
    Measurement("/commitments, a committee: after", progress("committee")),
    Measurement("/commitments, the city: before", progress("city", old=True)),
    Measurement("/commitments, the city: after", progress("city")),
    Measurement("baseline: attendance per unit, the city, Q1", attendance_baseline),
    Measurement("attendance_by_member alone, the city, Q1", member_attendance),
    Measurement("/session report, the city, Q1: before", session_report(old=True), repeat=3),
    Measurement("/session report, the city, Q1: after", session_report()),
    Measurement("export commitments xlsx, the city: before", export("xlsx", old=True), repeat=3),
    Measurement("export commitments xlsx, the city: after", export("xlsx"), repeat=3),
]


# Running one measurement in a process of its own -----------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _measure(path: Path, samples: dict[str, str], name: str, repeat: int) -> dict:
    (measurement,) = [m for m in MEASUREMENTS if m.name == name]
    services = services_on(path)
    await services.db.connect()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bench = Bench(services, samples, YEAR, QUARTER, Path(folder))
            gc.collect()
            start, objects = rss_mb(), len(gc.get_objects())
            times, stalls, rows = [], [], 0
            for _ in range(measurement.repeat or repeat):
                async with Ticker() as ticker:
                    started = time.perf_counter()
                    result = await measurement.call(bench)
                    times.append(time.perf_counter() - started)
                stalls.append(ticker.longest)
                rows = count(result)
                del result
            await asyncio.sleep(0.01)  # the loop drops its last reference to the result
            gc.collect()
            return {
                "times": times,
                "stall": max(stalls),
                "rows": rows,
                "start": start,
                "peak": peak_mb(),
                "left": rss_mb() - start,
                "objects": len(gc.get_objects()) - objects,
            }
    finally:
        await services.db.close()


def measure(path: str, samples: dict[str, str], name: str, repeat: int) -> dict:
    return asyncio.run(_measure(Path(path), samples, name, repeat))


def built(path: str, members: int, units: int | None, seed: int) -> None:
    asyncio.run(generate(Path(path), members, units, seed))


# Query plans -------------------------------------------------------------------------------------


async def _plans(path: Path, samples: dict[str, str]) -> None:
    services = services_on(path)
    await services.db.connect()
    statements: list[str] = []
    try:
        for reader in services.db._readers:  # the bench may look inside
            await reader.set_trace_callback(statements.append)
        bench = Bench(services, samples, YEAR, QUARTER, path.parent)
        cell = await bench.path("cell")
        async with services.db.read() as store:
            (campaign,) = await store.campaigns.all()
            unit = await store.units.by_code(samples["cell"])
            assert unit is not None
            since, until = services.sessions._bounds(*QUARTER)
        calls: list[tuple[str, Callable[[object], Awaitable[object]]]] = [
            ("commitments.in_subtree: before", lambda s: before.in_subtree(s, campaign.id, cell)),
            ("commitments.in_subtree", lambda s: s.commitments.in_subtree(campaign.id, cell)),
            (
                "commitments.primary_members_in_subtree: before",
                lambda s: before.primary_members_in_subtree(s, cell),
            ),
            (
                "commitments.primary_members_in_subtree",
                lambda s: s.commitments.primary_members_in_subtree(cell),
            ),
            (
                "grading.candidates: before",
                lambda s: before.grading_candidates(s, campaign.id, cell),
            ),
            ("grading.candidates", lambda s: s.grading.candidates(campaign.id, cell)),
            (
                "commitments.progress_in_subtree (/commitments)",
                lambda s: s.commitments.progress_in_subtree(campaign.id, cell),
            ),
            (
                "commitments.missing_in_subtree (/commitments)",
                lambda s: s.commitments.missing_in_subtree(campaign.id, cell),
            ),
            ("members.in_subtree", lambda s: s.members.in_subtree(unit)),
            (
                "members.in_subtree_of_kind",
                lambda s: s.members.in_subtree_of_kind(unit, "mass_org_branch"),
            ),
            ("roles.members_in_subtree", lambda s: s.roles.members_in_subtree(unit, "secretary")),
            ("units.subtree", lambda s: s.units.subtree(unit)),
            ("stories.in_units", lambda s: s.stories.in_units([cell])),
            ("nominations.listed", lambda s: s.nominations.listed([cell], ["approved"], 20)),
            ("nominations.commended", lambda s: s.nominations.commended(cell, since, until)),
            (
                "sessions.member_marks (before: the session report)",
                lambda s: s.sessions.member_marks([unit.id], since, until),
            ),
            (
                "sessions.attendance_by_member (the session report)",
                lambda s: s.sessions.attendance_by_member([unit.id], since, until),
            ),
        ]
        for name, call in calls:
            statements.clear()
            async with services.db.read() as store:
                await call(store)
                print(f"{name}:")
                queries = (s for s in statements if s.lstrip().startswith(("SELECT", "WITH")))
                for sql in dict.fromkeys(queries):
                    cursor = await store.conn.execute(f"EXPLAIN QUERY PLAN {sql}")
                    for row in await cursor.fetchall():
                        print(f"    {row[3]}")
            print()
    finally:
        await services.db.close()


# Reporting ----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def show(name: str, figures: dict) -> None:
    times = figures["times"]
    median = statistics.median(times)
    unit, scale = ("s", 1) if median >= 1 else ("ms", 1000)
    print(
        f"{name:46s} {median * scale:8.{1 if unit == 'ms' else 2}f} {unit:2s} "
        f"(best {min(times) * scale:.{1 if unit == 'ms' else 2}f}, n={len(times)})  "
        f"peak {figures['peak']:5.0f} MB (from {figures['start']:3.0f})  "
        f"left {figures['left']:+4.0f} MB, {figures['objects']:+d} objects  "
        f"stall {figures['stall'] * 1000:5.0f} ms  "
        f"rows {figures['rows']}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="a database from bench/generate.py")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="measurements whose name has one of these")
    parser.add_argument("--skip-before", action="store_true", help="only the code as it is")
    parser.add_argument("--plans", action="store_true", help="print the query plans instead")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        path = args.db
        if path is None:
            path = Path(folder) / "city.sqlite3"
            started = time.perf_counter()
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                pool.submit(built, str(path), args.members, args.units, args.seed).result()
            print(f"generated in {time.perf_counter() - started:.0f} s")
        samples = {"cell": median_cell(path), "committee": "Q0", "city": "TP"}
        if args.plans:
            asyncio.run(_plans(path, samples))
            return 0
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
        print(f"database: {path} ({path.stat().st_size / 2**20:.0f} MB); units {samples}")
        for measurement in MEASUREMENTS:
            if args.only and not any(text in measurement.name for text in args.only):
                continue
            if args.skip_before and measurement.name.endswith(": before"):
                continue
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                figures = pool.submit(
                    measure, str(path), samples, measurement.name, args.repeat
                ).result()
            show(measurement.name, figures)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


def median_cell(path: Path) -> str:
    """The cell of median size: what a secretary's /commitments usually covers."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT u.code, COUNT(*) FROM units u JOIN memberships ms ON ms.unit_id = u.id "
            "AND ms.ended_on IS NULL AND ms.is_primary = 1 WHERE u.kind = 'cell' "
            "GROUP BY u.id ORDER BY 2, u.code"
        ).fetchall()
    return rows[len(rows) // 2][0]


if __name__ == "__main__":
    sys.exit(main())
