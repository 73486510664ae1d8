"""How long the committees' commitment views take as the organisation grows.

Prints figures; asserts nothing. Builds an invented organisation in a temporary SQLite file
(1 city → COMMITTEES committees → CELLS cells each → MEMBERS members each), files and submits
commitments through the real service for 70% of members, approves half of those, then times:
  - baseline: a plain COUNT(*) of the subtree's current members (the least any view must do);
  - /commitments for one cell, for one committee, and for the whole city;
  - the CSV export (one row per action) for the whole city.

    .venv/bin/python bench/commitment_reports.py [--committees 10 --cells 15 --members 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_services
from bot.clock import FixedClock
from bot.config import load_settings
from bot.render.commitment_export import commitments_file

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def timed(label: str, call, repeat: int = 5) -> None:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    print(f"  {label:44s} median {statistics.median(samples):8.1f} ms  (n={repeat})")


async def export_csv(services) -> bytes:  # type: ignore[no-untyped-def]
    """The whole city's export as the CLI makes it: the service's table, then the CSV."""
    table = await services.commitments.export(year=2026, unit_code="TP")
    return commitments_file(table, "csv")[1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--committees", type=int, default=10)
    parser.add_argument("--cells", type=int, default=15)
    parser.add_argument("--members", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            env_file=None,
            CADREBOT_DB=str(Path(folder) / "bench.sqlite3"),
            CADREBOT_ADMIN_IDS="1",
        )
        clock = FixedClock(TZ, datetime(2026, 3, 10, 9, 0, tzinfo=TZ))
        services = build_services(settings, clock=clock)
        await services.db.connect()
        units = ["code,name,kind,parent_code", "TP,Thành ủy,city_committee,"]
        members = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
        telegram = 1000
        for c in range(args.committees):
            units.append(f"Q{c},Đảng ủy {c},committee,TP")
            for k in range(args.cells):
                units.append(f"Q{c}C{k},Chi bộ {c}.{k},cell,Q{c}")
                for m in range(args.members):
                    telegram += 1
                    status = "exempt" if m == 0 else "official"
                    members.append(
                        f"M{telegram},Đảng viên {telegram},Q{c}C{k},{status},,false,vi,{telegram}"
                    )
        await services.organisation.import_units("\n".join(units).encode(), actor="bench")
        await services.organisation.import_members("\n".join(members).encode(), actor="bench")
        await services.campaigns.create(
            year=2026, topic="Nâng cao tinh thần trách nhiệm", actor="bench"
        )
        total = telegram - 1000
        started = time.perf_counter()
        filed = 0
        for member_tg in range(1001, telegram + 1):
            if rng.random() > 0.7:
                continue
            actor = await services.registration.identify(member_tg)
            for heading in ("ideology", "tasks"):
                await services.commitments.add_action(
                    actor, heading, f"Hành động cụ thể số {member_tg} về {heading}"
                )
            await services.commitments.submit(actor)
            filed += 1
        setup = time.perf_counter() - started
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}"
        )
        print(
            f"organisation: {args.committees * args.cells} cells, {total} members; "
            f"{filed} commitments filed and submitted through the service in {setup:.1f} s "
            f"({filed / setup:.0f}/s)"
        )

        async def count_city() -> None:
            async with services.db.read() as store:
                cursor = await store.conn.execute(
                    "SELECT COUNT(DISTINCT ms.member_id) FROM memberships ms "
                    "JOIN units u ON u.id = ms.unit_id WHERE ms.ended_on IS NULL "
                    "AND u.path >= '/1/' AND u.path < '/1/\uffff'"
                )
                await cursor.fetchone()

        await timed("baseline: COUNT members of the city", count_city)
        await timed(
            "/commitments, one cell",
            lambda: services.commitments.progress(None, 2026, unit_code="Q0C0"),
        )
        await timed(
            "/commitments, one committee",
            lambda: services.commitments.progress(None, 2026, unit_code="Q0"),
        )
        await timed(
            "/commitments, whole city",
            lambda: services.commitments.progress(None, 2026, unit_code="TP"),
        )
        await timed(
            "export CSV, whole city",
            lambda: export_csv(services),
            repeat=3,
        )
        await services.db.close()


if __name__ == "__main__":
    asyncio.run(main())
