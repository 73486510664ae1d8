"""Crash and restart drills (issue 13), one seeded round of each in ``make test``.

The seed is ``DRILL_SEED`` (an integer) when set, else a fixed one; each drill draws its kill
point from ``random.Random(f"{seed}:{drill}")``, and a failure names the seed to replay it
(``DRILL_SEED=N pytest tests/e2e/test_crash_drills.py``). ``bench/drills.py --rounds N``
runs many rounds with fresh seeds.
"""

from __future__ import annotations

import os
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

from fake_telegram import FakeTelegramServer
from tests.e2e import crash_drills as drills
from tests.e2e import crash_drills_storage as storage_drills

SEED = int(os.environ.get("DRILL_SEED", "1303"))

Drill = Callable[[FakeTelegramServer, Path, random.Random], Awaitable[drills.Report]]


async def _run(name: str, drill: Drill, server: FakeTelegramServer, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}:{name}")
    try:
        report = await drill(server, tmp_path, rng)
    except AssertionError as error:
        raise AssertionError(f"drill {name} with DRILL_SEED={SEED}: {error}") from error
    print(f"DRILL_SEED={SEED} {report.line()}")


async def test_commit_survives_a_kill(server: FakeTelegramServer, tmp_path: Path) -> None:
    await _run("commit", drills.drill_commit, server, tmp_path)


async def test_session_creation_survives_a_kill(server: FakeTelegramServer, tmp_path: Path) -> None:
    await _run("session", drills.drill_session, server, tmp_path)


async def test_broadcast_survives_a_kill(server: FakeTelegramServer, tmp_path: Path) -> None:
    await _run("broadcast", drills.drill_broadcast, server, tmp_path)


async def test_reminders_survive_a_kill(server: FakeTelegramServer, tmp_path: Path) -> None:
    await _run("reminders", drills.drill_reminders, server, tmp_path)


async def test_an_import_is_all_or_nothing_when_killed(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    await _run("import", storage_drills.drill_import, server, tmp_path)


async def test_a_backup_under_load_restores_sound(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    await _run("backup", storage_drills.drill_backup, server, tmp_path)
