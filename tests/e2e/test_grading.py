"""Year-end grading under a grassroots committee, end to end over HTTP: a cell proposes and
the member hears nothing; the committee decides for both its cells at once and each member
hears the decided grade in their own language; a decision over the 20% cap is refused with
the figures, a proposal is changed and the decision goes through."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.context import services_of
from fake_telegram import BotMessage
from tests.e2e.conftest import TZ, Harness

UNITS_CSV = """code,name,kind,parent_code
DU-TH,Đảng ủy Trường Đại học Tây Hậu,grassroots_committee,TU
CB-A,Chi bộ Khoa Nông nghiệp,cell,DU-TH
CB-B,Chi bộ Khoa Thủy sản,cell,DU-TH
"""
MEMBERS_CSV = """code,full_name,unit_code,status,position,is_head,language,telegram_id
TH01,Lưu Văn Hòa,CB-A,official,Bí thư chi bộ,false,vi,3001
TH02,Ông Thị Lụa,CB-A,official,,false,vi,3002
TH03,Quách Văn Mạnh,CB-A,official,,false,en,3003
TH04,Tạ Thị Nhàn,CB-A,official,,false,vi,3004
TH05,Văn Thị Oanh,CB-A,probationary,,false,vi,3005
TH10,Triệu Văn Phú,CB-B,official,Bí thư chi bộ,false,vi,3010
TH11,Nghiêm Thị Quế,CB-B,official,,false,en,3011
TH12,Lục Văn Rạng,CB-B,official,,false,vi,3012
TH13,Mạc Thị Sen,CB-B,exempt,,false,vi,3013
TH20,Kha Văn Tài,CB-B,official,Bí thư Đảng ủy,false,vi,3020
"""
ROLES = (
    ("TH01", "secretary", "CB-A"),
    ("TH10", "secretary", "CB-B"),
    ("TH20", "secretary", "DU-TH"),
)
COMMITTEE = "Đảng ủy Trường Đại học Tây Hậu"
HOA, LUA, MANH, NHAN, OANH = 3001, 3002, 3003, 3004, 3005
PHU, QUE, RANG, SEN, TAI = 3010, 3011, 3012, 3013, 3020
MEMBERS = (LUA, MANH, NHAN, OANH, QUE, RANG, SEN)
POINTS = {"excellent": 95, "good": 80}


@pytest.fixture
async def school(org: Harness, tmp_path) -> Harness:
    """The harness's organisation and a 2026 campaign, plus a grassroots committee with two
    cells; every member's commitment approved, and the clock inside the review window."""
    h = org
    code, _, err = await h.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    (tmp_path / "school-units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "school-members.csv").write_text(MEMBERS_CSV, encoding="utf-8")
    assert (await h.cli("units", "import", str(tmp_path / "school-units.csv")))[0] == 0
    assert (await h.cli("members", "import", str(tmp_path / "school-members.csv")))[0] == 0
    for member, role, unit in ROLES:
        code, _, err = await h.cli(
            "role", "grant", "--member", member, "--role", role, "--unit", unit
        )
        assert code == 0, err
    for line in MEMBERS_CSV.splitlines()[1:]:
        fields = line.split(",")
        h.server.add_user(int(fields[7]), fields[1].split()[-1], language_code=fields[6])
    services = services_of(h.app)
    committee = await services.registration.identify(TAI)
    for user in MEMBERS:
        member = await services.registration.identify(user)
        await services.commitments.add_action(
            member, "ideology", "Học tập, làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
        )
        view, _ = await services.commitments.submit(member)
        await services.commitments.decide(committee, view.commitment.id, 1, approve=True)
    await h.server.wait_idle()
    for user in (HOA, PHU, TAI, *MEMBERS):
        h.server.skip_pending(user)
    h.clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)
    return h


async def propose(h: Harness, secretary: int, member: int, grade: str) -> None:
    """A proposal made through the service, as /grade would (the UI is shown once below)."""
    services = services_of(h.app)
    actor = await services.registration.identify(secretary)
    target = await services.registration.identify(member)
    commitment = (await services.commitments.mine(target))[0].commitment
    await services.commitments.propose(
        actor, commitment.id, grade, points=POINTS[grade], comment="Hoàn thành các nội dung"
    )


async def board_after(h: Harness, user: int, message: BotMessage, label: str) -> BotMessage:
    """Press ``label`` and return the bot's next message that carries buttons."""
    h.server.press_button(user, message, button_text=label)
    while True:
        found = await h.next_new(user)
        if found.buttons:
            return found


