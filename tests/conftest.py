"""Shared fixtures: a temporary database, settings that ignore the developer's environment,
a fixed clock, the services, a recording fake bot and a small invented organisation.

Everything here is generic so that unit and end-to-end tests can reuse it. All names and
data are invented.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_services
from bot.clock import FixedClock
from bot.config import Settings, load_settings
from bot.context import Services
from bot.services.organisation import ImportSummary
from storage import Database
from storage.db import Store
from storage.records import Member, Unit

DATA_DIR = Path(__file__).resolve().parent / "data"
TEST_TOKEN = "123456:TEST-TOKEN"
ADMIN_ID = 900001
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIXED_NOW = datetime(2026, 3, 10, 9, 0, tzinfo=TIMEZONE)
ENV_PREFIXES = ("TELEGRAM_", "CADREBOT_")


# Environment and settings ----------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every TELEGRAM_* / CADREBOT_* variable for the duration of the test."""
    for key in list(os.environ):
        if key.startswith(ENV_PREFIXES):
            monkeypatch.delenv(key)


@pytest.fixture
def data_dir() -> Path:
    """tests/data: the invented CSV files."""
    return DATA_DIR


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cadrebot.sqlite3"


@pytest.fixture
def settings(clean_env: None, db_path: Path) -> Settings:
    """Test settings: a fake token, the temporary database and one config admin (900001).

    Neither the developer's .env nor their environment is read.
    """
    return load_settings(
        env_file=None,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        CADREBOT_DB=str(db_path),
        CADREBOT_ADMIN_IDS=str(ADMIN_ID),
    )


# Database, clock, services ----------------------------------------------------------------


class DeliveringDatabase(Database):
    """The test database. Once a :class:`FakeBot` is attached (the ``fake_bot`` fixture),
    every committed write is followed by the delivery of what it queued, as the paced
    sender would do a moment later (without waiting out the pacing), so a service test can
    look at what was sent right after the call."""

    deliver: Callable[[], Awaitable[None]] | None = None
    _delivering = False

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Store]:
        async with super().write() as store:
            yield store
        if self.deliver is not None and not self._delivering:
            self._delivering = True
            try:
                await self.deliver()
            finally:
                self._delivering = False


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    """A migrated database on a temporary file, closed after the test."""
    database = DeliveringDatabase(db_path)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FixedClock:
    """10 March 2026, 09:00 in Asia/Ho_Chi_Minh. Move it with ``clock.moment += ...``."""
    return FixedClock(TIMEZONE, FIXED_NOW)


@pytest.fixture
def services(settings: Settings, db: Database, clock: FixedClock) -> Services:
    return build_services(settings, db=db, clock=clock)


# A bot that records what would have been sent ----------------------------------------------


@dataclass
class SentMessage:
    chat_id: int
    text: str
    reply_markup: Any = None
    message_id: int = 0


@dataclass
class FakeBot:
    """Stands in for ``telegram.Bot`` in NotificationService: records ``send_message`` calls.

    Put an exception in ``fail_for[chat_id]`` to make sends to that chat raise it, e.g.
    ``telegram.error.Forbidden("Forbidden: bot was blocked by the user")``.
    """

    sent: list[SentMessage] = field(default_factory=list)
    fail_for: dict[int, Exception] = field(default_factory=dict)
    # Raised by the next sends to the chat in turn (None: that one goes through), then it works.
    fail_once: dict[int, list[Exception | None]] = field(default_factory=dict)
    edits: list[SentMessage] = field(default_factory=list)
    username: str = "cadre_test_bot"

    async def send_message(
        self, chat_id: int, text: str, reply_markup: Any = None, **kwargs: Any
    ) -> Any:
        error = self.fail_for.get(chat_id)
        if error is not None:
            raise error
        if self.fail_once.get(chat_id) and (error := self.fail_once[chat_id].pop(0)):
            raise error
        message = SentMessage(chat_id, text, reply_markup, message_id=len(self.sent) + 1)
        self.sent.append(message)
        return message

    async def send_photo(
        self, chat_id: int, photo: Any, caption: str | None = None, **kwargs: Any
    ) -> Any:
        """A photo is recorded as its caption (a photo without one as an empty text)."""
        return await self.send_message(chat_id, caption or "", kwargs.get("reply_markup"))

    async def edit_message_text(
        self, text: str, chat_id: int, message_id: int, **kwargs: Any
    ) -> Any:
        self.edits.append(SentMessage(chat_id, text, None, message_id))
        return True

    def to(self, chat_id: int) -> list[SentMessage]:
        return [message for message in self.sent if message.chat_id == chat_id]


