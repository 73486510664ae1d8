"""Sessions and attendance end to end: invitations, answers, check-in, late reports, closing,
minutes, conferences with bridge points, the study cascade, exports and bad input."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import datetime
from pathlib import Path

from docx import Document

from fake_telegram import BotMessage
from tests.e2e.conftest import TZ, Harness

SECRETARY, BICH, EM, GIANG = 1001, 1002, 1005, 1007
NEW_MEMBERS = list(range(6001, 6010))  # nine more members of CB-1 with Telegram accounts


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def _add_cell_members(org: Harness, tmp_path: Path) -> None:
    lines = ["code,full_name,unit_code,status,position,is_head,language,telegram_id"]
    lines += [f"M{u},Đảng viên Thứ {u},CB-1,official,,false,vi,{u}" for u in NEW_MEMBERS]
    lines.append("M-EX,Cụ Miễn Sinh Hoạt,CB-1,exempt,,false,vi,")
    (tmp_path / "cell.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = await org.cli("members", "import", str(tmp_path / "cell.csv"))
    assert code == 0, err
    for user in NEW_MEMBERS:
        org.server.add_user(user, f"U{user}", language_code="vi")


async def _campaign(org: Harness) -> None:
    code, _, err = await org.cli(
        "campaign", "create", "--year", "2026", "--topic",
        "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về trách nhiệm nêu gương",
    )  # fmt: skip
    assert code == 0, err


async def _create(
    org: Harness,
    user: int,
    kind: str,
    topic: str,
    when: str,
    place: str,
    *,
    campaign: bool | None = None,
    unit: str | None = None,
) -> int:
    """Walk the /session new conversation; returns the new session's number."""
    ask = await org.say(user, f"/session new {unit}" if unit else "/session new")
    assert "Loại sinh hoạt nào" in ask.text, ask.text
    ask_topic = await org.press(user, ask, kind)
    assert "chủ đề" in ask_topic.text
    answer = await org.say(user, topic)
    if campaign is not None:
        assert "chuyên đề năm 2026" in answer.text
        answer = await org.press(user, answer, "Có" if campaign else "Không")
    assert "Thời gian bắt đầu" in answer.text, answer.text
    echo = await org.say(user, when)
    assert "Có đúng không" in echo.text, echo.text
    ask_place = await org.press(user, echo, "Xác nhận")
    # The place question comes after the confirmed time.
    assert "Đồng chí gửi địa điểm tổ chức" in ask_place.text, ask_place.text
    summary = await org.say(user, place)
    if "trình bày" in summary.text:
        lead = await org.say(user, "Trần Thị Bích")
        assert "Đồng chí gửi bài đề dẫn" in lead.text, lead.text
        summary = await org.say(user, "Bài gợi ý về trách nhiệm nêu gương.")
    assert "kiểm tra lại" in summary.text, summary.text
    saved = await org.press(user, summary, "Xác nhận và gửi giấy mời")
    found = re.search(r"Đã lưu buổi sinh hoạt số (\d+)", saved.text)
    assert found, saved.text
    return int(found.group(1))


def _line_number(text: str, name: str) -> int:
    for line in text.splitlines():
        if name in line:
            return int(line.split(".")[0])
    raise AssertionError(f"{name} not in {text}")


