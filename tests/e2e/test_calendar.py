"""The commemorative calendar end to end: /calendar in early 2026 counts 96 years of the
Party; a propaganda board adds its unit's day, is reminded 7 days before at 08:00, and
attaches a draft story from the reminder's button (the story is then scheduled for 07:00 on
the day)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from bot.app import REMINDERS_JOB
from bot.context import services_of
from tests.e2e.conftest import TZ, Harness

AN, BICH, GIANG = 1001, 1002, 1007
STORY = """# Phường Ninh Kiều 50 năm xây dựng và phát triển

Bài viết về truyền thống vẻ vang của phường qua các thời kỳ.
"""


def _one(db_path: Path, sql: str, *params: object) -> tuple:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchone()


async def test_calendar_counts_the_years_and_reminds_the_board(
    org: Harness, tmp_path: Path
) -> None:
    h = org
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err

    # Any member sees the days ahead, with what each anniversary marks.
    h.clock.moment = datetime(2026, 1, 20, 9, 0, tzinfo=TZ)
    shown = await h.say(BICH, "/calendar")
    assert "03/02/2026" in shown.plain_text
    assert "96 năm Ngày thành lập Đảng" in shown.plain_text
    assert "/calendar add" not in shown.plain_text  # the board's commands are for the board

    # A member cannot add a day; the board can.
    h.clock.moment = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
    refused = await h.say(BICH, "/calendar add")
    assert "Chỉ Ban Tuyên giáo" in refused.plain_text
    asked = await h.say(GIANG, "/calendar add")
    assert "Đảng ủy phường Ninh Kiều" in asked.plain_text
    english = await h.say(GIANG, "Ngày truyền thống phường Ninh Kiều")
    when = await h.press(GIANG, english, "Bỏ qua")
    bad = await h.say(GIANG, "31/04")
    assert "không phải là ngày có thật" in bad.plain_text
    origin = await h.say(GIANG, "20/03")
    remind = await h.say(GIANG, "1976")
    summary = await h.press(GIANG, remind, "Bỏ qua")  # 7 days, the default
    assert "Nhắc trước: 7 ngày, lúc 08:00" in summary.plain_text
    assert "Ngày: 20/03 hằng năm" in summary.plain_text
    saved = await h.press(GIANG, summary, "Lưu")
    assert "Đã thêm ngày" in saved.plain_text
    (day_id,) = _one(h.db_path, "SELECT id FROM calendar_days WHERE unit_id IS NOT NULL")
    assert _one(h.db_path, "SELECT origin_year, remind_days FROM calendar_days WHERE id = ?",
                day_id) == (1976, 7)  # fmt: skip
    assert origin and when

    # The reminder sweep queues the reminder for 08:00 on 13/03, seven days before.
    assert h.app is not None
    h.clock.moment = datetime(2026, 3, 13, 0, 5, tzinfo=TZ)
    (job,) = h.app.job_queue.get_jobs_by_name(REMINDERS_JOB)
    await job.run(h.app)
    await job.run(h.app)  # twice: still one reminder
    rows = _one(
        h.db_path,
        "SELECT COUNT(*), MIN(not_before) FROM outbox WHERE dedup_key LIKE ?",
        f"calendar:{day_id}:2026:%",
    )
    assert rows == (1, "2026-03-13T01:00:00+00:00")  # 08:00 in Hồ Chí Minh City
    h.clock.moment = datetime(2026, 3, 13, 8, 0, tzinfo=TZ)
    services_of(h.app).notifications.wake.set()
    reminder = await h.next_new(GIANG)
    assert "Còn 7 ngày nữa là 50 năm Ngày truyền thống phường Ninh Kiều" in reminder.plain_text

    # The board writes a draft, then attaches it from the reminder's button.
    (tmp_path / "story.md").write_text(STORY, encoding="utf-8")
    code, _, err = await h.cli(
        "story", "import", str(tmp_path / "story.md"), "--unit", "DU-NK", "--tag", "holiday"
    )
    assert code == 0, err
    (story_id,) = _one(h.db_path, "SELECT id FROM stories")
    choose = await h.press(GIANG, reminder, "Gắn bài viết")
    assert "Gửi bài viết nào" in choose.plain_text
    confirm = await h.press(
        GIANG, choose, f"{story_id} · Phường Ninh Kiều 50 năm xây dựng và phát triển"
    )
    assert "là bản nháp" in confirm.plain_text and "07:00, 20/03/2026" in confirm.plain_text
    done = await h.press(GIANG, confirm, "Hẹn giờ và gắn bài")
    assert "Đã gắn bài viết" in done.plain_text
    assert _one(h.db_path, "SELECT status, send_at FROM stories WHERE id = ?", story_id) == (
        "scheduled",
        "2026-03-20T00:00:00+00:00",
    )
    listed = await h.say(GIANG, "/calendar")
    assert f"Bài viết {story_id}" in listed.plain_text and "đã hẹn giờ" in listed.plain_text

    # A member sees the day, not the board's story.
    seen = await h.say(BICH, "/calendar")
    assert "50 năm Ngày truyền thống phường Ninh Kiều" in seen.plain_text
    assert f"Bài viết {story_id}" not in seen.plain_text

    # Editing shows the new value before it is saved.
    fields = await h.say(GIANG, f"/calendar edit {day_id}")
    question = await h.press(GIANG, fields, "Năm khởi đầu")
    assert "năm khởi đầu" in question.plain_text.lower()
    wrong = await h.say(GIANG, "2099")
    assert "Năm khởi đầu phải từ 1000 đến 2026" in wrong.plain_text
    check = await h.say(GIANG, "1975")
    assert "1975" in check.plain_text
    changed = await h.press(GIANG, check, "Lưu")
    assert "Đã sửa ngày" in changed.plain_text
    assert _one(h.db_path, "SELECT origin_year FROM calendar_days WHERE id = ?", day_id) == (1975,)

    # Removing asks first.
    ask = await h.say(GIANG, f"/calendar remove {day_id}")
    assert "Xóa ngày" in ask.plain_text
    gone = await h.press(GIANG, ask, "Đồng ý xóa")
    assert "Đã xóa ngày" in gone.plain_text
    assert _one(h.db_path, "SELECT removed_at IS NOT NULL FROM calendar_days WHERE id = ?",
                day_id) == (1,)  # fmt: skip
    refused = await h.say(GIANG, f"/calendar edit {day_id}")
    assert "Không có ngày số" in refused.plain_text
