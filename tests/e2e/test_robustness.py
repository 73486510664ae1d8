"""A robustness sweep, end to end: every command from every role with no and with garbage
arguments, and every guided conversation poked in each of its states (garbage text, another
command, stale and made-up buttons, a restart, /cancel).

The invariants, checked after every step and again at the end:

* every command gets an answer, and none is the apology for an unexpected error;
* no ERROR record from the bot's loggers (an unexpected exception is logged there);
* Telegram accepted every message the bot sent or edited (no 400 for bad HTML or length);
* /cancel always ends the open step, and the next command works;
* the database stays whole, and nothing was written that needed a confirmation.

Deterministic and bounded: the garbage is fixed and its order comes from a seeded
``random.Random``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.app import build_application
from bot.commands import COMMANDS
from bot.update_processor import PerUserOrderedProcessor
from fake_telegram import BotMessage, FakeTelegramServer
from tests.e2e import conftest
from tests.e2e.conftest import ADMIN_ID, Harness

SEED = 20260310
STRANGER, BICH, AN, EM, GIANG = 3001, 1002, 1001, 1005, 1007
ROLES = {
    "stranger": STRANGER,
    "member": BICH,
    "secretary": AN,
    "committee": GIANG,
    "admin": ADMIN_ID,
}
APOLOGY = "Đã có lỗi xảy ra"
NOTHING_TO_CANCEL = "Không có thao tác nào để hủy"
GARBAGE = (
    "Lorem ipsum dolor sit amet " * 190,  # ~5000 characters
    "Lorem_ipsum_dolor_sit_amet;" * 185,  # ~5000 characters in one word (one argument)
    "<b>&</b>",
    "<i>oops<x>&",  # HTML that is not even well-formed
    "🎉🔥👍🏽 🇻🇳",
    "Đảng viên Nguyễn Thị Ánh Tuyết — phường Hưng Lợi",
    "'; DROP TABLE units;--",
    "-1",
    "999999999999",
    "²",  # a digit to str.isdigit(), not to int()
    "99999999999999999999999",  # beyond SQLite's 64-bit integers
)
REPLY_WITHIN = 5.0  # seconds; a reply is normally there in a few hundredths
WATCHED_LOGGERS = ("handlers", "bot", "telegram.ext")
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "sendDocument",
    }
)


@pytest.fixture(autouse=True)
def _no_flood_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep sends well over a thousand replies; python-telegram-bot's limiter (30 a
    second overall, for Telegram's sake) would make it crawl. The fake server has no limit."""
    monkeypatch.setattr(
        conftest, "build_application", functools.partial(build_application, rate_limit=False)
    )


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def _count(db_path: Path, table: str) -> int:
    return _rows(db_path, f"SELECT COUNT(*) FROM {table}")[0][0]


def _polling_hiccup(record: logging.LogRecord) -> bool:
    """A connection to the fake server dropped under a long poll around a restart: the
    updater logs it and polls again; no update is touched."""
    error = record.exc_info[1] if record.exc_info else None
    return record.name == "telegram.ext.Updater" and isinstance(error, NetworkError)


def _update_chat(update: dict) -> int | None:
    for kind in ("message", "callback_query"):
        if kind in update:
            payload = update[kind]
            message = payload.get("message", payload)
            return message.get("chat", {}).get("id")
    return None