async def test_a_regular_session_from_invitation_to_minutes(org: Harness, tmp_path) -> None:
    await _add_cell_members(org, tmp_path)
    await _campaign(org)

    # Bad dates get a reason and a retry; a good one is echoed for confirmation.
    ask = await org.say(SECRETARY, "/session new")
    topic_q = await org.press(SECRETARY, ask, "Sinh hoạt chi bộ thường kỳ")
    assert "chủ đề" in topic_q.text
    campaign_q = await org.say(SECRETARY, "Sinh hoạt chi bộ tháng 3: học tập chuyên đề năm 2026")
    when_q = await org.press(SECRETARY, campaign_q, "Có, theo chuyên đề năm")
    assert "25/03/2026 19:30" in when_q.text
    bad = await org.say(SECRETARY, "32/13 19:30")
    assert "'32/13' không phải ngày hợp lệ" in bad.text, bad.text
    bad = await org.say(SECRETARY, "tối thứ sáu")
    assert "25/03/2026 19:30" in bad.text, bad.text
    past = await org.say(SECRETARY, "01/03/2026 19:30")
    assert "19:30, 01/03/2026 đã qua" in past.text
    echo = await org.say(SECRETARY, "20/3 19:30")
    assert "19:30, 20/03/2026" in echo.text and "ngày 20 tháng 3 năm 2026" in echo.text
    place_q = await org.press(SECRETARY, echo, "Xác nhận")
    assert "địa điểm" in place_q.text
    summary = await org.say(SECRETARY, "Hội trường khu vực 1 <số 5>")
    assert "Hội trường khu vực 1 &lt;số 5&gt;" in summary.text  # escaped user text
    saved = await org.press(SECRETARY, summary, "Xác nhận và gửi giấy mời")
    session_id = int(re.search(r"số (\d+)", saved.text).group(1))
    assert "14 đồng chí" in saved.text  # the cell's 14 members, the exempt one included

    # Ten members answer the invitation: eight will attend, two ask to be excused.
    answering = [BICH, *NEW_MEMBERS]
    invitations = {u: await org.server.next_message(u) for u in answering}
    for invitation in invitations.values():
        assert "Giấy mời" in invitation.text and "19:30, 20/03/2026" in invitation.text
    for user in NEW_MEMBERS[:8]:
        done = await org.press(user, invitations[user], "Tôi sẽ tham dự")
        assert "sẽ tham dự" in done.text
    for user, reason in ((BICH, "ốm"), (NEW_MEMBERS[8], "đi công tác")):
        ask_reason = await org.press(user, invitations[user], "Tôi xin vắng")
        assert "lý do" in ask_reason.text
        done = await org.say(user, reason)
        assert f"lý do: {reason}" in done.text
    # The secretary's own invitation (for the record), and the progress of the sending.
    await org.delivered()
    told = [m.text for m in org.server.events(SECRETARY)]
    assert any("người tổ chức" in text for text in told)
    assert any(text.startswith("Đã gửi xong: ") for text in told)
    org.server.skip_pending(SECRETARY)
    shown = await org.say(SECRETARY, f"/session show {session_id}")
    assert "Sẽ tham dự: 8" in shown.text and "Xin vắng: 2" in shown.text
    assert "Trần Thị Bích: ốm" in shown.text and "Chưa trả lời: 4" in shown.text

    # Check-in: before its window a code does not work; seven members check in with it.
    org.clock.moment = datetime(2026, 3, 20, 19, 10, tzinfo=TZ)
    opened = await org.say(SECRETARY, f"/session checkin {session_id}")
    assert "19:00, 20/03/2026" in opened.text and "21:30, 20/03/2026" in opened.text
    code = re.search(r"/attend (\d{6})", opened.text).group(1)
    org.clock.moment = datetime(2026, 3, 20, 18, 50, tzinfo=TZ)
    early = await org.say(NEW_MEMBERS[0], f"/attend {code}")
    assert "Chưa mở điểm danh" in early.text
    org.clock.moment = datetime(2026, 3, 20, 19, 25, tzinfo=TZ)
    wrong = await org.say(NEW_MEMBERS[0], "/attend 12345")
    assert "không phải là mã điểm danh" in wrong.text
    other = "000000" if code != "000000" else "111111"
    wrong = await org.say(NEW_MEMBERS[0], f"/attend {other}")
    assert "không khớp" in wrong.text
    for user in NEW_MEMBERS[:7]:
        reply = await org.say(user, f"/attend {code[:3]} {code[3:]}")
        assert "Đã điểm danh" in reply.text, reply.text
    twice = await org.say(NEW_MEMBERS[0], f"/attend {code}")
    assert "chỉ tính một lần" in twice.text
    stranger = await org.say(EM, f"/attend {code}")  # CB-2's secretary is not on the list
    assert "không có trong danh sách" in stranger.text

    # After the window: one member reports late and the secretary confirms.
    org.clock.moment = datetime(2026, 3, 20, 22, 0, tzinfo=TZ)
    late_code = await org.say(NEW_MEMBERS[7], f"/attend {code}")
    assert "đã kết thúc" in late_code.text
    listing = await org.say(NEW_MEMBERS[7], "/attend")
    assert "Bấm nút" in listing.text
    card = await org.server.next_message(NEW_MEMBERS[7])
    sent = await org.press(NEW_MEMBERS[7], card, "Tôi đã tham dự")
    assert "gửi bí thư xác nhận" in sent.text
    request = await org.server.next_message(SECRETARY)
    assert "Đảng viên Thứ 6008" in request.text
    org.server.press_button(SECRETARY, request, button_text="Xác nhận")
    edited = await org.server.next_message(SECRETARY)
    assert edited.edited and "Đã xác nhận" in edited.text
    confirmed = await org.server.next_message(NEW_MEMBERS[7])
    assert "đã xác nhận đồng chí tham dự" in confirmed.text
    # The same button again changes nothing and says why.
    query = org.server.press_button(SECRETARY, request.message_id, request.button_data("Xác nhận"))
    answer = await org.server.wait_callback_answer(query)
    assert "đã được xử lý" in answer.text

    # Closing: the paper-style list, corrected in bulk by number, echoed, then final.
    listed = await org.say(SECRETARY, f"/session close {session_id}")
    assert "Sĩ số 13 · Có mặt 8 · Vắng có lý do 2 · Vắng không lý do 3" in listed.text
    assert "Miễn sinh hoạt 1" in listed.text
    # The exempt member is exempt, last, never "absent without reason".
    assert "14. Cụ Miễn Sinh Hoạt — ➖ Miễn sinh hoạt" in listed.plain_text.splitlines()
    assert "(miễn sinh hoạt)" not in listed.plain_text
    assert ("14 ➖", f"ses:cyc:{session_id}:14") in listed.buttons
    an = _line_number(listed.plain_text, "Nguyễn Văn An")
    cuong = _line_number(listed.plain_text, "Lê Hoàng Cường")
    bad = await org.say(SECRETARY, "99 C")
    assert "Không có dòng 99" in bad.text
    echo = await org.say(SECRETARY, f"{an} C\n{cuong} V ốm")
    assert "Sửa các dòng sau" in echo.text and "Lê Hoàng Cường — 🟡 Vắng có lý do: ốm" in echo.text
    updated = await org.press(SECRETARY, echo, "Xác nhận")
    assert "Sĩ số 13 · Có mặt 9 · Vắng có lý do 3 · Vắng không lý do 1" in updated.text
    closed = await org.press(SECRETARY, updated, "Kết thúc buổi sinh hoạt")
    assert "Đã kết thúc buổi sinh hoạt số" in closed.text
    assert "Sĩ số 13 · Có mặt 9 · Vắng có lý do 3 · Vắng không lý do 1" in closed.text

    # A closed session: stale buttons and codes change nothing.
    query = org.server.press_button(
        NEW_MEMBERS[8], invitations[NEW_MEMBERS[8]].message_id, f"ses:yes:{session_id}"
    )
    answer = await org.server.wait_callback_answer(query)
    assert "đã kết thúc" in answer.text
    again = await org.say(SECRETARY, f"/session close {session_id}")
    assert "đã kết thúc" in again.text

    # Minutes in a guided conversation, then the DOCX.
    chair_q = await org.say(SECRETARY, f"/session minutes {session_id}")
    assert "Biên bản" in chair_q.text and "Có mặt 9" in chair_q.text
    await org.say(SECRETARY, "Nguyễn Văn An")
    guests_q = await org.say(SECRETARY, "Trần Thị Bích")
    agenda_q = await org.press(SECRETARY, guests_q, "Bỏ qua")
    speakers_q = await org.press(SECRETARY, agenda_q, "Bỏ qua")
    assert "Họ tên: ý kiến" in speakers_q.text
    spoken = await org.say(
        SECRETARY, "Đảng viên Thứ 6001: Cần gắn chuyên đề với công việc\nLê Hoàng Cường: Đồng ý"
    )
    assert "2. <b>Lê Hoàng Cường</b>: Đồng ý" in spoken.text
    await org.press(SECRETARY, spoken, "Xong")
    await org.say(SECRETARY, "Một số đảng viên lớn tuổi khó dùng điện thoại")
    await org.say(SECRETARY, "Tổ đảng hỗ trợ lẫn nhau")
    end_q = await org.say(SECRETARY, "Chi bộ thống nhất thực hiện chuyên đề trong quý II")
    assert "kết thúc lúc mấy giờ" in end_q.text, end_q.text
    early = await org.say(SECRETARY, "19:00")
    assert "bắt đầu lúc 19:30" in early.text and "ví dụ 21:30" in early.text
    check = await org.say(SECRETARY, "21h15")
    assert "Chủ trì: Nguyễn Văn An" in check.text
    assert "Kết thúc: 21:15, 20/03/2026" in check.text
    await org.press(SECRETARY, check, "Xác nhận")
    document = await org.next_new(SECRETARY)
    assert document.file_name == f"bien-ban-{session_id}.docx"
    docx = Document(io.BytesIO(document.file_bytes))
    header = [p.text for cell in docx.tables[0].rows[0].cells for p in cell.paragraphs]
    assert header == [
        "ĐẢNG BỘ PHƯỜNG NINH KIỀU",
        "CHI BỘ KHU VỰC 1",
        "*",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Cần Thơ, ngày 20 tháng 3 năm 2026",  # the locality, not "Hội trường khu vực 1 <số 5>"
    ]
    text = "\n".join(p.text for p in docx.paragraphs)
    for expected in (
        "BIÊN BẢN",
        "Thời gian: từ 19 giờ 30 phút đến 21 giờ 15 phút, ngày 20 tháng 3 năm 2026.",
        "Chủ trì: đồng chí Nguyễn Văn An",
        "Thư ký: đồng chí Trần Thị Bích",
        # 4 members of the organisation's roster plus 9 added: 12 official, 1 probationary.
        "Tổng số đảng viên: 13 đồng chí; trong đó: chính thức 12, dự bị 1.",
        "Đảng viên được miễn sinh hoạt: 1 đồng chí.",
        "Có mặt: 9 đồng chí.",
        "Vắng: 4 đồng chí (có lý do: 3, không lý do: 1).",
        "Lê Hoàng Cường: vắng có lý do (ốm)",
        "Đảng viên Thứ 6001: Cần gắn chuyên đề với công việc",
        "Chi bộ thống nhất thực hiện chuyên đề trong quý II",
    ):
        assert expected in text, expected
    # Asked again: the document, and «Record again» opens the minutes flow from the start.
    again = await org.say(SECRETARY, f"/session minutes {session_id}")
    assert again.file_name == f"bien-ban-{session_id}.docx"
    offer = await org.next_new(SECRETARY)
    assert [text for text, _ in offer.buttons] == ["Ghi lại biên bản"], offer.buttons
    chair_q = await org.press(SECRETARY, offer, "Ghi lại biên bản")
    assert "Người chủ trì buổi sinh hoạt là ai?" in chair_q.text, chair_q.text
    assert "Đã hủy" in (await org.say(SECRETARY, "/cancel")).text

    # Every management action is audited.
    actions = {row[0] for row in _rows(org.db_path, "SELECT action FROM audit_log")}
    assert {"session.create", "session.checkin.open", "session.late.confirm"} <= actions
    assert {"session.correct", "session.close", "session.minutes"} <= actions
    marks = _rows(
        org.db_path,
        f"SELECT mark, COUNT(*) FROM session_invitees WHERE session_id = {session_id} "
        "GROUP BY mark ORDER BY mark",
    )
    assert marks == [("absent", 2), ("excused", 3), ("present", 9)]  # the exempt one is absent

    # The report, its export from the bot, and the same from the CLI.
    report = await org.say(SECRETARY, "/session report 3/2026")
    assert "Chi bộ Khu vực 1" in report.text and "69%" in report.text  # 9 of 13
    assert "1/1 đơn vị đã hoàn thành" in report.text
    org.server.press_button(SECRETARY, report, button_text="Xuất CSV")
    exported = await org.next_new(SECRETARY)
    csv_text = exported.file_bytes.decode("utf-8-sig")
    assert "Lê Hoàng Cường" in csv_text and "Vắng có lý do" in csv_text
    exempt_row = next(line for line in csv_text.splitlines() if "Cụ Miễn Sinh Hoạt" in line)
    # Exempt and absent: the register says so, rather than "absent without reason".
    assert exempt_row.count("Miễn sinh hoạt") == 2 and "Vắng không lý do" not in exempt_row
    out = tmp_path / "attendance.xlsx"
    code_, stdout, err = await org.cli(
        "export", "attendance", "--unit", "CB-1", "--from", "2026-03-01", "--to",
        "2026-03-31", "--format", "xlsx", "--out", str(out),
    )  # fmt: skip
    assert code_ == 0, err
    assert out.read_bytes()[:2] == b"PK" and "byte vào" in stdout


