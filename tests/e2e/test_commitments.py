"""Commitments end to end: several members and secretaries at once, over HTTP."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from datetime import datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.context import services_of
from bot.rules.commitments import MAX_ACTIONS
from fake_telegram import BotMessage
from tests.e2e.conftest import ADMIN_ID, TZ, Harness

BICH, AN, EM, GIANG = 1002, 1001, 1005, 1007  # member, CB-1 secretary, CB-2 secretary, committee
IDEOLOGY = "Về tư tưởng chính trị"
ETHICS = "Về phẩm chất đạo đức, lối sống"
EXAMPLE = "Trách nhiệm nêu gương"
ACTION_1 = "Học tập và viết thu hoạch chuyên đề năm 2026 về tinh thần trách nhiệm"
ACTION_2 = "Giữ gìn lối sống giản dị, gần gũi nhân dân nơi cư trú"


def _rows(db_path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
async def campaign(org: Harness) -> Harness:
    code, _, err = await org.cli(
        "campaign",
        "create",
        "--year",
        "2026",
        "--topic",
        "Tinh thần trách nhiệm, năng động, sáng tạo",
    )
    assert code == 0, err
    return org


async def add_action(
    h: Harness, user: int, menu: BotMessage, heading: str, text: str, date: str | None = None
) -> BotMessage:
    """From the menu: add one action (and its target date); returns the next menu."""
    prompt = await h.press(user, menu, heading)
    assert "ký tự" in prompt.text
    ask_date = await h.say(user, text)
    assert "Đã lưu" in ask_date.text
    if date is None:
        return await h.press(user, ask_date, "Bỏ qua")
    saved = await h.say(user, date)
    assert date in saved.text
    return await h.next_new(user)


async def file_and_submit(h: Harness, user: int, actions: list[tuple[str, str]]) -> BotMessage:
    menu = await h.say(user, "/commit")
    for heading, text in actions:
        menu = await add_action(h, user, menu, heading, text)
    confirm = await h.press(user, menu, "Gửi")
    assert "Nộp bản cam kết này" in confirm.text
    return await h.press(user, confirm, "Xác nhận")


async def test_member_files_is_returned_revises_and_is_approved(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    assert "Bản cam kết năm 2026" in menu.text and "Tinh thần trách nhiệm" in menu.text
    assert "Hạn nộp: 31/03/2026" in menu.text
    # A non-head has the four headings only.
    assert [t for t, _ in menu.buttons if "Trách nhiệm nêu gương" in t] == []
    prompt = await h.press(BICH, menu, IDEOLOGY)
    assert "từ 10 đến 1000 ký tự" in prompt.text
    for bad, reason in (("ngắn quá", "quá ngắn"), ("x" * 1001, "quá dài")):
        assert reason in (await h.say(BICH, bad)).text
    ask_date = await h.say(BICH, f"  {ACTION_1}  ")
    assert "thời hạn" in ask_date.text.lower()
    assert "nằm trong năm 2026" in (await h.say(BICH, "15/01/2027")).text
    assert "Không đọc được ngày" in (await h.say(BICH, "sớm nhất có thể")).text
    saved = await h.say(BICH, "30/06/2026")
    assert "30/06/2026" in saved.text
    menu = await h.next_new(BICH)
    assert "(1)" in next(t for t, _ in menu.buttons if IDEOLOGY in t)

    # Meanwhile another cell's secretary files her own commitment, at the same time.
    em_task = asyncio.create_task(file_and_submit(h, EM, [(ETHICS, ACTION_2)]))

    preview = await h.press(BICH, menu, "Xem trước")
    assert "Bí thư chi bộ sẽ thấy" in preview.text
    assert ACTION_1 in preview.text and "(thời hạn 30/06/2026)" in preview.text
    assert "Họ và tên: <b>Trần Thị Bích</b>" in preview.text
    confirm = await h.press(BICH, preview, "Gửi")
    done = await h.press(BICH, confirm, "Xác nhận")
    assert "đã nộp bản cam kết năm 2026 (phiên bản 1)" in done.text
    assert "muộn" not in done.text
    em_done = await em_task
    assert "phiên bản 1" in em_done.text

    alert = await h.server.next_message(AN)
    assert "Trần Thị Bích đã nộp" in alert.text
    header = await h.say(AN, "/pending")
    assert "chờ duyệt: 1" in header.text  # Em's is CB-2's, not An's
    pending = await h.next_new(AN)
    assert ACTION_1 in pending.text and "Đã nộp" in pending.text

    # The secretary sees what the member previewed: same header and actions; only the
    # status line (now "submitted", with its version) differs.
    def body(text: str) -> str:
        return text[text.index("<b>1. ") :]

    def head(text: str) -> list[str]:
        start = text.index("<b>Bản cam kết")
        return text[start:].split("\n")[:4]

    assert body(pending.text) == body(preview.text) and head(pending.text) == head(preview.text)
    ask = await h.press(AN, pending, "Trả lại")
    assert "nhận xét cho đồng chí Trần Thị Bích" in ask.text
    assert "quá ngắn" in (await h.say(AN, "ok")).text
    returned = await h.say(AN, "Cần ghi rõ kết quả <cụ thể> & thời gian")
    assert "Đã trả lại" in returned.text
    note = await h.server.next_message(BICH)
    assert "trả lại để chỉnh sửa" in note.text
    assert "Cần ghi rõ kết quả &lt;cụ thể&gt; &amp; thời gian" in note.text

    # A stale "Approve" on the old message: polite, and nothing changes.
    query = h.server.press_button(AN, pending.message_id, pending.button_data("Duyệt"))
    answer = await h.server.wait_callback_answer(query)
    assert "đã được đồng chí Nguyễn Văn An trả lại" in answer.text

    # The member revises: edit the action, add one, submit again.
    menu = await h.say(BICH, "/commit")
    assert "Trả lại để chỉnh sửa" in menu.text and "Cần ghi rõ" in menu.text
    listing = await h.press(BICH, menu, "Sửa")
    detail = await h.press(BICH, listing, "1.1.")
    ask_text = await h.press(BICH, detail, "Sửa")
    assert "nội dung mới" in ask_text.text
    await h.say(BICH, ACTION_1 + ", nộp trước 30/06")
    menu = await h.next_new(BICH)
    menu = await add_action(h, BICH, menu, ETHICS, ACTION_2, "31/12/2026")
    confirm = await h.press(BICH, menu, "Gửi")
    done = await h.press(BICH, confirm, "Xác nhận")
    assert "phiên bản 2" in done.text
    assert "đã nộp" in (await h.next_new(AN)).text  # the alert (after the stale tap's edit)

    await h.say(AN, "/pending")
    pending2 = await h.next_new(AN)
    assert "nộp trước 30/06" in pending2.text and ACTION_2 in pending2.text
    h.server.press_button(AN, pending2, button_text="Duyệt")
    edited = await h.server.next_message(AN)
    assert edited.edited and "Đã duyệt" in edited.text
    approved = await h.server.next_message(BICH)
    assert "đã được đồng chí Nguyễn Văn An duyệt" in approved.text
    # Approving again (the committee above, from the same old message): a clear answer.
    query = h.server.press_button(
        GIANG, pending2.message_id, pending2.button_data("Duyệt"), chat_id=AN
    )
    answer = await h.server.wait_callback_answer(query)
    assert "đã được đồng chí Nguyễn Văn An duyệt" in answer.text

    versions = _rows(
        h.db_path,
        "SELECT number, decision, comment FROM commitment_versions "
        "v JOIN commitments c ON c.id = v.commitment_id JOIN members m "
        "ON m.id = c.member_id WHERE m.code = 'DV002' ORDER BY number",
    )
    assert versions == [
        (1, "returned", "Cần ghi rõ kết quả <cụ thể> & thời gian"),
        (2, "approved", None),
    ]
    # Locked: /commit shows it approved and offers a new version only.
    shown = await h.say(BICH, "/commit")
    assert "Đã duyệt" in shown.text
    offer = await h.next_new(BICH)
    assert "đã được duyệt và khóa" in offer.text
    # Nothing to save as a draft here: /cancel says nothing was changed.
    cancelled = (await h.say(BICH, "/cancel")).text
    assert "Không có thay đổi nào" in cancelled and "bản nháp" not in cancelled


async def test_a_draft_survives_a_restart_and_one_flow_at_a_time(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    prompt = await h.press(BICH, menu, ETHICS)
    assert "ký tự" in prompt.text
    await h.restart()
    ask_date = await h.say(BICH, ACTION_2)  # the step is remembered across the restart
    assert "Đã lưu" in ask_date.text
    await h.restart()
    # Another conversation while this one is open: a clear refusal.
    busy = await h.say(BICH, "/review")
    assert "đang lập bản cam kết (/commit)" in busy.text
    stopped = await h.say(BICH, "/cancel")
    assert "lưu thành bản nháp" in stopped.text
    menu = await h.say(BICH, "/commit")
    assert "Bản nháp" in menu.text
    assert "(1)" in next(t for t, _ in menu.buttons if ETHICS in t)
    # /commit again while open: it resumes (re-entry), no duplicate draft.
    again = await h.say(BICH, "/commit")
    assert "Bản nháp" in again.text
    assert _rows(h.db_path, "SELECT COUNT(*) FROM commitments")[0][0] == 1
    assert _rows(h.db_path, "SELECT COUNT(*) FROM commitment_actions")[0][0] == 1
    # Delete it through the buttons; a stale delete is answered politely.
    listing = await h.press(BICH, again, "Sửa")
    detail = await h.press(BICH, listing, "2.1.")
    confirm = await h.press(BICH, detail, "Xóa")
    menu = await h.press(BICH, confirm, "Xác nhận")
    assert "(1)" not in " ".join(t for t, _ in menu.buttons)
    query = h.server.press_button(BICH, confirm.message_id, confirm.button_data("Xác nhận"))
    answer = await h.server.wait_callback_answer(query)
    assert "không còn" in answer.text
    # Submitting with nothing: refused.
    query = h.server.press_button(BICH, menu, button_text="Gửi")
    answer = await h.server.wait_callback_answer(query)
    assert "ít nhất một nội dung" in answer.text


async def test_a_head_must_set_an_example_and_a_late_submission_is_marked(
    campaign: Harness,
) -> None:
    h = campaign
    h.clock.moment = datetime(2026, 4, 3, 10, 0, tzinfo=TZ)
    menu = await h.say(AN, "/commit")  # An is the head of CB-1
    assert "nêu gương" in menu.text
    menu = await add_action(h, AN, menu, IDEOLOGY, ACTION_1)
    query = h.server.press_button(AN, menu, button_text="Gửi")
    confirm = await h.next_new(AN)
    await h.server.wait_callback_answer(query)
    query = h.server.press_button(AN, confirm, button_text="Xác nhận")
    answer = await h.server.wait_callback_answer(query)
    assert "Trách nhiệm nêu gương của người đứng đầu" in answer.text
    menu = await h.say(AN, "/commit")
    menu = await add_action(h, AN, menu, EXAMPLE, "Gương mẫu đi đầu trong cải cách hành chính")
    confirm = await h.press(AN, menu, "Gửi")
    done = await h.press(AN, confirm, "Xác nhận")
    assert "nộp muộn" in done.text
    # An's own commitment goes to the committee above; not to An.
    assert "Không có bản cam kết nào chờ duyệt" in (await h.say(AN, "/pending")).text
    alert = await h.server.next_message(GIANG)  # the committee above is told at once
    assert "Nguyễn Văn An" in alert.text and "/pending" in alert.text
    await h.say(GIANG, "/pending")
    pending = await h.next_new(GIANG)
    assert "Nguyễn Văn An" in pending.text and "Nộp muộn" in pending.text
    assert _rows(h.db_path, "SELECT late FROM commitments")[0][0] == 1


async def test_a_member_moved_mid_year_keeps_the_commitment(campaign: Harness, tmp_path) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1)])
    await h.server.next_message(AN)
    # The roster moves Bích to CB-2.
    moved = tmp_path / "moved.csv"
    moved.write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        "DV002,Trần Thị Bích,CB-2,official,Đảng viên,false,,1002\n",
        encoding="utf-8",
    )
    assert (await h.cli("members", "import", str(moved)))[0] == 0
    assert "Không có bản cam kết" in (await h.say(AN, "/pending")).text
    await h.say(EM, "/pending")
    pending = await h.next_new(EM)
    assert ACTION_1 in pending.text and "Chi bộ Khu vực 2" in pending.text
    h.server.press_button(EM, pending, button_text="Duyệt")
    assert "Đã duyệt" in (await h.server.next_message(EM)).text
    filed = _rows(
        h.db_path, "SELECT u.code FROM commitments c JOIN units u ON u.id = c.filed_unit_id"
    )
    assert filed == [("CB-1",)]  # history stays: it was filed in CB-1


async def test_self_assessment_grading_and_the_member_history(campaign: Harness) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1), (ETHICS, ACTION_2)])
    await h.server.next_message(AN)
    await h.say(AN, "/pending")
    pending = await h.next_new(AN)
    h.server.press_button(AN, pending, button_text="Duyệt")
    await h.server.next_message(AN)
    await h.server.next_message(BICH)
    closed = await h.say(BICH, "/review")
    assert "diễn ra từ 01/12/2026 đến 31/12/2026" in closed.text

    h.clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)
    first = await h.say(BICH, "/review")
    assert "Nội dung 1/2" in first.text and ACTION_1 in first.text
    ask = await h.press(BICH, first, "Đã hoàn thành")
    assert "minh chứng" in ask.text
    # Another flow while the self-assessment waits for text: refused.
    busy = await h.say(BICH, "/commit")
    assert "tự đánh giá cuối năm (/review)" in busy.text
    assert "quá ngắn" in (await h.say(BICH, "ok")).text
    second = await h.say(BICH, "Đã nộp bài thu hoạch ngày 15/5")
    assert "Nội dung 2/2" in second.text
    await h.press(BICH, second, "Hoàn thành một phần")
    summary = await h.say(BICH, "Còn một số buổi chưa tham gia")
    assert "hoàn thành tự đánh giá" in summary.text
    assert "Hoàn thành một phần" in summary.text

    listing = await h.say(AN, "/grade")
    assert "cần xếp loại: 1" in listing.text
    # CB-1 is a grassroots cell (under a committee, not a grassroots committee): its grade is
    # the decision, and the figures of the 20% rule are shown.
    assert "Chi bộ Khu vực 1: Xuất sắc 0 / tối đa 0" in listing.text
    card = await h.next_new(AN)
    assert "Đã nộp bài thu hoạch" in card.text
    # No one is graded "good" in CB-1 yet: "excellent" is refused, with the figures.
    refused = await h.press(AN, card, "Hoàn thành xuất sắc nhiệm vụ")
    assert "Xuất sắc 1 / tối đa 0" in refused.text
    ask_points = await h.press(AN, card, "Hoàn thành tốt nhiệm vụ")
    assert "70–89" in ask_points.text and "bắt buộc" in ask_points.text
    assert "từ 70 đến 89" in (await h.say(AN, "95")).text
    assert "số nguyên" in (await h.say(AN, "chín mươi")).text
    ask_comment = await h.say(AN, "85")
    assert "nhận xét" in ask_comment.text
    # The comment is checked before anything is shown back, then shown escaped.
    control = await h.say(AN, "Gương mẫu\x1b[31m <b>tốt</b>")
    assert "ký tự điều khiển" in control.text and "<b>tốt</b>" not in control.text
    confirm = await h.say(AN, "Gương mẫu, <b>hoàn thành tốt</b> các nội dung")
    assert "&lt;b&gt;hoàn thành tốt&lt;/b&gt;" in confirm.text
    assert "Xuất sắc 0 / tối đa 0" in confirm.text and "là quyết định" in confirm.text
    saved = await h.press(AN, confirm, "Xác nhận")
    assert "Trần Thị Bích — Hoàn thành tốt nhiệm vụ" in saved.text
    graded = await h.server.next_message(BICH)
    assert "Hoàn thành tốt nhiệm vụ" in graded.text and "85" in graded.text
    # The old card again: already graded, said clearly.
    query = h.server.press_button(AN, card.message_id, card.button_data("Hoàn thành tốt"))
    answer = await h.server.wait_callback_answer(query)
    assert "đã được đồng chí Nguyễn Văn An xếp loại" in answer.text

    history = await h.say(BICH, "/mycommitments")
    assert "Bản cam kết năm 2026" in history.text
    assert "Xếp loại cuối năm: <b>Hoàn thành tốt nhiệm vụ</b> (85)" in history.text
    assert "Đã hoàn thành" in history.text
    h.server.press_button(BICH, history, button_text="DOCX")
    doc_message = await h.next_new(BICH)
    assert doc_message.kind == "document" and doc_message.file_name.endswith(".docx")
    document = Document(io.BytesIO(doc_message.file_bytes))
    texts = [p.text for p in document.paragraphs]
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header and "CHI BỘ KHU VỰC 1" in header
    # Dated by its approval in March, not by the day it is printed in December.
    assert header[-1] == "Cần Thơ, ngày 10 tháng 3 năm 2026"
    assert "BẢN CAM KẾT" in texts
    assert "1. Về tư tưởng chính trị" in texts and f"- {ACTION_1}" in texts
    # The self-assessment under each action.
    assert texts[texts.index(f"- {ACTION_1}") + 1] == (
        "Tự đánh giá: Đã hoàn thành; minh chứng: Đã nộp bài thu hoạch ngày 15/5."
    )
    assert texts[texts.index(f"- {ACTION_2}") + 1] == (
        "Tự đánh giá: Hoàn thành một phần; minh chứng: Còn một số buổi chưa tham gia."
    )
    assert "XÁC NHẬN CỦA CHI BỘ" in texts
    normal = document.styles["Normal"].font.name  # unless a run names its own font
    fonts = {r.font.name or normal for p in document.paragraphs for r in p.runs}
    assert fonts == {"Times New Roman"}


async def test_monitoring_and_exports_cell_by_cell(campaign: Harness, tmp_path) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1), (ETHICS, ACTION_2)])
    progress = await h.say(GIANG, "/commitments")
    assert "<b>Chi bộ Khu vực 1</b>" in progress.text
    # CB-1: An, Bích, Cường, Dung expected; Bích submitted. CB-2: Phúc is exempt.
    assert "Phải lập: 4 · Đang soạn: 0 · Đã nộp: 1 · Đã duyệt: 0" in progress.text
    assert "Chưa nộp: Nguyễn Văn An, Lê Hoàng Cường, Phạm Thu Dung" in progress.text
    assert "Đặng Văn Phúc" not in progress.text
    assert "Phải lập: 1" in progress.text  # CB-2: Em only
    # A plain member may not.
    assert "chỉ dành cho" in (await h.say(BICH, "/commitments")).text

    h.server.press_button(GIANG, progress, button_text="XLSX")
    sent = await h.next_new(GIANG)
    # Named after the committee member's unit (everything she oversees) and the year.
    assert sent.kind == "document"
    assert sent.file_name == "cam-ket-2026-dang-uy-phuong-ninh-kieu.xlsx"
    sheet = load_workbook(io.BytesIO(sent.file_bytes)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Năm",
        "Mã đảng viên",
        "Đảng viên",
        "Đơn vị",
        "Phần",
        "STT",
        "Nội dung cam kết",
        "Thời hạn",
        "Trạng thái",
        "Nộp muộn",
        "Phiên bản",
        "Tự đánh giá",
        "Minh chứng",
        "Xếp loại",
        "Điểm",
    ]
    bich = [r for r in rows if r[1] == "DV002"]
    assert bich == [
        [
            2026,
            "DV002",
            "Trần Thị Bích",
            "Chi bộ Khu vực 1",
            IDEOLOGY,
            1,
            ACTION_1,
            None,
            "Đã nộp",
            None,
            1,
            None,
            None,
            None,
            None,
        ],
        [
            2026,
            "DV002",
            "Trần Thị Bích",
            "Chi bộ Khu vực 1",
            ETHICS,
            1,
            ACTION_2,
            None,
            "Đã nộp",
            None,
            1,
            None,
            None,
            None,
            None,
        ],
    ]
    missing = [r for r in rows if r[1] == "DV003"]
    assert missing == [
        [
            2026,
            "DV003",
            "Lê Hoàng Cường",
            "Chi bộ Khu vực 1",
            None,
            None,
            None,
            None,
            "Chưa lập bản cam kết",
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    ]

    out = tmp_path / "out" / "cb1.csv"
    code, _stdout, err = await h.cli(
        "export",
        "commitments",
        "--unit",
        "CB-1",
        "--year",
        "2026",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert code == 0, err
    text = out.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    assert len(lines) == 1 + 2 + 3  # header, Bích's two actions, three missing members
    assert f"2026,DV002,Trần Thị Bích,Chi bộ Khu vực 1,{IDEOLOGY},1,{ACTION_1},,Đã nộp" in text
    code, _, err = await h.cli(
        "export",
        "commitments",
        "--unit",
        "NOPE",
        "--year",
        "2026",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert code == 1 and "NOPE" in err


async def test_admin_manages_campaigns_in_the_bot(campaign: Harness) -> None:
    h = campaign
    listing = await h.say(ADMIN_ID, "/campaign")
    assert "2026" in listing.text and "31/03/2026" in listing.text
    ask_year = await h.press(ADMIN_ID, listing, "Tạo chuyên đề năm mới")
    assert "năm" in ask_year.text
    assert "Đã có chuyên đề năm 2026" in (await h.say(ADMIN_ID, "2026")).text
    ask_topic = await h.say(ADMIN_ID, "2027")
    assert "chuyên đề" in ask_topic.text
    assert "10 đến 1000" in (await h.say(ADMIN_ID, "ngắn")).text
    created = await h.say(ADMIN_ID, "Đổi mới sáng tạo, hiệu quả thiết thực")
    assert "31/03/2027" in created.text
    listing = await h.say(ADMIN_ID, "/campaign")
    fields = await h.press(ADMIN_ID, listing, "Sửa năm 2027")
    ask = await h.press(ADMIN_ID, fields, "Hạn nộp bản cam kết")
    assert "31/03/2027" in ask.text
    assert "nằm trong năm 2027" in (await h.say(ADMIN_ID, "15/04/2028")).text
    saved = await h.say(ADMIN_ID, "15/04/2027")
    assert "Đã lưu" in saved.text and "15/04/2027" in saved.text
    years = _rows(h.db_path, "SELECT year, commit_deadline FROM campaigns ORDER BY year")
    assert years == [(2026, "2026-03-31"), (2027, "2027-04-15")]
    assert "chỉ dành cho" in (await h.say(BICH, "/campaign")).text


async def pending_card(h: Harness, user: int) -> BotMessage:
    """/pending, then the first (only) card under its header (earlier events skipped:
    alerts, and edits of cards already decided)."""
    h.server.send_text(user, "/pending")
    while "chờ duyệt" not in (header := await h.server.next_message(user)).text:
        pass
    assert "chờ duyệt: 1" in header.text
    return await h.next_new(user)


def decisions(h: Harness) -> list[tuple]:
    return _rows(
        h.db_path,
        "SELECT v.number, v.decision, v.decided_by_name FROM commitment_versions v "
        "JOIN commitments c ON c.id = v.commitment_id JOIN members m ON m.id = c.member_id "
        "WHERE m.code = 'DV002' ORDER BY v.number",
    )


async def only_one_note_to_bich(h: Harness, wanted: str) -> None:
    """Bích got exactly one notification: the next message after it is her own command's."""
    note = await h.server.next_message(BICH)
    assert wanted in note.text
    history = await h.say(BICH, "/mycommitments")
    assert history.text.startswith("<b>Bản cam kết năm 2026</b>")


