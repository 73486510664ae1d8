"""The propaganda board's stories end to end: composing with /story new (formatting kept, an
audience of overlapping units reached once each), scheduling across a restart, "read and
learned" counted once and shown in /story stats, who may write to whom, and stale buttons."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.app import STORY_RELEASE_JOB
from fake_telegram import BotMessage
from tests.e2e.conftest import TZ, Harness

AN, BICH, EM, GIANG = 1001, 1002, 1005, 1007
HAI = 1008  # a member of both CB-1 and CB-2
KHOA = 1009  # a member of CB-3, under the other committee (DU-AT)
LAN = 1010  # the propaganda board of DU-AT

EXTRA_UNITS = """code,name,kind,parent_code
DU-AT,Đảng ủy phường An Thới,committee,TU
CB-3,Chi bộ Khu vực 3,cell,DU-AT
"""
EXTRA_MEMBERS = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV008,Ngô Văn Hai,CB-1;CB-2,official,,false,vi,1008
DV009,Đỗ Minh Khoa,CB-3,official,,false,vi,1009
DV010,Lý Thị Lan,DU-AT,official,,false,vi,1010
"""
MOVED_MEMBERS = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV001,Nguyễn Văn An,CB-1;CB-3,official,Bí thư chi bộ,true,vi,1001
DV009,Đỗ Minh Khoa,CB-1,official,,false,vi,1009
"""
BODY_HTML = (
    "Đồng chí <b>Nguyễn Văn A</b> đã <i>giúp đỡ bà con</i> vùng lũ suốt ba tháng. "
    'Xem thêm <a href="https://example.org/guong">tại đây</a>.'
)


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def _board(org: Harness, tmp_path: Path) -> Harness:
    """Two committees: Giang is the propaganda board of DU-NK, Lan of DU-AT."""
    (tmp_path / "more_units.csv").write_text(EXTRA_UNITS, encoding="utf-8")
    (tmp_path / "more_members.csv").write_text(EXTRA_MEMBERS, encoding="utf-8")
    assert (await org.cli("units", "import", str(tmp_path / "more_units.csv")))[0] == 0
    assert (await org.cli("members", "import", str(tmp_path / "more_members.csv")))[0] == 0
    for member, unit in (("DV007", "DU-NK"), ("DV010", "DU-AT")):
        code, _, err = await org.cli(
            "role", "grant", "--member", member, "--role", "propaganda", "--unit", unit
        )
        assert code == 0, err
    for user, name in ((HAI, "Hai"), (KHOA, "Khoa"), (LAN, "Lan")):
        org.server.add_user(user, name, language_code="vi")
    return org


async def _until(
    org: Harness, user: int, found: Callable[[BotMessage], bool], what: str
) -> BotMessage:
    """The bot's events in the chat up to the first one that ``found`` accepts."""
    seen = []
    while True:
        try:
            message = await org.server.next_message(user)
        except AssertionError as error:
            raise AssertionError(f"no {what}; seen: {seen}") from error
        seen.append(message.text)
        if found(message):
            return message


def _with_text(text: str) -> Callable[[BotMessage], bool]:
    return lambda message: text in (message.text or "")


def _with_button(label: str) -> Callable[[BotMessage], bool]:
    return lambda message: any(label in text for text, _ in message.buttons)


async def _tap(org: Harness, user: int, message: BotMessage, label: str) -> str | None:
    """Press a button; what the bot answered on the button (an alert's text, say)."""
    query = org.server.press_button(user, message, button_text=label)
    return (await org.server.wait_callback_answer(query)).text


