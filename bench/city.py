"""An invented city for benchmarks: its units, members, roles, a campaign, commitments and
sessions, written into a fresh SQLite file. Imported by the benchmarks (``from city import
build_city``); run alone, it builds a city in a file and says how long that took.

The shape, for MEMBERS members (100,000 by default):
  - a city committee, up to 15 district committees, about one cell per 67 members below them
    (1,493 cells for 100,000), and two mass-organisation branches per district: 1,539 units;
  - the roster imported through the real service (``cadrebot members import``): 60% with a
    Telegram id, 2% exempt, 5% probationary; every cell's first member is its head and
    secretary, every third cell has a deputy; 10% of members also belong to a branch;
  - roles on the committees (secretary, deputy, committee members) and cells, the campaign of
    YEAR through the real service (commitments due 31/03), and in bulk SQL that follows the
    schema: commitments (30% submitted or approved, 5% drafts, 1% returned), SESSIONS
    sessions of cells spread over the days around a given day with the cell's members
    invited (5% declined), and 1% of members muting the 24-hour session notice.

    .venv/bin/python bench/city.py [--members 100000] [--out city.sqlite3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.services.campaigns import CampaignService
from bot.services.organisation import OrganisationService
from storage import Database
from storage.clock import to_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PER_CELL = 67  # members per cell on average: 100,000 members in 1,493 cells
COMMITTEES = 15
BRANCHES = 2  # mass-organisation branches per district committee
YEAR = 2027
SESSION_TIMES = (
    clock_time(7, 30),
    clock_time(8, 0),
    clock_time(9, 0),
    clock_time(14, 0),
    clock_time(15, 30),
    clock_time(19, 30),
)


@dataclass
class City:
    """What was built, for the benchmarks to pick from."""

    path: Path
    members: int
    units: int
    cells: int
    with_telegram: int
    campaign_id: int
    commitments: dict[str, int] = field(default_factory=dict)
    sessions: list[int] = field(default_factory=list)  # ids, in start order
    invitees: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        filed = self.commitments.get("submitted", 0) + self.commitments.get("approved", 0)
        return (
            f"{self.members} members ({self.with_telegram} with Telegram) in {self.units} units "
            f"({self.cells} cells); commitments filed {filed}, drafts "
            f"{self.commitments.get('draft', 0)}, returned {self.commitments.get('returned', 0)}; "
            f"{len(self.sessions)} sessions with {self.invitees} invitees; built in "
            f"{self.seconds:.1f} s"
        )


def shape(members: int) -> tuple[int, int]:
    """(district committees, cells) for this many members."""
    cells = max(2, round(members / PER_CELL))
    committees = max(1, min(COMMITTEES, cells // 10))
    return committees, cells


async def build_city(
    path: Path,
    *,
    members: int = 100_000,
    sessions: int = 300,
    around: date = date(YEAR, 3, 17),
    seed: int = 7,
) -> City:
    """Build the city in a new file at ``path``; sessions start from two days before
    ``around`` to seven days after it."""
    started = time.perf_counter()
    rng = random.Random(seed)
    committees, cells = shape(members)
    clock = FixedClock(TZ, datetime(YEAR, 1, 5, 9, 0, tzinfo=TZ))
    db = Database(path)
    await db.connect()
    try:
        organisation = OrganisationService(db, clock)
        # Units: the city, its districts, their cells and branches ----------------------------
        units = ["code,name,kind,parent_code", "TP,Thành ủy Thử,city_committee,"]
        cell_codes: list[str] = []
        branches: dict[int, list[str]] = {}
        for c in range(committees):
            units.append(f"Q{c},Đảng ủy phường {c},committee,TP")
            branches[c] = [f"Q{c}B{b}" for b in range(BRANCHES)]
            units += [f"Q{c}B{b},Chi hội {c}.{b},mass_org_branch,Q{c}" for b in range(BRANCHES)]
        for k in range(cells):
            code = f"Q{k % committees}C{k // committees}"
            cell_codes.append(code)
            units.append(f"{code},Chi bộ {k % committees}.{k // committees},cell,Q{k % committees}")
        await organisation.import_units("\n".join(units).encode(), actor="bench")
        # Members: the first of each cell heads it ------------------------------------------
        rows = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
        home: list[int] = []  # cell index of each member
        telegram = 0
        for n in range(members):
            cell = n if n < cells else rng.randrange(cells)
            home.append(cell)
            head = n < cells
            draw = rng.random()
            status = "exempt" if draw < 0.02 else "probationary" if draw < 0.07 else "official"
            if head:
                status = "official"
            unit_code = cell_codes[cell]
            if rng.random() < 0.10:
                unit_code += ";" + rng.choice(branches[cell % committees])
            language = rng.choices(("vi", "en", ""), (90, 5, 5))[0]
            tg = ""
            if head or rng.random() < 0.60:
                telegram += 1
                tg = str(1_000_000 + n)
            position = "Bí thư chi bộ" if head else "Chuyên viên"
            rows.append(
                f"M{n:06d},Đảng viên Thử {n},{unit_code},{status},{position},"
                f"{'true' if head else 'false'},{language},{tg}"
            )
        await organisation.import_members("\n".join(rows).encode(), actor="bench")
        campaign = await CampaignService(db, clock).create(
            year=YEAR, topic="Học tập và làm theo tư tưởng, đạo đức, phong cách", actor="bench"
        )
        city = City(path, members, len(units) - 1, cells, telegram, campaign.id)
        async with db.write() as store:
            conn = store.conn
            member_ids = await _codes(conn, "members")
            unit_ids = await _codes(conn, "units")
            ids = [member_ids[f"M{n:06d}"] for n in range(members)]
            in_cell: dict[int, list[int]] = defaultdict(list)
            for n, cell in enumerate(home):
                in_cell[cell].append(n)
            await _roles(conn, rng, ids, in_cell, cell_codes, unit_ids, committees, clock)
            city.commitments = await _commitments(
                conn, rng, ids, home, cell_codes, unit_ids, campaign.id
            )
            city.sessions, city.invitees = await _sessions(
                conn, rng, ids, in_cell, cell_codes, unit_ids, sessions, around, campaign.id
            )
            muting = rng.sample(ids, members // 100)
            await conn.executemany(
                "INSERT INTO reminder_mutes (member_id, kind, muted_at) VALUES (?, ?, ?)",
                [(m, "session.soon", to_db(clock.now())) for m in muting],
            )
    finally:
        await db.close()
    city.seconds = time.perf_counter() - started
    return city


async def _codes(conn, table: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    cursor = await conn.execute(f"SELECT code, id FROM {table}")
    return {code: id_ for code, id_ in await cursor.fetchall()}


async def _roles(conn, rng, ids, in_cell, cell_codes, unit_ids, committees, clock) -> None:  # type: ignore[no-untyped-def]
    now = to_db(clock.now())
    grants: list[tuple[int, str, int]] = []
    for cell, people in in_cell.items():
        unit_id = unit_ids[cell_codes[cell]]
        grants.append((ids[people[0]], "secretary", unit_id))
        if cell % 3 == 0 and len(people) > 1:
            grants.append((ids[people[1]], "deputy", unit_id))
    by_committee: dict[int, list[int]] = defaultdict(list)
    for cell in in_cell:
        by_committee[cell % committees].append(cell)
    for c, its_cells in by_committee.items():
        heads = [ids[in_cell[cell][0]] for cell in its_cells]
        chosen = rng.sample(heads, min(5, len(heads)))
        unit_id = unit_ids[f"Q{c}"]
        for member_id, role in zip(
            chosen, ("secretary", "deputy", "committee", "committee", "committee"), strict=False
        ):
            grants.append((member_id, role, unit_id))
    leaders = rng.sample([ids[people[0]] for people in in_cell.values()], min(7, len(in_cell)))
    for member_id, role in zip(leaders, ("secretary", "deputy", *["committee"] * 5), strict=False):
        grants.append((member_id, role, unit_ids["TP"]))
    await conn.executemany(
        "INSERT INTO roles (member_id, role, unit_id, granted_at) VALUES (?, ?, ?, ?)",
        [(*grant, now) for grant in grants],
    )


async def _commitments(conn, rng, ids, home, cell_codes, unit_ids, campaign_id) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """30% filed (submitted or approved), 5% drafts, 1% returned; the rest nothing yet."""
    submitted_at = datetime(YEAR, 3, 2, 9, 0, tzinfo=UTC)
    returned_at = datetime(YEAR, 3, 10, 3, 0, tzinfo=UTC)
    counts: dict[str, int] = defaultdict(int)
    rows = []
    for n, member_id in enumerate(ids):
        draw = rng.random()
        if draw < 0.30:
            status = "approved" if draw < 0.09 else "submitted"
        elif draw < 0.35:
            status = "draft"
        elif draw < 0.36:
            status = "returned"
        else:
            continue
        counts[status] += 1
        rows.append((member_id, unit_ids[cell_codes[home[n]]], status))
    stamp = to_db(submitted_at)
    await conn.executemany(
        "INSERT INTO commitments (member_id, campaign_id, filed_unit_id, status, last_version, "
        "approved_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                member_id,
                campaign_id,
                unit_id,
                status,
                0 if status == "draft" else 1,
                1 if status == "approved" else None,
                stamp,
                stamp,
            )
            for member_id, unit_id, status in rows
        ],
    )
    # Each submission's version, as the service freezes it (drafts have none).
    await conn.execute(
        "INSERT INTO commitment_versions (commitment_id, number, unit_id, submitted_at, "
        "submitted_on, late, decision, decided_at) "
        "SELECT id, 1, filed_unit_id, ?, ?, 0, "
        "CASE status WHEN 'approved' THEN 'approved' WHEN 'returned' THEN 'returned' "
        "ELSE 'pending' END, CASE WHEN status IN ('approved', 'returned') THEN ? END "
        "FROM commitments WHERE campaign_id = ? AND status != 'draft'",
        (stamp, submitted_at.astimezone(TZ).date().isoformat(), to_db(returned_at), campaign_id),
    )
    return dict(counts)


async def _sessions(  # type: ignore[no-untyped-def]
    conn, rng, ids, in_cell, cell_codes, unit_ids, count, around, campaign_id
) -> tuple[list[int], int]:
    """``count`` sessions of distinct cells from two days before ``around`` to seven after,
    each inviting its cell's members (the branch members of other cells are not invited)."""
    days = [around + timedelta(days=d) for d in range(-2, 8)]
    chosen = rng.sample(sorted(in_cell), min(count, len(in_cell)))
    planned = []
    for cell in chosen:
        day = rng.choice(days)
        at = datetime.combine(day, rng.choice(SESSION_TIMES), tzinfo=TZ)
        kind = "thematic" if rng.random() < 0.2 else "regular"
        planned.append((at, cell, kind))
    planned.sort()
    now = to_db(datetime(YEAR, 3, 1, 1, 0, tzinfo=UTC))
    session_ids: list[int] = []
    invitees = []
    for at, cell, kind in planned:
        cursor = await conn.execute(
            "INSERT INTO sessions (unit_id, kind, topic, campaign_id, starts_at, place, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                unit_ids[cell_codes[cell]],
                kind,
                "Sinh hoạt chi bộ thường kỳ" if kind == "regular" else "Sinh hoạt chuyên đề",
                campaign_id if kind == "thematic" else None,
                to_db(at),
                "Hội trường khu phố",
                now,
                now,
            ),
        )
        session_ids.append(cursor.lastrowid)  # type: ignore[arg-type]
        for n in in_cell[cell]:
            invitees.append((cursor.lastrowid, n, unit_ids[cell_codes[cell]]))
    status = {
        member_id: (name, st)
        for member_id, name, st in await (
            await conn.execute("SELECT id, full_name, status FROM members")
        ).fetchall()
    }
    rows = []
    for session_id, n, unit_id in invitees:
        name, st = status[ids[n]]
        rsvp = "no" if rng.random() < 0.05 else None
        rows.append((session_id, ids[n], unit_id, name, st, rsvp))
    await conn.executemany(
        "INSERT INTO session_invitees (session_id, member_id, unit_id, full_name, status, rsvp) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return session_ids, len(rows)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None, help="keep the city in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.out or Path(folder) / "city.sqlite3"
        if path.exists():
            parser.error(f"{path} exists")
        city = await build_city(path, members=args.members)
        print(city.describe())


if __name__ == "__main__":
    asyncio.run(main())
