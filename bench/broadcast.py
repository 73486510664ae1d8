"""The outbox at Telegram's limits, through a crash, and its own overhead.

Prints figures; asserts nothing. The fake Bot API server runs in this process and enforces
Telegram's flood limits (429 beyond 30 messages in any second overall, or a second message
to one person within a second); the bot runs as a real process (``python -m bot run``), so it
can be killed.

1. alone: RECIPIENTS queued in one transaction (timed), then sent by the bot as deployed
   (30 messages/s). Throughput, lost, duplicated, 429s received.
   paced: the same while 20 people who are not recipients send /help twice a second; the
   reply latency, and the throughput of the broadcast and of everything sent.
2. killed: the same, killed with SIGKILL at about half and started again. Lost, duplicated
   (only messages on the wire at the kill can be).
3. overhead, in this process with the limits lifted: the outbox sending to RECIPIENTS against
   a bare ``bot.send_message`` loop on the same fake server, in the same run; peak RSS.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--parts paced killed overhead]
        [--story]  (a story to RECIPIENTS members through the story service)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

from telegram import Bot

from bot.app import build_application, build_services
from bot.clock import Clock
from bot.config import load_settings
from bot.delivery import Outbox, Recipient
from bot.runner import start_application, stop_application
from fake_telegram import FakeTelegramServer
from storage import Database

ROOT = Path(__file__).resolve().parents[1]
FIRST = 1_000_000  # recipients' ids
ASKERS = range(900_000, 900_020)  # people using the bot during the broadcast


async def queue(db_path: Path, recipients: int) -> float:
    """Queue one message per recipient in one transaction; returns the seconds it took."""
    async with Database(db_path) as db:
        outbox = Outbox(Clock(UTC))
        started = time.perf_counter()
        async with db.write() as store:
            await outbox.queue(
                store,
                kind="story",
                template="text",
                to=[
                    Recipient(FIRST + n, params={"text": f"Gương điển hình số {n}"})
                    for n in range(recipients)
                ],
                params={"text": ""},
            )
        return time.perf_counter() - started


STORY_BODY = (
    "Đồng chí <b>Nguyễn Văn An</b>, bí thư chi bộ khu vực 1, suốt ba tháng mùa lũ đã cùng "
    "bà con gia cố đê bao, đưa người già và trẻ nhỏ đến nơi an toàn, và vận động quyên góp "
    "<i>hơn 200 triệu đồng</i> giúp các hộ bị thiệt hại. " * 6
).strip()


async def queue_story(db_path: Path, recipients: int) -> float:
    """An organisation of ``recipients`` members (10 committees of 10 cells), every one on
    Telegram, and one story to all of them sent through the story service; returns the
    seconds the sending (one transaction) took."""
    from bot.cli_board import OPERATOR
    from bot.services.notifications import NotificationService
    from bot.services.organisation import OrganisationService
    from bot.services.stories import StoryService

    units = ["code,name,kind,parent_code", "TU,Thành ủy Phù Sa,city_committee,"]
    for d in range(10):
        units.append(f"DU{d},Đảng ủy phường {d},committee,TU")
        units += [f"CB{d}-{c},Chi bộ khu vực {d}-{c},cell,DU{d}" for c in range(10)]
    members = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
    members += [
        f"DV{n:06d},Đảng viên {n},CB{n % 10}-{n // 10 % 10},official,,false,vi,{FIRST + n}"
        for n in range(recipients)
    ]
    async with Database(db_path) as db:
        clock = Clock(UTC)
        organisation = OrganisationService(db, clock)
        await organisation.import_units("\n".join(units).encode(), actor="bench")
        await organisation.import_members("\n".join(members).encode(), actor="bench")
        stories = StoryService(db, clock, NotificationService(clock))
        async with db.read() as store:
            root = await store.units.by_code("TU")
        assert root is not None
        story = await stories.create_draft(
            OPERATOR, unit_id=root.id, title="Tấm gương vượt lũ", body=STORY_BODY, tag="model"
        )
        started = time.perf_counter()
        sent = await stories.send_now(OPERATOR, story.id)
        took = time.perf_counter() - started
        assert sent.recipients == recipients, sent.recipients
        return took


def env_for(server: FakeTelegramServer, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        CADREBOT_DB=str(db_path),
        CADREBOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


async def start_bot(env: dict[str, str], folder: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


class Tally:
    """Deliveries per recipient, counted as requests finish: only the new ones each look, so
    that watching costs the fake server (which runs in this process) nothing."""

    def __init__(self, server: FakeTelegramServer, recipients: int) -> None:
        self.server, self.recipients = server, recipients
        self.counts: dict[int, int] = {}
        self._seen = 0
        self._pending: list = []

    def __call__(self) -> dict[int, int]:
        requests = self.server.requests
        fresh, self._seen = requests[self._seen :], len(requests)
        waiting, self._pending = self._pending + list(fresh), []
        for record in waiting:
            if record.status is None:
                self._pending.append(record)  # still on its way
                continue
            if record.method.lower() != "sendmessage" or not record.ok:
                continue
            chat = int(record.params.get("chat_id", 0))
            if FIRST <= chat < FIRST + self.recipients:
                self.counts[chat] = self.counts.get(chat, 0) + 1
        return self.counts


def delivered(server: FakeTelegramServer, recipients: int) -> dict[int, int]:
    """Deliveries per recipient, counted once over everything the server saw."""
    return Tally(server, recipients)()


async def ask_help(server: FakeTelegramServer, stop: asyncio.Event) -> list[float]:
    """Twenty people send /help in turn, twice a second; the latency of each reply."""
    latencies: list[float] = []
    n = 0
    while not stop.is_set():
        asker = ASKERS[n % len(ASKERS)]
        n += 1
        before = len(server.events(asker))
        sent = time.monotonic()
        server.send_text(asker, "/help")
        try:
            await server.wait_for(
                lambda a=asker, b=before: len(server.events(a)) > b, timeout=30, description="help"
            )
            latencies.append(time.monotonic() - sent)
        except AssertionError:
            latencies.append(float("inf"))
        await asyncio.sleep(0.5)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def paced(
    recipients: int, kill_at: float | None, ask: bool = True, story: bool = False
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db_path = folder / "bench.sqlite3"
        async with FakeTelegramServer() as server:
            for n in range(recipients):
                server.add_user(FIRST + n, f"N{n}")
            for asker in ASKERS:
                server.add_user(asker, f"A{asker}", language_code="vi")
            if story:
                took = await queue_story(db_path, recipients)
                print(
                    f"  a story ({len(STORY_BODY)} characters, with its button) sent to "
                    f"{recipients} members: queued in {took * 1000:.0f} ms"
                )
            else:
                took = await queue(db_path, recipients)
                print(f"  queued {recipients} messages in one transaction: {took * 1000:.0f} ms")
            limits = server.enforce_limits(overall=30, per_chat=1.0)
            env = env_for(server, db_path)
            process = await start_bot(env, folder)
            stop = asyncio.Event()
            if not ask:
                stop.set()  # nobody asks anything
            helper = asyncio.create_task(ask_help(server, stop))
            started = time.monotonic()
            first_send = None
            killed_with = None
            tally = Tally(server, recipients)
            try:
                while len(tally()) < recipients:
                    sent = tally()
                    if first_send is None and sent:
                        first_send = time.monotonic()
                    if (
                        kill_at is not None
                        and killed_with is None
                        and sum(sent.values()) >= recipients * kill_at
                    ):
                        process.kill()
                        await process.wait()
                        killed_with = sum(delivered(server, recipients).values())
                        process = await start_bot(env, folder)
                    await asyncio.sleep(0.2)
                finished = time.monotonic()
            finally:
                stop.set()
                latencies = await helper
                process.send_signal(signal.SIGTERM)
                await process.wait()
            counts = delivered(server, recipients)
            lost = recipients - len(counts)
            duplicated = sum(c - 1 for c in counts.values())
            elapsed = finished - (first_send or started)
            if kill_at is None:
                replies = sum(
                    1
                    for r in server.requests_for("sendMessage")
                    if r.ok and int(r.params.get("chat_id", 0)) in ASKERS
                )
                total = (len(counts) + replies) / elapsed
                print(
                    f"  sent {len(counts)} in {elapsed:.1f} s: {len(counts) / elapsed:.2f} msg/s "
                    f"({len(counts) / elapsed / 30:.1%} of 30/s); with the {replies} replies "
                    f"{total:.2f} msg/s ({total / 30:.1%}); lost {lost}, duplicated "
                    f"{duplicated}; 429s received {limits.hits}"
                )
            else:
                print(
                    f"  killed with SIGKILL after {killed_with} sent, started again: "
                    f"lost {lost}, duplicated {duplicated}; 429s received {limits.hits}"
                )
            finite = [v for v in latencies if v != float("inf")]
            if finite:
                print(
                    f"  /help during the broadcast: {len(latencies)} asked, p50 "
                    f"{statistics.median(finite) * 1000:.0f} ms, p99 "
                    f"{percentile(finite, 0.99) * 1000:.0f} ms, unanswered "
                    f"{len(latencies) - len(finite)}"
                )


def serve(port: int, recipients: int, stop, ready) -> None:  # type: ignore[no-untyped-def]
    """The fake Bot API server in a process of its own, as Telegram is a server elsewhere:
    the bot's concurrent requests then do not share one event loop with the server."""

    async def run() -> None:
        async with FakeTelegramServer(port=port) as server:
            for n in range(recipients):
                server.add_user(FIRST + n, f"N{n}")
            ready.set()
            await asyncio.to_thread(stop.wait)

    asyncio.run(run())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def overhead(recipients: int) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    stop, ready = context.Event(), context.Event()
    port = free_port()
    server = context.Process(target=serve, args=(port, recipients, stop, ready))
    server.start()
    try:
        await asyncio.to_thread(ready.wait, 60)
        base_url = f"http://127.0.0.1:{port}"
        token = FakeTelegramServer().token
        async with Bot(token, base_url=f"{base_url}/bot") as bot:
            started = time.perf_counter()
            for n in range(recipients):
                await bot.send_message(FIRST + n, f"Gương điển hình số {n}")
            bare = recipients / (time.perf_counter() - started)
        print(f"  baseline, a bare bot.send_message loop (sequential): {bare:.0f} msg/s")
        with tempfile.TemporaryDirectory() as name:
            db_path = Path(name) / "bench.sqlite3"
            await queue(db_path, recipients)
            settings = load_settings(
                env_file=None,
                TELEGRAM_BOT_TOKEN=token,
                TELEGRAM_API_BASE_URL=base_url,
                CADREBOT_DB=str(db_path),
            )
            app = build_application(settings, build_services(settings), rate_limit=False)
            await start_application(app, poll_timeout=1)
            try:
                first = None
                with sqlite3.connect(db_path) as conn:
                    # Cheap looks (partial indexes), so the measuring costs the bot nothing.
                    while first is None:
                        if conn.execute(
                            "SELECT 1 FROM outbox WHERE status = 'sent' LIMIT 1"
                        ).fetchone():
                            first = time.perf_counter()
                        await asyncio.sleep(0.005)
                    left = "SELECT 1 FROM outbox WHERE status IN ('queued', 'sending') LIMIT 1"
                    while True:  # a look every 20 ms
                        if not conn.execute(left).fetchone():
                            break
                        await asyncio.sleep(0.02)
                engine = recipients / (time.perf_counter() - first)
            finally:
                await stop_application(app)
        print(
            f"  the outbox, limits lifted: {engine:.0f} msg/s ({engine / bare:.0%} of the "
            f"bare loop); peak RSS of the bot's process "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    finally:
        stop.set()
        server.join(10)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--parts",
        nargs="*",
        default=["alone", "paced", "killed", "overhead"],
        help="which parts to run",
    )
    parser.add_argument(
        "--story",
        action="store_true",
        help="send a story through the story service (its audience, template and button) "
        "instead of short plain messages queued directly",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.recipients} recipients"
    )
    if "alone" in args.parts:
        print("paced, as deployed, nobody else using the bot meanwhile:")
        await paced(args.recipients, kill_at=None, ask=False, story=args.story)
    if "paced" in args.parts:
        print("paced, as deployed (30 msg/s), Telegram's limits enforced by the fake server:")
        await paced(args.recipients, kill_at=None, story=args.story)
    if "killed" in args.parts:
        print("the same, killed with SIGKILL at about half:")
        await paced(args.recipients, kill_at=0.5, story=args.story)
    if "overhead" in args.parts:
        print("engine overhead, limits lifted:")
        await overhead(args.recipients)


if __name__ == "__main__":
    asyncio.run(main())
