"""The /session handlers' wiring, without a network: each guided subcommand is a named,
persistent conversation of its own, entered by its own subcommand only, and every button
handler reads its data through the codec."""

from __future__ import annotations

import pytest
from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot import callbacks as cb
from bot.app import build_application
from bot.config import Settings
from bot.context import Services
from handlers.sessions import shared

FLOWS = {"session_new", "session_edit", "session_close", "session_minutes", "session_absence"}


@pytest.mark.parametrize(
    ("text", "sub", "expected"),
    [
        ("/session new", "new", True),
        ("/SESSION New CB-1", "new", True),  # any case, as the old router read it
        ("/session@cadre_test_bot new", "new", True),
        ("/session  edit 12", "edit", True),
        ("/session\nclose 12", "close", True),
        ("/session minutes", "minutes", True),
        ("/session newer", "new", False),
        ("/session new-1", "new", False),
        ("/session list new", "new", False),
        ("/sessions new", "new", False),
        ("/session", "new", False),
    ],
)
def test_a_flow_is_entered_by_its_own_subcommand_only(text: str, sub: str, expected: bool) -> None:
    pattern = shared.subcommand(sub).pattern
    assert bool(pattern.search(text)) is expected


def test_each_guided_flow_is_a_named_persistent_conversation(
    settings: Settings, services: Services
) -> None:
    application = build_application(settings, services)
    conversations = {
        handler.name: handler
        for handler in application.handlers[0]
        if isinstance(handler, ConversationHandler) and handler.name.startswith("session")
    }
    assert set(conversations) == FLOWS
    assert all(c.persistent and c.conversation_timeout for c in conversations.values())
    minutes_entries = conversations["session_minutes"].entry_points
    assert any(
        isinstance(h, CallbackQueryHandler) and h.pattern.pattern == cb.MINUTES_AGAIN.pattern
        for h in minutes_entries
    )
    # The conversations come before the buttons that work anywhere, and before /session.
    group = application.handlers[0]
    last_flow = max(group.index(c) for c in conversations.values())
    refresh = next(
        i
        for i, h in enumerate(group)
        if isinstance(h, CallbackQueryHandler) and h.pattern.pattern == cb.SHOW.pattern
    )
    assert last_flow < refresh
