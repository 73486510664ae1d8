"""End-to-end harness: the real Application, configured only through TELEGRAM_API_BASE_URL
and the token, against the project's fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.app import build_application, build_services
from bot.cli import main as cli_main
from bot.clock import FixedClock
from bot.config import Settings, load_settings
from bot.runner import start_application, stop_application
from fake_telegram import BotMessage, FakeTelegramServer
from storage import Database

ADMIN_ID = 9000
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

UNITS_CSV = """code,name,kind,parent_code
TU,Thành ủy Cần Thơ,city_committee,
DU-NK,Đảng ủy phường Ninh Kiều,committee,TU
CB-1,Chi bộ Khu vực 1,cell,DU-NK
CB-2,Chi bộ Khu vực 2,cell,DU-NK
"""

MEMBERS_CSV = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV001,Nguyễn Văn An,CB-1,official,Bí thư chi bộ,true,vi,1001
DV002,Trần Thị Bích,CB-1,official,Đảng viên,false,,1002
DV003,Lê Hoàng Cường,CB-1,probationary,,false,,
DV004,Phạm Thu Dung,CB-1,official,,false,en,
DV005,Võ Minh Em,CB-2,official,Bí thư chi bộ,false,,1005
DV006,Đặng Văn Phúc,CB-2,exempt,,false,,
DV007,Hồ Thị Giang,DU-NK,official,Ủy viên Ban Thường vụ,false,,1007
"""

ROLES = (
    ("DV001", "secretary", "CB-1"),
    ("DV005", "secretary", "CB-2"),
    ("DV007", "committee", "DU-NK"),
)

_ENV_KEYS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "CADREBOT_DB",
    "CADREBOT_TIMEZONE",
    "CADREBOT_DEFAULT_LOCALE",
    "CADREBOT_ADMIN_IDS",
    "CADREBOT_WEBHOOK_URL",
    "CADREBOT_WEBHOOK_SECRET",
)


class Harness:
    """One fake Telegram, one bot process-in-a-task, one database file."""

    def __init__(self, server: FakeTelegramServer, tmp_path: Path) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "data" / "cadrebot.sqlite3"
        self.app: Application | None = None
        # Services read "now" from this clock; tests move it (``harness.clock.moment = ...``)
        # to reach deadlines and windows. Telegram-side timestamps stay real.
        self.clock = FixedClock(TZ, datetime(2026, 3, 10, 9, 0, tzinfo=TZ))

    @property
    def env(self) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": self.server.token,
            "TELEGRAM_API_BASE_URL": self.server.base_url,
            "CADREBOT_DB": str(self.db_path),
            "CADREBOT_ADMIN_IDS": str(ADMIN_ID),
        }

    def settings(self) -> Settings:
        return load_settings(env_file=None, **self.env)

    async def start(self) -> None:
        settings = self.settings()
        self.app = build_application(settings, build_services(settings, clock=self.clock))
        await start_application(self.app, poll_timeout=1)

    async def stop(self) -> None:
        if self.app is not None:
            await stop_application(self.app)
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def cli(self, *argv: str) -> tuple[int, str, str]:
        """Run the operator's CLI against the same database while the bot runs."""
        out, err = io.StringIO(), io.StringIO()

        def call() -> int:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                return cli_main(list(argv))

        code = await asyncio.to_thread(call)
        return code, out.getvalue(), err.getvalue()

    async def load_org(self, tmp_path: Path) -> None:
        (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
        (tmp_path / "members.csv").write_text(MEMBERS_CSV, encoding="utf-8")
        assert (await self.cli("units", "import", str(tmp_path / "units.csv")))[0] == 0
        assert (await self.cli("members", "import", str(tmp_path / "members.csv")))[0] == 0
        for member, role, unit in ROLES:
            code, _, err = await self.cli(
                "role", "grant", "--member", member, "--role", role, "--unit", unit
            )
            assert code == 0, err

    async def say(self, user_id: int, text: str, timeout: float = 10.0) -> BotMessage:
        """A user sends text; returns the bot's next message in that chat."""
        self.server.send_text(user_id, text)
        return await self.server.next_message(user_id, timeout=timeout)

    async def press(self, user_id: int, message: BotMessage, button_text: str) -> BotMessage:
        """Press a button; returns the next new message, skipping edits of old ones."""
        self.server.press_button(user_id, message, button_text=button_text)
        return await self.next_new(user_id)

    async def next_new(self, chat_id: int) -> BotMessage:
        while True:
            message = await self.server.next_message(chat_id)
            if not message.edited:
                return message

    async def delivered(self, timeout: float = 20.0) -> None:
        """Until the outbox has nothing left queued or being sent, and every fan-out has
        sent its summary (the sender is paced: one message a second per person)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with sqlite3.connect(self.db_path) as conn:
                left = conn.execute(
                    "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')"
                ).fetchone()[0]
                # and every fan-out's final summary sent
                left += conn.execute(
                    "SELECT COUNT(*) FROM outbox_batches WHERE finished_at IS NULL"
                ).fetchone()[0]
            if not left:
                await self.server.wait_idle()
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{left} message(s) still in the outbox")
            await asyncio.sleep(0.05)

    def database(self) -> Database:
        return Database(self.db_path)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
async def harness(
    server: FakeTelegramServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    bot = Harness(server, tmp_path)
    for key, value in bot.env.items():
        monkeypatch.setenv(key, value)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def org(harness: Harness, tmp_path: Path) -> Harness:
    """The harness with the small invented organisation loaded and roles granted."""
    await harness.load_org(tmp_path)
    for user_id, name, language in (
        (1001, "An", "vi"),
        (1002, "Bích", "vi"),
        (1005, "Em", "vi"),
        (1007, "Giang", "vi"),
        (ADMIN_ID, "Admin", "vi"),
    ):
        harness.server.add_user(user_id, name, language_code=language)
    return harness
