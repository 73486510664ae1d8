"""The year's sessions of the invented city (``city_year.add_year``): each cell's monthly and
quarterly meetings, the study conferences, their invitees with attendance as closing writes
it, minutes and the bridge points' reports. See city_year.py for the shape."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta

from city import SESSION_TIMES, TZ, YEAR
from city_year import CHUNK, NOW, Year, days_of, when

from storage.clock import to_db
from storage.records import Campaign

REASONS = (
    "Đi công tác", "Ốm, có giấy của trạm y tế", "Việc gia đình", "Nghỉ phép năm",
    "Trực cơ quan", "Đi học lớp bồi dưỡng", "Con nhỏ ốm",
)  # fmt: skip


# Sessions ---------------------------------------------------------------------------------------


def _plan(year: Year, campaign: Campaign) -> list[tuple]:
    """(start, unit id, kind, topic, campaign id, cell or None, subtree cells or None)."""
    rng, tree = year.rng, year.tree
    planned: list[tuple] = []
    for cell, unit_id in enumerate(year.cell_ids):
        for month in range(1, 13):
            if rng.random() < 0.97:
                day = date(YEAR, month, rng.randint(1, 28))
                topic = f"Sinh hoạt chi bộ thường kỳ tháng {month}/{YEAR}"
                planned.append((day, unit_id, "regular", topic, None, cell, None))
        for quarter in range(1, 5):
            if rng.random() < 0.90:
                first = date(YEAR, quarter * 3 - 2, 1)
                day = days_of(first, first + timedelta(days=85), rng)
                on_topic = quarter == 1 or rng.random() < 0.25
                topic = f"Sinh hoạt chuyên đề quý {quarter}: {campaign.topic}"
                planned.append(
                    (day, unit_id, "thematic", topic, campaign.id if on_topic else None, cell, None)
                )
    every = list(range(len(year.cell_ids)))
    topic = f"Hội nghị trực tuyến quán triệt chuyên đề năm {YEAR}"
    planned.append((date(YEAR, 2, 20), year.city_id, "conference", topic, campaign.id, None, every))
    for d, unit_id in enumerate(year.district_ids):
        if d % 3 != 2:  # a third of the districts have not held theirs: the cascade lags
            cells = [c for c in every if tree.district[c] == d]
            day = date(YEAR, 3, 5 + d % 15)
            planned.append((day, unit_id, "conference", topic, campaign.id, None, cells))
    for w, unit_id in enumerate(year.ward_ids):
        cells = [c for c in every if tree.ward[c] == w]
        day = date(YEAR, 3, 12 + w % 15)
        planned.append((day, unit_id, "conference", topic, campaign.id, None, cells))
    return planned


async def add_sessions(conn, year: Year, campaign: Campaign) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The year's sessions and their invitees, with attendance; (sessions, invitees)."""
    rng, people = year.rng, year.people
    planned = _plan(year, campaign)
    members_of: dict[int, list[int]] = defaultdict(list)  # cell → member numbers, any time
    for n, cell in enumerate(people.home):
        members_of[cell].append(n)
    for n, (new, _) in year.moves.items():
        members_of[new].append(n)
    for n, cell in people.extra_cell.items():
        members_of[cell].append(n)
    cursor = await conn.execute("SELECT COALESCE(MAX(id), 0) FROM sessions")
    next_id = (await cursor.fetchone())[0] + 1
    sessions, invitees, minutes, bridges = [], [], [], []
    total = 0
    planned.sort(key=lambda plan: plan[0])
    for day, unit_id, kind, topic, campaign_id, cell, subtree in planned:
        at = datetime.combine(day, rng.choice(SESSION_TIMES), tzinfo=TZ)
        session_id, next_id = next_id, next_id + 1
        status, draw = "scheduled", rng.random()
        if at < NOW:
            status = "cancelled" if draw < 0.01 else "scheduled" if draw < 0.03 else "closed"
        starts = to_db(at)
        closed = to_db(at + timedelta(hours=2)) if status == "closed" else None
        code = f"{rng.randrange(10**6):06d}" if status == "closed" else None
        head = year.head_of(cell) if cell is not None else None
        presenter = lead_in = ""
        if kind == "thematic":
            presenter = people.names[rng.choice(members_of[cell])]
            lead_in = f"Bài gợi ý thảo luận: {campaign.topic}. Liên hệ thực tế của chi bộ."
        sessions.append(
            (session_id, unit_id, kind, topic, campaign_id, starts,
             "Hội trường khu vực" if cell is not None else "Điểm cầu trực tuyến", presenter,
             lead_in, status, code, to_db(at - timedelta(minutes=30)) if code else None,
             to_db(at + timedelta(hours=2)) if code else None,
             people.ids[head] if head is not None else None, to_db(at - timedelta(days=7)),
             closed or starts, closed, starts if status == "cancelled" else None)
        )  # fmt: skip
        invited = _invited(year, members_of, [cell] if cell is not None else subtree, day)
        if cell is not None:  # everyone at the cell's own unit
            invited = [(n, unit_id) for n, _ in invited]
        present = _invite(invitees, session_id, at, status, invited, year)
        total += len(invited)
        if status == "closed" and cell is not None and rng.random() < 0.70:
            minutes.append(_minutes(session_id, at, cell, year))
        if status == "closed" and unit_id == year.city_id:
            bridges += _bridges(session_id, at, present, year)
        if len(invitees) >= CHUNK:
            await _flush(conn, sessions, invitees)
    await _flush(conn, sessions, invitees)
    await conn.executemany(
        "INSERT INTO session_minutes (session_id, chair, minute_taker, guests, agenda, speakers, "
        "difficulties, solutions, conclusion, recorded_by, recorded_at, ends_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        minutes,
    )
    await conn.executemany(
        "INSERT INTO session_bridge_reports (session_id, unit_id, present, names, reported_by, "
        "reported_at) VALUES (?, ?, ?, ?, ?, ?)",
        bridges,
    )
    # Two districts brought the study forward.
    await conn.executemany(
        "INSERT INTO study_deadlines (campaign_id, unit_id, deadline, set_by, set_at) "
        "VALUES (?, ?, ?, 'bench', ?)",
        [(campaign.id, unit, date(YEAR, 3, 20).isoformat(), when(date(YEAR, 1, 10)))
         for unit in year.district_ids[:2]],
    )  # fmt: skip
    return next_id - 1, total