async def test_a_conference_with_three_bridge_points(org: Harness, tmp_path) -> None:
    (tmp_path / "cb3.csv").write_text(
        "code,name,kind,parent_code\nCB-3,Chi bộ Khu vực 3,cell,DU-NK\n", encoding="utf-8"
    )
    assert (await org.cli("units", "import", str(tmp_path / "cb3.csv")))[0] == 0
    (tmp_path / "cb3m.csv").write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "DV030,Mai Văn Ba,CB-3,official,Bí thư chi bộ,false,vi,1030\n"
        "DV031,Lý Thị Tư,CB-3,official,,false,vi,\n",
        encoding="utf-8",
    )
    assert (await org.cli("members", "import", str(tmp_path / "cb3m.csv")))[0] == 0
    code, _, err = await org.cli(
        "role", "grant", "--member", "DV030", "--role", "secretary", "--unit", "CB-3"
    )
    assert code == 0, err
    org.server.add_user(1030, "Ba", language_code="vi")

    session_id = await _create(
        org,
        GIANG,
        "Hội nghị (trực tuyến)",
        "Hội nghị trực tuyến quán triệt chuyên đề năm 2026",
        "15/03/2026 08:00",
        "https://meet.example.org/hoi-nghi",
    )
    # The whole subtree is invited: a cell secretary receives it too.
    for user in (SECRETARY, BICH, EM, 1030, GIANG):
        invitation = await org.server.next_message(user)
        assert "Giấy mời" in invitation.text and "Hội nghị (trực tuyến)" in invitation.text

    org.clock.moment = datetime(2026, 3, 15, 9, 0, tzinfo=TZ)
    for user, args, count in (
        (SECRETARY, "12", 12),
        (EM, "8 Võ Minh Em, Đặng Văn Phúc", 8),
        (1030, "CB-3 5", 5),
    ):
        echo = await org.say(user, f"/session bridge {session_id} {args}")
        assert f"<b>{count}</b>" in echo.text and "Có đúng không" in echo.text
        done = await org.press(user, echo, "Xác nhận")
        assert f"{count} đồng chí có mặt" in done.text
    # Another bridge point's secretary cannot report for CB-1.
    echo = await org.say(EM, f"/session bridge {session_id} CB-1 30")
    query = org.server.press_button(EM, echo, button_text="Xác nhận")
    answer = await org.server.wait_callback_answer(query)
    assert "Chỉ bí thư" in answer.text

    shown = await org.say(GIANG, f"/session show {session_id}")
    assert "Các điểm cầu" in shown.text
    assert "Chi bộ Khu vực 1: 4 được mời, 0 đã điểm danh, báo cáo 12 có mặt" in shown.text
    assert "Võ Minh Em, Đặng Văn Phúc" in shown.text
    assert "Chi bộ Khu vực 3: 2 được mời" in shown.text
    assert "Tổng: 9 được mời, 0 đã điểm danh, 25 báo cáo có mặt" in shown.text


