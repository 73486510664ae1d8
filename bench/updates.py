"""Updates per second, reply latency and memory of the real bot against a bare
python-telegram-bot echo bot, side by side in one run, on the same fake Bot API server.

Prints figures; asserts nothing (issue 13). Each bot is its own process (`python -m bot run`,
and this file with ``--echo-bot``), so its CPU time and peak RSS are its own; the fake server
runs here, in the benchmark's process, the same for both.

Scenarios, each from USERS simulated members (1,000 by default) in cells of ten:
  - help:    a registered member's /help (identify, roles, the command list, the menu check);
  - commit:  /commit, a step of the filing conversation (its menu, from the member's draft);
  - checkin: the "I attended" inline button of an open meeting (a write transaction);
  - echo:    the bare echo bot (python-telegram-bot's defaults) answering a text.
Each scenario is measured twice: saturated (N updates pushed at once, round robin over the
users; updates/s and the bot's CPU per update) and paced (50 updates/s, one per user at a time;
p50 and p99 latency from the update being queued at the fake server to the reply arriving
there). Peak RSS is the bot process's high-water mark (VmHWM) at the end.

    .venv/bin/python bench/updates.py [--users 1000] [--updates 3000] [--paced 500]
    .venv/bin/python bench/updates.py --profile help     # cProfile the bot on one scenario

Start-up with saved data for many people (``--startup``): a copy of a generated city
(bench/generate.py; /tmp/city100k.sqlite3 by default) is given 100,000 saved ``user_data``
rows, as a bot in use would hold (the command-menu fingerprint), and a conversation in
progress for one person in fifty; then, in a fresh process, the time and memory of loading
the persistence alone; then the whole bot's start to its answer to a /help, and its RSS idle.

    .venv/bin/python bench/updates.py --startup [--city /tmp/city100k.sqlite3] [--people N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
from measure import status_mb  # noqa: E402

PER_CELL = 10
HELP, COMMIT, CHECKIN, ECHO = "help", "commit", "checkin", "echo"
TICKS = os.sysconf("SC_CLK_TCK")


# The bot's process, seen from outside -----------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def bot_env(server, db_path: Path | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        CADREBOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if db_path is not None:
        env["CADREBOT_DB"] = str(db_path)
    return env


async def spawn(argv: list[str], env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def terminate(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()


# The bare echo bot ------------------------------------------------------------------------


def run_echo_bot() -> None:
    """python-telegram-bot's defaults: sequential updates, default pool, no persistence."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    base = os.environ["TELEGRAM_API_BASE_URL"]
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0.0, allowed_updates=Update.ALL_TYPES)


# The organisation the bot serves ----------------------------------------------------------


@dataclass
class World:
    users: list[int]
    sessions: dict[int, int]  # telegram id -> the meeting they can check in to


async def build_organisation(db_path: Path, users: int) -> World:
    """Cells of ten members, all with Telegram; this year's campaign; in every cell a
    meeting held three hours ago."""
    from bot.app import build_services
    from bot.config import load_settings
    from bot.rules.access import Actor
    from bot.services.sessions.scheduling import Draft

    settings = load_settings(env_file=None, CADREBOT_DB=str(db_path), TELEGRAM_BOT_TOKEN="1:x")
    services = build_services(settings)
    await services.db.connect()
    try:
        cells = (users + PER_CELL - 1) // PER_CELL
        units = ["code,name,kind,parent_code", "DU,Đảng ủy phường Bench,committee,"]
        units += [f"C{c},Chi bộ {c},cell,DU" for c in range(1, cells + 1)]
        members = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
        members += [
            f"M{u},Đảng viên Số {u},C{(u - 1) // PER_CELL + 1},official,,false,vi,{u}"
            for u in range(1, users + 1)
        ]
        await services.organisation.import_units("\n".join(units).encode(), actor="bench")
        await services.organisation.import_members("\n".join(members).encode(), actor="bench")
        today = services.clock.today()
        await services.campaigns.create(
            year=today.year,
            topic="Nâng cao tinh thần trách nhiệm, năng động, sáng tạo",
            actor="bench",
            commit_deadline=date(today.year, 12, 31),
        )
        admin = Actor(0, is_config_admin=True)
        starts = services.clock.now().replace(second=0, microsecond=0) + timedelta(minutes=20)
        sessions: dict[int, int] = {}
        async with services.db.read() as store:
            by_code = {unit.code: unit for unit in await store.units.all()}
        for c in range(1, cells + 1):
            draft = Draft(by_code[f"C{c}"].id, "regular", f"Sinh hoạt chi bộ {c}", True, starts,
                          "Hội trường")  # fmt: skip
            session, _ = await services.sessions.create(admin, draft)
            for u in range((c - 1) * PER_CELL + 1, min(c * PER_CELL, users) + 1):
                sessions[u] = session.id
        # Held three hours ago (a session cannot be created in the past): "I attended" is
        # then a late report, the button's path after every meeting.
        async with services.db.write() as store:
            await store.conn.execute(
                "UPDATE sessions SET starts_at = ?",
                (
                    (services.clock.now() - timedelta(hours=3))
                    .astimezone(UTC)
                    .isoformat("T", "seconds"),
                ),
            )
            # The invitations are not what is measured: the outbox starts empty.
            await store.conn.execute("DELETE FROM outbox")
            await store.conn.execute("DELETE FROM outbox_batches")
    finally:
        await services.db.close()
    return World(list(range(1, users + 1)), sessions)


