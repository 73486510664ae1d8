"""The year-end dossier (bot/services/reports/dossier.py, bot/render/dossier.py) on the small
invented organisation, checked by hand: DV002's actions with their self-ratings and
evidence, four closed sessions (present by code, absent with the reason given beforehand,
absent without a reason after declining, present by a confirmed late report) and not the
cancelled, open or other-year ones, the grade proposed and decided at once by the
grassroots cell CB-BT1; DV004 exempt; a temporarily attached member graded by the official
cell with the attending cell's remark; who may see whose dossier; the DOCX read back; a
cell's file, one section per member; and a cell of sixty costing the same queries as two
(the good deeds too: see tests/unit/test_nominee_link.py for their section)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from bot.context import Services
from bot.errors import AccessDenied, InvalidInput, NotFound
from bot.render.dossier import build_dossier, cell_docx, dossier_docx, dossier_name
from bot.rules import sessions as rules
from bot.rules.access import Actor
from bot.services.reports.dossier import Dossier, gather
from bot.services.sessions import Session
from tests.conftest import TIMEZONE, FakeBot, Organisation
from tests.unit.sessions_support import actor_for, admin, draft

TOPIC_2026 = "Tinh thần trách nhiệm, năng động, sáng tạo"
IDEOLOGY = "Đọc và nghiên cứu tác phẩm Sửa đổi lối làm việc"
TASKS = "Hoàn thành 100% hồ sơ một cửa đúng hạn"
DECEMBER = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)


def at(month: int, day: int = 20) -> datetime:
    return datetime(2026, month, day, 19, 30, tzinfo=TIMEZONE)


async def session(
    services: Services, org: Organisation, secretary: Actor, when: datetime, **extra: object
) -> Session:
    created, _ = await services.sessions.create(
        secretary, draft(org, "CB-BT1", starts_at=when, topic=f"Sinh hoạt {when:%m/%Y}", **extra)
    )
    return created


async def line_of(services: Services, secretary: Actor, session_id: int, name: str) -> int:
    _, _, lines = await services.sessions.attendance(secretary, session_id)
    return next(line.number for line in lines if line.name == name)


@pytest.fixture
async def year(setup: Services, org: Organisation, clock, fake_bot: FakeBot) -> Services:
    """DV002's year in CB-BT1 (see the module's docstring)."""
    services = setup
    secretary = await actor_for(services, "DV001")
    member = await actor_for(services, "DV002")
    await services.commitments.add_action(member, "ideology", IDEOLOGY)
    await services.commitments.add_action(member, "tasks", TASKS)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)

    s1 = await session(services, org, secretary, at(3))
    s2 = await session(
        services, org, secretary, at(4, 15), kind="thematic", presenter="Trần Thị Bích",
        lead_in="Bài gợi ý: nêu gương trong công việc hằng ngày.",
    )  # fmt: skip
    s3 = await session(services, org, secretary, at(5))
    s4 = await session(services, org, secretary, at(6))
    s5 = await session(services, org, secretary, at(7))
    await session(services, org, secretary, at(8))  # never closed: not in the dossier
    await services.sessions.cancel(secretary, s5.id)  # cancelled: not in it either
    await services.sessions.rsvp(member, s2.id, False, "Đi công tác Hà Nội")
    await services.sessions.rsvp(member, s3.id, False, "Ốm")

    clock.moment = at(3) - timedelta(minutes=10)
    code = (await services.sessions.open_checkin(secretary, s1.id)).checkin_code
    await services.sessions.attend_code(member, code)
    clock.moment = at(3) + timedelta(hours=3)
    await services.sessions.close(secretary, s1.id)
    clock.moment = at(4, 15) + timedelta(hours=3)
    await services.sessions.close(secretary, s2.id)
    clock.moment = at(5) + timedelta(hours=3)
    number = await line_of(services, secretary, s3.id, "Nguyễn Văn Đức")
    await services.sessions.correct(secretary, s3.id, [rules.Change(number, rules.Mark.ABSENT)])
    await services.sessions.close(secretary, s3.id)
    clock.moment = at(6) + timedelta(days=1)
    await services.sessions.attend_button(member, s4.id)
    await services.sessions.decide_late(secretary, s4.id, member.member.id, True)  # type: ignore[union-attr]
    await services.sessions.close(secretary, s4.id)

    clock.moment = DECEMBER
    review = await services.commitments.self_review(member)
    ideology, tasks = review.actions
    await services.commitments.rate(member, ideology.id, "done")
    await services.commitments.add_evidence(member, ideology.id, "Đã viết bài thu hoạch")
    await services.commitments.rate(member, tasks.id, "partly")
    await services.commitments.add_evidence(member, tasks.id, "Đạt 92% hồ sơ đúng hạn")
    await services.commitments.propose(
        secretary, view.commitment.id, "good", points=80, comment="Tích cực, cần chủ động hơn"
    )
    return services


def texts_of(d: Dossier) -> list[str]:
    return [text for _, text in build_dossier(d).blocks if isinstance(text, str)]


def tables_of(d: Dossier) -> list[list[list[str]]]:
    return [text.rows for _, text in build_dossier(d).blocks if not isinstance(text, str)]


# The content, checked by hand ------------------------------------------------------------------


async def test_a_members_dossier_holds_the_actions_sessions_and_grade(year: Services) -> None:
    member = await actor_for(year, "DV002")
    d = await year.dossiers.member_dossier(member)  # this year: 2026
    assert (d.year, d.member.full_name, d.issuer.code, d.dated) == (
        2026, "Nguyễn Văn Đức", "CB-BT1", DECEMBER.date(),
    )  # fmt: skip
    part = d.commitment
    assert part is not None and part.version is not None and part.version.number == 1
    assert [(a.heading, a.self_rating, a.evidence) for a in part.actions] == [
        ("ideology", "done", "Đã viết bài thu hoạch"),
        ("tasks", "partly", "Đạt 92% hồ sơ đúng hạn"),
    ]
    assert part.approved_on == datetime(2026, 3, 10).date()
    assert part.self_reviewed_on == DECEMBER.date()
    # Four closed sessions; the cancelled (July) and the open one (August) are left out.
    assert [(s.starts_at.month, s.mark, s.reason, s.declined, s.late) for s in d.sessions] == [
        (3, rules.Mark.PRESENT, "", "", None),
        (4, rules.Mark.EXCUSED, "Đi công tác Hà Nội", "", None),
        (5, rules.Mark.ABSENT, "", "Ốm", None),
        (6, rules.Mark.PRESENT, "", "", "confirmed"),
    ]
    assert (d.present, d.excused, d.absent, len(d.counted)) == (2, 1, 1, 4)
    grade = d.grade
    assert grade.graded and (grade.grade, grade.points) == ("good", 80)
    assert grade.comment == "Tích cực, cần chủ động hơn"
    assert (grade.cell.code, grade.decider.code) == ("CB-BT1", "CB-BT1")  # a grassroots cell
    assert [(s.kind, s.revision, s.grade, s.points, s.by) for s in grade.steps] == [
        ("proposal", 1, "good", 80, "Trần Thị Bích"),
        ("decision", 1, "good", 80, "Trần Thị Bích"),
    ]

    texts = texts_of(d)
    assert texts[:3] == ["I. THÔNG TIN ĐẢNG VIÊN", "Họ và tên: Nguyễn Văn Đức", "Mã số: DV002"]
    assert "Tình trạng: Đảng viên chính thức" in texts
    assert "Chi bộ: Khu phố Đông Hưng" in texts
    assert "Đảng bộ: quận Bến Tre Xanh" in texts
    assert f"Chuyên đề năm 2026: {TOPIC_2026}" in texts
    assert "Bản cam kết: Đã duyệt (bản số 1, nộp ngày 10/03/2026, duyệt ngày 10/03/2026)." in texts
    assert (
        "Số buổi sinh hoạt trong năm 2026 (đã kết thúc): 4; có mặt: 2; vắng có lý do: 1; "
        "vắng không lý do: 1." in texts
    )
    assert "Tỷ lệ tham gia: 50%." in texts
    assert "Kết quả xếp loại: Hoàn thành tốt nhiệm vụ (80 điểm)." in texts
    actions, sessions, grades = tables_of(d)
    assert actions == [
        ["1. Về tư tưởng chính trị"],
        ["1", IDEOLOGY, "", "Đã hoàn thành", "Đã viết bài thu hoạch"],
        ["2. Về phẩm chất đạo đức, lối sống"],
        ["", "(Không có nội dung)", "", "", ""],
        ["3. Về ý thức tổ chức kỷ luật"],
        ["", "(Không có nội dung)", "", "", ""],
        ["4. Về kết quả thực hiện chức trách, nhiệm vụ được giao"],
        ["2", TASKS, "", "Hoàn thành một phần", "Đạt 92% hồ sơ đúng hạn"],
    ]
    assert [row[1] for row in sessions] == ["20/03/2026", "15/04/2026", "20/05/2026", "20/06/2026"]
    assert sessions[1][2] == "Sinh hoạt chuyên đề: Sinh hoạt 04/2026"
    assert [row[4] for row in sessions] == [
        "Có mặt",
        "Vắng có lý do. Đi công tác Hà Nội",
        "Vắng không lý do. Báo vắng trước: Ốm",
        "Có mặt. Báo cáo tham dự sau giờ điểm danh, đã được xác nhận",
    ]
    assert grades[0][:5] == [
        "Đề xuất (Chi bộ Khu phố Đông Hưng), lần 1", "05/12/2026", "Trần Thị Bích",
        "Hoàn thành tốt nhiệm vụ", "80",
    ]  # fmt: skip
    assert grades[1][0] == "Quyết định (Chi bộ Khu phố Đông Hưng), lần 1"


async def test_an_exempt_member_is_said_to_be_exempt(year: Services) -> None:
    d = await year.dossiers.member_dossier(None, "DV004", 2026)
    assert d.exempt and not d.grade.graded and d.commitment is None
    assert len(d.sessions) == 4 and all(line.exempt for line in d.sessions)
    assert (d.present, len(d.counted)) == (0, 0)
    texts = texts_of(d)
    assert "Tình trạng: Miễn sinh hoạt" in texts
    assert "Chưa lập bản cam kết năm 2026." in texts
    assert (
        "Số buổi sinh hoạt trong năm 2026 (đã kết thúc): 4; có mặt: 0; vắng có lý do: 0; "
        "vắng không lý do: 0; miễn sinh hoạt: 4." in texts
    )
    assert not any(text.startswith("Tỷ lệ tham gia") for text in texts)  # not counted
    assert any("không đánh giá, xếp loại chất lượng" in text for text in texts)
    [sessions] = tables_of(d)  # no commitment: no table of actions
    assert {row[4] for row in sessions} == {"Miễn sinh hoạt"}


TEMPORARY = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV011,Lý Thị Mai,CB-BT2;CB-BT1,temporary,Cán bộ,false,vi,711011
"""