async def test_the_study_cascade_lists_units_not_done(org: Harness) -> None:
    await _campaign(org)
    # The committee sets an earlier deadline for its subtree; the parsed date is echoed.
    echo = await org.say(GIANG, "/session deadline 25/3")
    assert "<b>25/03/2026</b>" in echo.text
    saved = await org.press(GIANG, echo, "Xác nhận")
    assert "25/03/2026" in saved.text

    first = await _create(
        org, SECRETARY, "Sinh hoạt chuyên đề", "Chuyên đề năm 2026 tại chi bộ",
        "12/03/2026 19:30", "Nhà văn hóa khu vực 1", campaign=True,
    )  # fmt: skip
    await org.delivered()
    org.server.skip_pending(SECRETARY)  # own invitation
    other = await _create(
        org, EM, "Sinh hoạt chi bộ thường kỳ", "Sinh hoạt tháng 3 của chi bộ",
        "26/03/2026 19:30", "Trụ sở khu vực 2", campaign=True,
    )  # fmt: skip
    await org.delivered()
    org.server.skip_pending(EM)
    org.clock.moment = datetime(2026, 3, 27, 9, 0, tzinfo=TZ)
    for user, session_id in ((SECRETARY, first), (EM, other)):
        listed = await org.say(user, f"/session close {session_id}")
        closed = await org.press(user, listed, "Kết thúc buổi sinh hoạt")
        assert "Đã kết thúc" in closed.text

    report = await org.say(GIANG, "/session report Q1/2026")
    assert "Học tập chuyên đề năm 2026" in report.text
    assert "1/2 đơn vị đã hoàn thành" in report.text
    assert "Chi bộ Khu vực 2 (hạn 25/03/2026)" in report.text  # held after its deadline
    assert "Chi bộ Khu vực 1 (hạn" not in report.text
    # The cadence rule: CB-1 held no regular meeting in January or February.
    assert "Chưa tổ chức sinh hoạt chi bộ thường kỳ các tháng: 01/2026, 02/2026" in report.text


