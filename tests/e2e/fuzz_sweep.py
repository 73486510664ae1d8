"""The fuzzer's hands and eyes: it sends one hostile update of any kind, waits until the
bot has finished with it, and checks every invariant (see tests/e2e/test_fuzz.py).

:class:`FuzzSweep` builds on the robustness sweep's :class:`~tests.e2e.test_robustness.Sweep`
(waiting for the bot to settle; no apology, no ERROR log, no refused request) and adds:
each Bot API call re-checked against Telegram's limits and HTML rules, typed markup never
sent back unescaped, the database whole after every update (``tests/db_checks.py``), and
nobody's rows changed but the sender's own and those of the people in their charge.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_telegram import ApiError, BotMessage
from fake_telegram.html import (
    MAX_ALERT_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    parse_mode_of,
    render,
)
from fake_telegram.other_updates import forward_origin
from tests import db_checks
from tests.e2e.fuzz_strategies import UNESCAPED
from tests.e2e.test_robustness import Sweep

# Roles whose holders may change the rows of the members of their units (and below).
IN_CHARGE = ("secretary", "deputy", "committee", "propaganda", "admin")
TEXT_METHODS = {"sendMessage": "text", "editMessageText": "text"}
CAPTION_METHODS = {"sendPhoto", "sendDocument", "editMessageCaption"}
MARKUP_METHODS = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendPhoto",
    "sendDocument",
    "editMessageCaption",
}
PHOTO = b"\xff\xd8\xff\xe0fuzz-not-really-a-jpeg\xff\xd9"
MAX_PROBLEMS = 40


@dataclass
class FuzzSweep(Sweep):
    """One update at a time, every invariant after each."""

    admins: frozenset[int] = frozenset()
    group: int = -1001
    channel: int = -1002
    people: tuple[int, ...] = ()  # the private chats whose buttons may be pressed by others
    updates: int = 0
    reached: set[tuple[str, object]] = field(default_factory=set)  # (conversation, state)
    _validated: int = 0

    # --- sending ---------------------------------------------------------------------------

    async def act(self, label: str, actor: int, kind: str, payload: Any) -> None:
        """Do one thing of ``kind`` as ``actor`` (see the strategies of test_fuzz)."""
        server = self.server
        if kind == "text" or kind == "command":
            await self.deliver(label, actor, actor, lambda: server.send_text(actor, payload))
        elif kind == "press_shown":
            shown = self._buttons(actor)
            if shown:
                message, data = shown[payload % len(shown)]
                await self.press_data(label, actor, message, data)
        elif kind == "walk":  # a command, then answers and buttons as a person would
            command, steps = payload
            await self.act(f"{label} [0]", actor, "command", command)
            for index, (step, value) in enumerate(steps, start=1):
                await self.act(f"{label} [{index}]", actor, step, value)
        elif kind == "press_foreign":
            others = [b for u in self._chats() if u != actor for b in self._buttons(u)]
            mine = server.messages(actor)
            if others and mine:
                await self.press_data(label, actor, mine[-1], others[payload % len(others)][1])
        elif kind == "press_forged":
            mine = server.messages(actor)
            if mine:
                await self.press_data(label, actor, mine[-payload[0] % len(mine) - 1], payload[1])
        elif kind == "edit":
            typed = [m for m in server.user_messages(actor) if "text" in m]
            if typed:
                target = typed[-1]["message_id"]
                await self.deliver(
                    label, actor, actor, lambda: server.edit_text(actor, target, payload)
                )
        elif kind == "group":
            await self.deliver(
                label,
                actor,
                self.group,
                lambda: server.send_text(actor, payload, chat_id=self.group),
            )
        elif kind == "group_press":
            posted = server.messages(self.group)
            if posted:
                await self.press_data(label, actor, posted[-1], payload, chat=self.group)
        elif kind == "channel":
            await self.deliver(
                label, None, self.channel, lambda: server.post_in_channel(self.channel, payload)
            )
        elif kind == "channel_edit":
            posts = server.user_messages(self.channel)
            if posts:
                target = posts[-1]["message_id"]
                await self.deliver(
                    label,
                    None,
                    self.channel,
                    lambda: server.edit_text(self.channel, target, payload),
                )
        elif kind == "forward":
            text, origin = payload
            await self.deliver(
                label,
                actor,
                actor,
                lambda: server.send_text(actor, text, forwarded=self._origin(origin, actor)),
            )
        elif kind == "photo":
            await self.deliver(
                label, actor, actor, lambda: server.send_photo(actor, PHOTO, caption=payload[:1024])
            )
        elif kind == "document":
            name, caption = payload
            await self.deliver(
                label,
                actor,
                actor,
                lambda: server.send_document(actor, name, b"code;name\n1;x\n", caption=caption),
            )
        else:
            raise AssertionError(f"unknown kind {kind!r}")

    async def press_data(
        self, label: str, actor: int, message: BotMessage, data: str, *, chat: int | None = None
    ) -> None:
        chat = message.chat_id if chat is None else chat
        queries: list[str] = []

        def press() -> dict:
            queries.append(self.server.press_button(actor, message, data, chat_id=chat))
            return self.server.pending_updates[-1]

        await self.deliver(f"{label} {data!r}", actor, chat, press)
        try:
            await self.server.wait_callback_answer(queries[0], timeout=5)
        except AssertionError:
            self.problems.append(f"{label}: the button {data!r} was never answered")

    async def deliver(
        self, label: str, actor: int | None, chat: int, send: Callable[[], dict]
    ) -> None:
        """Send one update, wait until the bot is done with it, check every invariant."""
        if len(self.problems) >= MAX_PROBLEMS:
            return
        rows = db_checks.owned_rows(self.h.db_path)
        before = len(self.server.events(chat))
        update = send()
        self.updates += 1
        await self.settle(chat, update["update_id"], label=label)
        self.check(label, self.new_events(chat, before))
        self.check_calls(label)
        for problem in db_checks.problems(self.h.db_path):
            self.problems.append(f"{label}: {problem}")
        after = db_checks.owned_rows(self.h.db_path)
        changed = db_checks.changed_owners(rows, after)
        self.reached |= {
            (row[1], json.loads(row[3]))
            for owned in after.values()
            for row in owned
            if row[0] == "ptb_conversations"
        }
        foreign = sorted(owner for owner in changed if not self._may_change(actor, owner))
        if foreign:
            self.problems.append(f"{label}: rows of others changed: {foreign}")

    # --- what the bot sent -----------------------------------------------------------------

    def check_calls(self, label: str) -> None:
        """Every request the bot made since the last check, against Telegram's rules."""
        requests = self.server.requests
        for record in requests[self._validated :]:
            method = self.server.canonical_method(record.method)
            for problem in _call_problems(method, record.params):
                self.problems.append(f"{label}: {method} {problem}")
        self._validated = len(requests)

    # --- whose rows may change -------------------------------------------------------------

    def _may_change(self, actor: int | None, owner: db_checks.Owner) -> bool:
        kind, ident = owner
        if actor is None:
            return False
        if kind == "telegram":
            return ident == actor
        scope = self._members_in_charge(actor)
        return scope is None or ident in scope

    def _members_in_charge(self, actor: int) -> frozenset[int] | None:
        """The members whose rows ``actor`` may change (None: everyone's): their own and,
        for those with a role, the members of their units and below."""
        if actor in self.admins:
            return None
        with sqlite3.connect(self.h.db_path) as conn:
            found = conn.execute(
                f"""SELECT DISTINCT ms.member_id FROM members me
                JOIN roles r ON r.member_id = me.id AND r.revoked_at IS NULL
                    AND r.role IN ({",".join("?" * len(IN_CHARGE))})
                JOIN units top ON top.id = r.unit_id
                JOIN units u ON u.path LIKE top.path || '%'
                JOIN memberships ms ON ms.unit_id = u.id
                WHERE me.telegram_id = ?""",
                (*IN_CHARGE, actor),
            ).fetchall()
            me = conn.execute("SELECT id FROM members WHERE telegram_id = ?", (actor,)).fetchall()
        return frozenset(member for (member,) in (*found, *me))

    # --- helpers ---------------------------------------------------------------------------

    def _chats(self) -> list[int]:
        return [chat for chat in self.people if chat > 0]

    def _buttons(self, chat: int) -> list[tuple[BotMessage, str]]:
        """The buttons on the last few bot messages of the chat, newest first."""
        return [
            (message, data)
            for message in reversed(self.server.messages(chat)[-6:])
            for _, data in message.buttons
            if data is not None
        ]

    def _origin(self, origin: str, actor: int) -> dict:
        if origin == "user":
            other = next(u for u in self._chats() if u != actor)
            return forward_origin(user=self.server.user(other))
        if origin == "channel":
            return forward_origin(chat=self.server.find_chat(self.channel))
        return forward_origin(hidden_name="Người giấu tên <b>ZQX</b>")


