"""The reminder engine in the running bot: the JobQueue's sweep, restarts, and what members
receive over the fake Bot API.

The 2026 campaign's commitment deadline is 31/03/2026: members without a commitment are
reminded at 08:00 on 17, 24, 28 and 30 March.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.app import REMINDERS_JOB
from bot.context import services_of
from tests.e2e.conftest import TZ, Harness

AN, BICH, EM, GIANG = 1001, 1002, 1005, 1007


def _sent(h: Harness, chat_id: int, template: str) -> int:
    with sqlite3.connect(h.db_path) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND template = ? AND status = 'sent'",
            (chat_id, template),
        ).fetchone()[0]


def _queued(h: Harness, template: str) -> int:
    with sqlite3.connect(h.db_path) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = ? AND status = 'queued'", (template,)
        ).fetchone()[0]


async def _sweep(h: Harness) -> None:
    """Run the bot's repeating sweep job now rather than wait for its next turn."""
    assert h.app is not None and h.app.job_queue is not None
    (job,) = h.app.job_queue.get_jobs_by_name(REMINDERS_JOB)
    await job.run(h.app)


async def test_a_reminder_due_while_the_bot_was_stopped_goes_out_once_after_the_restart(
    org: Harness,
) -> None:
    code, _, err = await org.cli("campaign", "create", "--year", "2026", "--topic", "Trách nhiệm")
    assert code == 0, err
    org.clock.moment = datetime(2026, 3, 17, 7, 0, tzinfo=TZ)
    await _sweep(org)  # 08:00 is not yet within the lead: nothing queued
    assert _queued(org, "reminder.commitment.due") == 0
    before = len(org.server.messages(BICH))

    # Stopped at 07:00, started again at 10:00: the 08:00 reminder is late but useful.
    await org.stop()
    org.clock.moment = datetime(2026, 3, 17, 10, 0, tzinfo=TZ)
    await org.start()
    await org.delivered()
    assert _sent(org, BICH, "reminder.commitment.due") == 1
    received = org.server.messages(BICH)[before:]
    assert len(received) == 1
    assert "31/03/2026" in received[0].text, received[0].text

    # Another restart and another sweep: nothing goes twice.
    await org.restart()
    await _sweep(org)
    await org.delivered()
    assert len(org.server.messages(BICH)) == before + 1

    # Stopped over the 7-day reminder (24/03 08:00) until it is past its grace: dropped.
    await org.stop()
    org.clock.moment = datetime(2026, 3, 27, 9, 0, tzinfo=TZ)
    await org.start()
    await org.delivered()
    assert len(org.server.messages(BICH)) == before + 1
    assert _sent(org, BICH, "reminder.commitment.due") == 1

    # The 3-day one (28/03 08:00) is queued ahead by a sweep and sent once, at its time.
    org.clock.moment = datetime(2026, 3, 28, 7, 45, tzinfo=TZ)
    await _sweep(org)
    assert _queued(org, "reminder.commitment.due") >= 1
    await org.restart()  # queued, not yet sent, when the bot stops
    org.clock.moment = datetime(2026, 3, 28, 8, 0, tzinfo=TZ)
    services_of(org.app).notifications.wake.set()  # type: ignore[arg-type]
    await org.delivered()
    assert _sent(org, BICH, "reminder.commitment.due") == 2
    assert len(org.server.messages(BICH)) == before + 2