async def test_bad_input_and_someone_elses_unit(org: Harness) -> None:
    menu = await org.say(SECRETARY, "/session")
    assert "/session checkin ID" in menu.text
    refused = await org.say(BICH, "/session list")
    assert "chỉ dành cho" in refused.text
    session_id = await _create(
        org, SECRETARY, "Sinh hoạt chi bộ thường kỳ", "Sinh hoạt chi bộ tháng 3",
        "20/03/2026 19:30", "Hội trường",
    )  # fmt: skip
    invitation: BotMessage = await org.server.next_message(BICH)
    await org.delivered()
    org.server.skip_pending(SECRETARY)  # the secretary's own invitation
    # Another cell's secretary sees nothing of it and cannot manage it.
    for command in ("show", "close", "checkin", "cancel"):
        denied = await org.say(EM, f"/session {command} {session_id}")
        assert "Chỉ bí thư" in denied.text, command
    denied_rows = _rows(
        org.db_path,
        "SELECT target FROM audit_log WHERE outcome = 'denied' AND action LIKE 'session.%'",
    )
    assert denied_rows
    missing = await org.say(SECRETARY, "/session show 999")
    assert "Không có buổi sinh hoạt số 999" in missing.text
    # The list can be prepared early, but a session cannot be closed before it starts.
    listed = await org.say(SECRETARY, f"/session close {session_id}")
    query = org.server.press_button(SECRETARY, listed, button_text="Kết thúc buổi sinh hoạt")
    answer = await org.server.wait_callback_answer(query)
    assert "chưa bắt đầu" in answer.text
    stopped = await org.say(SECRETARY, "/cancel")
    assert "Đã hủy" in stopped.text or "Cancelled" in stopped.text or "hủy" in stopped.text
    # Check-in cannot open once its window has passed.
    org.clock.moment = datetime(2026, 3, 21, 9, 0, tzinfo=TZ)
    late = await org.say(SECRETARY, f"/session checkin {session_id}")
    assert "đã kết thúc lúc 21:30, 20/03/2026" in late.text
    # Edit the place, echoed before saving; invitees are told.
    org.clock.moment = datetime(2026, 3, 15, 9, 0, tzinfo=TZ)
    fields = await org.say(SECRETARY, f"/session edit {session_id}")
    ask = await org.press(SECRETARY, fields, "Địa điểm")
    assert "Đồng chí gửi nội dung mới cho: Địa điểm" in ask.text, ask.text
    echo = await org.say(SECRETARY, "Phòng họp tầng 2")
    assert "<b>Phòng họp tầng 2</b>" in echo.text
    await org.press(SECRETARY, echo, "Xác nhận")
    for user in (BICH, SECRETARY):
        changed = await org.server.next_message(user)
        assert "Thay đổi" in changed.text and "Phòng họp tầng 2" in changed.text
    # Cancel asks first, then tells the invitees; an old invitation button is refused.
    ask_cancel = await org.say(SECRETARY, f"/session cancel {session_id}")
    done = await org.press(SECRETARY, ask_cancel, "Đồng ý hủy")
    assert "Đã hủy" in done.text
    for user in (BICH, SECRETARY):
        notice = await org.server.next_message(user)
        assert "Hủy" in notice.text
    query = org.server.press_button(BICH, invitation, button_text="Tôi sẽ tham dự")
    answer = await org.server.wait_callback_answer(query)
    assert "đã bị hủy" in answer.text
    stale = await org.server.next_message(BICH)  # the dead invitation loses its buttons
    assert stale.edited and stale.message_id == invitation.message_id and not stale.buttons
    upcoming = await org.say(BICH, "/sessions")
    assert "không có buổi sinh hoạt nào sắp tới" in upcoming.text


