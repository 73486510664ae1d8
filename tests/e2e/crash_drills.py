"""Crash and restart drills (issue 13): each long-lived flow is interrupted by a SIGKILL of
the bot at a point drawn from a seeded random generator, the bot is started again, and the
drill checks that nothing was lost or doubled.

Each drill takes the fake server, a folder and a :class:`random.Random`, and returns what it
did (the kill point, the messages in doubt at the kill, the duplicates) for the report; it
raises AssertionError when something was lost or doubled beyond what the design allows, or
the database breaks a consistency rule (``tests/db_checks.py``).

Conversations (``/commit``, ``/session new``) are walked as a member would: after the kill
and restart they carry on from what they saw, and send again the step the bot never
answered. Kill points in a step: ``fetched`` (the bot took the update from Telegram and is
handling it), ``on_wire`` (its first answer is on its way), ``answered`` (the answer has
arrived; the bot is saving the conversation's state).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fake_telegram import BotMessage, FakeTelegramServer
from tests import db_checks
from tests.e2e.crash_support import (
    CB2_SECRETARY,
    MEMBER,
    SECRETARY,
    TZ,
    BotProcess,
    acli,
    add_people,
    campaign_year,
    crowd_ids,
    delivered,
    doubled,
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
    assert not db_checks.problems(db_path)
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
    assert not db_checks.problems(db_path)
    return report


STORY = """# Gương sáng Khu vực 2

Đồng chí **Nguyễn Văn Bình** đã giúp bà con vùng lũ suốt ba tháng, không quản ngày đêm.
"""


async def import_story(db_path: Path, folder: Path) -> None:
    """The operator sends the story to CB-2 now, while the bot runs."""
    story = folder / "story.md"
    story.write_text(STORY, encoding="utf-8")
    argv = ("story", "import", str(story), "--unit", "DU-NK", "--audience", "units:CB-2", "--now")
    code, output = await acli(db_path, *argv)
    assert code == 0, output


def story_sends(server: FakeTelegramServer, chats: set[int]) -> int:
    return sum(
        1
        for record in server.requests
        if record.method == "sendMessage" and record.chat_id in chats
        and "Gương sáng" in str(record.params.get("text", ""))
    )  # fmt: skip


async def drill_broadcast(server: FakeTelegramServer, folder: Path, rng: random.Random) -> Report:
    """The board sends a story to a cell of 101 (``cadrebot story import --now``, as the
    operator would, while the bot runs); the bot is killed after a random number of sends."""
    db_path = await organisation(folder)
    add_people(server)
    chats = {CB2_SECRETARY, *crowd_ids()}
    kill_after = rng.randrange(1, len(chats))
    report = Report("broadcast", f"after {kill_after} of {len(chats)} sends")
    bot = BotProcess(server, db_path, FAST)
    try:
        await bot.start()
        await import_story(db_path, folder)
        await server.wait_for(lambda: story_sends(server, chats) >= kill_after, 60, "sends")
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
    assert not db_checks.problems(db_path)
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
    each of the 101 invitees (their invitations are still queued too). The bot is killed at
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
    assert not db_checks.problems(db_path)
    return report
