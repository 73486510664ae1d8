"""Part 2 of bench/report_views.py: the real bot (``python -m bot run``) on a copy of the
generated city against the fake Bot API server, the reply latency of /help while a committee
member has the city's workbook built, and the bot's memory after. See report_views.py's
docstring for how it is read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from city import YEAR
from measure import status_mb

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Latencies:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (asked at, seconds)
    unanswered: int = 0

    def between(self, start: float, end: float) -> Latencies:
        """The replies to what was asked from ``start`` to ``end`` (time.monotonic)."""
        return Latencies([s for s in self.samples if start <= s[0] < end])

    def cells(self) -> str:
        """n | p50 | p95 | max | unanswered, for a markdown row."""
        if not self.samples:
            return f"0 | | | | {self.unanswered}"
        ordered = sorted(seconds for _, seconds in self.samples)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return (
            f"{len(ordered)} | {statistics.median(ordered) * 1000:.0f} ms | "
            f"{p95 * 1000:.0f} ms | {ordered[-1] * 1000:.0f} ms | {self.unanswered}"
        )


async def ask(server, asker: int, stop: asyncio.Event, into: Latencies, every: float) -> None:  # type: ignore[no-untyped-def]
    """One person sends /help about every ``every`` seconds until ``stop``; each reply's
    latency, from the update given to the fake server to the reply it received."""
    while not stop.is_set():
        before = len(server.events(asker))
        sent = time.monotonic()
        server.send_text(asker, "/help")
        try:
            await server.wait_for(
                lambda b=before: len(server.events(asker)) > b, timeout=60, description="/help"
            )
            into.samples.append((sent, time.monotonic() - sent))
        except AssertionError:
            into.unanswered += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.05, every - (time.monotonic() - sent)))


async def asking(server, askers: list[int], stop: asyncio.Event, every: float) -> Latencies:  # type: ignore[no-untyped-def]
    found = Latencies()
    tasks = []
    for asker in askers:
        tasks.append(asyncio.create_task(ask(server, asker, stop, found, every)))
        await asyncio.sleep(every / len(askers))  # spread over the second
    await asyncio.gather(*tasks)
    return found


class RssWatch:
    """The bot process's RSS sampled every 100 ms while running."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, status_mb(self.pid, "VmRSS"))
            await asyncio.sleep(0.1)

    def __enter__(self) -> RssWatch:
        self._task = asyncio.create_task(self._watch())
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def pick_people(path: Path, city: str) -> tuple[int, list[int]]:
    """Someone on the city's committee with Telegram (who types /report export), and five
    members with Telegram in different cells (who ask /help)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        (exporter,) = conn.execute(
            "SELECT m.telegram_id FROM roles r JOIN units u ON u.id = r.unit_id "
            "JOIN members m ON m.id = r.member_id WHERE u.code = ? "
            "AND r.role IN ('secretary', 'deputy', 'committee') AND m.telegram_id IS NOT NULL "
            "ORDER BY r.role = 'committee' DESC, m.id LIMIT 1",
            (city,),
        ).fetchone()
        askers = [
            row[0]
            for row in conn.execute(
                "SELECT MIN(m.telegram_id) FROM members m JOIN memberships ms "
                "ON ms.member_id = m.id AND ms.is_primary = 1 AND ms.ended_on IS NULL "
                "WHERE m.telegram_id IS NOT NULL AND m.telegram_id != ? AND m.status != 'exempt' "
                "GROUP BY ms.unit_id ORDER BY ms.unit_id LIMIT 5",
                (exporter,),
            )
        ]
    return exporter, askers


def copy_database(source: Path, folder: Path) -> Path:
    """The bot writes (audit, persistence): it gets a copy. The generated file is closed and
    checkpointed, so the main file is the whole database."""
    target = folder / "cadrebot.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(source, target)
    return target


async def start_bot(server, folder: Path, db_path: Path) -> asyncio.subprocess.Process:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        CADREBOT_DB=str(db_path),
        CADREBOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=folder, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def while_asking(
    server, askers: list[int], every: float, work: Awaitable[object]
) -> Latencies:  # type: ignore[no-untyped-def]
    """/help asked by everyone in ``askers`` for as long as ``work`` runs."""
    stop = asyncio.Event()
    asked = asyncio.create_task(asking(server, askers, stop, every))
    try:
        await work
    finally:
        stop.set()
    return await asked


async def bot_run(
    path: Path, samples: dict[str, str], baseline: float, every: float, exports: int
) -> dict:
    """The bot on a copy of the database: /help alone, then during each city export (one
    after the other, ``exports`` of them: memory that grows again is kept, memory that
    comes back is reused), and 10 s after each."""
    from fake_telegram import FakeTelegramServer

    figures: dict = {"exports": []}
    exporter, askers = pick_people(path, samples["city"])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        db_path = copy_database(path, folder)
        figures["copy"] = time.perf_counter() - started
        async with FakeTelegramServer() as server:
            for person in [exporter, *askers]:
                server.add_user(person, f"U{person}", language_code="vi")
            process = await start_bot(server, folder, db_path)
            try:
                started = time.perf_counter()
                first = len(server.events(askers[0]))
                server.send_text(askers[0], "/help")
                await server.wait_for(
                    lambda: len(server.events(askers[0])) > first, timeout=300, description="ready"
                )
                figures["ready"] = time.perf_counter() - started
                await asyncio.sleep(3)  # the start's sweeps settle
                figures["baseline"] = await while_asking(
                    server, askers, every, asyncio.sleep(baseline)
                )
                figures["rss_before"] = status_mb(process.pid, "VmRSS")
                for _ in range(exports):
                    found: dict = {}
                    with RssWatch(process.pid) as watch:
                        watch.peak = status_mb(process.pid, "VmRSS")
                        after = len(server.requests)
                        started, begun = time.perf_counter(), time.monotonic()
                        server.send_text(exporter, f"/report export {samples['city']} {YEAR}")
                        sent = server.wait_for_request(
                            "sendDocument", chat_id=exporter, timeout=900, after=after
                        )
                        found["during"] = await while_asking(server, askers, every, sent)
                        found["seconds"] = time.perf_counter() - started
                    record = server.requests_for("sendDocument")[-1]
                    # The phases, from what the bot sent: the data is read until it says
                    # "sending a file…", then the XLSX is written until the upload starts.
                    action = next(
                        r.at
                        for r in server.requests[after:]
                        if r.method.lower() == "sendchataction" and r.chat_id == exporter
                    )
                    found["phases"] = {
                        "data (export_workbook)": (begun, action),
                        "the XLSX (workbook, a thread)": (action, record.at),
                        "the upload (sendDocument)": (record.at, record.finished_at),
                    }
                    files = list(record.files.values())
                    found["document"] = len(files[0][1]) if files else 0
                    found["ok"] = record.ok
                    found["peak"] = max(watch.peak, status_mb(process.pid, "VmHWM"))
                    found["after"] = status_mb(process.pid, "VmRSS")
                    found["later"] = await while_asking(server, askers, every, asyncio.sleep(10))
                    found["rss_later"] = status_mb(process.pid, "VmRSS")
                    figures["exports"].append(found)
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    return figures


# Reporting ----------------------------------------------------------------------------------------