async def test_a_temporary_member_is_reviewed_by_the_official_cell(
    setup: Services, org: Organisation, clock
) -> None:
    """DV011 attends CB-BT2 for a while; CB-BT1 is the cell of her official membership: it
    grades her, CB-BT2 comments. DV007 is temporarily attached to CB-BT2 with no official
    cell in the bot: CB-BT2's file keeps her."""
    services = setup
    await services.organisation.import_members(TEMPORARY.encode(), actor="test")
    mai = await actor_for(services, "DV011", 711011)
    await services.commitments.add_action(mai, "ideology", IDEOLOGY)
    view, _ = await services.commitments.submit(mai)
    await services.commitments.decide(
        await actor_for(services, "DV005"), view.commitment.id, 1, approve=True
    )
    clock.moment = DECEMBER
    campaign = view.campaign
    await services.commitments.add_remark(
        await actor_for(services, "DV005"),
        mai.member.id,
        campaign.id,
        "Gương mẫu, nhiệt tình",  # type: ignore[union-attr]
    )
    await services.commitments.propose(
        await actor_for(services, "DV001"), view.commitment.id, "good", points=85,
        comment="Hoàn thành tốt",
    )  # fmt: skip

    d = await services.dossiers.member_dossier(mai, None, 2026)
    assert (d.unit.code, d.official.code, d.issuer.code) == ("CB-BT2", "CB-BT1", "CB-BT1")
    assert [(r.unit.code, r.text) for r in d.grade.remarks] == [("CB-BT2", "Gương mẫu, nhiệt tình")]
    texts = texts_of(d)
    assert "Tình trạng: Sinh hoạt tạm thời" in texts
    assert "Chi bộ: Khu phố Đông Hưng" in texts  # the official cell
    assert "Nơi sinh hoạt tạm thời: Chi bộ Trường Tiểu học Ánh Dương" in texts
    assert "Gương mẫu, nhiệt tình" in texts
    # Both cells' secretaries may see it: the one that grades, the one she attends.
    for code in ("DV001", "DV005"):
        await services.dossiers.member_dossier(await actor_for(services, code), "DV011", 2026)

    bt1 = await services.dossiers.cell_dossiers(None, "CB-BT1", 2026)
    bt2 = await services.dossiers.cell_dossiers(None, "CB-BT2", 2026)
    # Roster order (given name first): Bích, Đức, Mai, Việt, Yến / Ánh, Hà, Khôi.
    assert [x.member.code for x in bt1] == ["DV001", "DV002", "DV011", "DV004", "DV003"]
    assert [x.member.code for x in bt2] == ["DV005", "DV007", "DV006"]
    [stray] = [x for x in bt2 if x.member.code == "DV007"]
    assert stray.official is None and stray.issuer.code == "CB-BT2"
    assert any("chưa có trên hệ thống" in text for text in texts_of(stray))


