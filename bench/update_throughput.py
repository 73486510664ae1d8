"""Updates per second through the real cadrebot Application, against the fake Bot API server.

Prints figures; asserts nothing. Compares, in one run on one machine:
  - sequential: CADREBOT_MAX_CONCURRENT_UPDATES=1 (one update at a time);
  - per-user ordered: the default processor (concurrent across people, ordered per person),
    with the HTTP pool sized to match.
Each configuration answers UPDATES messages from USERS registered members (/start → a greeting
that reads the member, their roles and units from SQLite).

    .venv/bin/python bench/update_throughput.py [--users 500] [--updates 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

from bot.app import build_application, build_services
from bot.config import load_settings
from bot.runner import start_application, stop_application
from fake_telegram import FakeTelegramServer


async def measure(concurrency: int, users: int, updates: int, rate_limit: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.sqlite3"
        async with FakeTelegramServer() as server:
            settings = load_settings(
                env_file=None,
                TELEGRAM_BOT_TOKEN=server.token,
                TELEGRAM_API_BASE_URL=server.base_url,
                CADREBOT_DB=str(db_path),
                CADREBOT_MAX_CONCURRENT_UPDATES=str(concurrency),
            )
            services = build_services(settings)
            await services.db.connect()
            units = "code,name,kind,parent_code\nC1,Chi bộ 1,cell,\n".encode()
            rows = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
            rows += [f"M{u},Đảng viên {u},C1,official,,false,vi,{u}" for u in range(1, users + 1)]
            await services.organisation.import_units(units, actor="bench")
            await services.organisation.import_members("\n".join(rows).encode(), actor="bench")
            await services.db.close()
            for user in range(1, users + 1):
                server.add_user(user, f"U{user}")
            app = build_application(settings, services, rate_limit=rate_limit)
            await start_application(app, poll_timeout=1)
            try:
                started = time.perf_counter()
                for index in range(updates):
                    server.send_text(index % users + 1, "/start")
                expected = {
                    u: updates // users + (1 if u <= updates % users else 0)
                    for u in range(1, users + 1)
                }
                await server.wait_for(
                    lambda: all(len(server.messages(u)) >= n for u, n in expected.items()),
                    timeout=600,
                    description="all replies",
                )
                elapsed = time.perf_counter() - started
            finally:
                await stop_application(app)
    return updates / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--updates", type=int, default=1500)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.updates} updates from {args.users} members"
    )
    print("without the rate limiter (the bot's own capacity):")
    for label, concurrency in (("sequential (1 at a time)", 1), ("per-user ordered (64)", 64)):
        rate = await measure(concurrency, args.users, args.updates, rate_limit=False)
        print(f"  {label:28s} {rate:8.1f} updates/s")
    print("with the shared rate limiter (30 messages/s overall, as deployed):")
    rate = await measure(64, args.users, args.updates, rate_limit=True)
    print(f"  {'per-user ordered (64)':28s} {rate:8.1f} updates/s")


if __name__ == "__main__":
    asyncio.run(main())