async def _flush(conn, sessions: list, invitees: list) -> None:  # type: ignore[no-untyped-def]
    await conn.executemany(
        "INSERT INTO sessions (id, unit_id, kind, topic, campaign_id, starts_at, place, "
        "presenter, lead_in, status, checkin_code, checkin_opens, checkin_closes, created_by, "
        "created_at, updated_at, closed_at, cancelled_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    await conn.executemany(
        "INSERT INTO session_invitees (session_id, member_id, unit_id, full_name, status, rsvp, "
        "rsvp_reason, rsvp_at, checked_in_at, checkin_via, late_reported_at, late_status, mark, "
        "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        invitees,
    )
    sessions.clear()
    invitees.clear()


def _invited(
    year: Year, members_of: dict[int, list[int]], cells: list[int], day: date
) -> list[tuple[int, int]]:
    """(member number, unit id) of everyone in these cells on ``day``: by their primary cell
    then, else by the cell they are temporarily attached to; each once."""
    people, inside, found = year.people, set(cells), []
    for cell in cells:
        for n in members_of[cell]:
            home = year.cell_on(n, day)
            if home == cell or (people.extra_cell.get(n) == cell and home not in inside):
                found.append((n, year.cell_ids[cell]))
    return found


def _invite(rows: list, session_id: int, at: datetime, status: str, invited, year: Year) -> dict:  # type: ignore[no-untyped-def]
    """Each invitee's row as the session stands; returns how many were present per unit."""
    rng, people = year.rng, year.people
    before = to_db(at - timedelta(days=1))
    early, on_time = to_db(at - timedelta(minutes=12)), to_db(at + timedelta(minutes=3))
    reported, decided = to_db(at + timedelta(hours=20)), to_db(at + timedelta(days=1, hours=2))
    present: dict[int, int] = defaultdict(int)
    for n, unit_id in invited:
        name, member_status = people.names[n], people.statuses[n]
        member_id = people.ids[n]
        if status != "closed":  # ahead, unclosed or cancelled: at most an answer
            rsvp = reason = None
            if status == "scheduled" and rng.random() < 0.2:
                rsvp = "yes" if rng.random() < 0.8 else "no"
                reason = rng.choice(REASONS) if rsvp == "no" else None
            rows.append((session_id, member_id, unit_id, name, member_status, rsvp, reason,
                         before if rsvp else None, None, None, None, None, None, None))  # fmt: skip
            continue
        habit = 0.10 if member_status == "exempt" else year.habit[n]
        if rng.random() < habit:
            draw = rng.random()
            via = (
                "code"
                if draw < 0.8
                else "button"
                if draw < 0.93
                else "late"
                if draw < 0.97
                else None
            )
            checked = {"code": early, "button": on_time, "late": decided, None: None}[via]
            rsvp = "yes" if rng.random() < 0.3 else None
            rows.append((session_id, member_id, unit_id, name, member_status, rsvp, None,
                         before if rsvp else None, checked, via,
                         reported if via == "late" else None,
                         "confirmed" if via == "late" else None, "present", None))  # fmt: skip
            present[unit_id] += 1
        elif rng.random() < 0.55:
            reason = rng.choice(REASONS)
            rows.append((session_id, member_id, unit_id, name, member_status, "no", reason,
                         before, None, None, None, None, "excused", reason))  # fmt: skip
        else:
            late = rng.random() < 0.05  # said they came; the secretary did not confirm it
            rows.append((session_id, member_id, unit_id, name, member_status,
                         "yes" if rng.random() < 0.1 else None, None, None, None, None,
                         reported if late else None, "rejected" if late else None, "absent",
                         None))  # fmt: skip
    return present


