"""Year-end grading under a grassroots committee, against a real database: the cell proposes
and the member hears nothing; the committee decides for all its cells at once, refused over
the 20% cap with the figures; the exempt are neither graded nor counted; a temporarily
attached member is graded by the official cell, commented on by the one they attend; stale
proposals and boards are refused; a changed decision keeps history; the migration keeps the
grades decided before it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from bot.context import Services
from bot.errors import AccessDenied, Conflict, InvalidInput
from bot.i18n import use_locale
from bot.rules.access import Actor
from bot.services.commitments import BoardChanged, CapExceeded, GradeClosed
from storage import Database
from storage.migrations import available_migrations, split_statements
from tests.conftest import TIMEZONE, FakeBot
from tests.unit.commitment_helpers import actor_for, file

DECEMBER = datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)
NEXT_YEAR = datetime(2027, 1, 2, 9, 0, tzinfo=TIMEZONE)

UNITS = """code,name,kind,parent_code
DU-CS,Đảng ủy Trường Cao đẳng Phù Sa,grassroots_committee,QU-BT
CB-CS1,Chi bộ Khoa Cơ khí,cell,DU-CS
CB-CS2,Chi bộ Khoa Kinh tế,cell,DU-CS
"""
COMMITTEE = "Đảng ủy Trường Cao đẳng Phù Sa"
MEMBERS = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DC01,Lâm Văn Hải,CB-CS1,official,Bí thư chi bộ,false,vi,720001
DC02,Ngô Thị Lan,CB-CS1,official,,false,vi,720002
DC03,Phan Văn Minh,CB-CS1,official,,false,en,720003
DC04,Trịnh Thu Nga,CB-CS1,probationary,,false,vi,720004
DC05,Vũ Đình Phong,CB-CS1,exempt,,false,vi,720005
DC06,Mai Thị Quyên,CB-CS2;CB-CS1,temporary,,false,vi,720006
DC07,Kiều Văn Sang,CB-CS2,temporary,,false,vi,720007
DC10,Cao Thị Tâm,CB-CS2,official,Bí thư chi bộ,false,vi,720010
DC11,Đoàn Văn Út,CB-CS2,official,,false,vi,720011
DC12,Hà Thị Vân,CB-CS2,official,,false,en,720012
DC13,Lý Văn Xuân,CB-CS2,official,,false,vi,720013
DC20,Châu Văn Yên,CB-CS2,official,Bí thư Đảng ủy,false,vi,720020
"""


def tg(code: str) -> int:
    return 720000 + int(code[2:])


@pytest.fixture
async def school(setup: Services) -> Services:
    """The invented organisation plus a grassroots committee (DU-CS) with two cells."""
    services = setup
    await services.organisation.import_units(UNITS.encode(), actor="test")
    await services.organisation.import_members(MEMBERS.encode(), actor="test")
    for code, role, unit in (
        ("DC01", "secretary", "CB-CS1"),
        ("DC10", "secretary", "CB-CS2"),
        ("DC20", "secretary", "DU-CS"),
    ):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    return services


async def who(services: Services, code: str) -> Actor:
    return await actor_for(services, code, tg(code))


async def approved(services: Services, *codes: str) -> dict[str, int]:
    """Each member's commitment filed, submitted and approved (by DU-CS, or by CB-CS2 for
    DU-CS's own secretary); the commitment ids by member code."""
    committee = await who(services, "DC20")
    cell = await who(services, "DC10")
    ids = {}
    for code in codes:
        member = await who(services, code)
        await file(services, member)
        view, _ = await services.commitments.submit(member)
        reviewer = cell if code == "DC20" else committee
        await services.commitments.decide(reviewer, view.commitment.id, 1, approve=True)
        ids[code] = view.commitment.id
    return ids


async def unit_id(services: Services, code: str) -> int:
    async with services.db.read() as store:
        unit = await store.units.by_code(code)
    assert unit is not None
    return unit.id


async def propose_all(services: Services, ids: dict[str, int], grades: dict[str, str]) -> None:
    points = {"excellent": 95, "good": 80, "fulfilled": 60, "not_fulfilled": 30}
    for code, grade in grades.items():
        secretary = await who(services, "DC01" if code in ("DC02", "DC03", "DC04") else "DC10")
        await services.commitments.propose(
            secretary, ids[code], grade, points=points[grade], comment=f"Nhận xét {code}"
        )


# The cell proposes ---------------------------------------------------------------------------


