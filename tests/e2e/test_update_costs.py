"""What an update costs in writes, through the real Application (issue 13): a /help saves
nothing once the person's menu is set, a conversation step is saved once, in one transaction,
and still survives a restart; and each update has its own person, never another's."""

from __future__ import annotations

import asyncio

import pytest

from bot.persistence import SQLitePersistence
from tests.e2e.conftest import Harness

AN, BICH, EM = 1001, 1002, 1005
IN_MENU = "Đồng chí vui lòng dùng các nút ở trên"


def _persistence(h: Harness) -> SQLitePersistence:
    assert h.app is not None and isinstance(h.app.persistence, SQLitePersistence)
    return h.app.persistence


async def _idle(h: Harness) -> None:
    """Everything sent so far is handled, including the save after each update."""
    assert h.app is not None
    await asyncio.wait_for(h.app.update_processor.wait_idle(), 10)  # type: ignore[attr-defined]


@pytest.fixture
async def campaign(org: Harness) -> Harness:
    code, _, err = await org.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    return org


async def test_help_writes_nothing_once_the_menu_is_set(org: Harness) -> None:
    first = await org.say(BICH, "/help")
    assert "/commit" in (first.text or "")
    await _idle(org)
    persistence = _persistence(org)
    writes = persistence.writes
    for _ in range(5):
        again = await org.say(BICH, "/help")
        assert again.text == first.text
    await _idle(org)
    assert persistence.writes == writes
    # Nor did python-telegram-bot's periodic save find anything to write.
    assert org.app is not None
    await org.app.update_persistence()
    assert persistence.writes == writes


async def test_a_step_is_saved_once_and_survives_a_restart(campaign: Harness) -> None:
    h = campaign
    await h.say(BICH, "/help")
    await _idle(h)
    persistence = _persistence(h)
    writes = persistence.writes
    menu = await h.say(BICH, "/commit")
    assert menu.buttons
    await _idle(h)
    # The conversation's state and the person's open-step mark: one transaction.
    assert persistence.writes == writes + 1
    await h.restart()
    # The conversation is where it was: text is answered by the menu step, not ignored.
    answer = await h.say(BICH, "một dòng chữ")
    assert IN_MENU in (answer.text or "")
    await _idle(h)
    writes = _persistence(h).writes
    answer = await h.say(BICH, "thêm một dòng")
    assert IN_MENU in (answer.text or "")
    await _idle(h)
    assert _persistence(h).writes == writes  # the same step, nothing changed: no write


async def test_each_update_has_its_own_person(org: Harness) -> None:
    """The gate resolves the person once per update; many people at once each get theirs."""
    people = {AN: "Nguyễn Văn An", BICH: "Trần Thị Bích", EM: "Võ Minh Em"}
    for _ in range(4):
        for user in people:
            org.server.send_text(user, "/me")
    for user, name in people.items():
        replies = await org.server.next_messages(user, 4)
        for reply in replies:
            assert name in (reply.text or "")
            assert not any(other in (reply.text or "") for other in set(people.values()) - {name})