async def test_two_secretaries_acting_at_once_record_one_decision(campaign: Harness) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1)])
    await h.server.next_message(AN)  # the alert
    names = {AN: "Nguyễn Văn An", GIANG: "Hồ Thị Giang"}

    # Round 1: the cell secretary and the committee above press Approve together.
    cards = {user: await pending_card(h, user) for user in (AN, GIANG)}
    queries = {
        user: h.server.press_button(user, cards[user], button_text="Duyệt") for user in cards
    }
    answers = {user: await h.server.wait_callback_answer(q) for user, q in queries.items()}
    winners = [user for user, answer in answers.items() if not answer.text]
    assert len(winners) == 1
    winner = winners[0]
    loser = GIANG if winner == AN else AN
    assert answers[loser].show_alert
    assert f"đã được đồng chí {names[winner]} duyệt" in answers[loser].text
    assert decisions(h) == [(1, "approved", names[winner])]
    await only_one_note_to_bich(h, f"đã được đồng chí {names[winner]} duyệt")

    # Round 2, on a new version: Giang starts a return (asks for the comment) while An
    # approves; Giang's comment and An's press arrive together.
    await h.say(BICH, "/commit")
    offer = await h.next_new(BICH)
    opened = await h.press(BICH, offer, "Sửa")
    assert "phiên bản mới" in opened.text
    menu = await h.next_new(BICH)
    menu = await add_action(h, BICH, menu, ETHICS, ACTION_2)
    confirm = await h.press(BICH, menu, "Gửi")
    assert "phiên bản 2" in (await h.press(BICH, confirm, "Xác nhận")).text
    an_card = await pending_card(h, AN)
    giang_card = await pending_card(h, GIANG)
    ask = await h.press(GIANG, giang_card, "Trả lại")
    assert "nhận xét cho đồng chí Trần Thị Bích" in ask.text
    query = h.server.press_button(AN, an_card, button_text="Duyệt")
    h.server.send_text(GIANG, "Bổ sung kết quả cụ thể cho nội dung 2")
    an_answer = await h.server.wait_callback_answer(query)
    giang_reply = await h.next_new(GIANG)
    final = decisions(h)
    assert len(final) == 2 and final[0] == (1, "approved", names[winner])
    if final[1][1] == "approved":  # An first: Giang's comment is refused, clearly
        assert final[1] == (2, "approved", "Nguyễn Văn An") and not an_answer.text
        assert "đã được đồng chí Nguyễn Văn An duyệt" in giang_reply.text
        await only_one_note_to_bich(h, "đã được đồng chí Nguyễn Văn An duyệt")
    else:  # Giang first: An's press is refused, clearly
        assert final[1] == (2, "returned", "Hồ Thị Giang") and "Đã trả lại" in giang_reply.text
        assert "đã được đồng chí Hồ Thị Giang trả lại" in an_answer.text
        await only_one_note_to_bich(h, "trả lại để chỉnh sửa")
    audit = _rows(
        h.db_path,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('commitment.approve', "
        "'commitment.return')",
    )
    assert audit == [(2,)]
    status = _rows(h.db_path, "SELECT status, last_version FROM commitments")
    assert status == [("approved" if final[1][1] == "approved" else "returned", 2)]


def docx_texts(message: BotMessage) -> tuple[list[str], list[str], Document]:
    """(the header table's lines, the body paragraphs, the document)."""
    assert message.kind == "document" and message.file_name.endswith(".docx")
    document = Document(io.BytesIO(message.file_bytes))
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    return header, [p.text for p in document.paragraphs], document


async def test_the_secretary_gets_the_member_commitment_as_a_docx(campaign: Harness) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1), (ETHICS, ACTION_2)])
    await h.server.next_message(AN)
    card = await pending_card(h, AN)
    h.server.press_button(AN, card, button_text="DOCX")
    header, texts, document = docx_texts(await h.next_new(AN))
    # The superior named as a Party organisation, not as its committee.
    assert header[:3] == ["ĐẢNG BỘ PHƯỜNG NINH KIỀU", "CHI BỘ KHU VỰC 1", "*"]
    assert header[3:] == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Cần Thơ, ngày 10 tháng 3 năm 2026"]
    title = document.tables[0].rows[0].cells[1].paragraphs[0].runs[0]
    assert title.bold and title.underline
    assert texts.index("BẢN CAM KẾT") < texts.index("Họ và tên: Trần Thị Bích")
    assert texts[texts.index("BẢN CAM KẾT") + 2] == "-----"
    member_lines = texts[texts.index("Họ và tên: Trần Thị Bích") :][:5]
    assert member_lines == [
        "Họ và tên: Trần Thị Bích",
        "Chức vụ: Đảng viên",
        "Đơn vị công tác: .....",
        "Chi bộ: Khu vực 1",
        "Đảng bộ: phường Ninh Kiều",
    ]
    assert "Chuyên đề năm 2026: Tinh thần trách nhiệm, năng động, sáng tạo" in texts
    # Actions under their headings, in order; an empty heading says so.
    body = texts[texts.index("1. Về tư tưởng chính trị") :]
    assert body[:5] == [
        "1. Về tư tưởng chính trị",
        f"- {ACTION_1}",
        "2. Về phẩm chất đạo đức, lối sống",
        f"- {ACTION_2}",
        "3. Về ý thức tổ chức kỷ luật",
    ]
    assert "5. Trách nhiệm nêu gương của người đứng đầu" not in texts  # Bích is not a head
    confirmation = texts[texts.index("XÁC NHẬN CỦA CHI BỘ") + 1]
    assert confirmation == "(Chưa duyệt)"  # the version under review is not confirmed yet
    signatures = [p.text for cell in document.tables[1].rows[0].cells for p in cell.paragraphs]
    signatures = [text for text in signatures if text]
    assert signatures == [
        "T/M CHI BỘ",
        "BÍ THƯ",
        "Nguyễn Văn An",  # the cell's secretary
        "NGƯỜI CAM KẾT",
        "(Ký, ghi rõ họ tên)",
        "Trần Thị Bích",
    ]
    normal = document.styles["Normal"].font.name  # unless a run names its own font
    fonts = {
        run.font.name or normal
        for paragraphs in (
            document.paragraphs,
            *(cell.paragraphs for table in document.tables for cell in table.rows[0].cells),
        )
        for p in paragraphs
        for run in p.runs
    }
    assert fonts == {"Times New Roman"}

    # After approval the decided card keeps the form; now confirmed by the cell.
    h.server.press_button(AN, card, button_text="Duyệt")
    decided = await h.server.next_message(AN)
    assert decided.edited and "Đã duyệt" in decided.text
    await h.server.next_message(BICH)
    h.server.press_button(AN, decided, button_text="DOCX")
    _, texts, _ = docx_texts(await h.next_new(AN))
    confirmation = texts[texts.index("XÁC NHẬN CỦA CHI BỘ") + 1]
    assert confirmation == "Chi bộ đã duyệt bản cam kết ngày 10/03/2026 (đồng chí Nguyễn Văn An)."
    # Another cell's secretary may not have it.
    query = h.server.press_button(EM, card.message_id, card.button_data("DOCX"), chat_id=AN)
    refused = await h.server.wait_callback_answer(query)
    assert refused.show_alert and "không thuộc đơn vị" in refused.text