# Who may see what ------------------------------------------------------------------------------


async def test_a_member_may_see_only_their_own_dossier(year: Services) -> None:
    services = year
    other = await actor_for(services, "DV003")  # CB-BT1, no role
    with pytest.raises(AccessDenied) as refused:
        await services.dossiers.member_dossier(other, "DV002", 2026)
    assert "/dossier" in refused.value.render()  # says what to do instead
    with pytest.raises(AccessDenied):  # the secretary of another cell
        await services.dossiers.member_dossier(await actor_for(services, "DV005"), "DV002")
    with pytest.raises(AccessDenied):
        await services.dossiers.cell_dossiers(other, "CB-BT1", 2026)
    with pytest.raises(AccessDenied):
        await services.dossiers.cell_dossiers(await actor_for(services, "DV005"), "CB-BT1")
    # The member themself, the cell's secretary, the committee above, an admin, the CLI.
    for actor in (
        await actor_for(services, "DV002"),
        await actor_for(services, "DV001"),
        await actor_for(services, "DV010"),
        await admin(services),
        None,
    ):
        found = await services.dossiers.member_dossier(actor, "DV002", 2026)
        assert found.member.code == "DV002"
    assert len(await services.dossiers.cell_dossiers(await admin(services), "QU-BT")) == 8
    async with services.db.read() as store:
        cursor = await store.conn.execute(
            "SELECT action, outcome, target FROM audit_log WHERE action LIKE 'dossier.%' "
            "ORDER BY id LIMIT 4"
        )
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [
        ("dossier.member", "denied", "DV002"),
        ("dossier.member", "denied", "DV002"),
        ("dossier.cell", "denied", "CB-BT1"),
        ("dossier.cell", "denied", "CB-BT1"),
    ]