class _Ticker:
    """A monotonic clock for the sender's pacing that jumps a second at each look."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


@pytest.fixture
def fake_bot(services: Services) -> FakeBot:
    """A FakeBot that receives everything the services queue, right after each commit."""
    from bot.delivery.pacing import Pacer
    from bot.delivery.sender import Sender

    bot = FakeBot()
    sender = Sender(
        bot,  # type: ignore[arg-type]
        services.db,
        services.clock,
        Pacer(rate=10_000, clock=_Ticker()),
        screen=services.reminders.screen,
    )

    async def deliver() -> None:
        # As the running bot: the release job queues the stories due, the sender sends.
        await services.stories.release_due()
        for _ in range(1000):
            await sender.step()
            async with services.db.read() as store:
                if not await store.outbox.due(services.clock.now(), 1):
                    break
        await sender.flush()

    assert isinstance(services.db, DeliveringDatabase)
    services.db.deliver = deliver
    return bot


# The invented organisation ----------------------------------------------------------------


@dataclass
class Organisation:
    """The loaded tree and roster, by code (as read back after the import)."""

    units: dict[str, Unit]
    members: dict[str, Member]
    units_summary: ImportSummary
    members_summary: ImportSummary


def _as_bytes(source: Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else source.read_bytes()


async def load_organisation(
    services: Services,
    units_csv: Path | bytes = DATA_DIR / "org_units.csv",
    members_csv: Path | bytes = DATA_DIR / "org_members.csv",
    actor: str = "test",
) -> Organisation:
    """Import units then members through OrganisationService; return what is stored.

    tests/data/org_units.csv: TU-DEMO (city committee) → QU-BT, QU-HL (committees) →
    cells CB-BT1, CB-BT2 (under QU-BT) and CB-HL1 (under QU-HL).
    tests/data/org_members.csv: DV001..DV010. DV001 Trần Thị Bích is_head (CB-BT1),
    DV002 has telegram_id 700002, DV004 is exempt, DV006 is in CB-BT2 and CB-HL1,
    DV010 belongs to the committee QU-BT itself.
    """
    units_data, members_data = _as_bytes(units_csv), _as_bytes(members_csv)
    organisation = services.organisation
    units_summary = await organisation.import_units(units_data, actor=actor, source="units")
    members_summary = await organisation.import_members(members_data, actor=actor, source="members")
    async with services.db.read() as store:
        units = {unit.code: unit for unit in await store.units.all()}
        cursor = await store.conn.execute("SELECT code FROM members WHERE code IS NOT NULL")
        codes = [row[0] for row in await cursor.fetchall()]
        members = {}
        for code in codes:
            member = await store.members.by_code(code)
            assert member is not None
            members[code] = member
    return Organisation(units, members, units_summary, members_summary)


@pytest.fixture
def org_loader() -> Callable[..., Awaitable[Organisation]]:
    """``await org_loader(services)`` loads the invented organisation (see load_organisation)."""
    return load_organisation


@pytest.fixture
async def org(services: Services) -> Organisation:
    """The invented organisation, loaded into the test database."""
    return await load_organisation(services)


# Comparing whole tables ----------------------------------------------------------------------


async def dump_tables(db: Database, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), to prove that something wrote nothing."""
    async with db.read() as store:
        cursor = await store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        tables = [row[0] for row in await cursor.fetchall() if row[0] not in exclude]
        result = {}
        for table in tables:
            cursor = await store.conn.execute(f"SELECT * FROM {table}")
            result[table] = sorted(tuple(row) for row in await cursor.fetchall())
    return result


@pytest.fixture
def table_dump() -> Callable[..., Awaitable[dict[str, list[tuple]]]]:
    """``await table_dump(db, exclude=("audit_log",))``: all rows of all tables."""
    return dump_tables