async def give_grade(
    h: Harness, user: int, card: BotMessage, label: str, comment: str, points: str
) -> str:
    """Press a grade on a card, send the points (required), comment and confirm; the bot's
    last word."""
    ask_points = await h.press(user, card, label)
    assert "bắt buộc" in ask_points.text  # the points are required, no "Skip"
    ask_comment = await h.say(user, points)
    assert "nhận xét" in ask_comment.text
    confirm = await h.say(user, comment)
    return (await h.press(user, confirm, "Xác nhận")).text


async def test_a_grade_can_be_changed_until_the_review_closes(campaign: Harness) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1)])
    await h.server.next_message(AN)
    h.server.press_button(AN, await pending_card(h, AN), button_text="Duyệt")
    await h.server.next_message(AN)
    await h.server.next_message(BICH)
    h.clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)
    await h.say(AN, "/grade")
    card = await h.next_new(AN)
    saved = await give_grade(h, AN, card, "Hoàn thành tốt nhiệm vụ", "Tích cực, gương mẫu", "85")
    assert "Trần Thị Bích — Hoàn thành tốt nhiệm vụ" in saved
    assert "Hoàn thành tốt nhiệm vụ" in (await h.server.next_message(BICH)).text

    # The committee above corrects it before the review closes.
    nobody = await h.say(GIANG, "/grade")
    assert "Không có đảng viên nào chờ xếp loại" in nobody.text
    graded = await h.next_new(GIANG)
    assert "Đã xếp loại: 1" in graded.text and "31/12/2026" in graded.text
    card = await h.press(GIANG, graded, "Trần Thị Bích — Hoàn thành tốt nhiệm vụ")
    assert "Chọn mức xếp loại mới" in card.text and "(thời hạn" not in card.text
    changed = await give_grade(
        h, GIANG, card, "Hoàn thành nhiệm vụ", "Chưa đủ tiêu chuẩn hoàn thành tốt", "65"
    )
    assert "Đã thay đổi: đồng chí Trần Thị Bích — Hoàn thành nhiệm vụ" in changed
    note = await h.server.next_message(BICH)
    assert "thay đổi thành <b>Hoàn thành nhiệm vụ</b>" in note.text
    assert "trước đó: Hoàn thành tốt nhiệm vụ" in note.text
    # The same change card pressed again (the grade moved on): refused, nothing written.
    query = h.server.press_button(GIANG, card.message_id, card.button_data("Không hoàn thành"))
    answer = await h.server.wait_callback_answer(query)
    assert "vừa được đồng chí Hồ Thị Giang thay đổi" in answer.text
    history = await h.say(BICH, "/mycommitments")
    assert "Xếp loại cuối năm: <b>Hoàn thành nhiệm vụ</b>" in history.text
    assert "Xếp loại trước đó: Hoàn thành tốt nhiệm vụ (85), do đồng chí Nguyễn Văn An" in (
        history.text
    )
    grades = _rows(
        h.db_path, "SELECT revision, grade, graded_by_name FROM commitment_grades ORDER BY 1"
    )
    assert grades == [(1, "good", "Nguyễn Văn An"), (2, "fulfilled", "Hồ Thị Giang")]
    regrade = _rows(h.db_path, "SELECT detail FROM audit_log WHERE action = 'commitment.regrade'")
    assert len(regrade) == 1 and '"previous": "good"' in regrade[0][0]

    # After the window closes the grade stands: no change offered, an old card refused.
    h.clock.moment = datetime(2027, 1, 5, 9, 0, tzinfo=TZ)
    h.server.send_text(GIANG, "/grade 2026")
    closed = await h.next_new(GIANG)  # (past the stale card's dropped buttons)
    assert "Không có đảng viên nào chờ xếp loại" in closed.text
    fresh = await h.press(GIANG, graded, "Trần Thị Bích")
    query = h.server.press_button(GIANG, fresh, button_text="Hoàn thành tốt nhiệm vụ")
    answer = await h.server.wait_callback_answer(query)
    assert "không thể thay đổi xếp loại nữa" in answer.text
    assert len(_rows(h.db_path, "SELECT id FROM commitment_grades")) == 2


