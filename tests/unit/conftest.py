"""Unit-test-only fixtures."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import aiosqlite
import pytest

from bot import i18n
from bot.context import Services
from tests.conftest import FakeBot, Organisation


@pytest.fixture(autouse=True)
def _restore_i18n(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """i18n keeps module-level state (default locale, time zone, current locale): put it back
    after each test, so tests (and the CLI, which configures it) cannot leak into each other."""
    monkeypatch.setattr(i18n, "_default_locale", i18n._default_locale)
    monkeypatch.setattr(i18n, "_timezone", i18n._timezone)
    saved = i18n.current_locale()
    yield
    i18n._current_locale.set(saved)


@pytest.fixture
def thread_guard() -> Iterator[set[threading.Thread]]:
    """The threads alive before the test. Any aiosqlite connection the test leaks is stopped
    after it: a leaked connection's worker is a non-daemon thread that would keep pytest
    from ever exiting."""
    before = set(threading.enumerate())
    yield before
    for obj in gc.get_objects():
        if isinstance(obj, aiosqlite.Connection):
            thread = obj._thread
            if thread.is_alive() and thread not in before:
                obj.stop()
                thread.join(timeout=5)


@pytest.fixture
async def setup(services: Services, org: Organisation, fake_bot: FakeBot) -> Services:
    """The services with the 2026 campaign and the cells' secretaries and a committee."""
    await services.campaigns.create(
        year=2026, topic="Tinh thần trách nhiệm, năng động, sáng tạo", actor="test"
    )
    for code, role, unit in (
        ("DV001", "secretary", "CB-BT1"),
        ("DV005", "secretary", "CB-BT2"),
        ("DV010", "committee", "QU-BT"),
    ):
        await services.organisation.set_role(
            member_code=code, role=role, unit_code=unit, grant=True, actor="test"
        )
    return services
