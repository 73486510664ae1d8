"""The reminder engine's messages end to end: a reminder row queued as the engine queues it
is delivered in the member's language, and its button acts. A shortcut starts the command's
own conversation (persistent, as when typed), the check-in button reuses the check-in, and
a shortcut is refused, as the typed command is, to someone without the role."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import CallbackQueryHandler

from bot import callbacks as cb
from bot.commands import SHORTCUTS
from bot.context import services_of
from bot.delivery.notices import session_params
from bot.services.sessions import Draft
from fake_telegram import BotMessage
from storage.records import Member
from storage.sessions import Session
from tests.e2e.conftest import TZ, Harness

AN, BICH = 1001, 1002  # CB-1's secretary, a member of CB-1
IDEOLOGY = "Về tư tưởng chính trị"
ACTION = "Học tập và viết thu hoạch chuyên đề năm 2026 về tinh thần trách nhiệm"


def _rows(h: Harness, sql: str) -> list[tuple]:
    with sqlite3.connect(h.db_path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
async def campaign(org: Harness) -> Harness:
    code, _, err = await org.cli(
        "campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm, năng động"
    )
    assert code == 0, err
    return org


async def _member(h: Harness, telegram_id: int) -> Member:
    async with services_of(h.app).db.read() as store:
        member = await store.members.by_telegram_id(telegram_id)
    assert member is not None
    return member


async def _remind(h: Harness, user: int, kind: str, params: dict[str, Any]) -> BotMessage:
    """Queue a reminder row as the engine does, in a write transaction; the member's message."""
    services = services_of(h.app)
    member = await _member(h, user)
    async with services.db.write() as store:
        queued = await services.notifications.queue(
            store, kind="reminder", template=f"reminder.{kind}", to=[member], params=params
        )
    assert queued == 1
    await h.delivered()
    return await h.server.next_message(user)


async def _press(h: Harness, user: int, message: BotMessage, label: str) -> str:
    """Press a button; the query id (to see how the bot answered it)."""
    return h.server.press_button(user, message, button_text=label)


async def test_the_commitment_reminder_starts_the_filing_conversation(campaign: Harness) -> None:
    h = campaign
    due = {"year": 2026, "deadline": "2026-03-31", "days": 7, "started": False}
    reminder = await _remind(h, BICH, "commitment.due", due)
    assert "⏰ <b>Bản cam kết năm 2026</b>: hạn nộp 31/03/2026 (còn 7 ngày)." in reminder.text
    assert "Đồng chí chưa lập bản cam kết" in reminder.text
    assert reminder.buttons == [("Lập bản cam kết", cb.GO("commit", 0))]

    query = await _press(h, BICH, reminder, "Lập bản cam kết")
    answer = await h.server.wait_callback_answer(query)
    assert not answer.show_alert  # answered: the button does not spin
    menu = await h.next_new(BICH)  # the menu of /commit, as when typed
    assert "Bản cam kết năm 2026" in menu.text and "Hạn nộp: 31/03/2026" in menu.text
    assert any(IDEOLOGY in label for label, _ in menu.buttons)

    # It is the conversation itself: its steps follow, and it survives a restart.
    prompt = await h.press(BICH, menu, IDEOLOGY)
    assert "ký tự" in prompt.text
    await h.restart()
    saved = await h.say(BICH, ACTION)
    assert "Đã lưu" in saved.text
    assert _rows(h, "SELECT text FROM commitment_actions") == [(ACTION,)]

    # While it is open, another conversation's shortcut is refused as the typed command is.
    h.server.skip_pending(BICH)
    review = await _remind(h, BICH, "review.self", {"year": 2026, "closes": "2026-12-31"})
    assert "chưa tự đánh giá" in review.text
    query = await _press(h, BICH, review, "Tự đánh giá")
    refused = await h.server.wait_callback_answer(query)
    assert refused.show_alert and "/cancel" in refused.text
    # The reminder's button works again and again: pressed once more, the filing restarts.
    query = await _press(h, BICH, reminder, "Lập bản cam kết")
    await h.server.wait_callback_answer(query)
    assert "Bản cam kết năm 2026" in (await h.next_new(BICH)).text


async def _session(h: Harness, starts_at: datetime) -> tuple[Session, dict[str, Any]]:
    services = services_of(h.app)
    actor = await services.registration.identify(AN)
    async with services.db.read() as store:
        unit = await store.units.by_code("CB-1")
    assert unit is not None
    session, _ = await services.sessions.create(
        actor,
        Draft(
            unit_id=unit.id,
            kind="regular",
            topic="Sinh hoạt chi bộ tháng 3 <b>&",
            on_campaign=False,
            starts_at=starts_at,
            place="Hội trường khu vực 1",
        ),
    )
    await h.delivered()  # the invitations
    for user in (AN, BICH):
        h.server.skip_pending(user)
    return session, session_params(session, unit)