async def _compose(
    org: Harness, user: int, title: str, *, units: tuple[str, ...] = (), photo: bytes = b""
) -> tuple[int, BotMessage, BotMessage]:
    """Walk /story new to the preview; returns the story's number, the story as shown and
    the summary under it (with the send/schedule buttons)."""
    ask = await org.say(user, "/story new")
    assert "Đồng chí gửi tiêu đề" in ask.text, ask.text
    ask_body = await org.say(user, title)
    assert "nội dung bài viết" in ask_body.text, ask_body.text
    org.server.send_text(user, BODY_HTML, html=True)
    part = await org.server.next_message(user)
    assert "Đã nhận phần 1" in part.text, part.text
    ask_photo = await org.press(user, part, "Xong")
    assert "gửi ảnh" in ask_photo.text, ask_photo.text
    if photo:
        file = await org.say(user, "ảnh ở tệp đính kèm")
        assert "dạng hình ảnh" in file.text, file.text
        org.server.send_photo(user, photo)
        ask_tag = await org.server.next_message(user)
    else:
        ask_tag = await org.press(user, ask_photo, "Không có ảnh")
    assert "Bài viết thuộc loại nào" in ask_tag.text
    ask_audience = await org.press(user, ask_tag, "Gương điển hình")
    assert "Gửi bài đến ai" in ask_audience.text
    if units:
        await _tap(org, user, ask_audience, "Một số đơn vị trực thuộc")
        picker = await _until(org, user, _with_text("Đồng chí chọn các đơn vị"), "picker")
        for name in units:
            await _tap(org, user, picker, name)
            picker = await _until(org, user, _with_text(name), "toggle")
        await _tap(org, user, picker, "Xong")
    else:
        await _tap(org, user, ask_audience, "Toàn bộ")
    intro = await _until(org, user, _with_text("đúng như người nhận sẽ thấy"), "intro")
    story_id = int(re.search(r"Bài (\d+)", intro.text).group(1))
    shown = await org.server.next_message(user)
    summary = await _until(org, user, _with_button("Gửi ngay"), "summary")
    return story_id, shown, summary