async def _card_after(h: Harness, user: int, header: str) -> BotMessage:
    """/pending in any language: the first card after the header containing ``header``."""
    h.server.send_text(user, "/pending")
    while header not in (await h.server.next_message(user)).text:
        pass
    return await h.next_new(user)


async def test_a_return_comment_is_asked_again_only_when_the_text_is_refused(
    campaign: Harness,
) -> None:
    """The step decides by the error's type, so it behaves the same in either language: a
    refused text asks again; a decision made meanwhile ends the step."""
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1)])
    await h.server.next_message(AN)  # the alert
    ask = await h.press(AN, await pending_card(h, AN), "Trả lại")
    assert "nhận xét cho đồng chí Trần Thị Bích" in ask.text
    assert "quá ngắn" in (await h.say(AN, "ok")).text
    assert "quá ngắn" in (await h.say(AN, "ừ")).text  # still asking
    assert "Đã trả lại" in (await h.say(AN, "Cần ghi rõ thời hạn từng nội dung")).text
    assert "trả lại để chỉnh sửa" in (await h.server.next_message(BICH)).text

    # In English now; Bích submits again.
    assert "English" in (await h.say(AN, "/language en")).text
    menu = await h.say(BICH, "/commit")
    confirm = await h.press(BICH, menu, "Gửi")
    assert "phiên bản 2" in (await h.press(BICH, confirm, "Xác nhận")).text
    await h.server.next_message(AN)  # the alert
    ask = await h.press(AN, await _card_after(h, AN, "waiting for review: 1"), "Return")
    assert "Send the comment for comrade Trần Thị Bích" in ask.text
    assert "too short" in (await h.say(AN, "ok")).text
    # Meanwhile the committee approves; An's comment then comes too late, and the step ends.
    giang_card = await pending_card(h, GIANG)
    query = h.server.press_button(GIANG, giang_card, button_text="Duyệt")
    assert not (await h.server.wait_callback_answer(query)).text
    late = await h.say(AN, "Please add the dates of each action")
    assert "already approved by Hồ Thị Giang" in late.text
    assert "not expecting a message" in (await h.say(AN, "Please add the dates")).text
    versions = _rows(h.db_path, "SELECT number, decision FROM commitment_versions ORDER BY 1")
    assert versions == [(1, "returned"), (2, "approved")]