async def test_one_open_conversation_at_a_time(org: Harness) -> None:
    await _campaign(org)
    ask = await org.say(SECRETARY, "/session new")
    assert "Loại sinh hoạt nào" in ask.text
    topic_q = await org.press(SECRETARY, ask, "Sinh hoạt chi bộ thường kỳ")
    assert "chủ đề" in topic_q.text
    # /commit while /session new is open: refused, and the next text still belongs to it.
    refused = await org.say(SECRETARY, "/commit")
    assert "Đồng chí đang thao tác với buổi sinh hoạt (/session)" in refused.text
    assert "/cancel" in refused.text
    campaign_q = await org.say(SECRETARY, "Sinh hoạt chi bộ tháng 4")
    assert "chuyên đề năm 2026" in campaign_q.text
    # Other /session subcommands answer without ending the open step.
    listed = await org.say(SECRETARY, "/session list")
    assert "Không có buổi sinh hoạt nào trong 30 ngày qua" in listed.text
    when_q = await org.press(SECRETARY, campaign_q, "Không")
    assert "Thời gian bắt đầu" in when_q.text
    stopped = await org.say(SECRETARY, "/cancel")
    assert "Đã hủy" in stopped.text
    # After /cancel, /commit works.
    filing = await org.say(SECRETARY, "/commit")
    assert "Bản cam kết năm 2026" in filing.text, filing.text
    # And the other way round: /session new while /commit is open is refused.
    refused = await org.say(SECRETARY, "/session new")
    assert "Đồng chí đang" in refused.text and "/commit" in refused.text
    await org.say(SECRETARY, "/cancel")
    # A member giving the reason for an absence is one conversation too.
    session_id = await _create(
        org, SECRETARY, "Sinh hoạt chi bộ thường kỳ", "Sinh hoạt chi bộ tháng 3",
        "20/03/2026 19:30", "Hội trường", campaign=False,
    )  # fmt: skip
    invitation = await org.server.next_message(BICH)
    ask_reason = await org.press(BICH, invitation, "Tôi xin vắng")
    assert "lý do" in ask_reason.text
    refused = await org.say(BICH, "/commit")
    assert "gửi lý do xin vắng buổi sinh hoạt" in refused.text
    done = await org.say(BICH, "đi công tác")
    assert f"buổi sinh hoạt số {session_id}" in done.text and "đi công tác" in done.text
    filing = await org.say(BICH, "/commit")
    assert "Bản cam kết năm 2026" in filing.text


async def test_a_thematic_session_circulates_its_lead_in(org: Harness) -> None:
    ask = await org.say(SECRETARY, "/session new")
    await org.press(SECRETARY, ask, "Sinh hoạt chuyên đề")
    when_q = await org.say(SECRETARY, "Chuyên đề: trách nhiệm nêu gương")
    assert "Thời gian bắt đầu" in when_q.text, when_q.text
    echo = await org.say(SECRETARY, "18/3 19:30")
    assert "Có đúng không" in echo.text
    await org.press(SECRETARY, echo, "Xác nhận")
    presenter_q = await org.say(SECRETARY, "Nhà văn hóa khu vực 1")
    assert "trình bày" in presenter_q.text
    lead_q = await org.say(SECRETARY, "Trần Thị Bích")
    assert "bài đề dẫn" in lead_q.text.lower()
    short = await org.say(SECRETARY, "Ngắn")  # too short for a lead-in: a reason and a retry
    assert "10" in short.text and "3000" in short.text
    lead_in = "Đảng viên nêu gương trong công việc <hằng ngày> và ở khu dân cư."
    summary = await org.say(SECRETARY, lead_in)
    assert "Người trình bày: Trần Thị Bích" in summary.text
    saved = await org.press(SECRETARY, summary, "Xác nhận và gửi giấy mời")
    session_id = int(re.search(r"số (\d+)", saved.text).group(1))
    # The invitees receive the lead-in with the invitation, before the session.
    for user in (BICH, SECRETARY):
        invitation = await org.server.next_message(user)
        assert "Sinh hoạt chuyên đề" in invitation.text
        assert "Người trình bày: Trần Thị Bích" in invitation.text
        assert "Bài đề dẫn:" in invitation.text
        assert "hằng ngày&gt; và ở khu dân cư." in invitation.text  # escaped user text
    stored = _rows(org.db_path, f"SELECT presenter, lead_in FROM sessions WHERE id = {session_id}")
    assert stored == [("Trần Thị Bích", lead_in)]
    # A revised lead-in is circulated again.
    fields = await org.say(SECRETARY, f"/session edit {session_id}")
    await org.press(SECRETARY, fields, "Bài đề dẫn")
    echo = await org.say(SECRETARY, "Bản sửa: nêu gương trong công việc hằng ngày.")
    assert "Có đúng không" in echo.text
    await org.press(SECRETARY, echo, "Xác nhận")
    changed = await org.server.next_message(BICH)
    assert "Thay đổi" in changed.text and "Bản sửa: nêu gương" in changed.text


