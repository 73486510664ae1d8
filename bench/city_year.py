"""A campaign year's records for the invented city of ``city.py`` (``build_city(year=True)``),
as the database stands on 20 December: the year-end review under way.

- **Moves.** 1% of members change cells between April and October (the old primary
  membership end-dated, a new one begun), so records before the move stay with the old cell.
- **Sessions** (city_sessions.py), January to December: each cell's regular monthly meeting
  (3% of months skipped) and a thematic meeting each quarter (10% of quarters skipped; the
  first quarter's on the campaign's topic: the study cascade); the city's online conference
  in February with its bridge points' reports, and the study conferences of two districts in
  three and of every ward in March. Invitees as the service snapshots them (a cell's members
  and those temporarily attached to it; a conference's whole subtree, each member at their
  cell).
  Past sessions are closed (97%), cancelled (1%) or left unclosed; closed ones carry the
  final marks as closing writes them: check-ins (code, button, or reported late and
  confirmed), the secretary's corrections, declined invitations with their reasons; 70% have
  minutes. Each member has a habit of attending (97%, 90% or 60% of the time).
- **Commitments** in every status: none (6%), drafts (3%), returned (2%), submitted and
  pending (5%, some on their second version), a draft revising an approved one (1%), the rest
  approved (some after a return); 12% first submitted after the deadline (late). Each has its
  working copy and its frozen versions with 4 to 9 actions; 65% of the approved have their
  actions self-rated (with evidence for some), three in four of those have the cell's
  proposed grade and 70% of those the decided grade (the ward committee decides).
- **Stories**: 200 through the real story service (the city's board on the holidays, the
  districts' and wards' boards through the year), each queued to its audience in the outbox
  and marked sent; 45% of their recipients pressed "read and learned".
- **Nominations**: one per 250 members, decided or not; the approved good deeds the wards'
  boards made into stories are linked to them.

Rows are written in bulk SQL that follows storage/migrations, except the stories (service).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from city import TZ, YEAR, City, People, Tree

from bot.clock import FixedClock
from bot.rules.stories import Audience, AudienceKind
from bot.services.notifications import NotificationService
from bot.services.registration import RegistrationService
from bot.services.stories import StoryService
from storage import Database
from storage.clock import to_db
from storage.records import Campaign

NOW = datetime(YEAR, 12, 20, 10, 0, tzinfo=TZ)  # the moment the database stands at
CHUNK = 50_000  # rows per executemany, so the generator's own memory stays small
STORIES = 200
ACTIONS = {
    "ideology": (
        "Thường xuyên học tập, quán triệt các nghị quyết, chỉ thị của Đảng",
        "Tham gia đầy đủ các buổi học tập chuyên đề năm {year}",
        "Đọc và tìm hiểu các tác phẩm của Chủ tịch Hồ Chí Minh, mỗi quý ít nhất một tác phẩm",
        "- Tích cực đấu tranh phản bác các quan điểm sai trái, thù địch trên không gian mạng",
    ),
    "ethics": (
        "Giữ gìn lối sống giản dị, trung thực, khiêm tốn",
        "Thực hành tiết kiệm, chống lãng phí trong cơ quan và gia đình",
        "Gần dân, lắng nghe và giải quyết kịp thời ý kiến của nhân dân",
        "Không vi phạm những điều đảng viên không được làm",
    ),
    "discipline": (
        "Sinh hoạt chi bộ đầy đủ, đúng giờ; đóng đảng phí đúng hạn",
        "Chấp hành nghiêm quy chế làm việc và nội quy của cơ quan",
        "Giữ mối liên hệ với chi ủy và nhân dân nơi cư trú",
    ),
    "tasks": (
        "Hoàn thành đúng hạn 100% nhiệm vụ được giao",
        "Rút ngắn thời gian giải quyết hồ sơ hành chính cho người dân",
        "Đề xuất ít nhất một sáng kiến cải tiến lề lối làm việc trong năm {year}",
        "Vận động gia đình và bà con khu vực tham gia phong trào xây dựng đô thị văn minh",
    ),
    "example": (
        "Gương mẫu đi đầu, nói đi đôi với làm trong đơn vị",
        "Nêu gương về đạo đức, lối sống để cán bộ, đảng viên noi theo",
    ),
}
HEADINGS = ("ideology", "ethics", "discipline", "tasks")
EVIDENCE = (
    "Biên bản sinh hoạt chi bộ", "Giấy khen của UBND phường", "Báo cáo kết quả công tác năm",
    "Xác nhận của khu vực", "Sổ theo dõi đảng phí",
)  # fmt: skip
GRADES = (("excellent", 10, 90, 98), ("good", 70, 72, 89), ("fulfilled", 17, 55, 69),
          ("not_fulfilled", 3, 30, 49))  # fmt: skip
GRADE_COMMENTS = {
    "excellent": "Hoàn thành xuất sắc nhiệm vụ, là gương điển hình của chi bộ",
    "good": "Hoàn thành tốt nhiệm vụ được giao",
    "fulfilled": "Hoàn thành nhiệm vụ; cần chủ động hơn trong công việc",
    "not_fulfilled": "Chưa hoàn thành nhiệm vụ; cần khắc phục trong năm tới",
}
HOLIDAYS = ((2, 3), (4, 30), (5, 19), (8, 19), (9, 2), (10, 15), (11, 18), (12, 22))


def when(day: date, at: clock_time = clock_time(9, 0)) -> str:
    return to_db(datetime.combine(day, at, tzinfo=TZ))  # type: ignore[return-value]


def days_of(start: date, end: date, rng: random.Random) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def chunks(rows: list) -> Iterator[list]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


class Year:
    """Everything the parts share: the roster, the tree and who holds which role."""

    def __init__(self, tree: Tree, people: People, unit_ids: dict[str, int], rng) -> None:  # type: ignore[no-untyped-def]
        self.tree, self.people, self.rng = tree, people, rng
        self.cell_ids = [unit_ids[code] for code in tree.cells]
        self.ward_ids = [unit_ids[code] for code in tree.wards]
        self.district_ids = [unit_ids[f"Q{d}"] for d in range(tree.districts)]
        self.city_id = unit_ids["TP"]
        self.index = {member_id: n for n, member_id in enumerate(people.ids)}
        self.moves: dict[int, tuple[int, date]] = {}  # member number → (new cell, from)
        self.habit = [rng.choices((0.97, 0.90, 0.60), (60, 30, 10))[0] for _ in people.ids]
        self.secretary: dict[int, int] = {}  # unit id → member number of its secretary
        self.boards: dict[int, int] = {}  # unit id → member number on its propaganda board

    def cell_on(self, n: int, day: date) -> int:
        moved = self.moves.get(n)
        return moved[0] if moved and day >= moved[1] else self.people.home[n]

    def head_of(self, cell: int) -> int:
        return cell  # member n heads cell n (city.py imports the heads first)

    def decider(self, cell: int) -> int:
        """Who decides for a cell's members: its ward's secretary, else its district's."""
        ward = self.tree.ward[cell]
        unit = self.ward_ids[ward] if ward is not None else self.district_ids[0]
        return self.secretary.get(unit, self.head_of(cell))