async def test_a_story_to_two_overlapping_units_reaches_each_member_once(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    story_id, shown, summary = await _compose(
        org, GIANG, "Tấm gương giúp dân vượt lũ", units=("Chi bộ Khu vực 1", "Chi bộ Khu vực 2")
    )
    # The preview is the story as members get it: the tag, the title, the body's formatting
    # kept (bold, italic, the link), and the «Read and learned» button.
    assert "<b>Tấm gương giúp dân vượt lũ</b>" in shown.text
    assert "<b>Nguyễn Văn A</b>" in shown.text and "<i>giúp đỡ bà con</i>" in shown.text
    assert '<a href="https://example.org/guong">tại đây</a>' in shown.text
    assert [label for label, _ in shown.buttons] == ["✅ Đã đọc, học tập"]
    # The summary: the audience by name, the count of recipients, saved as a draft.
    assert "Chi bộ Khu vực 1, Chi bộ Khu vực 2" in summary.text
    # CB-1 has DV001-DV004 and Hai, CB-2 Em, DV006 and Hai again: 7 people, 4 on Telegram.
    assert "Người nhận: <b>7</b> đồng chí; 4 đồng chí nhận được ngay" in summary.text
    assert "lưu nháp" in summary.text
    assert _rows(org.db_path, "SELECT status FROM stories") == [("draft",)]
    # The preview's button counts nothing.
    said = await _tap(org, GIANG, shown, "Đã đọc, học tập")
    assert "bản xem trước" in said

    sent = await org.press(GIANG, summary, "Gửi ngay")
    assert f"Bài {story_id} đang được gửi đến 4 người nhận" in sent.text, sent.text
    await org.delivered()
    for user in (AN, BICH, EM, HAI):
        copies = [m for m in org.server.messages(user) if "Tấm gương giúp dân vượt lũ" in m.text]
        assert len(copies) == 1, (user, copies)
        assert "<b>Nguyễn Văn A</b>" in copies[0].text
    for user in (KHOA, LAN):
        assert not any("Tấm gương" in (m.text or "") for m in org.server.messages(user))
    # Giang is in DU-NK itself, not in the chosen cells: only her preview, no copy.
    copies = [m for m in org.server.messages(GIANG) if "Tấm gương giúp dân" in (m.text or "")]
    assert [m.message_id for m in copies] == [shown.message_id]
    listing = await org.say(GIANG, "/story list")
    assert f"#{story_id}" in listing.text and "Đã gửi" in listing.text


async def test_a_scheduled_story_goes_out_at_its_time_after_a_restart(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    photo = b"\xff\xd8\xff\xe0 a photo of the youth union's anniversary"
    story_id, shown, summary = await _compose(org, LAN, "Kỷ niệm ngày thành lập Đoàn", photo=photo)
    assert shown.kind == "photo" and "Kỷ niệm ngày thành lập Đoàn" in shown.text
    ask = await org.press(LAN, summary, "Hẹn giờ gửi")
    assert "25/03/2026 07:30" in ask.text
    bad = await org.say(LAN, "mai nhé")
    assert "25/03/2026" in bad.text, bad.text
    past = await org.say(LAN, "01/03/2026 07:30")
    assert "đã qua" in past.text, past.text
    echo = await org.say(LAN, "12/03/2026 07:30")
    assert "07:30, 12/03/2026" in echo.text and "ngày 12 tháng 3 năm 2026" in echo.text
    done = await org.press(LAN, echo, "Xác nhận")
    assert f"Bài {story_id} sẽ được gửi lúc 07:30, 12/03/2026 đến 2 người nhận" in done.text

    await org.restart()
    org.server.skip_pending(KHOA)
    shown = await org.say(LAN, f"/story show {story_id}")
    assert "Kỷ niệm ngày thành lập Đoàn" in shown.text
    summary = await _until(org, LAN, _with_text("Hẹn gửi lúc 07:30, 12/03/2026"), "status")
    assert "Thu hồi" in [label for label, _ in summary.buttons]
    assert not any("Kỷ niệm" in (m.text or "") for m in org.server.messages(KHOA))

    # Before its time the audience changes: Khoa leaves CB-3 for CB-1, An joins CB-3 too.
    # The story goes to DU-AT as it is at the time, not as it was when scheduled.
    (tmp_path / "moved.csv").write_text(MOVED_MEMBERS, encoding="utf-8")
    assert (await org.cli("members", "import", str(tmp_path / "moved.csv")))[0] == 0
    assert not any("Kỷ niệm" in (m.text or "") for m in org.server.messages(KHOA))

    org.clock.moment = datetime(2026, 3, 12, 7, 31, tzinfo=TZ)
    await _release(org)  # the repeating job of the restarted bot, run now
    await org.delivered()
    received = [m for m in org.server.messages(AN) if "Kỷ niệm ngày thành lập" in m.text]
    assert len(received) == 1
    assert received[0].kind == "photo" and received[0].text == shown.text  # as previewed
    assert not any("Kỷ niệm" in (m.text or "") for m in org.server.messages(KHOA))
    await _release(org)  # once only
    await org.delivered()
    assert len([m for m in org.server.messages(AN) if "Kỷ niệm" in m.text]) == 1
    org.server.send_text(LAN, f"/story stats {story_id}")
    stats = await _until(org, LAN, _with_text(f"Kết quả bài {story_id}"), "figures")
    assert "Người nhận: 2 · đã nhận: 2" in stats.text, stats.text  # An and Lan herself


async def _release(org: Harness) -> None:
    """Run the bot's story-release job now rather than wait for its next turn."""
    assert org.app is not None and org.app.job_queue is not None
    (job,) = org.app.job_queue.get_jobs_by_name(STORY_RELEASE_JOB)
    await job.run(org.app)


async def test_read_and_learned_counts_once_and_shows_in_the_figures(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    story_id, _, summary = await _compose(org, GIANG, "Người tốt việc tốt khu vực 1")
    await org.press(GIANG, summary, "Gửi ngay")
    await org.delivered()
    copy = next(m for m in org.server.messages(BICH) if "Người tốt việc tốt" in m.text)
    first = await _tap(org, BICH, copy, "Đã đọc, học tập")
    assert "Cảm ơn" in first or "ghi nhận" in first.lower(), first
    second = await _tap(org, BICH, copy, "Đã đọc, học tập")
    assert "Đã ghi nhận trước đó" in second, second
    assert _rows(org.db_path, "SELECT COUNT(*) FROM story_reads") == [(1,)]

    org.server.skip_pending(GIANG)  # her own copy: she is in DU-NK too
    org.server.send_text(GIANG, f"/story stats {story_id}")
    stats = await _until(org, GIANG, _with_text(f"Kết quả bài {story_id}"), "figures")
    # DU-NK's members on Telegram: An, Bích, Hai (once), Em, and Giang herself.
    assert "Người nhận: 5 · đã nhận: 5" in stats.text, stats.text
    assert "Đã đọc, học tập: <b>1</b>/5" in stats.text, stats.text
    lines = stats.text.splitlines()
    per_unit = lines[lines.index(next(x for x in lines if "Theo đơn vị" in x)) + 1 :]
    assert per_unit[0] == "• Chi bộ Khu vực 1: 1/3 đã đọc (33%) · 3 người nhận", per_unit


async def test_a_board_reaches_only_its_own_subtree_and_members_cannot_write(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    # A plain member: /story is refused, saying why.
    refused = await org.say(BICH, "/story new")
    assert "chỉ dành cho" in refused.text, refused.text
    # /story alone: the menu of subcommands.
    menu = await org.say(LAN, "/story")
    assert "/story new" in menu.text and "/story stats" in menu.text
    # Lan (DU-AT) is offered her own units only.
    await org.say(LAN, "/story new")
    await org.say(LAN, "Gương sáng An Thới")
    org.server.send_text(LAN, BODY_HTML, html=True)
    part = await org.server.next_message(LAN)
    ask_photo = await org.press(LAN, part, "Xong")
    ask_tag = await org.press(LAN, ask_photo, "Không có ảnh")
    ask_audience = await org.press(LAN, ask_tag, "Người tốt, việc tốt")
    await _tap(org, LAN, ask_audience, "Một số đơn vị trực thuộc")
    picker = await _until(org, LAN, _with_text("Đồng chí chọn các đơn vị"), "picker")
    offered = [label for label, _ in picker.buttons]
    assert any("Chi bộ Khu vực 3" in label for label in offered), offered
    assert not any("Khu vực 1" in label or "Khu vực 2" in label for label in offered)
    # A forged button for DU-NK's cell is refused and chooses nothing.
    (cb1,) = _rows(org.db_path, "SELECT id FROM units WHERE code = 'CB-1'")[0]
    query = org.server.press_button(LAN, picker, f"stn:tog:{cb1}")
    answer = await org.server.wait_callback_answer(query)
    assert "không thuộc" in answer.text and answer.show_alert, answer
    await _tap(org, LAN, picker, "Xong")  # nothing chosen yet
    await org.say(LAN, "/cancel")
    assert _rows(org.db_path, "SELECT COUNT(*) FROM stories") == [(0,)]

    # Giang's story: Lan can neither see nor send it, even with a made-up button.
    story_id, _, summary = await _compose(org, GIANG, "Gương sáng Ninh Kiều")
    send_data = next(data for label, data in summary.buttons if label == "Gửi ngay")
    shown = await org.say(LAN, f"/story show {story_id}")
    assert "Ban Tuyên giáo" in shown.text, shown.text
    query = org.server.press_button(LAN, picker, send_data)
    answer = await org.server.wait_callback_answer(query)
    assert "Ban Tuyên giáo" in answer.text, answer
    assert _rows(org.db_path, "SELECT status FROM stories") == [("draft",)]


async def test_stale_buttons_after_a_cancel_an_edit_and_a_send(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    story_id, _, summary = await _compose(org, GIANG, "Tài liệu học tập tháng 3")
    ask = await org.press(GIANG, summary, "Hẹn giờ gửi")
    echo = await org.say(GIANG, "20/03/2026 07:30")
    await org.press(GIANG, echo, "Xác nhận")

    # Withdraw it: /story cancel asks, the button does it.
    confirm = await org.say(GIANG, f"/story cancel {story_id}")
    assert "Thu hồi bài" in confirm.text
    withdrawn = await org.press(GIANG, confirm, "Thu hồi bài viết")
    assert f"Đã thu hồi bài {story_id}" in withdrawn.text
    assert _rows(org.db_path, "SELECT status FROM stories") == [("draft",)]
    # The old preview's «Send now» was for the scheduled story: refused, nothing sent.
    said = await _tap(org, GIANG, summary, "Gửi ngay")
    assert "đã thay đổi" in said, said
    # The confirmation again: refused, as the story is no longer scheduled.
    said = await _tap(org, GIANG, confirm, "Thu hồi bài viết")
    assert "đã thay đổi" in said or "hẹn giờ" in said, said

    # An edit makes the preview shown before it stale.
    shown = await org.say(GIANG, f"/story show {story_id}")
    before = await _until(org, GIANG, _with_button("Gửi ngay"), "summary")
    del shown
    fields = await org.say(GIANG, f"/story edit {story_id}")
    ask_title = await org.press(GIANG, fields, "Tiêu đề")
    assert "tiêu đề mới" in ask_title.text
    too_short = await org.say(GIANG, "ab")
    assert "3" in too_short.text, too_short.text
    saved = await org.say(GIANG, "Tài liệu học tập tháng 3 (bản sửa)")
    assert "Đã lưu" in saved.text
    after = await _until(org, GIANG, _with_button("Gửi ngay"), "summary")
    # The body again, in two messages: joined in the order sent, formatting kept.
    fields = await org.say(GIANG, f"/story edit {story_id}")
    await org.press(GIANG, fields, "Nội dung")
    org.server.send_text(GIANG, "Phần một: <b>học tập</b> và làm theo.", html=True)
    await org.server.next_message(GIANG)
    org.server.send_text(GIANG, "Phần hai: <i>nêu gương</i> trong công tác.", html=True)
    part = await org.server.next_message(GIANG)
    assert "Đã nhận phần 2" in part.text, part.text
    await _tap(org, GIANG, part, "Xong")
    await _until(org, GIANG, _with_text("Đã lưu"), "saved")
    shown = await org.server.next_message(GIANG)
    assert shown.text.endswith(
        "Phần một: <b>học tập</b> và làm theo.\n\nPhần hai: <i>nêu gương</i> trong công tác."
    ), shown.text
    after = await _until(org, GIANG, _with_button("Gửi ngay"), "summary")
    said = await _tap(org, GIANG, before, "Gửi ngay")
    assert "đã thay đổi" in said, said
    assert _rows(org.db_path, "SELECT status, title FROM stories") == [
        ("draft", "Tài liệu học tập tháng 3 (bản sửa)")
    ]

    # Sent: the edit and schedule buttons are stale, /story edit says why.
    sent = await org.press(GIANG, after, "Gửi ngay")
    assert "đang được gửi" in sent.text
    said = await _tap(org, GIANG, after, "Hẹn giờ gửi")
    assert "đã gửi" in said or "đã thay đổi" in said, said
    refused = await org.say(GIANG, f"/story edit {story_id}")
    assert "không thể sửa" in refused.text, refused.text
    missing = await org.say(GIANG, "/story show 999999")
    assert "Không có bài viết số 999999" in missing.text
    del ask


async def _to_audience(org: Harness, user: int, title: str, body: str) -> BotMessage:
    """/story new up to the audience question; returns it."""
    org.server.send_text(user, "/story new")
    await _until(org, user, _with_text("gửi tiêu đề"), "the title question")
    org.server.send_text(user, title)
    await _until(org, user, _with_text("nội dung bài viết"), "the body question")
    org.server.send_text(user, body, html=True)
    part = await _until(org, user, _with_text("Đã nhận phần 1"), "the body received")
    ask_photo = await org.press(user, part, "Xong")
    ask_tag = await org.press(user, ask_photo, "Không có ảnh")
    ask_audience = await org.press(user, ask_tag, "Gương điển hình")
    assert "Gửi bài đến ai" in ask_audience.text, ask_audience.text
    return ask_audience


async def test_a_unit_gone_at_the_last_answer_asks_the_audience_again_and_keeps_the_text(
    org: Harness, tmp_path: Path
) -> None:
    await _board(org, tmp_path)
    long_body = BODY_HTML + " " + "Nội dung dài đã soạn công phu. " * 120
    ask_audience = await _to_audience(org, GIANG, "Gương sáng vượt khó", long_body)
    await _tap(org, GIANG, ask_audience, "Một số đơn vị trực thuộc")
    picker = await _until(org, GIANG, _with_text("Đồng chí chọn các đơn vị"), "picker")
    await _tap(org, GIANG, picker, "Chi bộ Khu vực 2")
    picker = await _until(org, GIANG, _with_text("Chi bộ Khu vực 2"), "toggle")
    # Meanwhile the operator moves CB-2 under the other committee.
    (tmp_path / "moved_units.csv").write_text(
        "code,name,kind,parent_code\nCB-2,Chi bộ Khu vực 2,cell,DU-AT\n", encoding="utf-8"
    )
    assert (await org.cli("units", "import", str(tmp_path / "moved_units.csv")))[0] == 0
    await _tap(org, GIANG, picker, "Xong")
    why = await _until(org, GIANG, _with_text("không thuộc"), "refusal")
    assert "chọn lại người nhận" in why.text, why.text
    again = await _until(org, GIANG, _with_text("Gửi bài đến ai"), "the audience again")
    assert _rows(org.db_path, "SELECT COUNT(*) FROM stories") == [(0,)]
    await _tap(org, GIANG, again, "Toàn bộ")
    await _until(org, GIANG, _with_text("đúng như người nhận sẽ thấy"), "intro")
    [(title, body, audience)] = _rows(org.db_path, "SELECT title, body, audience FROM stories")
    assert title == "Gương sáng vượt khó" and body == long_body.strip()
    assert '"kind": "scope"' in audience

    # The same in /story edit's audience step: CB-1 is chosen, then moved away.
    (story_id,) = _rows(org.db_path, "SELECT id FROM stories")[0]
    await _until(org, GIANG, _with_button("Gửi ngay"), "summary")
    org.server.send_text(GIANG, f"/story edit {story_id}")
    fields = await _until(org, GIANG, _with_text("muốn sửa phần nào"), "fields")
    ask_audience = await org.press(GIANG, fields, "Người nhận")
    await _tap(org, GIANG, ask_audience, "Một số đơn vị trực thuộc")
    picker = await _until(org, GIANG, _with_text("Đồng chí chọn các đơn vị"), "picker")
    await _tap(org, GIANG, picker, "Chi bộ Khu vực 1")
    picker = await _until(org, GIANG, _with_text("Chi bộ Khu vực 1"), "toggle")
    (tmp_path / "moved_units.csv").write_text(
        "code,name,kind,parent_code\nCB-1,Chi bộ Khu vực 1,cell,DU-AT\n", encoding="utf-8"
    )
    assert (await org.cli("units", "import", str(tmp_path / "moved_units.csv")))[0] == 0
    await _tap(org, GIANG, picker, "Xong")
    why = await _until(org, GIANG, _with_text("không thuộc"), "refusal")
    assert "chọn lại người nhận" in why.text, why.text
    again = await _until(org, GIANG, _with_text("Gửi bài đến ai"), "the audience again")
    await _tap(org, GIANG, again, "chi đoàn, chi hội")
    await _until(org, GIANG, _with_text("Đã lưu"), "saved")
    assert '"kind": "mass_org"' in _rows(org.db_path, "SELECT audience FROM stories")[0][0]

    # No longer the board when answering last: the flow ends, what was typed is shown back.
    ask_audience = await _to_audience(org, GIANG, "Bài thứ hai", long_body)
    code, _, err = await org.cli(
        "role", "revoke", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err
    await _tap(org, GIANG, ask_audience, "Toàn bộ")
    await _until(org, GIANG, _with_text("Ban Tuyên giáo"), "refusal")
    await _until(org, GIANG, _with_text("chưa được lưu"), "give back")
    title_part = await org.server.next_message(GIANG)
    assert title_part.text.startswith("<b>Bài thứ hai</b>\n\n" + BODY_HTML), title_part.text
    parts = [title_part.text]
    while not parts[-1].endswith("soạn công phu."):  # the whole body, however many parts
        parts.append((await org.server.next_message(GIANG)).text)
    shown = "".join(parts)
    assert shown.count("Nội dung dài đã soạn công phu.") == 120, len(parts)
    assert _rows(org.db_path, "SELECT COUNT(*) FROM stories") == [(1,)]
    listing = await org.say(GIANG, "/story list")
    assert "chỉ dành cho" in listing.text, listing.text  # the flow is over, the gate answers
