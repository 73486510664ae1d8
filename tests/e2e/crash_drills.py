"""Crash and restart drills (issue 13): each long-lived flow is interrupted by a SIGKILL of
the bot at a point drawn from a seeded random generator, the bot is started again, and the
drill checks that nothing was lost or doubled.

Each drill takes the fake server, a folder and a :class:`random.Random`, and returns what it
did (the kill point, the messages in doubt at the kill, the duplicates) for the report; it
raises AssertionError when something was lost or doubled beyond what the design allows.

Conversations (``/commit``, ``/session new``) are walked as a member would: after the kill
and restart they carry on from what they saw, and send again the step the bot never
answered. Kill points in a step: ``fetched`` (the bot took the update from Telegram and is
handling it), ``on_wire`` (its first answer is on its way), ``answered`` (the answer has
arrived; the bot is saving the conversation's state).
"""

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fake_telegram import BotMessage, FakeTelegramServer
from tests.e2e.crash_support import (
    CB2_SECRETARY,
    MEMBER,
    ROOT,
    SECRETARY,
    TZ,
    BotProcess,
    acli,
    add_people,
    campaign_year,
    crowd_ids,
    crowd_name,
    delivered,
    doubled,
    integrity,
    organisation,
    rows,
    sent_texts,
)

PHASES = ("fetched", "on_wire", "answered")
FAST = {"CADREBOT_SEND_RATE": "100", "CADREBOT_QUIET_HOURS": "00:00-00:00"}


@dataclass
class Report:
    drill: str
    kill: str = ""
    in_doubt: int = 0
    duplicates: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.details.items())
        return (
            f"{self.drill}: killed {self.kill}; in doubt {self.in_doubt}, "
            f"duplicates {self.duplicates} {extra}".rstrip()
        )


def check_fanout(
    server: FakeTelegramServer, chats: set[int] | range, doubt: set[int], report: Report
) -> None:
    """Every chat got what the outbox holds for it as sent, once; a text twice only where a
    row was left ``sending`` by the kill (sent, but not yet recorded)."""
    twice = doubled(sent_texts(server, chats))
    unexplained = {chat: texts for chat, texts in twice.items() if chat not in doubt}
    assert not unexplained, f"doubled outside the kill's window: {unexplained}"
    report.duplicates = sum(len(texts) for texts in twice.values())


def check_sent_rows(server: FakeTelegramServer, db_path: Path, kind_like: str) -> int:
    """Each outbox row of the kind recorded ``sent`` reached its chat: the fake has an
    accepted message with that message_id in that chat. Returns how many rows."""
    accepted = {
        (record.chat_id, record.response["result"]["message_id"])
        for record in server.requests
        if record.method in ("sendMessage", "sendPhoto") and record.status == 200
    }
    sent = rows(
        db_path,
        "SELECT chat_id, message_id FROM outbox WHERE kind LIKE ? AND status = 'sent'",
        (kind_like,),
    )
    missing = [row for row in sent if (row[0], row[1]) not in accepted]
    assert not missing, f"rows marked sent that never reached Telegram: {missing[:5]}"
    stuck = rows(
        db_path,
        "SELECT id, status, last_error FROM outbox WHERE kind LIKE ? "
        "AND status NOT IN ('sent', 'queued')",
        (kind_like,),
    )
    assert not stuck, f"rows failed or left sending: {stuck[:5]}"
    return len(sent)


# Conversations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    expect: str  # in one of the bot's new messages (edits aside)
    say: str | None = None
    press: str | None = None  # a button's text, on the newest message that has it


def _latest_with(server: FakeTelegramServer, user: int, label: str) -> BotMessage:
    for message in reversed(server.messages(user)):
        if any(label in text for text, _ in message.buttons):
            return message
    raise AssertionError(f"no message with «{label}»:\n{server.describe_chat(user)}")


def _perform(server: FakeTelegramServer, user: int, step: Step) -> tuple[int, int]:
    """Send the step; returns (events before it, its update id)."""
    before = len(server.events(user))
    if step.say is not None:
        update = server.send_text(user, step.say)
        return before, update["update_id"]
    assert step.press is not None
    server.press_button(user, _latest_with(server, user, step.press), button_text=step.press)
    return before, server.pending_updates[-1]["update_id"]


def _answered(server: FakeTelegramServer, user: int, before: int, step: Step) -> bool:
    return any(
        step.expect in (event.text or "")
        for event in server.events(user)[before:]
        if not event.edited
    )


def _fetched(server: FakeTelegramServer, update_id: int) -> bool:
    for record in server.requests_for("getUpdates"):
        found = record.response.get("result", []) if record.response else []
        if record.status == 200 and any(u.get("update_id") == update_id for u in found):
            return True
    return False