async def add_year(  # type: ignore[no-untyped-def]
    db: Database,
    clock: FixedClock,
    city: City,
    campaign: Campaign,
    tree,
    people,
    unit_ids,
    rng,
    stories: int = STORIES,
) -> None:
    from city_sessions import add_sessions  # it builds on this module's Year

    year = Year(tree, people, unit_ids, rng)
    async with db.read() as store:
        cursor = await store.conn.execute("SELECT member_id, role, unit_id FROM roles")
        for member_id, role, unit_id in await cursor.fetchall():
            if role == "secretary":
                year.secretary.setdefault(unit_id, year.index[member_id])
            elif role == "propaganda":
                year.boards.setdefault(unit_id, year.index[member_id])
    async with db.write() as store:
        conn = store.conn
        await _moves(conn, year)
        sessions, invitees = await add_sessions(conn, year, campaign)
        city.commitments = await _commitments(conn, year, campaign)
    sent = await _stories(db, clock, year, stories)
    async with db.write() as store:
        reads = await _deliveries(store.conn, year)
        nominations = await _nominations(store.conn, year, sent)
    city.sessions, city.invitees = [], invitees
    city.year = {
        "sessions": sessions,
        "moved": len(year.moves),
        "stories": len(sent),
        "reads": reads,
        "nominations": nominations,
    }