# Driving the bots -------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    saturated: float = 0.0  # updates/s
    cpu_ms: float = 0.0  # the bot's CPU per update, saturated
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    paced_rate: float = 0.0
    peak_mb: float = 0.0
    errors: int = 0
    notes: list[str] = field(default_factory=list)


class Replies:
    """The bot's sendMessage requests per chat, read incrementally from the server's log
    (a reply's time is when its request reached the server)."""

    def __init__(self, server) -> None:  # type: ignore[no-untyped-def]
        self.server = server
        self.cursor = len(server.requests)
        self.count = 0
        self.at: dict[int, list[float]] = {}

    def poll(self) -> int:
        requests = self.server.requests
        while self.cursor < len(requests):
            record = requests[self.cursor]
            if record.status is None and record.method != "getUpdates":
                break  # its parameters (the chat) are read once it is answered
            self.cursor += 1
            if record.method == "sendMessage" and record.chat_id is not None:
                self.count += 1
                self.at.setdefault(record.chat_id, []).append(record.at)
        return self.count


def make_sender(server, scenario: str, world: World):  # type: ignore[no-untyped-def]
    from bot import callbacks as cb

    def send(user: int) -> None:
        if scenario == HELP:
            server.send_text(user, "/help")
        elif scenario == COMMIT:
            server.send_text(user, "/commit")
        elif scenario == CHECKIN:
            # The card /attend shows, with its button, as if the bot had sent it; the press
            # then takes the button off it (a successful edit), as after every real press.
            data = cb.ATTENDED(world.sessions[user])
            card = server.post_message(
                server.find_chat(user), "text", {"text": "Tôi đã tham dự"}, "Tôi đã tham dự",
                None, {"inline_keyboard": [[{"text": "Tôi đã tham dự", "callback_data": data}]]},
                None,
            )  # fmt: skip
            server.press_button(user, card.data["message_id"], data)
        else:
            server.send_text(user, f"xin chào {user}")

    return send


async def warm_up(server, scenario: str, world: World) -> None:  # type: ignore[no-untyped-def]
    """Every user once, unmeasured: the first /help sets the person's menu; /commit opens
    the filing conversation; the first "I attended" reports the person's attendance (the
    presses measured then meet it waiting for the secretary: a write transaction that finds
    the report already made)."""
    replies = Replies(server)
    for user in world.users:
        server.send_text(user, "/help" if scenario != ECHO else "hello")
    await server.wait_for(lambda: replies.poll() >= len(world.users), 600, "warm-up")
    if scenario == CHECKIN:
        replies = Replies(server)
        send = make_sender(server, scenario, world)
        for user in world.users:
            send(user)
        await server.wait_for(lambda: replies.poll() >= len(world.users), 600, "first press")
    if scenario == COMMIT:
        replies = Replies(server)
        for user in world.users:
            server.send_text(user, "/commit")
        await server.wait_for(lambda: replies.poll() >= len(world.users), 600, "/commit")


