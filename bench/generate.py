"""A city-sized organisation's database with a whole campaign year of records, for the report
benchmarks and for trying the bot on realistic data (issue 12).

    .venv/bin/python bench/generate.py --members 100000 --units 1500 [--out FILE] [--seed N]
    .venv/bin/python bench/generate.py --members 2000             # a smoke size: seconds

A tree four levels deep (city → districts → ward committees → cells, and branches), the
roster through the real import, twelve months of sessions with attendance, commitments in
every status with their versions, self-ratings and grades, 200 stories with their deliveries
and readers, nominations: see bench/city.py and bench/city_year.py for the shape. The same
seed gives the same database. The file is new: an existing one is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from city import PER_CELL, City, build_city

from bot.services.reports.rollup import roll_up_attendance
from storage import Database


def default_units(members: int) -> int:
    """About one unit per 67 members, as in a real city (1,500 for 100,000)."""
    return max(5, round(members * 1500 / 100_000)) if members >= PER_CELL * 4 else 5


async def generate(path: Path, members: int, units: int | None = None, seed: int = 7) -> City:
    """Build the database at ``path``, a new file (``main`` refuses an existing one), with
    the closed sessions' attendance rolled up, as the bot's job does within minutes of
    start (the reports are exact either way; unrolled, a city's are slower)."""
    city = await build_city(
        path, members=members, units=units or default_units(members), seed=seed, year=True
    )
    database = Database(path)
    await database.connect()
    try:
        await roll_up_attendance(database)
    finally:
        await database.close()
    return city


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=None, help="default: 1.5 per 100 members")
    parser.add_argument("--out", type=Path, default=None, help="default: city-MEMBERS.sqlite3")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.members < 5:
        parser.error("--members must be at least 5")
    path = args.out or Path(f"city-{args.members}.sqlite3")
    if path.exists():
        parser.error(f"{path} exists: choose another --out or remove it")
    city = asyncio.run(generate(path, args.members, args.units, args.seed))
    print(f"{path}: {city.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
