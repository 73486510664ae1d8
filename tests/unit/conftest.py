"""Unit-test-only fixtures."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import aiosqlite
import pytest

from bot import i18n


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
