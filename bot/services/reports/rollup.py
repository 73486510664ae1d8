"""Keeps the attendance roll-up (migration 0018) current: the closed sessions whose counts
are not kept are counted and kept, a few hundred per write transaction so that no writer
waits long. Run at start and then every few minutes (bot/app.py); the reports are exact
without it (what is not kept is counted live), only slower on a large organisation."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from storage import Database
from storage.report_rollup import RollupRepository

ROLLUP_EVERY = timedelta(minutes=10)
CHUNK = 100  # sessions per write transaction: about 9,000 invitations, about 0.1 s on a city
log = logging.getLogger(__name__)


async def roll_up_attendance(db: Database, *, chunk: int = CHUNK) -> int:
    """Roll up every closed session not rolled up yet, ``chunk`` at a time; how many."""
    done = 0
    while True:
        async with db.write() as store:
            rollup = RollupRepository(store.conn)
            found = await rollup.pending(chunk)
            await rollup.roll_up(found)
        done += len(found)
        if len(found) < chunk:
            break
        await asyncio.sleep(0)  # other writers go between two chunks
    if done:
        log.info("reports: attendance of %s closed session(s) rolled up", done)
    return done
