"""Crash drills on the database itself (issue 13): an import killed mid-way is all or
nothing; a backup taken while the bot writes restores to a sound database the bot runs on.
The conversation and outbox drills, and how kill points are drawn, are in
:mod:`tests.e2e.crash_drills`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fake_telegram import FakeTelegramServer
from tests import db_checks
from tests.e2e.crash_drills import (
    ACTION_1,
    FAST,
    IDEOLOGY,
    Report,
    Step,
    import_story,
    story_sends,
    walk,
)
from tests.e2e.crash_support import (
    CB2_SECRETARY,
    MEMBER,
    ROOT,
    BotProcess,
    acli,
    add_people,
    campaign_year,
    crowd_ids,
    crowd_name,
    delivered,
    organisation,
    rows,
)

# An import --------------------------------------------------------------------------------

IMPORT_UNITS, IMPORT_MEMBERS = 400, 12_000


def _import_files(folder: Path) -> tuple[Path, Path]:
    units = folder / "units-big.csv"
    units.write_text(
        "code,name,kind,parent_code\n"
        + "".join(f"CX-{i:03d},Chi bộ Khu dân cư {i},cell,DU-NK\n" for i in range(IMPORT_UNITS)),
        encoding="utf-8",
    )
    members = folder / "members-big.csv"
    members.write_text(
        "code,full_name,unit_code,status,position,is_head,language,telegram_id\n"
        + "".join(
            f"DZ{i:05d},{crowd_name(i)},CX-{i % IMPORT_UNITS:03d},official,,false,,\n"
            for i in range(IMPORT_MEMBERS)
        ),
        encoding="utf-8",
    )
    return units, members


async def _cli_process(db_path: Path, *argv: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
    env.update(CADREBOT_DB=str(db_path), TELEGRAM_BOT_TOKEN="1:unused", PYTHONPATH=str(ROOT))
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, cwd=db_path.parent, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _kill_when(process: asyncio.subprocess.Process, ready: Callable[[], bool]) -> bool:
    """SIGKILL the process once ``ready()`` holds; False when it ended first. Another
    process's file writes send no event here: this looks every 2 ms."""
    while process.returncode is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            await process.wait()
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 0.002)
    return False


def _imported(db_path: Path) -> tuple[int, int, int]:
    (units,) = rows(db_path, "SELECT COUNT(*) FROM units WHERE code LIKE 'CX-%'")[0]
    (members,) = rows(db_path, "SELECT COUNT(*) FROM members WHERE code LIKE 'DZ%'")[0]
    (memberships,) = rows(
        db_path,
        "SELECT COUNT(*) FROM memberships ms JOIN members m ON m.id = ms.member_id "
        "WHERE m.code LIKE 'DZ%'",
    )[0]
    return units, members, memberships