async def _kill_during(
    server: FakeTelegramServer,
    bot: BotProcess,
    user: int,
    step: Step,
    phase: str,
    before: int,
    update_id: int,
    requests_before: int,
) -> None:
    if phase == "fetched":
        await server.wait_for(lambda: _fetched(server, update_id), 20, "the update fetched")
    elif phase == "on_wire":

        def on_wire() -> bool:
            return any(
                record.chat_id == user or record.method == "answerCallbackQuery"
                for record in server.requests[requests_before:]
            )

        await server.wait_for(on_wire, 20, "an answer on the wire")
    else:
        await server.wait_for(lambda: _answered(server, user, before, step), 20, step.expect)
    await bot.kill()


async def walk(
    server: FakeTelegramServer,
    bot: BotProcess,
    user: int,
    steps: list[Step],
    kill_at: int,
    phase: str,
) -> None:
    """The member walks the conversation; the bot is killed at step ``kill_at`` (``phase``)
    and started again, and the member carries on as a person would."""
    for index, step in enumerate(steps):
        requests_before = len(server.requests)
        before, update_id = _perform(server, user, step)
        if index == kill_at:
            await _kill_during(server, bot, user, step, phase, before, update_id, requests_before)
            await bot.start()
            if not _answered(server, user, before, step):
                # Telegram gives the update again when the bot had not confirmed it.
                await server.wait_idle(timeout=30, quiet=0.5)
            if not _answered(server, user, before, step):
                before, _ = _perform(server, user, step)  # no answer: the member tries again
        await server.wait_for(
            lambda b=before, s=step: _answered(server, user, b, s),
            20,
            f"step {index} ({step.say or step.press!r}) answered with «{step.expect}»:\n"
            f"{server.describe_chat(user)}",
        )


def _kill_point(rng: random.Random, steps: list[Step]) -> tuple[int, str]:
    return rng.randrange(len(steps)), rng.choice(PHASES)


IDEOLOGY = "Về tư tưởng chính trị"
ETHICS = "Về phẩm chất đạo đức, lối sống"
ACTION_1 = "Học tập và viết thu hoạch chuyên đề về tinh thần trách nhiệm"
ACTION_2 = "Giữ gìn lối sống giản dị, gần gũi nhân dân nơi cư trú"