def _call_problems(method: str, params: dict) -> list[str]:
    """What Telegram would refuse in this call, or what breaks our own rules for it."""
    found: list[str] = []
    try:
        mode = parse_mode_of(params.get("parse_mode"))
    except ApiError as error:
        return [error.description]
    if mode not in (None, "HTML"):
        found.append(f"uses parse_mode {mode}: everything is sent as HTML")
    raw = params.get(TEXT_METHODS.get(method, "caption"))
    if isinstance(raw, str) and (method in TEXT_METHODS or method in CAPTION_METHODS):
        field_name = "text" if method in TEXT_METHODS else "caption"
        try:
            render(raw, mode, params.get("entities"), field_name)
        except ApiError as error:
            found.append(f"{field_name} refused: {error.description} in {raw[:120]!r}")
        if mode == "HTML":
            for marker in UNESCAPED:
                if marker in raw:
                    found.append(f"sent typed markup unescaped ({marker!r}) in {raw[:200]!r}")
    if method == "answerCallbackQuery":
        text = params.get("text") or ""
        if len(text) > MAX_ALERT_LENGTH:
            found.append(f"alert over {MAX_ALERT_LENGTH} characters")
    if method in MARKUP_METHODS:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    found.append(f"button data of {len(data.encode())} bytes: {data!r}")
    return found