async def test_evidence_after_being_graded_meanwhile_ends_the_self_assessment(
    campaign: Harness,
) -> None:
    h = campaign
    await file_and_submit(h, BICH, [(IDEOLOGY, ACTION_1)])
    await h.server.next_message(AN)
    h.server.press_button(AN, await pending_card(h, AN), button_text="Duyệt")
    await h.server.next_message(AN)
    await h.server.next_message(BICH)
    h.clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)
    first = await h.say(BICH, "/review")
    assert "minh chứng" in (await h.press(BICH, first, "Đã hoàn thành")).text
    await h.say(AN, "/grade")
    card = await h.next_new(AN)
    saved = await give_grade(h, AN, card, "Hoàn thành tốt nhiệm vụ", "Hoàn thành tốt", "80")
    assert "Trần Thị Bích — Hoàn thành tốt nhiệm vụ" in saved
    assert "Hoàn thành tốt nhiệm vụ" in (await h.server.next_message(BICH)).text
    closed = await h.say(BICH, "Đã viết bài thu hoạch")
    assert "đã được xếp loại" in closed.text
    # The step ended: the same text is no longer taken as evidence (it used to ask again).
    assert "không chờ tin nhắn" in (await h.say(BICH, "Đã viết bài thu hoạch")).text
    assert _rows(h.db_path, "SELECT evidence FROM commitment_version_actions") == [(None,)]