async def drill_commit(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """A member files a commitment with /commit: two actions, a date, preview, submit."""
    db_path = await organisation(folder)
    add_people(server)
    year = campaign_year()
    steps = [
        Step("Bản cam kết năm", say="/commit"),
        Step("ký tự", press=IDEOLOGY),
        Step("Đã lưu", say=ACTION_1),
        Step(f"30/06/{year}", say=f"30/06/{year}"),
        Step("ký tự", press=ETHICS),
        Step("Đã lưu", say=ACTION_2),
        Step("Hạn nộp", press="Bỏ qua"),
        Step("Nộp bản cam kết này", press="Gửi"),
        Step("phiên bản 1", press="Xác nhận"),
    ]
    kill_at, phase = _kill_point(rng, steps)
    report = Report("commit", f"step {kill_at} ({phase})")
    bot = BotProcess(server, db_path, FAST)
    try:
        await bot.start()
        await walk(server, bot, MEMBER, steps, kill_at, phase)
        await delivered(server, db_path)
        await bot.stop()
    finally:
        await bot.close()
    commitments = rows(
        db_path,
        "SELECT c.id, c.status, c.last_version FROM commitments c JOIN members m "
        "ON m.id = c.member_id WHERE m.telegram_id = ?",
        (MEMBER,),
    )
    assert len(commitments) == 1, commitments
    commitment_id, status, version = commitments[0]
    assert (status, version) == ("submitted", 1), commitments
    actions = sorted(
        rows(
            db_path,
            "SELECT heading, text, target_date FROM commitment_actions WHERE commitment_id = ?",
            (commitment_id,),
        )
    )
    assert [(text, target) for _, text, target in actions] == sorted(
        [(ACTION_1, f"{year}-06-30"), (ACTION_2, None)]
    ), actions
    alerts = [m.text for m in server.messages(SECRETARY) if "đã nộp" in (m.text or "")]
    assert len(alerts) == 1, alerts
    report.details["actions"] = len(actions)
    return report


async def drill_session(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """A secretary creates a session with /session new; the cell is invited once."""
    db_path = await organisation(folder)
    add_people(server)
    when = (datetime.now(TZ) + timedelta(days=3)).strftime("%d/%m/%Y 19:30")
    steps = [
        Step("Loại sinh hoạt nào", say="/session new"),
        Step("chủ đề", press="Sinh hoạt chi bộ thường kỳ"),
        Step("chuyên đề năm", say="Sinh hoạt chi bộ: học tập chuyên đề năm"),
        Step("Thời gian bắt đầu", press="Có"),
        Step("Có đúng không", say=when),
        Step("địa điểm", press="Xác nhận"),
        Step("kiểm tra lại", say="Hội trường khu vực 1"),
        Step("Đã lưu buổi sinh hoạt số", press="Xác nhận và gửi giấy mời"),
    ]
    kill_at, phase = _kill_point(rng, steps)
    report = Report("session", f"step {kill_at} ({phase})")
    bot = BotProcess(server, db_path, FAST)
    try:
        await bot.start()
        await walk(server, bot, SECRETARY, steps, kill_at, phase)
        await delivered(server, db_path)
        await bot.stop()
    finally:
        await bot.close()
    sessions = rows(db_path, "SELECT id, status FROM sessions")
    assert len(sessions) == 1 and sessions[0][1] == "scheduled", sessions
    invitees = rows(db_path, "SELECT COUNT(*) FROM session_invitees WHERE session_id = ?",
                    (sessions[0][0],))[0][0]  # fmt: skip
    assert invitees == 3, invitees
    for chat in (MEMBER, 1003):
        invitations = [m for m in server.messages(chat) if "Giấy mời" in (m.text or "")]
        assert len(invitations) == 1, server.describe_chat(chat)
    # The secretary's own replies may come twice (a step handled again after the restart);
    # what the others receive goes through the outbox.
    check_fanout(server, {MEMBER, 1003}, bot.doubt, report)
    report.in_doubt = len(bot.doubt)
    check_sent_rows(server, db_path, "%")
    return report


STORY = """# Gương sáng Khu vực 2

Đồng chí **Nguyễn Văn Bình** đã giúp bà con vùng lũ suốt ba tháng, không quản ngày đêm.
"""


async def _import_story(db_path: Path, folder: Path) -> None:
    """The operator sends the story to CB-2 now, while the bot runs."""
    story = folder / "story.md"
    story.write_text(STORY, encoding="utf-8")
    argv = ("story", "import", str(story), "--unit", "DU-NK", "--audience", "units:CB-2", "--now")
    code, output = await acli(db_path, *argv)
    assert code == 0, output


def _story_sends(server: FakeTelegramServer, chats: set[int]) -> int:
    return sum(
        1
        for record in server.requests
        if record.method == "sendMessage" and record.chat_id in chats
        and "Gương sáng" in str(record.params.get("text", ""))
    )  # fmt: skip


async def drill_broadcast(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """The board sends a story to a cell of 151 (``cadrebot story import --now``, as the
    operator would, while the bot runs); the bot is killed after a random number of sends."""
    db_path = await organisation(folder)
    add_people(server)
    chats = {CB2_SECRETARY, *crowd_ids()}
    kill_after = rng.randrange(1, len(chats))
    report = Report("broadcast", f"after {kill_after} of {len(chats)} sends")
    bot = BotProcess(server, db_path, FAST)
    try:
        await bot.start()
        await _import_story(db_path, folder)
        await server.wait_for(lambda: _story_sends(server, chats) >= kill_after, 60, "sends")
        await bot.kill()
        await bot.start()
        await delivered(server, db_path)
        await bot.stop()
    finally:
        await bot.close()
    counts = sent_texts(server, chats)
    lost = [chat for chat, texts in counts.items() if not any("Gương sáng" in t for t in texts)]
    assert not lost, f"{len(lost)} recipient(s) never got the story: {lost[:5]}"
    check_fanout(server, chats, bot.doubt, report)
    report.in_doubt = len(bot.doubt)
    report.details["rows"] = check_sent_rows(server, db_path, "%")
    return report


async def _session_started_ten_minutes_ago(db_path: Path) -> int:
    """A meeting of CB-2 that began ten minutes ago, created three days before (so none of
    its reminders were queued then: the sweep of the restarted bot must find them)."""
    from bot.app import build_services
    from bot.clock import FixedClock
    from bot.config import load_settings
    from bot.services.sessions import Draft

    now = datetime.now(TZ)
    settings = load_settings(env_file=None, TELEGRAM_BOT_TOKEN="1:unused", CADREBOT_DB=str(db_path))
    services = build_services(settings, clock=FixedClock(TZ, now - timedelta(days=3)))
    await services.db.connect()
    try:
        actor = await services.registration.identify(CB2_SECRETARY)
        async with services.db.read() as store:
            unit = await store.units.by_code("CB-2")
        assert unit is not None
        draft = Draft(unit.id, "regular", "Sinh hoạt chi bộ tháng này", False,
                      now - timedelta(minutes=10), "Hội trường khu vực 2")  # fmt: skip
        _, invited = await services.sessions.create(actor, draft)
    finally:
        await services.db.close()
    return invited


def _startup_point(server: FakeTelegramServer, after: int) -> bool:
    """The bot's start-up (post_init: the menus set, then the sender and the sweep)."""
    return any(r.method == "setMyCommands" for r in server.requests[after:])


async def drill_reminders(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """A meeting began ten minutes ago: at start the sweep queues its check-in reminder for
    each of the 151 invitees (their invitations are still queued too). The bot is killed at
    start-up (around the sweep) or after a random number of sends, and started again."""
    db_path = await organisation(folder)
    add_people(server)
    invited = await _session_started_ten_minutes_ago(db_path)
    chats = {CB2_SECRETARY, *crowd_ids()}
    assert invited == len(chats)
    at_start = rng.random() < 0.3
    kill_after = rng.randrange(1, 2 * len(chats))
    report = Report("reminders", "at start-up" if at_start else f"after {kill_after} sends")
    bot = BotProcess(server, db_path, FAST)

    def sends() -> int:
        return sum(1 for r in server.requests if r.method == "sendMessage" and r.chat_id in chats)

    try:
        if at_start:
            after = len(server.requests)
            starting = asyncio.create_task(bot.start())
            await server.wait_for(lambda: _startup_point(server, after), 60, "start-up")
            await bot.kill()
            starting.cancel()  # it waits for a first poll that never comes
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            await bot.start()
            await server.wait_for(lambda: sends() >= kill_after, 60, "sends")
            await bot.kill()
        await bot.start()
        await delivered(server, db_path)
        await bot.stop()
    finally:
        await bot.close()
    reminders = rows(
        db_path,
        "SELECT chat_id, COUNT(*), SUM(status = 'sent') FROM outbox "
        "WHERE dedup_key LIKE 'rem:session:%' GROUP BY chat_id",
    )
    assert {chat for chat, _, _ in reminders} == chats, "a check-in reminder was lost"
    assert all(count == sent == 1 for _, count, sent in reminders), reminders[:5]
    check_fanout(server, chats, bot.doubt, report)
    report.in_doubt = len(bot.doubt)
    report.details["rows"] = check_sent_rows(server, db_path, "%")
    return report


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
    problems = integrity(db_path)
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
    assert not integrity(db_path)
    return report


# A backup under load, restored ------------------------------------------------------------

DOMAIN_CHECKS = {
    "a commitment's last version is its newest": (
        "SELECT c.id FROM commitments c LEFT JOIN commitment_versions v "
        "ON v.commitment_id = c.id GROUP BY c.id "
        "HAVING c.last_version != COALESCE(MAX(v.number), 0)"
    ),
    "a sent row has its message": (
        "SELECT id FROM outbox WHERE status = 'sent' AND message_id IS NULL"
    ),
    "one open primary membership per active member": (
        "SELECT member_id FROM memberships WHERE is_primary = 1 AND ended_on IS NULL "
        "GROUP BY member_id HAVING COUNT(*) > 1"
    ),
    "a session's invitees are members": (
        "SELECT i.session_id FROM session_invitees i LEFT JOIN members m "
        "ON m.id = i.member_id WHERE m.id IS NULL"
    ),
}


def domain_problems(db_path: Path) -> list[str]:
    """The integrity check, the foreign keys and the domain's own invariants."""
    problems = integrity(db_path)
    for name, sql in DOMAIN_CHECKS.items():
        found = rows(db_path, sql)
        if found:
            problems.append(f"{name}: {found[:5]}")
    return problems


async def drill_backup(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """``cadrebot db backup`` three times while the bot sends a story to 151 and a member
    files a commitment; then the bot is killed. The backup is restored as the operator
    does (the bot stopped, the copy put in place of the file): it passes the checks, and the
    bot runs on it and finishes what the copy still had to send."""
    db_path = await organisation(folder)
    add_people(server)
    chats = {CB2_SECRETARY, *crowd_ids()}
    marks = sorted(rng.sample(range(1, len(chats)), 3))
    report = Report("backup", f"backups after {marks} sends, then SIGKILL")
    bot = BotProcess(server, db_path, {"CADREBOT_SEND_RATE": "30"})
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
        await _import_story(db_path, folder)
        filing = asyncio.create_task(walk(server, bot, MEMBER, steps, -1, "answered"))
        for mark, path in zip(marks, backups, strict=True):
            await server.wait_for(lambda m=mark: _story_sends(server, chats) >= m, 60, "sends")
            backup = await _cli_process(db_path, "db", "backup", str(path))
            assert await backup.wait() == 0, f"cadrebot db backup {path} failed"
        await filing
        await bot.kill()
    finally:
        await bot.close()
    for path in backups:
        problems = domain_problems(path)
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
    problems = domain_problems(restored)
    assert not problems, problems
    left = rows(restored, "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')")
    assert left == [(0,)], left
    report.details["copies"] = len(backups)
    return report