async def test_unknown_years_members_and_units_are_refused_plainly(year: Services) -> None:
    services = year
    with pytest.raises(NotFound) as no_year:
        await services.dossiers.member_dossier(None, "DV002", 2031)
    assert no_year.value.message == "There is no campaign for {year}."
    with pytest.raises(InvalidInput):
        await services.dossiers.member_dossier(None, "DV002", 99999)
    with pytest.raises(NotFound):
        await services.dossiers.member_dossier(None, "NOBODY", 2026)
    with pytest.raises(NotFound):
        await services.dossiers.cell_dossiers(None, "NOWHERE", 2026)
    with pytest.raises(NotFound):  # an administrator has no dossier of their own
        await services.dossiers.member_dossier(await admin(services))


# The DOCX ----------------------------------------------------------------------------------------


def header_lines(document) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]


async def test_the_docx_reads_back(year: Services) -> None:
    d = await year.dossiers.member_dossier(None, "DV002", 2026)
    document = Document(io.BytesIO(dossier_docx(d)))
    assert header_lines(document) == [
        "ĐẢNG BỘ QUẬN BẾN TRE XANH",
        "CHI BỘ KHU PHỐ ĐÔNG HƯNG",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Phù Sa (thử nghiệm), ngày 05 tháng 12 năm 2026",
    ]
    texts = [p.text for p in document.paragraphs]
    assert "HỒ SƠ KIỂM ĐIỂM CUỐI NĂM 2026" in texts
    assert "Đồng chí Nguyễn Văn Đức" in texts
    assert "II. THỰC HIỆN BẢN CAM KẾT" in texts
    actions = document.tables[1]
    assert [c.text for c in actions.rows[0].cells] == [
        "TT", "Nội dung cam kết", "Thời hạn", "Tự đánh giá", "Minh chứng",
    ]  # fmt: skip
    assert actions.rows[2].cells[3].text == "Đã hoàn thành"
    assert document.tables[2].rows[3].cells[4].text == "Vắng không lý do. Báo vắng trước: Ốm"
    # Each run in the Normal style's font (every slot, the East-Asian one too) unless it
    # names its own.
    normal = document.styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "Times New Roman"
    fonts = {r.font.name or normal.font.name for p in document.paragraphs for r in p.runs}
    assert fonts == {"Times New Roman"}
    cells = [cell for table in document.tables[1:4] for cell in table._cells]
    # A table's text is 13 pt: its paragraph style's size, unless a run sets its own.
    sizes = {
        (r.font.size or p.style.font.size).pt
        for cell in cells
        for p in cell.paragraphs
        for r in p.runs
    }
    assert sizes == {13.0}
    assert dossier_name(d) == "ho-so-kiem-diem-2026-nguyen-van-duc.docx"