async def saturate(server, pid: int, send, users: list[int], updates: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    replies = Replies(server)
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    for index in range(updates):
        send(users[index % len(users)])
    await server.wait_for(lambda: replies.poll() >= updates, 900, "all replies")
    elapsed = time.perf_counter() - started
    return updates / elapsed, (cpu_seconds(pid) - cpu) / updates * 1000


async def paced(
    server, send, users: list[int], updates: int, rate: float
) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    """One update every 1/rate s, a different user each time; each reply's latency."""
    replies = Replies(server)
    sent: dict[int, list[float]] = {}
    started = time.monotonic()
    for index in range(updates):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        user = users[index % len(users)]
        sent.setdefault(user, []).append(time.monotonic())
        send(user)
    await server.wait_for(lambda: replies.poll() >= updates, 900, "paced replies")
    took = time.monotonic() - started
    latencies = [
        reply - asked
        for user, times in sent.items()
        for asked, reply in zip(times, replies.at.get(user, []), strict=False)
    ]
    return sorted(latencies), updates / took


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def run_scenario(scenario: str, args: argparse.Namespace, template: Path) -> Result:
    from fake_telegram import FakeTelegramServer

    result = Result(scenario)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db_path = folder / "cadrebot.sqlite3"
        shutil.copyfile(template, db_path)
        world = World(*json.loads((template.with_suffix(".json")).read_text()))
        world.sessions = {int(k): v for k, v in world.sessions.items()}
        async with FakeTelegramServer() as server:
            for user in world.users:
                server.add_user(user, f"U{user}", language_code="vi")
            if scenario == ECHO:
                argv = [sys.executable, str(HERE), "--echo-bot"]
                env = bot_env(server)
            else:
                argv = [sys.executable, "-m", "bot", "run"]
                if args.profile == scenario:
                    argv[1:1] = ["-m", "cProfile", "-o", args.profile_out]
                env = bot_env(server, db_path)
            process = await spawn(argv, env, folder)
            try:
                await warm_up(server, scenario, world)
                send = make_sender(server, scenario, world)
                await asyncio.sleep(1)  # the start's sweeps settle
                result.saturated, result.cpu_ms = await saturate(
                    server, process.pid, send, world.users, args.updates
                )
                latencies, result.paced_rate = await paced(
                    server, send, world.users, args.paced, args.rate
                )
                result.p50_ms = statistics.median(latencies) * 1000 if latencies else 0
                result.p99_ms = percentile(latencies, 0.99) * 1000
                result.peak_mb = status_mb(process.pid, "VmHWM")
                result.errors = sum(1 for r in server.requests if r.status not in (None, 200))
            finally:
                await terminate(process)
    return result


async def prepare(folder: Path, users: int) -> Path:
    """The organisation, built once and copied for each scenario."""
    template = folder / "template.sqlite3"
    world = await build_organisation(template, users)
    with contextlib.closing(sqlite3.connect(template)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    template.with_suffix(".json").write_text(json.dumps([world.users, world.sessions]))
    return template


def machine_line() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load}; {datetime.now():%Y-%m-%d %H:%M}"
    )