@dataclass
class Sweep:
    """Sends, waits for the bot to settle, and collects every broken invariant."""

    h: Harness
    caplog: pytest.LogCaptureFixture
    problems: list[str] = field(default_factory=list)
    where: str = ""  # the flow and state being poked, for the report
    _requests_seen: int = 0
    _logs_seen: int = 0
    _answers_seen: set[str] = field(default_factory=set)
    _done: set[int] = field(default_factory=set)  # update ids the bot finished processing

    @property
    def server(self) -> FakeTelegramServer:
        return self.h.server

    def _processor(self) -> PerUserOrderedProcessor:
        assert self.h.app is not None
        processor = self.h.app.update_processor
        assert isinstance(processor, PerUserOrderedProcessor)
        if processor.on_done is None:  # a new application after a restart
            processor.on_done = lambda update: self._done.add(getattr(update, "update_id", -1))
        return processor

    def _finished(self, update_id: int) -> bool:
        """The bot has processed the update, nothing else is queued or running, and no
        request to Telegram is still on its way: the step's effects are all visible."""
        processor = self._processor()
        assert self.h.app is not None
        return (
            update_id in self._done
            and processor.in_flight == 0
            and self.h.app.update_queue.empty()
            and not any(
                r.status is None and self.server.canonical_method(r.method) != "getUpdates"
                for r in self.server.requests
            )
        )

    async def settle(self, chat: int, update_id: int, *, label: str) -> None:
        """Wait until the bot has finished with the update (not for a spell of silence)."""
        self._processor()
        deadline = time.monotonic() + REPLY_WITHIN
        while not self._finished(update_id):
            if time.monotonic() > deadline:
                self.problems.append(f"{label}: the bot did not finish within {REPLY_WITHIN} s")
                break
            await self.server.wait_changed(0.01)
        # Twice more around the loop: a stale step may hand the update on (re-queued).
        for _ in range(2):
            await asyncio.sleep(0)
            while not self._finished(update_id) and time.monotonic() < deadline:
                await self.server.wait_changed(0.01)
        self.server.skip_pending(chat)

    def new_events(self, chat: int, before: int) -> list[BotMessage]:
        return self.server.events(chat)[before:]

    async def say(self, user: int, text: str, *, expect: bool = True) -> list[BotMessage]:
        before = len(self.server.events(user))
        update = self.server.send_text(user, text)
        label = f"{self.where}user {user} sent {text[:60]!r}"
        await self.settle(user, update["update_id"], label=label)
        events = self.new_events(user, before)
        if expect and not events:
            self.problems.append(f"{label}: no reply")
        self.check(label, events)
        return events

    async def press(
        self, user: int, message: BotMessage | int, data: str | None = None, **kw: object
    ) -> list[BotMessage]:
        before = len(self.server.events(user))
        chat = message.chat_id if isinstance(message, BotMessage) else user
        query = self.server.press_button(user, message, data, **kw)  # type: ignore[arg-type]
        update_id = self.server.pending_updates[-1]["update_id"]
        shown = data if data is not None else kw.get("button_text")
        label = f"{self.where}user {user} pressed {shown!r}"
        try:
            await self.server.wait_callback_answer(query, timeout=10)
        except AssertionError:
            self.problems.append(f"{label}: the button was never answered")
        await self.settle(chat, update_id, label=label)
        events = self.new_events(chat, before)
        self.check(label, events)
        return events

    def check(self, label: str, events: Iterable[BotMessage] = ()) -> None:
        """The invariants since the last check, blamed on ``label``."""
        for event in events:
            if APOLOGY in (event.text or ""):
                self.problems.append(f"{label}: the apology in chat {event.chat_id}")
        for query_id, answer in self.server.callback_answers.items():
            if query_id in self._answers_seen:
                continue
            self._answers_seen.add(query_id)
            if APOLOGY in (answer.text or ""):
                self.problems.append(f"{label}: the apology as a button answer")
        requests = self.server.requests
        for record in requests[self._requests_seen :]:
            if record.status is None:
                continue
            if self.server.canonical_method(record.method) in SEND_METHODS and not record.ok:
                description = (record.response or {}).get("description", "")
                if "message is not modified" in description:
                    continue
                self.problems.append(f"{label}: Telegram refused {record}")
        self._requests_seen = len(requests)
        records = self.caplog.records
        for record in records[self._logs_seen :]:
            if _polling_hiccup(record):
                continue
            if record.levelno >= logging.ERROR and record.name.startswith(WATCHED_LOGGERS):
                self.problems.append(
                    f"{label}: {record.name} logged {record.getMessage()!r}"
                    + (f" ({record.exc_info[1]!r})" if record.exc_info else "")
                )
        self._logs_seen = len(records)

    async def cancel(self, user: int, label: str) -> None:
        """/cancel ends whatever is open: the next command (a second /cancel) works and finds
        nothing left to cancel."""
        first = await self.say(user, "/cancel")
        if not first:
            return
        second = await self.say(user, "/cancel")
        if not any(NOTHING_TO_CANCEL in (e.text or "") for e in second):
            self.problems.append(
                f"{label}: /cancel did not end the step; then /cancel said "
                f"{[e.text for e in second]!r}"
            )

    def assert_clean(self) -> None:
        self.check("at the end")
        assert not self.problems, "\n".join(self.problems)


