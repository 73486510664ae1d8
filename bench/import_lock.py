"""How long a big roster import holds SQLite's write lock, and what the bot feels meanwhile.

Prints figures; asserts nothing. In a temporary SQLite file: 1,500 units, then a CSV of
MEMBERS members imported through the real service (``cadrebot members import``), twice:
  - all new (the first import of a city);
  - again with 10% of the rows changed (a name, a move to another cell).
While each import runs, a second process plays the bot: WRITERS concurrent tasks each change
a member's language (as /language does) in a loop, through the bot's own Database class, and
record every write's latency and every failure.

The baseline, in the same run on a fresh file: the import as it was before (validation and
one upsert per row inside one BEGIN IMMEDIATE) and the bot's writes as they were before (one
try, with SQLite's 5 s busy wait), under the same load.

    .venv/bin/python bench/import_lock.py [--members 100000 --writers 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_services
from bot.clock import FixedClock
from bot.config import load_settings
from bot.imports import decode, validate_members
from storage import Database
from storage.db import Store

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COMMITTEES, CELLS = 30, 49  # 30 + 30*49 + 1 = 1,501 units


class TimedDatabase(Database):
    """Records how long each write transaction holds the lock (BEGIN IMMEDIATE to COMMIT)."""

    holds: list[float]

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.holds = []

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Store]:
        async with super().write() as store:
            started = time.perf_counter()
            yield store
        self.holds.append(time.perf_counter() - started)


def units_csv() -> bytes:
    lines = ["code,name,kind,parent_code", "TP,Thành ủy Thử,city_committee,"]
    for c in range(COMMITTEES):
        lines.append(f"Q{c},Đảng ủy {c},committee,TP")
        lines += [f"Q{c}C{k},Chi bộ {c}.{k},cell,Q{c}" for k in range(CELLS)]
    return "\n".join(lines).encode()


def members_csv(count: int, changed_every: int = 0) -> bytes:
    lines = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
    for n in range(count):
        cell = f"Q{n % COMMITTEES}C{(n // COMMITTEES) % CELLS}"
        name = f"Đảng viên Thử {n}"
        if changed_every and n % changed_every == 0:
            if n % (2 * changed_every) == 0:
                name += " (đổi tên)"
            else:
                cell = f"Q{n % COMMITTEES}C{(n // COMMITTEES + 1) % CELLS}"
        lines.append(f"M{n},{name},{cell},official,Chuyên viên,false,,{100000 + n}")
    return "\n".join(lines).encode()


# The "bot" process ----------------------------------------------------------------------


def bot_writes(  # type: ignore[no-untyped-def]
    path: str, writers: int, members: int, patient: bool, stop, results
) -> None:
    if not patient:
        import storage.db

        storage.db.WRITE_PATIENCE_S = 0  # as before: one try, SQLite's 5 s busy wait

    async def run() -> None:
        db = Database(path)
        await db.connect(migrate=False)
        latencies: list[float] = []
        failures: list[str] = []

        async def writer(index: int) -> None:
            n = index
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    async with db.write() as store:
                        await store.conn.execute(
                            "UPDATE members SET language = ? WHERE code = ?",
                            ("en" if n % 2 else "vi", f"M{n % members}"),
                        )
                    latencies.append(time.perf_counter() - started)
                except Exception as error:  # what a user would see as "Something went wrong"
                    failures.append(type(error).__name__ + ": " + str(error))
                n += writers
                await asyncio.sleep(0.02)

        await asyncio.gather(*(writer(i) for i in range(writers)))
        await db.close()
        results.put((latencies, failures))

    asyncio.run(run())


def summary(latencies: list[float]) -> str:
    if not latencies:
        return "no writes"
    ordered = sorted(latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return (
        f"{len(ordered)} writes, median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


async def old_import(db: Database, data: bytes, today) -> None:  # type: ignore[no-untyped-def]
    """The import as it was before: validation and per-row upserts in one transaction."""
    text = decode(data)
    async with db.write() as store:
        units = {u.code: u for u in await store.units.all()}
        owners = await store.members.telegram_owners()
        rows = validate_members(text, units.__contains__, owners)
        for row in rows:
            member, _ = await store.members.upsert(
                code=row.code,
                full_name=row.full_name,
                status=row.status,
                position=row.position,
                is_head=row.is_head,
                language=row.language,
                telegram_id=row.telegram_id,
            )
            primary, *extra = (units[code].id for code in row.unit_codes)
            await store.members.set_memberships(member.id, primary, extra, today)


async def measure(folder: Path, label: str, members: int, writers: int, old: bool) -> None:
    path = folder / f"{label}.sqlite3"
    settings = load_settings(env_file=None, CADREBOT_DB=str(path))
    clock = FixedClock(TZ, datetime(2026, 3, 10, 9, 0, tzinfo=TZ))
    db = TimedDatabase(path)
    services = build_services(settings, db=db, clock=clock)
    await db.connect()
    await services.organisation.import_units(units_csv(), actor="bench")
    print(f"{label}:")
    for what, data in (
        ("first import, all new", members_csv(members)),
        ("re-import, 10% changed", members_csv(members, changed_every=10)),
    ):
        context = mp.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        bot = context.Process(
            target=bot_writes, args=(str(path), writers, members, not old, stop, results)
        )
        bot.start()
        await asyncio.sleep(1.5)  # the bot is up and writing
        db.holds.clear()
        started = time.perf_counter()
        if old:
            await old_import(db, data, clock.today())
        else:
            await services.organisation.import_members(data, actor="bench")
        took = time.perf_counter() - started
        await asyncio.sleep(0.5)
        stop.set()
        latencies, failures = results.get(timeout=60)
        bot.join(timeout=30)
        print(f"  {what}: {took:.1f} s in all; longest write-lock hold {max(db.holds):.2f} s")
        print(f"    bot during it: {summary(latencies)}; failed writes: {len(failures)}")
        for failure in sorted(set(failures))[:3]:
            print(f"      {failure}")
    await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=60)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.members} members, {COMMITTEES * (CELLS + 1) + 1} "
        f"units, the bot: {args.writers} concurrent writers in another process"
    )
    with tempfile.TemporaryDirectory() as folder:
        await measure(Path(folder), "baseline (validate and upsert row by row in one write)",
                      args.members, args.writers, old=True)  # fmt: skip
        await measure(Path(folder), "now (validate outside, one short executemany write)",
                      args.members, args.writers, old=False)  # fmt: skip


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