async def throughput(args: argparse.Namespace) -> None:
    print(machine_line())
    print(
        f"{args.users} users; saturated: {args.updates} updates pushed at once; "
        f"paced: {args.paced} updates at {args.rate:g}/s"
    )
    scenarios = [ECHO, HELP, COMMIT, CHECKIN] if args.only is None else args.only
    with tempfile.TemporaryDirectory() as name:
        template = await prepare(Path(name), args.users)
        results = []
        for scenario in scenarios:
            results.append(await run_scenario(scenario, args, template))
            print(f"  done: {scenario}", flush=True)
    echo = next((r for r in results if r.name == ECHO), None)
    print()
    print("| scenario | updates/s | ratio to echo | CPU ms/update | p50 | p99 | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ratio = f"{r.saturated / echo.saturated:.2f}" if echo and echo.saturated else "—"
        print(
            f"| {r.name} | {r.saturated:.0f} | {ratio} | {r.cpu_ms:.2f} | {r.p50_ms:.1f} ms | "
            f"{r.p99_ms:.1f} ms | {r.peak_mb:.0f} MB |"
        )
    for r in results:
        if r.errors:
            print(f"  {r.name}: {r.errors} request(s) answered with an error")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


# Start-up with many people's saved data ---------------------------------------------------


def seed_saved_data(db_path: Path, people: int) -> tuple[int, int, int]:
    """``people`` saved user_data rows (what a bot in use holds: the command-menu
    fingerprint): every member with Telegram, then more ids up to ``people`` (a generated
    city links only some of its members); a conversation in progress for one in fifty.
    Returns (rows, conversations, a member to ask /help)."""
    menu = "vi:start,help,me,language,cancel,sessions,reminders,attend,commit,mycommitments,"
    menu += "review,dossier,stories,calendar,nominate,nominations"
    now = datetime.now().astimezone().isoformat()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        linked = [
            row[0]
            for row in conn.execute("SELECT telegram_id FROM members WHERE telegram_id IS NOT NULL")
        ]
        ids = linked[:people] + [9_000_000_000 + n for n in range(max(0, people - len(linked)))]
        conn.executemany(
            "INSERT OR REPLACE INTO ptb_user_data (user_id, data) VALUES (?, ?)",
            [(tid, json.dumps({"menu": menu}, ensure_ascii=False)) for tid in ids],
        )
        talking = ids[::50]
        flow = {"name": "commitment_filing", "since": now, "locale": "vi"}
        conn.executemany(
            "INSERT OR REPLACE INTO ptb_user_data (user_id, data) VALUES (?, ?)",
            [(tid, json.dumps({"menu": menu, "open_flow": flow})) for tid in talking],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO ptb_conversations (name, key, state, updated_at) "
            "VALUES ('commitment_filing', ?, 0, ?)",
            [(json.dumps([tid, tid]), now) for tid in talking],
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(ids), len(talking), linked[1]


def load_only(db_path: str) -> None:
    """In a fresh process: what loading the persistence at start costs, alone."""
    import gc

    from bot.persistence import SQLitePersistence
    from storage import Database

    async def load() -> tuple[int, int]:
        persistence = SQLitePersistence(Database(db_path))
        await persistence.db.connect(migrate=False)
        try:
            users = await persistence.get_user_data()
            chats = await persistence.get_chat_data()
            async with persistence.db.read() as store:
                cursor = await store.conn.execute("SELECT DISTINCT name FROM ptb_conversations")
                names = [row[0] for row in await cursor.fetchall()]
            states = 0
            for name in names:
                states += len(await persistence.get_conversations(name))
            held.append((users, chats))  # kept, as the Application keeps them
            return len(users) + len(chats), states
        finally:
            await persistence.db.close()

    held: list = []
    gc.collect()
    before = status_mb(os.getpid(), "VmRSS")
    started = time.perf_counter()
    documents, states = asyncio.run(load())
    took = time.perf_counter() - started
    gc.collect()
    grew = status_mb(os.getpid(), "VmRSS") - before
    print(json.dumps({"seconds": took, "mb": grew, "documents": documents, "states": states}))


async def startup(args: argparse.Namespace) -> None:
    from fake_telegram import FakeTelegramServer

    print(machine_line())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db_path = folder / "cadrebot.sqlite3"
        with contextlib.closing(sqlite3.connect(args.city)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(args.city, db_path)
        # Migrate the copy first (not timed): the start measured is the bot's, not an upgrade.
        env = {**os.environ, "CADREBOT_DB": str(db_path), "PYTHONPATH": str(ROOT)}
        await (await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", cwd=folder, env=env,
            stdout=asyncio.subprocess.DEVNULL)).wait()  # fmt: skip
        rows, talking, asker = seed_saved_data(db_path, args.people)
        print(f"{args.city}: {rows} people with saved user_data, {talking} in a conversation")
        loader = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE), "--load-only", str(db_path), cwd=folder, env=env,
            stdout=asyncio.subprocess.PIPE)  # fmt: skip
        loaded = json.loads((await loader.communicate())[0])
        print(
            f"  the persistence's load alone: {loaded['seconds']:.2f} s, RSS +{loaded['mb']:.0f} "
            f"MB ({loaded['documents']} documents in memory, {loaded['states']} states)"
        )
        async with FakeTelegramServer() as server:
            server.add_user(asker, "Asker", language_code="vi")
            started = time.perf_counter()
            process = await spawn([sys.executable, "-m", "bot", "run"], bot_env(server, db_path),
                                  folder)  # fmt: skip
            try:
                await server.wait_for_request("getUpdates", timeout=300)
                polling = time.perf_counter() - started
                replies = Replies(server)
                server.send_text(asker, "/help")
                await server.wait_for(lambda: replies.poll() >= 1, 300, "/help")
                answered = time.perf_counter() - started
                await asyncio.sleep(5)
                idle = status_mb(process.pid, "VmRSS")
                peak = status_mb(process.pid, "VmHWM")
            finally:
                await terminate(process)
    print(f"  the whole bot: polling after {polling:.2f} s (post_init's sweeps of the city "
          f"included); first /help answered after {answered:.2f} s")  # fmt: skip
    print(f"  the whole bot: RSS idle {idle:.0f} MB, peak {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--paced", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--only", nargs="*", choices=[ECHO, HELP, COMMIT, CHECKIN])
    parser.add_argument("--profile", choices=[HELP, COMMIT, CHECKIN])
    parser.add_argument("--profile-out", default="updates.prof")
    parser.add_argument("--startup", action="store_true")
    parser.add_argument("--city", default="/tmp/city100k.sqlite3")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    parser.add_argument("--echo-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_bot:
        run_echo_bot()
    elif args.load_only:
        load_only(args.load_only)
    elif args.startup:
        asyncio.run(startup(args))
    else:
        args.profile_out = str(Path(args.profile_out).resolve())
        if args.profile and args.only is None:
            args.only = [args.profile]
        asyncio.run(throughput(args))


if __name__ == "__main__":
    main()
