"""Property-based fuzzing, end to end: hypothesis makes thousands of hostile updates and the
real Application answers them over HTTP against the fake Bot API server.

Two runs:

* **every command, every kind of update** — people of every role (a stranger, a member, two
  secretaries, a committee member who is also on the propaganda board, an administrator)
  send random and hostile text (right-to-left, zero-width, combining marks, 4096
  characters, HTML and Markdown injection, SQL meta-characters), every command with its
  subcommands and garbage arguments, press the buttons shown to them, old ones, other
  people's, and forged ones (well-formed data of every kind in ``bot/callbacks.py`` with
  other ids), edit their messages, forward messages, send photos and files, write in a group
  and post in a channel;
* **every conversation state** — the list is read from the ConversationHandlers the
  Application registered, so a new flow is covered without touching this file: for each
  state one person is put in it (through the persistence, as a restart finds them) and
  sent hostile updates, in several rounds.

After every update (``FuzzSweep.deliver``): no unhandled exception (nothing logged at
ERROR, no apology), every Bot API call valid and within Telegram's limits, typed markup
never sent back unescaped, the database whole (``tests/db_checks.py``), and no row of
anyone but the sender and the members in their charge changed.

The seed is fixed and printed with every problem; ``CADREBOT_FUZZ_SEED`` and
``CADREBOT_FUZZ_EXAMPLES`` change it and the size (``bench/fuzz.py`` runs a larger one).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot import callbacks as cb
from bot.app import build_application
from bot.commands import BY_NAME
from bot.rules.access import Role
from fake_telegram import FakeTelegramServer
from tests.e2e import conftest
from tests.e2e.conftest import _ENV_KEYS, ADMIN_ID, Harness
from tests.e2e.fuzz_strategies import (
    SUBCOMMANDS,
    button_data,
    commands,
    forged,
    sample,
    texts,
    walk_steps,
)
from tests.e2e.fuzz_sweep import FuzzSweep
from tests.e2e.test_robustness import AN, BICH, EM, GIANG, STRANGER, _setup

SEED = int(os.environ.get("CADREBOT_FUZZ_SEED", "20260310"))
EXAMPLES = int(os.environ.get("CADREBOT_FUZZ_EXAMPLES", "120"))  # batches of 1-6 updates
STATE_ROUNDS = int(os.environ.get("CADREBOT_FUZZ_STATE_ROUNDS", "3"))
PEOPLE = (STRANGER, BICH, AN, EM, GIANG, ADMIN_ID)
GROUP, CHANNEL = -100_123, -100_456
FIRST_SEEDED = 7001  # Telegram ids of the people put in each conversation state
KNOWN_IDS = (*range(1, 8), *PEOPLE, FIRST_SEEDED)


class FuzzHarness(Harness):
    """The harness with more administrators (people put in administrators' states)."""

    extra_admins: tuple[int, ...] = ()

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env["CADREBOT_ADMIN_IDS"] = ",".join(map(str, (ADMIN_ID, *self.extra_admins)))
        return env


@pytest.fixture(autouse=True)
def _no_flood_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of replies; the fake server has no flood limit (as the robustness sweep)."""
    monkeypatch.setattr(
        conftest, "build_application", functools.partial(build_application, rate_limit=False)
    )


@pytest.fixture
async def fuzz_org(
    server: FakeTelegramServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FuzzHarness]:
    monkeypatch.chdir(tmp_path)
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    h = FuzzHarness(server, tmp_path)
    await h.start()
    try:
        await h.load_org(tmp_path)
        for user_id in (BICH, AN, EM, GIANG, ADMIN_ID):
            server.add_user(user_id, f"Người {user_id}", language_code="vi")
        await _setup(h)
        code, _, err = await h.cli(
            "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
        )
        assert code == 0, err
        server.add_group(GROUP, "Chi bộ Khu vực 1 <b>ZQX</b>", chat_type="supergroup")
        server.add_channel(CHANNEL, "Kênh tuyên truyền")
        yield h
    finally:
        await h.stop()


def _sweep(h: FuzzHarness, caplog: pytest.LogCaptureFixture) -> FuzzSweep:
    return FuzzSweep(
        h,
        caplog,
        admins=frozenset((ADMIN_ID, *h.extra_admins)),
        group=GROUP,
        channel=CHANNEL,
        people=PEOPLE,
    )


HYPOTHESIS = settings(
    deadline=None,
    database=None,  # the same examples every run: nothing replayed from earlier runs
    # No shrinking: the bot's state moves on, so an example cannot be replayed alone. The
    # sweep records each problem with its seed, example and update instead.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)


def _run_in_thread(test, loop: asyncio.AbstractEventLoop):  # type: ignore[no-untyped-def]
    """Hypothesis calls the test synchronously; each example runs on the bot's own loop,
    which keeps serving while hypothesis waits in a worker thread."""

    def example(value: object) -> None:
        asyncio.run_coroutine_threadsafe(test(value), loop).result(timeout=110)

    return example


# 1. Every command, every kind of update ------------------------------------------------------

ROLES_OF = {  # what the people of the fuzz are (see the fixture)
    BICH: set(),
    AN: {Role.SECRETARY},
    EM: {Role.SECRETARY},
    GIANG: {Role.COMMITTEE, Role.PROPAGANDA},
    ADMIN_ID: {Role.ADMIN},
}


def walk_entries(application) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """(person, command) for every command that opens a registered conversation, with each
    of its subcommands, sent by each person whose roles allow it."""
    entries = {(STRANGER, "/start")}
    for conversation in {c for c, _ in conversation_states(application)}:
        for entry in conversation.entry_points:
            for name in sorted(entry.commands) if isinstance(entry, CommandHandler) else ():
                spec = BY_NAME[name]
                for person, roles in ROLES_OF.items():
                    if spec.roles is None or roles & spec.roles or Role.ADMIN in roles:
                        subs = ("", *SUBCOMMANDS.get(name, ()))
                        entries |= {(person, f"/{name} {sub}".strip()) for sub in subs}
    return sorted(entries)


# What the fuzz does, and how often (weights): mostly walks into the guided flows.
PAYLOADS: dict[str, tuple[int, st.SearchStrategy]] = {
    "walk": (30, walk_steps),
    "text": (8, texts),
    "command": (10, commands()),
    "press_shown": (8, st.integers(0, 10_000)),
    "press_foreign": (5, st.integers(0, 10_000)),
    "press_forged": (8, st.tuples(st.integers(0, 5), button_data(KNOWN_IDS))),
    "edit": (5, texts | commands()),
    "group": (4, texts | commands()),
    "group_press": (2, button_data(KNOWN_IDS)),
    "channel": (3, texts | commands()),
    "channel_edit": (2, texts | commands()),
    "forward": (4, st.tuples(texts | commands(), st.sampled_from(("user", "hidden", "channel")))),
    "photo": (3, texts | commands()),
    "document": (3, st.tuples(texts.map(lambda t: t[:80] + ".csv"), texts)),
}


async def test_hostile_updates_of_every_kind(
    fuzz_org: FuzzHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = fuzz_org
    sweep = _sweep(h, caplog)
    loop = asyncio.get_running_loop()
    for user in PEOPLE:  # everyone has a message of the bot to press buttons on
        await sweep.deliver("setup", user, user, lambda u=user: h.server.send_text(u, "/help"))
    entries = walk_entries(h.app)
    kinds, weights = list(PAYLOADS), [weight for weight, _ in PAYLOADS.values()]
    counter = iter(range(10**9))

    # Hypothesis draws each choice (so the seed fixes them all); the kinds are weighted
    # through its random, as its own one_of would pick the simple ones far more often.
    @seed(SEED)
    @settings(HYPOTHESIS, max_examples=EXAMPLES)
    @given(st.data())
    def example(data: st.DataObject) -> None:
        number = next(counter)
        rnd = data.draw(st.randoms(use_true_random=False), label="random")
        for index in range(rnd.randint(1, 6)):
            kind = rnd.choices(kinds, weights)[0]
            payload = data.draw(PAYLOADS[kind][1], label=kind)
            actor = rnd.choice(PEOPLE)
            if kind == "walk":
                actor, command = rnd.choice(entries)
                # Most walks end as people leave a step: /cancel (else the next is refused).
                payload = (command, [*payload, *[("command", "/cancel")] * (rnd.random() < 0.8)])
            label = f"[seed {SEED}, example {number}.{index}] {kind} by {actor}: {payload!r:.100}"
            done = asyncio.run_coroutine_threadsafe(sweep.act(label, actor, kind, payload), loop)
            done.result(timeout=110)

    await asyncio.to_thread(example)
    await h.server.wait_idle()
    reached = len(sweep.reached)
    print(f"fuzz seed {SEED}: {sweep.updates} updates in {EXAMPLES} examples, {reached} states")
    sweep.assert_clean()


# 2. Every conversation state -----------------------------------------------------------------


def conversation_states(application) -> list[tuple[ConversationHandler, object]]:  # type: ignore[no-untyped-def]
    """Every (conversation, state) the Application registered, in registration order."""
    found = []
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                found += [(handler, s) for s in handler.states if s != ConversationHandler.TIMEOUT]
    return found


def _roles_for(conversation: ConversationHandler) -> set[Role]:
    """The roles that may open the conversation, read from its entry commands (a
    conversation opened by a button is a manager's: a secretary's and the board's)."""
    roles: set[Role] = set()
    for entry in conversation.entry_points:
        if isinstance(entry, CommandHandler):
            for name in entry.commands:
                spec = BY_NAME.get(name)
                if spec is not None and spec.roles is not None:
                    roles |= set(spec.roles)
    return roles or {Role.SECRETARY, Role.PROPAGANDA}


def _state_buttons(conversation: ConversationHandler, state: object) -> list[cb.Button]:
    """The kinds of button the state waits for (by its handlers' patterns)."""
    patterns = [
        handler.pattern
        for handler in conversation.states[state]
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None
    ]
    regexes = [re.compile(p) if isinstance(p, str) else p for p in patterns]
    return [
        button
        for button in cb.BUTTONS
        if any(hasattr(r, "match") and r.match(sample(button)) for r in regexes)
    ]


async def _seat_people(
    h: FuzzHarness, seats: list[tuple[ConversationHandler, object, int]]
) -> None:
    """Put each person in their conversation state, as the persistence would hold it after
    a restart (the step's working data lost, as it may be), then start the bot."""
    await h.stop()
    now = h.clock.now().isoformat()
    with sqlite3.connect(h.db_path) as conn:
        for conversation, state, user in seats:
            key = json.dumps([user, user])
            conn.execute("DELETE FROM ptb_conversations WHERE key = ?", (key,))
            conn.execute(
                "INSERT INTO ptb_conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)",
                (conversation.name, key, json.dumps(state), now),
            )
            mark = {"open_flow": {"name": conversation.name, "since": now, "locale": "vi"}}
            conn.execute(
                "INSERT INTO ptb_user_data (user_id, data) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
                (user, json.dumps(mark)),
            )
    await h.start()


async def _enrol(h: FuzzHarness, seats: list[tuple[ConversationHandler, object, int]]) -> None:
    """One member of Chi bộ Khu vực 1 per seat, with the roles its conversation needs."""
    rows = [conftest.MEMBERS_CSV.strip()]
    rows += [f"FZ{user},Người thử {user},CB-1,official,,false,vi,{user}" for _, _, user in seats]
    (h.tmp_path / "seated.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = await h.cli("members", "import", str(h.tmp_path / "seated.csv"))
    assert code == 0, err
    grants = {Role.SECRETARY: "CB-1", Role.DEPUTY: "CB-1", Role.COMMITTEE: "DU-NK"}
    grants[Role.PROPAGANDA] = "DU-NK"
    admins = []
    for conversation, _, user in seats:
        roles = _roles_for(conversation)
        if roles == {Role.ADMIN}:
            admins.append(user)
            continue
        for role in sorted(roles - {Role.ADMIN}, key=str):
            code, _, err = await h.cli(
                "role",
                "grant",
                "--member",
                f"FZ{user}",
                "--role",
                role.value,
                "--unit",
                grants[role],
            )
            assert code == 0, err
        h.server.add_user(user, f"Thử {user}", language_code="vi")
    for user in admins:
        h.server.add_user(user, f"Thử {user}", language_code="vi")
    h.extra_admins = tuple(admins)


async def test_every_conversation_state(
    fuzz_org: FuzzHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = fuzz_org
    assert h.app is not None
    states = conversation_states(h.app)
    names = {conversation.name for conversation, _ in states}
    assert names == set(h.app.bot_data["flows"].specs), "a conversation not built by flow.py"
    seats = [(c, s, FIRST_SEEDED + i) for i, (c, s) in enumerate(states)]
    await _enrol(h, seats)
    await h.restart()  # the new administrators
    sweep = _sweep(h, caplog)
    sweep.people = (*PEOPLE, *(user for _, _, user in seats))
    for _, _, user in seats:  # a message of the bot to press buttons on
        await sweep.deliver("setup", user, user, lambda user=user: h.server.send_text(user, "/me"))

    def one_update(conversation: ConversationHandler, state: object) -> st.SearchStrategy:
        own = [forged(button, KNOWN_IDS) for button in _state_buttons(conversation, state)]
        return st.one_of(
            st.tuples(st.just("text"), texts),
            st.tuples(st.just("command"), commands()),
            st.tuples(st.just("press_forged"), st.tuples(st.just(0), button_data(KNOWN_IDS))),
            *[st.tuples(st.just("press_forged"), st.tuples(st.just(0), b)) for b in own],
            st.tuples(st.just("edit"), texts),
            st.tuples(st.just("photo"), texts),
        )

    rounds = iter(range(10**9))

    async def one_round(updates: list[tuple]) -> None:
        number = next(rounds)
        await _seat_people(h, seats)
        for (conversation, state, user), (kind, payload) in zip(seats, updates, strict=True):
            label = (
                f"[seed {SEED}, round {number}] {conversation.name} state {state}: {kind} "
                f"{payload!r:.100}"
            )
            await sweep.act(label, user, kind, payload)

    plan = st.tuples(*[one_update(c, s) for c, s, _ in seats]).map(list)
    run = _run_in_thread(one_round, asyncio.get_running_loop())
    test = seed(SEED)(settings(HYPOTHESIS, max_examples=STATE_ROUNDS)(given(plan)(run)))
    await asyncio.to_thread(test)
    await h.server.wait_idle()
    print(f"fuzz seed {SEED}: {len(seats)} states, {sweep.updates} updates")
    sweep.assert_clean()