async def test_cells_propose_and_the_grassroots_committee_decides_for_both(
    school: Harness,
) -> None:
    h = school
    listing = await h.say(HOA, "/grade")
    assert "cần xếp loại: 4" in listing.text
    assert f"{COMMITTEE}: Xuất sắc 0 / tối đa 0" in listing.text
    assert "quyết định chung cho các chi bộ" in listing.text
    cards = [await h.next_new(HOA) for _ in range(4)]
    # In roster order (given names): Lụa, Mạnh, Nhàn, Oanh.
    assert ["Ông Thị Lụa" in c.text for c in cards] == [True, False, False, False]
    assert "Văn Thị Oanh" in cards[3].text
    card = cards[0]
    # The cell proposes "excellent": not refused at the cell, the committee decides.
    ask_points = await h.press(HOA, card, "Hoàn thành xuất sắc nhiệm vụ")
    assert "90–100" in ask_points.text and "bắt buộc" in ask_points.text
    assert "nhận xét" in (await h.say(HOA, "95")).text
    confirm = await h.say(HOA, "Có sáng kiến trong giảng dạy được công nhận")
    assert "Đây là đề xuất của chi bộ" in confirm.text and COMMITTEE in confirm.text
    assert "Xuất sắc 1 / tối đa 0" in confirm.text and "⚠️" in confirm.text
    saved = await h.press(HOA, confirm, "Xác nhận")
    assert "Đã ghi đề xuất: đồng chí Ông Thị Lụa — Hoàn thành xuất sắc nhiệm vụ (95)" in saved.text
    await h.server.no_message(LUA)  # a proposal is never told to the member
    for member in (MANH, NHAN, OANH):
        await propose(h, HOA, member, "good")
    for member in (QUE, RANG):
        await propose(h, PHU, member, "good")
    await h.server.no_message(MANH, wait=0.2)

    # The cell's secretary does not decide.
    assert "không thuộc đảng ủy cơ sở" in (await h.say(HOA, "/decide")).text
    # The committee sees both cells' proposals and the figures, and decides at once.
    board = await h.say(TAI, "/decide")
    assert "Chi bộ Khoa Nông nghiệp" in board.text and "Chi bộ Khoa Thủy sản" in board.text
    assert "Ông Thị Lụa — đề xuất: Hoàn thành xuất sắc nhiệm vụ (95)" in board.text
    assert "Nghiêm Thị Quế — đề xuất: Hoàn thành tốt nhiệm vụ (80)" in board.text
    assert "Miễn sinh hoạt, không xếp loại: Mạc Thị Sen" in board.text
    assert f"{COMMITTEE}: Xuất sắc 1 / tối đa 1" in board.text
    decided = await h.press(TAI, board, "Quyết định theo đề xuất (6)")
    assert f"Đã quyết định cho {COMMITTEE}: 6 đảng viên" in decided.text
    # Each member hears the decided grade, in their own language.
    lua = await h.server.next_message(LUA)
    assert "<b>Hoàn thành xuất sắc nhiệm vụ</b>" in lua.text and COMMITTEE in lua.text
    manh = await h.server.next_message(MANH)
    assert "Your year-end grade for 2026: <b>Good</b>" in manh.text
    assert f"Decided by: {COMMITTEE}" in manh.text
    assert "<b>Good</b>" in (await h.server.next_message(QUE)).text
    assert "<b>Hoàn thành tốt nhiệm vụ</b>" in (await h.server.next_message(RANG)).text
    await h.server.no_message(SEN, wait=0.2)  # exempt: not graded
    history = await h.say(LUA, "/mycommitments")
    assert "Xếp loại cuối năm: <b>Hoàn thành xuất sắc nhiệm vụ</b> (95)" in history.text


