"""Guided conversations expire: the person is told once, a commitment draft is kept, and
nothing stays blocked, whether the bot ran all along or was stopped meanwhile."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta

import pytest

from tests.e2e.conftest import Harness
from tests.e2e.test_commitments import ACTION_1, IDEOLOGY, add_action

BICH, AN = 1002, 1001
EXPIRED = "đã được đóng lại sau"
NOT_EXPECTING = "Hiện tôi không chờ tin nhắn nào"
BUSY = "Đồng chí đang"


def _actions(h: Harness) -> list[str]:
    with sqlite3.connect(h.db_path) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM commitment_actions")]


@pytest.fixture
async def campaign(org: Harness) -> Harness:
    code, _, err = await org.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    return org


async def _idle(h: Harness) -> None:
    """The bot has finished with everything sent so far (and saved the step it is at)."""
    assert h.app is not None
    await asyncio.wait_for(h.app.update_processor.wait_idle(), 10)  # type: ignore[attr-defined]


async def _quiet(h: Harness, user: int, seconds: float) -> list[str]:
    """What the bot sends to ``user`` within ``seconds``."""
    before = len(h.server.events(user))
    await asyncio.sleep(seconds)
    h.server.skip_pending(user)
    return [e.text or "" for e in h.server.events(user)[before:]]


async def test_an_abandoned_commitment_expires_keeps_its_draft_and_blocks_nothing(
    campaign: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = campaign
    monkeypatch.setenv("CADREBOT_CONVERSATION_TIMEOUT_HOURS", "0.0005")  # 1.8 s
    await h.restart()
    menu = await h.say(BICH, "/commit")
    menu = await add_action(h, BICH, menu, IDEOLOGY, ACTION_1)
    await h.press(BICH, menu, IDEOLOGY)  # then walks away, asked for an action's text
    told = await _quiet(h, BICH, 4)
    expiry = [text for text in told if EXPIRED in text]
    assert len(expiry) == 1, told  # told once
    assert "bản cam kết" in expiry[0] and "Bản nháp vẫn được lưu" in expiry[0]
    # The text they type now belongs to no step, and the draft is still there.
    assert NOT_EXPECTING in (await h.say(BICH, "Một hành động gõ sau cả ngày")).text
    assert _actions(h) == [ACTION_1]
    menu = await h.say(BICH, "/commit")
    assert "Bản nháp" in menu.text and BUSY not in menu.text
    assert await _quiet(h, BICH, 0.5) == []


async def test_a_step_left_open_while_the_bot_was_stopped_is_closed_at_start(
    campaign: Harness,
) -> None:
    h = campaign
    ask = await h.say(AN, "/session new")
    assert ask.buttons or "chủ đề" in ask.text
    await _idle(h)
    await h.stop()
    h.clock.moment += timedelta(hours=25)
    await h.start()
    notice = await h.server.next_message(AN, timeout=10)
    assert EXPIRED in notice.text and "24 giờ" in notice.text
    assert NOT_EXPECTING in (await h.say(AN, "Chi bộ Khu vực 1")).text
    # Nothing is blocked: another flow starts at once.
    started = await h.say(AN, "/session edit 1")
    assert BUSY not in started.text
    # And the notice is not repeated at the next start.
    await h.restart()
    assert await _quiet(h, AN, 1) == []


async def test_a_step_loaded_fresh_that_goes_stale_steps_aside(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    await h.press(BICH, menu, IDEOLOGY)
    await _idle(h)
    h.clock.moment += timedelta(hours=2)
    await h.restart()  # still fresh: the conversation is loaded, but has no timeout job
    h.clock.moment += timedelta(hours=23)  # now 25 hours without an answer
    answer = await h.say(BICH, "Một hành động gõ sau cả ngày")
    assert EXPIRED in answer.text
    assert _actions(h) == []  # the late text was not taken as an action
    # A command is not swallowed: it runs after the old step has stepped aside.
    await h.say(BICH, "/cancel")
    menu = await h.say(BICH, "/commit")
    assert BUSY not in menu.text and "Bản cam kết năm 2026" in menu.text


def _cut_short(h: Harness, user: int, flow_name: str, text: str) -> None:
    """As if the bot died while handling ``text`` in ``flow_name``: the step's note is
    there, the conversation's new state never saved (what a SIGKILL leaves; issue 13)."""
    with sqlite3.connect(h.db_path) as conn:
        (state,) = conn.execute(
            "SELECT state FROM ptb_conversations WHERE name = ? AND key = ?",
            (flow_name, json.dumps([user, user])),
        ).fetchone()
        update = {
            "update_id": 990001,
            "message": {
                "message_id": 990001,
                "date": 1767225600,
                "chat": {"id": user, "type": "private", "first_name": "X"},
                "from": {"id": user, "is_bot": False, "first_name": "X", "language_code": "vi"},
                "text": text,
            },
        }
        conn.execute(
            "INSERT INTO flow_steps (user_id, chat_id, flow, state, update_json, started_at) "
            "VALUES (?, ?, ?, ?, ?, '2026-03-10T02:00:00+00:00')",
            (user, user, flow_name, state, json.dumps(update)),
        )


async def test_a_step_cut_short_by_a_crash_is_handled_again_or_closed(campaign: Harness) -> None:
    h = campaign
    menu = await h.say(BICH, "/commit")
    assert "ký tự" in (await h.press(BICH, menu, IDEOLOGY)).text
    nominate = await h.say(AN, "/nominate")
    assert nominate.text
    await _idle(h)
    await h.stop()
    _cut_short(h, BICH, "commitment_filing", ACTION_1)
    _cut_short(h, AN, "nomination_new", "Một người tốt")
    h.server.skip_pending(BICH)
    h.server.skip_pending(AN)
    await h.start()
    # /commit's steps are safe to handle twice: the action typed is saved (once).
    saved = await h.server.next_message(BICH, timeout=10)
    assert "Đã lưu" in saved.text
    assert _actions(h) == [ACTION_1]
    # The nomination's step is closed, and its author told.
    notice = await h.server.next_message(AN, timeout=10)
    assert "Bot đã khởi động lại" in notice.text and "đề xuất" in notice.text
    assert NOT_EXPECTING in (await h.say(AN, "Một người tốt")).text
    await h.restart()  # told once, handled once
    assert await _quiet(h, AN, 0.5) == [] and await _quiet(h, BICH, 0.5) == []
    assert _actions(h) == [ACTION_1]
