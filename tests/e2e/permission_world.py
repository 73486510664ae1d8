"""The world of the permission matrix (tests/e2e/test_permissions.py): an organisation with
one person per persona, the things the actions act on (all in cell CB-1, so "in scope" and
"out of scope" mean something), and the cells' machinery: send one update, wait until the
bot has finished with it, see what the person was told, what changed and what was audited,
then put the database back as it was.

Two branches of the city committee: DU-NK (cells CB-1, CB-2) and DU-AB (cell CB-3).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.context import Services, services_of
from bot.i18n import gettext, set_locale
from bot.rules.access import Actor
from bot.services.nominations import Draft as NominationDraft
from bot.services.sessions import Draft as SessionDraft
from bot.services.stories.base import story_stamp
from fake_telegram import BotMessage
from tests.e2e.conftest import ADMIN_ID, Harness
from tests.e2e.test_robustness import Sweep

UNITS = """code,name,kind,parent_code
TU,Thành ủy Cần Thơ,city_committee,
DU-NK,Đảng ủy phường Ninh Kiều,committee,TU
CB-1,Chi bộ Khu vực 1,cell,DU-NK
CB-2,Chi bộ Khu vực 2,cell,DU-NK
DU-AB,Đảng ủy phường An Bình,committee,TU
CB-3,Chi bộ Khu vực 3,cell,DU-AB
"""

MEMBERS = """code,full_name,unit_code,status,position,is_head,language,telegram_id
DV001,Nguyễn Văn An,CB-1,official,Bí thư chi bộ,true,vi,1001
DV002,Trần Thị Bích,CB-1,official,Đảng viên,false,vi,1002
DV003,Lê Hoàng Cường,CB-1,probationary,,false,vi,
DV004,Phạm Thu Dung,CB-1,official,Phó Bí thư chi bộ,false,vi,1004
DV005,Võ Minh Em,CB-2,official,Bí thư chi bộ,true,vi,1005
DV006,Đặng Văn Phúc,CB-2,exempt,,false,vi,
DV007,Hồ Thị Giang,DU-NK,official,Ủy viên Ban Thường vụ,false,vi,1007
DV008,Ngô Văn Hải,CB-3,official,Ủy viên Ban Thường vụ,false,vi,1008
DV009,Lý Thị Hoa,DU-NK,official,Trưởng Ban Tuyên giáo và Dân vận,false,vi,1009
"""

ROLES = (
    ("DV001", "secretary", "CB-1"),
    ("DV004", "deputy", "CB-1"),
    ("DV005", "secretary", "CB-2"),
    ("DV007", "committee", "DU-NK"),
    ("DV008", "committee", "DU-AB"),
    ("DV009", "propaganda", "DU-NK"),
)

# The personas, in the table's column order: who they are in Telegram.
PERSONAS: dict[str, int] = {
    "stranger": 3001,
    "pending": 3002,  # joined with a unit invite of CB-1, not approved yet
    "member": 1002,  # Bích, CB-1
    "deputy": 1004,  # deputy secretary of CB-1
    "sec_in": 1001,  # secretary of CB-1
    "sec_out": 1005,  # secretary of CB-2
    "com_in": 1007,  # committee of DU-NK (over CB-1)
    "com_out": 1008,  # committee of DU-AB
    "board": 1009,  # propaganda board of DU-NK
    "admin": ADMIN_ID,  # from CADREBOT_ADMIN_IDS, no member record
}
PENDING_NAME = "Mai Văn Khoa"
# Tables a denial may still write: the audit trail itself and python-telegram-bot's saved
# conversation data (the menu shown, the language), which is no domain data.
UNWATCHED = re.compile(r"^(audit_log|ptb_\w+|sqlite_\w+)$")


@dataclass
class Things:
    """Ids of what the actions act on."""

    year: int = 2026
    units: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    campaign: int = 0  # the 2026 campaign
    commitment: int = 0  # Bích's, submitted (version 1)
    action: int = 0  # its one action
    session: int = 0  # a regular meeting of CB-1 in three days, Bích invited
    draft_story: int = 0  # the board's draft
    draft_stamp: int = 0
    sent_story: int = 0  # the board's story, sent to DU-NK
    day: int = 0  # the board's commemorative day for DU-NK
    nomination: int = 0  # Bích's nomination, waiting for the board
    join_request: int = 0  # the pending persona's
    invite_code: str = ""  # CB-1's unit invite, still usable


async def _actor(services: Services, telegram_id: int) -> Actor:
    return await services.registration.identify(telegram_id)


async def build(h: Harness, tmp_path: Path) -> Things:
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    for argv in (
        ("units", "import", str(tmp_path / "units.csv")),
        ("members", "import", str(tmp_path / "members.csv")),
        *(("role", "grant", "--member", m, "--role", r, "--unit", u) for m, r, u in ROLES),
        ("campaign", "create", "--year", "2026", "--topic", "Tinh thần trách nhiệm, năng động"),
    ):
        code, _, err = await h.cli(*argv)
        assert code == 0, (argv, err)
    for name, user in PERSONAS.items():
        h.server.add_user(user, name, language_code="vi")
    assert h.app is not None
    services = services_of(h.app)
    things = Things()
    async with services.db.read() as store:
        for code in ("TU", "DU-NK", "CB-1", "CB-2", "DU-AB", "CB-3"):
            unit = await store.units.by_code(code)
            assert unit is not None
            things.units[code] = unit.id
        for code in ("DV001", "DV002", "DV003"):
            member = await store.members.by_code(code)
            assert member is not None
            things.members[code] = member.id

    invite = await services.registration.create_invite(by="cli", unit_code="CB-1", uses=5)
    things.invite_code = invite.code
    request = await services.registration.request_join(
        invite.code, PERSONAS["pending"], PENDING_NAME, "vi"
    )
    things.join_request = request.id

    bich = await _actor(services, PERSONAS["member"])
    secretary = await _actor(services, PERSONAS["sec_in"])
    board = await _actor(services, PERSONAS["board"])
    await services.commitments.add_action(bich, "ideology", "Đọc và học tập tác phẩm")
    view, _ = await services.commitments.submit(bich)
    things.commitment = view.commitment.id
    things.action = view.actions[0].id
    things.campaign = view.campaign.id

    session, _ = await services.sessions.create(
        secretary,
        SessionDraft(
            unit_id=things.units["CB-1"],
            kind="regular",
            topic="Sinh hoạt chi bộ tháng 3",
            on_campaign=True,
            starts_at=h.clock.now() + timedelta(days=3),
            place="Hội trường khu vực 1",
        ),
    )
    things.session = session.id

    draft = await services.stories.create_draft(
        board, unit_id=things.units["DU-NK"], title="Gương sáng", body="Một gương điển hình.",
        tag="model",
    )  # fmt: skip
    things.draft_story, things.draft_stamp = draft.id, story_stamp(draft)
    sent = await services.stories.create_draft(
        board,
        unit_id=things.units["DU-NK"],
        title="Người tốt",
        body="Một việc tốt đáng học tập.",
        tag="good_deed",
    )
    await services.stories.send_now(board, sent.id)
    things.sent_story = sent.id

    day = await services.calendar.add(
        board, unit_id=things.units["DU-NK"], name_vi="Ngày truyền thống phường", day=15, month=4
    )
    things.day = day.id
    submitted = await services.nominations.submit(
        bich,
        NominationDraft(
            nominee="Nguyễn Văn Tốt",
            deed="Giúp đỡ người nghèo trong khu vực sửa nhà",
            unit_id=things.units["CB-1"],
        ),
    )
    things.nomination = submitted.nomination.id
    return things


# Reading the database, and putting it back ------------------------------------------------


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [name for (name,) in rows if not UNWATCHED.match(name)]


def checksums(db_path: Path) -> dict[str, str]:
    """Every watched table's rows, as a fingerprint (row count and content)."""
    found = {}
    with sqlite3.connect(db_path) as conn:
        for table in _tables(conn):
            digest = hashlib.blake2b(digest_size=12)
            count = 0
            # Sorted here: a WITHOUT ROWID table has no rowid to order by.
            for row in sorted(repr(row) for row in conn.execute(f"SELECT * FROM {table}")):
                digest.update(row.encode())
                count += 1
            found[table] = f"{count}:{digest.hexdigest()}"
    return found


