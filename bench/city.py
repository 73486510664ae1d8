"""An invented city for benchmarks: its units, members, roles, a campaign, commitments and
sessions, written into a fresh SQLite file. Imported by the benchmarks (``from city import
build_city``); run alone, it builds a city in a file and says how long that took.
``bench/generate.py`` is the command line for the whole year's records (``year=True``).

Two shapes, for MEMBERS members (100,000 by default):
  - three levels (the reminder benchmark's, ``units=None``): a city committee, up to 15
    district committees, about one cell per 67 members below them (1,493 cells for 100,000),
    and two mass-organisation branches per district: 1,539 units;
  - four levels (``units=N``): the city, up to 15 districts, six grassroots (ward)
    committees per district, the cells below the wards (the rest of the N units) and two
    branches per district; cells of uneven sizes, members with Vietnamese names.
In both, the roster is imported through the real service (``cadrebot members import``):
60% with a Telegram id, 2% exempt, 5% probationary (four levels: 1% temporarily attached to a
second cell too); every cell's first member is its head and secretary, every third cell has a
deputy; 10% of members also belong to a branch. Roles on the committees (secretary, deputy,
committee members) and cells, the campaign of YEAR through the real service (commitments due
31/03). Then either (``year=False``) in bulk SQL that follows the schema: commitments (30%
submitted or approved, 5% drafts, 1% returned), SESSIONS sessions of cells spread over the
days around a given day with the cell's members invited (5% declined), and 1% of members
muting the 24-hour session notice; or (``year=True``) the twelve months of
``bench/city_year.py``.

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
WARDS = 6  # grassroots committees per district, in the four-level city
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
DISTRICT_NAMES = (
    "Ninh Kiều", "Bình Thủy", "Cái Răng", "Ô Môn", "Thốt Nốt", "Phong Điền", "Cờ Đỏ",
    "Vĩnh Thạnh", "Thới Lai", "Long Mỹ", "Vị Thanh", "Châu Thành", "Phụng Hiệp", "Ngã Bảy",
    "Tân Hiệp",
)  # fmt: skip
WARD_NAMES = (
    "An Hòa", "An Khánh", "Cái Khế", "Hưng Lợi", "Tân An", "Xuân Khánh", "An Bình",
    "Long Hòa", "Trà Nóc", "Thới An Đông", "Lê Bình", "Phú Thứ", "Tân Phú", "Ba Láng",
    "Châu Văn Liêm", "Thới Long", "Trung Nhứt", "Tân Lộc", "Nhơn Ái", "Mỹ Khánh",
)  # fmt: skip
FAMILY = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Huỳnh", 5), ("Hoàng", 3),
    ("Phan", 4), ("Võ", 4), ("Vũ", 2), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
    ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Trương", 1), ("Đinh", 1), ("Lâm", 1),
)  # fmt: skip
MIDDLE = (
    "Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Hoàng", "Đức", "Thị Thu",
    "Thị Kim", "Văn Hoàng", "Thị Ngọc", "Công", "Xuân", "Kim", "Bảo", "Thành",
)  # fmt: skip
GIVEN = (
    "An", "Bình", "Châu", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
    "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Nhung", "Phúc",
    "Phương", "Quang", "Quyên", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn",
    "Vân", "Việt", "Yến", "Bích", "Đạt", "Khoa", "Lộc", "Nghĩa", "Tài", "Thủy", "Tú",
)  # fmt: skip
POSITIONS = (
    "Chuyên viên", "Công chức", "Viên chức", "Giáo viên", "Bác sĩ", "Kỹ sư", "Cán bộ hưu trí",
    "Trưởng khu vực", "Kế toán", "Công nhân", "Chiến sĩ công an", "Tiểu thương",
)  # fmt: skip
WORK_UNITS = (
    "UBND phường", "Trường THCS", "Trạm y tế phường", "Công an phường", "Ban quản lý chợ",
    "Trường Tiểu học", "Hợp tác xã", "", "",
)  # fmt: skip


@dataclass
class Tree:
    """The units as imported, and where each cell sits."""

    rows: list[str]  # the units' CSV, header first
    cells: list[str]  # cell codes, by cell index
    district: list[int]  # each cell's district committee
    ward: list[int | None]  # each cell's grassroots committee (an index into wards), if any
    wards: list[str] = field(default_factory=list)
    ward_district: list[int] = field(default_factory=list)
    branches: dict[int, list[str]] = field(default_factory=dict)
    districts: int = 0


@dataclass
class People:
    """The roster as built, by member number (``M{n:06d}``); ids once imported."""

    names: list[str]
    statuses: list[str]
    home: list[int]  # each member's cell (their primary unit at the import)
    telegram: list[int | None]
    extra_cell: dict[int, int] = field(default_factory=dict)  # temporarily attached there
    ids: list[int] = field(default_factory=list)


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
    year: dict[str, int] = field(default_factory=dict)  # the year's records, when built

    def describe(self) -> str:
        filed = self.commitments.get("submitted", 0) + self.commitments.get("approved", 0)
        sessions = len(self.sessions) or self.year.get("sessions", 0)
        text = (
            f"{self.members} members ({self.with_telegram} with Telegram) in {self.units} units "
            f"({self.cells} cells); commitments filed {filed}, drafts "
            f"{self.commitments.get('draft', 0)}, returned {self.commitments.get('returned', 0)}; "
            f"{sessions} sessions with {self.invitees} invitees"
        )
        if self.year:
            text += "; " + ", ".join(f"{key} {value}" for key, value in self.year.items())
        return text + f"; built in {self.seconds:.1f} s"


def shape(members: int) -> tuple[int, int]:
    """(district committees, cells) for this many members, in the three-level city."""
    cells = max(2, round(members / PER_CELL))
    committees = max(1, min(COMMITTEES, cells // 10))
    return committees, cells


def three_levels(members: int) -> Tree:
    committees, cells = shape(members)
    rows = ["code,name,kind,parent_code", "TP,Thành ủy Thử,city_committee,"]
    tree = Tree(rows, [], [], [], districts=committees)
    for c in range(committees):
        rows.append(f"Q{c},Đảng ủy phường {c},committee,TP")
        tree.branches[c] = [f"Q{c}B{b}" for b in range(BRANCHES)]
        rows += [f"Q{c}B{b},Chi hội {c}.{b},mass_org_branch,Q{c}" for b in range(BRANCHES)]
    for k in range(cells):
        code = f"Q{k % committees}C{k // committees}"
        tree.cells.append(code)
        tree.district.append(k % committees)
        tree.ward.append(None)
        rows.append(f"{code},Chi bộ {k % committees}.{k // committees},cell,Q{k % committees}")
    return tree


def four_levels(units: int) -> Tree:
    """city → districts → wards (grassroots committees) → cells, and branches: ``units``
    units in all (at least 5)."""
    districts = max(1, min(COMMITTEES, units // 100))
    wards = max(1, min(WARDS, (units - 1 - districts) // (districts * 12)))
    branches = BRANCHES if units >= 200 else 0
    cells = max(districts * wards, units - 1 - districts * (1 + wards + branches))
    rows = ["code,name,kind,parent_code", "TP,Thành ủy Cần Thơ,city_committee,"]
    tree = Tree(rows, [], [], [], districts=districts)
    for d in range(districts):
        place = DISTRICT_NAMES[d % len(DISTRICT_NAMES)]
        rows.append(f"Q{d},Quận ủy {place},committee,TP")
        tree.branches[d] = [f"Q{d}B{b}" for b in range(branches)]
        rows += [f"Q{d}B{b},Chi hội Cựu chiến binh {place} {b + 1},mass_org_branch,Q{d}"
                 for b in range(branches)]  # fmt: skip
        for w in range(wards):
            tree.wards.append(f"Q{d}P{w}")
            tree.ward_district.append(d)
            ward_name = WARD_NAMES[(d * wards + w) % len(WARD_NAMES)]
            rows.append(f"Q{d}P{w},Đảng ủy phường {ward_name},grassroots_committee,Q{d}")
    per_ward = [0] * len(tree.wards)
    for k in range(cells):
        w = k % len(tree.wards)
        per_ward[w] += 1
        code = f"{tree.wards[w]}C{per_ward[w]}"
        tree.cells.append(code)
        tree.district.append(tree.ward_district[w])
        tree.ward.append(w)
        rows.append(f"{code},Chi bộ khu vực {per_ward[w]},cell,{tree.wards[w]}")
    return tree


async def build_city(
    path: Path,
    *,
    members: int = 100_000,
    units: int | None = None,
    sessions: int = 300,
    around: date = date(YEAR, 3, 17),
    seed: int = 7,
    year: bool = False,
    stories: int = 200,
) -> City:
    """Build the city in a new file at ``path``: three levels when ``units`` is None, else
    four levels with that many units. Without ``year``, ``sessions`` sessions start from two
    days before ``around`` to seven days after it; with it, the year's records instead
    (with ``stories`` stories)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    tree = three_levels(members) if units is None else four_levels(units)
    realistic = units is not None
    clock = FixedClock(TZ, datetime(YEAR, 1, 5, 9, 0, tzinfo=TZ))
    db = Database(path)
    await db.connect()
    try:
        organisation = OrganisationService(db, clock)
        await organisation.import_units("\n".join(tree.rows).encode(), actor="bench")
        people, rows = _roster(rng, tree, members, realistic)
        await organisation.import_members("\n".join(rows).encode(), actor="bench")
        campaign = await CampaignService(db, clock).create(
            year=YEAR, topic="Học tập và làm theo tư tưởng, đạo đức, phong cách", actor="bench"
        )
        city = City(
            path,
            members,
            len(tree.rows) - 1,
            len(tree.cells),
            sum(t is not None for t in people.telegram),
            campaign.id,
        )
        async with db.write() as store:
            conn = store.conn
            member_ids = await _codes(conn, "members")
            unit_ids = await _codes(conn, "units")
            people.ids = [member_ids[f"M{n:06d}"] for n in range(members)]
            ids = people.ids
            in_cell: dict[int, list[int]] = defaultdict(list)
            for n, cell in enumerate(people.home):
                in_cell[cell].append(n)
            await _roles(conn, rng, ids, in_cell, tree, unit_ids, clock)
            if not year:
                city.commitments = await _commitments(
                    conn, rng, ids, people.home, tree.cells, unit_ids, campaign.id
                )
                city.sessions, city.invitees = await _sessions(
                    conn, rng, ids, in_cell, tree.cells, unit_ids, sessions, around, campaign.id
                )
            muting = rng.sample(ids, members // 100)
            await conn.executemany(
                "INSERT INTO reminder_mutes (member_id, kind, muted_at) VALUES (?, ?, ?)",
                [(m, "session.soon", to_db(clock.now())) for m in muting],
            )
        if year:
            from city_year import add_year  # the year's records: only generate.py needs them

            await add_year(db, clock, city, campaign, tree, people, unit_ids, rng, stories)
    finally:
        await db.close()
    city.seconds = time.perf_counter() - started
    return city


def _roster(
    rng: random.Random, tree: Tree, members: int, realistic: bool
) -> tuple[People, list[str]]:
    """The roster's CSV; the first member of each cell heads it. ``realistic``: Vietnamese
    names, cells of uneven sizes, a work unit, and some members temporarily attached."""
    cells = len(tree.cells)
    rows = ["code,full_name,unit_code,status,position,is_head,language,telegram_id,work_unit"]
    people = People([], [], [], [])
    if realistic:
        weights = [rng.lognormvariate(0, 0.5) for _ in range(cells)]
        total, cumulative = 0.0, []
        for weight in weights:
            total += weight
            cumulative.append(total)
        rest = rng.choices(range(cells), cum_weights=cumulative, k=max(0, members - cells))
        families, family_weights = zip(*FAMILY, strict=True)
    for n in range(members):
        if realistic:
            cell = n if n < cells else rest[n - cells]
        else:
            cell = n if n < cells else rng.randrange(cells)
        people.home.append(cell)
        head = n < cells
        draw = rng.random()
        status = "exempt" if draw < 0.02 else "probationary" if draw < 0.07 else "official"
        if realistic and 0.07 <= draw < 0.08 and cells > 1:
            status = "temporary"
        if head:
            status = "official"
        unit_code = tree.cells[cell]
        if status == "temporary":  # attends a second cell of the same district for a while
            other = rng.randrange(cells)
            if other != cell:
                people.extra_cell[n] = other
                unit_code += ";" + tree.cells[other]
        branches = tree.branches.get(tree.district[cell], [])
        if rng.random() < 0.10 and branches:
            unit_code += ";" + rng.choice(branches)
        language = rng.choices(("vi", "en", ""), (90, 5, 5))[0]
        tg = ""
        if head or rng.random() < 0.60:
            tg = str(1_000_000 + n)
        people.telegram.append(int(tg) if tg else None)
        work_unit = ""
        if realistic:
            name = " ".join(
                (
                    rng.choices(families, family_weights)[0],
                    rng.choice(MIDDLE),
                    rng.choice(GIVEN),
                )
            )
            position = "Bí thư chi bộ" if head else rng.choice(POSITIONS)
            work_unit = rng.choice(WORK_UNITS)
        else:
            name = f"Đảng viên Thử {n}"
            position = "Bí thư chi bộ" if head else "Chuyên viên"
        people.names.append(name)
        people.statuses.append(status)
        rows.append(
            f"M{n:06d},{name},{unit_code},{status},{position},"
            f"{'true' if head else 'false'},{language},{tg},{work_unit}"
        )
    return people, rows


async def _codes(conn, table: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    cursor = await conn.execute(f"SELECT code, id FROM {table}")
    return {code: id_ for code, id_ in await cursor.fetchall()}


async def _roles(conn, rng, ids, in_cell, tree: Tree, unit_ids, clock) -> None:  # type: ignore[no-untyped-def]
    """A secretary on every cell, a deputy on every third; five leaders on each committee
    chosen among its cells' heads; the propaganda board's member on each committee."""
    now = to_db(clock.now())
    grants: list[tuple[int, str, int]] = []
    for cell, people in in_cell.items():
        unit_id = unit_ids[tree.cells[cell]]
        grants.append((ids[people[0]], "secretary", unit_id))
        if cell % 3 == 0 and len(people) > 1:
            grants.append((ids[people[1]], "deputy", unit_id))
    leading = ("secretary", "deputy", "committee", "committee", "committee")
    by_committee: dict[int, list[int]] = defaultdict(list)
    for cell in in_cell:
        by_committee[tree.district[cell]].append(cell)
    for c, its_cells in by_committee.items():
        heads = [ids[in_cell[cell][0]] for cell in its_cells]
        chosen = rng.sample(heads, min(5, len(heads)))
        unit_id = unit_ids[f"Q{c}"]
        for member_id, role in zip(chosen, leading, strict=False):
            grants.append((member_id, role, unit_id))
    by_ward: dict[int, list[int]] = defaultdict(list)
    for cell in in_cell:
        if tree.ward[cell] is not None:
            by_ward[tree.ward[cell]].append(cell)
    for w, its_cells in sorted(by_ward.items()):
        heads = [ids[in_cell[cell][0]] for cell in its_cells]
        chosen = rng.sample(heads, min(5, len(heads)))
        unit_id = unit_ids[tree.wards[w]]
        for member_id, role in zip(chosen, leading, strict=False):
            grants.append((member_id, role, unit_id))
        grants.append((chosen[-1], "propaganda", unit_id))
    leaders = rng.sample([ids[people[0]] for people in in_cell.values()], min(7, len(in_cell)))
    for member_id, role in zip(leaders, ("secretary", "deputy", *["committee"] * 5), strict=False):
        grants.append((member_id, role, unit_ids["TP"]))
    if tree.wards:  # the boards that write the year's stories: the city's and the districts'
        grants.append((leaders[-1], "propaganda", unit_ids["TP"]))
        for c, its_cells in by_committee.items():
            grants.append((ids[in_cell[its_cells[-1]][0]], "propaganda", unit_ids[f"Q{c}"]))
    await conn.executemany(
        "INSERT OR IGNORE INTO roles (member_id, role, unit_id, granted_at) VALUES (?, ?, ?, ?)",
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