async def test_the_checkin_reminder_checks_the_member_in(org: Harness) -> None:
    h = org
    start = datetime(2026, 3, 10, 19, 30, tzinfo=TZ)
    session, params = await _session(h, start)
    h.clock.moment = start + timedelta(minutes=1)
    reminder = await _remind(h, BICH, "session.checkin", params)
    assert "✅ <b>Buổi sinh hoạt bắt đầu</b> — Chi bộ Khu vực 1" in reminder.text
    assert "Sinh hoạt chi bộ tháng 3 &lt;b&gt;&amp;" in reminder.text  # the invitation's facts
    assert "Thời gian: 19:30, 10/03/2026" in reminder.text and "/attend" in reminder.text
    assert reminder.buttons == [("Điểm danh", cb.ATTENDED(session.id))]

    # Check-in not opened in the room: as the "I attended" button, the secretary confirms.
    reported = await h.press(BICH, reminder, "Điểm danh")
    assert f"buổi sinh hoạt số {session.id}" in reported.text and "gửi bí thư" in reported.text
    assert "Bí thư chưa mở điểm danh" in reported.text  # not "closed": it never opened
    request = await h.server.next_message(AN)
    assert "Trần Thị Bích" in request.text and "báo đã tham dự" in request.text
    await h.server.wait_callback_answer(await _press(h, AN, request, "Xác nhận"))
    told = await h.server.next_message(BICH)
    assert "xác nhận" in told.text
    checked = _rows(
        h,
        "SELECT m.full_name FROM session_invitees s JOIN members m ON m.id = s.member_id "
        f"WHERE s.session_id = {session.id} AND s.checked_in_at IS NOT NULL",
    )
    assert checked == [("Trần Thị Bích",)]


async def test_with_checkin_open_the_button_asks_for_the_code(org: Harness) -> None:
    h = org
    start = datetime(2026, 3, 10, 19, 30, tzinfo=TZ)
    session, params = await _session(h, start)
    h.clock.moment = start - timedelta(minutes=5)
    opened = await h.say(AN, f"/session checkin {session.id}")
    code = re.search(r"/attend (\d+)", opened.text).group(1)
    h.clock.moment = start
    reminder = await _remind(h, BICH, "session.checkin", params)
    query = await _press(h, BICH, reminder, "Điểm danh")
    answer = await h.server.wait_callback_answer(query)
    assert answer.show_alert and "Đang mở điểm danh" in answer.text  # the code is the proof
    done = await h.say(BICH, f"/attend {code}")
    assert f"Đã điểm danh buổi sinh hoạt số {session.id}" in done.text, done.text


async def test_a_shortcut_is_refused_as_its_command_without_the_role(org: Harness) -> None:
    h = org
    params = {
        "year": 2026,
        "closes": "2026-12-31",
        "days": 7,
        "unit": "Chi bộ Khu vực 1",
        "ungraded": 3,
    }
    reminder = await _remind(h, AN, "review.grade", params)
    assert "còn 3 đồng chí chưa được đánh giá, xếp loại năm 2026" in reminder.text
    # The secretary is relieved of the role before pressing it.
    code, _, err = await h.cli(
        "role", "revoke", "--member", "DV001", "--role", "secretary", "--unit", "CB-1"
    )
    assert code == 0, err
    typed = await h.say(AN, "/grade")
    query = await _press(h, AN, reminder, "Xếp loại")
    refused = await h.server.wait_callback_answer(query)
    assert refused.show_alert and refused.text == typed.text
    assert "Xin lỗi đồng chí, lệnh /grade chỉ dành cho" in refused.text
    denials = _rows(
        h, "SELECT target FROM audit_log WHERE action = 'command' AND outcome = 'denied'"
    )
    assert denials == [("/grade",), ("/grade",)]
    # A member who never had it: the same.
    missing = {
        "year": 2026,
        "deadline": "2026-03-31",
        "days": 1,
        "unit": "Chi bộ Khu vực 1",
        "expected": 4,
        "missing": [{"name": "Lê Hoàng Cường", "leader": False, "reachable": False}],
    }
    reminder = await _remind(h, BICH, "commitment.missing", missing)
    assert "chưa dùng bot — cần báo trực tiếp" in reminder.text
    query = await _press(h, BICH, reminder, "Theo dõi tiến độ")
    refused = await h.server.wait_callback_answer(query)
    assert "lệnh /commitments chỉ dành cho" in refused.text


async def test_the_secretarys_shortcuts_start_their_commands(campaign: Harness) -> None:
    h = campaign
    params = {"unit": "Chi bộ Khu vực 1", "unit_id": 3, "year": 2026, "month": 3}
    reminder = await _remind(h, AN, "cadence.regular", params)
    assert "chưa tổ chức sinh hoạt chi bộ thường kỳ tháng 03/2026" in reminder.text
    ask = await h.press(AN, reminder, "Tạo buổi sinh hoạt")  # /session new
    assert "Loại sinh hoạt nào" in ask.text
    topic = await h.press(AN, ask, "Sinh hoạt chi bộ thường kỳ")
    assert "chủ đề" in topic.text
    assert "Đã hủy" in (await h.say(AN, "/cancel")).text

    summary = {
        "year": 2026,
        "deadline": "2026-03-31",
        "unit": "Đảng ủy phường Ninh Kiều",
        "expected": 6,
        "filed": 0,
        "rows": [],
        "leaders": [],
    }
    reminder = await _remind(h, AN, "commitment.summary", summary)
    shown = await h.press(AN, reminder, "Theo dõi tiến độ")  # /commitments 2026
    assert "<b>Bản cam kết năm 2026</b>" in shown.text and "Chi bộ Khu vực 1" in shown.text


async def test_every_shortcut_has_its_handler(org: Harness) -> None:
    """Each shortcut reaches a handler of its own, not the answer to stale buttons."""
    assert org.app is not None
    user = User(BICH, "Bích", False)
    chat = Chat(BICH, "private")
    for number, name in enumerate(SHORTCUTS, start=1):
        message = Message(number, datetime.now(UTC), chat, from_user=user)
        query = CallbackQuery(str(number), user, "1", message=message, data=cb.GO(name, 1))
        update = Update(number, callback_query=query)
        taker = next(hd for hd in org.app.handlers[0] if hd.check_update(update))
        assert not (isinstance(taker, CallbackQueryHandler) and taker.pattern is None), name