def copy_database(db_path: Path, target: Path) -> None:
    with sqlite3.connect(db_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


def restore(db_path: Path, pristine: Path, tables: list[str]) -> None:
    """Put ``tables`` back as they are in ``pristine``, in one transaction, while the bot
    runs (it is idle between cells; its readers see the new state at their next read)."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("ATTACH DATABASE ? AS pristine", (str(pristine),))
        conn.execute("BEGIN IMMEDIATE")
        for table in tables:
            conn.execute(f"DELETE FROM main.{table}")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM pristine.{table}")
        conn.execute("COMMIT")
    finally:
        conn.close()


def denials_since(db_path: Path, last_id: int) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT id, actor, action, target FROM audit_log WHERE id > ? AND outcome = 'denied'",
            (last_id,),
        ).fetchall()


def last_audit_id(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]


# What a person was told ---------------------------------------------------------------------


def vietnamese(message_id: str) -> str:
    set_locale("vi")
    return gettext(message_id)


def as_pattern(text: str) -> re.Pattern[str]:
    """A rendered message with its ``{parameters}`` as wildcards."""
    parts = re.split(r"\{\w+\}", text)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


@dataclass
class Seen:
    texts: list[str]  # what the person was shown: messages, edits, the button's alert
    changed: list[str]  # tables whose content changed
    denied: list[tuple]  # audit rows with outcome 'denied'


async def act(sweep: Sweep, user: int, *, text: str | None = None, data: str | None = None,
              on: BotMessage | int | None = None) -> list[str]:  # fmt: skip
    """Send ``text`` or press a button carrying ``data`` (on message ``on``); what came back."""
    server = sweep.server
    if text is not None:
        events = await sweep.say(user, text, expect=False)
        return [event.text or event.caption or "" for event in events]
    assert on is not None
    before = set(server.callback_answers)
    events = await sweep.press(user, on, data)
    shown = [event.text or event.caption or "" for event in events]
    for query_id, answer in server.callback_answers.items():
        if query_id not in before and answer.text:
            shown.insert(0, answer.text)
    return shown
