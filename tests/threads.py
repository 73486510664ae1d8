"""Checking that a test leaves no database worker thread behind."""

from __future__ import annotations

import threading


def threads_left(before: set[threading.Thread]) -> list[threading.Thread]:
    """aiosqlite worker threads started since ``before`` and still alive after a moment: a
    closed connection's worker finishes just after close() returns, a leaked one never does."""
    new = [
        t
        for t in threading.enumerate()
        if t not in before and "_connection_worker_thread" in t.name
    ]
    for thread in new:
        thread.join(timeout=5)
    return [t for t in new if t.is_alive()]