async def test_a_decision_over_the_cap_is_refused_with_the_figures(school: Harness) -> None:
    h = school
    for member, grade in ((LUA, "excellent"), (MANH, "excellent"), (NHAN, "good"), (OANH, "good")):
        await propose(h, HOA, member, grade)
    for member in (QUE, RANG):
        await propose(h, PHU, member, "good")
    board = await h.say(TAI, "/decide")
    assert f"{COMMITTEE}: Xuất sắc 2 / tối đa 0 (20% của 4" in board.text
    assert "Vượt tỷ lệ 20%" in board.text
    query = h.server.press_button(TAI, board, button_text="Quyết định theo đề xuất")
    answer = await h.server.wait_callback_answer(query)
    assert answer.show_alert and "Xuất sắc 2 / tối đa 0" in answer.text
    refused = await h.next_new(TAI)
    assert "Không thể quyết định" in refused.text and "20% của 4 đảng viên" in refused.text
    for member in (LUA, MANH, NHAN):
        await h.server.no_message(member, wait=0.2)

    # The committee changes one proposal, then decides.
    choose = await h.press(TAI, board, "Sửa đề xuất")
    card = await h.press(TAI, choose, "Quách Văn Mạnh")
    assert "Đề xuất: <b>Hoàn thành xuất sắc nhiệm vụ (95)</b>" in card.text
    await h.press(TAI, card, "Hoàn thành tốt nhiệm vụ")
    await h.say(TAI, "88")
    confirm = await h.say(TAI, "Chưa đủ tiêu chuẩn xuất sắc")
    assert "Xuất sắc 1 / tối đa 1" in confirm.text
    saved = await h.press(TAI, confirm, "Xác nhận")
    assert "Đã ghi đề xuất: đồng chí Quách Văn Mạnh — Hoàn thành tốt nhiệm vụ (88)" in saved.text
    # The old list's button is stale now: refused, and the list comes again.
    query = h.server.press_button(TAI, board, button_text="Quyết định theo đề xuất")
    assert "đã thay đổi" in (await h.server.wait_callback_answer(query)).text
    fresh = await h.next_new(TAI)
    assert "Quách Văn Mạnh — đề xuất: Hoàn thành tốt nhiệm vụ (88)" in fresh.text
    again = await board_after(h, TAI, saved, "Quay lại danh sách quyết định")
    assert f"{COMMITTEE}: Xuất sắc 1 / tối đa 1" in again.text
    decided = await h.press(TAI, again, "Quyết định theo đề xuất (6)")
    assert "6 đảng viên" in decided.text
    manh = await h.server.next_message(MANH)
    assert "<b>Good</b>" in manh.text and "88" in manh.text


async def test_the_cell_a_temporary_member_attends_comments_and_the_official_cell_grades(
    school: Harness, tmp_path
) -> None:
    h = school
    # Vi Thị Thu attends CB-B temporarily (her primary membership); her official cell is
    # CB-A, her first extra membership.
    (tmp_path / "temporary.csv").write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "TH06,Vi Thị Thu,CB-B;CB-A,temporary,,false,vi,3006\n",
        encoding="utf-8",
    )
    assert (await h.cli("members", "import", str(tmp_path / "temporary.csv")))[0] == 0
    h.server.add_user(3006, "Thu", language_code="vi")
    services = services_of(h.app)
    member = await services.registration.identify(3006)
    await services.commitments.add_action(member, "ethics", "Giữ gìn lối sống giản dị")
    view, _ = await services.commitments.submit(member)
    await services.commitments.decide(
        await services.registration.identify(PHU), view.commitment.id, 1, approve=True
    )
    await h.server.wait_idle()
    h.server.skip_pending(PHU)

    listing = await h.say(PHU, "/grade")
    assert "cần xếp loại: 2" in listing.text  # Quế and Rạng; not Thu
    while "Sinh hoạt tạm thời tại chi bộ: 1" not in (temporary := await h.next_new(PHU)).text:
        pass
    assert "Vi Thị Thu (do Chi bộ Khoa Nông nghiệp xếp loại)" in temporary.text
    ask = await h.press(PHU, temporary, "Nhận xét: Vi Thị Thu")
    assert "Chi bộ Khoa Thủy sản" in ask.text
    assert "ký tự điều khiển" in (await h.say(PHU, "Tích cực\x07 tham gia")).text
    saved = await h.say(PHU, "Tích cực tham gia sinh hoạt <i>tổ dân phố</i>")
    assert "Đã lưu. Chi bộ Khoa Nông nghiệp" in saved.text

    listing = await h.say(HOA, "/grade")
    assert "cần xếp loại: 5" in listing.text
    cards = [await h.next_new(HOA) for _ in range(5)]
    [card] = [c for c in cards if "Vi Thị Thu" in c.text]
    assert "Nhận xét của Chi bộ Khoa Thủy sản (nơi đảng viên sinh hoạt tạm thời)" in card.text
    assert "&lt;i&gt;tổ dân phố&lt;/i&gt;" in card.text
    ask_points = await h.press(HOA, card, "Hoàn thành tốt nhiệm vụ")
    assert "70–89" in ask_points.text