def _minutes(session_id: int, at: datetime, cell: int, year: Year) -> tuple:
    people, head = year.people, year.head_of(cell)
    speakers = [[people.names[head], "Đề nghị các đồng chí hoàn thành bản cam kết đúng hạn."]]
    return (
        session_id, people.names[head], people.names[head], "", "Quán triệt nghị quyết; "
        "đánh giá kết quả tháng; nhiệm vụ tháng tới", json.dumps(speakers, ensure_ascii=False),
        "Một số đảng viên đi làm xa, khó tham gia đầy đủ", "Linh hoạt thời gian sinh hoạt",
        "Chi bộ thống nhất các nhiệm vụ trọng tâm tháng tới", people.ids[head],
        to_db(at + timedelta(hours=3)), to_db(at + timedelta(hours=1, minutes=45)),
    )  # fmt: skip


def _bridges(session_id: int, at: datetime, present: dict[int, int], year: Year) -> list[tuple]:
    """Each ward's and district's bridge point reports how many attended there."""
    by_unit: dict[int, int] = defaultdict(int)
    for cell, unit_id in enumerate(year.cell_ids):
        ward, district = year.tree.ward[cell], year.tree.district[cell]
        if ward is not None:
            by_unit[year.ward_ids[ward]] += present.get(unit_id, 0)
        by_unit[year.district_ids[district]] += present.get(unit_id, 0)
    reported = to_db(at + timedelta(hours=4))
    return [
        (session_id, unit_id, count, "", None, reported)
        for unit_id, count in sorted(by_unit.items())
    ]