async def test_hostile_text_is_kept_as_text_and_control_characters_dropped(
    year: Services,
) -> None:
    async with year.db.write() as store:  # as an import could have stored them
        await store.conn.execute(
            "UPDATE commitment_version_actions SET evidence = '<b>&amp;</b>\x07 đủ' "
            "WHERE heading = 'ideology'"
        )
        await store.conn.execute("UPDATE sessions SET topic = 'Họp\x01 <i>chi bộ'")
    d = await year.dossiers.member_dossier(None, "DV002", 2026)
    document = Document(io.BytesIO(dossier_docx(d)))
    assert document.tables[1].rows[2].cells[4].text == "<b>&amp;</b> đủ"
    assert document.tables[2].rows[1].cells[2].text == "Sinh hoạt chi bộ thường kỳ: Họp <i>chi bộ"


async def test_a_cells_file_has_one_section_per_member(year: Services) -> None:
    dossiers = await year.dossiers.cell_dossiers(await actor_for(year, "DV001"), "CB-BT1", 2026)
    assert [d.member.code for d in dossiers] == ["DV001", "DV002", "DV004", "DV003"]
    document = Document(io.BytesIO(cell_docx(dossiers)))
    assert len(document.sections) == 4
    titles = [
        p.text
        for p in document.paragraphs
        if p.text.startswith("Đồng chí ") and p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    ]
    assert titles == [
        "Đồng chí Trần Thị Bích",
        "Đồng chí Nguyễn Văn Đức",
        "Đồng chí Phạm Quốc Việt",
        "Đồng chí Lê Hoàng Yến",
    ]
    # Each member from the top of a new page: the sections after the first start new pages.
    assert all(s.start_type == 2 for s in document.sections[1:])  # WD_SECTION.NEW_PAGE