async def test_a_full_commitment_returns_to_the_menu(campaign: Harness) -> None:
    h = campaign
    services = services_of(h.app)
    bich = await services.registration.identify(BICH)
    for number in range(MAX_ACTIONS):
        await services.commitments.add_action(bich, "tasks", f"{ACTION_1} ({number})")
    menu = await h.say(BICH, "/commit")
    assert "ký tự" in (await h.press(BICH, menu, IDEOLOGY)).text
    full = await h.say(BICH, ACTION_2)
    assert f"tối đa {MAX_ACTIONS} nội dung" in full.text
    menu = await h.next_new(BICH)  # the menu again, not the same question
    assert "Bản cam kết năm 2026" in menu.text and menu.buttons
    assert "dùng các nút ở trên" in (await h.say(BICH, ACTION_2)).text
    assert _rows(h.db_path, "SELECT COUNT(*) FROM commitment_actions") == [(MAX_ACTIONS,)]


async def test_buttons_in_the_old_formats_are_answered_as_stale(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    for data in ("cg:1:good", "cg:ok", "cg:no", "cx:csv:2026", "cx:doc:1:1", "cd:ok:1"):
        query = h.server.press_button(BICH, menu.message_id, data)
        answer = await h.server.wait_callback_answer(query)
        assert "không còn hiệu lực" in answer.text, data


async def test_send_from_the_preview_does_not_show_the_commitment_again(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    menu = await add_action(h, BICH, menu, IDEOLOGY, ACTION_1)
    preview = await h.press(BICH, menu, "Xem trước")
    assert ACTION_1 in preview.text
    question = await h.press(BICH, preview, "Gửi")
    assert question.text == "Nộp bản cam kết này cho bí thư chi bộ?"
    # From the menu, without a preview, the commitment is shown with the question.
    menu = await h.say(BICH, "/commit")
    question = await h.press(BICH, menu, "Gửi")
    assert ACTION_1 in question.text and "Nộp bản cam kết này cho bí thư chi bộ?" in question.text


async def test_a_secretarys_own_commitment_names_the_level_that_reviews_it(
    campaign: Harness,
) -> None:
    h = campaign
    menu = await h.say(AN, "/commit")
    for heading in (IDEOLOGY, EXAMPLE):
        menu = await add_action(h, AN, menu, heading, ACTION_1)
    question = await h.press(AN, menu, "Gửi")
    assert "Nộp bản cam kết này để Đảng ủy phường Ninh Kiều xem xét?" in question.text
    done = await h.press(AN, question, "Xác nhận")
    assert "khi Đảng ủy phường Ninh Kiều xem xét xong" in done.text
    # The committee above is alerted (nobody in the cell may review its own secretary).
    alert = await h.server.next_message(GIANG)
    assert "Nguyễn Văn An" in alert.text and "/pending" in alert.text