async def test_answers_show_live_and_xlsx_export_from_the_bot(org: Harness) -> None:
    from openpyxl import load_workbook

    session_id = await _create(
        org, SECRETARY, "Sinh hoạt chi bộ thường kỳ", "Sinh hoạt chi bộ tháng 3 năm 2026",
        "20/03/2026 19:30", "Hội trường khu vực 1",
    )  # fmt: skip
    invitation = await org.server.next_message(BICH)
    await org.server.next_message(SECRETARY)  # own invitation
    shown = await org.say(SECRETARY, f"/session show {session_id}")
    assert "Sẽ tham dự: 0" in shown.text and "Chưa trả lời: 4" in shown.text
    # A member answers: the secretary's /session show is redrawn in place.
    await org.press(BICH, invitation, "Tôi xin vắng")
    await org.say(BICH, "ốm")
    live = await org.server.next_message(SECRETARY)
    while "Trần Thị Bích: ốm" not in live.text:  # one redraw per answer, the last has both
        live = await org.server.next_message(SECRETARY)
    assert live.edited and live.message_id == shown.message_id
    assert "Xin vắng: 1" in live.text and "Chưa trả lời: 3" in live.text

    # Check-in with the code: the code is repeated back with the meeting it matched.
    org.clock.moment = datetime(2026, 3, 20, 19, 20, tzinfo=TZ)
    opened = await org.say(SECRETARY, f"/session checkin {session_id}")
    code = re.search(r"/attend (\d{6})", opened.text).group(1)
    checked = await org.say(SECRETARY, f"/attend {code}")
    assert f"Mã {code[:3]} {code[3:]}:" in checked.text and "Đã điểm danh" in checked.text
    org.clock.moment = datetime(2026, 3, 21, 9, 0, tzinfo=TZ)
    listed = await org.say(SECRETARY, f"/session close {session_id}")
    closed = await org.press(SECRETARY, listed, "Kết thúc buổi sinh hoạt")
    assert "Sĩ số 4 · Có mặt 1 · Vắng có lý do 1 · Vắng không lý do 2" in closed.text
    # A stale line button of the closed list says why and loses its buttons.
    query = org.server.press_button(SECRETARY, listed.message_id, f"ses:cyc:{session_id}:1")
    answer = await org.server.wait_callback_answer(query)
    assert "đã kết thúc" in answer.text

    report = await org.say(SECRETARY, "/session report 3/2026")
    org.server.press_button(SECRETARY, report, button_text="Xuất XLSX")
    exported = await org.next_new(SECRETARY)
    assert exported.file_name == "diem-danh-2026-03-chi-bo-khu-vuc-1.xlsx"
    sheet = load_workbook(io.BytesIO(exported.file_bytes)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "Họ và tên" in rows[0] and "Lý do" in rows[0] and "Điểm danh" in rows[0]
    by_name = {row[rows[0].index("Họ và tên")]: row for row in rows[1:]}
    assert set(by_name) == {"Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung"}
    bich = by_name["Trần Thị Bích"]
    assert bich[rows[0].index("Điểm danh")] == "Vắng có lý do"
    assert bich[rows[0].index("Lý do")] == "ốm"
    assert "Chi bộ Khu vực 1" in bich and "Sinh hoạt chi bộ tháng 3 năm 2026" in bich
    # The meeting by its date and topic, not an id; its day a real date cell.
    assert bich[0] == "20/03/2026 – Sinh hoạt chi bộ tháng 3 năm 2026"
    assert bich[1] == datetime(2026, 3, 20) and bich[2] == "19:30"
    assert sheet.cell(row=2, column=2).number_format == "DD/MM/YYYY"
    assert by_name["Nguyễn Văn An"][rows[0].index("Điểm danh")] == "Có mặt"
    exports = _rows(
        org.db_path, "SELECT actor, target FROM audit_log WHERE action = 'session.export'"
    )
    assert exports == [(f"tg:{SECRETARY}", "CB-1")]


async def test_a_study_deadline_in_another_year_is_refused(org: Harness) -> None:
    await _campaign(org)
    refused = await org.say(GIANG, "/session deadline 31/03/2027")
    assert "Hạn học tập phải trong năm 2026" in refused.text
    refused = await org.say(GIANG, "/session deadline 31/02")
    assert "31/02" in refused.text  # not a date: the reason names what was sent
    echo = await org.say(GIANG, "/session deadline 2026-03-28")
    assert "<b>28/03/2026</b>" in echo.text
    await org.press(GIANG, echo, "Xác nhận")
    stored = _rows(org.db_path, "SELECT deadline FROM study_deadlines")
    assert stored == [("2026-03-28",)]
    audited = _rows(org.db_path, "SELECT target FROM audit_log WHERE action = 'session.deadline'")
    assert audited == [("DU-NK",)]


async def test_each_session_flow_is_its_own_conversation(org: Harness) -> None:
    session_id = await _create(
        org, SECRETARY, "Sinh hoạt chi bộ thường kỳ", "Sinh hoạt chi bộ tháng 3",
        "20/03/2026 19:30", "Hội trường",
    )  # fmt: skip
    await org.server.next_message(SECRETARY)  # the secretary's own invitation
    ask = await org.say(SECRETARY, "/session new")
    topic_q = await org.press(SECRETARY, ask, "Sinh hoạt chi bộ thường kỳ")
    assert "chủ đề" in topic_q.text
    # Another /session flow while /session new is open: refused, "finish it or /cancel".
    for command in (f"/session edit {session_id}", f"/session close {session_id}"):
        refused = await org.say(SECRETARY, command)
        assert refused.text == (
            "Đồng chí đang thao tác với buổi sinh hoạt (/session). Vui lòng hoàn "
            "thành việc này, hoặc gửi /cancel để dừng, trước khi bắt đầu việc khác."
        ), command
    # A subcommand that asks nothing answers, and the open flow keeps its place.
    listed = await org.say(SECRETARY, "/session list")
    assert f"#{session_id}" in listed.text
    when_q = await org.say(SECRETARY, "Sinh hoạt chi bộ tháng 4")
    assert "Thời gian bắt đầu" in when_q.text, when_q.text
    stopped = await org.say(SECRETARY, "/cancel")
    assert "Đã hủy" in stopped.text
    # Now /session edit starts; and while it is open, /session new is refused in turn.
    fields = await org.say(SECRETARY, f"/session edit {session_id}")
    assert "Đồng chí muốn thay đổi nội dung nào?" in fields.text, fields.text
    refused = await org.say(SECRETARY, "/session new")
    assert "Đồng chí đang thao tác với buổi sinh hoạt" in refused.text
    ask_value = await org.press(SECRETARY, fields, "Chủ đề")
    assert "Đồng chí gửi nội dung mới cho: Chủ đề" in ask_value.text
    echo = await org.say(SECRETARY, "Sinh hoạt chi bộ tháng 3 (đã sửa)")
    assert "<b>Sinh hoạt chi bộ tháng 3 (đã sửa)</b>" in echo.text
    await org.say(SECRETARY, "/cancel")
    ask = await org.say(SECRETARY, "/session new")
    assert "Loại sinh hoạt nào" in ask.text
    await org.say(SECRETARY, "/cancel")
    # The topic was never confirmed: unchanged.
    assert _rows(org.db_path, f"SELECT topic FROM sessions WHERE id = {session_id}") == [
        ("Sinh hoạt chi bộ tháng 3",)
    ]


async def test_the_export_button_carries_the_unit_id_whatever_the_code(
    org: Harness, tmp_path
) -> None:
    # A unit code of 60 characters: in the old button data (the code itself) the button
    # passed Telegram's 64 bytes and was silently left out of the report.
    code = "CB-" + "KHU-VUC-NINH-KIEU-AN-HOA-" * 2 + "SO-01234"
    assert len(code) == 61
    (tmp_path / "long.csv").write_text(
        f"code,name,kind,parent_code\n{code},Chi bộ Khu vực An Hòa,cell,DU-NK\n",
        encoding="utf-8",
    )
    assert (await org.cli("units", "import", str(tmp_path / "long.csv")))[0] == 0
    (tmp_path / "longm.csv").write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        f"DV040,Lâm Văn Tư,{code},official,Bí thư chi bộ,false,vi,1040\n",
        encoding="utf-8",
    )
    assert (await org.cli("members", "import", str(tmp_path / "longm.csv")))[0] == 0
    granted = await org.cli("role", "grant", "--member", "DV040", "--role", "secretary",
                            "--unit", code)  # fmt: skip
    assert granted[0] == 0, granted
    org.server.add_user(1040, "Tư", language_code="vi")
    report = await org.say(1040, "/session report 3/2026")
    assert [text for text, _ in report.buttons] == ["Xuất CSV", "Xuất XLSX"]
    org.server.press_button(1040, report, button_text="Xuất CSV")
    exported = await org.next_new(1040)
    # Named after the unit's name, not its code: ASCII and safe whatever the code.
    assert exported.file_name == "diem-danh-2026-03-chi-bo-khu-vuc-an-hoa.csv"
    header = exported.file_bytes.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Buổi sinh hoạt,Ngày,Giờ bắt đầu,Đơn vị")