def integrity(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def _setup(h: Harness) -> None:
    code, _, err = await h.cli(
        "campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm, năng động"
    )
    assert code == 0, err
    h.server.add_user(STRANGER, "Người lạ", language_code="vi")


# Subcommands that take arguments of their own, given garbage in those places too.
SUBCOMMANDS = {
    "session": ("new", "show", "edit", "cancel", "checkin", "close", "minutes", "report"),
    "invite": ("unit", "unit CB-1"),
    "calendar": ("add", "edit", "remove", "attach"),
    "story": ("new", "show", "edit", "cancel", "stats"),
    "dossier": ("cell", "cell CB-1", "DV002"),
    "report": ("review", "review 2026", "chart", "export", "help"),
}
SUBCOMMAND_ARGS = {
    "session": ("bridge 1", "deadline", "bridge 1 CB-1"),
    "calendar": ("edit 1", "remove 1", "attach 1"),
}


def _argument_plan(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """For each role and command: no argument, and three garbage ones; across the five
    roles every command meets every garbage argument at least once. Commands with
    subcommands also get garbage after each subcommand."""
    plan: dict[str, dict[str, list[str]]] = {role: {} for role in ROLES}
    for spec in COMMANDS:
        pool = list(GARBAGE)
        rng.shuffle(pool)
        cycle = pool * 3
        for index, role in enumerate(ROLES):
            plan[role][spec.name] = ["", *cycle[index * 3 : index * 3 + 3]]
    for name, subs in SUBCOMMANDS.items():
        for sub in (*subs, *SUBCOMMAND_ARGS.get(name, ())):
            for role in ROLES:
                plan[role][name].append(f"{sub} {rng.choice(GARBAGE)}")
    return plan


# 1. Every command, every role -------------------------------------------------------------------


async def test_every_command_from_every_role_with_garbage_arguments(
    org: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = org
    await _setup(h)
    sweep = Sweep(h, caplog)
    plan = _argument_plan(random.Random(SEED))
    tables = ("units", "members", "memberships", "roles", "campaigns", "sessions", "stories")
    days_before = _rows(h.db_path, CALENDAR_DAYS)
    before = {t: _count(h.db_path, t) for t in tables}

    async def role_run(role: str, user: int) -> None:
        for spec in COMMANDS:
            for argument in plan[role][spec.name]:
                await sweep.say(user, f"/{spec.name} {argument}".strip())
                if spec.name in (
                    "commit",
                    "review",
                    "session",
                    "campaign",
                    "start",
                    "calendar",
                    "nominate",
                    "story",
                ):
                    # The command may have opened a step: close it before the next one.
                    await sweep.say(user, "/cancel")

    async with asyncio.TaskGroup() as group:
        for role, user in ROLES.items():
            group.create_task(role_run(role, user))
    # Text no step is waiting for gets an answer too, in the member's language.
    stray = await sweep.say(BICH, "xin chào")
    assert "gửi /help" in stray[0].text, stray
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    after = {t: _count(h.db_path, t) for t in before}
    assert after == before  # nothing created by garbage
    assert _rows(h.db_path, CALENDAR_DAYS) == days_before  # nor any day changed
    assert _count(h.db_path, "commitment_versions") == 0
    assert _count(h.db_path, "commitment_actions") == 0
    assert _count(h.db_path, "join_requests") == 0
    # Invites: /unreached makes the personal ones of members not reached yet; garbage none.
    invites = _rows(
        h.db_path,
        "SELECT m.code FROM invites i LEFT JOIN members m ON m.id = i.member_id ORDER BY 1",
    )
    assert {code for (code,) in invites} <= {"DV003", "DV004", "DV006"}, invites


# 2. Every guided conversation, poked in each state -------------------------------------------

Step = Callable[["Sweep", list[BotMessage]], Awaitable[list[BotMessage]]]
# Buttons that stand for a confirmation: pressed again from an older message while a new
# step of the same kind is open they would (rightly) act, so they are pressed only after
# /cancel, when nothing is open and they must do nothing.
CONFIRMING = re.compile(
    r"^(cf:subok|sesn:save|sesn:min:save|sesn:edit:ok|cg:confirm:ok|joinname:ok|nmn:send"
    r"|caln:save:save|caln:edit:save|cal:rmok:\d+|cal:attok:\d+:\d+"
    # a story's last answer (the audience, the channels, the tag when editing) writes it
    r"|stn:aud:(scope|mass_org)|stn:role:\w+|stn:done|stn:chan:\w+|stn:tag:\w+"
    r"|stw:ok|ste:nophoto)$"
)
CALENDAR_DAYS = "SELECT * FROM calendar_days ORDER BY id"
# Buttons under a story's preview act by themselves, outside any step, for as long as the
# story is as shown (they carry its stamp): never pressed as stale ones.
STANDING = re.compile(r"^st:(send|cancelok):")
MADE_UP = ("x:1", "commit:999999", "", "💥", "ses:" + "9" * 40)


def say(user: int, text: str) -> Step:
    async def step(sweep: Sweep, events: list[BotMessage]) -> list[BotMessage]:
        return await sweep.say(user, text)

    return step


def press(user: int, label: str) -> Step:
    """Press the button labelled ``label`` on the newest message (of the last step) with it."""

    async def step(sweep: Sweep, events: list[BotMessage]) -> list[BotMessage]:
        for message in [*reversed(events), *reversed(sweep.server.messages(user))]:
            if any(label in text for text, _ in message.buttons):
                return await sweep.press(user, message, button_text=label)
        raise AssertionError(f"no button {label!r}; last events: {[str(e) for e in events]}")

    return step


def press_data(user: int, data: str) -> Step:
    """Press the button carrying ``data`` on the newest message that has it."""

    async def step(sweep: Sweep, events: list[BotMessage]) -> list[BotMessage]:
        for message in [*reversed(events), *reversed(sweep.server.messages(user))]:
            if data in [d for _, d in message.buttons]:
                return await sweep.press(user, message, data)
        raise AssertionError(f"no button {data!r}; last events: {[str(e) for e in events]}")

    return step


def expect(text: str) -> Step:
    """A check between steps: the last step's answers contain ``text``."""

    async def step(sweep: Sweep, events: list[BotMessage]) -> list[BotMessage]:
        assert any(text in (e.text or "") for e in events), [str(e) for e in events]
        return events

    return step


@dataclass
class Flow:
    name: str
    user: int
    steps: list[Step]  # each real step (not ``expect``) leads to one more state
    made_up: tuple[str, ...] = ()  # callback data with the flow's prefixes and wrong ids
    unrelated: str = "/me"
    restart_at: tuple[int, ...] = ()  # the states (1-based) at which the bot restarts


async def poke(sweep: Sweep, flow: Flow, rng: random.Random) -> None:
    """Drive the flow to each of its states in turn; there send another command, made-up and
    stale buttons, garbage text (and maybe restart the bot), then /cancel."""
    user, h = flow.user, sweep.h
    real = [i for i, step in enumerate(flow.steps) if step.__qualname__.split(".")[0] != "expect"]
    stale: list[tuple[BotMessage, str]] = []
    made_up = [*MADE_UP, *flow.made_up]
    rng.shuffle(made_up)
    garbage = list(GARBAGE)
    rng.shuffle(garbage)
    per_state = max(3, -(-len(made_up) // len(real)))  # every one pressed at least once
    for state, upto in enumerate(real, start=1):
        label = f"{flow.name}, state {state}"
        sweep.where = f"[{label}] "
        first = len(sweep.server.events(user))
        events: list[BotMessage] = []
        for step in flow.steps[: upto + 1]:
            events = await step(sweep, events)
        await sweep.say(user, flow.unrelated)
        anchor = sweep.server.messages(user)[-1]
        start = (state - 1) * per_state
        for data in (made_up * 2)[start % len(made_up) :][:per_state]:
            await sweep.press(user, anchor, data)
        usable = [(m, d) for m, d in stale if not (CONFIRMING.match(d) or STANDING.match(d))]
        for message, data in rng.sample(usable, min(2, len(usable))):
            await sweep.press(user, message, data)
        if state in flow.restart_at:
            await h.restart()
        for text in (garbage * 2)[(state - 1) * 2 % len(garbage) :][:2]:
            await sweep.say(user, text)
        await sweep.cancel(user, label)
        # Buttons of this round are stale from now on; the confirming ones must do nothing.
        shown = [e for e in sweep.server.events(user)[first:] if e.buttons]
        for message in shown:
            for _, data in message.buttons:
                if data is None:
                    continue
                stale.append((message, data))
                if CONFIRMING.match(data):
                    await sweep.press(user, message, data)


async def poke_together(sweep: Sweep, flows: list[Flow], rng: random.Random) -> None:
    """Several people's flows at once (one failing stops the others)."""
    async with asyncio.TaskGroup() as group:
        for flow in flows:
            group.create_task(poke(sweep, flow, random.Random(rng.random())))


async def _unit_invite(h: Harness) -> str:
    code, out, err = await h.cli("invite", "create", "--unit", "CB-1", "--uses", "50")
    assert code == 0, err
    return out.strip().splitlines()[-1]


async def test_joining_with_a_unit_invite(org: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = org
    sweep = Sweep(h, caplog)
    invite = await _unit_invite(h)
    joiner = 2001
    h.server.add_user(joiner, "Hạnh", language_code="vi")
    flow = Flow(
        "joining",
        joiner,
        [
            say(joiner, f"/start {invite}"),
            expect("Chi bộ Khu vực 1"),
            say(joiner, "Ngô Thị Hạnh"),
            expect("Ngô Thị Hạnh"),
            press(joiner, "Sửa"),
        ],
        made_up=("joinname:maybe", "join:approve:99999999999999999999999", "lang:xx"),
        unrelated="/help",
        restart_at=(2,),
    )
    await poke(sweep, flow, random.Random(SEED))
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    assert _count(h.db_path, "join_requests") == 0  # never confirmed


async def _commitment_flow_steps(user: int) -> list[Step]:
    return [
        say(user, "/commit"),
        expect("Bản cam kết năm 2026"),
        press(user, "Về tư tưởng chính trị"),
        say(user, "Học tập và viết thu hoạch chuyên đề năm 2026 về tinh thần trách nhiệm"),
        expect("Đã lưu"),
        press(user, "Bỏ qua"),
        press(user, "Sửa"),
        press(user, "1.1."),
        press(user, "Sửa"),
    ]


async def test_filing_a_commitment(org: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = org
    await _setup(h)
    sweep = Sweep(h, caplog)
    user = BICH
    steps = await _commitment_flow_steps(user)
    # The last states: the submit question, then a delete question.
    flow = Flow(
        "/commit",
        user,
        [*steps, say(user, "/cancel"), say(user, "/commit"), press(user, "Gửi")],
        made_up=(
            "cf:act:99999999999999999999999",
            "cf:del:999999",
            "cf:delok:999999",
            "cf:skip:999999",
            "cf:nodate:0",
            "cf:add:nowhere",
            "cf:edit:-1",
            "cf:date:99999999999999999999999",
        ),
        restart_at=(3, 5),
    )
    await poke(sweep, flow, random.Random(SEED))
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    # Never confirmed: nothing submitted, the commitment is still a draft.
    assert _count(h.db_path, "commitment_versions") == 0
    assert _rows(h.db_path, "SELECT status FROM commitments") == [("draft",)]


async def _approved_commitment(h: Harness, sweep: Sweep) -> None:
    """Bích's commitment submitted (again, if the sweep returned it) and approved by An."""
    state = _rows(h.db_path, "SELECT status FROM commitments")
    if state != [("submitted",)]:
        menu = await sweep.say(BICH, "/commit")
        confirm = await press(BICH, "Gửi")(sweep, menu)
        await press(BICH, "Xác nhận")(sweep, confirm)
    card = await sweep.say(AN, "/pending")
    await press(AN, "Duyệt")(sweep, card)
    assert _rows(h.db_path, "SELECT status FROM commitments") == [("approved",)]


async def test_returning_reviewing_and_grading(
    org: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = org
    await _setup(h)
    sweep = Sweep(h, caplog)
    rng = random.Random(SEED)
    menu = await sweep.say(BICH, "/commit")
    for step in (
        press(BICH, "Về tư tưởng chính trị"),
        say(BICH, "Học tập và viết thu hoạch chuyên đề năm 2026 về tinh thần trách nhiệm"),
        press(BICH, "Bỏ qua"),
        press(BICH, "Về phẩm chất đạo đức"),
        say(BICH, "Giữ gìn lối sống giản dị, gần gũi nhân dân nơi cư trú"),
        press(BICH, "Bỏ qua"),
        press(BICH, "Gửi"),
        press(BICH, "Xác nhận"),
    ):
        menu = await step(sweep, menu)
    assert _rows(h.db_path, "SELECT status FROM commitments") == [("submitted",)]

    # A return comment: the garbage may be the comment (then all of it), never a part.
    returning = Flow(
        "return comment",
        AN,
        [say(AN, "/pending"), press(AN, "Trả lại")],
        made_up=(
            "cd:ret:99999999999999999999999:1",
            "cd:ok:1:999999",
            "cd:ok:999999:1",
            "cx:doc:99999999999999999999999",
            "cx:exp:xlsx:0:0",
            "cx:exp:csv:999999:2026",
            "cgx:999999",
        ),
    )
    await poke(sweep, returning, rng)
    comments = _rows(h.db_path, "SELECT decision, comment FROM commitment_versions")
    assert all(d in ("pending", "returned") for d, _ in comments), comments
    assert all(c is None or c in GARBAGE for _, c in comments), comments

    await _approved_commitment(h, sweep)
    h.clock.moment = h.clock.moment.replace(month=12, day=10)
    reviewing = Flow(
        "/review",
        BICH,
        [say(BICH, "/review"), press(BICH, "Đã hoàn thành")],
        made_up=("cr:999999:done", "cr:1:nonsense", "cr:99999999999999999999999:done"),
        restart_at=(2,),
    )
    grading = Flow(
        "/grade",
        AN,
        [
            say(AN, "/grade"),
            press(AN, "Hoàn thành tốt nhiệm vụ"),
            say(AN, "85"),
            say(AN, "Hoàn thành tốt các nội dung đã cam kết"),
        ],
        made_up=(
            "gp:999999:0:good",
            "gp:1:99999999999999999999999:good",
            "gp:1:0:legendary",
            "gp:confirm:maybe",
            "gpx:99999999999999999999999",
            "gdo:1:2026:99999999999999999999999",
            "gd:edit:999999:2026",
            "grm:999999:1",
            "cg:1:0:good",  # the grade button of the earlier flow
            "cg:skip",
            "cgx:1",
        ),
    )
    await poke_together(sweep, [reviewing, grading], rng)
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    assert _count(h.db_path, "commitment_grades") == 0  # never confirmed
    evidence = _rows(h.db_path, "SELECT evidence FROM commitment_version_actions")
    assert all(e is None or e in GARBAGE for (e,) in evidence), evidence


async def _new_session(sweep: Sweep, user: int, when: str, topic: str) -> int:
    events = await sweep.say(user, "/session new")
    for step in (
        press(user, "Sinh hoạt chi bộ thường kỳ"),
        say(user, topic),
        press(user, "Không"),
        say(user, when),
        press(user, "Xác nhận"),
        say(user, "Hội trường khu vực 1"),
        press(user, "Xác nhận và gửi giấy mời"),
    ):
        events = await step(sweep, events)
    found = re.search(r"Đã lưu buổi sinh hoạt số (\d+)", " ".join(e.text or "" for e in events))
    assert found, [str(e) for e in events]
    return int(found.group(1))


ATTENDANCE = (
    "SELECT session_id, member_id, unit_id, full_name, status, checked_in_at, checkin_via, "
    "late_reported_at, late_status, mark, reason FROM session_invitees ORDER BY 1, 2"
)


def _session_rows(db_path: Path) -> list[tuple]:
    return _rows(db_path, "SELECT * FROM sessions ORDER BY id")


async def test_sessions_rsvp_and_campaigns(org: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = org
    await _setup(h)
    sweep = Sweep(h, caplog)
    rng = random.Random(SEED)
    held = await _new_session(sweep, AN, "11/03/2026 19:30", "Sinh hoạt chi bộ tháng 2")
    upcoming = await _new_session(sweep, AN, "20/03/2026 19:30", "Sinh hoạt chi bộ tháng 3")
    await h.delivered()  # the invitations
    h.clock.moment = h.clock.moment.replace(day=12)
    events = await sweep.say(AN, f"/session close {held}")
    await press(AN, "Kết thúc buổi sinh hoạt")(sweep, events)
    sessions_before = _session_rows(h.db_path)
    invitees_before = _rows(h.db_path, ATTENDANCE)
    invitation = next(
        m for m in h.server.messages(BICH) if f"ses:no:{upcoming}" in [d for _, d in m.buttons]
    )

    managing = Flow(
        "/session edit and close",
        AN,
        [
            say(AN, f"/session edit {upcoming}"),
            press(AN, "Địa điểm"),
            say(AN, "Phòng họp tầng 2"),
            say(AN, f"/session edit {upcoming}"),
            press(AN, "Thời gian"),
            say(AN, "25/3 19:30"),
            # /session close is a conversation of its own now: the open edit ends first.
            say(AN, "/cancel"),
            say(AN, f"/session close {upcoming}"),
            say(AN, "1 K"),
        ],
        made_up=(
            "sesn:field:nowhere",
            "sesn:edit:maybe",
            f"ses:bulk:ok:{upcoming + 1}",
            "ses:bulk:no:99999999999999999999999",
            f"ses:cyc:{upcoming}:999",
            "ses:cyc:99999999999999999999999:1",
            "ses:fin:999999",
            "ses:cancelok:99999999999999999999999",
            "ses:exp:csv:20261399:20261231:CB-1",  # the old form: a unit code
            "ses:exp:xlsx:20260101:20261231:NOWHERE",
            "ses:exp:csv:1:20261399:20261231",  # month 13
            "ses:exp:xlsx:9999999:20260101:20261231",  # no such unit
            "ses:exp:xlsx:9223372036854775808:20260101:20261231",  # over SQLite's integers
        ),
    )
    minutes = Flow(
        "/session minutes",
        GIANG,
        [
            say(GIANG, f"/session minutes {held}"),
            say(GIANG, "Nguyễn Văn An"),
            say(GIANG, "Trần Thị Bích"),
            press(GIANG, "Bỏ qua"),
            press(GIANG, "Bỏ qua"),
            say(GIANG, "Nguyễn Văn An: đồng ý với báo cáo"),
            press(GIANG, "Xong"),
            say(GIANG, "Một số đảng viên chưa tham gia đầy đủ"),
            say(GIANG, "Tăng cường nhắc nhở trước buổi họp"),
            say(GIANG, "Chi bộ thống nhất thực hiện"),
        ],
        made_up=(
            "sesn:min:never",
            "ses:minre:99999999999999999999999",
            f"ses:minre:{upcoming}",
            "ses:show:99999999999999999999999",
            "ses:brok:1",
            "ses:dlok",
        ),
        restart_at=(4, 9),
    )
    creating = Flow(
        "/session new (thematic)",
        EM,
        [
            say(EM, "/session new"),
            press(EM, "Sinh hoạt chuyên đề"),
            say(EM, "Học tập chuyên đề về trách nhiệm nêu gương"),
            press(EM, "Có"),
            say(EM, "20/3 19:30"),
            press(EM, "Xác nhận"),
            say(EM, "Hội trường khu vực 2"),
            say(EM, "Võ Minh Em"),
            say(EM, "Bài gợi ý về trách nhiệm nêu gương của người đứng đầu."),
        ],
        made_up=(
            "sesn:unit:99999999999999999999999",
            "sesn:kind:party",
            "sesn:camp:maybe",
            "sesn:when:later",
            "ses:yes:99999999999999999999999",
            "ses:in:999999",
            "ses:late:ok:1:99999999999999999999999",
        ),
    )
    absence = Flow(
        "RSVP reason",
        BICH,
        [press(BICH, "Tôi xin vắng")],
        made_up=("ses:no:99999999999999999999999", "ses:no:999999", f"ses:yes:{held}"),
        unrelated="/sessions",
    )
    campaign = Flow(
        "/campaign",
        ADMIN_ID,
        [
            say(ADMIN_ID, "/campaign"),
            press_data(ADMIN_ID, "ca:new"),
            say(ADMIN_ID, "2030"),
            say(ADMIN_ID, "/cancel"),
            say(ADMIN_ID, "/campaign"),
            press_data(ADMIN_ID, "ca:edit:2026"),
            press_data(ADMIN_ID, "ca:f:2026:commit_deadline"),
        ],
        made_up=(
            "ca:edit:1999",
            "ca:edit:99999",
            "ca:f:2026:nothing",
            "ca:f:1999:topic",
            "ca:nope",
        ),
        unrelated="/help",
    )
    assert invitation
    await poke_together(sweep, [managing, minutes, creating, absence, campaign], rng)
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    # Nothing needed a confirmation that was not given: no new session, no change to the
    # two there are, no attendance correction, no minutes.
    assert _session_rows(h.db_path) == sessions_before
    assert _rows(h.db_path, ATTENDANCE) == invitees_before  # (RSVP answers may change)
    assert _count(h.db_path, "session_minutes") == 0
    # A campaign only from a well-formed year and topic; 2026's deadline in 2026 if changed.
    years = _rows(h.db_path, "SELECT year, commit_deadline FROM campaigns ORDER BY year")
    assert years[0][0] == 2026 and years[0][1].startswith("2026-"), years
    assert all(year == 2030 for year, _ in years[1:]), years


async def test_calendar_days(org: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = org
    await _setup(h)
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err
    sweep = Sweep(h, caplog)
    days_before = _rows(h.db_path, CALENDAR_DAYS)
    adding = Flow(
        "/calendar add",
        GIANG,
        [
            say(GIANG, "/calendar add"),
            expect("Đảng ủy phường Ninh Kiều"),
            say(GIANG, "Ngày truyền thống phường Ninh Kiều"),
            press(GIANG, "Bỏ qua"),
            say(GIANG, "20/03"),
            say(GIANG, "1976"),
            press(GIANG, "Bỏ qua"),
            expect("Nhắc trước: 7 ngày"),
        ],
        made_up=(
            "caln:unit:99999999999999999999999",
            "caln:unit:0",
            "caln:save:maybe",
            "caln:skip:1",
            "cal:pick:99999999999999999999999",
            "cal:pick:1",
            "cal:att:1:99999999999999999999999",
            "cal:attok:999999:1",
            "cal:rmok:99999999999999999999999",
            "cal:rmok:1",
        ),
        unrelated="/calendar",
        restart_at=(3,),
    )
    editing = Flow(
        "/calendar edit",
        ADMIN_ID,
        [
            say(ADMIN_ID, "/calendar edit 1"),
            press(ADMIN_ID, "Tên (tiếng Anh)"),
            say(ADMIN_ID, "Party Founding Day"),
            expect("Party Founding Day"),
        ],
        made_up=("caln:field:nowhere", "caln:edit:maybe", "cal:rmok:999999", "cal:att:1:1"),
        unrelated="/calendar",
    )
    await poke_together(sweep, [adding, editing], random.Random(SEED))
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    # Nothing confirmed: no day added, none changed or removed.
    assert _rows(h.db_path, CALENDAR_DAYS) == days_before


# Nominations: /nominate in each state, then the board's reason for not approving ------------

NOMINATED_DEED = "Đồng chí đã lặn xuống kênh cứu hai em nhỏ bị đuối nước chiều 8/3."


def _nominate_steps(user: int) -> list[Step]:
    return [
        say(user, "/nominate"),
        say(user, "Nguyễn Văn Dũng"),
        press(user, "Bỏ qua"),
        say(user, NOMINATED_DEED),
        press(user, "Chi bộ Khu vực 1"),
        press(user, "Bỏ qua"),
    ]


async def test_nominating_and_the_boards_reason(
    org: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = org
    await _setup(h)
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err
    sweep = Sweep(h, caplog)
    rng = random.Random(SEED)
    nominating = Flow(
        "/nominate",
        BICH,
        _nominate_steps(BICH),
        made_up=(
            "nmn:skip:nothing",
            "nmn:unit:99999999999999999999999",
            "nmn:unit:999999",
            "nmn:maybe",
            "nm:ok:99999999999999999999999",
            "nm:open:999999",
            "nm:story:1",
            "nm:list:all",
        ),
        unrelated="/nominations",
        restart_at=(2, 6),
    )
    await poke(sweep, nominating, rng)
    assert _count(h.db_path, "nominations") == 0  # never confirmed

    # One sent for real; the board is asked for a reason, and garbage may be it (all of it).
    events: list[BotMessage] = []
    for step in [*_nominate_steps(BICH), press(BICH, "Gửi")]:
        events = await step(sweep, events)
    assert _rows(h.db_path, "SELECT status FROM nominations") == [("submitted",)]
    reasoning = Flow(
        "reason for not approving",
        GIANG,
        [say(GIANG, "/nominations"), press(GIANG, "Nguyễn Văn Dũng"), press(GIANG, "Không duyệt")],
        made_up=(
            "nm:no:99999999999999999999999",
            "nm:no:999999",
            "nm:ok:999999",
            "nm:story:99999999999999999999999",
            "nm:open:99999999999999999999999",
        ),
        unrelated="/nominations decided",
        restart_at=(3,),
    )
    await poke(sweep, reasoning, rng)
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    decided = _rows(h.db_path, "SELECT status, reason FROM nominations")
    assert len(decided) == 1 and decided[0][0] in ("submitted", "approved", "rejected"), decided
    assert decided[0][1] is None or decided[0][1] in GARBAGE, decided


# 3. The propaganda board's stories ----------------------------------------------------------

STORY_BODY = "Đồng chí Nguyễn Văn A giúp đỡ bà con vùng lũ suốt ba tháng liền."


async def test_writing_editing_and_scheduling_stories(
    org: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    h = org
    await _setup(h)
    sweep = Sweep(h, caplog)
    rng = random.Random(SEED)
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err
    (tmp_path / "story.md").write_text(f"# Gương sáng khu vực 1\n\n{STORY_BODY}\n", "utf-8")
    code, _, err = await h.cli("story", "import", str(tmp_path / "story.md"), "--unit", "DU-NK")
    assert code == 0, err
    (story_id,) = _rows(h.db_path, "SELECT id FROM stories")[0]
    before = _rows(h.db_path, "SELECT * FROM stories")
    queued = _count(h.db_path, "outbox")
    writing = Flow(
        "/story new",
        ADMIN_ID,
        [
            say(ADMIN_ID, "/story new"),
            say(ADMIN_ID, "Tấm gương vượt lũ"),
            say(ADMIN_ID, STORY_BODY),
            press(ADMIN_ID, "Xong"),
            press(ADMIN_ID, "Không có ảnh"),
            press(ADMIN_ID, "Gương điển hình"),
            press(ADMIN_ID, "Một số đơn vị trực thuộc"),
            press(ADMIN_ID, "Đảng ủy phường Ninh Kiều"),
            press(ADMIN_ID, "Đơn vị trực thuộc"),
            press(ADMIN_ID, "Chọn nhóm khác"),
            press(ADMIN_ID, "Theo chức danh"),
        ],
        made_up=(
            "stn:unit:99999999999999999999999",
            "stn:tog:999999",
            "stn:open:99999999999999999999999",
            "stn:page:999",
            "stn:tag:legend",
            "stn:aud:everyone",
            "stn:role:king",
            "st:send:999999:1",
            f"st:send:{story_id}:1",
            f"st:cancelok:{story_id}:1",
            "st:stats:99999999999999999999999",
        ),
        restart_at=(3, 8),
    )
    editing = Flow(
        "/story edit and schedule",
        GIANG,
        [
            say(GIANG, f"/story edit {story_id}"),
            press(GIANG, "Tiêu đề"),
            say(GIANG, "/cancel"),
            say(GIANG, f"/story edit {story_id}"),
            press(GIANG, "Người nhận"),
            press(GIANG, "Một số đơn vị trực thuộc"),
            say(GIANG, "/cancel"),
            say(GIANG, f"/story show {story_id}"),
            press(GIANG, "Hẹn giờ gửi"),
            say(GIANG, "25/03/2026 07:30"),
        ],
        made_up=(
            "ste:f:nothing",
            "ste:f:title",
            "stw:ok",
            "stw:maybe",
            f"st:sched:{story_id}:99999999999999999999999",
            "st:edit:999999",
            "st:show:99999999999999999999999",
            "st:cancel:999999",
        ),
        restart_at=(4,),
    )
    await poke_together(sweep, [writing, editing], rng)
    await h.server.wait_idle()
    sweep.assert_clean()
    integrity(h.db_path)
    # Nothing was confirmed: no new story, nothing queued; the imported story is still a
    # draft with its text, its title changed at most to a whole garbage line (a new title
    # is saved as it is sent: the story is shown again at once, and nothing is sent).
    after = _rows(h.db_path, "SELECT id, title, body, status, audience FROM stories")
    assert len(after) == 1 and after[0][0] == story_id, after
    assert after[0][1] in ("Gương sáng khu vực 1", *[" ".join(g.split()) for g in GARBAGE])
    assert after[0][2:] == (before[0][2], "draft", before[0][6]), after
    assert _count(h.db_path, "outbox") == queued
