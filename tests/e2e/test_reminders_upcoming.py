"""/reminders end to end: a member sees the reminders coming for them, mutes the day-before
meeting notice with its button, and the sweep then leaves them out while another invitee
still gets it. Stale and repeated presses are answered plainly."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot import callbacks as cb
from bot.context import services_of
from tests.e2e.conftest import ADMIN_ID, TZ, Harness
from tests.e2e.test_sessions import _campaign, _create

SECRETARY, BICH, EM = 1001, 1002, 1005
TOPIC = "Sinh hoạt chi bộ tháng 3 <khu vực 1>"
MUTE_SOON = "Tắt nhắc: sinh hoạt, trước 1 ngày"
UNMUTE_SOON = "Bật lại nhắc: sinh hoạt, trước 1 ngày"


async def test_a_member_mutes_the_day_before_notice_and_does_not_get_it(org: Harness) -> None:
    h = org
    await _campaign(h)
    await _create(
        h, SECRETARY, "Sinh hoạt chi bộ thường kỳ", TOPIC, "20/03/2026 19:30", "Hội trường",
        campaign=False,
    )  # fmt: skip
    await h.server.next_message(BICH)  # the invitation
    await h.delivered()
    for user in (SECRETARY, BICH):
        h.server.skip_pending(user)

    # The list: the commitment deadline (nothing filed yet) and the meeting, in time order.
    shown = await h.say(BICH, "/reminders")
    text = shown.text
    assert "<b>Nhắc việc của đồng chí trong 30 ngày tới</b>" in text
    assert "• 08:00, 17/03/2026 — Nộp bản cam kết năm 2026 (hạn 31/03/2026)" in text
    topic = escape(TOPIC, quote=False)  # typed by the secretary: escaped
    assert (
        f"• 19:30, 19/03/2026 — Trước 1 ngày: Sinh hoạt chi bộ thường kỳ “{topic}”, "
        "lúc 19:30, 20/03/2026" in text
    )
    assert f"• 18:30, 20/03/2026 — Trước 1 giờ: Sinh hoạt chi bộ thường kỳ “{topic}”" in text
    assert f"• 19:30, 20/03/2026 — Điểm danh: Sinh hoạt chi bộ thường kỳ “{topic}”" in text
    assert text.index("17/03/2026 —") < text.index("19/03/2026 —") < text.index("30/03/2026 —")
    assert "(đã tắt)" not in text
    assert "Các nhắc việc bắt buộc (hạn nộp, điểm danh" in text and "không thể tắt" in text
    assert [label for label, _ in shown.buttons] == [
        MUTE_SOON,
        "Tắt nhắc: sinh hoạt, trước 1 giờ",
        "Tắt nhắc: tự đánh giá hằng tuần",
    ]

    # Mute the day-before notice: said in the button's answer, then the list as it now is.
    query = h.server.press_button(BICH, shown, button_text=MUTE_SOON)
    assert (await h.server.wait_callback_answer(query)).text == (
        "Đã tắt nhắc: sinh hoạt, trước 1 ngày."
    )
    muted = await h.next_new(BICH)
    line = next(x for x in muted.text.splitlines() if "Trước 1 ngày" in x)
    assert line.endswith("<i>(đã tắt)</i>")
    assert muted.text.count("(đã tắt)") == 1  # the hour-before one and check-in stay on
    assert [label for label, _ in muted.buttons] == [
        UNMUTE_SOON,
        "Tắt nhắc: sinh hoạt, trước 1 giờ",
        "Tắt nhắc: tự đánh giá hằng tuần",
    ]
    # The same button again, from the old list: already so, nothing changes.
    mute_data = cb.REMINDER_MUTE("session_soon", "off")
    query = h.server.press_button(BICH, shown, mute_data)
    assert "đã tắt từ trước" in (await h.server.wait_callback_answer(query)).text
    await h.next_new(BICH)
    # A made-up button (a mandatory kind) is refused as stale, and nothing crashes.
    query = h.server.press_button(BICH, shown, "rmd:commitment_due:off")
    assert "không còn hiệu lực" in (await h.server.wait_callback_answer(query)).text
    await h.delivered()
    before = {user: len(h.server.events(user)) for user in (SECRETARY, BICH)}

    # A day before the meeting the sweep runs: the secretary gets the reminder, she does not.
    h.clock.moment = datetime(2026, 3, 19, 19, 30, tzinfo=TZ)
    assert h.app is not None
    await services_of(h.app).reminders.sweep()
    await h.delivered()
    reminded = [m.plain_text or "" for m in h.server.events(SECRETARY)[before[SECRETARY] :]]
    assert len(reminded) == 1 and TOPIC in reminded[0], reminded
    assert h.server.events(BICH)[before[BICH] :] == []


async def test_secretaries_see_their_cells_duties_and_others_are_told_plainly(
    org: Harness,
) -> None:
    h = org
    await _campaign(h)
    shown = await h.say(EM, "/reminders")  # CB-2's secretary
    assert "Chi bộ Khu vực 2: chưa có lịch sinh hoạt chi bộ thường kỳ tháng 03/2026" in (shown.text)
    assert "Chi bộ Khu vực 2: 1 đồng chí chưa nộp bản cam kết năm 2026 (hạn 31/03/2026)" in (
        shown.text
    )
    assert "Chi bộ Khu vực 1" not in shown.text
    # The configured administrator is no member: told so, with what to do.
    refused = await h.say(ADMIN_ID, "/reminders")
    assert "chỉ gửi đến người đã đăng ký" in refused.text
    # Words after the command change nothing.
    again = await h.say(EM, "/reminders <b>tắt hết</b>")
    assert again.text == shown.text