# Moves ------------------------------------------------------------------------------------------


async def _moves(conn, year: Year) -> None:  # type: ignore[no-untyped-def]
    people, rng, cells = year.people, year.rng, len(year.tree.cells)
    if cells < 2:
        return
    candidates = [n for n in range(cells, len(people.ids)) if people.statuses[n] != "temporary"]
    for n in rng.sample(candidates, min(len(candidates), len(people.ids) // 100)):
        home = people.home[n]
        wards = len(year.tree.wards)  # cell k sits in ward k % wards (city.four_levels)
        same = [c for c in range(home % wards, cells, wards) if c != home] if wards else []
        new = rng.choice(same) if same and rng.random() < 0.5 else rng.randrange(cells)
        if new != home:
            year.moves[n] = (new, days_of(date(YEAR, 4, 1), date(YEAR, 10, 31), rng))
    moves = sorted(year.moves.items())
    await conn.executemany(
        "UPDATE memberships SET ended_on = ? WHERE member_id = ? AND unit_id = ? "
        "AND ended_on IS NULL",
        [(day.isoformat(), people.ids[n], year.cell_ids[people.home[n]]) for n, (_, day) in moves],
    )
    await conn.executemany(
        "INSERT INTO memberships (member_id, unit_id, is_primary, started_on) VALUES (?, ?, 1, ?)",
        [(people.ids[n], year.cell_ids[new], day.isoformat()) for n, (new, day) in moves],
    )


# Commitments ------------------------------------------------------------------------------------


def _status(rng: random.Random) -> tuple[str, list[str]]:
    """The commitment's status and its versions' decisions, first first."""
    draw = rng.random()
    if draw < 0.06:
        return "none", []
    if draw < 0.09:
        return "draft", []
    if draw < 0.11:
        return "returned", ["returned"]
    if draw < 0.16:
        return "submitted", ["pending"] if rng.random() < 0.7 else ["returned", "pending"]
    if draw < 0.17:
        return "draft", ["approved"]  # revising an approved commitment
    return "approved", ["approved"] if rng.random() < 0.85 else ["returned", "approved"]


def _actions(rng: random.Random, head: bool) -> list[tuple[str, int, str, str | None]]:
    """(heading, position, text, target date) of a working copy."""
    actions = []
    for heading in (*HEADINGS, "example") if head else HEADINGS:
        for _ in range(1 if rng.random() < 0.7 else 2):
            text = rng.choice(ACTIONS[heading]).format(year=YEAR)
            target = None
            if rng.random() < 0.4:
                target = date(YEAR, rng.choice((6, 9, 12)), 30).isoformat()
            actions.append((heading, len(actions) + 1, text, target))
    return actions


async def _commitments(conn, year: Year, campaign: Campaign) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rng, people = year.rng, year.people
    deadline = campaign.commit_deadline
    counts: dict[str, int] = defaultdict(int)
    commitments, working, versions, frozen, proposals, grades = [], [], [], [], [], []
    version_id = proposal_id = grade_id = 0
    for n, member_id in enumerate(people.ids):
        if people.statuses[n] == "exempt":
            continue
        status, decisions = _status(rng)
        counts[status] += 1
        if status == "none":
            continue
        commitment_id = len(commitments) + 1
        head = n < len(year.tree.cells)
        started = days_of(date(YEAR, 1, 20), date(YEAR, 3, 20), rng)
        submitted = started + timedelta(days=rng.randint(3, 20))
        if rng.random() < 0.12:
            submitted = days_of(deadline + timedelta(days=1), date(YEAR, 6, 30), rng)
        cell = year.cell_on(n, started)
        decider = year.decider(cell) if head else year.head_of(cell)
        actions = _actions(rng, head)
        working += [(commitment_id, *action) for action in actions]
        approved_version = None
        rated_all = None
        day = submitted
        for number, decision in enumerate(decisions, start=1):
            version_id += 1
            decided_day = day + timedelta(days=rng.randint(2, 6))
            decided = when(decided_day, clock_time(15, 0)) if decision != "pending" else None
            latest = number == len(decisions) and status != "draft"  # a draft adds one more
            shown = actions if latest else actions[:-1] or actions
            versions.append(
                (version_id, commitment_id, number, year.cell_ids[year.cell_on(n, day)],
                 when(day, clock_time(20, 0)), day.isoformat(), int(day > deadline), decision,
                 people.ids[decider] if decided else None,
                 people.names[decider] if decided else None, decided,
                 "Đề nghị bổ sung nội dung cụ thể, có thời hạn" if decision == "returned" else None)
            )  # fmt: skip
            rates = decision == "approved" and rng.random() < 0.65
            if rates:
                approved_version, rated_all = number, when(date(YEAR, 12, rng.randint(1, 15)))
            elif decision == "approved":
                approved_version = number
            for heading, position, text, target in shown:
                rating = evidence = None
                if rates:
                    rating = rng.choices(("done", "partly", "not_done"), (80, 15, 5))[0]
                    evidence = rng.choice(EVIDENCE) if rng.random() < 0.3 else None
                frozen.append((version_id, heading, position, text, target, rating, evidence,
                               rated_all if rating else None))  # fmt: skip
            day = decided_day + timedelta(days=rng.randint(3, 10))
        grade = points = comment = graded_by = graded_at = None
        proposal = decided_proposal = 0
        if rated_all and rng.random() < 0.75:
            grade, _, low, high = rng.choices(GRADES, [g[1] for g in GRADES])[0]
            points, comment = rng.randint(low, high), GRADE_COMMENTS[grade]
            proposal_id += 1
            proposal = 1
            proposals.append((proposal_id, commitment_id, 1, year.cell_ids[cell], grade, points,
                              comment, people.ids[decider], people.names[decider],
                              when(date(YEAR, 12, 16))))  # fmt: skip
            if rng.random() < 0.70:
                grade_id += 1
                ward = year.tree.ward[cell]
                deciding = year.ward_ids[ward] if ward is not None else year.cell_ids[cell]
                chair = year.decider(cell)
                graded_by, graded_at = people.ids[chair], when(date(YEAR, 12, 19))
                decided_proposal = 1
                grades.append((grade_id, commitment_id, 1, grade, points, comment, graded_by,
                               people.names[chair], graded_at, proposal_id, deciding))  # fmt: skip
            else:
                grade = points = comment = None
        last = len(decisions)
        commitments.append(
            (commitment_id, member_id, campaign.id, year.cell_ids[cell], status, last,
             approved_version, int(bool(decisions) and submitted > deadline), rated_all, grade,
             points, comment, graded_by, graded_at, when(started), when(NOW.date()),
             1 if graded_by else 0, proposal, decided_proposal)
        )  # fmt: skip
    await conn.executemany(
        "INSERT INTO commitments (id, member_id, campaign_id, filed_unit_id, status, "
        "last_version, approved_version, late, self_review_at, grade, points, grade_comment, "
        "graded_by, graded_at, created_at, updated_at, grade_revision, proposal_revision, "
        "decided_proposal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        commitments,
    )
    for part in chunks(working):
        await conn.executemany(
            "INSERT INTO commitment_actions (commitment_id, heading, position, text, target_date) "
            "VALUES (?, ?, ?, ?, ?)",
            part,
        )
    await conn.executemany(
        "INSERT INTO commitment_versions (id, commitment_id, number, unit_id, submitted_at, "
        "submitted_on, late, decision, decided_by, decided_by_name, decided_at, comment) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        versions,
    )
    for part in chunks(frozen):
        await conn.executemany(
            "INSERT INTO commitment_version_actions (version_id, heading, position, text, "
            "target_date, self_rating, evidence, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            part,
        )
    await conn.executemany(
        "INSERT INTO grade_proposals (id, commitment_id, revision, unit_id, grade, points, "
        "comment, proposed_by, proposed_by_name, proposed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        proposals,
    )
    await conn.executemany(
        "INSERT INTO commitment_grades (id, commitment_id, revision, grade, points, comment, "
        "graded_by, graded_by_name, graded_at, proposal_id, decided_unit_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        grades,
    )
    counts["versions"], counts["graded"] = version_id, grade_id
    return dict(counts)


# Stories, deliveries and nominations ------------------------------------------------------------


def _body(rng: random.Random, title: str) -> str:
    parts = [
        f"<b>{title}</b>",
        "Thực hiện kế hoạch học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
        f"năm {YEAR}, các chi bộ đã tổ chức nhiều hoạt động thiết thực.",
    ]
    for _ in range(rng.randint(2, 8)):
        parts.append(
            "Đồng chí bí thư chi bộ cùng các đảng viên trong khu vực thường xuyên đến thăm hỏi, "
            "động viên các hộ gia đình khó khăn, vận động bà con giữ gìn vệ sinh môi trường, "
            "xây dựng khu dân cư văn hóa."
        )
    parts.append("<i>Ban Tuyên giáo và Dân vận</i>")
    return "\n\n".join(parts)


async def _stories(
    db: Database, clock: FixedClock, year: Year, count: int
) -> list[tuple[int, int, str]]:
    """``count`` stories sent through the service by the boards; (story id, unit id, tag)."""
    rng, people = year.rng, year.people
    service = StoryService(db, clock, NotificationService(clock))
    registration = RegistrationService(db, clock, NotificationService(clock), [])
    plans: list[tuple[datetime, int, str, Audience]] = []
    for month, day in HOLIDAYS[:count]:  # the city's board, to everyone
        plans.append((datetime(YEAR, month, day, 7, 0, tzinfo=TZ) - timedelta(days=2),
                      year.city_id, "holiday", Audience()))  # fmt: skip
    districts = [u for u in year.district_ids if u in year.boards]
    wards = [u for u in year.ward_ids if u in year.boards]
    while len(plans) < count:
        at = datetime.combine(
            days_of(date(YEAR, 1, 10), date(YEAR, 12, 15), rng), clock_time(8, 0), tzinfo=TZ
        )
        if districts and (rng.random() < 0.2 or not wards):
            unit = rng.choice(districts)
            below = [
                year.ward_ids[w]
                for w, d in enumerate(year.tree.ward_district)
                if year.district_ids[d] == unit
            ]
            audience = rng.choice(
                (Audience(), Audience(AudienceKind.ROLE, role="secretary"),
                 Audience(AudienceKind.UNITS, tuple(below[:2])) if below else Audience())
            )  # fmt: skip
            plans.append((at, unit, rng.choice(("model", "study")), audience))
        elif wards:
            plans.append((at, rng.choice(wards), rng.choice(("model", "good_deed")), Audience()))
        else:
            break
    sent = []
    for number, (at, unit_id, tag, audience) in enumerate(sorted(plans, key=lambda p: p[0]), 1):
        clock.moment = at
        actor = await registration.identify(people.telegram[year.boards[unit_id]])  # type: ignore[arg-type]
        title = f"Kỷ niệm ngày {at:%d/%m}" if tag == "holiday" else f"Gương sáng số {number}"
        story = await service.create_draft(
            actor, unit_id=unit_id, title=title, body=_body(rng, title), tag=tag,
            audience=audience, photo="AgACAgUAAxkBAAIBench" if rng.random() < 0.2 else None,
        )  # fmt: skip
        await service.send_now(actor, story.id)
        sent.append((story.id, unit_id, tag))
    return sent


async def _deliveries(conn, year: Year) -> int:  # type: ignore[no-untyped-def]
    """Every story copy sent; 45% of recipients read it (more of the cells' heads)."""
    await conn.execute(
        "UPDATE outbox SET status = 'sent', attempts = 1, claimed_at = not_before, "
        "sent_at = not_before, message_id = id WHERE kind = 'story' AND status = 'queued'"
    )
    await conn.execute(
        "UPDATE outbox_batches SET finished_at = (SELECT MAX(o.sent_at) FROM outbox o "
        "WHERE o.batch_id = outbox_batches.id) WHERE kind = 'story'"
    )
    cursor = await conn.execute(
        "SELECT s.id, o.member_id, o.sent_at FROM stories s "
        "JOIN outbox o ON o.batch_id = s.batch_id WHERE o.member_id IS NOT NULL ORDER BY s.id, o.id"
    )
    rng, cells, reads = year.rng, len(year.tree.cells), []
    later: dict[str, list[str]] = {}
    for story_id, member_id, sent_at in await cursor.fetchall():
        if rng.random() < (0.8 if year.index[member_id] < cells else 0.45):
            if sent_at not in later:
                start = datetime.fromisoformat(sent_at)
                later[sent_at] = [to_db(start + timedelta(minutes=7 * k**2)) for k in range(1, 25)]
            reads.append((story_id, member_id, rng.choice(later[sent_at])))
    for part in chunks(reads):
        await conn.executemany(
            "INSERT INTO story_reads (story_id, member_id, read_at) VALUES (?, ?, ?)", part
        )
    return len(reads)


async def _nominations(conn, year: Year, stories: list[tuple[int, int, str]]) -> int:  # type: ignore[no-untyped-def]
    """One nomination per 250 members; each ward's good-deed story came from one of them."""
    rng, people = year.rng, year.people
    ward_cells: dict[int, list[int]] = defaultdict(list)
    for cell, ward in enumerate(year.tree.ward):
        if ward is not None:
            ward_cells[year.ward_ids[ward]].append(cell)
    on_telegram = [n for n, tg in enumerate(people.telegram) if tg is not None]
    rows = []
    for story_id, unit_id, tag in stories:
        if tag == "good_deed" and unit_id in ward_cells:
            rows.append(_nomination(year, rng.choice(ward_cells[unit_id]), unit_id, story_id))
    for _ in range(max(3, len(people.ids) // 250 - len(rows))):
        n = rng.choice(on_telegram)
        cell = people.home[n]
        ward = year.tree.ward[cell]
        where = year.ward_ids[ward] if ward is not None and rng.random() < 0.3 else None
        rows.append(_nomination(year, cell, where, None, by=n))
    await conn.executemany(
        "INSERT INTO nominations (nominee, nominee_info, deed, unit_id, nominated_by, status, "
        "reason, decided_by, decided_by_name, decided_at, story_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _nomination(year: Year, cell: int, unit_id: int | None, story_id: int | None,
                by: int | None = None) -> tuple:  # fmt: skip
    rng, people = year.rng, year.people
    unit_id = unit_id or year.cell_ids[cell]
    nominee = people.names[rng.randrange(len(people.ids))]
    created = days_of(date(YEAR, 1, 5), date(YEAR, 12, 18), rng)
    status = "approved"
    if story_id is None:
        status = rng.choices(("approved", "rejected", "submitted"), (5, 2, 3))[0]
    board = year.boards.get(unit_id, year.head_of(cell))
    decided = status != "submitted"
    return (
        nominee, "Khu vực " + year.tree.cells[cell], "Giúp đỡ hộ nghèo sửa chữa nhà ở, vận "
        "động bà con hiến đất làm đường", unit_id, people.ids[by if by is not None else cell],
        status, "Chưa có xác nhận của khu vực" if status == "rejected" else None,
        people.ids[board] if decided else None, people.names[board] if decided else None,
        when(created + timedelta(days=3)) if decided else None, story_id, when(created),
    )  # fmt: skip