async def drill_import(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """``cadrebot units import`` then ``members import`` (400 units, 12,000 members), one of
    them killed: while it writes (once the WAL has grown past a random size) or at a random
    moment. Either everything of that file is there, or nothing; a second run completes it
    and a third changes nothing."""
    db_path = await organisation(folder)
    units_csv, members_csv_path = _import_files(folder)
    target = rng.choice(("units", "members"))
    writing = rng.random() < 0.6
    threshold = rng.randrange(4096, 150_000 if target == "units" else 3_000_000)
    delay = rng.uniform(0.0, 1.5)
    report = Report("import", f"{target} import, " + (
        f"WAL past {threshold} bytes" if writing else f"at {delay:.2f} s"))  # fmt: skip
    wal = db_path.with_name(db_path.name + "-wal")
    started = time.monotonic()

    def ready() -> bool:
        if writing:
            return wal.exists() and wal.stat().st_size >= threshold
        return time.monotonic() - started >= delay

    if target == "members":
        code, output = await acli(db_path, "units", "import", str(units_csv))
        assert code == 0, output
    csv = units_csv if target == "units" else members_csv_path
    process = await _cli_process(db_path, target, "import", str(csv))
    started = time.monotonic()
    killed = await _kill_when(process, ready)
    report.details["killed"] = killed
    problems = db_checks.problems(db_path)
    assert not problems, problems
    units, members, memberships = _imported(db_path)
    if target == "units":
        assert units in (0, IMPORT_UNITS), f"{units} of {IMPORT_UNITS} units: half an import"
        assert members == memberships == 0
    else:
        assert members in (0, IMPORT_MEMBERS), f"{members} members: half an import"
        assert memberships == members, (members, memberships)
    report.details["found"] = units if target == "units" else members
    for path in (units_csv, members_csv_path):
        code, output = await acli(db_path, path.name.split("-")[0], "import", str(path))
        assert code == 0, output
    assert _imported(db_path) == (IMPORT_UNITS, IMPORT_MEMBERS, IMPORT_MEMBERS)
    code, output = await acli(db_path, "members", "import", str(members_csv_path))
    assert code == 0 and f"0 mới, 0 thay đổi, {IMPORT_MEMBERS} không đổi" in output, output
    assert not db_checks.problems(db_path)
    return report


# A backup under load, restored ------------------------------------------------------------


async def drill_backup(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """``cadrebot db backup`` three times while the bot sends a story to 101 and a member
    files a commitment; then the bot is killed. The backup is restored as the operator
    does (the bot stopped, the copy put in place of the file): it passes the checks, and the
    bot runs on it and finishes what the copy still had to send."""
    db_path = await organisation(folder)
    add_people(server)
    chats = {CB2_SECRETARY, *crowd_ids()}
    marks = sorted(rng.sample(range(1, len(chats)), 3))
    report = Report("backup", f"backups after {marks} sends, then SIGKILL")
    bot = BotProcess(server, db_path, {"CADREBOT_SEND_RATE": "50"})
    backups = [folder / "backups" / f"copy-{n}.sqlite3" for n in range(len(marks))]
    year = campaign_year()
    steps = [
        Step("Bản cam kết năm", say="/commit"),
        Step("ký tự", press=IDEOLOGY),
        Step("Đã lưu", say=ACTION_1),
        Step(f"30/06/{year}", say=f"30/06/{year}"),
        Step("Nộp bản cam kết này", press="Gửi"),
        Step("phiên bản 1", press="Xác nhận"),
    ]
    try:
        await bot.start()
        await import_story(db_path, folder)
        filing = asyncio.create_task(walk(server, bot, MEMBER, steps, -1, "answered"))
        for mark, path in zip(marks, backups, strict=True):
            await server.wait_for(lambda m=mark: story_sends(server, chats) >= m, 60, "sends")
            backup = await _cli_process(db_path, "db", "backup", str(path))
            assert await backup.wait() == 0, f"cadrebot db backup {path} failed"
        await filing
        await bot.kill()
    finally:
        await bot.close()
    for path in backups:
        problems = db_checks.problems(path)
        assert not problems, f"{path.name}: {problems}"
    # Restore the last copy in a new place and run the bot on it.
    restored_folder = folder / "restored"
    restored_folder.mkdir()
    restored = restored_folder / "cadrebot.sqlite3"
    shutil.copyfile(backups[-1], restored)
    version = rows(db_path, "SELECT MAX(version) FROM schema_migrations")[0][0]
    assert rows(restored, "SELECT MAX(version) FROM schema_migrations")[0][0] == version
    server.skip_pending(MEMBER)
    bot = BotProcess(server, restored, FAST)
    try:
        await bot.start()
        walked = [Step("Bản cam kết năm", say="/commit")]
        await walk(server, bot, MEMBER, walked, -1, "answered")
        await delivered(server, restored)
        await bot.stop()
    finally:
        await bot.close()
    problems = db_checks.problems(restored)
    assert not problems, problems
    left = rows(restored, "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')")
    assert left == [(0,)], left
    report.details["copies"] = len(backups)
    return report
