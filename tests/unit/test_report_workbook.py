"""The committees' workbook: the data read in bulk over a subtree (members once, in their
current primary unit; the exempt with their status; a member who moved counted where they
are now), and the XLSX read back cell by cell, in Vietnamese and in English, with nobody's
text run as a formula. The query plans start from the subtree."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot import i18n
from bot.context import Services
from bot.errors import AccessDenied
from bot.render.report_workbook import workbook, workbook_file
from bot.rules import sessions as rules
from bot.services.reports.model import Period
from bot.services.reports.workbook import WorkbookData, export_workbook, workbook_data
from storage.report_workbook import IN_SUBTREE, WorkbookRepository
from tests.conftest import DATA_DIR, TIMEZONE, FakeBot, Organisation
from tests.unit.sessions_support import actor_for, draft, local_time  # noqa: F401

pytestmark = pytest.mark.usefixtures("local_time")

H1 = Period(2026, date(2026, 1, 1), date(2026, 6, 30), "2026-H1")
MARCH_20 = datetime(2026, 3, 20, 19, 30, tzinfo=TIMEZONE)
FORMULA = '=HYPERLINK("http://x.invalid","Bấm")'
ROSTER = (DATA_DIR / "org_members.csv").read_text(encoding="utf-8")
SECRETARIES = {"CB-BT1": "DV001", "CB-BT2": "DV005", "CB-HL1": "DV008"}


async def _held(
    services: Services,
    org: Organisation,
    clock,  # type: ignore[no-untyped-def]
    unit: str,
    starts_at: datetime,
    marks: dict[str, tuple[rules.Mark, str]],
    *,
    close: bool = True,
) -> int:
    """A regular session of ``unit`` created by its secretary; the given members' marks set
    (by code), then closed after the start unless ``close`` is false."""
    secretary = await actor_for(services, SECRETARIES[unit], 730000 + org.units[unit].id)
    clock.moment = starts_at - timedelta(days=2)
    session, _ = await services.sessions.create(
        secretary, draft(org, unit, starts_at=starts_at, topic=f"Sinh hoạt {unit}")
    )
    _, _, lines = await services.sessions.attendance(secretary, session.id)
    ids = {member.id: code for code, member in org.members.items()}
    changes = [
        rules.Change(line.number, *marks[ids[line.member_id]])
        for line in lines
        if ids[line.member_id] in marks
    ]
    if changes:
        await services.sessions.correct(secretary, session.id, changes)
    if close:
        clock.moment = starts_at + timedelta(hours=3)
        await services.sessions.close(secretary, session.id)
    return session.id


async def _submit(services: Services, code: str, *texts: str) -> int:
    member = await actor_for(services, code, 740000 + int(code[2:]))
    for text in texts or ("Đọc và nghiên cứu tác phẩm Sửa đổi lối làm việc",):
        await services.commitments.add_action(member, "ideology", text)
    view, _ = await services.commitments.submit(member)
    assert view.commitment is not None
    return view.commitment.id


@pytest.fixture
async def world(setup: Services, org: Organisation, fake_bot: FakeBot, clock) -> Organisation:  # type: ignore[no-untyped-def]
    """The small organisation through a first half-year:

    - commitments: DV002 approved (filed on 10 March), DV005 and DV006 submitted on 12 March,
      DV003 a draft of two actions; DV004 is exempt and files nothing;
    - sessions: CB-BT1 held on 20 March (DV001 present, DV002 excused "ốm", DV003 absent,
      DV004 exempt), another scheduled on 25 June; CB-BT2 held on 21 March (DV005 present);
      CB-HL1 held on 22 March (everyone present); one in July, outside the half-year;
    - a story of QU-BT's board sent on 1 April to its members on Telegram, DV002 read it;
    - in July DV003 moved to CB-HL1 and a member named like a formula joined CB-BT2 (the
      roster re-imported).
    """
    await setup.organisation.set_role(
        member_code="DV008", role="secretary", unit_code="CB-HL1", grant=True, actor="test"
    )
    await setup.organisation.set_role(
        member_code="DV010", role="propaganda", unit_code="QU-BT", grant=True, actor="test"
    )
    secretary = await actor_for(setup, "DV001", 730000 + org.units["CB-BT1"].id)
    approved = await _submit(setup, "DV002")
    await setup.commitments.decide(secretary, approved, 1, approve=True)
    clock.moment = datetime(2026, 3, 12, 9, 0, tzinfo=TIMEZONE)
    await _submit(setup, "DV005")
    await _submit(setup, "DV006", *(f"Việc làm cụ thể số {n}" for n in (1, 2, 3)))
    dv003 = await actor_for(setup, "DV003", 740003)
    await setup.commitments.add_action(dv003, "ideology", "Việc làm cụ thể thứ nhất")
    await setup.commitments.add_action(dv003, "ethics", "Việc làm cụ thể thứ hai")

    present, absent = (rules.Mark.PRESENT, ""), (rules.Mark.ABSENT, "")
    await _held(
        setup,
        org,
        clock,
        "CB-BT1",
        MARCH_20,
        {"DV001": present, "DV002": (rules.Mark.EXCUSED, "ốm"), "DV003": absent},
    )
    await _held(setup, org, clock, "CB-BT2", MARCH_20 + timedelta(days=1), {"DV005": present})
    await _held(
        setup,
        org,
        clock,
        "CB-HL1",
        MARCH_20 + timedelta(days=2),
        {code: present for code in ("DV006", "DV008", "DV009")},
    )
    clock.moment = datetime(2026, 4, 1, 8, 0, tzinfo=TIMEZONE)
    board = await actor_for(setup, "DV010", 740010)
    story = await setup.stories.create_draft(
        board,
        unit_id=org.units["QU-BT"].id,
        title="Tấm gương vượt lũ",
        body="Đồng chí <b>A</b> giúp bà con.",
        tag="model",
    )
    await setup.stories.send_now(board, story.id)
    reader = await actor_for(setup, "DV002", 700002)
    assert await setup.stories.mark_read(reader, story.id)

    june = datetime(2026, 6, 25, 19, 30, tzinfo=TIMEZONE)
    await _held(setup, org, clock, "CB-BT1", june, {}, close=False)
    july = datetime(2026, 7, 2, 19, 30, tzinfo=TIMEZONE)
    await _held(setup, org, clock, "CB-BT1", july, {"DV001": present})

    roster = (
        ROSTER.replace("DV003,Lê Hoàng Yến,CB-BT1,", "DV003,Lê Hoàng Yến,CB-HL1,")
        + f'DV011,"{FORMULA.replace(chr(34), chr(34) * 2)}",CB-BT2,official,,false,,\n'
    )
    summary = await setup.organisation.import_members(roster.encode(), actor="test", source="t")
    assert summary.created == 1
    clock.moment = datetime(2026, 7, 10, 9, 0, tzinfo=TIMEZONE)
    return org


async def _data(services: Services, org: Organisation, code: str) -> WorkbookData:
    async with services.db.read() as store:
        return await workbook_data(store, org.units[code], H1, tz=TIMEZONE)


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    book = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def _by_name(rows: list[list[object]], column: int = 2) -> dict[object, list[object]]:
    return {row[column]: row for row in rows[1:]}


async def test_the_data_counts_each_member_once_where_they_are_now(
    world: Organisation, setup: Services
) -> None:
    data = await _data(setup, world, "QU-BT")
    names = [member.name for member in data.members]
    # DV003 moved to CB-HL1; DV006 (CB-BT2 and CB-HL1) once; the committee's own DV010.
    assert names == [
        "Tô Văn Lực",  # QU-BT itself first, then its cells in tree order
        "Nguyễn Văn Đức",
        "Phạm Quốc Việt",
        "Trần Thị Bích",
        FORMULA,
        "Huỳnh Thị Thu Hà",
        "Võ Thị Ngọc Ánh",
        "Đặng Minh Khôi",
    ]
    assert len(names) == len(set(names)) == 8
    city = await _data(setup, world, "TU-DEMO")
    assert len(city.members) == 11  # everyone, each once
    other = {m.name: m.other_units for m in city.members}
    assert other["Đặng Minh Khôi"] == "Chi bộ Ấp Mỹ Khánh"


async def test_attendance_counts_the_subtrees_meetings_held_in_the_period(
    world: Organisation, setup: Services
) -> None:
    ids = {code: member.id for code, member in world.members.items()}
    data = await _data(setup, world, "QU-BT")
    tally = {
        code: (row.invited, row.present, row.excused, row.absent)
        for code, member_id in ids.items()
        if (row := data.attendance.get(member_id)) is not None
    }
    # DV004 is exempt: not counted. DV006's CB-HL1 meeting is outside QU-BT. July is not H1.
    assert tally["DV001"] == (1, 1, 0, 0)
    assert tally["DV002"] == (1, 0, 1, 0)
    assert tally["DV005"] == (1, 1, 0, 0)
    assert tally["DV006"] == (1, 0, 0, 1)
    assert "DV004" not in tally
    assert [(s.status, s.invited, s.present, s.excused) for s in data.sessions] == [
        ("closed", 3, 1, 1),  # CB-BT1, 20 March: DV001 present, DV002 excused, DV003 absent
        ("closed", 3, 1, 0),  # CB-BT2, 21 March
        ("scheduled", 3, 0, 0),  # CB-BT1, 25 June: invited before DV003 moved
    ]
    city = await _data(setup, world, "TU-DEMO")
    moved = city.attendance[ids["DV003"]]
    assert (moved.invited, moved.absent) == (1, 1)  # CB-BT1's meeting, before the move
    assert city.attendance[ids["DV006"]].invited == 2  # both cells' meetings, once each
    assert len(city.sessions) == 4


async def test_commitments_grades_and_stories(world: Organisation, setup: Services) -> None:
    ids = {code: member.id for code, member in world.members.items()}
    data = await _data(setup, world, "QU-BT")
    assert data.campaign is not None and data.campaign.year == 2026
    approved = data.commitments[ids["DV002"]]
    assert (approved.status, approved.version, approved.actions) == ("approved", 1, 1)
    assert approved.first_submitted == approved.last_submitted == date(2026, 3, 10)
    assert approved.approved_at is not None and i18n.local_date(approved.approved_at) == date(
        2026, 3, 10
    )
    assert data.commitments[ids["DV006"]].actions == 3
    assert data.commitments[ids["DV005"]].status == "submitted"
    assert ids["DV004"] not in data.commitments  # exempt: nothing filed
    assert ids["DV003"] not in data.commitments  # moved out of QU-BT
    city = await _data(setup, world, "TU-DEMO")
    draft_row = city.commitments[ids["DV003"]]
    assert (draft_row.status, draft_row.version, draft_row.actions) == ("draft", 0, 2)
    (story,) = data.stories
    assert (story.title, story.board, story.read) == (
        "Tấm gương vượt lũ",
        "Quận ủy Bến Tre Xanh",
        1,
    )
    # Delivered to QU-BT's members on Telegram, by where they are now: DV001, DV002, DV005,
    # DV006 and DV010 (DV003 received it in CB-BT1, and is counted in CB-HL1 now).
    assert story.delivered == 5
    (everywhere,) = city.stories
    assert (everywhere.delivered, everywhere.read) == (6, 1)
    # A copy that could not be sent (the member blocked the bot) was not delivered.
    async with setup.db.write() as store:
        await store.conn.execute(
            "UPDATE outbox SET status = 'blocked' WHERE kind = 'story' AND member_id = ?",
            (ids["DV005"],),
        )
    (story,) = (await _data(setup, world, "QU-BT")).stories
    assert (story.delivered, story.read) == (4, 1)
    assert (await _data(setup, world, "CB-BT2")).stories[0].delivered == 1  # DV006 only
    hl = await _data(setup, world, "QU-HL")
    (taken_along,) = hl.stories  # DV003 received it in CB-BT1 and moved to CB-HL1 since
    assert (taken_along.delivered, taken_along.read) == (1, 0)


async def test_the_workbook_reads_back_cell_by_cell_in_vietnamese(
    world: Organisation, setup: Services, clock
) -> None:
    # At year end CB-BT1 (a grassroots cell: it decides itself) grades DV002.
    clock.moment = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)
    secretary = await actor_for(setup, "DV001", 730000 + world.units["CB-BT1"].id)
    graded = (await _data(setup, world, "CB-BT1")).commitments[world.members["DV002"].id]
    async with setup.db.read() as store:
        record = await store.commitments.find(graded.member_id, 1)
    assert record is not None
    await setup.commitments.propose(
        secretary, record.id, "good", points=80, comment="Hoàn thành tốt các việc đã cam kết"
    )
    data = await _data(setup, world, "QU-BT")
    with i18n.use_locale("vi"):
        name, content = workbook_file(data)
    assert name == "bao-cao-2026-h1-quan-uy-ben-tre-xanh.xlsx"
    sheets = _sheets(content)
    assert list(sheets) == [
        "Đảng viên",
        "Cam kết",
        "Điểm danh",
        "Buổi sinh hoạt",
        "Tin bài",
        "Xếp loại",
    ]
    members = sheets["Đảng viên"]
    assert members[0] == [
        "Mã đơn vị",
        "Đơn vị",
        "Mã đảng viên",
        "Họ và tên",
        "Trạng thái",
        "Chức vụ",
        "Đơn vị công tác",
        "Sinh hoạt cả ở",
    ]
    rows = _by_name(members, 3)
    assert rows["Phạm Quốc Việt"] == [
        "CB-BT1",
        "Chi bộ Khu phố Đông Hưng",
        "DV004",
        "Phạm Quốc Việt",
        "Miễn sinh hoạt",
        "Hưu trí",
        None,
        None,
    ]
    assert rows["Đặng Minh Khôi"][7] == "Chi bộ Ấp Mỹ Khánh"
    assert rows[FORMULA][3] == FORMULA  # text, not a formula

    commitments = _by_name(sheets["Cam kết"])
    assert sheets["Cam kết"][0][4:] == [
        "Bản cam kết",
        "Phiên bản",
        "Nộp lần đầu",
        "Nộp lần cuối",
        "Nộp muộn",
        "Ngày duyệt",
        "Số việc làm",
    ]
    assert commitments["Nguyễn Văn Đức"][4:] == [
        "Đã duyệt",
        1,
        datetime(2026, 3, 10),
        datetime(2026, 3, 10),
        None,
        datetime(2026, 3, 10),
        1,
    ]
    assert commitments["Phạm Quốc Việt"][4:] == ["Không phải lập (miễn sinh hoạt)"] + [None] * 6
    assert commitments["Tô Văn Lực"][4:] == ["Chưa lập bản cam kết"] + [None] * 6

    attendance = _by_name(sheets["Điểm danh"])
    assert sheets["Điểm danh"][0][4:] == [
        "Số buổi được mời",
        "Có mặt",
        "Vắng có lý do",
        "Vắng không lý do",
        "Tỷ lệ tham gia",
    ]
    assert attendance["Nguyễn Văn Đức"][4:] == [1, 0, 1, 0, 0]
    assert attendance["Trần Thị Bích"][4:] == [1, 1, 0, 0, 1]
    assert attendance["Phạm Quốc Việt"][4:] == [0, 0, 0, 0, None]

    sessions = sheets["Buổi sinh hoạt"]
    assert sessions[1][:8] == [
        datetime(2026, 3, 20),
        "19:30",
        "CB-BT1",
        "Chi bộ Khu phố Đông Hưng",
        "Sinh hoạt chi bộ thường kỳ",
        "Sinh hoạt CB-BT1",
        "Đã tổ chức",
        None,
    ]
    assert sessions[1][8:] == [3, 1, 1, 1, pytest.approx(1 / 3), None]
    assert [row[6] for row in sessions[1:]] == ["Đã tổ chức", "Đã tổ chức", "Chưa tổ chức"]
    assert sessions[3][9:13] == [None, None, None, None]  # not held yet: no marks

    stories = sheets["Tin bài"]
    assert stories[1][:4] == [
        datetime(2026, 4, 1),
        "Tấm gương vượt lũ",
        "Gương điển hình",
        "Quận ủy Bến Tre Xanh",
    ]
    grades = _by_name(sheets["Xếp loại"])
    assert sheets["Xếp loại"][0][4:] == [
        "Tự đánh giá",
        "Mức đề xuất",
        "Điểm đề xuất",
        "Xếp loại được quyết định",
        "Điểm",
        "Ngày quyết định",
    ]
    assert grades["Nguyễn Văn Đức"][4:] == [
        None,
        "Hoàn thành tốt nhiệm vụ",
        80,
        "Hoàn thành tốt nhiệm vụ",
        80,
        datetime(2026, 12, 5),
    ]
    assert grades["Tô Văn Lực"][4:] == [None] * 6  # nothing filed, nothing graded
    assert grades["Phạm Quốc Việt"][4:] == [None, None, None, "Miễn đánh giá", None, None]


async def test_the_workbook_in_english_with_real_dates_and_sized_columns(
    world: Organisation, setup: Services
) -> None:
    data = await _data(setup, world, "QU-BT")
    with i18n.use_locale("en"):
        content = workbook(data)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "Members",
        "Commitments",
        "Attendance",
        "Sessions",
        "Stories",
        "Grades",
    ]
    assert [c.value for c in book["Members"][1]] == [
        "Unit code",
        "Unit",
        "Member code",
        "Full name",
        "Status",
        "Position",
        "Work unit",
        "Also a member of",
    ]
    assert [c.value for c in book["Grades"][1]][4:] == [
        "Self-assessment",
        "Proposed grade",
        "Proposed points",
        "Decided grade",
        "Points",
        "Decided on",
    ]
    sessions = book["Sessions"]
    assert sessions["A2"].is_date and sessions["A2"].number_format == "DD/MM/YYYY"
    assert sessions["M2"].number_format == "0%"
    assert book["Attendance"]["I3"].number_format in ("0%", "General")
    members = book["Members"]
    assert members.freeze_panes == "A2" and members["A1"].font.b
    widths = {key: dim.width for key, dim in members.column_dimensions.items()}
    assert widths["D"] >= len("Huỳnh Thị Thu Hà") and widths["A"] >= len("Unit code")
    formula = next(row for row in members.iter_rows(min_row=2) if row[3].value == FORMULA)
    assert formula[3].data_type == "s"  # a string cell: never run as a formula
    assert book.properties.creator == "cadrebot"


async def test_a_cell_workbook_and_the_scope(world: Organisation, setup: Services) -> None:
    cell = await _data(setup, world, "CB-BT2")
    names = {m.name for m in cell.members}
    assert names == {"Võ Thị Ngọc Ánh", "Đặng Minh Khôi", "Huỳnh Thị Thu Hà", FORMULA}
    assert {s.unit_id for s in cell.sessions} == {world.units["CB-BT2"].id}
    assert set(cell.units) == {world.units["CB-BT2"].id}
    secretary = await actor_for(setup, "DV005", 730000 + world.units["CB-BT2"].id)
    with pytest.raises(AccessDenied):  # another cell's rows: never
        await export_workbook(setup.db, secretary, world.units["CB-BT1"], H1, tz=TIMEZONE)
    with pytest.raises(AccessDenied):  # nor the committee above
        await export_workbook(setup.db, secretary, world.units["QU-BT"], H1, tz=TIMEZONE)
    own = await export_workbook(setup.db, secretary, world.units["CB-BT2"], H1, tz=TIMEZONE)
    assert {m.name for m in own.members} == names
    committee = await actor_for(setup, "DV010", 740010)
    below = await export_workbook(setup.db, committee, world.units["CB-BT1"], H1, tz=TIMEZONE)
    assert {m.unit_id for m in below.members} == {world.units["CB-BT1"].id}
    cli = await export_workbook(setup.db, None, world.units["TU-DEMO"], H1, tz=TIMEZONE)
    assert len(cli.members) == 11
    audited = [entry for entry in await _audit(setup) if entry[0] == "report.export"]
    assert ("report.export", "denied", "CB-BT1") in audited
    assert ("report.export", "ok", "TU-DEMO") in audited


async def _audit(services: Services) -> list[tuple[str, str, str]]:
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT action, outcome, target FROM audit_log WHERE action LIKE 'report.%' ORDER BY id"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def test_an_empty_subtree_and_a_year_without_a_campaign(
    services: Services, org: Organisation
) -> None:
    async with services.db.read() as store:
        data = await workbook_data(store, org.units["CB-HL1"], H1, tz=TIMEZONE)
    assert data.campaign is None and data.commitments == {} and data.sessions == []
    with i18n.use_locale("vi"):
        sheets = _sheets(workbook(data))
    assert all(len(rows) >= 1 for rows in sheets.values())
    assert sheets["Tin bài"] == [sheets["Tin bài"][0]]  # the header alone
    commitments = _by_name(sheets["Cam kết"])
    assert commitments["Dương Ngọc Trâm"][4] == "Chưa lập bản cam kết"


async def test_every_subtree_query_starts_from_the_units_path(
    world: Organisation, setup: Services
) -> None:
    """The subtree drives each statement: the units' path index first, never a scan of a
    big table (the planner's choice when it starts from the campaign, say)."""
    unit = world.units["CB-BT1"]
    captured: list[tuple[str, dict]] = []
    async with setup.db.read() as store:
        repository = WorkbookRepository(store.conn)
        original = repository._rows

        async def spy(sql: str, params: dict):  # type: ignore[no-untyped-def]
            captured.append((sql, params))
            async for row in original(sql, params):
                yield row

        repository._rows = spy  # type: ignore[method-assign]
        since = datetime(2026, 1, 1, tzinfo=TIMEZONE)
        until = datetime(2026, 7, 1, tzinfo=TIMEZONE)
        await repository.members(unit.path)
        await repository.commitments(unit.path, 1)
        await repository.attendance(unit.path, since, until)
        await repository.sessions(unit.path, since, until)
        await repository.stories(unit.path, since, until)
        assert len(captured) == 5
        for sql, params in captured:
            assert IN_SUBTREE in sql
            cursor = await store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            steps = [(row[1], row[3]) for row in await cursor.fetchall()]
            # In each part of the statement that reads the subtree, the units come first.
            by_path = "SEARCH u USING COVERING INDEX units_path"
            parents = {parent for parent, step in steps if step.startswith(by_path)}
            assert parents, (sql, steps)
            for parent in parents:
                first = next(
                    step for p, step in steps if p == parent and step.startswith(("SEARCH", "SCAN"))
                )
                assert first.startswith(by_path), steps
            # Nothing is scanned but the handful of the period's stories and their totals.
            scans = [step for _, step in steps if step.startswith("SCAN")]
            assert all(step in ("SCAN sent", "SCAN c") for step in scans), (sql, steps)
