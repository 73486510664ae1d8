"""Crash drills' machinery: the real bot as a subprocess (``python -m bot run``) against the
in-test fake Bot API server, killed with SIGKILL and started again; a small organisation
built once and copied for each drill; and the ledger that says, after the drill, whether
any message was lost or arrived twice.

The drills are in :mod:`tests.e2e.crash_drills` (conversations, a broadcast, reminders) and
:mod:`tests.e2e.crash_drills_storage` (an import, a backup); ``test_crash_drills.py`` runs
each once in ``make test``, ``bench/drills.py`` runs many seeded rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fake_telegram import FakeTelegramServer
from storage.clock import to_db

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DB_NAME = "cadrebot.sqlite3"

UNITS_CSV = """code,name,kind,parent_code
TU,Thành ủy Cần Thơ,city_committee,
DU-NK,Đảng ủy phường Ninh Kiều,committee,TU
CB-1,Chi bộ Khu vực 1,cell,DU-NK
CB-2,Chi bộ Khu vực 2,cell,DU-NK
"""
BASE_MEMBERS = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV001,Nguyễn Văn An,CB-1,official,Bí thư chi bộ,true,vi,1001
DV002,Trần Thị Bích,CB-1,official,Đảng viên,false,,1002
DV003,Lê Hoàng Cường,CB-1,probationary,,false,,1003
DV005,Võ Minh Em,CB-2,official,Bí thư chi bộ,false,,1005
DV007,Hồ Thị Giang,DU-NK,official,Ủy viên Ban Thường vụ,false,,1007
"""
ROLES = (
    ("DV001", "secretary", "CB-1"),
    ("DV005", "secretary", "CB-2"),
    ("DV007", "propaganda", "DU-NK"),
)
SECRETARY, MEMBER, CB2_SECRETARY, BOARD = 1001, 1002, 1005, 1007
CROWD = 100  # members of CB-2 with Telegram: the fan-outs' recipients
CROWD_FIRST_ID = 20_000
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Huỳnh")
_GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Khánh", "Lan", "Minh", "Nga", "Phúc", "Quân")


def crowd_ids() -> range:
    return range(CROWD_FIRST_ID, CROWD_FIRST_ID + CROWD)


def crowd_name(index: int) -> str:
    return f"{_SURNAMES[index % 10]} Văn {_GIVEN[index % 11]} {index:03d}"


def members_csv() -> str:
    rows = [
        f"DX{index:03d},{crowd_name(index)},CB-2,official,,false,vi,{chat}"
        for index, chat in enumerate(crowd_ids())
    ]
    return BASE_MEMBERS + "\n".join(rows) + "\n"


def campaign_year() -> int:
    """The bot in a subprocess reads the real clock: the campaign is this year's."""
    return datetime.now(TZ).year


# The operator's CLI, in process ---------------------------------------------------------


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith(("CADREBOT_", "TELEGRAM_"))}
    for key in saved:
        del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        for key in values:
            os.environ.pop(key, None)
        os.environ.update(saved)


def cli(db_path: Path, *argv: str) -> tuple[int, str]:
    """Run ``cadrebot ARGV`` on ``db_path`` in this process (not from a running loop)."""
    from bot.cli import main as cli_main

    out = io.StringIO()
    env = {"CADREBOT_DB": str(db_path), "TELEGRAM_BOT_TOKEN": "1:unused"}
    with _environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli_main(list(argv))
    return code, out.getvalue()


async def acli(db_path: Path, *argv: str) -> tuple[int, str]:
    """:func:`cli` from inside a running event loop."""
    return await asyncio.to_thread(cli, db_path, *argv)


def _must(db_path: Path, *argv: str) -> str:
    code, output = cli(db_path, *argv)
    if code != 0:
        raise AssertionError(f"cadrebot {' '.join(argv)} failed ({code}): {output}")
    return output


_TEMPLATE: Path | None = None


