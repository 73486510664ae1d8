"""Hostile text end to end: what members may type (very long texts, emoji, markup characters,
invisible control characters, far-off years) against the fake server, which checks HTML
entities and UTF-16 lengths the way Telegram does."""

from __future__ import annotations

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
    org: Harness, chat: int, action: Callable[[], Awaitable[object] | object]
) -> list[BotMessage]:
    """Every message the bot sends in ``chat`` because of ``action``; fails when Telegram
    (the fake server) refused any of the bot's requests in the chat meanwhile."""
    await org.server.wait_idle()
    org.server.skip_pending(chat)
    before = len(org.server.events(chat))
    done = len(org.server.requests)
    result = action()
    if isinstance(result, Awaitable):
        await result
    await org.server.next_message(chat)  # at least one
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

    upcoming = await _replies(org, BICH, lambda: org.server.send_text(BICH, "/sessions"))
    assert "".join(LEAD_IN.split()) in "".join(_shown(upcoming).split())
    assert "Tôi xin vắng" in [text for text, _ in upcoming[-1].buttons]

    shown = await _replies(
        org, SECRETARY, lambda: org.server.send_text(SECRETARY, f"/session show {session_id}")
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