async def test_a_cell_proposes_and_the_member_hears_nothing(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC02", "DC03")
    clock.moment = DECEMBER
    secretary = await who(services, "DC01")
    board = await services.commitments.grading_board(secretary)
    assert [i.view.member.code for i in board.to_grade] == ["DC02", "DC03"]  # Lan, Minh
    [figures] = board.figures
    assert figures.unit.name == COMMITTEE and figures.outlook.total == 0
    # Under a grassroots committee "excellent" is only proposed: not refused here; the cell
    # sees the figures it would make.
    start = await services.commitments.start_proposal(secretary, ids["DC02"], "excellent")
    assert not start.decides and (start.after.excellent, start.after.cap) == (1, 0)
    told = len(fake_bot.to(tg("DC02")))
    outcome = await services.commitments.propose(
        secretary, ids["DC02"], "excellent", points=95, comment="Gương mẫu, sáng tạo"
    )
    assert not outcome.decided and outcome.proposal.source == "cell"
    assert outcome.view.commitment.grade is None and outcome.view.commitment.awaiting_decision
    assert (outcome.figures.outlook.excellent, outcome.figures.waiting) == (1, 1)
    # The member is told nothing, sees no grade, and may still assess themselves.
    assert len(fake_bot.to(tg("DC02"))) == told
    member = await who(services, "DC02")
    [mine] = await services.commitments.mine(member)
    assert mine.commitment.grade is None and mine.grades == []
    await services.commitments.self_review(member)
    board = await services.commitments.grading_board(secretary)
    assert [i.view.member.code for i in board.to_grade] == ["DC03"]
    [proposed] = board.graded
    assert proposed.proposal.grade == "excellent" and proposed.proposal.points == 95
    async with services.db.read() as store:
        audited = await store.audit.recent(action="grading.propose")
    assert audited[0].detail["member"] == "DC02" and audited[0].detail["cell"] == "CB-CS1"


async def test_the_points_are_required_and_a_stale_proposal_is_refused(
    school: Services, clock
) -> None:
    services = school
    ids = await approved(services, "DC02")
    clock.moment = DECEMBER
    secretary, committee = await who(services, "DC01"), await who(services, "DC20")
    with pytest.raises(InvalidInput):
        await services.commitments.propose(
            secretary, ids["DC02"], "good", points=None, comment="Tốt"
        )
    await services.commitments.propose(secretary, ids["DC02"], "good", points=80, comment="Tốt")
    # A second first proposal (a card from before), or a change from a stale card: refused.
    with pytest.raises(GradeClosed, match="already graded") as again:
        await services.commitments.start_proposal(committee, ids["DC02"], "fulfilled", 0)
    assert "Lâm Văn Hải" in again.value.render()
    await services.commitments.propose(
        committee, ids["DC02"], "fulfilled", points=65, comment="Còn hạn chế", revision=1
    )
    with pytest.raises(GradeClosed, match="changed meanwhile"):
        await services.commitments.propose(
            secretary, ids["DC02"], "good", points=80, comment="Tốt", revision=1
        )
    async with services.db.read() as store:
        proposals = await store.grading.proposals(ids["DC02"])
    assert [(p.revision, p.grade, p.source) for p in proposals] == [
        (1, "good", "cell"),
        (2, "fulfilled", "decider"),
    ]


async def test_a_grassroots_cell_decides_itself(school: Services, clock, fake_bot: FakeBot) -> None:
    services = school
    secretary = await actor_for(services, "DV001", 700001)  # CB-BT1, under a district
    member = await actor_for(services, "DV002", 700002)
    await file(services, member)
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(secretary, view.commitment.id, 1, approve=True)
    clock.moment = DECEMBER
    cid = view.commitment.id
    start = await services.commitments.start_proposal(secretary, cid, "good")
    assert start.decides and start.placement.decider.code == "CB-BT1"
    outcome = await services.commitments.propose(
        secretary, cid, "good", points=84, comment="Hoàn thành tốt"
    )
    assert outcome.decided and outcome.view.commitment.grade == "good"
    assert not outcome.view.commitment.awaiting_decision
    assert "<b>Hoàn thành tốt nhiệm vụ</b>" in fake_bot.to(700002)[-1].text
    async with services.db.read() as store:
        [decision] = await store.commitments.grades(cid)
        audited = await store.audit.recent(action="commitment.grade")
    assert decision.decided_unit_id == await unit_id(services, "CB-BT1")
    assert decision.proposal_id is not None and audited[0].detail["decided_by"] == "CB-BT1"


# The committee decides -----------------------------------------------------------------------


async def test_the_grassroots_committee_decides_for_all_its_cells_at_once(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC02", "DC03", "DC04", "DC11", "DC12", "DC13")
    clock.moment = DECEMBER
    grades = {
        "DC02": "excellent",
        "DC03": "good",
        "DC04": "good",
        "DC11": "good",
        "DC12": "good",
        "DC13": "good",
    }
    await propose_all(services, ids, grades)
    committee = await who(services, "DC20")
    du = await unit_id(services, "DU-CS")
    [choice] = await services.commitments.deciding_choices(committee)
    assert (choice.unit.id, choice.waiting, choice.year) == (du, 6, 2026)
    board = await services.commitments.decision_board(committee, du)
    assert [s.cell.code for s in board.cells] == ["CB-CS1", "CB-CS2"]
    assert [e.member.code for e in board.cells[0].entries] == ["DC02", "DC03", "DC04"]
    assert [e.member.code for e in board.cells[1].entries] == ["DC11", "DC12", "DC13"]
    assert board.figures.decided.total == 0 and board.waiting == 6
    assert (board.after.excellent, board.after.good, board.after.cap) == (1, 5, 1)
    outcome = await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    assert len(outcome.decided) == 6 and outcome.figures.decided.excellent == 1
    # Every member hears the decided grade, in their own language, naming the committee.
    lan = fake_bot.to(tg("DC02"))[-1].text
    assert "<b>Hoàn thành xuất sắc nhiệm vụ</b>" in lan and COMMITTEE in lan and "95" in lan
    minh = fake_bot.to(tg("DC03"))[-1].text
    assert "<b>Good</b>" in minh and "Decided by" in minh
    assert "<b>Good</b>" in fake_bot.to(tg("DC12"))[-1].text
    async with services.db.read() as store:
        record = await store.commitments.get(ids["DC02"])
        [decision] = await store.commitments.grades(ids["DC02"])
        audited = await store.audit.recent(action="grading.decide")
    assert (record.grade, record.points, record.awaiting_decision) == ("excellent", 95, False)
    assert decision.proposal_id is not None and decision.decided_unit_id == du
    assert decision.graded_by_name == "Châu Văn Yên"
    assert audited[0].outcome == "ok" and audited[0].detail["decided"] == 6
    # Nothing waits any more.
    with pytest.raises(Conflict, match="No proposal is waiting"):
        await services.commitments.decide_grades(committee, du, 2026, board.stamp)


async def test_a_cell_does_not_decide_and_a_grassroots_cell_has_no_committee(
    school: Services, clock
) -> None:
    services = school
    await approved(services, "DC02")
    clock.moment = DECEMBER
    du = await unit_id(services, "DU-CS")
    cell_secretary = await who(services, "DC01")
    assert await services.commitments.deciding_choices(cell_secretary) == []
    with pytest.raises(AccessDenied, match="decided by its committee"):
        await services.commitments.decision_board(cell_secretary, du)
    with pytest.raises(AccessDenied):
        await services.commitments.decide_grades(cell_secretary, du, 2026, 0)
    async with services.db.read() as store:
        denied = await store.audit.recent(action="grading.decide")
    assert denied[0].outcome == "denied"
    # A cell under a district committee is a grassroots cell: nothing to decide above it.
    grassroots_cell = await actor_for(services, "DV001", 700001)
    assert await services.commitments.deciding_choices(grassroots_cell) == []
    with pytest.raises(Conflict, match="not a grassroots committee"):
        await services.commitments.decision_board(
            await who(services, "DC20"), await unit_id(services, "CB-CS1")
        )
    # The district committee above decides for the grassroots committees under it.
    district = await actor_for(services, "DV010", 700010)
    assert [c.unit.id for c in await services.commitments.deciding_choices(district)] == [du]
    clock.moment = datetime(2026, 11, 30, 9, 0, tzinfo=TIMEZONE)
    with pytest.raises(Conflict, match="opens on"):
        await services.commitments.deciding_choices(district)


async def test_who_may_decide_is_asked_before_when_grading_opens(school: Services) -> None:
    """Regression (permission matrix): before the window, a cell secretary pressing the
    committee's decision buttons was told when grading opens instead of being refused."""
    services = school
    du = await unit_id(services, "DU-CS")
    cell_secretary = await who(services, "DC01")
    with pytest.raises(AccessDenied, match="decided by its committee"):
        await services.commitments.decision_board(cell_secretary, du)
    with pytest.raises(AccessDenied, match="decided by its committee"):
        await services.commitments.decide_grades(cell_secretary, du, 2026, 0)


async def test_an_over_cap_decision_is_refused_with_the_figures(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC02", "DC03", "DC04", "DC11", "DC12", "DC13")
    clock.moment = DECEMBER
    await propose_all(
        services,
        ids,
        {
            "DC02": "excellent",
            "DC03": "good",
            "DC04": "good",
            "DC11": "excellent",
            "DC12": "good",
            "DC13": "good",
        },
    )
    committee = await who(services, "DC20")
    du = await unit_id(services, "DU-CS")
    board = await services.commitments.decision_board(committee, du)
    assert board.after.over_cap
    told = {code: len(fake_bot.to(tg(code))) for code in ids}
    with pytest.raises(CapExceeded) as refused:
        await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    with use_locale("vi"):
        text = refused.value.render()
    assert "Xuất sắc 2 / tối đa 0" in text and "20% của 4" in text and COMMITTEE in text
    async with services.db.read() as store:
        assert [await store.commitments.grades(cid) for cid in ids.values()] == [[]] * 6
        denied = await store.audit.recent(action="grading.decide")
    assert denied[0].outcome == "denied" and denied[0].detail["excellent"] == 2
    assert {code: len(fake_bot.to(tg(code))) for code in ids} == told
    # The committee changes one proposal (its own, recorded as such): the old board is stale.
    changed = await services.commitments.propose(
        committee, ids["DC11"], "good", points=88, comment="Hoàn thành tốt", revision=1
    )
    assert changed.proposal.source == "decider" and not changed.decided
    with pytest.raises(BoardChanged):
        await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    board = await services.commitments.decision_board(committee, du)
    assert (board.after.excellent, board.after.good, board.after.cap) == (1, 5, 1)
    outcome = await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    assert {d.member.code: d.grade for d in outcome.decided}["DC11"] == "good"


async def test_a_changed_decision_keeps_history_until_the_window_closes(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC02", "DC03", "DC04", "DC11", "DC12", "DC13")
    clock.moment = DECEMBER
    await propose_all(services, ids, dict.fromkeys(ids, "good"))
    committee = await who(services, "DC20")
    du = await unit_id(services, "DU-CS")
    board = await services.commitments.decision_board(committee, du)
    await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    # The cell proposes a change: it waits for the committee, the member hears nothing.
    told = len(fake_bot.to(tg("DC02")))
    await services.commitments.propose(
        await who(services, "DC01"),
        ids["DC02"],
        "excellent",
        points=93,
        comment="Có sáng kiến được công nhận",
        revision=1,
    )
    assert len(fake_bot.to(tg("DC02"))) == told
    board = await services.commitments.decision_board(committee, du)
    assert board.waiting == 1 and (board.after.excellent, board.after.good) == (1, 5)
    [lan] = [e for e in board.cells[0].entries if e.member.code == "DC02"]
    assert lan.record.grade == "good" and lan.proposal.grade == "excellent"
    await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    note = fake_bot.to(tg("DC02"))[-1].text
    assert "thay đổi thành <b>Hoàn thành xuất sắc nhiệm vụ</b>" in note
    assert "trước đó: Hoàn thành tốt nhiệm vụ" in note
    async with services.db.read() as store:
        history = await store.commitments.grades(ids["DC02"])
        regrade = await store.audit.recent(action="commitment.regrade")
    assert [(g.revision, g.grade) for g in history] == [(1, "good"), (2, "excellent")]
    assert regrade[0].detail["previous"] == "good"
    # After the window closes, a proposed change is no longer decided.
    await services.commitments.propose(
        await who(services, "DC10"),
        ids["DC11"],
        "fulfilled",
        points=60,
        comment="Hạn chế",
        revision=1,
    )
    clock.moment = NEXT_YEAR
    board = await services.commitments.decision_board(committee, du, 2026)
    assert board.waiting == 0 and not board.may_change
    with pytest.raises(Conflict, match="No proposal is waiting"):
        await services.commitments.decide_grades(committee, du, 2026, board.stamp)


async def test_the_committee_member_s_own_grade_is_decided_by_another(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC20", "DC11", "DC12", "DC13", "DC03", "DC04")
    clock.moment = DECEMBER
    cell = await who(services, "DC10")
    await services.commitments.propose(cell, ids["DC20"], "good", points=85, comment="Tốt")
    others = {"DC11": "good", "DC12": "good", "DC13": "good", "DC03": "good", "DC04": "excellent"}
    await propose_all(services, ids, others)
    committee = await who(services, "DC20")
    du = await unit_id(services, "DU-CS")
    board = await services.commitments.decision_board(committee, du)
    assert board.own_waiting and board.waiting == 5
    # Without the committee secretary's own "good", 1 excellent of 4 good: over the cap.
    with pytest.raises(CapExceeded):
        await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    # Another member of the committee decides it, with everyone else's.
    await services.organisation.set_role(
        member_code="DC01", role="committee", unit_code="DU-CS", grant=True, actor="test"
    )
    colleague = await who(services, "DC01")
    board = await services.commitments.decision_board(colleague, du)
    assert not board.own_waiting and board.waiting == 6
    outcome = await services.commitments.decide_grades(colleague, du, 2026, board.stamp)
    assert "DC20" in {d.member.code for d in outcome.decided} and not outcome.own_waiting
    assert "Hoàn thành tốt nhiệm vụ" in fake_bot.to(tg("DC20"))[-1].text


# The exempt, the temporarily attached -----------------------------------------------------


async def test_exempt_members_are_neither_graded_nor_counted(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC05", "DC02", "DC03", "DC04", "DC11", "DC12", "DC13")
    # The exempt still receive notices (their commitment's approval).
    assert any("duyệt" in m.text for m in fake_bot.to(tg("DC05")))
    clock.moment = DECEMBER
    secretary = await who(services, "DC01")
    board = await services.commitments.grading_board(secretary)
    assert [m.code for m in board.exempt] == ["DC05"]
    assert "DC05" not in {i.view.member.code for i in board.to_grade + board.graded}
    for attempt in (
        services.commitments.start_proposal(secretary, ids["DC05"], "excellent"),
        services.commitments.propose(
            secretary, ids["DC05"], "excellent", points=95, comment="Gương mẫu"
        ),
    ):
        with pytest.raises(Conflict, match="exempt"):
            await attempt
    async with services.db.read() as store:
        refused = await store.audit.recent(action="commitment.grade")
    assert [(a.outcome, a.detail["reason"]) for a in refused] == [("denied", "exempt")] * 2
    # A grade given before the member became exempt (the earlier flow) is not counted.
    async with services.db.write() as store:
        await store.conn.execute(
            "UPDATE commitments SET grade = 'excellent', points = 95, grade_revision = 1 "
            "WHERE id = ?",
            (ids["DC05"],),
        )
    await propose_all(
        services,
        ids,
        {
            "DC02": "excellent",
            "DC03": "good",
            "DC04": "good",
            "DC11": "good",
            "DC12": "good",
            "DC13": "good",
        },
    )
    committee = await who(services, "DC20")
    du = await unit_id(services, "DU-CS")
    board = await services.commitments.decision_board(committee, du)
    assert [m.code for m in board.cells[0].exempt] == ["DC05"]
    assert board.figures.decided.total == 0 and board.after.excellent == 1
    outcome = await services.commitments.decide_grades(committee, du, 2026, board.stamp)
    assert "DC05" not in {d.member.code for d in outcome.decided}
    assert outcome.figures.decided.excellent == 1


async def test_a_temporary_member_is_commented_on_where_attending_and_graded_at_home(
    school: Services, clock, fake_bot: FakeBot
) -> None:
    services = school
    ids = await approved(services, "DC06", "DC07", "DC11")
    clock.moment = DECEMBER
    attending = await who(services, "DC10")  # CB-CS2: DC06 and DC07 attend it temporarily
    board = await services.commitments.grading_board(attending)
    assert [i.view.member.code for i in board.to_grade] == ["DC11"]
    remark_only = {i.member.code: i for i in board.remark_only}
    assert remark_only["DC06"].official.code == "CB-CS1"
    assert remark_only["DC07"].official is None  # the official cell is not in the bot
    with pytest.raises(AccessDenied, match="official membership") as refused:
        await services.commitments.start_proposal(attending, ids["DC06"], "good")
    assert "Chi bộ Khoa Cơ khí" in refused.value.render()
    with pytest.raises(InvalidInput):  # checked like any comment
        await services.commitments.add_remark(
            attending, remark_only["DC06"].member.id, board.campaign.id, "Tích cực\x00"
        )
    saved = await services.commitments.add_remark(
        attending,
        remark_only["DC06"].member.id,
        board.campaign.id,
        "Tích cực tham gia sinh hoạt, chấp hành tốt",
    )
    assert saved.official.code == "CB-CS1" and saved.remark.unit_id == saved.attending.id
    lone = await services.commitments.add_remark(
        attending, remark_only["DC07"].member.id, board.campaign.id, "Gương mẫu nơi cư trú"
    )
    assert lone.official is None
    # Another cell's secretary may not comment; a member not attached temporarily has none.
    home = await who(services, "DC01")
    with pytest.raises(AccessDenied):
        await services.commitments.add_remark(
            home, saved.member.id, board.campaign.id, "Nhận xét khác"
        )
    dc11 = (await who(services, "DC11")).member
    with pytest.raises(Conflict, match="not temporarily attached"):
        await services.commitments.add_remark(attending, dc11.id, board.campaign.id, "Tốt lắm")
    # The official cell grades DC06 and sees the comment on the card.
    board = await services.commitments.grading_board(home)
    [item] = [i for i in board.to_grade if i.view.member.code == "DC06"]
    assert [(r.unit.code, r.record.remark) for r in item.remarks] == [
        ("CB-CS2", "Tích cực tham gia sinh hoạt, chấp hành tốt")
    ]
    outcome = await services.commitments.propose(
        home, ids["DC06"], "good", points=82, comment="Hoàn thành tốt"
    )
    assert outcome.proposal.unit_id == await unit_id(services, "CB-CS1")
    # DC07 is graded nowhere here.
    committee = await who(services, "DC20")
    du_board = await services.commitments.decision_board(
        committee, await unit_id(services, "DU-CS")
    )
    codes = {e.member.code for s in du_board.cells for e in s.entries}
    assert codes == {"DC06", "DC11"}
    async with services.db.read() as store:
        audited = await store.audit.recent(action="grading.remark")
    assert {a.detail["member"] for a in audited} == {"DC06", "DC07"}


# The migration -----------------------------------------------------------------------------


async def test_grades_decided_before_the_migration_stay_decided(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    for migration in available_migrations():
        if migration.version >= 10:
            continue
        for statement in split_statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
            (migration.version, migration.name),
        )
    now = "2026-12-10T02:00:00+00:00"
    conn.executescript(
        f"""
        INSERT INTO units (id, code, name, kind, parent_id, path, created_at, updated_at)
            VALUES (1, 'CB', 'Chi bộ', 'cell', NULL, '/1/', '{now}', '{now}');
        INSERT INTO members (id, code, full_name, status, created_at, updated_at)
            VALUES (1, 'DV1', 'Nguyễn Văn An', 'official', '{now}', '{now}');
        INSERT INTO memberships (member_id, unit_id, is_primary, started_on)
            VALUES (1, 1, 1, '2026-01-01');
        INSERT INTO campaigns (id, year, topic, commit_deadline, study_deadline, review_opens,
            review_closes, created_at, updated_at) VALUES (1, 2026, 'Chủ đề', '2026-03-31',
            '2026-03-31', '2026-12-01', '2026-12-31', '{now}', '{now}');
        INSERT INTO commitments (id, member_id, campaign_id, status, last_version,
            approved_version, grade, points, grade_comment, graded_by, graded_at,
            grade_revision, created_at, updated_at) VALUES (1, 1, 1, 'approved', 1, 1, 'good',
            NULL, 'Tốt', NULL, '{now}', 1, '{now}', '{now}');
        INSERT INTO commitment_grades (commitment_id, revision, grade, points, comment,
            graded_by_name, graded_at) VALUES (1, 1, 'good', NULL, 'Tốt', 'Trần Thị Bích',
            '{now}');
        """
    )
    conn.commit()
    conn.close()
    database = Database(path)
    await database.connect()
    try:
        async with database.read() as store:
            record = await store.commitments.get(1)
            [grade] = await store.commitments.grades(1)
            proposals = await store.grading.in_force([1])
        assert (record.grade, record.grade_comment, record.grade_revision) == ("good", "Tốt", 1)
        assert (record.proposal_revision, record.decided_proposal) == (0, 0)
        assert not record.awaiting_decision and proposals == {}
        assert (grade.grade, grade.proposal_id, grade.decided_unit_id) == ("good", None, None)
    finally:
        await database.close()