def _build_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cadrebot-drills-"))
    db_path = folder / DB_NAME
    (folder / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (folder / "members.csv").write_text(members_csv(), encoding="utf-8")
    _must(db_path, "units", "import", str(folder / "units.csv"))
    _must(db_path, "members", "import", str(folder / "members.csv"))
    for member, role, unit in ROLES:
        _must(db_path, "role", "grant", "--member", member, "--role", role, "--unit", unit)
    year = campaign_year()
    _must(
        db_path,
        "campaign",
        "create",
        "--year",
        str(year),
        "--topic",
        "Tinh thần trách nhiệm, năng động, sáng tạo",
        "--commit-deadline",
        f"{year}-12-31",
    )
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path


async def organisation(folder: Path) -> Path:
    """A copy of the drills' organisation (built once per process) in ``folder``."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = await asyncio.to_thread(_build_template)
    target = folder / DB_NAME
    await asyncio.to_thread(_copy, _TEMPLATE, target)
    return target


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def add_people(server: FakeTelegramServer) -> None:
    """Everyone of the organisation has a Telegram account in the fake."""
    for user_id, name in (
        (SECRETARY, "An"),
        (MEMBER, "Bích"),
        (1003, "Cường"),
        (CB2_SECRETARY, "Em"),
        (BOARD, "Giang"),
    ):
        server.add_user(user_id, name, language_code="vi")
    for index, chat in enumerate(crowd_ids()):
        server.add_user(chat, crowd_name(index), language_code="vi")


# The bot as a process -------------------------------------------------------------------


@dataclass
class BotProcess:
    """``python -m bot run`` on one database against the fake server; output to a file (a
    pipe nobody reads would fill and stall the bot)."""

    server: FakeTelegramServer
    db_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    # The chats whose outbox rows each kill left ``sending`` (see :func:`in_doubt`).
    doubt: set[int] = field(default_factory=set)

    @property
    def log_path(self) -> Path:
        return self.db_path.parent / "bot.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CADREBOT_", "TELEGRAM_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=self.server.token,
            TELEGRAM_API_BASE_URL=self.server.base_url,
            CADREBOT_DB=str(self.db_path),
            CADREBOT_LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
            **self.extra_env,
        )
        return env

    async def start(self) -> None:
        """Start, and return once it polls for updates (post_init, the sender, the sweep
        and the release of stories have run)."""
        after = len(self.server.requests)
        self.starts += 1
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- start {self.starts} ---\n")
        log_file = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.db_path.parent,
                env=self.env(),
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log_file.close()
        # The first long poll is the sign: it stays open, so it is not waited for to finish.
        requests = self.server.requests
        await self.server.wait_for(
            lambda: any(r.method == "getUpdates" for r in requests[after:]), 60, "a poll"
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None
        self.doubt |= in_doubt(self.db_path)

    async def stop(self) -> None:
        """SIGTERM, and the graceful stop it promises (exit code 0)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        self.process = None
        if code != 0:
            raise AssertionError(f"the bot stopped with {code}:\n{self.output()[-3000:]}")

    async def close(self) -> None:
        """Whatever happened: no process left behind."""
        if self.process is not None and self.process.returncode is None:
            await self.kill()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# Reading the database and the fake ------------------------------------------------------


def rows(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return conn.execute(sql, params).fetchall()


def in_doubt(db_path: Path) -> set[int]:
    """Right after a kill: the chats of the outbox rows left ``sending``. Their message may
    have reached Telegram without the bot recording it: the only ones that may come twice."""
    return {chat for (chat,) in rows(db_path, "SELECT chat_id FROM outbox WHERE status='sending'")}


def outbox_left(db_path: Path) -> int:
    """Rows due within a minute not sent yet, and watched fan-outs without their summary."""
    soon = to_db(datetime.now(UTC) + timedelta(minutes=1))
    return rows(
        db_path,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')"
        " AND not_before <= ?) + (SELECT COUNT(*) FROM outbox_batches"
        " WHERE finished_at IS NULL AND progress_chat_id IS NOT NULL)",
        (soon,),
    )[0][0]


async def delivered(server: FakeTelegramServer, db_path: Path, timeout: float = 60) -> None:
    """Until nothing due is left in the outbox (and every watched fan-out has its summary).
    The sender records its last deliveries without calling Telegram, so the database is
    looked at on every request the fake sees and at least every 0.2 s."""
    deadline = time.monotonic() + timeout
    while (left := outbox_left(db_path)) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{left} message(s) still in the outbox after {timeout} s")
        await server.wait_changed(0.2)


def sent_texts(server: FakeTelegramServer, chats: set[int] | range) -> dict[int, Counter[str]]:
    """Every accepted sendMessage/sendPhoto per chat: how many times each text arrived."""
    wanted = set(chats)
    found: dict[int, Counter[str]] = {chat: Counter() for chat in wanted}
    for record in server.requests:
        if record.method not in ("sendMessage", "sendPhoto") or record.status != 200:
            continue
        chat = record.chat_id
        if chat in wanted:
            text = str(record.params.get("text") or record.params.get("caption") or "")
            found[chat][text] += 1
    return found


def doubled(counts: dict[int, Counter[str]]) -> dict[int, list[str]]:
    """The chats that got one text more than once, with those texts."""
    return {
        chat: [text[:60] for text, n in texts.items() if n > 1]
        for chat, texts in counts.items()
        if any(n > 1 for n in texts.values())
    }