# Speed: a cell of sixty ---------------------------------------------------------------------------

BIG_UNITS = "code,name,kind,parent_code\nCB-BIG,Chi bộ Khu dân cư Lớn,cell,QU-BT\n"


async def test_a_cell_of_sixty_costs_the_same_queries_as_two(
    setup: Services, org: Organisation, clock
) -> None:
    services = setup
    rows = [
        f"BIG{n:02d},Thành viên Số {n:02d},CB-BIG,official,,false,vi,{760000 + n}"
        for n in range(1, 61)
    ]
    await services.organisation.import_units(BIG_UNITS.encode(), actor="test")
    await services.organisation.import_members(
        ("code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
         + "\n".join(rows)).encode(),
        actor="test",
    )  # fmt: skip
    await services.organisation.set_role(
        member_code="BIG01", role="secretary", unit_code="CB-BIG", grant=True, actor="test"
    )
    secretary = await actor_for(services, "BIG01", 760001)
    for n in range(1, 61):
        member = await actor_for(services, f"BIG{n:02d}", 760000 + n)
        await services.commitments.add_action(member, "ideology", IDEOLOGY)
        if n > 1:
            view, _ = await services.commitments.submit(member)
            await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    async with services.db.read() as store:
        org.units["CB-BIG"] = await store.units.by_code("CB-BIG")  # type: ignore[assignment]
    meeting, _ = await services.sessions.create(secretary, draft(org, "CB-BIG", starts_at=at(3)))
    clock.moment = at(3) + timedelta(hours=3)
    await services.sessions.close(secretary, meeting.id)
    async with services.db.write() as store:  # good deeds naming two of them, approved
        await store.conn.execute(
            "INSERT INTO nominations (nominee, deed, unit_id, nominated_by, status, decided_at, "
            "created_at, nominee_member_id, nominee_linked_by) SELECT m.full_name, "
            "'Giúp đỡ hộ nghèo trong khu dân cư sửa lại nhà', u.id, m.id, 'approved', "
            "'2026-05-02T01:00:00+00:00', '2026-05-01T01:00:00+00:00', m.id, 'rule' "
            "FROM members m, units u WHERE m.code IN ('BIG03', 'BIG40') AND u.code = 'CB-BIG'"
        )

    async def count(codes: list[str]) -> int:
        statements: list[str] = []
        async with services.db.read() as store:
            members = [await store.members.by_code(code) for code in codes]
            campaign = await store.campaigns.by_year(2026)
            await store.conn.set_trace_callback(statements.append)
            try:
                found = await gather(store, members, campaign, clock=services.clock)  # type: ignore[arg-type]
            finally:
                await store.conn.set_trace_callback(None)
        assert len(found) == len(codes)
        assert all(d.sessions and d.commitment for d in found)
        commended = {d.member.code for d in found if d.nominations}
        assert commended == {"BIG03", "BIG40"} & set(codes)
        return len(statements)

    few = await count(["BIG02", "BIG03"])
    many = await count([f"BIG{n:02d}" for n in range(1, 61)])
    assert few == many <= 16
    whole = await services.dossiers.cell_dossiers(secretary, "CB-BIG", 2026)
    assert len(whole) == 60 and whole[0].commitment.version is None  # BIG01: a draft only
